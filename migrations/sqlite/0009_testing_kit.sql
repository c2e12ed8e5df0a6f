-- ucsd's testing tools (testing.enabled only): fault rules a tenant injects at run time, and the
-- journal of its requests. Both belong to a tenant and go with it.

-- A fault rule: what it matches and what it does (`spec`, JSON as the API takes it), how often it may
-- still fire (`remaining`, NULL: unlimited) and how often it did.
CREATE TABLE testing_faults (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    -- 'request' (matched by the API) or 'step' (matched by the simulator).
    target      TEXT NOT NULL CHECK (target IN ('request', 'step')),
    spec        TEXT NOT NULL,
    remaining   BIGINT,
    fired       BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);
CREATE INDEX testing_faults_by_domain ON testing_faults(domain_id, target, created_at);

-- One request of a tenant (kind 'request') or one use of a step fault (kind 'step'); the body with
-- its secrets redacted before it is written.
CREATE TABLE testing_journal (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id    TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('request', 'step')),
    at           BIGINT NOT NULL,
    operation    TEXT,
    method       TEXT,
    path         TEXT NOT NULL,
    route        TEXT,
    query        TEXT,
    status       BIGINT,
    error_code   TEXT,
    duration_ms  BIGINT,
    request_id   TEXT,
    fault_id     TEXT,
    body         TEXT
);
CREATE INDEX testing_journal_by_domain ON testing_journal(domain_id, id);
