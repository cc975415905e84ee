CREATE SCHEMA points;

-- One row per member, created by the first charge; locked (FOR UPDATE) by every change.
CREATE TABLE points.wallets (
    member_id   bigint      PRIMARY KEY,
    balance     bigint      NOT NULL CHECK (balance >= 0),
    updated_at  timestamptz NOT NULL
);

-- Every change of a balance, signed: CHARGE and REFUND add, USE subtracts. The sum of a member's
-- entries always equals the wallet's balance.
CREATE TABLE points.ledger (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id      bigint      NOT NULL REFERENCES points.wallets (member_id),
    type           text        NOT NULL CHECK (type IN ('CHARGE', 'USE', 'REFUND')),
    amount         bigint      NOT NULL CHECK ((type = 'USE') = (amount < 0) AND amount <> 0),
    balance_after  bigint      NOT NULL CHECK (balance_after >= 0),
    reference      text,
    created_at     timestamptz NOT NULL
);

CREATE INDEX ledger_member_idx ON points.ledger (member_id, id DESC);
