-- Sessions of the web console (/console): a signed-in IAM user. The cookie carries a random token; only
-- its SHA-256 is kept here, so a copy of the database opens no session. The CSRF token of the session's
-- forms is random too and is no secret at rest (it is rendered into every form).
CREATE TABLE console_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    domain_id   TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_expiry ON console_sessions(expires_at);
