-- Inventory (main part) and time series (metrics part) of the spine.
-- Times are milliseconds since the epoch in bigint columns: the protocol's unit,
-- cheap to COPY and to bucket with integer arithmetic.

create table namespaces (
  id serial primary key,
  name text not null unique,
  created_at timestamptz not null default now()
);

create table clusters (
  id serial primary key,
  namespace_id int not null references namespaces(id),
  name text not null,
  created_at timestamptz not null default now(),
  unique (namespace_id, name)
);

create table nodes (
  id serial primary key,
  name text not null unique,
  first_seen timestamptz not null default now(),
  last_seen timestamptz not null default now()
);

create table agents (
  id serial primary key,
  name text not null unique,
  node_id int references nodes(id),
  version text,
  first_seen timestamptz not null default now(),
  last_seen timestamptz not null default now(),
  last_seq bigint not null default 0,
  heartbeat jsonb
);

create table instances (
  id serial primary key,
  name text not null unique,
  cluster_id int not null references clusters(id),
  node_id int references nodes(id),
  agent_id int references agents(id),
  role text not null default 'unknown',
  version text,
  version_num int,
  up boolean,
  error text,
  started_at bigint,
  system_identifier text,
  databases text[] not null default '{}',
  first_seen timestamptz not null default now(),
  last_seen bigint,
  inventory_at bigint
);

-- One row per accepted message: the store-side dedup on (agent, seq).
create table ingested (
  agent_id int not null references agents(id),
  seq bigint not null,
  type text not null,
  received_at timestamptz not null default now(),
  primary key (agent_id, seq)
);

create table dead_letters (
  id bigserial primary key,
  received_at timestamptz not null default now(),
  source text not null,
  agent text,
  seq bigint,
  type text,
  code text not null,
  reason text not null,
  payload bytea
);

create table metrics (
  id serial primary key,
  name text not null unique,
  kind text not null check (kind in ('gauge', 'counter')),
  unit text,
  interval_ms int
);

-- Series dictionary: owner is an instance ('i') or a node ('n').
create table series (
  id serial primary key,
  owner_kind char(1) not null check (owner_kind in ('i', 'n')),
  owner_id int not null,
  metric_id int not null references metrics(id),
  labels jsonb not null default '{}'
);
-- Keyed by a hash of the labels: a btree row holds at most ~2.7 kB, a label set may be larger.
create unique index series_key on series (owner_kind, owner_id, metric_id, md5(labels::text));

-- Samples, partitioned by day of ts; partitions are created ahead and dropped by retention.
create table samples (
  series_id int not null,
  ts bigint not null,
  value float8 not null
) partition by range (ts);
create index samples_series_ts on samples (series_id, ts);

create table events (
  id bigserial primary key,
  ts bigint not null,
  agent_id int references agents(id),
  instance_id int references instances(id),
  kind text not null,
  severity text not null,
  message text not null,
  details jsonb
);
create index events_instance_ts on events (instance_id, ts);
