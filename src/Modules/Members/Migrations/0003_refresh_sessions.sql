-- Refresh-token rotation. A login starts a session (its id travels inside the tokens, with a generation: 0 from the
-- login, +1 per refresh). Only the newest generation may be exchanged; presenting an older one means a token was
-- copied, and the whole session is revoked. A row exists once a session has refreshed; it is deleted when its
-- newest refresh token has expired.
CREATE TABLE members.refresh_sessions (
    session_id  uuid        PRIMARY KEY,
    member_id   bigint      NOT NULL REFERENCES members.members (id),
    generation  int         NOT NULL CHECK (generation > 0),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

CREATE INDEX refresh_sessions_expires_at ON members.refresh_sessions (expires_at);
