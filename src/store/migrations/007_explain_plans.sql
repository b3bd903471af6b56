-- EXPLAIN plans kept for a link inside the installation (issue 6): the text as pasted, an optional
-- query and title. The id is random, so a link cannot be guessed from another.
create table explain_plans (
  id text primary key,
  created_at timestamptz not null default now(),
  title text not null,
  plan text not null,
  query text
);
create index explain_plans_created on explain_plans (created_at desc);
