-- When a command was last handed to the channel: a command is delivered by one api process at a
-- time (the others skip it for a while), so the agent does not get it twice and answer "replayed".
alter table commands add column attempted_at timestamptz;
