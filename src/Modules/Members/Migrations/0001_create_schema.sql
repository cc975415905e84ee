CREATE SCHEMA members;

CREATE TABLE members.members (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          text        NOT NULL,
    name           text        NOT NULL,
    password_hash  text        NOT NULL,
    role           text        NOT NULL CHECK (role IN ('member', 'admin')),
    status         text        NOT NULL CHECK (status IN ('ACTIVE', 'DISABLED')),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

-- One account per address, whatever its case.
CREATE UNIQUE INDEX members_email_key ON members.members (lower(email));
