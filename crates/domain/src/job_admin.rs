//! The operator's job administration (`ucsd admin jobs …`, the console's job engine page): which jobs
//! a listing selects, and what a retry or a cancel does to a job, decided from its state and kind.
//!
//! Both actions go through the engine rather than around it, so the resource a job works on never
//! wedges: a cancel is a signal that the job's own code honours at its next claim (it gives up as on a
//! final failure of its work, recording why on the resource), and a retry puts the job back in the
//! queue, where its code decides again from fresh reads (an activation whose cluster moved on cancels
//! itself).

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};

use crate::{
    error::{http, Error, Result},
    ids::{DomainId, JobId},
    job::{Job, JobKind, JobState},
};

/// The reason a cancelled job's work records (on the job and on its resource).
pub const CANCELLED_BY_OPERATOR: &str = "cancelled by an operator";

/// How long a runnable job may wait past its time before a listing calls it stuck.
pub const STUCK_AFTER_SECS: i64 = 60;

/// Which jobs a listing selects, beyond their tenant, kind and age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    Is(JobState),
    /// A running job whose lease ran out (its worker died and no rescuer came yet), or a runnable
    /// pending job that no worker claimed within [`STUCK_AFTER_SECS`] of its time.
    Stuck,
}

impl FromStr for StateFilter {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if s == "stuck" {
            return Ok(Self::Stuck);
        }
        s.parse().map(Self::Is).map_err(|_| {
            let states: Vec<&str> = JobState::ALL.iter().map(|s| s.as_str()).collect();
            Error::bad_query(format!("state must be one of {} or stuck, not {s:?}", states.join(", ")))
        })
    }
}

impl fmt::Display for StateFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Is(state) => f.write_str(state.as_str()),
            Self::Stuck => f.write_str("stuck"),
        }
    }
}

/// A job id as an operator types it: one that cannot be an id names no job.
pub fn parse_id(raw: &str) -> Result<JobId> {
    raw.parse().map_err(|_| Error::new(http::JOB_NOT_FOUND).with_detail(format!("{raw:?} is no job id")))
}

/// A job kind as an operator types it (`cluster.activate`): an unknown one is the operator's
/// mistake, not an error of ucsd's.
pub fn parse_kind(raw: &str) -> Result<JobKind> {
    raw.parse().map_err(|_| Error::bad_query(format!("unknown job kind {raw:?}")))
}

/// A listing of jobs, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    pub tenant: Option<DomainId>,
    pub kind: Option<JobKind>,
    pub state: Option<StateFilter>,
    /// Only jobs created before this instant (`--older-than`).
    pub created_before: Option<DateTime<Utc>>,
    /// Include the steps of workflows (by default only workflows and single jobs).
    pub steps: bool,
    pub limit: i64,
}

impl JobFilter {
    pub const DEFAULT_LIMIT: i64 = 100;
    pub const MAX_LIMIT: i64 = 1000;
}

/// What an operator's retry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// A pending job waiting out a backoff (or its time) runs now.
    RunNow,
    /// A failed or cancelled workflow or job runs again from where it stands, with fresh attempts;
    /// a workflow's failed and cancelled steps run again with it.
    Rerun,
}

/// Decides an operator's retry of `job`.
pub fn retry(job: &Job) -> Result<Retry> {
    let refuse = |why: String| Err(Error::new(http::JOB_STATE).with_detail(why));
    match job.state {
        JobState::Pending if job.waiting_for > 0 && job.parent_id.is_none() => {
            refuse(format!("job {} waits for {} of its steps; retry those", job.id, job.waiting_for))
        }
        JobState::Pending if job.waiting_for > 0 => {
            refuse(format!("step {} waits for its workflow to release it", job.id))
        }
        JobState::Pending => Ok(Retry::RunNow),
        JobState::Running => refuse(format!("job {} is running", job.id)),
        JobState::Paused => {
            refuse(format!("job {} is paused by its upgrade task; continue the task through the API", job.id))
        }
        JobState::Succeeded => refuse(format!("job {} succeeded", job.id)),
        JobState::Failed | JobState::Cancelled => match (job.parent_id, job.kind) {
            (Some(parent), _) => refuse(format!("job {} is a step; retry its workflow {parent}", job.id)),
            // An upgrade task's retry is the task's own operation, which also resets the task.
            (None, JobKind::UpgradeTask(_) | JobKind::UpgradePlan) => refuse(format!(
                "job {} runs an upgrade task or plan; retry the task through the API (operation/retry)",
                job.id
            )),
            (None, _) => Ok(Retry::Rerun),
        },
    }
}

