-- Autovacuum analyzes the two tables every write touches (the outbox: an insert and an update per event; the
-- idempotency keys: a row per request that has a key) about once a minute under load, on the same two cores as the
-- requests, and the bench's open loops stall for a second or two under those runs. At the default statistics target
-- (100) each analyze samples 30,000 rows and every event payload in them. What these tables are queried by (keys,
-- stream and seq, the pending rows' share, creation times) 3,000 rows estimate as well (target 10), and the payloads
-- and errors, never filtered on, need none (target 0). 200,000 rows each: ANALYZE platform.outbox 493–526 ms (1.1 s
-- cold) → 32–36 ms, platform.idempotency_keys 208–245 ms (631 cold) → 23–30 ms.
ALTER TABLE platform.outbox
    ALTER COLUMN payload SET STATISTICS 0,
    ALTER COLUMN last_error SET STATISTICS 0,
    ALTER COLUMN id SET STATISTICS 10,
    ALTER COLUMN seq SET STATISTICS 10,
    ALTER COLUMN stream_id SET STATISTICS 10,
    ALTER COLUMN type SET STATISTICS 10,
    ALTER COLUMN version SET STATISTICS 10,
    ALTER COLUMN occurred_at SET STATISTICS 10,
    ALTER COLUMN attempts SET STATISTICS 10,
    ALTER COLUMN next_attempt_at SET STATISTICS 10,
    ALTER COLUMN delivered_at SET STATISTICS 10,
    ALTER COLUMN dead_lettered_at SET STATISTICS 10;
ALTER TABLE platform.idempotency_keys
    ALTER COLUMN member_id SET STATISTICS 10,
    ALTER COLUMN key SET STATISTICS 10,
    ALTER COLUMN request_type SET STATISTICS 10,
    ALTER COLUMN request_hash SET STATISTICS 0,
    ALTER COLUMN response SET STATISTICS 0,
    ALTER COLUMN created_at SET STATISTICS 10;
