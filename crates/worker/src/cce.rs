//! The jobs that build and remove a CCE or CCE Autopilot cluster: one provider step each. A built
//! cluster is `Available` with its default node pool and the addons of its version; an Autopilot
//! cluster also gets its upgrade plan.

use domain::{
    cce::{CcePhase, NodePool, DEFAULT_POOL},
    error::Found,
    ids::CceClusterId,
    job::{Job, JobState},
    upgrade::{Catalogue, Flavor},
    Error, Result,
};

use crate::Engine;

const GONE: &str = "the cluster is gone or no longer waits for this job";

pub async fn run(engine: &Engine, job: &Job, create: bool) -> Result<()> {
    let store = engine.store();
    let id: CceClusterId =
        job.resource_id.parse().map_err(|_| Error::internal(format!("cce job of {:?}", job.resource_id)))?;
    let expected = if create { CcePhase::Creating } else { CcePhase::Deleting };
    let Some(cluster) = store.cce_cluster_by_id(id).await?.filter(|c| c.phase == expected) else {
        let mut tx = store.begin().await?;
        tx.job_finish(job, JobState::Cancelled, Some(GONE)).await?;
        return tx.commit().await;
    };
    let step = if create { "CreateCluster" } else { "DeleteCluster" };
    // The job id is the idempotency key: a repeat after a crash does not build twice.
    let outcome = engine
        .ask_provider(job, engine.provider.cce_step(&job.id.to_string(), step, &cluster, &cluster.version))
        .await;
    let mut tx = store.begin().await?;
    tx.job_fence(job).await?;
    // Decided in this commit: the cluster may have gone, or moved on, while the provider worked.
    if tx.cce_cluster(id).await.found()?.is_none_or(|c| c.phase != expected) {
        tx.job_finish(job, JobState::Cancelled, Some(GONE)).await?;
        return tx.commit().await;
    }
    match outcome {
        Ok(output) if create => {
            let entry = Catalogue::get().flavor(cluster.flavor).find(&cluster.version);
            let addons = entry.map(|e| e.default_addons()).unwrap_or_default();
            let built = tx
                .cce_cluster_update(id, |c| {
                    c.phase = CcePhase::Available;
                    c.addons = addons;
                    c.node_pools = vec![NodePool {
                        id: DEFAULT_POOL.to_string(),
                        name: DEFAULT_POOL.to_string(),
                        version: cluster.version.clone(),
                        nodes: output.nodes,
                        created_at: Some(cluster.created_at),
                        ..NodePool::default()
                    }];
                })
                .await?;
            if built.flavor == Flavor::Autopilot {
                tx.upgrade_plan_record(&built).await?;
            }
            tx.job_finish(job, JobState::Succeeded, None).await?;
        }
        Ok(_) => {
            tx.cce_cluster_remove(id).await?;
            tx.job_finish(job, JobState::Succeeded, None).await?;
        }
        Err(error) => match engine.retry_failed(&mut tx, job, &error).await? {
            true => {}
            false => {
                tx.cce_cluster_update(id, |c| c.phase = CcePhase::Error).await?;
                tx.job_finish(job, JobState::Failed, Some(&error.message)).await?;
            }
        },
    }
    tx.commit().await
}
