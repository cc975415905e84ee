CREATE SCHEMA carts;

-- A guest's cart (token_hash) or a member's (member_id), never both. A guest's cart id is a random secret handed to
-- the guest once; only its SHA-256 is stored, so the table alone opens no cart.
CREATE TABLE carts.carts (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash  bytea       UNIQUE,
    member_id   bigint      UNIQUE,
    created_at  timestamptz NOT NULL,
    -- The last change: the expiry job deletes carts nobody changed for the configured lifetime.
    updated_at  timestamptz NOT NULL,
    CHECK ((token_hash IS NULL) <> (member_id IS NULL))
);

CREATE INDEX carts_idle_idx ON carts.carts (updated_at);

CREATE TABLE carts.cart_lines (
    cart_id     bigint      NOT NULL REFERENCES carts.carts (id) ON DELETE CASCADE,
    product_id  bigint      NOT NULL,
    quantity    int         NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    added_at    timestamptz NOT NULL,
    PRIMARY KEY (cart_id, product_id)
);
