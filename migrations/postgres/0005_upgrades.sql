-- CCE and CCE Autopilot clusters and their upgrades: workflows guide an upgrade, tasks are the long
-- operations (each executed by one job, step by step), plans schedule Autopilot upgrades.

CREATE TABLE cce_clusters (
    id                TEXT PRIMARY KEY,
    domain_id         TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    project_id        TEXT NOT NULL,
    flavor            TEXT NOT NULL CHECK (flavor IN ('cce', 'autopilot')),
    name              TEXT NOT NULL,
    -- The full catalogue version, v1.28.15-r10.
    version           TEXT NOT NULL,
    phase             TEXT NOT NULL,
    -- metadata (less the name) and spec as sent, JSON.
    metadata          TEXT NOT NULL DEFAULT '{}',
    spec              TEXT NOT NULL DEFAULT '{}',
    -- The authenticating proxy's private key, sealed with AES-256-GCM; never returned.
    proxy_key_sealed  TEXT,
    node_pools        TEXT NOT NULL DEFAULT '[]',
    addons            TEXT NOT NULL DEFAULT '{}',
    job_id            TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (domain_id, flavor, name)
);
CREATE INDEX cce_clusters_by_domain ON cce_clusters(domain_id, flavor, created_at);

CREATE TABLE upgrade_workflows (
    id               TEXT PRIMARY KEY,
    domain_id        TEXT NOT NULL,
    cluster_id       TEXT NOT NULL REFERENCES cce_clusters(id) ON DELETE CASCADE,
    cluster_version  TEXT NOT NULL,
    target_version   TEXT NOT NULL,
    phase            TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
-- At most one unended workflow per cluster.
CREATE UNIQUE INDEX upgrade_workflows_one_open ON upgrade_workflows(cluster_id)
    WHERE phase NOT IN ('Success', 'Cancel');

CREATE TABLE upgrade_tasks (
    id               TEXT PRIMARY KEY,
    domain_id        TEXT NOT NULL,
    cluster_id       TEXT NOT NULL REFERENCES cce_clusters(id) ON DELETE CASCADE,
    workflow_id      TEXT REFERENCES upgrade_workflows(id) ON DELETE SET NULL,
    task_type        TEXT NOT NULL,
    status           TEXT NOT NULL,
    version          TEXT NOT NULL,
    target_version   TEXT NOT NULL,
    -- The request as sent (JSON), the steps to take (JSON array) and how many are done.
    request          TEXT NOT NULL DEFAULT '{}',
    steps            TEXT NOT NULL DEFAULT '[]',
    done_steps       BIGINT NOT NULL DEFAULT 0,
    -- Consecutive failures of the current step.
    failures         BIGINT NOT NULL DEFAULT 0,
    result           TEXT NOT NULL DEFAULT '{}',
    message          TEXT NOT NULL DEFAULT '',
    job_id           TEXT,
    started_at       BIGINT,
    finished_at      BIGINT,
    expires_at       BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX upgrade_tasks_by_cluster ON upgrade_tasks(cluster_id, task_type, created_at);
-- At most one unfinished cluster upgrade per cluster.
CREATE UNIQUE INDEX upgrade_tasks_one_cluster_upgrade ON upgrade_tasks(cluster_id)
    WHERE task_type = 'Cluster' AND status NOT IN ('Success', 'Failed');

CREATE TABLE upgrade_plans (
    id                   TEXT PRIMARY KEY,
    domain_id            TEXT NOT NULL,
    cluster_id           TEXT NOT NULL UNIQUE REFERENCES cce_clusters(id) ON DELETE CASCADE,
    cluster_version      TEXT NOT NULL,
    target_version       TEXT NOT NULL,
    not_before           BIGINT NOT NULL,
    not_after            BIGINT NOT NULL,
    not_before_deadline  BIGINT NOT NULL,
    phase                TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
