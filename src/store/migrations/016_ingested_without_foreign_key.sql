-- `ingested` is the keeper's dedup bookkeeping, one row per stored message. Its foreign key to
-- agents cost every inserted row a trigger and a `for key share` lock on its agent's row; with
-- several batches of the same agents in flight, those locks became multixacts that the batches'
-- `for no key update` of the same rows (heartbeats) had to join. The keeper takes agent ids only
-- from the agents table, and agents are never deleted, so the key protected nothing.
alter table ingested drop constraint if exists ingested_agent_id_fkey;
