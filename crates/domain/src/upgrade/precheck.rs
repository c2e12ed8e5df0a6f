//! The precheck before an upgrade: findings computed from what ucsd knows of the cluster (its
//! phase, node pools, addons, the APIs it uses, other upgrade work), shaped as the API shows them
//! (`PreCheckItemStatus`). A Fatal finding fails the precheck.

use std::{borrow::Cow, collections::BTreeMap};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::catalogue::{release_of, Catalogue, VersionEntry};
use crate::cce::NodePool;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "PreCheckItemLevel")]
pub enum Level {
    Info,
    Warning,
    Fatal,
}

/// One finding (`PreCheckItemStatus`), as a precheck task records it and the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "PreCheckItemStatus")]
pub struct Finding {
    pub name: String,
    /// `Exception` (the cluster cannot be upgraded as it is) or `Risk` (it can, with a consequence).
    pub kind: Cow<'static, str>,
    /// `LimitCheck`, `MasterCheck`, `NodeCheck` or `AddonCheck`.
    pub group: Cow<'static, str>,
    pub level: Level,
    /// `Success` for an Info finding, else `Failed`.
    pub phase: Cow<'static, str>,
    pub message: String,
    pub risk_source: RiskSource,
    pub error_codes: Vec<String>,
    /// The node a node finding is about (for `skippedCheckItemList` selectors); not on the wire.
    #[serde(skip)]
    pub node_uid: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RiskSource {
    #[serde(rename = "deprecatedAPIRisks", skip_serializing_if = "Vec::is_empty")]
    pub deprecated_api_risks: Vec<DeprecatedApiRisk>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub node_risks: Vec<NodeRisk>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addon_risks: Vec<AddonRisk>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "DeprecatedAPIRisk")]
pub struct DeprecatedApiRisk {
    pub url: String,
    pub user_agent: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NodeRisk {
    #[serde(rename = "NodeID")]
    pub node_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddonRisk {
    pub addon_template_name: String,
    pub alias: String,
}

/// A risk an addon check found (`CheckTaskRisk`), as the task records it and the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CheckTaskRisk")]
pub struct AddonCheckRisk {
    pub risk_name: String,
    pub level: Level,
    pub status: String,
    pub message: String,
}

/// A check the user asked to skip (`skippedCheckItemList`): the whole item, or only for some nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    /// `node.uid In [...]`: only these nodes' findings of the item.
    pub node_uids: Option<Vec<String>>,
}

/// What the precheck looks at.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub cluster_available: bool,
    /// Another upgrade task of the cluster is unfinished.
    pub upgrade_in_progress: bool,
    /// The target of the cluster's unended upgrade workflow, if it has one.
    pub open_workflow_target: Option<&'a str>,
    pub version: &'a VersionEntry,
    pub target: &'a VersionEntry,
    pub node_pools: &'a [NodePool],
    /// Installed addon → version.
    pub addons: &'a BTreeMap<String, String>,
    /// API paths the cluster's workloads call (as the provider observed them).
    pub api_usage: &'a [String],
    /// Risks the cluster reports itself (by name); each blocks the upgrade.
    pub reported_risks: &'a [String],
    pub skipped: &'a [Skipped],
}

fn finding(name: &str, group: &'static str, level: Level, message: String) -> Finding {
    Finding {
        name: name.to_string(),
        kind: if level == Level::Fatal { "Exception" } else { "Risk" }.into(),
        group: group.into(),
        level,
        phase: if level == Level::Info { "Success" } else { "Failed" }.into(),
        message,
        risk_source: RiskSource::default(),
        error_codes: Vec::new(),
        node_uid: None,
    }
}

