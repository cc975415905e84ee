-- Checkout (Flow B) of one unit with no coupon, written the naive way: statement for statement in the order of the
-- seed's diagram (/work/shared/seeds/001_*.txt, seeds/README.md Flow B step 2), one round trip each, the checks in the
-- client between them (here \gset; pgbench's stock and wallets never run short, so every check passes):
-- BEGIN (sent with the first statement, as Npgsql does; the timeouts are the connection's own); the product's
-- information (no lock, 2.2); its sale status, locked (2.3: ON_SALE?); the stock decremented (2.4: enough?); the price, under the lock (2.5); no coupon to apply or mark
-- (2.1, 2.6, 2.7: "couponIds": []); the wallet locked (2.8: balance >= total?), updated, its ledger entry; then the
-- records the product keeps of a paid order: the order, its line, the payment; COMMIT (3). The data platform hears
-- of it after the commit (4), outside the transaction: no statement here. The product lock is held from the sale
-- status's SELECT ... FOR UPDATE to COMMIT: ten round trips.
-- Hot product: first_product = last_product. Variables: first_product, last_product, first_member, last_member.
-- Every variable is cast (::bigint) and no string holds a colon, so the script also runs with -M prepared.
\set product random(:first_product, :last_product)
\set member random(:first_member, :last_member)
BEGIN \;
SELECT id, name FROM catalog.products WHERE id = :product::bigint
\gset
SELECT status FROM catalog.products WHERE id = :product::bigint FOR UPDATE
\gset
UPDATE catalog.products SET stock = stock - 1, updated_at = now() WHERE id = :product::bigint AND stock >= 1 RETURNING stock
\gset
SELECT price FROM catalog.products WHERE id = :product::bigint FOR UPDATE
\gset
SELECT balance FROM points.wallets WHERE member_id = :member::bigint FOR UPDATE
\gset
UPDATE points.wallets SET balance = balance - :price::bigint, updated_at = now() WHERE member_id = :member::bigint RETURNING balance AS balance_after
\gset
INSERT INTO points.ledger (member_id, type, amount, balance_after, reference, created_at)
VALUES (:member::bigint, 'USE', -:price::bigint, :balance_after::bigint, 'order', now()) RETURNING id AS ledger_id
\gset
INSERT INTO orders.orders (member_id, status, flow, subtotal, discount, total, order_coupon_id, order_discount,
                           coupon_ids, payment_deadline, created_at, updated_at, paid_at)
VALUES (:member::bigint, 'PAID', 'CHECKOUT', :price::bigint, 0, :price::bigint, NULL, 0, '{}', NULL, now(), now(), now())
RETURNING id AS order_id
\gset
INSERT INTO orders.order_lines (order_id, product_id, product_name, quantity, unit_price, discount, coupon_id, amount)
VALUES (:order_id::bigint, :product::bigint, 'pgbench product', 1, :price::bigint, 0, NULL, :price::bigint);
INSERT INTO orders.payments (id, order_id, member_id, method, amount, status, idempotency_key, points_ledger_id, created_at, completed_at)
VALUES (gen_random_uuid(), :order_id::bigint, :member::bigint, 'POINTS', :price::bigint, 'APPROVED', NULL, :ledger_id::bigint, now(), now());
COMMIT;
