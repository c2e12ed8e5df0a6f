-- Registered clusters, and each tenant's certificate authority (for the kubeconfigs ucsd issues).

CREATE TABLE clusters (
    id                  TEXT PRIMARY KEY,
    domain_id           TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    category            TEXT NOT NULL,
    cluster_type        TEXT NOT NULL,
    provider            TEXT NOT NULL,
    country             TEXT NOT NULL,
    city                TEXT NOT NULL,
    region              TEXT NOT NULL,
    project_id          TEXT NOT NULL,
    manage_type         TEXT NOT NULL CHECK (manage_type IN ('grouped', 'discrete')),
    fleet_id            TEXT,
    labels              TEXT NOT NULL DEFAULT '{}',
    annotations         TEXT NOT NULL DEFAULT '{}',
    -- The attached cluster's kubeconfig, sealed with AES-256-GCM; never returned by a read.
    kubeconfig_sealed   TEXT,
    api_endpoint        TEXT NOT NULL DEFAULT '',
    kubernetes_version  TEXT NOT NULL DEFAULT '',
    phase               TEXT NOT NULL,
    reason              TEXT NOT NULL DEFAULT '',
    message             TEXT NOT NULL DEFAULT '',
    cert_downloaded     INTEGER NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);
CREATE INDEX clusters_by_fleet ON clusters(fleet_id);
CREATE INDEX clusters_by_domain_created ON clusters(domain_id, created_at);

CREATE TABLE tenant_cas (
    domain_id    TEXT PRIMARY KEY REFERENCES domains(id) ON DELETE CASCADE,
    cert_pem     TEXT NOT NULL,
    -- The CA's private key, sealed with AES-256-GCM.
    key_sealed   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
