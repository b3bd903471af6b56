-- Query statistics and sampled activity (issue 3).

-- pg_stat_statements deltas: one row per entry and interval, as the agent sent them.
-- ts is the end of the interval (the snapshot's time), interval_ms its length.
-- queryid 0 with empty datname/usename is the interval's "other" row: the entries
-- the agent did not send one by one, summed, so totals stay true.
create table statement_stats (
  instance_id int not null,
  ts bigint not null,
  interval_ms int not null,
  queryid bigint not null,
  datname text not null,
  usename text not null,
  toplevel boolean not null,
  calls float8 not null default 0,
  total_exec_time float8 not null default 0,
  total_plan_time float8 not null default 0,
  plans float8 not null default 0,
  rows float8 not null default 0,
  shared_blks_hit float8 not null default 0,
  shared_blks_read float8 not null default 0,
  shared_blks_dirtied float8 not null default 0,
  shared_blks_written float8 not null default 0,
  local_blks_hit float8 not null default 0,
  local_blks_read float8 not null default 0,
  local_blks_dirtied float8 not null default 0,
  local_blks_written float8 not null default 0,
  temp_blks_read float8 not null default 0,
  temp_blks_written float8 not null default 0,
  shared_blk_read_time float8 not null default 0,
  shared_blk_write_time float8 not null default 0,
  local_blk_read_time float8 not null default 0,
  local_blk_write_time float8 not null default 0,
  temp_blk_read_time float8 not null default 0,
  temp_blk_write_time float8 not null default 0,
  wal_records float8 not null default 0,
  wal_fpi float8 not null default 0,
  wal_bytes float8 not null default 0,
  jit_functions float8 not null default 0,
  jit_generation_time float8 not null default 0,
  jit_inlining_time float8 not null default 0,
  jit_optimization_time float8 not null default 0,
  jit_emission_time float8 not null default 0
) partition by range (ts);
create index statement_stats_instance_ts on statement_stats (instance_id, ts);
create index statement_stats_query on statement_stats (instance_id, queryid, ts);

-- Redacted query texts, once per instance and queryid (the queryid depends on object OIDs, so it is per instance).
create table statement_texts (
  instance_id int not null,
  queryid bigint not null,
  text text not null,
  first_seen bigint not null,
  primary key (instance_id, queryid)
);

-- pg_stat_activity samples aggregated by the agent: n samples saw a session in this group
-- during the interval ending at ts; n × interval_ms / samples is the group's session time.
create table activity_samples (
  instance_id int not null,
  ts bigint not null,
  interval_ms int not null,
  sample_ms int not null,
  samples int not null,
  state text not null,
  wait_event_type text,
  wait_event text,
  queryid bigint,
  datname text,
  usename text,
  backend_type text not null,
  n int not null
) partition by range (ts);
create index activity_samples_instance_ts on activity_samples (instance_id, ts);
