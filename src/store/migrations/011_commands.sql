-- Commands to agents (issue 10): each one signed with the server's Ed25519 key, its outcome as
-- the agent reported it; scheduled tasks, whose runs are commands with a task_id; saved scripts.
create table command_keys (
  id int primary key default 1 check (id = 1),
  -- PEM, PKCS#8: whoever can read it can sign commands, like whoever can write the users table can make admins
  private_key text not null,
  public_key text not null,
  created_at timestamptz not null default now()
);

create table commands (
  id uuid primary key,
  agent text not null,
  instance text,
  namespace text,
  action text not null,
  params jsonb not null default '{}',
  requested_by text not null,
  requested_at timestamptz not null default now(),
  expires_at timestamptz,
  -- queued (not delivered yet), delivered (accepted, running), then how it ended:
  -- ok, error, refused, cancelled, skipped, expired (never delivered before its expiry)
  state text not null default 'queued',
  delivered_at timestamptz,
  task_id int,
  scheduled_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms float8,
  sqlstate text,
  error text,
  reason text,
  output jsonb,
  -- the signed command as sent, for agents that poll over HTTPS
  signed jsonb
);
create index commands_instance on commands (instance, requested_at desc);
create index commands_queued on commands (agent) where state = 'queued';
create index commands_task on commands (task_id, scheduled_at desc) where task_id is not null;

create table tasks (
  id serial primary key,
  name text not null,
  -- instance: target is its name; cluster: "<namespace>/<cluster>"; namespace: the namespace
  scope text not null check (scope in ('instance', 'cluster', 'namespace')),
  target text not null,
  namespace text not null,
  action text not null,
  params jsonb not null,
  cron text not null,
  timezone text,
  window_start text,
  window_end text,
  missed text not null default 'skip' check (missed in ('skip', 'run')),
  lock_timeout_ms int not null,
  statement_timeout_ms int not null,
  enabled boolean not null default true,
  created_by text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Every change of the task set takes the next version; an agent refuses a set older than the one it holds.
create sequence task_set_version;
create index commands_tasks_sync on commands (agent) where action = 'tasks_sync';

create table scripts (
  id serial primary key,
  name text not null unique,
  sql text not null,
  description text,
  read_only boolean not null default false,
  created_by text not null,
  created_at timestamptz not null default now()
);
