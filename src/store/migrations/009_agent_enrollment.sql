-- Agent enrollment: a token per namespace lets a new agent register once; the agent then has a
-- credential of its own (HTTPS ingest) and an NKEY (NATS), both bound to its id and namespace.
create table enrollment_tokens (
  id serial primary key,
  prefix text not null unique,
  hash bytea not null,
  namespace text not null,
  created_by text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  -- null: any number of agents until it expires
  uses_left int,
  revoked_at timestamptz
);

create table agent_credentials (
  agent text primary key,
  namespace text not null,
  -- SHA-256 of the secret the agent sends to HTTPS ingest
  secret_hash bytea not null,
  -- the agent's NATS public NKEY (U…): nats-server checks its signature; the seed never leaves the agent
  nkey text unique,
  enrollment_token_id int references enrollment_tokens(id) on delete set null,
  enrolled_at timestamptz not null default now(),
  revoked_at timestamptz
);
