//! API authorization: every action the API offers has a name (`ucs:cluster:create`) and a kind, and
//! each system role allows a set of actions. The api crate maps every authenticated route to one
//! action; a caller whose roles do not allow it gets 403 UCS.01000004 and nothing is written.

use crate::identity::Role;

/// Whether an action only reads, or changes something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Identity discovery every authenticated caller may do (its own domain and projects).
    Identity,
    Read,
    Write,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Action {
    pub name: &'static str,
    pub kind: ActionKind,
}

macro_rules! actions {
    ($($const_name:ident = ($name:literal, $kind:ident);)*) => {
        $(pub const $const_name: Action = Action { name: $name, kind: ActionKind::$kind };)*
        /// Every action, in table order.
        pub const ALL: &[Action] = &[$($const_name),*];
    };
}

/// The actions of the API.
pub mod actions {
    use super::{Action, ActionKind};

    actions! {
        IAM_DISCOVER = ("iam:identity:discover", Identity);
        CLUSTER_LIST = ("ucs:cluster:list", Read);
        CLUSTER_GET = ("ucs:cluster:get", Read);
        CLUSTER_CREATE = ("ucs:cluster:create", Write);
        CLUSTER_UPDATE = ("ucs:cluster:update", Write);
        CLUSTER_DELETE = ("ucs:cluster:delete", Write);
        CLUSTER_GET_ACCESS_INFO = ("ucs:cluster:getAccessInfo", Write);
        CLUSTER_ACTIVATE = ("ucs:cluster:activate", Write);
        CLUSTER_CREATE_CONF = ("ucs:cluster:createClusterConf", Write);
        CLUSTER_DOWNLOAD_KUBECONFIG = ("ucs:cluster:downloadKubeconfig", Write);
        CLUSTER_LIST_MANAGED = ("ucs:cluster:listManaged", Read);
        CLUSTER_LIST_VERSIONS = ("ucs:cluster:listVersions", Read);
        CLUSTER_JOIN_FLEET = ("ucs:cluster:joinFleet", Write);
        CLUSTER_LEAVE_FLEET = ("ucs:cluster:leaveFleet", Write);
        FLEET_LIST = ("ucs:fleet:list", Read);
        FLEET_GET = ("ucs:fleet:get", Read);
        FLEET_CREATE = ("ucs:fleet:create", Write);
        FLEET_DELETE = ("ucs:fleet:delete", Write);
        FLEET_UPDATE_DESCRIPTION = ("ucs:fleet:updateDescription", Write);
        FLEET_ADD_CLUSTERS = ("ucs:fleet:addClusters", Write);
        FLEET_UPDATE_ZONES = ("ucs:fleet:updateZones", Write);
        QUOTA_GET = ("ucs:quota:get", Read);
        FEDERATION_ENABLE = ("ucs:fleet:enableFederation", Write);
        FEDERATION_DISABLE = ("ucs:fleet:disableFederation", Write);
        FEDERATION_PROGRESS = ("ucs:fleet:getFederationProgress", Read);
        FEDERATION_UPGRADE = ("ucs:fleet:upgradeFederation", Write);
        FEDERATION_CERT = ("ucs:fleet:createFederationCert", Write);
        FEDERATION_CONNECTION = ("ucs:fleet:createFederationConnection", Write);
        FEDERATION_KUBECONFIG = ("ucs:fleet:downloadFederationKubeconfig", Write);
        RULE_LIST = ("ucs:rule:list", Read);
        RULE_CREATE = ("ucs:rule:create", Write);
        RULE_UPDATE = ("ucs:rule:update", Write);
        RULE_DELETE = ("ucs:rule:delete", Write);
        CLUSTER_UPDATE_RULES = ("ucs:cluster:updateRules", Write);
        FLEET_UPDATE_RULES = ("ucs:fleet:updateRules", Write);
        CLUSTER_GET_RBAC = ("ucs:cluster:getRbac", Read);
        CCE_CLUSTER_LIST = ("cce:cluster:list", Read);
        CCE_CLUSTER_GET = ("cce:cluster:get", Read);
        CCE_CLUSTER_CREATE = ("cce:cluster:create", Write);
        CCE_CLUSTER_DELETE = ("cce:cluster:delete", Write);
        CCE_JOB_GET = ("cce:job:get", Read);
        CCE_JOB_LIST = ("cce:job:list", Read);
        CCE_CLUSTER_UPDATE = ("cce:cluster:update", Write);
        CCE_CLUSTER_CERT = ("cce:cluster:createKubeconfig", Write);
        CCE_CLUSTER_ENDPOINTS = ("cce:cluster:getEndpoints", Read);
        CCE_QUOTA_GET = ("cce:quota:get", Read);
        NODE_POOL_CREATE = ("cce:nodePool:create", Write);
        NODE_POOL_LIST = ("cce:nodePool:list", Read);
        NODE_POOL_GET = ("cce:nodePool:get", Read);
        NODE_POOL_UPDATE = ("cce:nodePool:update", Write);
        NODE_POOL_DELETE = ("cce:nodePool:delete", Write);
        NODE_POOL_SCALE = ("cce:nodePool:scale", Write);
        NODE_LIST = ("cce:node:list", Read);
        NODE_GET = ("cce:node:get", Read);
        NODE_DELETE = ("cce:node:delete", Write);
        ADDON_TEMPLATE_LIST = ("cce:addonTemplate:list", Read);
        ADDON_LIST = ("cce:addon:list", Read);
        ADDON_GET = ("cce:addon:get", Read);
        ADDON_CREATE = ("cce:addon:create", Write);
        ADDON_UPDATE = ("cce:addon:update", Write);
        ADDON_DELETE = ("cce:addon:delete", Write);
        UPGRADE_INFO_GET = ("cce:cluster:getUpgradeInfo", Read);
        UPGRADE_PATHS_LIST = ("cce:cluster:listUpgradePaths", Read);
        UPGRADE_FEATURE_GATES_GET = ("cce:cluster:getUpgradeFeatureGates", Read);
        UPGRADE_WORKFLOW_CREATE = ("cce:upgradeWorkflow:create", Write);
        UPGRADE_WORKFLOW_LIST = ("cce:upgradeWorkflow:list", Read);
        UPGRADE_WORKFLOW_GET = ("cce:upgradeWorkflow:get", Read);
        UPGRADE_WORKFLOW_UPDATE = ("cce:upgradeWorkflow:update", Write);
        PRECHECK_CREATE = ("cce:cluster:precheck", Write);
        PRECHECK_LIST = ("cce:cluster:listPrechecks", Read);
        SNAPSHOT_CREATE = ("cce:cluster:snapshot", Write);
        SNAPSHOT_LIST = ("cce:cluster:listSnapshots", Read);
        UPGRADE_CLUSTER = ("cce:cluster:upgrade", Write);
        UPGRADE_TASK_LIST = ("cce:upgradeTask:list", Read);
        UPGRADE_TASK_PAUSE = ("cce:upgradeTask:pause", Write);
        UPGRADE_TASK_CONTINUE = ("cce:upgradeTask:continue", Write);
        UPGRADE_TASK_RETRY = ("cce:upgradeTask:retry", Write);
        POSTCHECK_CREATE = ("cce:cluster:postcheck", Write);
        NODE_POOL_UPGRADE = ("cce:nodePool:upgrade", Write);
        ADDON_PRECHECK_CREATE = ("cce:addon:precheck", Write);
        ADDON_PRECHECK_LIST = ("cce:addon:listPrechecks", Read);
        UPGRADE_PLAN_LIST = ("cce:upgradePlan:list", Read);
        UPGRADE_PLAN_UPDATE = ("cce:upgradePlan:update", Write);
        TESTING_RESET = ("ucsd:testing:reset", Write);
        TESTING_FAULT_LIST = ("ucsd:testing:listFaults", Read);
        TESTING_FAULT_CREATE = ("ucsd:testing:createFault", Write);
        TESTING_FAULT_DELETE = ("ucsd:testing:deleteFault", Write);
        TESTING_REQUEST_LIST = ("ucsd:testing:listRequests", Read);
        TESTING_REQUEST_CLEAR = ("ucsd:testing:clearRequests", Write);
        TESTING_CLOCK_GET = ("ucsd:testing:getClock", Read);
        TESTING_CLOCK_SET = ("ucsd:testing:setClock", Write);
        TESTING_SETTLE = ("ucsd:testing:settle", Read);
        TESTING_SNAPSHOT_EXPORT = ("ucsd:testing:exportSnapshot", Read);
        TESTING_SNAPSHOT_IMPORT = ("ucsd:testing:importSnapshot", Write);
        // The web console's audit log page (no API route reads the audit log).
        AUDIT_LIST = ("ucsd:audit:list", Read);
        // The console's operator pages: every tenant's usage and the job engine (platform only).
        PLATFORM_TENANT_LIST = ("ucsd:platform:listTenants", Read);
        PLATFORM_JOB_LIST = ("ucsd:platform:listJobs", Read);
        PLATFORM_JOB_RETRY = ("ucsd:platform:retryJob", Write);
        PLATFORM_JOB_CANCEL = ("ucsd:platform:cancelJob", Write);
    }
}