/// Decides an operator's cancel of `job`: `Ok` when the cancel signal applies (the job's own code
/// then gives up at its next claim, at once for one that waits).
pub fn cancel(job: &Job) -> Result<()> {
    let refuse = |why: String| Err(Error::new(http::JOB_STATE).with_detail(why));
    if job.state.is_terminal() {
        return refuse(format!("job {} already {}", job.id, job.state));
    }
    if job.kind == JobKind::UpgradePlan {
        // It only starts an upgrade task when the plan's window opens; that task can be paused.
        return refuse(format!("job {} starts an upgrade plan's task and cannot be cancelled", job.id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{federation::Workflow, ids::JobId, upgrade::task::TaskType};

    fn job(kind: JobKind, state: JobState, parent: bool, waiting_for: i64) -> Job {
        let at = crate::clock::from_millis(0);
        Job {
            id: JobId::default(),
            kind,
            domain_id: DomainId::default(),
            resource_type: "cluster".into(),
            resource_id: "c".into(),
            state,
            cursor: serde_json::Value::Null,
            attempts: 1,
            failures: 0,
            max_attempts: 10,
            run_at: at,
            lease_owner: None,
            lease_expires_at: None,
            parent_id: parent.then(JobId::default),
            exclusive_key: None,
            signal: None,
            last_error: None,
            position: 0,
            waiting_for,
            started_at: None,
            finished_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    /// Every kind × state × (workflow or step) × (waiting or not): what retry and cancel decide.
    #[test]
    fn retry_and_cancel_over_every_kind_and_state() {
        for kind in JobKind::all() {
            for state in JobState::ALL {
                for parent in [false, true] {
                    for waiting_for in [0, 1] {
                        let j = job(kind, state, parent, waiting_for);
                        let upgrade = matches!(kind, JobKind::UpgradeTask(_) | JobKind::UpgradePlan);
                        let expected = match state {
                            JobState::Pending if waiting_for == 0 => Some(Retry::RunNow),
                            JobState::Failed | JobState::Cancelled if !parent && !upgrade => {
                                Some(Retry::Rerun)
                            }
                            _ => None,
                        };
                        let got = retry(&j);
                        assert_eq!(got.as_ref().ok().copied(), expected, "retry {kind} {state} {parent}");
                        if let Err(e) = got {
                            assert_eq!(e.def, http::JOB_STATE);
                            assert!(e.detail.is_some_and(|d| d.contains(&j.id.to_string())));
                        }
                        let cancellable = !state.is_terminal() && kind != JobKind::UpgradePlan;
                        assert_eq!(cancel(&j).is_ok(), cancellable, "cancel {kind} {state}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_failed_federation_workflow_reruns_and_an_upgrade_task_points_to_its_api() {
        let wf = job(JobKind::Federation(Workflow::Enable), JobState::Failed, false, 0);
        assert_eq!(retry(&wf).unwrap(), Retry::Rerun);
        let task = job(JobKind::UpgradeTask(TaskType::Cluster), JobState::Failed, false, 0);
        assert!(retry(&task).unwrap_err().detail.unwrap().contains("operation/retry"));
    }

    #[test]
    fn state_filters_parse_states_and_stuck() {
        assert_eq!("stuck".parse::<StateFilter>().unwrap(), StateFilter::Stuck);
        assert_eq!("failed".parse::<StateFilter>().unwrap(), StateFilter::Is(JobState::Failed));
        let e = "broken".parse::<StateFilter>().unwrap_err();
        assert!(e.detail.unwrap().contains("pending, running"));
        for state in JobState::ALL {
            assert_eq!(
                StateFilter::Is(state).to_string().parse::<StateFilter>().unwrap(),
                StateFilter::Is(state)
            );
        }
    }
}
