-- Fleets (cluster groups), permission policies (rules), their attachments to clusters and fleets,
-- and the Kubernetes RBAC rendered for each cluster from them.

CREATE TABLE fleets (
    id                  TEXT PRIMARY KEY,
    domain_id           TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    dns_suffix          TEXT NOT NULL DEFAULT '[]',
    federation          TEXT NOT NULL DEFAULT 'none'
                        CHECK (federation IN ('none', 'enabling', 'enabled', 'disabling', 'failed')),
    federation_id       TEXT NOT NULL DEFAULT '',
    federation_version  TEXT NOT NULL DEFAULT '',
    federation_message  TEXT NOT NULL DEFAULT '',
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE rules (
    id            TEXT PRIMARY KEY,
    domain_id     TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    rule_type     TEXT NOT NULL,
    iam_user_ids  TEXT NOT NULL DEFAULT '[]',
    contents      TEXT NOT NULL DEFAULT '[]',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

-- A rule attached to a cluster or a fleet, for some namespaces ("*": all).
CREATE TABLE rule_attachments (
    rule_id      TEXT NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    target_kind  TEXT NOT NULL CHECK (target_kind IN ('cluster', 'fleet')),
    target_id    TEXT NOT NULL,
    domain_id    TEXT NOT NULL,
    namespaces   TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (rule_id, target_kind, target_id)
);
CREATE INDEX rule_attachments_by_target ON rule_attachments(target_kind, target_id);

-- The RBAC objects rendered for a cluster, recomputed in every transaction that changes their inputs.
CREATE TABLE cluster_rbac (
    cluster_id  TEXT PRIMARY KEY REFERENCES clusters(id) ON DELETE CASCADE,
    domain_id   TEXT NOT NULL,
    objects     TEXT NOT NULL DEFAULT '[]',
    updated_at  BIGINT NOT NULL
);
