-- IssueCoupon exactly as src/Modules/Coupons/Features/IssueCoupon/IssueCoupon.cs sends it: the claim in one round
-- trip and one implicit transaction, so the campaign row lock is released inside the server when the statement
-- commits (the timeouts are the connection's own, as the app's pooled connections carry them from the moment they
-- open). @Now is now(); the campaign never sells out.
-- Variables: campaign.
\set member random(1, 2000000000)
WITH seen AS MATERIALIZED (
    SELECT c.starts_at, c.ends_at,
           c.starts_at <= now() AND now() < c.ends_at AS open,
           c.issued_count < c.total_quantity AS has_left,
           EXISTS (SELECT FROM coupons.issued_coupons i WHERE i.campaign_id = c.id AND i.member_id = :member::bigint) AS already_issued
    FROM coupons.campaigns c WHERE c.id = :campaign::bigint
), campaign AS MATERIALIZED (
    SELECT id, name, discount_type, discount_value, max_discount, target, product_id, min_order_amount, total_quantity,
           starts_at <= now() AND now() < ends_at AS open,
           issued_count < total_quantity AS has_left,
           coalesce(valid_until, now() + valid_days * interval '24 hours') AS expires_at
    FROM coupons.campaigns
    WHERE id = :campaign::bigint AND (SELECT open AND has_left AND NOT already_issued FROM seen)
    FOR UPDATE
), issued AS (
    INSERT INTO coupons.issued_coupons (campaign_id, member_id, status, issued_at, expires_at)
    SELECT id, :member::bigint, 'AVAILABLE', now(), expires_at FROM campaign WHERE open AND has_left
    ON CONFLICT (campaign_id, member_id) DO NOTHING
    RETURNING id, issued_at, expires_at
), counted AS (
    UPDATE coupons.campaigns SET issued_count = issued_count + 1
    WHERE id = :campaign::bigint AND EXISTS (SELECT FROM issued)
    RETURNING issued_count
)
SELECT coalesce(c.open, s.open) AS open, coalesce(c.has_left, s.has_left) AS has_left, s.starts_at, s.ends_at,
       n.issued_count >= c.total_quantity AS sold_out_now,
       i.id, c.id AS campaign_id, c.name, c.discount_type, c.discount_value, c.max_discount, c.target,
       c.product_id, c.min_order_amount, i.issued_at, i.expires_at
FROM seen s LEFT JOIN campaign c ON true LEFT JOIN issued i ON true LEFT JOIN counted n ON true;
