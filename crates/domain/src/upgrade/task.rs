//! Upgrade tasks: the long operations of an upgrade (precheck, snapshot, the cluster upgrade itself,
//! postcheck, node pool upgrade, addon check), each executed by one job, step by step. Their status
//! moves only as [`next`] allows.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::ids::{CceClusterId, DomainId, JobId, UpgradeTaskId, UpgradeWorkflowId};

/// What a task does (`taskType` in a workflow's `pointStatuses` for the first four).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskType {
    PreCheck,
    Snapshot,
    Cluster,
    PostCheck,
    NodePool,
    AddonCheck,
}

impl TaskType {
    pub const ALL: [TaskType; 6] =
        [Self::PreCheck, Self::Snapshot, Self::Cluster, Self::PostCheck, Self::NodePool, Self::AddonCheck];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreCheck => "PreCheck",
            Self::Snapshot => "Snapshot",
            Self::Cluster => "Cluster",
            Self::PostCheck => "PostCheck",
            Self::NodePool => "NodePool",
            Self::AddonCheck => "AddonCheck",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The fixed steps of this type; a `Cluster` upgrade's node pool steps come from [`cluster_steps`].
    pub fn fixed_steps(self) -> &'static [&'static str] {
        match self {
            Self::PreCheck => &["LimitCheck", "MasterCheck", "NodeCheck", "AddonCheck"],
            Self::Snapshot => &["BackupMaster"],
            Self::Cluster => &["UpgradeMaster", "UpgradeAddons"],
            Self::PostCheck => &["VerifyVersion", "VerifyNodes"],
            Self::NodePool => &["UpgradeNodes"],
            Self::AddonCheck => &["CheckAddon"],
        }
    }
}

