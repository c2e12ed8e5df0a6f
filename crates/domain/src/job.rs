//! Jobs: the units of work the job engine runs. A job row records an intent (kind, tenant, resource),
//! its state, a state-machine cursor and its lease. The engine's mechanics live in the worker crate.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    error::{Error, Result},
    ids::{DomainId, JobId},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Pending,
    Running,
    Paused,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Pending,
        JobState::Running,
        JobState::Paused,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Terminal states never change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        JobState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| Error::internal(format!("unknown job state {s:?}")))
    }
}

/// A job to enqueue, inside the transaction that records its intent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// `None`: a new id. Jobs a worker enqueues derive theirs from what they do, so that ids stay
    /// reproducible in deterministic mode whatever order workers run in.
    pub id: Option<JobId>,
    pub kind: String,
    pub domain_id: DomainId,
    pub resource_type: String,
    pub resource_id: String,
    pub cursor: serde_json::Value,
    pub parent_id: Option<JobId>,
    /// At most one non-terminal job holds a given key (e.g. `federation:<fleet id>`), enforced by a
    /// unique index in the database.
    pub exclusive_key: Option<String>,
    pub max_attempts: i64,
    /// `None`: runnable now.
    pub run_at: Option<DateTime<Utc>>,
    /// A step's place among its siblings. A step is held until its parent releases its stage.
    pub position: i64,
}

impl NewJob {
    pub fn new(kind: &str, domain_id: DomainId, resource_type: &str, resource_id: impl ToString) -> Self {
        Self {
            id: None,
            kind: kind.to_string(),
            domain_id,
            resource_type: resource_type.to_string(),
            resource_id: resource_id.to_string(),
            cursor: serde_json::Value::Null,
            parent_id: None,
            exclusive_key: None,
            max_attempts: 10,
            run_at: None,
            position: 0,
        }
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub domain_id: DomainId,
    pub resource_type: String,
    pub resource_id: String,
    pub state: JobState,
    pub cursor: serde_json::Value,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub parent_id: Option<JobId>,
    pub exclusive_key: Option<String>,
    pub signal: Option<String>,
    pub last_error: Option<String>,
    /// A step's place among its siblings.
    pub position: i64,
    /// What must end before this pending job may run: 1 for a step its parent has not released yet;
    /// for a parent, the steps of its released stage that have not ended.
    pub waiting_for: i64,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
