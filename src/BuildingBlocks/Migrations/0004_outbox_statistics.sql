-- ANALYZE of platform.outbox spent almost half its time on the event payloads, which no query filters or joins on
-- (200,000 rows of OrderPaid's ~700-byte payload: 380–460 ms, 211–284 ms without them). Autovacuum analyzes this table
-- about once a minute under load, on the same two cores as the requests; the bench's open loops show a charge stall
-- of one to two seconds around it. last_error is never filtered on either.
ALTER TABLE platform.outbox ALTER COLUMN payload SET STATISTICS 0;
ALTER TABLE platform.outbox ALTER COLUMN last_error SET STATISTICS 0;
