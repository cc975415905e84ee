-- Marking coupons USED with the COMMIT (ICouponRedemption.MarkUsedOrRaise) cannot have its outcome read before the COMMIT
-- runs, so a coupon it could not mark stops the batch as an error the pipeline turns back into the 422 problem
-- (BuildingBlocks, Errors/DatabaseRefusal.cs: SQLSTATE CM422, MESSAGE the code, HINT the problem as json), worded as
-- ICouponRedemption.MarkUsedAsync words it. Numbered 0011 (issue 11) so it cannot collide with another branch's next
-- coupons migration; versions only need to grow.
CREATE FUNCTION coupons.raise_coupon_not_usable(coupon_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'CM422',
        MESSAGE = 'COUPON_NOT_USABLE',
        HINT = json_build_object(
            'detail', format('Coupon %s cannot be used: it is not an available, unexpired coupon.', coupon_id),
            'couponId', coupon_id)::text;
END
$$;
