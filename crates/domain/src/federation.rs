//! Fleet federation as workflows: which steps enabling, disabling, upgrading a federation and joining
//! or removing a member cluster take, in which stages they run, what a workflow does next given how
//! its steps stand, and how the fleet's federation state moves. The worker runs the steps (each a job
//! of its own); the progress API shows them as the Job tree of the reference.

use std::ops::Range;

use crate::{fleet::FederationState, ids::ClusterId, job::JobState};

/// One step of a federation workflow, named as the progress API shows it (`spec.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    CreateCert,
    CreateNode,
    CreateNetworkResource,
    InstallFederationChart,
    JoinCluster,
    UnjoinCluster,
    UninstallFederationChart,
    DeleteNetworkResource,
    DeleteNode,
    DeleteCert,
    UpgradeFederationChart,
}

impl Step {
    pub const ALL: [Step; 11] = [
        Step::CreateCert,
        Step::CreateNode,
        Step::CreateNetworkResource,
        Step::InstallFederationChart,
        Step::JoinCluster,
        Step::UnjoinCluster,
        Step::UninstallFederationChart,
        Step::DeleteNetworkResource,
        Step::DeleteNode,
        Step::DeleteCert,
        Step::UpgradeFederationChart,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateCert => "CreateCert",
            Self::CreateNode => "CreateNode",
            Self::CreateNetworkResource => "CreateNetworkResource",
            Self::InstallFederationChart => "InstallFederationChart",
            Self::JoinCluster => "JoinCluster",
            Self::UnjoinCluster => "UnjoinCluster",
            Self::UninstallFederationChart => "UninstallFederationChart",
            Self::DeleteNetworkResource => "DeleteNetworkResource",
            Self::DeleteNode => "DeleteNode",
            Self::DeleteCert => "DeleteCert",
            Self::UpgradeFederationChart => "UpgradeFederationChart",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.as_str() == s)
    }

    /// Whether this step acts on one member cluster. Member steps next to each other form one stage
    /// and run at once; every other step is a stage of its own. A member that cannot join or leave
    /// does not stop the workflow (`retryjoinall` joins it later), but the workflow does not succeed.
    pub fn is_member_step(self) -> bool {
        matches!(self, Self::JoinCluster | Self::UnjoinCluster)
    }
}

/// What a workflow does next, decided from its steps (in plan order) and their states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Release the steps at these indices (one stage) and wait until each has ended.
    Release(Range<usize>),
    Finish(Outcome),
}

/// How a workflow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every step succeeded (or had nothing left to do).
    Succeeded,
    /// The control plane is in place but this many member steps failed for good.
    MembersFailed(usize),
    /// A step that the workflow cannot do without failed: the step at this index.
    Failed(usize),
    /// A step that the workflow cannot do without found its fleet gone: the step at this index.
    Cancelled(usize),
}

/// The stages of a plan: each member step run with its neighbours of the same kind, every other
/// step alone; as index ranges in plan order.
pub fn stages(steps: &[Step]) -> Vec<Range<usize>> {
    let mut stages = Vec::new();
    let mut start = 0;
    while start < steps.len() {
        let step = steps[start];
        let len =
            if step.is_member_step() { steps[start..].iter().take_while(|s| **s == step).count() } else { 1 };
        stages.push(start..start + len);
        start += len;
    }
    stages
}

/// The next thing a workflow does: stage by stage, the first stage with a step not yet ended is
/// released (again, harmlessly, if it already was); a failed or cancelled step that is no member step
/// ends the workflow there; when every step has ended, the member steps that failed decide.
pub fn next(steps: &[(Step, JobState)]) -> Next {
    let kinds: Vec<Step> = steps.iter().map(|(step, _)| *step).collect();
    for stage in stages(&kinds) {
        let states = &steps[stage.clone()];
        if !states[0].0.is_member_step() {
            match states[0].1 {
                JobState::Failed => return Next::Finish(Outcome::Failed(stage.start)),
                JobState::Cancelled => return Next::Finish(Outcome::Cancelled(stage.start)),
                _ => {}
            }
        }
        if states.iter().any(|(_, state)| !state.is_terminal()) {
            return Next::Release(stage);
        }
    }
    match steps.iter().filter(|(step, state)| step.is_member_step() && *state == JobState::Failed).count() {
        0 => Next::Finish(Outcome::Succeeded),
        failed => Next::Finish(Outcome::MembersFailed(failed)),
    }
}

/// A federation workflow: the parent job (`spec.type` of the progress API's root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workflow {
    /// `CreateFederationContainer`: enable federation on a fleet.
    Enable,
    Disable,
    Upgrade,
    /// One member cluster joins an enabled federation (join or `retryjoinall`).
    Join,
    /// One member cluster leaves it.
    Unjoin,
}

