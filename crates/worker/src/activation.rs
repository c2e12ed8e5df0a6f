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

pub async fn run(engine: &Engine, job: &Job) -> Result<()> {
    let store = engine.store();
    let id: ClusterId = job
        .resource_id
        .parse()
        .map_err(|_| Error::internal(format!("activation job of {:?}", job.resource_id)))?;
    let cluster = {
        let mut tx = store.begin().await?;
        let cluster = tx.cluster_find(id).await?;
        let Some(cluster) = cluster.filter(|c| c.phase == ClusterPhase::Pending) else {
            // Unregistered, or already settled by an earlier activation: nothing to do.
            tx.job_finish(job, JobState::Cancelled, Some("the cluster is no longer pending activation"))
                .await?;
            return tx.commit().await;
        };
        drop(tx);
        cluster
    };
    // The job id is the idempotency key: a repeat after a crash does not activate twice.
    let outcome = engine.provider.activate_cluster(&job.id.to_string(), &cluster).await;
    let mut tx = store.begin().await?;
    match outcome {
        Ok(activation) => {
            let phase =
                next_phase(cluster.phase, ActivationEvent::Succeeded).unwrap_or(ClusterPhase::Available);
            tx.cluster_set_phase(id, phase, "ClusterAvailable", "").await?;
            tx.cluster_set_version(id, &activation.kubernetes_version).await?;
            tx.job_finish(job, JobState::Succeeded, None).await?;
        }
        Err(error) => match engine.retry_at(job, &error) {
            Some(at) => tx.job_retry_at(job, &error.message, at).await?,
            None => {
                let phase =
                    next_phase(cluster.phase, ActivationEvent::Failed).unwrap_or(ClusterPhase::Unavailable);
                tx.cluster_set_phase(id, phase, "ActivationFailed", &error.message).await?;
                tx.job_finish(job, JobState::Failed, Some(&error.message)).await?;
            }
        },
    }
    tx.commit().await
}
