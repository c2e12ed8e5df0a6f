//! The jobs table: enqueue inside the caller's transaction, reads, and the engine's mechanics: claim,
//! lease, fence, retry, rescue, pause and cancel signals, and the barrier between a workflow and its
//! steps (a parent releases a stage of steps and waits; each step that ends takes one off the
//! parent's `waiting_for` in its own transaction; the last one makes the parent runnable).

use domain::{
    ids::JobId,
    job::{Job, JobKind, JobState, NewJob, Signal},
    Error, Result,
};
use sqlx::any::AnyRow;

use crate::{
    sql::{instant, int, map_db_err, opt_instant, opt_parsed, opt_text, parsed, text},
    Store, Tx,
};

pub(crate) const JOB_COLUMNS: &str =
    "id, kind, domain_id, resource_type, resource_id, state, cursor, attempts, failures,
    max_attempts, run_at, lease_owner, lease_expires_at, parent_id, exclusive_key, signal, last_error,
    position, waiting_for, started_at, finished_at, created_at, updated_at";

pub(crate) fn job_from_row(row: &AnyRow) -> Result<Job> {
    let cursor = text(row, "cursor")?;
    Ok(Job {
        id: parsed(row, "id")?,
        kind: text(row, "kind")?.parse()?,
        domain_id: parsed(row, "domain_id")?,
        resource_type: text(row, "resource_type")?,
        resource_id: text(row, "resource_id")?,
        state: text(row, "state")?.parse::<JobState>()?,
        cursor: serde_json::from_str(&cursor)
            .map_err(|e| Error::internal(format!("stored job cursor: {e}")))?,
        attempts: int(row, "attempts")?,
        failures: int(row, "failures")?,
        max_attempts: int(row, "max_attempts")?,
        run_at: instant(row, "run_at")?,
        lease_owner: opt_text(row, "lease_owner")?,
        lease_expires_at: opt_instant(row, "lease_expires_at")?,
        parent_id: opt_parsed(row, "parent_id")?,
        exclusive_key: opt_text(row, "exclusive_key")?,
        signal: opt_text(row, "signal")?.map(|s| s.parse()).transpose()?,
        last_error: opt_text(row, "last_error")?,
        position: int(row, "position")?,
        waiting_for: int(row, "waiting_for")?,
        started_at: opt_instant(row, "started_at")?,
        finished_at: opt_instant(row, "finished_at")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

impl Tx<'_> {
    /// Enqueues a job in this transaction: it exists exactly when the intent it realises does.
    /// A second unfinished job with the same exclusive key fails with `conflict`. A step (a job with a
    /// parent) is held until its parent releases its stage.
    pub async fn job_enqueue(&mut self, job: NewJob, conflict: Error) -> Result<JobId> {
        let id = job.id.unwrap_or_default();
        let now = self.now_millis();
        let run_at = job.run_at.map_or(now, |t| t.timestamp_millis());
        let held = i64::from(job.parent_id.is_some());
        self.touch(job.domain_id);
        sqlx::query(
            "INSERT INTO jobs (id, kind, domain_id, resource_type, resource_id, state, cursor, attempts,
                max_attempts, run_at, parent_id, exclusive_key, position, waiting_for, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, 0, $7, $8, $9, $10, $12, $13, $11, $11)",
        )
        .bind(id.to_string())
        .bind(job.kind.as_str())
        .bind(job.domain_id.to_string())
        .bind(&job.resource_type)
        .bind(&job.resource_id)
        .bind(job.cursor.to_string())
        .bind(job.max_attempts)
        .bind(run_at)
        .bind(job.parent_id.map(|p| p.to_string()))
        .bind(&job.exclusive_key)
        .bind(now)
        .bind(job.position)
        .bind(held)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| if crate::is_unique_violation(&e) { conflict } else { map_db_err(e) })?;
        if job.parent_id.is_none() {
            self.wake_workers_at_commit().await?;
        }
        Ok(id)
    }

    /// Wakes the workers of this process and, on Postgres, of every replica (store_pg::listen) when
    /// this transaction commits: it made a job runnable.
    pub(crate) async fn wake_workers_at_commit(&mut self) -> Result<()> {
        if !self.enqueued && self.dialect() == crate::Dialect::Postgres {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(crate::JOBS_CHANNEL)
                .execute(&mut *self.tx)
                .await
                .map_err(map_db_err)?;
        }
        self.enqueued = true;
        Ok(())
    }
}

