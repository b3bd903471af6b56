-- Server settings over time (issue 5): one row per `settings` message, a full snapshot or the
-- changes since the previous message (docs/protocol.md#settings). Settings change rarely, so the
-- history is kept until deleted, as events are; a full snapshot equal to what the store already
-- has for that moment is not written again (docs/storage.md#settings).
create table settings_snapshots (
  instance_id int not null,
  ts bigint not null,
  is_full boolean not null,
  settings jsonb not null,
  removed text[],
  conf_load_time bigint
);
create index settings_snapshots_instance_ts on settings_snapshots (instance_id, ts);
