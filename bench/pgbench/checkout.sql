-- Checkout (Flow B) of one unit with "couponIds": [] (no coupon lock), statement for statement and round trip for
-- round trip as src/Modules/Orders/Features/Checkout/Checkout.cs sends them: two round trips.
--  1. Before any lock (one batch): BEGIN (Npgsql sends it with the first statement), the new order's id
--     (NewOrder.NextId), the products as committed, without a lock (IProductReader.Read). The handler prices the order
--     from that read; here the price is :price and every product is named 'pgbench product' (the harness names them so).
--  2. The COMMIT's batch (DbSession.BeforeCommit): the products locked, checked against what was read, taken and their
--     daily figures added (IProductStock.SellOrRaise), the order and its line (NewOrder.Insert), the wallet locked and the
--     points deducted, raising when short (IPointWallet.DeductOrRaise), the payment, whose ledger id is lastval(), the
--     outbox row, COMMIT.
-- The handler names the order in step 2 with the id it read in step 1; a \gset would cost pgbench's prepared mode a
-- round trip per statement of step 1 (a group a \gset reads cannot be pipelined), so step 2 takes the same value from
-- currval() of the order sequence instead. No SET LOCAL: the app's connections carry the lock and statement timeouts
-- from the moment they open. The order JSON is a fixed document of the real one's size.
-- Hot product: first_product = last_product. Variables: first_product, last_product, first_member, last_member, price.
-- Every variable is cast (::bigint) and the JSON has no colon before a letter or digit (a space, or \u003a inside
-- strings), so the script also runs with -M prepared, where the harness sends each joined group as one pipeline.
\set product random(:first_product, :last_product)
\set member random(:first_member, :last_member)
BEGIN \;
SELECT nextval(pg_get_serial_sequence('orders.orders', 'id')) \;
SELECT id, name, status, price, stock FROM catalog.products WHERE id = ANY(ARRAY[:product::bigint]::bigint[]) ORDER BY id;
WITH locked AS MATERIALIZED (
    SELECT id, name, status, price, stock FROM catalog.products
    WHERE id = ANY(ARRAY[:product::bigint]::bigint[]) ORDER BY id FOR UPDATE
), lines AS (
    SELECT l.ord, l.id, l.quantity, k.stock,
           CASE WHEN k.id IS NULL THEN 1
                WHEN k.status <> 'ON_SALE' THEN 2
                WHEN k.stock < l.quantity THEN 3
                WHEN k.price <> l.price OR k.name <> l.name THEN 4
           END AS refusal
    FROM unnest(ARRAY[:product::bigint]::bigint[], ARRAY[1], ARRAY[:price::bigint]::bigint[], ARRAY['pgbench product'])
             WITH ORDINALITY AS l(id, quantity, price, name, ord)
         LEFT JOIN locked k ON k.id = l.id
), taken AS (
    UPDATE catalog.products p SET stock = l.stock - l.quantity, updated_at = now()
    FROM lines l
    WHERE p.id = l.id AND NOT EXISTS (SELECT FROM lines WHERE refusal IS NOT NULL)
    RETURNING p.id, l.quantity
), recorded AS (
    INSERT INTO catalog.product_sales_daily (day, product_id, units)
    SELECT (now() AT TIME ZONE 'UTC')::date, t.id, t.quantity FROM taken t
    ON CONFLICT (day, product_id) DO UPDATE SET units = product_sales_daily.units + excluded.units
)
SELECT catalog.refuse_sale(f.refusal, f.id, f.quantity, f.stock)
FROM (SELECT * FROM lines WHERE refusal IS NOT NULL ORDER BY refusal, ord LIMIT 1) f
WHERE NOT EXISTS (SELECT FROM taken) \;
WITH new_order AS (
    INSERT INTO orders.orders (id, member_id, status, flow, subtotal, discount, total, order_coupon_id, order_discount,
                               coupon_ids, payment_deadline, created_at, updated_at, paid_at)
    OVERRIDING SYSTEM VALUE
    VALUES (coalesce(currval('orders.orders_id_seq'), nextval(pg_get_serial_sequence('orders.orders', 'id'))), :member::bigint, 'PAID', 'CHECKOUT',
            :price::bigint, 0, :price::bigint - 0, NULL, 0, '{}', NULL, now(), now(), now())
    RETURNING id
), new_lines AS (
    INSERT INTO orders.order_lines (order_id, product_id, product_name, quantity, unit_price, discount, coupon_id, amount)
    SELECT new_order.id, l.product_id, l.product_name, l.quantity, l.unit_price, l.discount, l.coupon_id, l.amount
    FROM new_order,
         unnest(ARRAY[:product::bigint]::bigint[], ARRAY['pgbench product'], ARRAY[1], ARRAY[:price::bigint]::bigint[], ARRAY[0]::bigint[],
                ARRAY[NULL]::bigint[], ARRAY[:price::bigint]::bigint[])
             AS l(product_id, product_name, quantity, unit_price, discount, coupon_id, amount)
)
SELECT id FROM new_order \;
WITH wallet AS MATERIALIZED (
    SELECT balance FROM points.wallets WHERE member_id = :member::bigint FOR UPDATE
), deducted AS (
    UPDATE points.wallets w SET balance = locked.balance - :price::bigint, updated_at = now()
    FROM wallet locked
    WHERE w.member_id = :member::bigint AND locked.balance >= :price::bigint
    RETURNING w.balance
), entry AS (
    INSERT INTO points.ledger (member_id, type, amount, balance_after, reference, created_at)
    SELECT :member::bigint, 'USE', -:price::bigint, balance, 'order-' || currval('orders.orders_id_seq'), now() FROM deducted
    RETURNING id, balance_after
)
SELECT points.raise_insufficient_points(coalesce((SELECT balance FROM wallet), 0), :price::bigint)
WHERE NOT EXISTS (SELECT FROM entry) \;
INSERT INTO orders.payments (id, order_id, member_id, method, amount, status, idempotency_key, points_ledger_id, created_at, completed_at)
VALUES (gen_random_uuid(), currval('orders.orders_id_seq'), :member::bigint, 'POINTS', :price::bigint, 'APPROVED', NULL, CASE WHEN true THEN lastval() END, now(), now()) \;
INSERT INTO platform.outbox (id, stream_id, type, version, occurred_at, payload)
SELECT * FROM unnest(ARRAY[gen_random_uuid()], ARRAY['order-' || currval('orders.orders_id_seq')], ARRAY['OrderPaid'], ARRAY[1], ARRAY[now()],
                     ARRAY['{"order": {"id": 1,"memberId": 1,"status": "PAID","flow": "CHECKOUT","lines": [{"productId": 1,"productName": "pgbench product","quantity": 1,"unitPrice": 1000,"discount": 0,"couponId": null,"amount": 1000}],"subtotal": 1000,"discount": 0,"total": 1000,"orderCouponId": null,"orderDiscount": 0,"couponIds": [],"paymentDeadline": null,"createdAt": "2025-01-01T00\u003a00\u003a00.000000+00\u003a00","paidAt": "2025-01-01T00\u003a00\u003a00.000000+00\u003a00","payment": {"id": "01940000-0000-7000-8000-000000000000","method": "POINTS","status": "APPROVED","amount": 1000,"failureCode": null,"failureReason": null,"createdAt": "2025-01-01T00\u003a00\u003a00.000000+00\u003a00","completedAt": "2025-01-01T00\u003a00\u003a00.000000+00\u003a00"}},"streamId": "order-1","version": 1}']::jsonb[]) \;
COMMIT;
