//! Registered clusters. Registration checks the tenant's cluster quota under a lock on the tenant's
//! row, so concurrent registrations (from any number of replicas) never overshoot it, and enqueues the
//! cluster's activation job in the same transaction.

use std::collections::BTreeMap;

use domain::{
    audit::{Actor, NewAuditEvent},
    cluster::{Cluster, ClusterPhase, ManageType, NewCluster},
    error::ucs,
    ids::{ClusterId, DomainId, FleetId},
    job::{JobKind, NewJob},
    Error, Result,
};
use sqlx::any::AnyRow;

use crate::{
    sql::{boolean, instant, map_db_err, opt_parsed, opt_text, parsed, text},
    Dialect, Store, Tx,
};

fn activation_key(id: ClusterId) -> String {
    format!("cluster-activation:{id}")
}

const COLUMNS: &str =
    "id, domain_id, name, category, cluster_type, provider, country, city, region, project_id,
    manage_type, fleet_id, labels, annotations, kubeconfig_sealed IS NOT NULL AS has_kubeconfig, api_endpoint,
    kubernetes_version, phase, reason, message, cert_downloaded, created_at, updated_at";

fn map_from_json(row: &AnyRow, col: &str) -> Result<BTreeMap<String, String>> {
    serde_json::from_str(&text(row, col)?).map_err(|e| Error::internal(format!("stored {col}: {e}")))
}

fn cluster_from_row(row: &AnyRow) -> Result<Cluster> {
    Ok(Cluster {
        id: parsed(row, "id")?,
        domain_id: parsed(row, "domain_id")?,
        name: text(row, "name")?,
        category: text(row, "category")?,
        cluster_type: text(row, "cluster_type")?,
        provider: text(row, "provider")?,
        country: text(row, "country")?,
        city: text(row, "city")?,
        region: text(row, "region")?,
        project_id: text(row, "project_id")?,
        manage_type: text(row, "manage_type")?.parse::<ManageType>()?,
        fleet_id: opt_parsed(row, "fleet_id")?,
        labels: map_from_json(row, "labels")?,
        annotations: map_from_json(row, "annotations")?,
        has_kubeconfig: boolean(row, "has_kubeconfig")?,
        api_endpoint: text(row, "api_endpoint")?,
        kubernetes_version: text(row, "kubernetes_version")?,
        phase: text(row, "phase")?.parse::<ClusterPhase>()?,
        reason: text(row, "reason")?,
        message: text(row, "message")?,
        cert_downloaded: boolean(row, "cert_downloaded")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

/// The quotas a registration checks.
#[derive(Debug, Clone, Copy)]
pub struct ClusterLimits {
    /// Clusters per tenant.
    pub clusters: i64,
    /// Clusters per fleet, when the registration names one.
    pub clusters_per_fleet: i64,
}

/// Which clusters a list returns, in which order, which page.
#[derive(Debug, Clone, Default)]
pub struct ClusterFilter {
    pub category: Option<String>,
    pub fleet_id: Option<FleetId>,
    pub manage_type: Option<ManageType>,
    pub ids: Option<Vec<ClusterId>>,
    pub page: crate::Page,
}

/// The changes `PUT /v1/clusters/{id}` may make.
#[derive(Debug, Clone, Default)]
pub struct ClusterUpdate {
    /// Merged into the annotations (without the kubeconfig).
    pub annotations: BTreeMap<String, String>,
    /// A replacement kubeconfig, sealed, with its API server.
    pub kubeconfig: Option<(String, String)>,
    pub country: Option<String>,
    pub city: Option<String>,
}

fn to_json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).expect("a string map serializes")
}

/// The statement a cluster list runs (its `WHERE` part on its own, for the count) and its binds;
/// `$1` is the tenant. Public so that `ucsd-bench` can hand Postgres the very same query.
pub fn list_statement(
    dialect: Dialect,
    domain_id: DomainId,
    filter: &ClusterFilter,
) -> (String, String, Vec<String>) {
    let mut binds = vec![domain_id.to_string()];
    let mut conditions = vec!["domain_id = $1".to_string()];
    let mut bind = |condition: &str, value: String| {
        binds.push(value);
        conditions.push(condition.replace('?', &format!("${}", binds.len())));
    };
    if let Some(category) = &filter.category {
        bind("category = ?", category.clone());
    }
    if let Some(fleet) = filter.fleet_id {
        bind("fleet_id = ?", fleet.to_string());
    }
    if let Some(manage_type) = filter.manage_type {
        bind("manage_type = ?", manage_type.as_str().to_string());
    }
    if let Some(ids) = &filter.ids {
        let start = binds.len();
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${}", start + i)).collect();
        binds.extend(ids.iter().map(|id| id.to_string()));
        conditions.push(format!("id IN ({})", placeholders.join(", ")));
    }
    let filter_sql = conditions.join(" AND ");
    let sql = format!("SELECT {COLUMNS} FROM clusters WHERE {filter_sql} {}", filter.page.sql(dialect, ""));
    (sql, filter_sql, binds)
}

impl Tx<'_> {
    /// Locks the tenant's row until the transaction ends: every quota check of the tenant runs after
    /// the previous one committed (Postgres row lock; SQLite holds the write lock already).
    pub async fn tenant_lock(&mut self, domain_id: DomainId) -> Result<()> {
        let done = sqlx::query("UPDATE domains SET created_at = created_at WHERE id = $1")
            .bind(domain_id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(Error::new(ucs::FAILED_TO_OBTAIN_THE_USER_INFORMATION)
                .with_detail("the tenant does not exist"))
        }
    }

    pub(crate) async fn cluster_get(&mut self, domain_id: DomainId, id: ClusterId) -> Result<Cluster> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM clusters WHERE id = $1 AND domain_id = $2"))
            .bind(id.to_string())
            .bind(domain_id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        row.as_ref()
            .map(cluster_from_row)
            .transpose()?
            .ok_or_else(|| Error::not_found(ucs::CLUSTER_NOT_FOUND))
    }

    async fn activation_enqueue(&mut self, cluster: &Cluster) -> Result<()> {
        let mut job = NewJob::new(JobKind::ClusterActivation, cluster.domain_id, "cluster", cluster.id);
        job.exclusive_key = Some(activation_key(cluster.id));
        let busy =
            Error::new(ucs::CLUSTER_UNAVAILABLE).with_detail("an activation of this cluster is under way");
        self.job_enqueue(job, busy).await.map(|_| ())
    }
}

