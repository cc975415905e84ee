-- The outbox relay (Outbox/OutboxRelay.cs). A row is pending until it is delivered or dead-lettered, never both.
ALTER TABLE platform.outbox ADD CONSTRAINT outbox_one_outcome CHECK (delivered_at IS NULL OR dead_lettered_at IS NULL);

-- Stream heads: the relay's claim reads every stream's first pending row from this index alone (index-only), and
-- "is there an earlier pending row of this stream?" is one probe of it.
CREATE INDEX outbox_stream_pending_idx ON platform.outbox (stream_id, seq) INCLUDE (next_attempt_at, id)
    WHERE delivered_at IS NULL AND dead_lettered_at IS NULL;

-- The retention sweep of delivered rows, and the dead-letter list (newest first) and count.
CREATE INDEX outbox_delivered_idx ON platform.outbox (delivered_at) WHERE delivered_at IS NOT NULL;
CREATE INDEX outbox_dead_letters_idx ON platform.outbox (dead_lettered_at) WHERE dead_lettered_at IS NOT NULL;
