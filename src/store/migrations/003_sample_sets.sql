-- Samples by set, rollups and compacted chunks (issue 4); see docs/storage.md.
--
-- A series set is the ordered list of series one metrics message carries (one collector
-- run on one owner). Raw samples are stored one row per message: the set, the time, and
-- one float8 per member, so a sample costs 8 bytes plus its share of one row header.

create table series_sets (
  id serial primary key,
  owner_kind char(1) not null check (owner_kind in ('i', 'n')),
  owner_id int not null,
  series int[] not null,
  -- counters[k] is true when series[k] is a counter (rollups keep increases for those).
  counters boolean[] not null,
  interval_ms int,
  created_at timestamptz not null default now(),
  check (cardinality(series) = cardinality(counters) and cardinality(series) > 0)
);
-- The text form of an int[] never changes, but the cast is not marked immutable: wrapped,
-- it can key an index (a btree on the array itself would cap a set at ~670 members).
create function series_set_key(a int[]) returns text language sql immutable parallel safe as $$ select md5(a::text) $$;
create unique index series_sets_key on series_sets (series_set_key(series));

-- Where each series is found: its position (1-based) in each set that holds it.
create table series_set_members (
  series_id int not null,
  set_id int not null,
  pos int not null,
  primary key (series_id, set_id)
);

-- Recent samples: one row per message, partitioned by day of ts.
create table sample_sets (
  set_id int not null,
  ts bigint not null,
  vals float8[] not null
) partition by range (ts);
create index sample_sets_set_ts on sample_sets (set_id, ts);

-- Older samples: one compressed chunk per series and day (src/store/chunk/codec.ts),
-- partitioned by day like sample_sets; ts is the day's start.
create table sample_chunks (
  series_id int not null,
  ts bigint not null,
  n int not null,
  first_ts bigint not null,
  last_ts bigint not null,
  data bytea not null
) partition by range (ts);
create unique index sample_chunks_series_ts on sample_chunks (series_id, ts);
-- The chunks are compressed already: TOAST must not try again.
alter table sample_chunks alter column data set storage external;

-- Rollups per set and bucket: n samples; per member (same positions as the set): for a
-- gauge the min, max, average and last value; for a counter the min and max per-second
-- rate between consecutive samples, the increase over the bucket (a drop is a reset:
-- the new value counts as the increase) in av, and the last value.
create table rollups_1m (
  set_id int not null,
  ts bigint not null,
  n int not null,
  mn float8[] not null,
  mx float8[] not null,
  av float8[] not null,
  lst float8[] not null
) partition by range (ts);
create unique index rollups_1m_set_ts on rollups_1m (set_id, ts);

create table rollups_1h (like rollups_1m) partition by range (ts);
create unique index rollups_1h_set_ts on rollups_1h (set_id, ts);

-- How far each rollup is complete (buckets before done_to are final), and the buckets a
-- late message touched after that, to be computed again.
create table rollup_state (
  resolution text primary key,
  done_to bigint not null
);
-- id changes each time a keeper marks the bucket again, so the job deletes only the marks it
-- has seen (a mark made while it computed stays for the next run).
create sequence rollup_redo_id;
create table rollup_redo (
  resolution text not null,
  set_id int not null,
  ts bigint not null,
  id bigint not null default nextval('rollup_redo_id'),
  primary key (resolution, set_id, ts)
);

-- Raw samples as rows, for ad-hoc SQL over recent data (compacted days are not in it).
create view raw_samples as
  select m.series_id, r.ts, r.vals[m.pos] as value
  from sample_sets r join series_set_members m on m.set_id = r.set_id;

-- Samples stored by an earlier version: each series becomes a set of its own.
insert into series_sets (owner_kind, owner_id, series, counters, interval_ms)
  select s.owner_kind, s.owner_id, array[s.id], array[m.kind = 'counter'], m.interval_ms
  from series s join metrics m on m.id = s.metric_id
  where exists (select 1 from samples x where x.series_id = s.id);
insert into series_set_members (series_id, set_id, pos) select series[1], id, 1 from series_sets;
do $$
declare d bigint;
begin
  for d in select distinct (ts / 86400000) * 86400000 from samples loop
    execute format('create table sample_sets_%s partition of sample_sets for values from (%s) to (%s)',
      to_char(to_timestamp(d / 1000) at time zone 'UTC', 'YYYYMMDD'), d, d + 86400000);
  end loop;
end $$;
insert into sample_sets (set_id, ts, vals)
  select m.set_id, x.ts, array[x.value] from samples x join series_set_members m on m.series_id = x.series_id;
drop table samples;
