//! The job that converges a node pool (`store::nodepool`): one provider step per claim. It loads the
//! pool, asks the provider to make and remove the nodes its plan names (the key is the job and the
//! pool's state, so a repeat after a crash makes nothing twice), then, under the cluster's lock,
//! re-checks that the job still owns the pool and commits the nodes: it finishes once the pool has
//! converged (removing a deleted pool), or yields for the next step (a request changed the pool
//! meanwhile).

use domain::{
    cce::CceCluster,
    ids::CceClusterId,
    job::{Job, JobState},
    nodepool, Error, Result,
};

use crate::Engine;

pub async fn run(engine: &Engine, job: &Job) -> Result<()> {
    let store = engine.store();
    let id: CceClusterId = job
        .resource_id
        .parse()
        .map_err(|_| Error::internal(format!("node pool job of {:?}", job.resource_id)))?;
    let pool_id = job.cursor["nodePool"].as_str().unwrap_or_default().to_string();
    let owned = |c: CceCluster| {
        let pool = c.node_pools.iter().find(|p| p.id == pool_id && p.job_id == Some(job.id)).cloned();
        pool.map(|p| (c, p))
    };
    let Some((cluster, pool)) = store.cce_cluster_by_id(id).await?.and_then(owned) else {
        let mut tx = store.begin().await?;
        tx.job_finish(
            job,
            JobState::Cancelled,
            Some("the node pool is gone or no longer waits for this job"),
        )
        .await?;
        return tx.commit().await;
    };
    let plan = nodepool::plan(&pool);
    let key = nodepool::step_key(&job.id.to_string(), &pool);
    let outcome = if plan.is_empty() {
        Ok(Vec::new())
    } else {
        engine
            .ask_provider(
                job,
                engine.provider.node_pool_step(&key, &cluster, &pool, plan.create, &plan.remove),
            )
            .await
    };

    let mut tx = store.begin().await?;
    // The cluster's lock before the job's, like the requests that change the pool.
    let current = match tx.cce_cluster_locked(id).await {
        Ok(current) => Some(current),
        Err(e) if e.status() == 404 => None,
        Err(e) => return Err(e),
    };
    tx.job_fence(job).await?;
    let mut pools = current.map(|c| c.node_pools).unwrap_or_default();
    let Some(pool) = pools.iter_mut().find(|p| p.id == pool_id && p.job_id == Some(job.id)) else {
        tx.job_finish(job, JobState::Cancelled, Some("the node pool went away while its nodes changed"))
            .await?;
        return tx.commit().await;
    };
    match outcome {
        Ok(created) => {
            nodepool::apply(pool, created, &plan.remove, store.clock().now());
            if nodepool::plan(pool).is_empty() {
                pool.job_id = None;
                if pool.deleting {
                    pools.retain(|p| p.id != pool_id);
                }
                tx.cce_cluster_update(id, |c| c.node_pools = pools).await?;
                tx.job_finish(job, JobState::Succeeded, None).await?;
            } else {
                tx.cce_cluster_update(id, |c| c.node_pools = pools).await?;
                tx.job_yield(job).await?;
            }
        }
        Err(error) => {
            if !engine.retry_failed(&mut tx, job, &error).await? {
                pool.job_id = None;
                pool.error = Some(error.message.clone());
                tx.cce_cluster_update(id, |c| c.node_pools = pools).await?;
                tx.job_finish(job, JobState::Failed, Some(&error.message)).await?;
            }
        }
    }
    tx.commit().await
}
