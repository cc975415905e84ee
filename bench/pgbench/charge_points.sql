-- ChargePoints with an Idempotency-Key, statement for statement and round trip for round trip as the pipeline and
-- src/Modules/Points/Features/ChargePoints/ChargePoints.cs send them: BEGIN + timeouts; the idempotency key claim;
-- ensure the wallet; lock it; update + ledger; the outbox row; the stored response; COMMIT.
-- Variables: first_member, last_member.
\set member random(:first_member, :last_member)
\set key random(1, 2000000000)
BEGIN \; SET LOCAL lock_timeout = 3000 \; SET LOCAL statement_timeout = 15000;
INSERT INTO platform.idempotency_keys (member_id, key, request_type, request_hash, created_at)
VALUES (:member::bigint, 'pgbench-' || :key::bigint, 'ChargePoints', sha256('pgbench'::bytea), now())
ON CONFLICT (member_id, key) DO NOTHING;
INSERT INTO points.wallets (member_id, balance, updated_at) VALUES (:member::bigint, 0, now())
ON CONFLICT (member_id) DO NOTHING;
SELECT balance FROM points.wallets WHERE member_id = :member::bigint FOR UPDATE
\gset
UPDATE points.wallets SET balance = :balance::bigint + 1000, updated_at = now() WHERE member_id = :member::bigint \;
INSERT INTO points.ledger (member_id, type, amount, balance_after, reference, created_at)
VALUES (:member::bigint, 'CHARGE', 1000, :balance::bigint + 1000, NULL, now())
RETURNING id;
INSERT INTO platform.outbox (id, stream_id, type, version, occurred_at, payload)
SELECT * FROM unnest(ARRAY[gen_random_uuid()], ARRAY['member-' || :member::bigint], ARRAY['PointsCharged'], ARRAY[1], ARRAY[now()],
                     ARRAY['{"memberId": 1,"ledgerEntryId": 1,"amount": 1000,"balance": 5001000,"chargedAt": "2025-01-01T00\u003a00\u003a00.000000+00\u003a00","streamId": "member-1","version": 1}']::jsonb[]);
UPDATE platform.idempotency_keys SET response = '{"ledgerEntryId": 1,"amount": 1000,"balance": 5001000,"chargedAt": "2025-01-01T00\u003a00\u003a00.000000+00\u003a00"}'::jsonb
WHERE member_id = :member::bigint AND key = 'pgbench-' || :key::bigint;
COMMIT;
