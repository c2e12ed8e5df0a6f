//! The request bodies of the CCE upgrade operations that become tasks (docs/wire.md C09/C32 precheck,
//! C20/C41 postcheck, C21 node pool upgrade), typed with every attribute of the SDK's models. Parsing
//! refuses anything else (the API's one rule for unknown fields); [`Precheck::validate`] and friends
//! take the decisions; what a task records of a request is the typed value re-serialized, so a client's
//! junk is never stored or echoed, and secrets (a node login password) are never kept.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{cce_wire, wire_rules::check_kind, Error};

/// A body's `spec`, which these operations require. (Optional in the type, so that a body without
/// one is read and refused after the path's cluster was found: another tenant's cluster is a 404
/// whatever the body.)
fn required_spec<T>(spec: Option<T>) -> Result<T, Error> {
    spec.ok_or_else(|| Error::invalid_body("spec is required"))
}

/// What a check names of its spec's versions: the target; a workflow, the cluster's version too.
const TARGET: &[&str] = &["targetVersion"];
const FROM_AND_TARGET: &[&str] = &["clusterVersion", "targetVersion"];

/// The versions a precheck or postcheck names (`PrecheckSpec`, `PostcheckSpec`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionSpec {
    #[serde(rename = "clusterID", default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_version: Option<String>,
}

/// C09/C32 `PrecheckClusterRequestBody`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Precheck {
    #[schemars(transform = crate::wire_rules::is("v3"))]
    pub api_version: Option<String>,
    #[schemars(transform = crate::wire_rules::is("PreCheckTask"))]
    pub kind: Option<String>,
    #[schemars(required, transform = crate::wire_rules::requires(TARGET))]
    pub spec: Option<PrecheckSpec>,
}

/// `PrecheckSpec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrecheckSpec {
    #[serde(rename = "clusterID", default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_check_item_list: Option<Vec<SkippedCheckItem>>,
}

/// `SkippedCheckItemList`: a check item the precheck does not run (on the selected nodes only, with
/// a selector).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkippedCheckItem {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_selector: Option<ResourceSelector>,
}

/// `ResourceSelector`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct ResourceSelector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

impl PrecheckSpec {
    /// The versions it names. (Not a flattened [`VersionSpec`]: a flattened struct would let unknown
    /// fields through unnoticed.)
    pub fn versions(&self) -> VersionSpec {
        VersionSpec {
            cluster_id: self.cluster_id.clone(),
            cluster_version: self.cluster_version.clone(),
            target_version: self.target_version.clone(),
        }
    }
}

impl Precheck {
    /// The checked spec: kind `PreCheckTask`, version `v3`, a name on every skipped item (each item
    /// once: a repeated name is collapsed into its first).
    pub fn validate(self) -> Result<PrecheckSpec, Error> {
        check_kind(self.kind.as_deref(), "PreCheckTask", self.api_version.as_deref(), &["v3"])?;
        let mut spec = required_spec(self.spec)?;
        if let Some(items) = &mut spec.skipped_check_item_list {
            if items.iter().any(|i| i.name.trim().is_empty()) {
                return Err(Error::invalid_body("spec.skippedCheckItemList: every item needs a name"));
            }
            let mut seen = std::collections::BTreeSet::new();
            items.retain(|i| seen.insert((i.name.clone(), i.resource_selector.clone().map(selector_key))));
        }
        Ok(spec)
    }
}

fn selector_key(s: ResourceSelector) -> (Option<String>, Option<Vec<String>>, Option<String>) {
    (s.key, s.values, s.operator)
}

/// C20/C41 `PostcheckClusterRequestBody`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Postcheck {
    #[schemars(transform = crate::wire_rules::is("v3"))]
    pub api_version: Option<String>,
    #[schemars(transform = crate::wire_rules::is("PostCheckTask"))]
    pub kind: Option<String>,
    #[schemars(required, transform = crate::wire_rules::requires(TARGET))]
    pub spec: Option<VersionSpec>,
}

impl Postcheck {
    /// The checked spec: kind `PostCheckTask`, version `v3`, a target version.
    pub fn validate(self) -> Result<VersionSpec, Error> {
        check_kind(self.kind.as_deref(), "PostCheckTask", self.api_version.as_deref(), &["v3"])?;
        let spec = required_spec(self.spec)?;
        if spec.target_version.as_deref().is_none_or(str::is_empty) {
            return Err(Error::invalid_body("spec.targetVersion is required"));
        }
        Ok(spec)
    }
}

/// C05/C28 `CreateUpgradeWorkFlowRequestBody`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowCreate {
    #[schemars(transform = crate::wire_rules::is("v3"))]
    pub api_version: Option<String>,
    #[schemars(transform = crate::wire_rules::is("WorkFlowTask"))]
    pub kind: Option<String>,
    #[schemars(required, transform = crate::wire_rules::requires(FROM_AND_TARGET))]
    pub spec: Option<VersionSpec>,
}