impl Workflow {
    pub const ALL: [Workflow; 5] = [Self::Enable, Self::Disable, Self::Upgrade, Self::Join, Self::Unjoin];

    /// The name the progress API gives the root job.
    pub fn display_type(self) -> &'static str {
        match self {
            Self::Enable => "CreateFederationContainer",
            Self::Disable => "DeleteFederationContainer",
            Self::Upgrade => "UpgradeFederation",
            Self::Join => "JoinFederation",
            Self::Unjoin => "UnjoinFederation",
        }
    }

    /// The steps, in order, for a fleet with `clusters`.
    pub fn plan(self, clusters: &[ClusterId]) -> Vec<(Step, Option<ClusterId>)> {
        let each = |step: Step| clusters.iter().map(move |c| (step, Some(*c)));
        match self {
            Self::Enable => [
                Step::CreateCert,
                Step::CreateNode,
                Step::CreateNetworkResource,
                Step::InstallFederationChart,
            ]
            .into_iter()
            .map(|s| (s, None))
            .chain(each(Step::JoinCluster))
            .collect(),
            Self::Disable => each(Step::UnjoinCluster)
                .chain(
                    [
                        Step::UninstallFederationChart,
                        Step::DeleteNetworkResource,
                        Step::DeleteNode,
                        Step::DeleteCert,
                    ]
                    .into_iter()
                    .map(|s| (s, None)),
                )
                .collect(),
            Self::Upgrade => vec![(Step::UpgradeFederationChart, None)],
            Self::Join => each(Step::JoinCluster).collect(),
            Self::Unjoin => each(Step::UnjoinCluster).collect(),
        }
    }

    /// The fleet's state while the workflow runs, checked when it is requested: `None` where the
    /// workflow may not start from `state` (the caller answers with the matching UCS code).
    pub fn start(self, state: FederationState) -> Option<FederationState> {
        use FederationState::*;
        match (self, state) {
            (Self::Enable, None | Failed) => Some(Enabling),
            (Self::Disable, Enabled | Failed) => Some(Disabling),
            (Self::Upgrade | Self::Join | Self::Unjoin, Enabled) => Some(Enabled),
            _ => Option::None,
        }
    }

    /// The fleet's state once the workflow ended (`succeeded`: every step that must succeed did).
    pub fn finish(self, succeeded: bool) -> FederationState {
        use FederationState::*;
        match (self, succeeded) {
            (Self::Enable, true) => Enabled,
            (Self::Disable, true) => None,
            (Self::Enable | Self::Disable, false) => Failed,
            // A failed upgrade leaves the running federation as it was; joins are per cluster.
            (Self::Upgrade | Self::Join | Self::Unjoin, _) => Enabled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enabling_creates_the_control_plane_then_joins_every_cluster() {
        let (a, b) = (ClusterId::new(), ClusterId::new());
        let plan = Workflow::Enable.plan(&[a, b]);
        let steps: Vec<_> = plan.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            steps,
            [
                "CreateCert",
                "CreateNode",
                "CreateNetworkResource",
                "InstallFederationChart",
                "JoinCluster",
                "JoinCluster"
            ]
        );
        assert_eq!(plan[4].1, Some(a));
        assert_eq!(plan[5].1, Some(b));
        assert!(plan[..4].iter().all(|(_, c)| c.is_none()));
    }

    #[test]
    fn disabling_unjoins_first_and_tears_down_in_reverse() {
        let a = ClusterId::new();
        let steps: Vec<_> = Workflow::Disable.plan(&[a]).iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            steps,
            [
                "UnjoinCluster",
                "UninstallFederationChart",
                "DeleteNetworkResource",
                "DeleteNode",
                "DeleteCert"
            ]
        );
        assert_eq!(Workflow::Upgrade.plan(&[a]).len(), 1);
        assert_eq!(Workflow::Join.plan(&[a]), vec![(Step::JoinCluster, Some(a))]);
    }

    #[test]
    fn every_workflow_starts_only_from_its_states() {
        use FederationState::*;
        use Workflow::{Disable, Enable, Join, Unjoin, Upgrade};
        // `None` is a fleet without federation; `no`: the workflow cannot start from there.
        let no = Option::None;
        #[rustfmt::skip]
        let table = [
            (Enable, None, Some(Enabling)), (Enable, Enabling, no),   (Enable, Enabled, no),
            (Enable, Disabling, no),        (Enable, Failed, Some(Enabling)),

            (Disable, None, no),            (Disable, Enabling, no),  (Disable, Enabled, Some(Disabling)),
            (Disable, Disabling, no),       (Disable, Failed, Some(Disabling)),

            (Upgrade, None, no),            (Upgrade, Enabling, no),  (Upgrade, Enabled, Some(Enabled)),
            (Upgrade, Disabling, no),       (Upgrade, Failed, no),

            (Join, None, no),               (Join, Enabling, no),     (Join, Enabled, Some(Enabled)),
            (Join, Disabling, no),          (Join, Failed, no),

            (Unjoin, None, no),             (Unjoin, Enabling, no),   (Unjoin, Enabled, Some(Enabled)),
            (Unjoin, Disabling, no),        (Unjoin, Failed, no),
        ];
        crate::transition_table::assert_transitions(
            &Workflow::ALL,
            &FederationState::ALL,
            &table,
            Workflow::start,
        );
    }

    #[test]
    fn every_workflow_finishes_in_its_state() {
        use FederationState::*;
        let table = [
            (Workflow::Enable, Enabled, Failed),
            (Workflow::Disable, None, Failed),
            (Workflow::Upgrade, Enabled, Enabled),
            (Workflow::Join, Enabled, Enabled),
            (Workflow::Unjoin, Enabled, Enabled),
        ];
        for (w, ok, failed) in table {
            assert_eq!(w.finish(true), ok, "{w:?}");
            assert_eq!(w.finish(false), failed, "{w:?}");
        }
    }

    #[test]
    fn names_round_trip() {
        for step in Step::ALL {
            assert_eq!(Step::parse(step.as_str()), Some(step));
        }
    }

    #[test]
    #[allow(clippy::single_range_in_vec_init, reason = "a list of stages, each a range of steps")]
    fn member_steps_side_by_side_form_one_stage() {
        let (a, b, c) = (ClusterId::new(), ClusterId::new(), ClusterId::new());
        let steps = |w: Workflow| w.plan(&[a, b, c]).into_iter().map(|(s, _)| s).collect::<Vec<_>>();
        assert_eq!(stages(&steps(Workflow::Enable)), [0..1, 1..2, 2..3, 3..4, 4..7]);
        assert_eq!(stages(&steps(Workflow::Disable)), [0..3, 3..4, 4..5, 5..6, 6..7]);
        assert_eq!(stages(&steps(Workflow::Upgrade)), [0..1]);
        assert_eq!(stages(&steps(Workflow::Join)), [0..3]);
        assert_eq!(stages(&[]), Vec::<Range<usize>>::new());
    }

    use JobState::{Cancelled as C, Failed as F, Paused as Z, Pending as P, Running as R, Succeeded as S};
    use Step::{CreateCert as Cert, CreateNode as Node, JoinCluster as Join, UnjoinCluster as Unjoin};

    /// Every case by hand: (steps with their states, what comes next).
    #[test]
    fn the_next_move_follows_the_first_stage_not_yet_ended() {
        let cases: &[(&[(Step, JobState)], Next)] = &[
            // Nothing ran yet: the first stage.
            (&[(Cert, P), (Node, P), (Join, P), (Join, P)], Next::Release(0..1)),
            // A step under way or waiting for a retry: its stage again.
            (&[(Cert, R), (Node, P), (Join, P)], Next::Release(0..1)),
            (&[(Cert, Z), (Node, P), (Join, P)], Next::Release(0..1)),
            // The control plane is done: every member at once.
            (&[(Cert, S), (Node, S), (Join, P), (Join, P)], Next::Release(2..4)),
            // Members still running, others ended either way: wait for the stage.
            (&[(Cert, S), (Join, S), (Join, R), (Join, F)], Next::Release(1..4)),
            (&[(Cert, S), (Join, C), (Join, P)], Next::Release(1..3)),
            // A control-plane step failed or found its fleet gone: the workflow ends there.
            (&[(Cert, S), (Node, F), (Join, P)], Next::Finish(Outcome::Failed(1))),
            (&[(Cert, C), (Node, P)], Next::Finish(Outcome::Cancelled(0))),
            // Everything ended.
            (&[(Cert, S), (Node, S), (Join, S), (Join, S)], Next::Finish(Outcome::Succeeded)),
            (&[(Cert, S), (Join, S), (Join, C)], Next::Finish(Outcome::Succeeded)),
            (&[(Cert, S), (Join, F), (Join, S), (Join, F)], Next::Finish(Outcome::MembersFailed(2))),
            // Members that failed to leave do not stop the teardown after them.
            (&[(Unjoin, F), (Unjoin, S), (Node, P)], Next::Release(2..3)),
            (&[(Unjoin, F), (Unjoin, S), (Node, S)], Next::Finish(Outcome::MembersFailed(1))),
            (&[], Next::Finish(Outcome::Succeeded)),
        ];
        for (steps, expected) in cases {
            assert_eq!(&next(steps), expected, "{steps:?}");
        }
    }
}
