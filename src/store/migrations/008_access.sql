-- Access control (main part): users, their roles per namespace, console sessions, API tokens,
-- and the audit log. Secrets are never stored: passwords as argon2id hashes, session ids and
-- tokens as SHA-256 of 256-bit random values (a slow hash adds nothing to a value that random).

create table users (
  id serial primary key,
  name text not null unique,
  display_name text,
  -- local: password here; ldap: the directory checks the password and gives the roles at each login.
  source text not null default 'local' check (source in ('local', 'ldap')),
  password_hash text,
  is_admin boolean not null default false,
  disabled boolean not null default false,
  -- Set for the first admin and after an admin's reset: the password works only to choose a new one.
  must_change_password boolean not null default false,
  failed_logins int not null default 0,
  locked_until timestamptz,
  created_at timestamptz not null default now(),
  last_login_at timestamptz
);

-- A role in a namespace ('*': every namespace, present and future).
create table user_grants (
  user_id int not null references users(id) on delete cascade,
  namespace text not null,
  role text not null check (role in ('admin', 'operator', 'viewer')),
  primary key (user_id, namespace)
);

create table sessions (
  id_hash bytea primary key,
  user_id int not null references users(id) on delete cascade,
  csrf text not null,
  ip text,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index on sessions (user_id);

-- A token acts for its owner, limited to its scopes: never more than the owner has at the time of use.
create table api_tokens (
  id serial primary key,
  prefix text not null unique,
  hash bytea not null,
  name text not null,
  user_id int not null references users(id) on delete cascade,
  -- [{"namespace": "prod", "role": "viewer"}, …]
  scopes jsonb not null default '[]',
  system_admin boolean not null default false,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  last_used_at timestamptz
);

create table audit_log (
  id bigserial primary key,
  ts timestamptz not null default now(),
  -- user name, token prefix, agent id, or 'anonymous' / 'system'
  actor text not null,
  actor_kind text not null check (actor_kind in ('user', 'token', 'agent', 'anonymous', 'system')),
  ip text,
  -- 'login', 'logout', 'users.create', … or 'POST /api/v1/…' for a request without a name of its own
  action text not null,
  target text,
  namespace text,
  detail jsonb,
  result text not null check (result in ('ok', 'denied', 'failed')),
  status int
);
create index on audit_log (ts);
create index on audit_log (actor, ts);
create index on audit_log (action, ts);

-- Append-only: rows are added, never changed or removed (a superuser can still drop the trigger;
-- that is the store's owner, who is trusted with the store anyway).
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';
end $$;
create trigger audit_log_append_only before update or delete on audit_log for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only();
