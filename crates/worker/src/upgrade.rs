//! Upgrade tasks (docs/upgrades.md): one job per task runs the task's steps in order, one step per
//! claim. Each step calls the provider with the key `<task id>:<step>` (the same across attempts and
//! retries, so a repeated call is harmless), then commits its effect, the task's progress and the
//! job's next state in one fenced transaction. A pause asked for while a step ran parks the job when
//! the step ends; a failed step runs again after a backoff until the task's attempts are used.

use chrono::Duration;
use domain::{
    cce::{CceCluster, CcePhase},
    error::Found,
    job::{Job, JobState, Signal},
    upgrade::{
        catalogue::release_of,
        precheck::{self, Skipped},
        task::{self as task_sm, TaskEvent, TaskStatus, TaskType, UpgradeTask, FINISH_STEP, NODE_POOL_STEP},
        Catalogue, Flavor,
    },
    Error, Result,
};
use serde_json::{json, Value};
use store::Tx;

use crate::{
    provider::{Observation, ProviderError},
    Engine,
};

/// Ends a task whose workflow was cancelled: the task fails, its job is cancelled.
async fn cancel(
    tx: &mut Tx<'_>,
    job: &Job,
    task: &mut UpgradeTask,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    task.status = task_sm::next(task.status, TaskEvent::Cancelled).unwrap_or(TaskStatus::Failed);
    task.message = store::upgrade::CANCELLED_WITH_WORKFLOW.to_string();
    task.finished_at = Some(now);
    tx.job_finish(job, JobState::Cancelled, Some(store::upgrade::CANCELLED_WITH_WORKFLOW)).await
}

/// The task and its cluster, read in the transaction that decides on them; `None` when either is
/// positively gone.
async fn load(tx: &mut Tx<'_>, job: &Job) -> Result<Option<(UpgradeTask, CceCluster)>> {
    let task_id = store::upgrade::task_of_job(&job.resource_id)?;
    let Some(task) = tx.upgrade_task_by_id(task_id).await? else { return Ok(None) };
    let Some(cluster) = tx.cce_cluster(task.cluster_id).await.found()? else { return Ok(None) };
    Ok(Some((task, cluster)))
}

const GONE: &str = "the task or its cluster is gone";

