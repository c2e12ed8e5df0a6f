//! Upgrade workflows (`WorkFlowTask`): the guide through one upgrade, PreCheck → (Snapshot) → Cluster
//! → PostCheck. A workflow's phase follows from its tasks ([`phase`]); the one change a user makes
//! is cancelling it ([`patch`]).

use std::fmt;

use chrono::{DateTime, Utc};

use super::task::{TaskStatus, TaskType};
use crate::ids::{CceClusterId, DomainId, UpgradeWorkflowId};

/// A stored workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct UpgradeWorkflow {
    pub id: UpgradeWorkflowId,
    pub domain_id: DomainId,
    pub cluster_id: CceClusterId,
    pub cluster_version: String,
    pub target_version: String,
    pub phase: WorkflowPhase,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkflowPhase {
    Init,
    Running,
    Pending,
    Success,
    Cancel,
}

impl WorkflowPhase {
    pub const ALL: [WorkflowPhase; 5] =
        [Self::Init, Self::Running, Self::Pending, Self::Success, Self::Cancel];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Init => "Init",
            Self::Running => "Running",
            Self::Pending => "Pending",
            Self::Success => "Success",
            Self::Cancel => "Cancel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Ended: nothing moves it again (at most one unended workflow per cluster).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Success | Self::Cancel)
    }
}

impl fmt::Display for WorkflowPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The points of every workflow, in order (`pointStatuses`).
pub const POINTS: [TaskType; 4] =
    [TaskType::PreCheck, TaskType::Snapshot, TaskType::Cluster, TaskType::PostCheck];

/// The lines between the points (`lineStatuses`): from, to, and whether the line is critical (once
/// the cluster's upgrade has started, the workflow cannot be cancelled until its postcheck passed).
pub const LINES: [(TaskType, TaskType, bool); 2] =
    [(TaskType::PreCheck, TaskType::Cluster, false), (TaskType::Cluster, TaskType::PostCheck, true)];

/// The status of the newest task of each point, `None` where the point has none yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Points {
    pub precheck: Option<TaskStatus>,
    pub snapshot: Option<TaskStatus>,
    pub cluster: Option<TaskStatus>,
    pub postcheck: Option<TaskStatus>,
}

impl Points {
    fn all(&self) -> [Option<TaskStatus>; 4] {
        [self.precheck, self.snapshot, self.cluster, self.postcheck]
    }

    pub fn set(&mut self, task_type: TaskType, status: TaskStatus) {
        match task_type {
            TaskType::PreCheck => self.precheck = Some(status),
            TaskType::Snapshot => self.snapshot = Some(status),
            TaskType::Cluster => self.cluster = Some(status),
            TaskType::PostCheck => self.postcheck = Some(status),
            TaskType::NodePool | TaskType::AddonCheck => {}
        }
    }

    /// On the critical line: the cluster's upgrade has started and its postcheck has not passed.
    pub fn on_critical_line(&self) -> bool {
        self.cluster.is_some() && self.postcheck != Some(TaskStatus::Success)
    }
}

/// The phase of a workflow from its tasks.
pub fn phase(cancelled: bool, points: &Points) -> WorkflowPhase {
    if cancelled {
        WorkflowPhase::Cancel
    } else if points.postcheck == Some(TaskStatus::Success) {
        WorkflowPhase::Success
    } else if points.all().contains(&Some(TaskStatus::Failed)) {
        WorkflowPhase::Pending
    } else if points.all().iter().any(Option::is_some) {
        WorkflowPhase::Running
    } else {
        WorkflowPhase::Init
    }
}

/// Why a requested phase change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Only `Cancel` can be requested; the other phases follow from the tasks.
    NotRequestable,
    /// The workflow has ended.
    Ended,
    /// The cluster's upgrade has started: finish it and its postcheck first.
    CriticalLine,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Self::NotRequestable => "only phase Cancel can be requested; the other phases follow from the workflow's tasks",
            Self::Ended => "the workflow has ended",
            Self::CriticalLine => {
                "the cluster upgrade of this workflow has started: it can be cancelled only once its postcheck passed"
            }
        }
    }
}

/// PATCH (C08): the phase `requested` for a workflow now in `current` with `points`.
pub fn patch(
    current: WorkflowPhase,
    requested: WorkflowPhase,
    points: &Points,
) -> Result<WorkflowPhase, Refusal> {
    if requested != WorkflowPhase::Cancel {
        return Err(Refusal::NotRequestable);
    }
    if current.is_terminal() {
        return Err(Refusal::Ended);
    }
    if points.on_critical_line() {
        return Err(Refusal::CriticalLine);
    }
    Ok(WorkflowPhase::Cancel)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every combination of point statuses (None or one of the six), 7^4 of them.
    fn all_points() -> Vec<Points> {
        let options: Vec<Option<TaskStatus>> =
            std::iter::once(None).chain(TaskStatus::ALL.into_iter().map(Some)).collect();
        let mut out = Vec::new();
        for &precheck in &options {
            for &snapshot in &options {
                for &cluster in &options {
                    for &postcheck in &options {
                        out.push(Points { precheck, snapshot, cluster, postcheck });
                    }
                }
            }
        }
        out
    }

    #[test]
    fn the_phase_follows_from_the_points() {
        for points in all_points() {
            assert_eq!(phase(true, &points), WorkflowPhase::Cancel);
            let got = phase(false, &points);
            let statuses = points.all();
            let expected = if points.postcheck == Some(TaskStatus::Success) {
                WorkflowPhase::Success
            } else if statuses.contains(&Some(TaskStatus::Failed)) {
                WorkflowPhase::Pending
            } else if statuses.iter().all(Option::is_none) {
                WorkflowPhase::Init
            } else {
                WorkflowPhase::Running
            };
            assert_eq!(got, expected, "{points:?}");
        }
    }

    #[test]
    fn every_phase_request_is_decided() {
        for points in all_points() {
            for current in WorkflowPhase::ALL {
                for requested in WorkflowPhase::ALL {
                    let got = patch(current, requested, &points);
                    let expected = if requested != WorkflowPhase::Cancel {
                        Err(Refusal::NotRequestable)
                    } else if matches!(current, WorkflowPhase::Success | WorkflowPhase::Cancel) {
                        Err(Refusal::Ended)
                    } else if points.cluster.is_some() && points.postcheck != Some(TaskStatus::Success) {
                        Err(Refusal::CriticalLine)
                    } else {
                        Ok(WorkflowPhase::Cancel)
                    };
                    assert_eq!(got, expected, "{current:?} -> {requested:?} with {points:?}");
                }
            }
        }
    }

    #[test]
    fn a_fresh_workflow_can_be_cancelled_and_names_round_trip() {
        assert_eq!(
            patch(WorkflowPhase::Init, WorkflowPhase::Cancel, &Points::default()),
            Ok(WorkflowPhase::Cancel)
        );
        for p in WorkflowPhase::ALL {
            assert_eq!(WorkflowPhase::parse(p.as_str()), Some(p));
        }
        let mut points = Points::default();
        points.set(TaskType::NodePool, TaskStatus::Failed);
        assert_eq!(points, Points::default(), "node pool tasks are no point of a workflow");
        assert_eq!(LINES.iter().filter(|(_, _, critical)| *critical).count(), 1);
    }
}
