//! The operator's job administration: listings across tenants, and retry and cancel as decided by
//! [`domain::job_admin`]. Each action is one transaction that re-checks the job's state in its
//! `WHERE` (a job that moved meanwhile is refused, not overwritten), audits the action in the job's
//! tenant and, where the job becomes runnable, wakes the workers.

use domain::{
    audit::{Actor, NewAuditEvent},
    authz::operator,
    error::{http, Found},
    ids::{FleetId, JobId},
    job::{Job, JobKind, Signal},
    job_admin::{self, JobFilter, Retry, StateFilter, STUCK_AFTER_SECS},
    Error, Result,
};

use crate::{
    job::{job_from_row, JOB_COLUMNS},
    sql::map_db_err,
    Store, Tx,
};

fn not_found(id: JobId) -> Error {
    Error::new(http::JOB_NOT_FOUND).with_detail(format!("no job {id}"))
}

fn moved(id: JobId) -> Error {
    Error::new(http::JOB_STATE).with_detail(format!("job {id} changed meanwhile; look at it again"))
}

/// A job and, for a workflow, its steps in plan order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JobDetail {
    #[serde(flatten)]
    pub job: Job,
    pub steps: Vec<Job>,
}

impl Store {
    /// Jobs across tenants, newest first, as `filter` selects.
    pub async fn job_admin_list(&self, filter: &JobFilter) -> Result<Vec<Job>> {
        let now = self.now_millis();
        let mut clauses = vec!["1 = 1".to_string()];
        let mut texts: Vec<String> = Vec::new();
        let mut bind_text = |clauses: &mut Vec<String>, sql: &str, value: String| {
            texts.push(value);
            clauses.push(sql.replace('?', &format!("${}", texts.len())));
        };
        if let Some(tenant) = filter.tenant {
            bind_text(&mut clauses, "domain_id = ?", tenant.to_string());
        }
        if let Some(kind) = filter.kind {
            bind_text(&mut clauses, "kind = ?", kind.as_str().to_string());
        }
        match filter.state {
            Some(StateFilter::Is(state)) => bind_text(&mut clauses, "state = ?", state.as_str().to_string()),
            Some(StateFilter::Stuck) => clauses.push(format!(
                "((state = 'running' AND lease_expires_at < {now})
                  OR (state = 'pending' AND waiting_for = 0 AND run_at < {}))",
                now - STUCK_AFTER_SECS * 1000
            )),
            None => {}
        }
        if let Some(before) = filter.created_before {
            clauses.push(format!("created_at < {}", before.timestamp_millis()));
        }
        if !filter.steps {
            clauses.push("parent_id IS NULL".to_string());
        }
        let limit = filter.limit.clamp(1, JobFilter::MAX_LIMIT);
        let statement = format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE {} ORDER BY created_at DESC, id LIMIT {limit}",
            clauses.join(" AND ")
        );
        let mut query = sqlx::query(&statement);
        for value in &texts {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(map_db_err)?;
        rows.iter().map(job_from_row).collect()
    }

    /// One job with its steps.
    pub async fn job_admin_show(&self, id: JobId) -> Result<JobDetail> {
        let job = self.job_get(id).await?.ok_or_else(|| not_found(id))?;
        let rows =
            sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE parent_id = $1 ORDER BY position"))
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_db_err)?;
        let steps = rows.iter().map(job_from_row).collect::<Result<_>>()?;
        Ok(JobDetail { job, steps })
    }

    /// An operator's retry ([`job_admin::retry`]): a waiting job runs now; a failed or cancelled one
    /// runs again with fresh attempts (a workflow with its failed and cancelled steps, and its fleet
    /// back in the workflow's running state). Returns the job as it now stands.
    pub async fn job_admin_retry(&self, id: JobId, request_id: &str) -> Result<Job> {
        let mut tx = self.begin().await?;
        let job = tx.job_get(id).await?.ok_or_else(|| not_found(id))?;
        let now = self.now_millis();
        match job_admin::retry(&job)? {
            Retry::RunNow => {
                let done = sqlx::query(
                    "UPDATE jobs SET run_at = $1, updated_at = $1
                     WHERE id = $2 AND state = 'pending' AND waiting_for = 0",
                )
                .bind(now)
                .bind(id.to_string())
                .execute(&mut *tx.tx)
                .await
                .map_err(map_db_err)?;
                if done.rows_affected() != 1 {
                    return Err(moved(id));
                }
            }
            Retry::Rerun => {
                if let JobKind::Federation(workflow) = job.kind {
                    restart_federation(&mut tx, &job, workflow).await?;
                }
                let done = sqlx::query(
                    "UPDATE jobs SET state = 'pending', attempts = 0, failures = 0, run_at = $1, signal = NULL,
                        waiting_for = 0, lease_owner = NULL, lease_expires_at = NULL, finished_at = NULL,
                        updated_at = $1
                     WHERE id = $2 AND state IN ('failed', 'cancelled')",
                )
                .bind(now)
                .bind(id.to_string())
                .execute(&mut *tx.tx)
                .await
                .map_err(|e| {
                    if crate::is_unique_violation(&e) {
                        let key = job.exclusive_key.as_deref().unwrap_or_default();
                        Error::new(http::JOB_STATE)
                            .with_detail(format!("another open job holds {key}; job {id} cannot run again"))
                    } else {
                        map_db_err(e)
                    }
                })?;
                if done.rows_affected() != 1 {
                    return Err(moved(id));
                }
                // Steps that did not succeed run again, held until the workflow releases their stage.
                sqlx::query(
                    "UPDATE jobs SET state = 'pending', attempts = 0, failures = 0, signal = NULL, waiting_for = 1,
                        finished_at = NULL, updated_at = $1
                     WHERE parent_id = $2 AND state IN ('failed', 'cancelled')",
                )
                .bind(now)
                .bind(id.to_string())
                .execute(&mut *tx.tx)
                .await
                .map_err(map_db_err)?;
            }
        }
        acted(tx, &job, request_id, operator::JOB_RETRY).await
    }

    /// An operator's cancel ([`job_admin::cancel`]): the job (and a workflow's open steps) carries
    /// the cancel signal, and one that waits is made runnable now, so that its own code gives up at
    /// once and records why on its resource. Returns the job as it now stands.
    pub async fn job_admin_cancel(&self, id: JobId, request_id: &str) -> Result<Job> {
        let mut tx = self.begin().await?;
        let job = tx.job_get(id).await?.ok_or_else(|| not_found(id))?;
        job_admin::cancel(&job)?;
        let now = self.now_millis();
        let signal = |target: &str| {
            format!(
                "UPDATE jobs SET signal = $1, state = CASE WHEN state = 'paused' THEN 'pending' ELSE state END,
                    run_at = CASE WHEN state = 'running' THEN run_at ELSE $2 END, updated_at = $2
                 WHERE {target} AND state IN ('pending', 'running', 'paused')"
            )
        };
        let done = sqlx::query(&signal("id = $3"))
            .bind(Signal::Cancel.as_str())
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        if done.rows_affected() != 1 {
            return Err(moved(id));
        }
        sqlx::query(&signal("parent_id = $3"))
            .bind(Signal::Cancel.as_str())
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        acted(tx, &job, request_id, operator::JOB_CANCEL).await
    }
}

