//! Autopilot upgrade plans: when a plan's window opens, ucsd upgrades the cluster to the plan's
//! target as the service would, with a cluster upgrade task of its own (which needs no user
//! precheck). A cluster that was upgraded by hand meanwhile has no use for the plan; a busy one is
//! tried again later.

use domain::{
    audit::Actor,
    authz::operator,
    cce::CcePhase,
    error::Found,
    ids::{JobId, UpgradePlanId, UpgradeTaskId},
    job::{Job, JobState},
    upgrade::{
        task::{cluster_steps, TaskType},
        PlanPhase,
    },
    Error, Result,
};
use serde_json::json;
use store::upgrade::{NewTask, PLAN_OF_TASK};

use crate::Engine;

/// How long a plan whose cluster is busy waits before it looks again.
const BUSY_RETRY_MINUTES: i64 = 10;

pub async fn run(engine: &Engine, job: &Job) -> Result<()> {
    let store = engine.store();
    let id: UpgradePlanId =
        job.resource_id.parse().map_err(|_| Error::internal(format!("plan job of {:?}", job.resource_id)))?;
    let mut tx = store.begin().await?;
    tx.job_fence(job).await?;
    let plan = tx.upgrade_plan_by_id(id).await?.filter(|p| p.phase == PlanPhase::Pending);
    let cluster = match &plan {
        Some(p) => tx.cce_cluster(p.cluster_id).await.found()?,
        None => None,
    };
    let (Some(plan), Some(cluster)) = (plan, cluster) else {
        tx.job_finish(job, JobState::Cancelled, Some("the plan or its cluster is gone")).await?;
        return tx.commit().await;
    };
    if cluster.version != plan.cluster_version {
        tx.upgrade_plan_set_phase(id, PlanPhase::Cancelled).await?;
        tx.job_finish(job, JobState::Cancelled, Some("the cluster left the plan's version")).await?;
        return tx.commit().await;
    }
    if cluster.phase != CcePhase::Available
        || tx.upgrade_unfinished(cluster.id, &[TaskType::Cluster], None).await?
    {
        let later = store.clock().now() + chrono::Duration::minutes(BUSY_RETRY_MINUTES);
        tx.job_try_again_at(job, "the cluster is busy; the plan waits", later).await?;
        return tx.commit().await;
    }
    let pools: Vec<(String, i64)> = cluster.node_pools.iter().map(|p| (p.id.clone(), 0)).collect();
    let task = NewTask {
        id: Some((
            UpgradeTaskId::derived(&format!("upgrade-plan-task:{id}")),
            JobId::derived(&format!("upgrade-plan-task-job:{id}")),
        )),
        task_type: TaskType::Cluster,
        target_version: plan.target_version.clone(),
        request: json!({
            PLAN_OF_TASK: id,
            "clusterUpgradeAction": { "targetVersion": plan.target_version },
        }),
        steps: cluster_steps(&pools, false),
        requires_precheck: false,
        step_attempts: engine.config.step_attempts,
    };
    let actor = Actor::operator(plan.domain_id, format!("upgrade-plan:{id}"), operator::UPGRADE_PLAN_RUN);
    tx.upgrade_task_insert(&actor, &cluster, task).await?;
    tx.upgrade_plan_set_phase(id, PlanPhase::Running).await?;
    tx.job_finish(job, JobState::Succeeded, None).await?;
    tx.commit().await
}
