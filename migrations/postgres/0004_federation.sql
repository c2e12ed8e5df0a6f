-- Federation workflows: sub-jobs are ordered step records of their parent workflow job (only parents
-- are claimed), with their own start and finish times; each federated fleet keeps its control plane's
-- facts and CA; the simulated provider records every side effect once per idempotency key.

ALTER TABLE jobs ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN started_at BIGINT;
ALTER TABLE jobs ADD COLUMN finished_at BIGINT;
DROP INDEX jobs_runnable;
CREATE INDEX jobs_runnable ON jobs(run_at) WHERE state = 'pending' AND parent_id IS NULL;

CREATE TABLE fleet_federations (
    fleet_id        TEXT PRIMARY KEY REFERENCES fleets(id) ON DELETE CASCADE,
    domain_id       TEXT NOT NULL,
    ca_cert_pem     TEXT NOT NULL DEFAULT '',
    -- The federation CA's private key, sealed with AES-256-GCM.
    ca_key_sealed   TEXT NOT NULL DEFAULT '',
    api_endpoint    TEXT NOT NULL DEFAULT '',
    elb_id          TEXT NOT NULL DEFAULT '',
    connection_id   TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE provider_effects (
    idempotency_key  TEXT PRIMARY KEY,
    effect           TEXT NOT NULL,
    resource_id      TEXT NOT NULL,
    detail           TEXT NOT NULL DEFAULT '{}',
    -- How often the effect was asked for: more than once after a crash or a retry, carried out once.
    calls            BIGINT NOT NULL DEFAULT 1,
    created_at       BIGINT NOT NULL
);
