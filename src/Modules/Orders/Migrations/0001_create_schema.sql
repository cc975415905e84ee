CREATE SCHEMA orders;

CREATE TABLE orders.orders (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id         bigint      NOT NULL,
    status            text        NOT NULL CHECK (status IN ('PENDING_PAYMENT', 'PAYING', 'PAID', 'PAYMENT_FAILED', 'CANCELLED', 'EXPIRED')),
    -- PLACE_ORDER (Flow A: paid later through the gateway) or CHECKOUT (Flow B: paid with points at once).
    flow              text        NOT NULL CHECK (flow IN ('PLACE_ORDER', 'CHECKOUT')),
    subtotal          bigint      NOT NULL CHECK (subtotal >= 0),
    discount          bigint      NOT NULL CHECK (discount BETWEEN 0 AND subtotal),
    total             bigint      NOT NULL CHECK (total = subtotal - discount),
    -- The ORDER-target coupon and its share of the discount; PRODUCT coupons sit on their lines.
    order_coupon_id   bigint,
    order_discount    bigint      NOT NULL DEFAULT 0 CHECK (order_discount >= 0),
    coupon_ids        bigint[]    NOT NULL DEFAULT '{}',
    payment_deadline  timestamptz,
    -- Set once the order's coupons and stock went back (release): it happens exactly once.
    released_at       timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    paid_at           timestamptz,
    CHECK (released_at IS NULL OR status IN ('PAYMENT_FAILED', 'CANCELLED', 'EXPIRED'))
);

CREATE INDEX orders_member_idx ON orders.orders (member_id, id DESC);
CREATE INDEX orders_due_idx ON orders.orders (payment_deadline) WHERE status = 'PENDING_PAYMENT';
CREATE INDEX orders_unreleased_idx ON orders.orders (updated_at)
    WHERE released_at IS NULL AND status IN ('PAYMENT_FAILED', 'CANCELLED', 'EXPIRED');

CREATE TABLE orders.order_lines (
    order_id      bigint NOT NULL REFERENCES orders.orders (id),
    product_id    bigint NOT NULL,
    product_name  text   NOT NULL,
    quantity      int    NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    unit_price    bigint NOT NULL CHECK (unit_price >= 0),
    discount      bigint NOT NULL CHECK (discount BETWEEN 0 AND unit_price * quantity),
    coupon_id     bigint,
    amount        bigint NOT NULL CHECK (amount = unit_price * quantity - discount),
    PRIMARY KEY (order_id, product_id)
);

CREATE TABLE orders.payments (
    -- Also the payment gateway's idempotency key: a retried approve can never charge twice.
    id                 uuid        PRIMARY KEY,
    order_id           bigint      NOT NULL REFERENCES orders.orders (id),
    member_id          bigint      NOT NULL,
    method             text        NOT NULL CHECK (method IN ('GATEWAY', 'POINTS')),
    amount             bigint      NOT NULL CHECK (amount >= 0),
    -- PENDING: points taken, gateway answer not known yet. REJECTED: refused before the gateway (points short).
    status             text        NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'DECLINED', 'REJECTED')),
    idempotency_key    text,
    points_ledger_id   bigint,
    refund_ledger_id   bigint,
    gateway_reference  text,
    failure_code       text,
    failure_reason     text,
    check_attempts     int         NOT NULL DEFAULT 0,
    next_check_at      timestamptz,
    created_at         timestamptz NOT NULL,
    completed_at       timestamptz
);

CREATE INDEX payments_order_idx ON orders.payments (order_id, created_at DESC);
CREATE INDEX payments_due_check_idx ON orders.payments (next_check_at) WHERE status = 'PENDING';
-- At most one payment in flight or approved per order.
CREATE UNIQUE INDEX payments_one_live_per_order ON orders.payments (order_id) WHERE status IN ('PENDING', 'APPROVED');