impl Store {
    pub async fn job_get(&self, id: JobId) -> Result<Option<Job>> {
        let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Every job of one resource, oldest first.
    pub async fn job_list_for_resource(&self, resource_type: &str, resource_id: &str) -> Result<Vec<Job>> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE resource_type = $1 AND resource_id = $2 ORDER BY created_at, id"
        ))
        .bind(resource_type)
        .bind(resource_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter().map(job_from_row).collect()
    }
}

/// How many top-level jobs (workflows and single jobs; their steps are not counted) of one kind are in
/// one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCount {
    pub kind: JobKind,
    pub state: JobState,
    pub count: i64,
}

impl Store {
    /// The number of top-level jobs per kind and state, in one `GROUP BY` (for the metrics scrape).
    /// Combinations with no job are absent.
    pub async fn job_count_by_kind_state(&self) -> Result<Vec<JobCount>> {
        let rows = sqlx::query(
            "SELECT kind, state, COUNT(*) AS n FROM jobs WHERE parent_id IS NULL
             GROUP BY kind, state ORDER BY kind, state",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter()
            .map(|row| {
                Ok(JobCount {
                    kind: text(row, "kind")?.parse()?,
                    state: text(row, "state")?.parse()?,
                    count: int(row, "n")?,
                })
            })
            .collect()
    }
}

/// What a committed transaction did to a claimed job (see [`Store::observe_jobs`]).
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    /// The job ended, `ran` after its first claim.
    Ended { kind: JobKind, state: JobState, ran: std::time::Duration },
    /// The job goes back to the queue after a failure (or an error of ucsd's own).
    Retried { kind: JobKind },
}

/// The outcome of a fenced update: one row, or the lease was lost.
pub(crate) fn fenced(rows: u64) -> Result<()> {
    if rows == 1 {
        Ok(())
    } else {
        Err(lease_lost())
    }
}

/// A claimed job was taken over by another worker (its lease expired and it was claimed again): the
/// commit that would have recorded this worker's step is refused.
pub fn lease_lost() -> Error {
    Error::internal("the job's lease was lost to another worker")
}

impl Store {
    /// Claims the next runnable job (a workflow, a single job or a released step): marks it running
    /// under `owner` for `lease_millis` and counts the attempt, in one statement (Postgres skips rows
    /// other workers hold; SQLite has one writer).
    pub async fn job_claim(&self, owner: &str, lease_millis: i64) -> Result<Option<Job>> {
        let now = self.now_millis();
        let skip_locked = match self.dialect {
            crate::Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
            crate::Dialect::Sqlite => "",
        };
        // One statement, committed on its own: a claim is one round trip.
        let row = sqlx::query(&format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1, lease_expires_at = $2,
                started_at = COALESCE(started_at, $3), updated_at = $3
             WHERE id = (SELECT id FROM jobs WHERE state = 'pending' AND waiting_for = 0 AND run_at <= $3
                         ORDER BY run_at LIMIT 1 {skip_locked})
             RETURNING {JOB_COLUMNS}"
        ))
        .bind(owner)
        .bind(now + lease_millis)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_db_err)?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Extends a claimed job's lease; `false` when this worker no longer holds it.
    pub async fn job_heartbeat(&self, job: &Job, lease_millis: i64) -> Result<bool> {
        let now = self.now_millis();
        let done = sqlx::query(
            "UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND state = 'running' AND attempts = $3
                AND lease_owner = $4",
        )
        .bind(now + lease_millis)
        .bind(job.id.to_string())
        .bind(job.attempts)
        .bind(job.lease_owner.as_deref().unwrap_or(""))
        .execute(&self.pool)
        .await
        .map_err(map_db_err)?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts jobs whose lease expired (their worker died) back in the queue; returns how many. Also
    /// the barrier's safety net: a parent that waits although none of its released steps is still
    /// open (its count went astray, say a step was removed by hand) runs again.
    pub async fn job_rescue_expired(&self) -> Result<u64> {
        let now = self.now_millis();
        let done = sqlx::query(
            "UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = $1
             WHERE state = 'running' AND lease_expires_at < $1",
        )
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_db_err)?;
        let unblocked = sqlx::query(
            "UPDATE jobs SET waiting_for = 0, run_at = $1, updated_at = $1
             WHERE state = 'pending' AND waiting_for > 0 AND parent_id IS NULL
               AND NOT EXISTS (SELECT 1 FROM jobs s WHERE s.parent_id = jobs.id AND s.waiting_for = 0
                               AND s.state IN ('pending', 'running', 'paused'))",
        )
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_db_err)?;
        if unblocked.rows_affected() > 0 {
            self.wake_workers();
        }
        Ok(done.rows_affected() + unblocked.rows_affected())
    }

    /// When the next pending job becomes runnable, if any (for the worker's sleep).
    pub async fn job_next_run_at(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        let next: Option<i64> =
            sqlx::query_scalar("SELECT MIN(run_at) FROM jobs WHERE state = 'pending' AND waiting_for = 0")
                .fetch_one(&self.pool)
                .await
                .map_err(map_db_err)?;
        Ok(next.map(domain::clock::from_millis))
    }
}

