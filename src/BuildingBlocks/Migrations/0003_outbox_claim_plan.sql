-- The relay's claim (Outbox/OutboxRelay.cs) walks pending rows in seq order on outbox_pending_idx and checks each is its
-- stream's head with a probe of outbox_stream_pending_idx. Both indexes had the same predicate, so the head check could
-- also be planned as a scan of the walk's index; and the planner believes these partial indexes hold next to nothing
-- whenever their statistics were taken while the relay was caught up (the normal state) or before any row existed (a new
-- database). Believing that, it costs a scan of the whole pending index as cheap as the probe and chooses it, which turns
-- each claim into pending × batch rows read: with 20,000 pending events a claim took 96–394 ms and four lanes drained
-- about 260 events a second, so a backlog grew on itself. An always-true condition (identity values start at 1) in the
-- walk's index, which only the walk states, leaves the head check the probe alone (the claim also keeps the check from
-- becoming a join, see ClaimSql): 0.4–12 ms for the same claims, before or after ANALYZE, during an outage too.
DROP INDEX platform.outbox_pending_idx;
CREATE INDEX outbox_pending_idx ON platform.outbox (seq) WHERE delivered_at IS NULL AND dead_lettered_at IS NULL AND seq > 0;