pub async fn run(engine: &Engine, job: &Job, task_type: TaskType) -> Result<()> {
    let store = engine.store();
    let mut tx = store.begin().await?;
    tx.job_fence(job).await?;
    let Some((mut task, cluster)) = load(&mut tx, job).await? else {
        tx.job_finish(job, JobState::Cancelled, Some(GONE)).await?;
        return tx.commit().await;
    };
    debug_assert_eq!(task.task_type, task_type);
    let Some(step) = task.current_step().map(str::to_string) else {
        return Err(Error::internal(format!("upgrade task {} has no step left but its job runs", task.id)));
    };

    // A pause or cancel that arrived while the job waited for a worker takes effect before the step.
    if job.signal == Some(Signal::Cancel) {
        cancel(&mut tx, job, &mut task, store.clock().now()).await?;
        tx.upgrade_task_save(&task).await?;
        return tx.commit().await;
    }
    if job.signal == Some(Signal::Pause) {
        if let Some(paused) = task_sm::next(task.status, TaskEvent::Paused) {
            task.status = paused;
        }
        tx.upgrade_task_save(&task).await?;
        tx.job_park(job).await?;
        return tx.commit().await;
    }
    let now = store.clock().now();
    task.status = task_sm::next(task.status, TaskEvent::StepStarted).ok_or_else(|| {
        Error::internal(format!("upgrade task {} cannot start from {}", task.id, task.status))
    })?;
    task.started_at.get_or_insert(now);
    tx.upgrade_task_save(&task).await?;
    if task_type == TaskType::Cluster && cluster.phase == CcePhase::Available {
        tx.cce_cluster_update(cluster.id, |c| c.phase = CcePhase::Upgrading).await?;
    }
    tx.commit().await?;

    // The provider is asked outside any transaction: the step under the task's key, and what the
    // cluster itself reports where the step needs it.
    let key = format!("{}:{step}", task.id);
    let mut outcome = engine.provider.cce_step(&key, &step, &cluster, &task.target_version).await.map(|_| ());
    let observed = match (&outcome, task.task_type, step.as_str()) {
        (Ok(()), TaskType::PreCheck, "AddonCheck") => match engine.provider.observe(&cluster).await {
            Ok(observed) => Some(observed),
            Err(e) => {
                outcome = Err(e);
                None
            }
        },
        _ => None,
    };

    let mut tx = store.begin().await?;
    tx.job_fence(job).await?;
    let signal = tx.job_signal(job).await?;
    // What the commit decides on is read again in it: the cluster may have changed meanwhile.
    let Some((_, cluster)) = load(&mut tx, job).await? else {
        tx.job_finish(job, JobState::Cancelled, Some(GONE)).await?;
        return tx.commit().await;
    };
    if outcome.is_ok() {
        outcome = apply(&mut tx, &mut task, &cluster, &step, observed.as_ref()).await?;
    }
    let now = store.clock().now();
    match outcome {
        Ok(()) => {
            task.done_steps += 1;
            task.failures = 0;
            task.message.clear();
            let last = task.current_step().is_none();
            task.status = task_sm::next(task.status, TaskEvent::StepSucceeded { last })
                .ok_or_else(|| Error::internal("a step succeeded outside Running"))?;
            if last {
                task.finished_at = Some(now);
                if task_type == TaskType::PreCheck {
                    task.expires_at = Some(now + Duration::seconds(engine.config.precheck_ttl_secs));
                }
                tx.job_finish(job, JobState::Succeeded, None).await?;
            } else if signal == Some(Signal::Cancel) {
                cancel(&mut tx, job, &mut task, now).await?;
            } else if signal == Some(Signal::Pause) {
                task.status = task_sm::next(task.status, TaskEvent::Paused).unwrap_or(TaskStatus::Pause);
                tx.job_park(job).await?;
            } else {
                tx.job_yield(job).await?;
            }
        }
        Err(error) if error.unavailable => {
            // No verdict on the step: tried again, not counted.
            engine.try_again(&mut tx, job, &error.message).await?;
        }
        Err(error) => {
            task.failures += 1;
            task.message = format!("{step}: {}", error.message);
            let final_ = !error.retryable || task.failures >= job.max_attempts;
            task.status = task_sm::next(task.status, TaskEvent::StepFailed { final_ })
                .ok_or_else(|| Error::internal("a step failed outside Running"))?;
            if final_ {
                task.finished_at = Some(now);
                if task_type == TaskType::Cluster {
                    tx.cce_cluster_update(cluster.id, |c| c.phase = CcePhase::Available).await?;
                    let plan = task.request.get(store::upgrade::PLAN_OF_TASK).and_then(Value::as_str);
                    if let Some(plan) = plan.and_then(|p| p.parse().ok()) {
                        tx.upgrade_plan_set_phase(plan, domain::upgrade::PlanPhase::Failed).await?;
                    }
                }
                tx.job_finish(job, JobState::Failed, Some(&task.message)).await?;
            } else {
                tx.job_retry_at(job, &task.message, engine.after_backoff(task.failures)).await?;
            }
        }
    }
    tx.upgrade_task_save(&task).await?;
    tx.commit().await
}

