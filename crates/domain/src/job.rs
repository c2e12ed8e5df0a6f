//! Jobs: the units of work the job engine runs. A job row records an intent (kind, tenant, resource),
//! its state, a state-machine cursor and its lease. The engine's mechanics live in the worker crate.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    error::{Error, Result},
    federation::{Step, Workflow},
    ids::{DomainId, JobId},
    upgrade::task::TaskType,
};

/// What a job does: the one vocabulary of job kinds, whose textual form (`as_str`) is what the
/// `jobs.kind` column holds and what SQL binds. A kind the engine cannot run is a compile error in
/// its exhaustive `match`, not a string that matches nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Does nothing but succeed: what the engine benchmark measures the engine itself with.
    Noop,
    /// Activates a registered cluster.
    ClusterActivation,
    CceClusterCreate,
    CceClusterDelete,
    /// Converges a CCE node pool (creates and removes its nodes, removes a deleted pool).
    NodePoolSync,
    /// Runs an Autopilot upgrade plan when its window opens.
    UpgradePlan,
    /// Executes an upgrade task of this type.
    UpgradeTask(TaskType),
    /// A federation workflow (the parent of its steps).
    Federation(Workflow),
    /// One step of a federation workflow.
    FederationStep(Step),
}

impl JobKind {
    /// Every kind, once.
    pub fn all() -> impl Iterator<Item = JobKind> {
        [
            Self::Noop,
            Self::ClusterActivation,
            Self::CceClusterCreate,
            Self::CceClusterDelete,
            Self::NodePoolSync,
            Self::UpgradePlan,
        ]
        .into_iter()
        .chain(TaskType::ALL.into_iter().map(Self::UpgradeTask))
        .chain(Workflow::ALL.into_iter().map(Self::Federation))
        .chain(Step::ALL.into_iter().map(Self::FederationStep))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Noop => "noop",
            Self::ClusterActivation => "cluster.activate",
            Self::CceClusterCreate => "cce.cluster.create",
            Self::CceClusterDelete => "cce.cluster.delete",
            Self::NodePoolSync => "cce.nodepool.sync",
            Self::UpgradePlan => "upgrade.plan",
            Self::UpgradeTask(TaskType::PreCheck) => "upgrade.precheck",
            Self::UpgradeTask(TaskType::Snapshot) => "upgrade.snapshot",
            Self::UpgradeTask(TaskType::Cluster) => "upgrade.cluster",
            Self::UpgradeTask(TaskType::PostCheck) => "upgrade.postcheck",
            Self::UpgradeTask(TaskType::NodePool) => "upgrade.nodepool",
            Self::UpgradeTask(TaskType::AddonCheck) => "upgrade.addoncheck",
            Self::Federation(Workflow::Enable) => "federation.enable",
            Self::Federation(Workflow::Disable) => "federation.disable",
            Self::Federation(Workflow::Upgrade) => "federation.upgrade",
            Self::Federation(Workflow::Join) => "federation.join",
            Self::Federation(Workflow::Unjoin) => "federation.unjoin",
            // A step's kind is its name, as the progress API shows it.
            Self::FederationStep(step) => step.as_str(),
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::all()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::internal(format!("unknown job kind {s:?}")))
    }
}

impl Serialize for JobKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What a job is asked to do between its steps, by the API, while a worker holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    Pause,
    Cancel,
}

impl Signal {
    pub const ALL: [Signal; 2] = [Self::Pause, Self::Cancel];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pause => "pause",
            Self::Cancel => "cancel",
        }
    }
}

impl FromStr for Signal {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::internal(format!("unknown job signal {s:?}")))
    }
}

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
    pub kind: JobKind,
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
    pub fn new(kind: JobKind, domain_id: DomainId, resource_type: &str, resource_id: impl ToString) -> Self {
        Self {
            id: None,
            kind,
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
    pub kind: JobKind,
    pub domain_id: DomainId,
    pub resource_type: String,
    pub resource_id: String,
    pub state: JobState,
    pub cursor: serde_json::Value,
    /// Claims so far.
    pub attempts: i64,
    /// How often the work failed and was tried again (a claim that met an error of ucsd's own is no
    /// failure of the work); at `max_attempts` failures the job fails.
    pub failures: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub parent_id: Option<JobId>,
    pub exclusive_key: Option<String>,
    pub signal: Option<Signal>,
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_kind_has_its_own_name_that_parses_back() {
        let names: HashSet<&str> = JobKind::all().map(JobKind::as_str).collect();
        assert_eq!(names.len(), JobKind::all().count());
        assert_eq!(names.len(), 6 + TaskType::ALL.len() + Workflow::ALL.len() + Step::ALL.len());
        for kind in JobKind::all() {
            assert_eq!(kind.as_str().parse::<JobKind>(), Ok(kind));
        }
        assert!("step".parse::<JobKind>().is_err());
        for signal in Signal::ALL {
            assert_eq!(signal.as_str().parse::<Signal>(), Ok(signal));
        }
    }
}
