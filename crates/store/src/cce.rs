//! CCE and CCE Autopilot clusters. Creating one checks the tenant's cluster quota under the tenant's
//! row lock and enqueues the job that builds it, in one transaction; deleting one records the intent
//! and its job the same way.

use std::collections::BTreeMap;

use domain::{
    addon::AddonInstance,
    audit::{Actor, NewAuditEvent},
    cce::{CceCluster, CcePhase, ClusterUpdate, NewCceCluster, NodePool},
    error::cce,
    ids::{CceClusterId, DomainId, JobId},
    job::{JobKind, NewJob},
    upgrade::Flavor,
    Error, Result,
};
use sqlx::any::AnyRow;

use crate::{
    sql::{instant, map_db_err, opt_parsed, parsed, text},
    Store, Tx,
};

const COLUMNS: &str = "id, domain_id, project_id, flavor, name, version, phase, metadata, spec, node_pools,
    addons, addon_instances, job_id, created_at, updated_at";

fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    serde_json::from_str(&text(row, col)?).map_err(|e| Error::internal(format!("stored {col}: {e}")))
}

fn cluster_from_row(row: &AnyRow) -> Result<CceCluster> {
    let flavor = text(row, "flavor")?;
    let phase = text(row, "phase")?;
    Ok(CceCluster {
        id: parsed(row, "id")?,
        domain_id: parsed(row, "domain_id")?,
        project_id: text(row, "project_id")?,
        flavor: Flavor::parse(&flavor).ok_or_else(|| Error::internal(format!("stored flavor {flavor:?}")))?,
        name: text(row, "name")?,
        version: text(row, "version")?,
        phase: CcePhase::parse(&phase).ok_or_else(|| Error::internal(format!("stored phase {phase:?}")))?,
        metadata: json(row, "metadata")?,
        spec: json(row, "spec")?,
        node_pools: json(row, "node_pools")?,
        addons: json(row, "addons")?,
        addon_instances: json(row, "addon_instances")?,
        job_id: opt_parsed(row, "job_id")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

pub(crate) fn not_found() -> Error {
    Error::not_found(cce::NOT_FOUND).with_detail("no such cluster")
}

/// What a cluster list may be narrowed to (`?status=&type=&version=`).
#[derive(Debug, Clone, Default)]
pub struct CceClusterFilter {
    pub phase: Option<String>,
    pub cluster_type: Option<String>,
    pub version: Option<String>,
}

impl Store {
    /// Creates a cluster within the tenant's quota and enqueues the job that builds it.
    pub async fn cce_cluster_create(
        &self,
        actor: &Actor,
        project_id: &str,
        new: &NewCceCluster,
        proxy_key_sealed: Option<String>,
        quota: i64,
        id: CceClusterId,
    ) -> Result<CceCluster> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cce_clusters WHERE domain_id = $1")
            .bind(actor.domain_id.to_string())
            .fetch_one(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        if used >= quota {
            return Err(Error::new(cce::BAD_REQUEST)
                .with_detail(format!("insufficient quota: the tenant has {used} of its {quota} clusters")));
        }
        let mut job = NewJob::new(JobKind::CceClusterCreate, actor.domain_id, "cce_cluster", id);
        job.exclusive_key = Some(format!("cce-cluster:{id}"));
        let job_id = tx.job_enqueue(job, Error::new(cce::CONFLICT)).await?;
        let now = tx.now_millis();
        sqlx::query(
            "INSERT INTO cce_clusters (id, domain_id, project_id, flavor, name, version, phase, metadata, spec,
                proxy_key_sealed, job_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
        )
        .bind(id.to_string())
        .bind(actor.domain_id.to_string())
        .bind(project_id)
        .bind(new.flavor.as_str())
        .bind(&new.name)
        .bind(&new.version)
        .bind(CcePhase::Creating.as_str())
        .bind(new.metadata.to_string())
        .bind(new.spec.to_string())
        .bind(proxy_key_sealed)
        .bind(job_id.to_string())
        .bind(now)
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| {
            if crate::is_unique_violation(&e) {
                Error::new(cce::CLUSTER_NAME_TAKEN).with_detail(format!("a cluster named {:?} exists", new.name))
            } else {
                map_db_err(e)
            }
        })?;
        tx.audit(actor, NewAuditEvent::success("cce_cluster", id)).await?;
        let cluster = tx.cce_cluster(id).await?;
        tx.commit().await?;
        Ok(cluster)
    }

    /// A cluster of the tenant and flavor; any other is not found, like a missing one.
    pub async fn cce_cluster_get(
        &self,
        domain_id: DomainId,
        flavor: Flavor,
        id: CceClusterId,
    ) -> Result<CceCluster> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM cce_clusters WHERE id = $1 AND domain_id = $2 AND flavor = $3"
        ))
        .bind(id.to_string())
        .bind(domain_id.to_string())
        .bind(flavor.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_db_err)?;
        row.as_ref().map(cluster_from_row).transpose()?.ok_or_else(not_found)
    }

    /// A cluster by id alone (the worker's view), if it still exists.
    pub async fn cce_cluster_by_id(&self, id: CceClusterId) -> Result<Option<CceCluster>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM cce_clusters WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(cluster_from_row).transpose()
    }

    /// The tenant's clusters of a flavor, oldest first.
    pub async fn cce_cluster_list(
        &self,
        domain_id: DomainId,
        flavor: Flavor,
        filter: &CceClusterFilter,
    ) -> Result<Vec<CceCluster>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM cce_clusters WHERE domain_id = $1 AND flavor = $2 ORDER BY created_at, id"
        ))
        .bind(domain_id.to_string())
        .bind(flavor.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        let clusters = rows.iter().map(cluster_from_row).collect::<Result<Vec<_>>>()?;
        // The type and version live in JSON and catalogue terms; the filter runs here, on the few rows
        // of one tenant.
        Ok(clusters
            .into_iter()
            .filter(|c| filter.phase.as_deref().is_none_or(|p| c.phase.as_str() == p))
            .filter(|c| filter.cluster_type.as_deref().is_none_or(|t| c.spec["type"] == t))
            .filter(|c| {
                filter
                    .version
                    .as_deref()
                    .is_none_or(|v| c.version == v || domain::upgrade::catalogue::release_of(&c.version) == v)
            })
            .collect())
    }

    /// Changes a cluster's alias and updatable spec fields (`update_cluster`), while it is Available.
    pub async fn cce_cluster_update_info(
        &self,
        actor: &Actor,
        flavor: Flavor,
        id: CceClusterId,
        update: &ClusterUpdate,
    ) -> Result<CceCluster> {
        let mut tx = self.begin().await?;
        let mut cluster = tx.cce_cluster_to_change(actor, flavor, id).await?;
        domain::cce::apply_update(&mut cluster.metadata, &mut cluster.spec, update);
        let now = tx.now_millis();
        sqlx::query("UPDATE cce_clusters SET metadata = $1, spec = $2, updated_at = $3 WHERE id = $4")
            .bind(cluster.metadata.to_string())
            .bind(cluster.spec.to_string())
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        tx.audit(actor, NewAuditEvent::success("cce_cluster", id)).await?;
        let cluster = tx.cce_cluster(id).await?;
        tx.commit().await?;
        Ok(cluster)
    }

    /// The tenant's jobs of CCE and CCE Autopilot clusters (their own, their node pools', their
    /// upgrade tasks'), oldest first.
    pub async fn cce_jobs(&self, domain_id: DomainId) -> Result<Vec<domain::job::Job>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM jobs WHERE domain_id = $1 AND parent_id IS NULL
                AND resource_type IN ('cce_cluster', 'upgrade_task') ORDER BY created_at, id",
            crate::job::JOB_COLUMNS
        ))
        .bind(domain_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter().map(crate::job::job_from_row).collect()
    }

    /// Starts deleting a cluster: `Deleting` now, removed by its job. Refused while it is being
    /// created, upgraded or already deleted.
    pub async fn cce_cluster_delete(
        &self,
        actor: &Actor,
        flavor: Flavor,
        id: CceClusterId,
    ) -> Result<CceCluster> {
        let mut tx = self.begin().await?;
        let cluster = tx.cce_cluster(id).await?;
        if cluster.domain_id != actor.domain_id || cluster.flavor != flavor {
            return Err(not_found());
        }
        if cluster.phase != CcePhase::Available && cluster.phase != CcePhase::Error {
            return Err(Error::new(cce::CONFLICT).with_detail(format!(
                "the cluster is {}; it can be deleted once it is Available",
                cluster.phase.as_str()
            )));
        }
        let mut job = NewJob::new(JobKind::CceClusterDelete, actor.domain_id, "cce_cluster", id);
        job.exclusive_key = Some(format!("cce-cluster:{id}"));
        let job_id = tx.job_enqueue(job, Error::new(cce::CONFLICT)).await?;
        tx.cce_cluster_update(id, |c| {
            c.phase = CcePhase::Deleting;
            c.job_id = Some(job_id);
        })
        .await?;
        tx.audit(actor, NewAuditEvent::success("cce_cluster", id)).await?;
        let cluster = tx.cce_cluster(id).await?;
        tx.commit().await?;
        Ok(cluster)
    }
}