/// Commits what a step did to the cluster or found, in the step's transaction. `Ok(Err(_))` is a
/// step that failed (a check that did not pass is final, a provider failure may be retried); `Err`
/// is a store failure, which leaves the step to run again.
async fn apply(
    tx: &mut Tx<'_>,
    task: &mut UpgradeTask,
    cluster: &CceCluster,
    step: &str,
    observed: Option<&Observation>,
) -> Result<Result<(), ProviderError>> {
    let catalogue = Catalogue::get().flavor(cluster.flavor);
    let final_failure = |message: String| Ok(Err(ProviderError::fatal(message)));
    let Some(target) = catalogue.find(&task.target_version) else {
        return final_failure(format!("{} is not in the version catalogue", task.target_version));
    };
    match (task.task_type, step) {
        (TaskType::PreCheck, "AddonCheck") => {
            let Some(current) = catalogue.find(&cluster.version) else {
                return final_failure(format!("{} is not in the version catalogue", cluster.version));
            };
            let Some(observed) = observed else {
                return Err(Error::internal("a precheck's addon check ran without observing the cluster"));
            };
            let skipped = skipped_items(&task.request);
            let open_workflow = tx.upgrade_open_workflow(cluster.id).await?;
            let findings = precheck::evaluate(&precheck::Input {
                cluster_available: cluster.phase == CcePhase::Available,
                upgrade_in_progress: tx
                    .upgrade_unfinished(cluster.id, &[TaskType::Cluster, TaskType::NodePool], Some(task.id))
                    .await?,
                open_workflow_target: open_workflow.as_ref().map(|w| w.target_version.as_str()),
                version: current,
                target,
                node_pools: &cluster.node_pools,
                addons: &cluster.addons,
                api_usage: &observed.api_usage,
                reported_risks: &observed.risks,
                skipped: &skipped,
            });
            let passed = precheck::passed(&findings);
            task.result = json!({ "findings": findings });
            if !passed {
                return final_failure(format!(
                    "{} fatal finding(s): fix them (or skip them) and run the precheck again",
                    findings.iter().filter(|f| f.level == precheck::Level::Fatal).count()
                ));
            }
        }
        (TaskType::Cluster, "UpgradeAddons") => {
            let requested = requested_addons(&task.request);
            let addons = cluster
                .addons
                .iter()
                .map(|(name, version)| {
                    let supported = target.addons.get(name);
                    let chosen = requested
                        .iter()
                        .find(|(n, v)| n == name && supported.is_some_and(|s| s.contains(v)))
                        .map(|(_, v)| v.clone())
                        .or_else(|| supported.and_then(|s| s.last().cloned()))
                        .unwrap_or_else(|| version.clone());
                    (name.clone(), chosen)
                })
                .collect();
            tx.cce_cluster_update(cluster.id, |c| c.addons = addons).await?;
        }
        (TaskType::Cluster, FINISH_STEP) => {
            let version = target.version.clone();
            let upgraded = tx
                .cce_cluster_update(cluster.id, |c| {
                    c.version = version;
                    c.phase = CcePhase::Available;
                })
                .await?;
            if upgraded.flavor == Flavor::Autopilot {
                tx.upgrade_plan_record(&upgraded).await?;
            }
        }
        (TaskType::Cluster, step) if step.starts_with(NODE_POOL_STEP) => {
            let pool = step.split_once(':').map_or("", |(_, id)| id).to_string();
            let version = target.version.clone();
            tx.cce_cluster_update(cluster.id, |c| {
                c.node_pools.iter_mut().filter(|p| p.id == pool).for_each(|p| p.version = version.clone())
            })
            .await?;
        }
        (TaskType::NodePool, _) => {
            let pool = task.request.get("nodePoolID").and_then(Value::as_str).unwrap_or_default().to_string();
            if !cluster.node_pools.iter().any(|p| p.id == pool) {
                return final_failure(format!("the cluster has no node pool {pool:?}"));
            }
            let version = cluster.version.clone();
            tx.cce_cluster_update(cluster.id, |c| {
                c.node_pools.iter_mut().filter(|p| p.id == pool).for_each(|p| p.version = version.clone())
            })
            .await?;
        }
        (TaskType::PostCheck, "VerifyVersion") if release_of(&cluster.version) != target.release() => {
            return final_failure(format!(
                "the cluster runs {}, not the target {}",
                cluster.version, target.version
            ));
        }
        (TaskType::PostCheck, "VerifyNodes") => {
            let behind: Vec<&str> = cluster
                .node_pools
                .iter()
                .filter(|p| release_of(&p.version) != release_of(&cluster.version))
                .map(|p| p.name.as_str())
                .collect();
            if !behind.is_empty() {
                return final_failure(format!("node pool(s) {behind:?} still run an older version"));
            }
        }
        (TaskType::AddonCheck, _) => {
            let name = task.request.get("addonTemplateName").and_then(Value::as_str).unwrap_or_default();
            let wanted = task.request.get("targetVersion").and_then(Value::as_str).unwrap_or_default();
            let offered = catalogue.find(&cluster.version).and_then(|v| v.addons.get(name));
            let fatal = |risk_name: &str, message: String| precheck::AddonCheckRisk {
                risk_name: risk_name.to_string(),
                level: precheck::Level::Fatal,
                status: "Failed".to_string(),
                message,
            };
            let release = release_of(&cluster.version);
            let risks = match offered {
                Some(versions) if versions.iter().any(|v| v == wanted) => Vec::new(),
                Some(versions) => vec![fatal(
                    "AddonVersion",
                    format!("{name} {wanted} is not offered on {release}; offered: {versions:?}"),
                )],
                None => vec![fatal("AddonTemplate", format!("no addon {name:?} is offered on {release}"))],
            };
            let failed = !risks.is_empty();
            task.result = json!({ "riskList": risks });
            if failed {
                return final_failure(format!("addon {name} {wanted} cannot be installed on this cluster"));
            }
        }
        _ => {}
    }
    Ok(Ok(()))
}

/// `spec.skippedCheckItemList` of a precheck request.
fn skipped_items(request: &Value) -> Vec<Skipped> {
    let items = request.get("skippedCheckItemList").and_then(Value::as_array).cloned().unwrap_or_default();
    items
        .iter()
        .filter_map(|item| {
            let name = item.get("name")?.as_str()?.to_string();
            let node_uids = item.get("resourceSelector").and_then(|s| {
                let values = s.get("values")?.as_array()?;
                Some(values.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            });
            Some(Skipped { name, node_uids })
        })
        .collect()
}

/// `clusterUpgradeAction.addons` of an upgrade request: addon → version.
fn requested_addons(request: &Value) -> Vec<(String, String)> {
    let addons = request
        .pointer("/clusterUpgradeAction/addons")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    addons
        .iter()
        .filter_map(|a| {
            Some((a.get("addonTemplateName")?.as_str()?.to_string(), a.get("version")?.as_str()?.to_string()))
        })
        .collect()
}