/// The findings of a precheck, skipped items removed.
pub fn evaluate(input: &Input<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if !input.cluster_available {
        out.push(finding(
            "ClusterStatus",
            "LimitCheck",
            Level::Fatal,
            "the cluster is not Available; only an Available cluster can be upgraded".into(),
        ));
    }
    if input.upgrade_in_progress {
        out.push(finding(
            "UpgradeInProgress",
            "LimitCheck",
            Level::Fatal,
            "another upgrade task of this cluster is unfinished".into(),
        ));
    }
    if let Some(other) = input.open_workflow_target.filter(|t| release_of(t) != input.target.release()) {
        out.push(finding(
            "WorkflowTarget",
            "LimitCheck",
            Level::Warning,
            format!(
                "the cluster's upgrade workflow goes to {other}, not {}: cancel it to upgrade elsewhere",
                input.target.version
            ),
        ));
    }
    for risk in input.reported_risks {
        out.push(finding(risk, "MasterCheck", Level::Fatal, format!("the cluster reports the risk {risk}")));
    }
    let removed = Catalogue::get().apis_removed_between(&input.version.version, &input.target.version);
    let used: Vec<&String> = input.api_usage.iter().filter(|url| removed.contains(&url.as_str())).collect();
    if !used.is_empty() {
        let mut f = finding(
            "DeprecatedAPI",
            "MasterCheck",
            Level::Warning,
            format!(
                "{} API(s) the cluster uses are no longer served in {}; migrate them before upgrading",
                used.len(),
                input.target.release()
            ),
        );
        f.risk_source.deprecated_api_risks = used
            .into_iter()
            .map(|url| DeprecatedApiRisk { url: url.clone(), user_agent: "kubectl".into() })
            .collect();
        out.push(f);
    }
    let cluster_release = input.version.release();
    for pool in input.node_pools {
        if release_of(&pool.version) == cluster_release {
            continue;
        }
        for node in &pool.nodes {
            let mut f = finding(
                "NodeVersion",
                "NodeCheck",
                Level::Fatal,
                format!(
                    "node {} of node pool {} runs {} but the control plane runs {}: upgrade the node pool first",
                    node.name, pool.name, pool.version, input.version.version
                ),
            );
            f.risk_source.node_risks = vec![NodeRisk { node_id: node.uid.clone() }];
            f.node_uid = Some(node.uid.clone());
            out.push(f);
        }
    }
    for (addon, version) in input.addons {
        let supported = input.target.addons.get(addon);
        if supported.is_some_and(|versions| versions.contains(version)) {
            continue;
        }
        let message = match supported.and_then(|v| v.last()) {
            Some(newest) => {
                format!(
                    "addon {addon} {version} is not supported on {}; the upgrade moves it to {newest}",
                    input.target.release()
                )
            }
            None => format!(
                "addon {addon} is not offered on {}; it stops working after the upgrade",
                input.target.release()
            ),
        };
        let mut f = finding("AddonCompatibility", "AddonCheck", Level::Warning, message);
        f.risk_source.addon_risks =
            vec![AddonRisk { addon_template_name: addon.clone(), alias: addon.clone() }];
        out.push(f);
    }
    out.retain(|f| !is_skipped(f, input.skipped));
    out
}

fn is_skipped(finding: &Finding, skipped: &[Skipped]) -> bool {
    skipped.iter().any(|s| {
        s.name == finding.name
            && match (&s.node_uids, &finding.node_uid) {
                (None, _) => true,
                (Some(uids), Some(uid)) => uids.contains(uid),
                (Some(_), None) => false,
            }
    })
}

