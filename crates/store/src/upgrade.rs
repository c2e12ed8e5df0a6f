//! Cluster upgrades: workflows, tasks (each executed by one job) and Autopilot plans. A task and its
//! job are written in one transaction; every change of a task's status recomputes its workflow's
//! phase in the same transaction, so the two never disagree.

use chrono::{DateTime, Utc};
use domain::{
    audit::{Actor, NewAuditEvent},
    cce::CceCluster,
    error::cce,
    ids::{CceClusterId, JobId, UpgradePlanId, UpgradeTaskId, UpgradeWorkflowId},
    job::{JobKind, NewJob},
    upgrade::{
        task::{self as task_sm, TaskEvent, TaskStatus, TaskType, UpgradeTask},
        workflow::{self as workflow_sm, Points, UpgradeWorkflow, WorkflowPhase},
        Catalogue, PlanPhase, UpgradePlan,
    },
    Error, Result,
};
use serde_json::Value;
use sqlx::any::AnyRow;

use crate::{
    sql::{instant, int, map_db_err, opt_instant, opt_parsed, parsed, text},
    Store, Tx,
};

const WORKFLOW_COLUMNS: &str =
    "id, domain_id, cluster_id, cluster_version, target_version, phase, created_at, updated_at";

const TASK_COLUMNS: &str =
    "id, domain_id, cluster_id, workflow_id, task_type, status, version, target_version,
    request, steps, done_steps, failures, result, message, job_id, started_at, finished_at, expires_at,
    created_at, updated_at";

const PLAN_COLUMNS: &str =
    "id, domain_id, cluster_id, cluster_version, target_version, not_before, not_after,
    not_before_deadline, phase, created_at, updated_at";

fn stored<T>(what: &str, raw: &str, parsed: Option<T>) -> Result<T> {
    parsed.ok_or_else(|| Error::internal(format!("stored {what} {raw:?}")))
}

fn json_col(row: &AnyRow, col: &str) -> Result<Value> {
    serde_json::from_str(&text(row, col)?).map_err(|e| Error::internal(format!("stored {col}: {e}")))
}

