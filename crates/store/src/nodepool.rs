//! Node pools and nodes of a CCE cluster. They live in the cluster's row (docs/architecture.md says
//! why): every request locks that row, checks the quotas and the pool's state, records what the pool
//! should be and, when nothing converges the pool yet, enqueues the job that does, in one
//! transaction. Concurrent requests on one cluster, its pools' jobs and its upgrade tasks change it
//! one after the other.

use domain::{
    audit::{Actor, NewAuditEvent},
    cce::{CceCluster, NodePhase, NodePool, DEFAULT_POOL},
    error::cce,
    ids::CceClusterId,
    job::{JobKind, NewJob},
    nodepool::{self, NewNodePool, NodePoolUpdate},
    upgrade::Flavor,
    Error, Result,
};
use serde_json::json;

use crate::{Store, Tx};

/// The quotas of node pools.
#[derive(Debug, Clone, Copy)]
pub struct NodePoolQuotas {
    /// Node pools a cluster may have besides its default pool.
    pub pools_per_cluster: i64,
    pub nodes_per_pool: i64,
}

/// What a request changes of an existing node pool.
#[derive(Debug, Clone)]
pub enum NodePoolChange {
    Update(NodePoolUpdate),
    Scale(usize),
    Delete,
    /// Removes one node; `scale_down` lowers the pool's count with it (otherwise it is replaced).
    DeleteNode {
        uid: String,
        scale_down: bool,
    },
}

impl NodePoolChange {
    /// The job type `show_job` names when this change enqueues the pool's job.
    fn job_type(&self) -> &'static str {
        match self {
            Self::Update(_) | Self::Scale(_) => "ScaleNodePool",
            Self::Delete => "DeleteNodePool",
            Self::DeleteNode { .. } => "DeleteNode",
        }
    }
}

fn pool_not_found() -> Error {
    Error::not_found(cce::NOT_FOUND).with_detail("no such node pool")
}

fn quota_exceeded(detail: String) -> Error {
    Error::new(cce::BAD_REQUEST).with_detail(format!("insufficient quota: {detail}"))
}

fn check_nodes(desired: usize, quotas: NodePoolQuotas) -> Result<()> {
    if i64::try_from(desired).unwrap_or(i64::MAX) > quotas.nodes_per_pool {
        return Err(quota_exceeded(format!("a node pool has at most {} nodes", quotas.nodes_per_pool)));
    }
    Ok(())
}

fn check_name_free(cluster: &CceCluster, name: &str, except: Option<&str>) -> Result<()> {
    if cluster.node_pools.iter().any(|p| p.name == name && Some(p.id.as_str()) != except) {
        return Err(Error::new(cce::CONFLICT).with_detail(format!("a node pool named {name:?} exists")));
    }
    Ok(())
}

impl Tx<'_> {
    /// Enqueues the pool's job unless one converges it already (that one sees the change when it
    /// commits, under the same lock).
    async fn node_pool_job(
        &mut self,
        actor: &Actor,
        cluster_id: CceClusterId,
        pool: &mut NodePool,
        job_type: &str,
    ) -> Result<()> {
        pool.generation += 1;
        pool.error = None;
        if pool.job_id.is_none() {
            let mut job = NewJob::new(JobKind::NodePoolSync, actor.domain_id, "cce_cluster", cluster_id);
            job.cursor = json!({ "nodePool": pool.id, "type": job_type });
            pool.job_id = Some(self.job_enqueue(job, Error::new(cce::CONFLICT)).await?);
        }
        Ok(())
    }

    /// Writes a cluster's node pools and records the request in the audit log.
    async fn save_pools(
        &mut self,
        actor: &Actor,
        cluster_id: CceClusterId,
        pools: Vec<NodePool>,
        pool_id: &str,
    ) -> Result<NodePool> {
        let saved = self.cce_cluster_update(cluster_id, |c| c.node_pools = pools).await?;
        self.audit(actor, NewAuditEvent::success("cce_node_pool", pool_id)).await?;
        saved.node_pools.into_iter().find(|p| p.id == pool_id).ok_or_else(pool_not_found)
    }
}

