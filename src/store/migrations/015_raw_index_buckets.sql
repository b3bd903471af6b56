-- The raw rows' index keys each set by ten-minute bucket instead of by exact time: the rows of one
-- set in one bucket (40 at a 15 s interval) then share one index entry (btree deduplication,
-- PostgreSQL 13+), which takes the index from about 43 to about 12 bytes per row, and raw data
-- under 12 bytes per sample. Queries narrow `ts` through the same expression
-- (docs/storage.md#tables); the bucket width is RAW_INDEX_BUCKET_MS in src/store/timeseries.ts.
drop index sample_sets_set_ts;
create index sample_sets_set_bucket on sample_sets (set_id, ((ts / 600000)::int));
