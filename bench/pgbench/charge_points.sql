-- ChargePoints with an Idempotency-Key, statement for statement and round trip for round trip as the pipeline and
-- src/Modules/Points/Features/ChargePoints/ChargePoints.cs send them, three round trips: BEGIN with the idempotency
-- key claim (Npgsql sends its BEGIN with the first statement); the charge (create or lock the wallet, check the limit,
-- new balance and ledger entry: one statement); the outbox row, the stored response and COMMIT in one batch
-- (DbSession.BeforeCommit). No SET LOCAL: the app's connections carry the lock and statement timeouts from the moment
-- they open (ConnectionStringDefaults), which costs no statement; pgbench's run without them, as no lock waits long here.
-- Variables: first_member, last_member.
\set member random(:first_member, :last_member)
\set key random(1, 2000000000)
BEGIN \;
INSERT INTO platform.idempotency_keys (member_id, key, request_type, request_hash, created_at)
VALUES (:member::bigint, 'pgbench-' || :key::bigint, 'ChargePoints', sha256('pgbench'::bytea), now())
ON CONFLICT (member_id, key) DO NOTHING;
WITH wallet AS (
    INSERT INTO points.wallets AS w (member_id, balance, updated_at)
    SELECT :member::bigint, 1000, now() WHERE 1000 <= 10000000
    ON CONFLICT (member_id) DO UPDATE SET balance = w.balance + excluded.balance, updated_at = excluded.updated_at
    WHERE w.balance + excluded.balance <= 10000000
    RETURNING w.balance
), entry AS (
    INSERT INTO points.ledger (member_id, type, amount, balance_after, reference, created_at)
    SELECT :member::bigint, 'CHARGE', 1000, balance, NULL, now() FROM wallet
    RETURNING id, balance_after
)
SELECT id AS ledger_entry_id, balance_after FROM entry;
INSERT INTO platform.outbox (id, stream_id, type, version, occurred_at, payload)
SELECT * FROM unnest(ARRAY[gen_random_uuid()], ARRAY['member-' || :member::bigint], ARRAY['PointsCharged'], ARRAY[1], ARRAY[now()],
                     ARRAY['{"memberId": 1,"ledgerEntryId": 1,"amount": 1000,"balance": 5001000,"chargedAt": "2025-01-01T00\u003a00\u003a00.000000+00\u003a00","streamId": "member-1","version": 1}']::jsonb[]) \;
UPDATE platform.idempotency_keys SET response = '{"ledgerEntryId": 1,"amount": 1000,"balance": 5001000,"chargedAt": "2025-01-01T00\u003a00\u003a00.000000+00\u003a00"}'::jsonb
WHERE member_id = :member::bigint AND key = 'pgbench-' || :key::bigint \;
COMMIT;
