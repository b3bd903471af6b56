-- The advisor on the worker: each instance's profile (what pgfleet cannot measure: disk kind,
-- workload, overrides) and its periodic runs, the last 30 of each kept.
create table advisor_profiles (
  instance text primary key,
  profile jsonb not null,
  updated_by text not null,
  updated_at timestamptz not null default now()
);

create table advisor_runs (
  id bigserial primary key,
  instance text not null,
  ts timestamptz not null,
  profile jsonb not null,
  advice jsonb,
  changes int not null default 0,
  restart int not null default 0,
  error text
);
create index advisor_runs_instance on advisor_runs (instance, ts desc);
