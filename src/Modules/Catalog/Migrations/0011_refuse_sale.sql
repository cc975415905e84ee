-- A sale sent with the COMMIT (IProductStock.SellOrRaise) cannot have its outcome read before the COMMIT runs, so a line
-- it cannot sell must stop the batch as an error (see Points' 0002 for the shape the pipeline turns back into the 409
-- problem): discontinued and short with the text and extensions ProductStock words them with. A product whose price or
-- name (what the order was priced from, read without a lock) changed before the lock, or that is gone, raises CMSTL
-- instead: the pipeline retries the whole command, which reads the product again and answers from what it finds.
-- Numbered 0011 (issue 11) so it cannot collide with another branch's next catalog migration; versions only need to grow.
-- reason: 1 gone, 2 discontinued, 3 short, 4 changed (the order in which SellOrRaise reports them).
CREATE FUNCTION catalog.refuse_sale(reason int, product_id bigint, requested int, available int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF reason = 2 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'CM409',
            MESSAGE = 'PRODUCT_DISCONTINUED',
            HINT = json_build_object(
                'detail', format('Product %s is no longer on sale.', product_id),
                'productId', product_id)::text;
    ELSIF reason = 3 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'CM409',
            MESSAGE = 'OUT_OF_STOCK',
            HINT = json_build_object(
                'detail', format('Product %s has %s in stock; %s were requested.', product_id, available, requested),
                'productId', product_id,
                'requested', requested,
                'available', available)::text;
    ELSE
        RAISE EXCEPTION USING
            ERRCODE = 'CMSTL',
            MESSAGE = format('Product %s changed after the order read it; read it again.', product_id);
    END IF;
END
$$;
