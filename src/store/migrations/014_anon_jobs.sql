-- Anonymization jobs started through the API: scans (their dictionary) and masked copies (their
-- report), with progress while they run. Connection passwords and keys are never stored.
create table anon_jobs (
  id bigserial primary key,
  kind text not null check (kind in ('scan', 'sync')),
  instance text not null,
  namespace text not null,
  source text not null,
  target text,
  status text not null check (status in ('running', 'done', 'failed')),
  requested_by text not null,
  started_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  progress jsonb,
  result jsonb,
  error text
);
create index anon_jobs_started on anon_jobs (started_at desc);