impl fmt::Display for TaskType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The steps of a cluster upgrade: the control plane, its addons, then each node pool (highest
/// `nodePoolOrder` priority first, then in the given order), then `Finish`, which moves the
/// cluster to its new version. `only_control_plane` (`isOnlyUpgrade`) leaves the node pools.
pub fn cluster_steps(pools_by_priority: &[(String, i64)], only_control_plane: bool) -> Vec<String> {
    let mut pools: Vec<(usize, &(String, i64))> = pools_by_priority.iter().enumerate().collect();
    pools.sort_by_key(|(index, (_, priority))| (-priority, *index));
    let mut steps: Vec<String> = TaskType::Cluster.fixed_steps().iter().map(|s| s.to_string()).collect();
    if !only_control_plane {
        steps.extend(pools.into_iter().map(|(_, (id, _))| format!("{NODE_POOL_STEP}:{id}")));
    }
    steps.push(FINISH_STEP.to_string());
    steps
}

/// The step prefix that upgrades one node pool (`UpgradeNodePool:<pool id>`).
pub const NODE_POOL_STEP: &str = "UpgradeNodePool";
/// The last step of a cluster upgrade.
pub const FINISH_STEP: &str = "Finish";

/// The status of a task (`UpgradeTaskStatus.phase`, `PointStatus.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    Init,
    Queuing,
    Running,
    Pause,
    Success,
    Failed,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 6] =
        [Self::Init, Self::Queuing, Self::Running, Self::Pause, Self::Success, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Init => "Init",
            Self::Queuing => "Queuing",
            Self::Running => "Running",
            Self::Pause => "Pause",
            Self::Success => "Success",
            Self::Failed => "Failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Still to be carried out (or paused): at most one such `Cluster` task per cluster.
    pub fn is_unfinished(self) -> bool {
        !matches!(self, Self::Success | Self::Failed)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskEvent {
    /// A worker starts one of its steps.
    StepStarted,
    /// A step succeeded; `last`: it was the last.
    StepSucceeded { last: bool },
    /// A step failed; `final_`: it has used its attempts (else it runs again after a backoff).
    StepFailed { final_: bool },
    /// A pause takes effect: between steps (a running step finishes first) or before the first.
    Paused,
    /// Continue (C18): a paused task goes on.
    Continued,
    /// Retry (C19): a failed task runs again from the step that failed.
    Retried,
    /// Its workflow was cancelled: an unfinished check or snapshot stops (between steps) and fails.
    Cancelled,
}

impl TaskEvent {
    pub const ALL: [TaskEvent; 9] = [
        Self::StepStarted,
        Self::StepSucceeded { last: false },
        Self::StepSucceeded { last: true },
        Self::StepFailed { final_: false },
        Self::StepFailed { final_: true },
        Self::Paused,
        Self::Continued,
        Self::Retried,
        Self::Cancelled,
    ];
}

/// The status after `event`, or `None` where the event cannot happen in `status` (the API answers
/// 400; the worker never produces it).
pub fn next(status: TaskStatus, event: TaskEvent) -> Option<TaskStatus> {
    use TaskEvent as E;
    use TaskStatus::*;
    match (status, event) {
        (Init | Queuing | Running, E::StepStarted) => Some(Running),
        (Running, E::StepSucceeded { last: false }) => Some(Running),
        (Running, E::StepSucceeded { last: true }) => Some(Success),
        (Running, E::StepFailed { final_: false }) => Some(Running),
        (Running, E::StepFailed { final_: true }) => Some(Failed),
        (Init | Queuing | Running, E::Paused) => Some(Pause),
        (Pause, E::Continued) => Some(Queuing),
        (Failed, E::Retried) => Some(Queuing),
        (Init | Queuing | Running | Pause, E::Cancelled) => Some(Failed),
        _ => None,
    }
}

/// A stored task.
#[derive(Debug, Clone, PartialEq)]
pub struct UpgradeTask {
    pub id: UpgradeTaskId,
    pub domain_id: DomainId,
    pub cluster_id: CceClusterId,
    pub workflow_id: Option<UpgradeWorkflowId>,
    pub task_type: TaskType,
    pub status: TaskStatus,
    /// The cluster's version when the task was created, and the version it is about.
    pub version: String,
    pub target_version: String,
    /// The request as sent (its `spec`).
    pub request: Value,
    pub steps: Vec<String>,
    pub done_steps: usize,
    /// Consecutive failures of the current step.
    pub failures: i64,
    /// What the task found or made (precheck findings, snapshot items, addon check risks).
    pub result: Value,
    pub message: String,
    /// The job executing the task (a retry gets a new one).
    pub job_id: Option<JobId>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// When a precheck's result stops counting.
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UpgradeTask {
    /// The step to run next, if any is left.
    pub fn current_step(&self) -> Option<&str> {
        self.steps.get(self.done_steps).map(String::as_str)
    }

    pub fn progress(&self) -> String {
        progress(self.done_steps, self.steps.len())
    }
}

/// `progress` as the API shows it: the percentage of steps done.
pub fn progress(done: usize, total: usize) -> String {
    if total == 0 {
        return "100".to_string();
    }
    (done.min(total) * 100 / total).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_event_pair_is_decided() {
        use TaskEvent as E;
        use TaskStatus::*;
        const STARTED: E = E::StepStarted;
        const NEXT_OK: E = E::StepSucceeded { last: false };
        const LAST_OK: E = E::StepSucceeded { last: true };
        const RETRYING: E = E::StepFailed { final_: false };
        const GAVE_UP: E = E::StepFailed { final_: true };
        #[rustfmt::skip]
        let table = [
            (Init, STARTED, Some(Running)),   (Init, NEXT_OK, None),       (Init, LAST_OK, None),
            (Init, RETRYING, None),           (Init, GAVE_UP, None),       (Init, E::Paused, Some(Pause)),
            (Init, E::Continued, None),       (Init, E::Retried, None),    (Init, E::Cancelled, Some(Failed)),

            (Queuing, STARTED, Some(Running)), (Queuing, NEXT_OK, None),   (Queuing, LAST_OK, None),
            (Queuing, RETRYING, None),        (Queuing, GAVE_UP, None),    (Queuing, E::Paused, Some(Pause)),
            (Queuing, E::Continued, None),    (Queuing, E::Retried, None), (Queuing, E::Cancelled, Some(Failed)),

            (Running, STARTED, Some(Running)), (Running, NEXT_OK, Some(Running)), (Running, LAST_OK, Some(Success)),
            (Running, RETRYING, Some(Running)), (Running, GAVE_UP, Some(Failed)), (Running, E::Paused, Some(Pause)),
            (Running, E::Continued, None),    (Running, E::Retried, None), (Running, E::Cancelled, Some(Failed)),

            (Pause, STARTED, None),           (Pause, NEXT_OK, None),      (Pause, LAST_OK, None),
            (Pause, RETRYING, None),          (Pause, GAVE_UP, None),      (Pause, E::Paused, None),
            (Pause, E::Continued, Some(Queuing)), (Pause, E::Retried, None), (Pause, E::Cancelled, Some(Failed)),

            (Success, STARTED, None),         (Success, NEXT_OK, None),    (Success, LAST_OK, None),
            (Success, RETRYING, None),        (Success, GAVE_UP, None),    (Success, E::Paused, None),
            (Success, E::Continued, None),    (Success, E::Retried, None), (Success, E::Cancelled, None),

            (Failed, STARTED, None),          (Failed, NEXT_OK, None),     (Failed, LAST_OK, None),
            (Failed, RETRYING, None),         (Failed, GAVE_UP, None),     (Failed, E::Paused, None),
            (Failed, E::Continued, None),     (Failed, E::Retried, Some(Queuing)), (Failed, E::Cancelled, None),
        ];
        crate::transition_table::assert_transitions(&TaskStatus::ALL, &TaskEvent::ALL, &table, next);
    }

    #[test]
    fn finished_tasks_only_come_back_by_retry() {
        for event in TaskEvent::ALL {
            assert_eq!(next(TaskStatus::Success, event), None, "{event:?}");
            let from_failed = next(TaskStatus::Failed, event);
            assert_eq!(from_failed.is_some(), event == TaskEvent::Retried, "{event:?}");
        }
        assert!(TaskStatus::ALL
            .iter()
            .all(|s| s.is_unfinished() != matches!(s, TaskStatus::Success | TaskStatus::Failed)));
    }

    #[test]
    fn node_pools_upgrade_by_priority_then_given_order() {
        let pools = [("a".to_string(), 0), ("b".to_string(), 5), ("c".to_string(), 0), ("d".to_string(), 5)];
        assert_eq!(
            cluster_steps(&pools, false),
            [
                "UpgradeMaster",
                "UpgradeAddons",
                "UpgradeNodePool:b",
                "UpgradeNodePool:d",
                "UpgradeNodePool:a",
                "UpgradeNodePool:c",
                "Finish"
            ]
        );
        assert_eq!(cluster_steps(&pools, true), ["UpgradeMaster", "UpgradeAddons", "Finish"]);
    }

    #[test]
    fn names_round_trip_and_progress_is_a_percentage() {
        for t in TaskType::ALL {
            assert_eq!(TaskType::parse(t.as_str()), Some(t));
            assert!(!t.fixed_steps().is_empty());
        }
        for s in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(progress(0, 4), "0");
        assert_eq!(progress(1, 3), "33");
        assert_eq!(progress(4, 4), "100");
        assert_eq!(progress(0, 0), "100");
    }
}
