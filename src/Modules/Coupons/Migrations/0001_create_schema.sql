CREATE SCHEMA coupons;

-- A campaign: the discount terms every coupon it issues carries, how many it may issue, when, and how long
-- an issued coupon stays valid. IssueCoupon locks the row (FOR UPDATE) and counts issued_count up; only the
-- admin's quantity change locks it too, each alone in its transaction, so it stands outside the global lock
-- order (the order flows read campaigns but lock only issued coupons). No index may ever cover
-- issued_count: its updates then stay HOT (no index writes on the hottest row in the product), and the
-- lower fillfactor leaves room on the page for the new row versions.
CREATE TABLE coupons.campaigns (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    discount_type     text        NOT NULL CHECK (discount_type IN ('FIXED', 'PERCENT')),
    -- Won for FIXED, percent for PERCENT.
    discount_value    bigint      NOT NULL CHECK (discount_value > 0),
    -- PERCENT only: the most the percentage may take off, in won.
    max_discount      bigint      CHECK (max_discount > 0),
    target            text        NOT NULL CHECK (target IN ('ORDER', 'PRODUCT')),
    -- A catalog product id. No foreign key: no module's SQL names another module's schema.
    product_id        bigint      CHECK (product_id > 0),
    -- Compared with the amount the coupon applies to: the line for PRODUCT, the order after product discounts for ORDER.
    min_order_amount  bigint      CHECK (min_order_amount > 0),
    total_quantity    int         NOT NULL CHECK (total_quantity >= 0),
    issued_count      int         NOT NULL DEFAULT 0 CHECK (issued_count >= 0),
    -- Coupons are issued from starts_at (inclusive) to ends_at (exclusive).
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    -- An issued coupon expires at valid_until, or valid_days × 24 hours after it was issued.
    valid_until       timestamptz,
    valid_days        int         CHECK (valid_days BETWEEN 1 AND 3650),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT campaigns_not_over_issued CHECK (issued_count <= total_quantity),
    CONSTRAINT campaigns_percent_range CHECK (discount_type = 'FIXED' OR discount_value <= 100),
    CONSTRAINT campaigns_cap_for_percent_only CHECK (max_discount IS NULL OR discount_type = 'PERCENT'),
    CONSTRAINT campaigns_product_iff_product_target CHECK ((target = 'PRODUCT') = (product_id IS NOT NULL)),
    CONSTRAINT campaigns_window CHECK (starts_at < ends_at),
    CONSTRAINT campaigns_one_validity CHECK ((valid_until IS NULL) <> (valid_days IS NULL)),
    -- So no coupon is ever issued already expired.
    CONSTRAINT campaigns_valid_until_after_window CHECK (valid_until >= ends_at)
) WITH (fillfactor = 70);

-- GET /api/coupons: campaigns whose window is still open.
CREATE INDEX campaigns_ends_at_idx ON coupons.campaigns (ends_at);

-- One member's copy of a campaign's coupon. EXPIRED is not stored: an AVAILABLE coupon past expires_at
-- reads as EXPIRED, so expiry needs no sweeper and a restored coupon expires on its original date.
CREATE TABLE coupons.issued_coupons (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  bigint      NOT NULL REFERENCES coupons.campaigns (id),
    member_id    bigint      NOT NULL,
    status       text        NOT NULL CHECK (status IN ('AVAILABLE', 'USED')),
    issued_at    timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    order_id     bigint,
    used_at      timestamptz,
    -- One coupon per member per campaign, whatever races IssueCoupon sees.
    CONSTRAINT issued_coupons_one_per_member UNIQUE (campaign_id, member_id),
    CONSTRAINT issued_coupons_expiry_after_issue CHECK (expires_at > issued_at),
    CONSTRAINT issued_coupons_used_by_an_order CHECK ((status = 'USED') = (order_id IS NOT NULL)),
    CONSTRAINT issued_coupons_used_at_iff_used CHECK ((status = 'USED') = (used_at IS NOT NULL)),
    CONSTRAINT issued_coupons_used_after_issue CHECK (used_at >= issued_at)
);

-- A member's coupons, newest first, and the order flows' lookups by member.
CREATE INDEX issued_coupons_member_idx ON coupons.issued_coupons (member_id, id);
