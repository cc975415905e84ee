-- Login attempts per email (as typed, lower-cased, whether or not an account has it) and client address.
-- Keyed by the typed email so an unknown address behaves exactly like a known one, and by client so an
-- attacker who fails five times locks the account only for their own address.
CREATE TABLE members.login_attempts (
    email           text        NOT NULL,
    client          text        NOT NULL,
    failures        int         NOT NULL CHECK (failures > 0),
    counting_since  timestamptz NOT NULL,
    locked_until    timestamptz,
    PRIMARY KEY (email, client)
);