impl Store {
    /// Creates a node pool within the quotas; its job creates its nodes.
    pub async fn node_pool_create(
        &self,
        actor: &Actor,
        flavor: Flavor,
        cluster_id: CceClusterId,
        new: &NewNodePool,
        quotas: NodePoolQuotas,
    ) -> Result<NodePool> {
        let mut tx = self.begin().await?;
        let cluster = tx.cce_cluster_to_change(actor, flavor, cluster_id).await?;
        let created = cluster.node_pools.iter().filter(|p| p.id != DEFAULT_POOL).count();
        if i64::try_from(created).unwrap_or(i64::MAX) >= quotas.pools_per_cluster {
            return Err(quota_exceeded(format!(
                "the cluster has {created} of its {} node pools",
                quotas.pools_per_cluster
            )));
        }
        check_nodes(new.desired, quotas)?;
        check_name_free(&cluster, &new.name, None)?;
        let now = self.clock().now();
        let mut pool = NodePool {
            id: domain::ids::new_uuid().to_string(),
            name: new.name.clone(),
            version: cluster.version.clone(),
            nodes: Vec::new(),
            spec: new.spec.clone(),
            desired: Some(new.desired),
            created_at: Some(now),
            updated_at: Some(now),
            ..NodePool::default()
        };
        if new.desired > 0 {
            tx.node_pool_job(actor, cluster_id, &mut pool, "CreateNodePool").await?;
        }
        let id = pool.id.clone();
        let mut pools = cluster.node_pools;
        pools.push(pool);
        let pool = tx.save_pools(actor, cluster_id, pools, &id).await?;
        tx.commit().await?;
        Ok(pool)
    }

    /// Updates, scales or deletes a node pool, or deletes one of its nodes; what changes the nodes
    /// is carried out by the pool's job.
    pub async fn node_pool_change(
        &self,
        actor: &Actor,
        flavor: Flavor,
        cluster_id: CceClusterId,
        pool_id: &str,
        change: NodePoolChange,
        quotas: NodePoolQuotas,
    ) -> Result<NodePool> {
        let mut tx = self.begin().await?;
        let cluster = tx.cce_cluster_to_change(actor, flavor, cluster_id).await?;
        let mut pools = cluster.node_pools.clone();
        let pool = pools.iter_mut().find(|p| p.id == pool_id).ok_or_else(pool_not_found)?;
        if pool.deleting {
            return Err(Error::new(cce::CONFLICT).with_detail("the node pool is being deleted"));
        }
        let is_default = pool.id == DEFAULT_POOL;
        let refuse_default = |what: &str| {
            Error::new(cce::BAD_REQUEST).with_detail(format!("the default node pool cannot be {what}"))
        };
        let converge = match &change {
            NodePoolChange::Update(update) => {
                if is_default {
                    return Err(refuse_default("updated"));
                }
                if let Some(name) = &update.name {
                    check_name_free(&cluster, name, Some(pool_id))?;
                    pool.name = name.clone();
                }
                nodepool::merge_spec(&mut pool.spec, &update.spec);
                match update.desired {
                    Some(desired) => {
                        check_nodes(desired, quotas)?;
                        pool.desired = Some(desired);
                        true
                    }
                    None => false,
                }
            }
            NodePoolChange::Scale(desired) => {
                if is_default {
                    return Err(refuse_default("scaled"));
                }
                check_nodes(*desired, quotas)?;
                pool.desired = Some(*desired);
                true
            }
            NodePoolChange::Delete => {
                if is_default {
                    return Err(refuse_default("deleted"));
                }
                pool.deleting = true;
                true
            }
            NodePoolChange::DeleteNode { uid, scale_down } => {
                let node = pool
                    .nodes
                    .iter_mut()
                    .find(|n| &n.uid == uid)
                    .ok_or_else(|| Error::not_found(cce::NOT_FOUND).with_detail("no such node"))?;
                if node.phase == NodePhase::Deleting {
                    return Err(Error::new(cce::CONFLICT).with_detail("the node is being deleted"));
                }
                node.phase = NodePhase::Deleting;
                if *scale_down {
                    pool.desired = pool.desired.map(|d| d.saturating_sub(1));
                }
                true
            }
        };
        pool.updated_at = Some(self.clock().now());
        if converge {
            tx.node_pool_job(actor, cluster_id, pool, change.job_type()).await?;
        }
        let saved = tx.save_pools(actor, cluster_id, pools, pool_id).await?;
        tx.commit().await?;
        Ok(saved)
    }
}