/// Actions that no API route offers: the operator's `ucsd admin` commands, and what ucsd does by
/// itself. They are audited like the routes' actions and never authorized by role.
pub mod operator {
    use super::{Action, ActionKind};

    actions! {
        TENANT_CREATE = ("iam:tenant:create", Write);
        TENANT_RESET = ("ucsd:tenant:reset", Write);
        TENANT_IMPORT = ("ucsd:tenant:import", Write);
        PROJECT_CREATE = ("iam:project:create", Write);
        USER_CREATE = ("iam:user:create", Write);
        ACCESS_KEY_CREATE = ("iam:accessKey:create", Write);
        ACCESS_KEY_ENABLE = ("iam:accessKey:enable", Write);
        ACCESS_KEY_DISABLE = ("iam:accessKey:disable", Write);
        ACCESS_KEY_DELETE = ("iam:accessKey:delete", Write);
        // An Autopilot upgrade plan's window opened: ucsd upgrades the cluster itself.
        UPGRADE_PLAN_RUN = ("cce:upgradePlan:run", Write);
        // The operator's job administration (`ucsd admin jobs`, the console's job engine page).
        JOB_RETRY = ("ucsd:job:retry", Write);
        JOB_CANCEL = ("ucsd:job:cancel", Write);
    }
}