/// The end of an operator's action on `job`, which made it runnable: wakes the workers at the commit,
/// audits the action in the job's tenant, and returns the job as it now stands.
async fn acted(mut tx: Tx<'_>, job: &Job, request_id: &str, action: domain::authz::Action) -> Result<Job> {
    tx.wake_workers_at_commit().await?;
    let actor = Actor::operator(job.domain_id, request_id.to_string(), action);
    tx.audit(&actor, NewAuditEvent::success("job", job.id)).await?;
    let now = tx.job_get(job.id).await?.ok_or_else(|| not_found(job.id))?;
    tx.commit().await?;
    Ok(now)
}

/// A federation workflow that runs again moves its fleet back to the workflow's running state, as
/// the API does when it starts one; refused where the fleet has moved on.
async fn restart_federation(
    tx: &mut Tx<'_>,
    job: &Job,
    workflow: domain::federation::Workflow,
) -> Result<()> {
    let refuse = |why: String| Error::new(http::JOB_STATE).with_detail(why);
    let fleet_id: FleetId =
        job.resource_id.parse().map_err(|_| refuse(format!("job {} has no fleet", job.id)))?;
    let fleet = tx
        .fleet_get(job.domain_id, fleet_id)
        .await
        .found()?
        .ok_or_else(|| refuse(format!("the fleet {fleet_id} of job {} is gone", job.id)))?;
    let state = workflow.start(fleet.federation).ok_or_else(|| {
        refuse(format!(
            "the federation of fleet {fleet_id} is {} now; job {} cannot run again from there",
            fleet.federation.as_str(),
            job.id
        ))
    })?;
    tx.fleet_federation_set(fleet_id, state, "", None).await
}
