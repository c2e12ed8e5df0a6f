//! What the platform operator sees across tenants (the console's operator pages): every tenant with
//! what it uses, in one statement.

use chrono::{DateTime, Utc};
use domain::{ids::DomainId, Result};

use crate::{
    sql::{boolean, instant, int, map_db_err, parsed, text},
    Store,
};

/// One tenant and its use of the platform.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TenantUsage {
    pub domain_id: DomainId,
    pub name: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub users: i64,
    pub clusters: i64,
    pub fleets: i64,
    pub federations: i64,
    pub rules: i64,
    pub cce_clusters: i64,
    /// Workflows and single jobs not ended (steps not counted).
    pub open_jobs: i64,
    pub failed_jobs: i64,
}

impl Store {
    /// Every tenant with its usage, oldest tenant first.
    pub async fn tenant_usage_list(&self) -> Result<Vec<TenantUsage>> {
        let rows = sqlx::query(
            "SELECT d.id, d.name, d.enabled, d.created_at,
                (SELECT COUNT(*) FROM users u WHERE u.domain_id = d.id) AS users,
                (SELECT COUNT(*) FROM clusters c WHERE c.domain_id = d.id) AS clusters,
                (SELECT COUNT(*) FROM fleets f WHERE f.domain_id = d.id) AS fleets,
                (SELECT COUNT(*) FROM fleets f WHERE f.domain_id = d.id AND f.federation <> 'none') AS federations,
                (SELECT COUNT(*) FROM rules r WHERE r.domain_id = d.id) AS rules,
                (SELECT COUNT(*) FROM cce_clusters k WHERE k.domain_id = d.id) AS cce_clusters,
                (SELECT COUNT(*) FROM jobs j WHERE j.domain_id = d.id AND j.parent_id IS NULL
                    AND j.state IN ('pending', 'running', 'paused')) AS open_jobs,
                (SELECT COUNT(*) FROM jobs j WHERE j.domain_id = d.id AND j.parent_id IS NULL
                    AND j.state = 'failed') AS failed_jobs
             FROM domains d ORDER BY d.created_at, d.name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter()
            .map(|row| {
                Ok(TenantUsage {
                    domain_id: parsed(row, "id")?,
                    name: text(row, "name")?,
                    enabled: boolean(row, "enabled")?,
                    created_at: instant(row, "created_at")?,
                    users: int(row, "users")?,
                    clusters: int(row, "clusters")?,
                    fleets: int(row, "fleets")?,
                    federations: int(row, "federations")?,
                    rules: int(row, "rules")?,
                    cce_clusters: int(row, "cce_clusters")?,
                    open_jobs: int(row, "open_jobs")?,
                    failed_jobs: int(row, "failed_jobs")?,
                })
            })
            .collect()
    }
}
