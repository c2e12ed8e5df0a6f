-- Identity, audit and jobs: the foundation every resource stands on.
-- SQLite keeps booleans as INTEGER 0/1 (sqlx's Any driver cannot decode its BOOLEAN type).
-- Instants are BIGINT milliseconds since the epoch and ids are TEXT, the same on both backends.

CREATE TABLE domains (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL
);

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);
CREATE INDEX projects_by_name ON projects(name);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    domain_id      TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    enabled        INTEGER NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE user_roles (
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- The secret key is sealed with AES-256-GCM (the server's master key); never stored in the clear.
CREATE TABLE access_keys (
    access_key   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    domain_id    TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    secret_enc   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
    description  TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);
CREATE INDEX access_keys_by_user ON access_keys(user_id);

CREATE TABLE audit_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             BIGINT NOT NULL,
    domain_id      TEXT NOT NULL,
    user_id        TEXT,
    request_id     TEXT NOT NULL,
    action         TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT,
    outcome        TEXT NOT NULL
);
CREATE INDEX audit_events_by_domain ON audit_events(domain_id, id);

CREATE TABLE jobs (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    domain_id         TEXT NOT NULL,
    resource_type     TEXT NOT NULL,
    resource_id       TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('pending', 'running', 'paused', 'succeeded', 'failed', 'cancelled')),
    cursor            TEXT NOT NULL DEFAULT 'null',
    attempts          BIGINT NOT NULL DEFAULT 0,
    max_attempts      BIGINT NOT NULL,
    run_at            BIGINT NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  BIGINT,
    parent_id         TEXT REFERENCES jobs(id) ON DELETE CASCADE,
    exclusive_key     TEXT,
    signal            TEXT,
    last_error        TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX jobs_runnable ON jobs(run_at) WHERE state = 'pending';
CREATE INDEX jobs_leased ON jobs(lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_by_resource ON jobs(resource_type, resource_id);
CREATE INDEX jobs_by_parent ON jobs(parent_id);
-- At most one unfinished job per exclusive key (one federation workflow per fleet, one upgrade per cluster).
CREATE UNIQUE INDEX jobs_one_active_per_key ON jobs(exclusive_key)
    WHERE exclusive_key IS NOT NULL AND state IN ('pending', 'running', 'paused');
