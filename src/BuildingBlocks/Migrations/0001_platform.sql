-- Owned by BuildingBlocks: the outbox, idempotency keys and the token key ring.

CREATE TABLE platform.outbox (
    id               uuid        PRIMARY KEY,
    -- Commit order within a stream: a later event of one order is written by a transaction that waited
    -- for the earlier one's lock on the order row, so it always draws a higher number.
    seq              bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    stream_id        text        NOT NULL,
    type             text        NOT NULL,
    version          int         NOT NULL,
    occurred_at      timestamptz NOT NULL,
    payload          jsonb       NOT NULL,
    attempts         int         NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    last_error       text,
    delivered_at     timestamptz,
    dead_lettered_at timestamptz
);

CREATE INDEX outbox_pending_idx ON platform.outbox (seq) WHERE delivered_at IS NULL AND dead_lettered_at IS NULL;

CREATE TABLE platform.idempotency_keys (
    member_id     bigint      NOT NULL,
    key           text        NOT NULL,
    request_type  text        NOT NULL,
    request_hash  bytea       NOT NULL,
    response      jsonb,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (member_id, key)
);

CREATE INDEX idempotency_keys_created_idx ON platform.idempotency_keys (created_at);

-- ASP.NET Core Data Protection keys: bearer tokens are protected with them, so storing them here lets
-- tokens survive restarts and work on every instance.
CREATE TABLE platform.data_protection_keys (
    name        text        PRIMARY KEY,
    xml         text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
