//! Cluster upgrades of CCE and CCE Autopilot clusters (docs/upgrades.md): the version catalogue, the
//! task and workflow state machines, the steps each task takes, and the precheck's findings.

pub mod catalogue;
pub mod precheck;
pub mod request;
pub mod task;
pub mod workflow;

use std::fmt;

use chrono::{DateTime, Duration, Utc};

pub use catalogue::{Catalogue, VersionEntry};

use crate::ids::{CceClusterId, DomainId, UpgradePlanId};

/// An Autopilot upgrade plan: the upgrade the service schedules for a cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct UpgradePlan {
    pub id: UpgradePlanId,
    pub domain_id: DomainId,
    pub cluster_id: CceClusterId,
    pub cluster_version: String,
    pub target_version: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub not_before_deadline: DateTime<Utc>,
    pub phase: PlanPhase,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a plan is: waiting for its window, carried out, or given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanPhase {
    Pending,
    Running,
    Failed,
    Cancelled,
}

impl PlanPhase {
    pub const ALL: [PlanPhase; 4] = [Self::Pending, Self::Running, Self::Failed, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Failed => "Failed",
            Self::Cancelled => "Cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// How far ahead a new plan is scheduled, and how far it may be delayed.
pub const PLAN_NOTICE_DAYS: i64 = 7;
pub const PLAN_DEADLINE_DAYS: i64 = 30;

/// The window of a plan made at `now`: not before, not after, deadline for delays.
pub fn plan_window(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>) {
    let not_before = now + Duration::days(PLAN_NOTICE_DAYS);
    (not_before, not_before + Duration::days(1), now + Duration::days(PLAN_DEADLINE_DAYS))
}

/// Delaying a plan (C43): the new `notBefore` must be between today and the deadline; the window
/// keeps its length.
pub fn delay_plan(
    plan: &UpgradePlan,
    not_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), &'static str> {
    if not_before.date_naive() < now.date_naive() {
        return Err("notBefore must not be in the past");
    }
    if not_before > plan.not_before_deadline {
        return Err("notBefore must not be after the plan's notBeforeDeadline");
    }
    Ok((not_before, not_before + (plan.not_after - plan.not_before)))
}

/// Which service a cluster belongs to: CCE (`/api/v3…`) or CCE Autopilot (`/autopilot/v3…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    Cce,
    Autopilot,
}

impl Flavor {
    pub const ALL: [Flavor; 2] = [Flavor::Cce, Flavor::Autopilot];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cce => "cce",
            Self::Autopilot => "autopilot",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The flavor of a request path (`/autopilot/…` or else CCE).
    pub fn of_path(path: &str) -> Self {
        if path.starts_with("/autopilot/") {
            Self::Autopilot
        } else {
            Self::Cce
        }
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn plans_are_delayed_within_their_deadline_only() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let (not_before, not_after, deadline) = plan_window(now);
        let plan = UpgradePlan {
            id: UpgradePlanId::new(),
            domain_id: DomainId::new(),
            cluster_id: CceClusterId::new(),
            cluster_version: "v1.28.15-r10".into(),
            target_version: "v1.29.10-r10".into(),
            not_before,
            not_after,
            not_before_deadline: deadline,
            phase: PlanPhase::Pending,
            created_at: now,
            updated_at: now,
        };
        let later = now + Duration::days(20);
        assert_eq!(delay_plan(&plan, later, now), Ok((later, later + Duration::days(1))));
        let today_midnight = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        assert!(delay_plan(&plan, today_midnight, now).is_ok(), "today counts");
        assert!(delay_plan(&plan, now - Duration::days(1), now).is_err());
        assert!(delay_plan(&plan, deadline + Duration::days(1), now).is_err());
        assert_eq!(Flavor::of_path("/autopilot/v3/x"), Flavor::Autopilot);
        assert_eq!(Flavor::of_path("/api/v3/x"), Flavor::Cce);
        for p in PlanPhase::ALL {
            assert_eq!(PlanPhase::parse(p.as_str()), Some(p));
        }
    }
}
