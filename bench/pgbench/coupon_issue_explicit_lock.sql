-- IssueCoupon written the classic way, as an explicit transaction holding the campaign row lock across round
-- trips: BEGIN with the SELECT ... FOR UPDATE (one round trip, as Npgsql sends a BEGIN with the first statement),
-- UPDATE, INSERT, COMMIT (the timeouts are the connection's own, as the app's). The checks are the handler's (window
-- open, coupons left, member has none yet).
-- The campaign never sells out (pgbench runs for a fixed time); a rare repeated random member inserts nothing.
-- Variables: campaign.
\set member random(1, 2000000000)
BEGIN \;
SELECT c.starts_at <= now() AND now() < c.ends_at AS open,
       c.issued_count < c.total_quantity AS has_left,
       EXISTS (SELECT FROM coupons.issued_coupons i WHERE i.campaign_id = c.id AND i.member_id = :member::bigint) AS already_issued,
       coalesce(c.valid_until, now() + c.valid_days * interval '24 hours') AS expires_at
FROM coupons.campaigns c WHERE c.id = :campaign::bigint FOR UPDATE;
UPDATE coupons.campaigns SET issued_count = issued_count + 1 WHERE id = :campaign::bigint;
INSERT INTO coupons.issued_coupons (campaign_id, member_id, status, issued_at, expires_at)
VALUES (:campaign::bigint, :member::bigint, 'AVAILABLE', now(), now() + interval '30 days')
ON CONFLICT (campaign_id, member_id) DO NOTHING;
COMMIT;