/// A value bound into a fenced update's `SET` clause.
enum SetValue<'a> {
    Int(i64),
    Text(Option<&'a str>),
}

impl Tx<'_> {
    /// `UPDATE jobs SET {set}` of the claim `job` stands for, if this worker still holds it: `set`
    /// uses `$1`… for `values`; the claim's id, attempt and owner are matched after them. No row
    /// matched: the lease was lost.
    async fn job_update_claimed(&mut self, job: &Job, set: &str, values: &[SetValue<'_>]) -> Result<()> {
        // A step's writes commit with its job's update: they change the job's tenant.
        self.touch(job.domain_id);
        let n = values.len();
        let statement = format!(
            "UPDATE jobs SET {set} WHERE id = ${} AND state = 'running' AND attempts = ${} AND lease_owner = ${}",
            n + 1,
            n + 2,
            n + 3
        );
        let mut query = sqlx::query(&statement);
        for value in values {
            query = match value {
                SetValue::Int(v) => query.bind(*v),
                SetValue::Text(v) => query.bind(*v),
            };
        }
        let done = query
            .bind(job.id.to_string())
            .bind(job.attempts)
            .bind(job.lease_owner.as_deref().unwrap_or(""))
            .execute(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        fenced(done.rows_affected())
    }
}

impl Tx<'_> {
    /// Ends a claimed job (`succeeded`, `failed` or `cancelled`) if this worker still holds it. A step
    /// that ends takes itself off its parent's wait, in this transaction; the last one makes the
    /// parent runnable.
    pub async fn job_finish(&mut self, job: &Job, state: JobState, error: Option<&str>) -> Result<()> {
        debug_assert!(state.is_terminal());
        let now = self.now_millis();
        self.job_update_claimed(
            job,
            "state = $1, last_error = COALESCE($2, last_error), lease_owner = NULL, lease_expires_at = NULL,
                finished_at = $3, updated_at = $3",
            &[SetValue::Text(Some(state.as_str())), SetValue::Text(error), SetValue::Int(now)],
        )
        .await?;
        let ran = job.started_at.map(|start| self.store.clock().now() - start).unwrap_or_default();
        self.job_events.push(JobEvent::Ended {
            kind: job.kind,
            state,
            ran: ran.to_std().unwrap_or_default(),
        });
        match job.parent_id {
            Some(parent) => self.job_step_ended(parent).await,
            None => Ok(()),
        }
    }

    /// One step of `parent` ended: one less to wait for. The row lock this update takes makes the
    /// steps that end at once count down one after the other.
    async fn job_step_ended(&mut self, parent: JobId) -> Result<()> {
        let now = self.now_millis();
        let runnable: Option<i64> = sqlx::query_scalar(
            "UPDATE jobs SET waiting_for = waiting_for - 1, run_at = $1, updated_at = $1
             WHERE id = $2 AND state = 'pending' AND waiting_for > 0 RETURNING waiting_for",
        )
        .bind(now)
        .bind(parent.to_string())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        if runnable == Some(0) {
            self.wake_workers_at_commit().await?;
        }
        Ok(())
    }

    /// Releases the steps of `parent` at `positions` (one stage) and gives the parent back to the
    /// queue to wait until each of them has ended; returns how many it waits for (0: it runs again at
    /// once). Fenced like every commit of a claimed job.
    pub async fn job_wait_for_steps(&mut self, parent: &Job, positions: (i64, i64)) -> Result<i64> {
        let now = self.now_millis();
        sqlx::query(
            "UPDATE jobs SET waiting_for = 0, run_at = $1, updated_at = $1
             WHERE parent_id = $2 AND position BETWEEN $3 AND $4 AND state = 'pending' AND waiting_for > 0",
        )
        .bind(now)
        .bind(parent.id.to_string())
        .bind(positions.0)
        .bind(positions.1)
        .execute(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE parent_id = $1 AND position BETWEEN $2 AND $3
               AND state IN ('pending', 'running', 'paused')",
        )
        .bind(parent.id.to_string())
        .bind(positions.0)
        .bind(positions.1)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        self.job_update_claimed(
            parent,
            "state = 'pending', waiting_for = $1, run_at = $2, lease_owner = NULL, lease_expires_at = NULL,
                updated_at = $2",
            &[SetValue::Int(open), SetValue::Int(now)],
        )
        .await?;
        self.wake_workers_at_commit().await?;
        Ok(open)
    }

    /// A workflow's steps in plan order, read in this transaction (what the parent decides on).
    pub async fn job_steps(&mut self, parent: JobId) -> Result<Vec<Job>> {
        let rows =
            sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE parent_id = $1 ORDER BY position"))
                .bind(parent.to_string())
                .fetch_all(&mut *self.tx)
                .await
                .map_err(map_db_err)?;
        rows.iter().map(job_from_row).collect()
    }

    /// One job, read in this transaction.
    pub async fn job_get(&mut self, id: JobId) -> Result<Option<Job>> {
        let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Cancels the steps of a workflow that ended before releasing them.
    pub async fn job_cancel_held_steps(&mut self, parent: JobId, reason: &str) -> Result<()> {
        let now = self.now_millis();
        sqlx::query(
            "UPDATE jobs SET state = 'cancelled', last_error = $1, waiting_for = 0, finished_at = $2, updated_at = $2
             WHERE parent_id = $3 AND state = 'pending' AND waiting_for > 0",
        )
        .bind(reason)
        .bind(now)
        .bind(parent.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        Ok(())
    }

    /// Confirms this worker still holds `job` (the fence every commit of a claimed job passes).
    pub async fn job_fence(&mut self, job: &Job) -> Result<()> {
        let now = self.now_millis();
        self.job_update_claimed(job, "updated_at = $1", &[SetValue::Int(now)]).await
    }

    /// Gives a claimed job whose work failed back to the queue to run again at `run_at`, recording
    /// why and counting the failure.
    pub async fn job_retry_at(
        &mut self,
        job: &Job,
        error: &str,
        run_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        self.job_requeue(job, Some(error), run_at, 1).await
    }

    /// Gives a claimed job back to the queue to run again at `run_at`, recording why, without
    /// counting a failure: its work was not tried (ucsd's own error, a provider out of reach) or has
    /// to wait (a busy cluster).
    pub async fn job_try_again_at(
        &mut self,
        job: &Job,
        reason: &str,
        run_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        self.job_requeue(job, Some(reason), run_at, 0).await
    }

    /// Gives a claimed workflow back to the queue at once, so its next step is claimed afresh (by any
    /// worker): a crash then repeats at most one step.
    pub async fn job_yield(&mut self, job: &Job) -> Result<()> {
        let now = self.store.clock().now();
        self.job_requeue(job, None, now, 0).await
    }

    async fn job_requeue(
        &mut self,
        job: &Job,
        error: Option<&str>,
        run_at: chrono::DateTime<chrono::Utc>,
        failures: i64,
    ) -> Result<()> {
        let now = self.now_millis();
        self.job_update_claimed(
            job,
            "state = 'pending', last_error = $1, run_at = $2, lease_owner = NULL, lease_expires_at = NULL,
                updated_at = $3, failures = failures + $4",
            &[
                SetValue::Text(error),
                SetValue::Int(run_at.timestamp_millis()),
                SetValue::Int(now),
                SetValue::Int(failures),
            ],
        )
        .await?;
        if error.is_some() {
            self.job_events.push(JobEvent::Retried { kind: job.kind });
        }
        Ok(())
    }
}

impl Tx<'_> {
    /// Asks a job to pause: a pending one is parked at once (`true`), a running one gets the `pause`
    /// signal, which its worker honours when the current step ends (`false`).
    pub async fn job_pause(&mut self, id: JobId) -> Result<bool> {
        let now = self.now_millis();
        let state: Option<String> = sqlx::query_scalar(
            "UPDATE jobs SET state = CASE WHEN state = 'pending' THEN 'paused' ELSE state END,
                signal = CASE WHEN state = 'running' THEN $3 ELSE NULL END, updated_at = $1
             WHERE id = $2 AND state IN ('pending', 'running') RETURNING state",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(Signal::Pause.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        match state.as_deref() {
            Some("paused") => Ok(true),
            Some(_) => Ok(false),
            None => Err(Error::internal("only a pending or running job can be paused")),
        }
    }

    /// Asks a job to stop: a pending or paused one is cancelled at once (`true`); a running one gets
    /// the `cancel` signal, which its worker honours when the current step ends (`false`). A finished
    /// job is left as it is (`true`: nothing runs any more).
    pub async fn job_cancel(&mut self, id: JobId) -> Result<bool> {
        let now = self.now_millis();
        let state: Option<String> = sqlx::query_scalar(
            "UPDATE jobs SET state = CASE WHEN state = 'running' THEN state ELSE 'cancelled' END,
                signal = CASE WHEN state = 'running' THEN $3 ELSE NULL END,
                finished_at = CASE WHEN state = 'running' THEN finished_at ELSE $1 END, updated_at = $1
             WHERE id = $2 AND state IN ('pending', 'running', 'paused') RETURNING state",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(Signal::Cancel.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        Ok(state.as_deref() != Some("running"))
    }

    /// Resumes a paused job (runnable now) or withdraws a pause its worker has not honoured yet;
    /// `false` when there was nothing to resume.
    pub async fn job_resume(&mut self, id: JobId) -> Result<bool> {
        let now = self.now_millis();
        let done = sqlx::query(
            "UPDATE jobs SET state = CASE WHEN state = 'paused' THEN 'pending' ELSE state END,
                run_at = CASE WHEN state = 'paused' THEN $1 ELSE run_at END, signal = NULL, updated_at = $1
             WHERE id = $2 AND (state = 'paused' OR (state = 'running' AND signal = $3))",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(Signal::Pause.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        if done.rows_affected() == 1 {
            self.wake_workers_at_commit().await?;
        }
        Ok(done.rows_affected() == 1)
    }

    /// Parks a claimed job whose pause was asked for: it stays until resumed.
    pub async fn job_park(&mut self, job: &Job) -> Result<()> {
        let now = self.now_millis();
        let set =
            "state = 'paused', signal = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = $1";
        self.job_update_claimed(job, set, &[SetValue::Int(now)]).await
    }

    /// The signal a claimed job carries now (asked for while its step ran), checking the fence.
    pub async fn job_signal(&mut self, job: &Job) -> Result<Option<Signal>> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT signal FROM jobs WHERE id = $1 AND state = 'running' AND attempts = $2 AND lease_owner = $3",
        )
        .bind(job.id.to_string())
        .bind(job.attempts)
        .bind(job.lease_owner.as_deref().unwrap_or(""))
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        row.ok_or_else(lease_lost)?.0.map(|s| s.parse()).transpose()
    }

    /// How many attempts a job has per step (a retried task's new job keeps them).
    pub async fn job_max_attempts(&mut self, id: JobId) -> Result<i64> {
        sqlx::query_scalar("SELECT max_attempts FROM jobs WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(map_db_err)
    }
}
