-- A paid order whose units sold are not counted yet. Recording the sale locks the product rows, which a hot product
-- can keep busy past the lock timeout; a charged customer must not get an error for that, so PAID commits without
-- them and the sale is recorded right after (or by the sweeper).
ALTER TABLE orders.orders ADD COLUMN sale_pending boolean NOT NULL DEFAULT false;
CREATE INDEX orders_sale_pending_idx ON orders.orders (paid_at) WHERE sale_pending;

-- An APPROVED from the gateway for a payment we had already declined and refunded (a gateway contradicting itself):
-- recorded, alerted (gauge + /health/ready) and kept until the customer is made whole.
ALTER TABLE orders.payments
    ADD COLUMN late_approved_at   timestamptz,
    ADD COLUMN late_reference     text,
    ADD COLUMN late_resolved_at   timestamptz;
CREATE INDEX payments_late_approval_idx ON orders.payments (late_approved_at) WHERE late_approved_at IS NOT NULL AND late_resolved_at IS NULL;
CREATE INDEX payments_pending_age_idx ON orders.payments (created_at) WHERE status = 'PENDING';

-- The simulated payment gateway's own records (the default when no real gateway is configured). It stands for an
-- outside system: one record per payment id, shared by every instance and kept across restarts, written outside
-- any of our transactions. Nothing of ours joins it.
CREATE SCHEMA gateway_sim;
CREATE TABLE gateway_sim.payments (
    payment_id  uuid        PRIMARY KEY,
    outcome     text        NOT NULL CHECK (outcome IN ('APPROVED', 'DECLINED')),
    amount      bigint      NOT NULL,
    reference   text,
    reason      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
