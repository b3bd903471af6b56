-- The sessions of the moment, sent with each activity message (issue 5): what each non-idle
-- session runs and waits for, and which sessions block it. One row per message, the sessions as
-- the protocol carries them (docs/protocol.md#activity); partitioned by day and kept as long as
-- activity_samples.
create table activity_sessions (
  instance_id int not null,
  ts bigint not null,
  sessions jsonb not null
) partition by range (ts);
create index activity_sessions_instance_ts on activity_sessions (instance_id, ts);
