//! The jobs table: enqueue inside the caller's transaction, and reads. The engine's claim, lease and
//! state transitions come with the worker crate.

use domain::{
    ids::JobId,
    job::{Job, JobState, NewJob},
    Error, Result,
};
use sqlx::any::AnyRow;

use crate::{
    sql::{instant, int, map_db_err, opt_instant, opt_parsed, opt_text, parsed, text},
    Store, Tx,
};

pub(crate) const JOB_COLUMNS: &str =
    "id, kind, domain_id, resource_type, resource_id, state, cursor, attempts,
    max_attempts, run_at, lease_owner, lease_expires_at, parent_id, exclusive_key, signal, last_error,
    created_at, updated_at";

pub(crate) fn job_from_row(row: &AnyRow) -> Result<Job> {
    let cursor = text(row, "cursor")?;
    Ok(Job {
        id: parsed(row, "id")?,
        kind: text(row, "kind")?,
        domain_id: parsed(row, "domain_id")?,
        resource_type: text(row, "resource_type")?,
        resource_id: text(row, "resource_id")?,
        state: text(row, "state")?.parse::<JobState>()?,
        cursor: serde_json::from_str(&cursor)
            .map_err(|e| Error::internal(format!("stored job cursor: {e}")))?,
        attempts: int(row, "attempts")?,
        max_attempts: int(row, "max_attempts")?,
        run_at: instant(row, "run_at")?,
        lease_owner: opt_text(row, "lease_owner")?,
        lease_expires_at: opt_instant(row, "lease_expires_at")?,
        parent_id: opt_parsed(row, "parent_id")?,
        exclusive_key: opt_text(row, "exclusive_key")?,
        signal: opt_text(row, "signal")?,
        last_error: opt_text(row, "last_error")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

impl Tx<'_> {
    /// Enqueues a job in this transaction: it exists exactly when the intent it realises does.
    /// A second unfinished job with the same exclusive key fails with `conflict`.
    pub async fn job_enqueue(&mut self, job: NewJob, conflict: Error) -> Result<JobId> {
        let id = JobId::new();
        let now = self.now_millis();
        let run_at = job.run_at.map_or(now, |t| t.timestamp_millis());
        sqlx::query(
            "INSERT INTO jobs (id, kind, domain_id, resource_type, resource_id, state, cursor, attempts,
                max_attempts, run_at, parent_id, exclusive_key, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, 0, $7, $8, $9, $10, $11, $11)",
        )
        .bind(id.to_string())
        .bind(&job.kind)
        .bind(job.domain_id.to_string())
        .bind(&job.resource_type)
        .bind(&job.resource_id)
        .bind(job.cursor.to_string())
        .bind(job.max_attempts)
        .bind(run_at)
        .bind(job.parent_id.map(|p| p.to_string()))
        .bind(&job.exclusive_key)
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| if crate::is_unique_violation(&e) { conflict } else { map_db_err(e) })?;
        Ok(id)
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