fn workflow_from_row(row: &AnyRow) -> Result<UpgradeWorkflow> {
    let phase = text(row, "phase")?;
    Ok(UpgradeWorkflow {
        id: parsed(row, "id")?,
        domain_id: parsed(row, "domain_id")?,
        cluster_id: parsed(row, "cluster_id")?,
        cluster_version: text(row, "cluster_version")?,
        target_version: text(row, "target_version")?,
        phase: stored("phase", &phase, WorkflowPhase::parse(&phase))?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

fn task_from_row(row: &AnyRow) -> Result<UpgradeTask> {
    let task_type = text(row, "task_type")?;
    let status = text(row, "status")?;
    let steps: Vec<String> = serde_json::from_value(json_col(row, "steps")?)
        .map_err(|e| Error::internal(format!("stored steps: {e}")))?;
    Ok(UpgradeTask {
        id: parsed(row, "id")?,
        domain_id: parsed(row, "domain_id")?,
        cluster_id: parsed(row, "cluster_id")?,
        workflow_id: opt_parsed(row, "workflow_id")?,
        task_type: stored("task type", &task_type, TaskType::parse(&task_type))?,
        status: stored("status", &status, TaskStatus::parse(&status))?,
        version: text(row, "version")?,
        target_version: text(row, "target_version")?,
        request: json_col(row, "request")?,
        steps,
        done_steps: usize::try_from(int(row, "done_steps")?).unwrap_or(0),
        failures: int(row, "failures")?,
        result: json_col(row, "result")?,
        message: text(row, "message")?,
        job_id: opt_parsed(row, "job_id")?,
        started_at: opt_instant(row, "started_at")?,
        finished_at: opt_instant(row, "finished_at")?,
        expires_at: opt_instant(row, "expires_at")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

fn plan_from_row(row: &AnyRow) -> Result<UpgradePlan> {
    Ok(UpgradePlan {
        id: parsed(row, "id")?,
        domain_id: parsed(row, "domain_id")?,
        cluster_id: parsed(row, "cluster_id")?,
        cluster_version: text(row, "cluster_version")?,
        target_version: text(row, "target_version")?,
        not_before: instant(row, "not_before")?,
        not_after: instant(row, "not_after")?,
        not_before_deadline: instant(row, "not_before_deadline")?,
        phase: {
            let phase = text(row, "phase")?;
            stored("plan phase", &phase, PlanPhase::parse(&phase))?
        },
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

/// The request key that ties a cluster upgrade task to the plan that made it.
pub const PLAN_OF_TASK: &str = "upgradePlanID";

fn plan_key(cluster_id: CceClusterId) -> String {
    format!("upgrade-plan:{cluster_id}")
}

/// The message of a task stopped because its workflow was cancelled.
pub const CANCELLED_WITH_WORKFLOW: &str = "cancelled with its upgrade workflow";

/// A task to create.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Requests take a new id; a task a worker makes (a plan's) derives it, and its job's.
    pub id: Option<(UpgradeTaskId, JobId)>,
    pub task_type: TaskType,
    pub target_version: String,
    pub request: Value,
    pub steps: Vec<String>,
    /// Upgrading needs a successful precheck of the same target that has not expired.
    pub requires_precheck: bool,
    /// Attempts of each step before the task fails.
    pub step_attempts: i64,
}

/// What a user asks of the cluster's upgrade task (C17–C19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskControl {
    Pause,
    Continue,
    Retry,
}

fn same_release(a: &str, b: &str) -> bool {
    let release = domain::upgrade::catalogue::release_of;
    a == b || release(a) == release(b)
}

/// The status a task shows: a cluster upgrade paused before it ran anything shows `Pause`.
fn task_error(status: TaskStatus, what: &str) -> Error {
    Error::new(cce::TASK_STATUS)
        .with_detail(format!("the cluster's upgrade task is {status}; it cannot {what}"))
}

impl Store {
    pub async fn upgrade_workflow_create(
        &self,
        actor: &Actor,
        cluster: &CceCluster,
        target_version: &str,
    ) -> Result<UpgradeWorkflow> {
        let id = UpgradeWorkflowId::new();
        let mut tx = self.begin().await?;
        let now = tx.now_millis();
        sqlx::query(
            "INSERT INTO upgrade_workflows (id, domain_id, cluster_id, cluster_version, target_version, phase,
                created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(id.to_string())
        .bind(cluster.domain_id.to_string())
        .bind(cluster.id.to_string())
        .bind(&cluster.version)
        .bind(target_version)
        .bind(WorkflowPhase::Init.as_str())
        .bind(now)
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| {
            if crate::is_unique_violation(&e) {
                Error::new(cce::WORKFLOW_EXISTS).with_detail("finish or cancel it first")
            } else {
                map_db_err(e)
            }
        })?;
        tx.audit(actor, NewAuditEvent::success("upgrade_workflow", id)).await?;
        let workflow = tx.upgrade_workflow(id).await?;
        tx.commit().await?;
        Ok(workflow)
    }

    pub async fn upgrade_workflow_get(
        &self,
        cluster_id: CceClusterId,
        id: UpgradeWorkflowId,
    ) -> Result<UpgradeWorkflow> {
        let row = sqlx::query(&format!(
            "SELECT {WORKFLOW_COLUMNS} FROM upgrade_workflows WHERE id = $1 AND cluster_id = $2"
        ))
        .bind(id.to_string())
        .bind(cluster_id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_db_err)?;
        row.as_ref()
            .map(workflow_from_row)
            .transpose()?
            .ok_or_else(|| Error::not_found(cce::NOT_FOUND).with_detail("no such upgrade workflow"))
    }

    /// A cluster's workflows, newest first.
    pub async fn upgrade_workflow_list(&self, cluster_id: CceClusterId) -> Result<Vec<UpgradeWorkflow>> {
        let rows = sqlx::query(&format!(
            "SELECT {WORKFLOW_COLUMNS} FROM upgrade_workflows WHERE cluster_id = $1 ORDER BY created_at DESC, id"
        ))
        .bind(cluster_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter().map(workflow_from_row).collect()
    }

    /// The tasks of a workflow, oldest first.
    pub async fn upgrade_workflow_tasks(&self, id: UpgradeWorkflowId) -> Result<Vec<UpgradeTask>> {
        let rows = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM upgrade_tasks WHERE workflow_id = $1 ORDER BY created_at, id"
        ))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter().map(task_from_row).collect()
    }

    /// PATCH (C08): moves a workflow to `requested` if its state machine allows it.
    pub async fn upgrade_workflow_patch(
        &self,
        actor: &Actor,
        cluster_id: CceClusterId,
        id: UpgradeWorkflowId,
        requested: WorkflowPhase,
    ) -> Result<UpgradeWorkflow> {
        let mut tx = self.begin().await?;
        let workflow = tx.upgrade_workflow(id).await?;
        if workflow.cluster_id != cluster_id {
            return Err(Error::not_found(cce::NOT_FOUND).with_detail("no such upgrade workflow"));
        }
        let points = tx.upgrade_workflow_points(id).await?;
        let phase = workflow_sm::patch(workflow.phase, requested, &points)
            .map_err(|refusal| Error::new(cce::WORKFLOW_PHASE).with_detail(refusal.message()))?;
        tx.upgrade_workflow_set_phase(id, phase).await?;
        if phase == WorkflowPhase::Cancel {
            tx.upgrade_workflow_stop_tasks(id).await?;
        }
        tx.audit(actor, NewAuditEvent::success("upgrade_workflow", id)).await?;
        let workflow = tx.upgrade_workflow(id).await?;
        tx.commit().await?;
        Ok(workflow)
    }

    /// Creates a task of `cluster` and the job that executes it. A cluster upgrade is refused while
    /// another is unfinished, and without a successful, unexpired precheck of its target.
    pub async fn upgrade_task_create(
        &self,
        actor: &Actor,
        cluster: &CceCluster,
        new: NewTask,
    ) -> Result<UpgradeTask> {
        let mut tx = self.begin().await?;
        let task = tx.upgrade_task_insert(actor, cluster, new).await?;
        tx.commit().await?;
        Ok(task)
    }

    /// A task of the cluster.
    pub async fn upgrade_task_get(&self, cluster_id: CceClusterId, id: UpgradeTaskId) -> Result<UpgradeTask> {
        match self.upgrade_task_by_id(id).await? {
            Some(task) if task.cluster_id == cluster_id => Ok(task),
            _ => Err(Error::not_found(cce::NOT_FOUND).with_detail("no such task")),
        }
    }

    /// A task by id alone, if it still exists.
    pub async fn upgrade_task_by_id(&self, id: UpgradeTaskId) -> Result<Option<UpgradeTask>> {
        task_by_id(&self.pool, id).await
    }

    /// A cluster's tasks of some types, oldest first.
    pub async fn upgrade_task_list(
        &self,
        cluster_id: CceClusterId,
        types: &[TaskType],
    ) -> Result<Vec<UpgradeTask>> {
        let rows = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM upgrade_tasks WHERE cluster_id = $1 ORDER BY created_at, id"
        ))
        .bind(cluster_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        let tasks = rows.iter().map(task_from_row).collect::<Result<Vec<_>>>()?;
        Ok(tasks.into_iter().filter(|t| types.contains(&t.task_type)).collect())
    }

    /// Pause, continue or retry the cluster's newest cluster upgrade task. A pause of a running task
    /// takes effect when its current step ends; the engine honours the job's signal then.
    pub async fn upgrade_task_control(
        &self,
        actor: &Actor,
        cluster_id: CceClusterId,
        control: TaskControl,
    ) -> Result<UpgradeTask> {
        let mut tx = self.begin().await?;
        let id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM upgrade_tasks WHERE cluster_id = $1 AND task_type = 'Cluster'
             ORDER BY created_at DESC, id LIMIT 1",
        )
        .bind(cluster_id.to_string())
        .fetch_optional(&mut *tx.tx)
        .await
        .map_err(map_db_err)?;
        let id: UpgradeTaskId = match id {
            Some(raw) => raw.parse().map_err(|_| Error::internal("stored task id"))?,
            None => return Err(Error::new(cce::TASK_STATUS).with_detail("the cluster has no upgrade task")),
        };
        let mut task = tx.upgrade_task(id).await?;
        let job_id = task.job_id.ok_or_else(|| Error::internal("an upgrade task without its job"))?;
        match control {
            TaskControl::Pause => {
                let paused = task_sm::next(task.status, TaskEvent::Paused)
                    .ok_or_else(|| task_error(task.status, "pause"))?;
                if tx.job_pause(job_id).await? {
                    task.status = paused;
                }
            }
            TaskControl::Continue => {
                if task.status == TaskStatus::Running && tx.job_resume(job_id).await? {
                    // A pause asked for but not yet in effect is withdrawn.
                } else {
                    let queued = task_sm::next(task.status, TaskEvent::Continued)
                        .ok_or_else(|| task_error(task.status, "continue"))?;
                    if !tx.job_resume(job_id).await? {
                        return Err(Error::internal("a paused task whose job is not paused"));
                    }
                    task.status = queued;
                }
            }
            TaskControl::Retry => {
                task.status = task_sm::next(task.status, TaskEvent::Retried)
                    .ok_or_else(|| task_error(task.status, "retry"))?;
                let attempts = tx.job_max_attempts(job_id).await?;
                let mut job = NewJob::new(
                    JobKind::UpgradeTask(task.task_type),
                    task.domain_id,
                    "upgrade_task",
                    task.id,
                );
                job.max_attempts = attempts;
                job.exclusive_key = Some(format!("upgrade-task:{}", task.id));
                task.job_id = Some(tx.job_enqueue(job, Error::new(cce::CONFLICT)).await?);
                task.failures = 0;
                task.message.clear();
                task.finished_at = None;
            }
        }
        tx.upgrade_task_save(&task).await?;
        tx.audit(actor, NewAuditEvent::success("upgrade_task", id)).await?;
        let task = tx.upgrade_task(id).await?;
        tx.commit().await?;
        Ok(task)
    }

    /// The cluster's Autopilot upgrade plan, if one is recorded.
    pub async fn upgrade_plan_get(&self, cluster_id: CceClusterId) -> Result<Option<UpgradePlan>> {
        let row = sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM upgrade_plans WHERE cluster_id = $1"))
            .bind(cluster_id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(plan_from_row).transpose()
    }

    /// C43: moves a plan's window to start at `not_before`.
    pub async fn upgrade_plan_delay(
        &self,
        actor: &Actor,
        cluster_id: CceClusterId,
        id: UpgradePlanId,
        not_before: DateTime<Utc>,
    ) -> Result<UpgradePlan> {
        let not_found = || Error::not_found(cce::NOT_FOUND).with_detail("no such upgrade plan");
        let mut tx = self.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {PLAN_COLUMNS} FROM upgrade_plans WHERE id = $1 AND cluster_id = $2"
        ))
        .bind(id.to_string())
        .bind(cluster_id.to_string())
        .fetch_optional(&mut *tx.tx)
        .await
        .map_err(map_db_err)?;
        let plan = row.as_ref().map(plan_from_row).transpose()?.ok_or_else(not_found)?;
        let now = self.clock.now();
        let (start, end) = domain::upgrade::delay_plan(&plan, not_before, now)
            .map_err(|why| Error::new(cce::BAD_REQUEST).with_detail(why))?;
        if plan.phase != PlanPhase::Pending {
            return Err(Error::new(cce::BAD_REQUEST).with_detail(format!(
                "the plan is {}; only a pending plan can be delayed",
                plan.phase.as_str()
            )));
        }
        sqlx::query(
            "UPDATE jobs SET run_at = $1, updated_at = $2 WHERE exclusive_key = $3 AND state = 'pending'",
        )
        .bind(start.timestamp_millis())
        .bind(now.timestamp_millis())
        .bind(plan_key(cluster_id))
        .execute(&mut *tx.tx)
        .await
        .map_err(map_db_err)?;
        sqlx::query(
            "UPDATE upgrade_plans SET not_before = $1, not_after = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(start.timestamp_millis())
        .bind(end.timestamp_millis())
        .bind(now.timestamp_millis())
        .bind(id.to_string())
        .execute(&mut *tx.tx)
        .await
        .map_err(map_db_err)?;
        tx.audit(actor, NewAuditEvent::success("upgrade_plan", id)).await?;
        tx.commit().await?;
        self.upgrade_plan_get(cluster_id).await?.ok_or_else(not_found)
    }
}

impl Tx<'_> {
    async fn upgrade_workflow(&mut self, id: UpgradeWorkflowId) -> Result<UpgradeWorkflow> {
        let row = sqlx::query(&format!("SELECT {WORKFLOW_COLUMNS} FROM upgrade_workflows WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        row.as_ref()
            .map(workflow_from_row)
            .transpose()?
            .ok_or_else(|| Error::not_found(cce::NOT_FOUND).with_detail("no such upgrade workflow"))
    }

    /// The status of the newest task of each point of a workflow.
    async fn upgrade_workflow_points(&mut self, id: UpgradeWorkflowId) -> Result<Points> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT task_type, status FROM upgrade_tasks WHERE workflow_id = $1 ORDER BY created_at, id",
        )
        .bind(id.to_string())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        let mut points = Points::default();
        for (task_type, status) in rows {
            if let (Some(t), Some(s)) = (TaskType::parse(&task_type), TaskStatus::parse(&status)) {
                points.set(t, s);
            }
        }
        Ok(points)
    }

    async fn upgrade_workflow_set_phase(
        &mut self,
        id: UpgradeWorkflowId,
        phase: WorkflowPhase,
    ) -> Result<()> {
        let now = self.now_millis();
        sqlx::query("UPDATE upgrade_workflows SET phase = $1, updated_at = $2 WHERE id = $3")
            .bind(phase.as_str())
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }

    /// Stops the unfinished tasks of a cancelled workflow (its checks and snapshots): waiting ones fail
    /// now, a running one when its step ends (its job carries the `cancel` signal).
    async fn upgrade_workflow_stop_tasks(&mut self, id: UpgradeWorkflowId) -> Result<()> {
        let rows = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM upgrade_tasks WHERE workflow_id = $1 AND status NOT IN ('Success', 'Failed')"
        ))
        .bind(id.to_string())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        for mut task in rows.iter().map(task_from_row).collect::<Result<Vec<_>>>()? {
            let Some(job) = task.job_id else { continue };
            if self.job_cancel(job).await? {
                task.status = task_sm::next(task.status, TaskEvent::Cancelled).unwrap_or(TaskStatus::Failed);
                task.message = CANCELLED_WITH_WORKFLOW.to_string();
                task.finished_at = Some(self.store.clock.now());
                self.upgrade_task_save(&task).await?;
            }
        }
        Ok(())
    }

    /// Recomputes an unended workflow's phase from its tasks.
    async fn upgrade_workflow_refresh(&mut self, id: UpgradeWorkflowId) -> Result<()> {
        // The workflow's row is locked before its tasks are read: two tasks of one workflow that
        // change at once recompute its phase one after the other, the second seeing the first.
        let lock = self.dialect().for_update();
        let phase: String =
            sqlx::query_scalar(&format!("SELECT phase FROM upgrade_workflows WHERE id = $1{lock}"))
                .bind(id.to_string())
                .fetch_one(&mut *self.tx)
                .await
                .map_err(map_db_err)?;
        if WorkflowPhase::parse(&phase).is_none_or(WorkflowPhase::is_terminal) {
            return Ok(());
        }
        let points = self.upgrade_workflow_points(id).await?;
        self.upgrade_workflow_set_phase(id, workflow_sm::phase(false, &points)).await
    }

    /// Records a task of `cluster` and enqueues the job that executes it (see
    /// [`Store::upgrade_task_create`]).
    pub async fn upgrade_task_insert(
        &mut self,
        actor: &Actor,
        cluster: &CceCluster,
        new: NewTask,
    ) -> Result<UpgradeTask> {
        let (id, job_id) = new.id.unwrap_or_default();
        if new.requires_precheck {
            self.upgrade_require_precheck(cluster.id, &new.target_version).await?;
        }
        let workflow = self
            .upgrade_open_workflow(cluster.id)
            .await?
            .filter(|w| same_release(&w.target_version, &new.target_version))
            .map(|w| w.id);
        let mut job = NewJob::new(JobKind::UpgradeTask(new.task_type), cluster.domain_id, "upgrade_task", id);
        job.id = Some(job_id);
        job.max_attempts = new.step_attempts;
        job.exclusive_key = Some(format!("upgrade-task:{id}"));
        let job_id = self.job_enqueue(job, Error::new(cce::CONFLICT)).await?;
        let now = self.now_millis();
        sqlx::query(&format!(
            "INSERT INTO upgrade_tasks ({TASK_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, '{{}}', '', $11, NULL, NULL, NULL, $12, $12)"
        ))
        .bind(id.to_string())
        .bind(cluster.domain_id.to_string())
        .bind(cluster.id.to_string())
        .bind(workflow.map(|w| w.to_string()))
        .bind(new.task_type.as_str())
        .bind(TaskStatus::Init.as_str())
        .bind(&cluster.version)
        .bind(&new.target_version)
        .bind(new.request.to_string())
        .bind(serde_json::to_string(&new.steps).expect("steps serialize"))
        .bind(job_id.to_string())
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| {
            if crate::is_unique_violation(&e) {
                Error::new(cce::UPGRADE_IN_PROGRESS).with_detail("the cluster's upgrade task is unfinished")
            } else {
                map_db_err(e)
            }
        })?;
        if let Some(w) = workflow {
            self.upgrade_workflow_refresh(w).await?;
        }
        self.audit(actor, NewAuditEvent::success("upgrade_task", id)).await?;
        self.upgrade_task(id).await
    }

    pub async fn upgrade_task(&mut self, id: UpgradeTaskId) -> Result<UpgradeTask> {
        let row = sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM upgrade_tasks WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(task_from_row).transpose()?.ok_or_else(|| Error::not_found(cce::NOT_FOUND))
    }

    /// Writes a task's progress and status, and its workflow's phase with it.
    pub async fn upgrade_task_save(&mut self, task: &UpgradeTask) -> Result<()> {
        let now = self.now_millis();
        let millis = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_millis());
        sqlx::query(
            "UPDATE upgrade_tasks SET status = $1, done_steps = $2, failures = $3, result = $4, message = $5,
                job_id = $6, started_at = $7, finished_at = $8, expires_at = $9, updated_at = $10
             WHERE id = $11",
        )
        .bind(task.status.as_str())
        .bind(task.done_steps as i64)
        .bind(task.failures)
        .bind(task.result.to_string())
        .bind(&task.message)
        .bind(task.job_id.map(|j| j.to_string()))
        .bind(millis(task.started_at))
        .bind(millis(task.finished_at))
        .bind(millis(task.expires_at))
        .bind(now)
        .bind(task.id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        match task.workflow_id {
            Some(w) => self.upgrade_workflow_refresh(w).await,
            None => Ok(()),
        }
    }

    /// Whether a task of `types` of the cluster, other than `except`, is unfinished.
    pub async fn upgrade_unfinished(
        &mut self,
        cluster_id: CceClusterId,
        types: &[TaskType],
        except: Option<UpgradeTaskId>,
    ) -> Result<bool> {
        // Type names come from the enum, never from input.
        let types: Vec<String> = types.iter().map(|t| format!("'{}'", t.as_str())).collect();
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM upgrade_tasks WHERE cluster_id = $1 AND id <> $2
                AND task_type IN ({}) AND status NOT IN ('Success', 'Failed')",
            types.join(", ")
        ))
        .bind(cluster_id.to_string())
        .bind(except.map(|t| t.to_string()).unwrap_or_default())
        .fetch_one(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        Ok(n > 0)
    }

    /// The cluster's unended workflow, if it has one.
    pub async fn upgrade_open_workflow(
        &mut self,
        cluster_id: CceClusterId,
    ) -> Result<Option<UpgradeWorkflow>> {
        let row = sqlx::query(&format!(
            "SELECT {WORKFLOW_COLUMNS} FROM upgrade_workflows WHERE cluster_id = $1 AND phase NOT IN ('Success', 'Cancel')"
        ))
        .bind(cluster_id.to_string())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        row.as_ref().map(workflow_from_row).transpose()
    }

    async fn upgrade_require_precheck(&mut self, cluster_id: CceClusterId, target: &str) -> Result<()> {
        let rows = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM upgrade_tasks WHERE cluster_id = $1 AND task_type = 'PreCheck'
             ORDER BY created_at DESC, id"
        ))
        .bind(cluster_id.to_string())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        let newest = rows
            .iter()
            .map(task_from_row)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .find(|t| same_release(&t.target_version, target));
        let now = self.store.clock.now();
        let detail = match newest {
            None => format!("run a precheck for {target} first"),
            Some(t) if t.status != TaskStatus::Success => {
                format!("the newest precheck for {target} is {}: fix its findings and run it again", t.status)
            }
            Some(t) if t.expires_at.is_some_and(|at| at <= now) => format!(
                "the precheck for {target} expired at {}: run it again",
                t.expires_at.map(|at| at.to_rfc3339()).unwrap_or_default()
            ),
            Some(_) => return Ok(()),
        };
        Err(Error::new(cce::PRECHECK_REQUIRED).with_detail(detail))
    }

    /// Moves a plan to `phase` (`Running` while its upgrade runs, `Failed`, `Cancelled`).
    pub async fn upgrade_plan_set_phase(&mut self, id: UpgradePlanId, phase: PlanPhase) -> Result<()> {
        let now = self.now_millis();
        sqlx::query("UPDATE upgrade_plans SET phase = $1, updated_at = $2 WHERE id = $3")
            .bind(phase.as_str())
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }

    /// Records the Autopilot plan to the cluster's next version, if the catalogue offers one
    /// (replacing an older plan).
    pub async fn upgrade_plan_record(&mut self, cluster: &CceCluster) -> Result<()> {
        sqlx::query("DELETE FROM upgrade_plans WHERE cluster_id = $1")
            .bind(cluster.id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        let now = self.now_millis();
        sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = $1, updated_at = $1
             WHERE exclusive_key = $2 AND state IN ('pending', 'paused')",
        )
        .bind(now)
        .bind(plan_key(cluster.id))
        .execute(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        let catalogue = Catalogue::get().flavor(cluster.flavor);
        let Some(target) = catalogue.find(&cluster.version).and_then(|v| v.target_versions.first()) else {
            return Ok(());
        };
        let now = self.store.clock.now();
        let (not_before, not_after, deadline) = domain::upgrade::plan_window(now);
        // Made from the cluster and its version, not drawn: workers record plans in whatever order
        // (deterministic mode).
        let id = UpgradePlanId::derived(&format!("upgrade-plan:{}:{}", cluster.id, cluster.version));
        // The plan carries itself out when its window opens (a delay moves the job).
        let mut job = NewJob::new(JobKind::UpgradePlan, cluster.domain_id, "upgrade_plan", id);
        job.id = Some(JobId::derived(&format!("upgrade-plan-job:{id}")));
        job.run_at = Some(not_before);
        job.exclusive_key = Some(plan_key(cluster.id));
        self.job_enqueue(job, Error::new(cce::CONFLICT)).await?;
        sqlx::query(&format!(
            "INSERT INTO upgrade_plans ({PLAN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $9, $9)"
        ))
        .bind(id.to_string())
        .bind(cluster.domain_id.to_string())
        .bind(cluster.id.to_string())
        .bind(&cluster.version)
        .bind(target)
        .bind(not_before.timestamp_millis())
        .bind(not_after.timestamp_millis())
        .bind(deadline.timestamp_millis())
        .bind(now.timestamp_millis())
        .bind(PlanPhase::Pending.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        Ok(())
    }
}

/// The task a job's resource id names, for the worker.
pub fn task_of_job(resource_id: &str) -> Result<UpgradeTaskId> {
    resource_id.parse().map_err(|_| Error::internal(format!("upgrade job: bad task id {resource_id:?}")))
}

/// A task by id alone, through the pool or in a transaction.
async fn task_by_id<'c>(
    executor: impl sqlx::Executor<'c, Database = sqlx::Any>,
    id: UpgradeTaskId,
) -> Result<Option<UpgradeTask>> {
    let row = sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM upgrade_tasks WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(executor)
        .await
        .map_err(map_db_err)?;
    row.as_ref().map(task_from_row).transpose()
}

impl Tx<'_> {
    /// A task by id alone (the worker's view), read in this transaction.
    pub async fn upgrade_task_by_id(&mut self, id: UpgradeTaskId) -> Result<Option<UpgradeTask>> {
        task_by_id(&mut *self.tx, id).await
    }

    /// A plan by id alone (the worker's view), read in this transaction.
    pub async fn upgrade_plan_by_id(&mut self, id: UpgradePlanId) -> Result<Option<UpgradePlan>> {
        let row = sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM upgrade_plans WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(plan_from_row).transpose()
    }
}
