CREATE SCHEMA catalog;

-- What the shop sells. The order flows lock these rows (FOR UPDATE, ascending id) to read status and
-- price and to move stock: step 3 of the global lock order. The limits mirror CatalogLimits; the code
-- checks them first so a client sees a 400, and these checks keep any other writer honest.
CREATE TABLE catalog.products (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description  text        NOT NULL CHECK (char_length(description) <= 2000),
    price        bigint      NOT NULL CHECK (price BETWEEN 1 AND 100000000),
    -- int: a restock may not take it past 1,000,000,000 (checked in code), which leaves headroom
    -- below 2^31 for releases of stock reserved before that restock.
    stock        int         NOT NULL CHECK (stock >= 0),
    status       text        NOT NULL CHECK (status IN ('ON_SALE', 'DISCONTINUED')),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- GET /api/products?status=…, newest first.
CREATE INDEX products_status_idx ON catalog.products (status, id);

-- Units sold in paid orders, per UTC day and product: what popular products read, so the query sums at
-- most days × products rows however many order lines there were. A product's rows are only written while
-- that product's row is locked, so they add no hot row of their own to the order path.
CREATE TABLE catalog.product_sales_daily (
    day         date   NOT NULL,
    product_id  bigint NOT NULL REFERENCES catalog.products (id),
    units       bigint NOT NULL CHECK (units >= 0),
    PRIMARY KEY (day, product_id)
);
