//! Fleet federation as workflows: which steps enabling, disabling, upgrading a federation and joining
//! or removing a member cluster take, and how the fleet's federation state moves. The worker runs the
//! steps; the progress API shows them as the Job tree of the reference.

use crate::{fleet::FederationState, ids::ClusterId};

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

    /// Whether the workflow goes on when this step fails for good: a member cluster that cannot join
    /// or leave does not stop the federation (`retryjoinall` joins it later).
    pub fn failure_is_tolerated(self) -> bool {
        matches!(self, Self::JoinCluster | Self::UnjoinCluster)
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

    /// The job kind of the workflow's parent job.
    pub fn job_kind(self) -> &'static str {
        match self {
            Self::Enable => "federation.enable",
            Self::Disable => "federation.disable",
            Self::Upgrade => "federation.upgrade",
            Self::Join => "federation.join",
            Self::Unjoin => "federation.unjoin",
        }
    }

    pub fn from_job_kind(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.job_kind() == kind)
    }

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
    fn names_round_trip_and_only_member_steps_tolerate_failure() {
        for step in Step::ALL {
            assert_eq!(Step::parse(step.as_str()), Some(step));
            assert_eq!(step.failure_is_tolerated(), matches!(step, Step::JoinCluster | Step::UnjoinCluster));
        }
        for w in Workflow::ALL {
            assert_eq!(Workflow::from_job_kind(w.job_kind()), Some(w));
        }
    }
}
