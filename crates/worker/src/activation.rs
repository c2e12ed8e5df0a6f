//! The activation workflow of a registered cluster: one step, the provider's activation; success makes
//! the cluster `Available` with the version it reported, giving up makes it `Unavailable` with the
//! reason.

use domain::{
    cluster::{next_phase, ActivationEvent, ClusterPhase},
    ids::ClusterId,
    job::{Job, JobState},
    Error, Result,
};

use crate::Engine;

const NOT_PENDING: &str = "the cluster is no longer pending activation";

/// The cluster to activate, or `None` when it was unregistered or already settled by an earlier
/// activation (the job is then cancelled). A plain read, not a transaction: the commit that records
/// the activation decides again under its own reads.
async fn pending(engine: &Engine, job: &Job, id: ClusterId) -> Result<Option<domain::cluster::Cluster>> {
    let cluster = match engine.store().cluster_get(job.domain_id, id).await {
        Ok(cluster) => Some(cluster),
        Err(e) if e.def == domain::error::ucs::CLUSTER_NOT_FOUND => None,
        Err(e) => return Err(e),
    };
    match cluster.filter(|c| c.phase == ClusterPhase::Pending) {
        Some(cluster) => Ok(Some(cluster)),
        None => {
            let mut tx = engine.store().begin().await?;
            tx.job_finish(job, JobState::Cancelled, Some(NOT_PENDING)).await?;
            tx.commit().await?;
            Ok(None)
        }
    }
}

pub async fn run(engine: &Engine, job: &Job) -> Result<()> {
    let store = engine.store();
    let id: ClusterId = job
        .resource_id
        .parse()
        .map_err(|_| Error::internal(format!("activation job of {:?}", job.resource_id)))?;
    let Some(cluster) = pending(engine, job, id).await? else { return Ok(()) };
    // The job id is the idempotency key: a repeat after a crash does not activate twice.
    let outcome =
        engine.ask_provider(job, engine.provider.activate_cluster(&job.id.to_string(), &cluster)).await;
    let mut tx = store.begin().await?;
    // The cluster may have been unregistered while the provider worked: decided in this commit.
    if tx.cluster_find(id).await?.is_none_or(|c| c.phase != ClusterPhase::Pending) {
        tx.job_finish(job, JobState::Cancelled, Some(NOT_PENDING)).await?;
        return tx.commit().await;
    }
    match outcome {
        Ok(activation) => {
            let phase =
                next_phase(cluster.phase, ActivationEvent::Succeeded).unwrap_or(ClusterPhase::Available);
            tx.cluster_set_phase(id, phase, "ClusterAvailable", "").await?;
            tx.cluster_set_version(id, &activation.kubernetes_version).await?;
            tx.job_finish(job, JobState::Succeeded, None).await?;
        }
        Err(error) => match engine.retry_failed(&mut tx, job, &error).await? {
            true => {}
            false => {
                let phase =
                    next_phase(cluster.phase, ActivationEvent::Failed).unwrap_or(ClusterPhase::Unavailable);
                tx.cluster_set_phase(id, phase, "ActivationFailed", &error.message).await?;
                tx.job_finish(job, JobState::Failed, Some(&error.message)).await?;
            }
        },
    }
    tx.commit().await
}