impl WorkflowCreate {
    /// The checked spec: kind `WorkFlowTask`, version `v3`, the cluster's version and a target.
    pub fn validate(self) -> Result<VersionSpec, Error> {
        check_kind(self.kind.as_deref(), "WorkFlowTask", self.api_version.as_deref(), &["v3"])?;
        let spec = required_spec(self.spec)?;
        if spec.cluster_version.is_none() {
            return Err(Error::invalid_body("spec.clusterVersion is required"));
        }
        if spec.target_version.is_none() {
            return Err(Error::invalid_body("spec.targetVersion is required"));
        }
        Ok(spec)
    }
}

/// C10/C33 `UpgradeClusterRequestBody`, checked: what the cluster's upgrade task is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterUpgrade {
    /// The versions it names (the target only: an upgrade starts from the cluster's version).
    pub versions: VersionSpec,
    /// `inPlaceRollingUpdate`, the one strategy ucsd runs (the default when none is sent).
    pub strategy: cce_wire::UpgradeStrategy,
    /// Node pool id → priority: pools of a higher priority upgrade first.
    pub node_pool_order: BTreeMap<String, i64>,
    /// `isOnlyUpgrade`: the control plane only, no node pool.
    pub only_control_plane: bool,
    /// `spec` as the task records it (the typed value written back).
    pub request: serde_json::Value,
}

/// The one upgrade strategy ucsd runs.
pub const IN_PLACE_ROLLING_UPDATE: &str = "inPlaceRollingUpdate";

impl ClusterUpgrade {
    /// Checks `UpgradeClusterRequestBody`: `metadata.kind` `UpgradeTask`, `metadata.apiVersion` `v3`,
    /// a `spec.clusterUpgradeAction` with a target, the in-place strategy.
    pub fn validate(body: cce_wire::UpgradeClusterRequestBody) -> Result<Self, Error> {
        let metadata = body.metadata.unwrap_or_default();
        check_kind(metadata.kind.as_deref(), "UpgradeTask", metadata.api_version.as_deref(), &["v3"])?;
        let spec = body.spec.unwrap_or_default();
        let action = spec
            .cluster_upgrade_action
            .as_ref()
            .ok_or_else(|| Error::invalid_body("spec.clusterUpgradeAction is required"))?;
        let target = action
            .target_version
            .clone()
            .ok_or_else(|| Error::invalid_body("spec.clusterUpgradeAction.targetVersion is required"))?;
        let strategy = action.strategy.clone().unwrap_or_else(|| cce_wire::UpgradeStrategy {
            r#type: Some(IN_PLACE_ROLLING_UPDATE.to_string()),
            ..Default::default()
        });
        if let Some(kind) = strategy.r#type.as_deref().filter(|k| *k != IN_PLACE_ROLLING_UPDATE) {
            return Err(Error::invalid_body(format!(
                "strategy.type {kind:?} is not supported; use {IN_PLACE_ROLLING_UPDATE}"
            )));
        }
        Ok(Self {
            versions: VersionSpec { target_version: Some(target), ..VersionSpec::default() },
            strategy,
            node_pool_order: action.node_pool_order.clone().unwrap_or_default(),
            only_control_plane: action.is_only_upgrade.unwrap_or(false),
            request: crate::cce::recorded(&spec),
        })
    }

    /// Each of `pools` with its priority (0 where the order does not name it); an order naming a
    /// pool that is not one of them is refused.
    pub fn pools_by_priority(&self, pools: &[crate::cce::NodePool]) -> Result<Vec<(String, i64)>, Error> {
        if let Some(unknown) = self.node_pool_order.keys().find(|id| !pools.iter().any(|p| &&p.id == id)) {
            return Err(Error::invalid_body(format!(
                "nodePoolOrder names {unknown:?}, which is no node pool of the cluster"
            )));
        }
        Ok(pools
            .iter()
            .map(|p| (p.id.clone(), self.node_pool_order.get(&p.id).copied().unwrap_or(0)))
            .collect())
    }
}

/// C21 `UpgradeNodePool`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolUpgrade {
    #[schemars(transform = crate::wire_rules::is("NodePool"))]
    pub kind: Option<String>,
    pub api_version: Option<String>,
    pub metadata: Option<NodePoolMetadata>,
    pub spec: Option<NodePoolUpgradeSpec>,
}

/// `NodePoolMetadata` (read and ignored: the path names the pool).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
#[schemars(rename = "NodePoolUpgradeNodePoolMetadata")]
pub struct NodePoolMetadata {
    pub name: Option<String>,
    pub uid: Option<String>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub update_timestamp: Option<String>,
    pub creation_timestamp: Option<String>,
    pub resource_version: Option<i64>,
}

/// `NodePoolUpgradeSpec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolUpgradeSpec {
    #[schemars(range(min = 0))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    #[schemars(range(min = 0))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_times: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_nodes: Option<Vec<String>>,
    #[serde(rename = "nodeIDs", default, skip_serializing_if = "Option::is_none")]
    pub node_ids: Option<Vec<String>>,
    #[serde(rename = "nodePoolID", default, skip_serializing_if = "Option::is_none")]
    pub node_pool_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_template: Option<UpgradeNodeTemplate>,
}

/// `UpgradeNodePoolSpecNodeTemplate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeNodeTemplate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_cycle: Option<NodeLifecycle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Login>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_config: Option<VolumeConfig>,
}

