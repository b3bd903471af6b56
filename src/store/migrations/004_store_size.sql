-- The store's own size over time (issue 4): one row per kind of data and snapshot, taken by
-- the worker at most once an hour; kind 'total' is pg_database_size. retention_days is what the
-- worker that took the snapshot applies (null: kept until deleted), so an api process run
-- without the worker's flags still reports the retention in force.
create table store_size_history (
  ts bigint not null,
  kind text not null,
  bytes bigint not null,
  days_held float8,
  retention_days int,
  primary key (ts, kind)
);