impl Store {
    /// Registers a cluster (under the id the caller chose, which its sealed kubeconfig is bound to)
    /// within the tenant's quota and enqueues its activation.
    ///
    /// The tenant is locked first. Locking it last instead (row, job and audit first) was measured
    /// slower, 700 against 900 req/s of POST + DELETE in one tenant (`ucsd-bench http`): the insert's
    /// foreign-key share lock on the tenant's row meets the lock holder's update of that row, and
    /// Postgres then builds a multixact of every waiting registration on each attempt.
    pub async fn cluster_create(
        &self,
        actor: &Actor,
        new: &NewCluster,
        kubeconfig_sealed: Option<String>,
        limits: ClusterLimits,
        id: ClusterId,
    ) -> Result<Cluster> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        let fleet = match new.fleet_id {
            Some(fleet_id) => Some(tx.fleet_get(actor.domain_id, fleet_id).await?),
            None => None,
        };
        if fleet.as_ref().is_some_and(|f| f.cluster_count >= limits.clusters_per_fleet) {
            return Err(Error::new(ucs::FLEET_CLUSTER_LIMIT_EXCEEDED)
                .with_detail(format!("the fleet holds its {} clusters already", limits.clusters_per_fleet)));
        }
        let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clusters WHERE domain_id = $1")
            .bind(actor.domain_id.to_string())
            .fetch_one(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        let quota = limits.clusters;
        if used >= quota {
            return Err(Error::new(ucs::INSUFFICIENT_QUOTA)
                .with_detail(format!("the tenant has {used} of its {quota} clusters")));
        }
        let now = tx.now_millis();
        let row = sqlx::query(&format!(
            "INSERT INTO clusters (id, domain_id, name, category, cluster_type, provider, country, city, region,
                project_id, manage_type, fleet_id, labels, annotations, kubeconfig_sealed, api_endpoint, phase,
                created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)
             RETURNING {COLUMNS}"
        ))
        .bind(id.to_string())
        .bind(actor.domain_id.to_string())
        .bind(&new.name)
        .bind(new.kind.category)
        .bind(new.kind.cluster_type)
        .bind(new.kind.provider)
        .bind(&new.country)
        .bind(&new.city)
        .bind(&new.region)
        .bind(&new.project_id)
        .bind(new.manage_type.as_str())
        .bind(new.fleet_id.map(|f| f.to_string()))
        .bind(to_json(&new.labels))
        .bind(to_json(&new.annotations))
        .bind(kubeconfig_sealed)
        .bind(new.kubeconfig.as_ref().map_or(String::new(), |k| k.server.clone()))
        .bind(ClusterPhase::Pending.as_str())
        .bind(now)
        .fetch_one(&mut *tx.tx)
        .await
        .map_err(|e| {
            if crate::is_unique_violation(&e) {
                Error::new(ucs::CLUSTER_ALREADY_EXISTS).with_detail(format!("a cluster named {:?} exists", new.name))
            } else {
                map_db_err(e)
            }
        })?;
        let cluster = cluster_from_row(&row)?;
        tx.activation_enqueue(&cluster).await?;
        if let Some(fleet) = fleet {
            // A cluster registered into a fleet gets its permission policies and joins its federation.
            tx.rbac_render(id).await?;
            let join = domain::federation::Workflow::Join;
            tx.federation_members_changed(actor.domain_id, fleet.id, fleet.federation, join, &[id]).await?;
        }
        tx.audit(actor, NewAuditEvent::success("cluster", id)).await?;
        tx.commit().await?;
        Ok(cluster)
    }

    /// A cluster of the tenant; another tenant's cluster is not found, like a missing one.
    pub async fn cluster_get(&self, domain_id: DomainId, id: ClusterId) -> Result<Cluster> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM clusters WHERE id = $1 AND domain_id = $2"))
            .bind(id.to_string())
            .bind(domain_id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_err)?;
        row.as_ref()
            .map(cluster_from_row)
            .transpose()?
            .ok_or_else(|| Error::not_found(ucs::CLUSTER_NOT_FOUND))
    }

    /// One page of the tenant's clusters and the number of clusters the filter matches.
    pub async fn cluster_list(
        &self,
        domain_id: DomainId,
        filter: &ClusterFilter,
    ) -> Result<(Vec<Cluster>, i64)> {
        if filter.ids.as_ref().is_some_and(|ids| ids.is_empty()) {
            return Ok((Vec::new(), 0));
        }
        let (sql, filter_sql, binds) = list_statement(self.dialect, domain_id, filter);
        // Id lists vary in length: do not fill the statement cache with them.
        let cache = filter.ids.is_none();
        let mut query = sqlx::query(&sql).persistent(cache);
        for b in &binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(map_db_err)?;
        // An unpaged list (the default, and what the SDK asks for) holds every match: no count needed.
        let total = if filter.page.limit.is_none() && filter.page.offset == 0 {
            rows.len() as i64
        } else {
            let count_sql = format!("SELECT COUNT(*) FROM clusters WHERE {filter_sql}");
            let mut count = sqlx::query_scalar(&count_sql).persistent(cache);
            for b in &binds {
                count = count.bind(b);
            }
            count.fetch_one(&self.pool).await.map_err(map_db_err)?
        };
        Ok((rows.iter().map(cluster_from_row).collect::<Result<_>>()?, total))
    }

    /// The sealed kubeconfig of an attached cluster.
    pub async fn cluster_kubeconfig_sealed(
        &self,
        domain_id: DomainId,
        id: ClusterId,
    ) -> Result<Option<String>> {
        let row = sqlx::query("SELECT kubeconfig_sealed FROM clusters WHERE id = $1 AND domain_id = $2")
            .bind(id.to_string())
            .bind(domain_id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_err)?
            .ok_or_else(|| Error::not_found(ucs::CLUSTER_NOT_FOUND))?;
        opt_text(&row, "kubeconfig_sealed")
    }

    /// Applies an update and returns the cluster as it is now.
    pub async fn cluster_update(
        &self,
        actor: &Actor,
        id: ClusterId,
        update: &ClusterUpdate,
    ) -> Result<Cluster> {
        let mut tx = self.begin().await?;
        let mut cluster = tx.cluster_get(actor.domain_id, id).await?;
        cluster.annotations.extend(update.annotations.clone());
        domain::cluster::validate_annotations(&cluster.annotations)?;
        let country = update.country.clone().unwrap_or(cluster.country.clone());
        let city = update.city.clone().unwrap_or(cluster.city.clone());
        domain::cluster::validate_place(&country, &city)?;
        let now = tx.now_millis();
        sqlx::query(
            "UPDATE clusters SET annotations = $1, country = $2, city = $3,
                kubeconfig_sealed = COALESCE($4, kubeconfig_sealed), api_endpoint = COALESCE($5, api_endpoint),
                updated_at = $6
             WHERE id = $7 AND domain_id = $8",
        )
        .bind(to_json(&cluster.annotations))
        .bind(&country)
        .bind(&city)
        .bind(update.kubeconfig.as_ref().map(|k| k.0.clone()))
        .bind(update.kubeconfig.as_ref().map(|k| k.1.clone()))
        .bind(now)
        .bind(id.to_string())
        .bind(actor.domain_id.to_string())
        .execute(&mut *tx.tx)
        .await
        .map_err(map_db_err)?;
        let cluster = tx.cluster_get(actor.domain_id, id).await?;
        tx.audit(actor, NewAuditEvent::success("cluster", id)).await?;
        tx.commit().await?;
        Ok(cluster)
    }

    /// Unregisters a cluster: its row (access info included) goes, its unfinished jobs are cancelled.
    /// The tenant lock comes first (its order before cluster rows is what every membership change
    /// keeps); the audit event is written before it, to keep the locked part short.
    pub async fn cluster_delete(&self, actor: &Actor, id: ClusterId) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.audit(actor, NewAuditEvent::success("cluster", id)).await?;
        tx.tenant_lock(actor.domain_id).await?;
        let deleted = sqlx::query("DELETE FROM clusters WHERE id = $1 AND domain_id = $2 RETURNING fleet_id")
            .bind(id.to_string())
            .bind(actor.domain_id.to_string())
            .fetch_optional(&mut *tx.tx)
            .await
            .map_err(map_db_err)?
            .ok_or_else(|| Error::not_found(ucs::CLUSTER_NOT_FOUND))?;
        if let Some(fleet_id) = opt_parsed::<FleetId>(&deleted, "fleet_id")? {
            let fleet = tx.fleet_get(actor.domain_id, fleet_id).await?;
            if fleet.federation != domain::fleet::FederationState::None {
                return Err(Error::new(ucs::FLEET_ALREADY_FEDERATED).with_detail(
                    "the cluster's fleet is federated; remove the cluster from the fleet first",
                ));
            }
        }
        sqlx::query("DELETE FROM rule_attachments WHERE target_kind = 'cluster' AND target_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        // After the cluster row: workers lock a cluster, then its job; the same order here avoids deadlocks.
        let now = tx.now_millis();
        sqlx::query(
            "UPDATE jobs SET state = 'cancelled', exclusive_key = NULL, lease_owner = NULL, lease_expires_at = NULL,
                last_error = 'the cluster was unregistered', updated_at = $1
             WHERE resource_type = 'cluster' AND resource_id = $2 AND state IN ('pending', 'running', 'paused')",
        )
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *tx.tx)
        .await
        .map_err(map_db_err)?;
        tx.commit().await
    }

    /// Marks the agent certificate as handed out; `true` only for the first caller (it is issued once).
    pub async fn cluster_take_access_info(&self, actor: &Actor, id: ClusterId) -> Result<bool> {
        let mut tx = self.begin().await?;
        tx.cluster_get(actor.domain_id, id).await?;
        let now = tx.now_millis();
        let done = sqlx::query(
            "UPDATE clusters SET cert_downloaded = TRUE, updated_at = $1
             WHERE id = $2 AND domain_id = $3 AND cert_downloaded = FALSE",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(actor.domain_id.to_string())
        .execute(&mut *tx.tx)
        .await
        .map_err(map_db_err)?;
        let first = done.rows_affected() == 1;
        if first {
            tx.audit(actor, NewAuditEvent::success("cluster", id)).await?;
        }
        tx.commit().await?;
        Ok(first)
    }

    /// Starts the activation again: the cluster goes back to `Pending` and a new activation job runs.
    pub async fn cluster_retry_activation(&self, actor: &Actor, id: ClusterId) -> Result<Cluster> {
        let mut tx = self.begin().await?;
        let cluster = tx.cluster_get(actor.domain_id, id).await?;
        tx.activation_enqueue(&cluster).await?;
        let phase = domain::cluster::next_phase(cluster.phase, domain::cluster::ActivationEvent::Retry)
            .expect("a retry applies in every phase");
        tx.cluster_set_phase(id, phase, "", "").await?;
        let cluster = tx.cluster_get(actor.domain_id, id).await?;
        tx.audit(actor, NewAuditEvent::success("cluster", id)).await?;
        tx.commit().await?;
        Ok(cluster)
    }

    /// How many clusters the tenant has (quota views).
    pub async fn cluster_count(&self, domain_id: DomainId) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM clusters WHERE domain_id = $1")
            .bind(domain_id.to_string())
            .fetch_one(&self.pool)
            .await
            .map_err(map_db_err)
    }
}

impl Tx<'_> {
    /// Sets a cluster's phase (and the version it reported); for the activation job.
    pub async fn cluster_set_phase(
        &mut self,
        id: ClusterId,
        phase: ClusterPhase,
        reason: &str,
        message: &str,
    ) -> Result<()> {
        let now = self.now_millis();
        sqlx::query(
            "UPDATE clusters SET phase = $1, reason = $2, message = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(phase.as_str())
        .bind(reason)
        .bind(message)
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        Ok(())
    }

    pub async fn cluster_set_version(&mut self, id: ClusterId, version: &str) -> Result<()> {
        sqlx::query("UPDATE clusters SET kubernetes_version = $1 WHERE id = $2")
            .bind(version)
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }

    /// A cluster by id alone, for jobs (which act for the tenant recorded on the job).
    pub async fn cluster_find(&mut self, id: ClusterId) -> Result<Option<Cluster>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM clusters WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(cluster_from_row).transpose()
    }
}
