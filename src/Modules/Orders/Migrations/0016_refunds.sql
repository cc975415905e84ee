-- Refunds of paid orders (issue 16). Numbered 0016 rather than 0002 so it cannot collide with another branch's
-- next orders migration; versions only need to grow.

-- REFUNDING: a gateway refund is in flight (its answer unknown yet); REFUNDED: points, coupons and stock are back.
ALTER TABLE orders.orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders.orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('PENDING_PAYMENT', 'PAYING', 'PAID', 'PAYMENT_FAILED', 'CANCELLED', 'EXPIRED', 'REFUNDING', 'REFUNDED'));
ALTER TABLE orders.orders ADD COLUMN refunded_at timestamptz;

CREATE TABLE orders.refunds (
    -- Also the gateway's idempotency key for the refund call: asking again can never refund twice.
    id                 uuid        PRIMARY KEY,
    order_id           bigint      NOT NULL REFERENCES orders.orders (id),
    payment_id         uuid        NOT NULL REFERENCES orders.payments (id),
    method             text        NOT NULL CHECK (method IN ('GATEWAY', 'POINTS')),
    amount             bigint      NOT NULL CHECK (amount >= 0),
    -- PENDING: asked of the gateway, answer not known yet. DECLINED: the gateway refused; the order stays PAID.
    status             text        NOT NULL CHECK (status IN ('PENDING', 'COMPLETED', 'DECLINED')),
    requested_by       bigint      NOT NULL,
    refund_ledger_id   bigint,
    gateway_reference  text,
    failure_reason     text,
    check_attempts     int         NOT NULL DEFAULT 0,
    next_check_at      timestamptz,
    created_at         timestamptz NOT NULL,
    completed_at       timestamptz
);

-- At most one refund in flight or done per order: the constraint behind "refunds at most once".
CREATE UNIQUE INDEX refunds_one_live_per_order ON orders.refunds (order_id) WHERE status IN ('PENDING', 'COMPLETED');
CREATE INDEX refunds_due_check_idx ON orders.refunds (next_check_at) WHERE status = 'PENDING';

-- The simulated gateway's refunds, beside its payments (0002): shared by every instance, kept across restarts.
CREATE TABLE gateway_sim.refunds (
    refund_id   uuid        PRIMARY KEY,
    payment_id  uuid        NOT NULL,
    outcome     text        NOT NULL CHECK (outcome IN ('APPROVED', 'DECLINED')),
    amount      bigint      NOT NULL,
    reference   text,
    reason      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