/// Actions only a tenant administrator may perform, whatever else a role allows: ucsd's own testing
/// tools (not UCS operations: they wipe the tenant's state, make it fail, read every request), reads
/// included.
fn admin_only(action: Action) -> bool {
    action.name.starts_with("ucsd:testing:")
}

/// Actions across tenants: only the platform operator's, never a tenant role's (not even its
/// administrator's).
pub fn platform_only(action: Action) -> bool {
    action.name.starts_with("ucsd:platform:")
}

/// Downloads of kubeconfigs: writes (they issue certificates) that observability operators need.
const KUBECONFIG_DOWNLOADS: [Action; 3] =
    [actions::CLUSTER_DOWNLOAD_KUBECONFIG, actions::FEDERATION_KUBECONFIG, actions::CCE_CLUSTER_CERT];

/// Whether a caller holding `roles` may perform `action`.
pub fn allowed(roles: &[Role], action: Action) -> bool {
    action.kind == ActionKind::Identity || roles.iter().any(|role| role_allows(*role, action))
}

/// What one role allows.
pub fn role_allows(role: Role, action: Action) -> bool {
    match (role, action.kind) {
        (_, ActionKind::Identity) => true,
        // The platform operator acts across tenants and on no tenant's resources.
        (Role::PlatformAdmin, _) => platform_only(action),
        _ if platform_only(action) => false,
        (Role::TenantAdmin, _) => true,
        _ if admin_only(action) => false,
        (Role::UcsFullAccess, _) => true,
        (Role::UcsReadOnlyAccess, kind) => kind == ActionKind::Read,
        // Cloud-native observability operations: every read, and kubeconfigs to reach the clusters.
        (Role::UcsCiaOperations, kind) => kind == ActionKind::Read || KUBECONFIG_DOWNLOADS.contains(&action),
    }
}