impl Tx<'_> {
    /// A cluster by id, read inside this transaction.
    pub async fn cce_cluster(&mut self, id: CceClusterId) -> Result<CceCluster> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM cce_clusters WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(cluster_from_row).transpose()?.ok_or_else(not_found)
    }

    /// The caller's cluster of `flavor`, locked, if it is Available: its node pools, nodes and addons
    /// change only then (not while it is created, upgraded or deleted).
    pub(crate) async fn cce_cluster_to_change(
        &mut self,
        actor: &Actor,
        flavor: Flavor,
        id: CceClusterId,
    ) -> Result<CceCluster> {
        let cluster = self.cce_cluster_locked(id).await?;
        if cluster.domain_id != actor.domain_id || cluster.flavor != flavor {
            return Err(not_found());
        }
        if cluster.phase != CcePhase::Available {
            return Err(Error::new(cce::CLUSTER_NOT_AVAILABLE)
                .with_detail(format!("the cluster is {}", cluster.phase.as_str())));
        }
        Ok(cluster)
    }

    /// A cluster read for update: concurrent changes of one cluster (an upgrade, a node pool upgrade,
    /// node pool and addon requests and their jobs) happen one after the other (SQLite holds the
    /// write lock already).
    pub async fn cce_cluster_locked(&mut self, id: CceClusterId) -> Result<CceCluster> {
        let lock = self.dialect().for_update();
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM cce_clusters WHERE id = $1{lock}"))
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(cluster_from_row).transpose()?.ok_or_else(not_found)
    }

    /// Changes what `change` changes of a cluster's phase, version, node pools, addons (versions and
    /// instances) and job.
    pub async fn cce_cluster_update(
        &mut self,
        id: CceClusterId,
        change: impl FnOnce(&mut CceClusterState),
    ) -> Result<CceCluster> {
        let cluster = self.cce_cluster_locked(id).await?;
        let mut state = CceClusterState {
            phase: cluster.phase,
            version: cluster.version.clone(),
            node_pools: cluster.node_pools.clone(),
            addons: cluster.addons.clone(),
            addon_instances: cluster.addon_instances.clone(),
            job_id: cluster.job_id,
        };
        change(&mut state);
        let now = self.now_millis();
        sqlx::query(
            "UPDATE cce_clusters SET phase = $1, version = $2, node_pools = $3, addons = $4, addon_instances = $5,
                job_id = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(state.phase.as_str())
        .bind(&state.version)
        .bind(serde_json::to_string(&state.node_pools).expect("node pools serialize"))
        .bind(serde_json::to_string(&state.addons).expect("addons serialize"))
        .bind(serde_json::to_string(&state.addon_instances).expect("addon instances serialize"))
        .bind(state.job_id.map(|j| j.to_string()))
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        self.cce_cluster(id).await
    }

    /// Removes a cluster with its workflows, tasks and plan.
    pub async fn cce_cluster_remove(&mut self, id: CceClusterId) -> Result<()> {
        for table in ["upgrade_plans", "upgrade_tasks", "upgrade_workflows"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE cluster_id = $1"))
                .bind(id.to_string())
                .execute(&mut *self.tx)
                .await
                .map_err(map_db_err)?;
        }
        sqlx::query("DELETE FROM cce_clusters WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }
}

/// The parts of a cluster its jobs change.
#[derive(Debug, Clone)]
pub struct CceClusterState {
    pub phase: CcePhase,
    pub version: String,
    pub node_pools: Vec<NodePool>,
    pub addons: BTreeMap<String, String>,
    pub addon_instances: BTreeMap<String, AddonInstance>,
    pub job_id: Option<JobId>,
}
