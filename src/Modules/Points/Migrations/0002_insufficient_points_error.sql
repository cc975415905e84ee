-- A deduction sent with the COMMIT (IPointWallet.DeductOrRaise) cannot have its outcome read before the COMMIT runs, so a
-- short balance must stop the batch as an error: the server then skips the rest of it, COMMIT included. The error has
-- the shape the pipeline turns back into the 409 problem (BuildingBlocks, Errors/DatabaseRefusal.cs): SQLSTATE CM409,
-- MESSAGE the problem's code, HINT the problem as a json object (not jsonb: its members keep their order), its text
-- worded as IPointWallet.DeductAsync words it. Not DETAIL: Npgsql redacts it unless told to include error details.
CREATE FUNCTION points.raise_insufficient_points(balance bigint, required bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'CM409',
        MESSAGE = 'INSUFFICIENT_POINTS',
        HINT = json_build_object(
            'detail', format('The order needs %s points; the balance is %s.', required, balance),
            'balance', balance,
            'required', required)::text;
END
$$;