/// `NodeLifecycleConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeLifecycle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_install: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_install: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_post_install_finish: Option<bool>,
}

/// `Login`. The password is read and never recorded (a task keeps only that one was given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "NodePoolUpgradeLogin")]
pub struct Login {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_password: Option<UserPassword>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_user_password: Option<bool>,
    #[serde(rename = "removeSSHKey", default, skip_serializing_if = "Option::is_none")]
    pub remove_ssh_key: Option<bool>,
}

/// `UserPassword`: the password is never serialized.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[schemars(rename = "NodePoolUpgradeUserPassword")]
pub struct UserPassword {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing)]
    pub password: Option<String>,
}

impl std::fmt::Debug for UserPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserPassword").field("username", &self.username).finish_non_exhaustive()
    }
}

/// `VolumeConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "NodePoolUpgradeVolumeConfig")]
pub struct VolumeConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_reset_policy: Option<String>,
}

impl NodePoolUpgrade {
    /// The checked spec of an upgrade of the pool `pool` (the path's): `spec.nodePoolID`, if sent,
    /// names it; counts are not negative; node lists name each node once (repeats are collapsed).
    pub fn validate(self, pool: &str) -> Result<NodePoolUpgradeSpec, Error> {
        if let Some(k) = self.kind.as_deref().filter(|k| *k != "NodePool") {
            return Err(Error::invalid_body(format!("kind must be NodePool, not {k:?}")));
        }
        let mut spec = self.spec.unwrap_or_default();
        if let Some(other) = spec.node_pool_id.as_deref().filter(|p| !p.is_empty() && *p != pool) {
            return Err(Error::invalid_body(format!(
                "spec.nodePoolID {other:?} is not the path's node pool"
            )));
        }
        for (name, value) in [("maxUnavailable", spec.max_unavailable), ("retryTimes", spec.retry_times)] {
            if value.is_some_and(|v| v < 0) {
                return Err(Error::invalid_body(format!("spec.{name} must not be negative")));
            }
        }
        for list in [&mut spec.skipped_nodes, &mut spec.node_ids].into_iter().flatten() {
            let mut seen = std::collections::BTreeSet::new();
            list.retain(|n| seen.insert(n.clone()));
        }
        spec.node_pool_id = Some(pool.to_string());
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn a_node_pool_upgrade_keeps_only_what_it_knows_and_never_the_password() {
        let body: NodePoolUpgrade = parse(serde_json::json!({
            "kind": "NodePool", "apiVersion": "v3", "metadata": {"name": "p"},
            "spec": {"nodePoolID": "p", "maxUnavailable": 1, "nodeIDs": ["a", "a", "b"],
                     "nodeTemplate": {"login": {"userPassword": {"username": "root", "password": "s3cret"}}}},
        }))
        .unwrap();
        let spec = body.validate("p").unwrap();
        assert_eq!(spec.node_ids, Some(vec!["a".to_string(), "b".to_string()]));
        let recorded = serde_json::to_string(&spec).unwrap();
        assert!(!recorded.contains("s3cret"), "{recorded}");
        assert!(recorded.contains("root"), "{recorded}");
        assert!(!format!("{spec:?}").contains("s3cret"));
    }

    #[test]
    fn a_node_pool_upgrade_refuses_what_breaks_its_schema() {
        assert!(parse::<NodePoolUpgrade>(serde_json::json!({"spec": true})).is_err());
        assert!(parse::<NodePoolUpgrade>(serde_json::json!({"spec": {"nodePoolID": true}})).is_err());
        let other: NodePoolUpgrade = parse(serde_json::json!({"spec": {"nodePoolID": "q"}})).unwrap();
        assert!(other.validate("p").is_err());
        let negative: NodePoolUpgrade = parse(serde_json::json!({"spec": {"maxUnavailable": -1}})).unwrap();
        assert!(negative.validate("p").is_err());
        let kind: NodePoolUpgrade = parse(serde_json::json!({"kind": "Cluster"})).unwrap();
        assert!(kind.validate("p").is_err());
    }

    #[test]
    fn a_precheck_collapses_repeated_items_and_needs_names() {
        let body: Precheck = parse(serde_json::json!({
            "kind": "PreCheckTask", "apiVersion": "v3",
            "spec": {"targetVersion": "v1.29", "skippedCheckItemList": [{"name": "a"}, {"name": "a"}]},
        }))
        .unwrap();
        let spec = body.validate().unwrap();
        assert_eq!(spec.skipped_check_item_list.unwrap().len(), 1);
        let nameless: Precheck =
            parse(serde_json::json!({"spec": {"skippedCheckItemList": [{"name": " "}]}})).unwrap();
        assert!(nameless.validate().is_err());
        let wrong: Precheck = parse(serde_json::json!({"kind": "Other", "spec": {}})).unwrap();
        assert!(wrong.validate().is_err());
        let bare: Precheck = parse(serde_json::json!({"kind": "PreCheckTask"})).unwrap();
        assert!(bare.validate().unwrap_err().message().contains("spec is required"));
    }
}