/// Whether a precheck with these findings passed.
pub fn passed(findings: &[Finding]) -> bool {
    !findings.iter().any(|f| f.level == Level::Fatal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{cce::Node, upgrade::Flavor};

    fn pool(version: &str, nodes: &[&str]) -> NodePool {
        NodePool {
            id: "DefaultPool".into(),
            name: "DefaultPool".into(),
            version: version.into(),
            nodes: nodes.iter().map(|n| Node::new(n.to_string(), format!("node-{n}"))).collect(),
            ..NodePool::default()
        }
    }

    fn run(
        pools: &[NodePool],
        addons: &[(&str, &str)],
        usage: &[&str],
        skipped: &[Skipped],
        (available, busy): (bool, bool),
    ) -> Vec<Finding> {
        let cce = Catalogue::get().flavor(Flavor::Cce);
        let addons: BTreeMap<String, String> =
            addons.iter().map(|(a, v)| (a.to_string(), v.to_string())).collect();
        let usage: Vec<String> = usage.iter().map(|u| u.to_string()).collect();
        evaluate(&Input {
            cluster_available: available,
            upgrade_in_progress: busy,
            open_workflow_target: None,
            version: cce.find("v1.25").unwrap(),
            target: cce.find("v1.27").unwrap(),
            node_pools: pools,
            addons: &addons,
            api_usage: &usage,
            reported_risks: &[],
            skipped,
        })
    }

    #[test]
    fn a_clean_cluster_passes_with_no_findings() {
        let f = run(&[pool("v1.25.16-r10", &["n1"])], &[("coredns", "1.28.4")], &[], &[], (true, false));
        assert!(f.is_empty(), "{f:?}");
        assert!(passed(&f));
    }

    #[test]
    fn lagging_nodes_unavailable_clusters_and_running_upgrades_are_fatal() {
        let f = run(&[pool("v1.23.1-r0", &["n1", "n2"])], &[], &[], &[], (false, true));
        let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["ClusterStatus", "UpgradeInProgress", "NodeVersion", "NodeVersion"]);
        assert!(!passed(&f));
        assert_eq!(f[2].risk_source.node_risks[0].node_id, "n1");
        assert_eq!(f[2].kind, "Exception");
    }

    #[test]
    fn removed_apis_and_unsupported_addons_are_warnings() {
        let f = run(
            &[],
            &[("coredns", "1.25.11"), ("everest", "2.3.4")],
            &["/apis/autoscaling/v2beta2/horizontalpodautoscalers", "/api/v1/pods"],
            &[],
            (true, false),
        );
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].risk_source.deprecated_api_risks.len(), 1);
        assert_eq!(f[1].risk_source.addon_risks[0].addon_template_name, "coredns");
        assert!(f[1].message.contains("1.29.4"), "{}", f[1].message);
        assert!(passed(&f));
        let wire = serde_json::to_value(&f[0]).unwrap();
        assert!(wire["riskSource"]["deprecatedAPIRisks"].is_array(), "{wire}");
        assert!(wire.get("nodeUid").is_none());
    }

    #[test]
    fn a_workflow_to_another_version_is_a_warning() {
        let cce = Catalogue::get().flavor(Flavor::Cce);
        let mut input = Input {
            cluster_available: true,
            upgrade_in_progress: false,
            open_workflow_target: Some("v1.28.15-r10"),
            version: cce.find("v1.25").unwrap(),
            target: cce.find("v1.27").unwrap(),
            node_pools: &[],
            addons: &BTreeMap::new(),
            api_usage: &[],
            reported_risks: &[],
            skipped: &[],
        };
        let f = evaluate(&input);
        assert_eq!((f.len(), f[0].name.as_str(), f[0].level), (1, "WorkflowTarget", Level::Warning));
        input.open_workflow_target = Some("v1.27");
        assert!(evaluate(&input).is_empty(), "the workflow's own target");
    }

    #[test]
    fn skipped_items_are_dropped_whole_or_per_node() {
        let pools = [pool("v1.23.1-r0", &["n1", "n2"])];
        let per_node = [Skipped { name: "NodeVersion".into(), node_uids: Some(vec!["n1".into()]) }];
        let f = run(&pools, &[], &[], &per_node, (true, false));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].node_uid.as_deref(), Some("n2"));
        let whole = [Skipped { name: "NodeVersion".into(), node_uids: None }];
        assert!(run(&pools, &[], &[], &whole, (true, false)).is_empty());
    }
}