/// The role × action matrix as a Markdown table (docs/authorization.md is this, checked in).
pub fn matrix_markdown() -> String {
    let mut out = String::from("| action | kind |");
    for role in Role::ALL {
        out.push_str(&format!(" {role} |"));
    }
    out.push_str("\n| --- | --- |");
    out.push_str(&" --- |".repeat(Role::ALL.len()));
    out.push('\n');
    for action in actions::ALL {
        out.push_str(&format!("| `{}` | {:?} |", action.name, action.kind));
        for role in Role::ALL {
            out.push_str(if role_allows(role, *action) { " yes |" } else { " no |" });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn action_names_are_unique_and_namespaced() {
        let mut seen = HashSet::new();
        for a in actions::ALL {
            assert!(seen.insert(a.name), "{} twice", a.name);
            let namespaced = ["ucs:", "cce:", "iam:", "ucsd:"].iter().any(|ns| a.name.starts_with(ns));
            assert!(namespaced, "{}", a.name);
        }
    }

    #[test]
    fn the_matrix_holds_for_every_role_and_action() {
        for action in actions::ALL.iter().copied() {
            let read = action.kind != ActionKind::Write;
            let identity = action.kind == ActionKind::Identity;
            assert_eq!(
                role_allows(Role::PlatformAdmin, action),
                platform_only(action) || identity,
                "{}",
                action.name
            );
            if platform_only(action) {
                for role in Role::TENANT {
                    assert!(!role_allows(role, action), "{role} may not {}", action.name);
                }
                continue;
            }
            assert!(role_allows(Role::TenantAdmin, action));
            if admin_only(action) {
                for role in Role::TENANT.into_iter().filter(|r| *r != Role::TenantAdmin) {
                    assert!(!role_allows(role, action), "{role} may not {}", action.name);
                }
                continue;
            }
            assert!(role_allows(Role::UcsFullAccess, action));
            assert_eq!(role_allows(Role::UcsReadOnlyAccess, action), read, "{}", action.name);
            let cia = read || action.name.ends_with("Kubeconfig");
            assert_eq!(role_allows(Role::UcsCiaOperations, action), cia, "{}", action.name);
        }
    }

    #[test]
    fn a_caller_without_roles_may_only_discover_its_identity() {
        for action in actions::ALL.iter().copied() {
            assert_eq!(allowed(&[], action), action.kind == ActionKind::Identity, "{}", action.name);
        }
        assert!(allowed(&[Role::UcsReadOnlyAccess, Role::UcsFullAccess], actions::CLUSTER_CREATE));
        assert!(!allowed(&[Role::UcsReadOnlyAccess, Role::UcsFullAccess], actions::TESTING_RESET));
        assert!(allowed(&[Role::UcsFullAccess, Role::TenantAdmin], actions::TESTING_RESET));
    }

    #[test]
    fn the_checked_in_matrix_is_current() {
        let doc = include_str!("../../../docs/authorization.md");
        assert!(
            doc.contains(&matrix_markdown()),
            "regenerate docs/authorization.md: cargo run -p domain --example authz_matrix"
        );
    }
}
