//! CCE and CCE Autopilot clusters (the clusters upgrades act on): validation of a create request, the
//! cluster's phases, its node pools and nodes (their API is `crate::nodepool`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    addon::AddonInstance,
    cce_wire,
    error::{Error, Result},
    ids::{CceClusterId, DomainId, JobId},
    upgrade::{Catalogue, Flavor},
    wire_rules::{check_kind, required},
};

/// `status.phase` of a CCE cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CcePhase {
    Creating,
    Available,
    Upgrading,
    Deleting,
    Error,
}

impl CcePhase {
    pub const ALL: [CcePhase; 5] =
        [Self::Creating, Self::Available, Self::Upgrading, Self::Deleting, Self::Error];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "Creating",
            Self::Available => "Available",
            Self::Upgrading => "Upgrading",
            Self::Deleting => "Deleting",
            Self::Error => "Error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// What a node is doing: it runs, or it waits for its node pool's job to remove it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodePhase {
    #[default]
    Active,
    Deleting,
}

impl NodePhase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Deleting => "Deleting",
        }
    }
}

/// A node of a node pool (simulated nodes carry only their identity and phase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub uid: String,
    pub name: String,
    #[serde(default)]
    pub phase: NodePhase,
    /// When its job committed it (the nodes a cluster was built with carry none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

impl Node {
    pub fn new(uid: String, name: String) -> Self {
        Self { uid, name, phase: NodePhase::Active, created_at: None }
    }
}

/// A node pool, the Kubernetes version its nodes run, and what its job converges it to. The fields
/// after `nodes` came with the node pool API; pools stored before it read them as their defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodePool {
    pub id: String,
    pub name: String,
    pub version: String,
    pub nodes: Vec<Node>,
    /// `spec` as sent, less `initialNodeCount` (that is `desired`) and the login password; `null` for
    /// the default pool.
    #[serde(default)]
    pub spec: Value,
    /// How many nodes the pool should have; `None`: as many as it has (the default pool).
    #[serde(default)]
    pub desired: Option<usize>,
    /// Counts the changes of what the pool should be; its job's provider keys include it.
    #[serde(default)]
    pub generation: u64,
    /// The job converging the pool, while one runs (at most one per pool).
    #[serde(default)]
    pub job_id: Option<JobId>,
    /// Being deleted: its job removes its nodes, then the pool.
    #[serde(default)]
    pub deleting: bool,
    /// Why the pool's last job failed, until the next change.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A stored CCE or CCE Autopilot cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct CceCluster {
    pub id: CceClusterId,
    pub domain_id: DomainId,
    pub project_id: String,
    pub flavor: Flavor,
    pub name: String,
    /// The full catalogue version (`v1.28.15-r10`).
    pub version: String,
    pub phase: CcePhase,
    pub metadata: Value,
    pub spec: Value,
    pub node_pools: Vec<NodePool>,
    /// Installed addon → version.
    pub addons: BTreeMap<String, String>,
    /// Installed addon → what a user installed besides the version (none for the addons the
    /// cluster was built with).
    pub addon_instances: BTreeMap<String, AddonInstance>,
    /// The job creating or deleting the cluster.
    pub job_id: Option<JobId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The API server address of a cluster (simulated clusters have no real one; the name is stable).
pub fn api_endpoint(id: CceClusterId, flavor: Flavor) -> String {
    format!("https://{id}.{flavor}.ucsd.local:5443")
}

/// The id and name of the node pool every cluster starts with (C21 accepts it as the pool id).
pub const DEFAULT_POOL: &str = "DefaultPool";

/// A validated create request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCceCluster {
    pub flavor: Flavor,
    pub name: String,
    /// The full catalogue version (`v1.28.15-r10`).
    pub version: String,
    /// `metadata` without `name`, kept as sent (alias, labels, annotations, timezone).
    pub metadata: Value,
    /// `spec` as sent, less `version`, `platformVersion` (ucsd decides them) and the authenticating
    /// proxy's private key.
    pub spec: Value,
    /// `spec.authentication.authenticatingProxy.privateKey`: to be sealed, never returned.
    pub proxy_private_key: Option<String>,
}

/// CCE's cluster name rule: 4–128 characters of lower-case letters, digits and `-`, starting with
/// a letter and not ending with `-`.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = (4..=128).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_body(format!(
            "metadata.name {name:?} must be 4 to 128 lower-case letters, digits or '-', start with a letter \
             and not end with '-'"
        )))
    }
}

/// Validates `POST …/clusters` of `flavor`: the typed body (its shape is serde's) and the rules its
/// schema states beyond the shape.
pub fn validate_create(flavor: Flavor, body: cce_wire::Cluster) -> Result<NewCceCluster> {
    check_kind(body.kind.as_deref(), "Cluster", body.api_version.as_deref(), &["v3"])?;
    let mut metadata = body.metadata.unwrap_or_default();
    let name = required(metadata.name.as_deref(), "metadata.name")?.to_string();
    validate_name(&name)?;
    metadata.name = None;
    let mut spec = body.spec.unwrap_or_default();
    required(spec.flavor.as_deref(), "spec.flavor")?;
    let host = spec.host_network.as_ref();
    required(host.and_then(|h| h.vpc.as_deref()), "spec.hostNetwork.vpc")?;
    required(host.and_then(|h| h.subnet.as_deref()), "spec.hostNetwork.subnet")?;
    let catalogue = Catalogue::get().flavor(flavor);
    let version = match spec.version.take() {
        None => catalogue.newest().version.clone(),
        Some(v) => catalogue
            .find(&v)
            .ok_or_else(|| {
                let offered: Vec<&str> = catalogue.versions.iter().map(|v| v.release()).collect();
                Error::invalid_body(format!("spec.version {v:?} is not offered; choose one of {offered:?}"))
            })?
            .version
            .clone(),
    };
    spec.platform_version = None;
    spec.r#type.get_or_insert_with(|| "VirtualMachine".to_string());
    let proxy_private_key = spec
        .authentication
        .as_mut()
        .and_then(|a| a.authenticating_proxy.as_mut())
        .and_then(|proxy| proxy.private_key.take());
    Ok(NewCceCluster {
        flavor,
        name,
        version,
        metadata: recorded(&metadata),
        spec: recorded(&spec),
        proxy_private_key,
    })
}

/// What ucsd records of a typed request part: the typed value written back (only the model's
/// attributes, none unset).
pub fn recorded<T: Serialize>(part: &T) -> Value {
    serde_json::to_value(part).expect("wire types serialize")
}

/// A validated `update_cluster` body (`ClusterInformation`): what it changes of the cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterUpdate {
    pub alias: Option<String>,
    /// `spec` fields that replace the cluster's; object fields (`hostNetwork`, `containerNetwork`,
    /// `secretConfig`, …) are merged key by key.
    pub spec: serde_json::Map<String, Value>,
}

/// The longest alias of a cluster.
pub const MAX_ALIAS: usize = 128;

/// Validates `PUT …/clusters/{id}`: every attribute of `ClusterInformationSpec` may change.
pub fn validate_update(body: cce_wire::ClusterInformation) -> Result<ClusterUpdate> {
    let alias = body.metadata.and_then(|m| m.alias);
    if let Some(alias) = alias.as_deref().filter(|a| a.chars().count() > MAX_ALIAS) {
        return Err(Error::invalid_body(format!(
            "metadata.alias must be up to {MAX_ALIAS} characters, not {}",
            alias.chars().count()
        )));
    }
    let spec = match body.spec.map(|s| recorded(&s)) {
        Some(Value::Object(fields)) => fields,
        _ => serde_json::Map::new(),
    };
    Ok(ClusterUpdate { alias, spec })
}

/// Applies an update to a cluster's stored metadata and spec.
pub fn apply_update(metadata: &mut Value, spec: &mut Value, update: &ClusterUpdate) {
    if let Some(alias) = &update.alias {
        metadata["alias"] = Value::from(alias.clone());
    }
    for (key, value) in &update.spec {
        match (spec.get_mut(key), value) {
            (Some(Value::Object(old)), Value::Object(new)) => old.extend(new.clone()),
            _ => spec[key] = value.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(body: Value) -> T {
        serde_json::from_value(body).expect("a body of the model")
    }

    fn body() -> Value {
        json!({
            "kind": "Cluster", "apiVersion": "v3",
            "metadata": {"name": "prod-1", "labels": {"a": "b"}},
            "spec": {"flavor": "cce.s1.small", "hostNetwork": {"vpc": "v", "subnet": "s"}, "version": "v1.28"}
        })
    }

    #[test]
    fn a_create_request_resolves_its_version_and_keeps_the_rest() {
        let c = validate_create(Flavor::Cce, parse(body())).unwrap();
        assert_eq!(c.name, "prod-1");
        assert_eq!(c.version, "v1.28.15-r10");
        assert_eq!(c.metadata, json!({"labels": {"a": "b"}}));
        assert_eq!(c.spec["type"], "VirtualMachine");
        assert!(c.spec.get("version").is_none());
        let mut no_version = body();
        no_version["spec"].as_object_mut().unwrap().remove("version");
        let newest = Catalogue::get().flavor(Flavor::Autopilot).newest().version.clone();
        assert_eq!(validate_create(Flavor::Autopilot, parse(no_version)).unwrap().version, newest);
    }

    #[test]
    fn the_private_key_of_an_authenticating_proxy_is_taken_out() {
        let mut b = body();
        b["spec"]["authentication"] = json!({"mode": "authenticating_proxy", "authenticatingProxy": {"ca": "c", "privateKey": "SECRET"}});
        let c = validate_create(Flavor::Cce, parse(b)).unwrap();
        assert_eq!(c.proxy_private_key.as_deref(), Some("SECRET"));
        assert!(!c.spec.to_string().contains("SECRET"));
    }

    #[test]
    fn bad_requests_are_refused_with_the_field() {
        let cases: [(&str, Value, &str); 7] = [
            ("/metadata/name", json!("Bad_Name"), "metadata.name"),
            ("/metadata/name", json!("abc"), "metadata.name"),
            ("/metadata/name", json!("abcd-"), "metadata.name"),
            ("/spec/flavor", json!(""), "spec.flavor"),
            ("/spec/hostNetwork", json!({"vpc": "v"}), "spec.hostNetwork.subnet"),
            ("/spec/version", json!("v1.2"), "spec.version"),
            ("/kind", json!("Node"), "kind"),
        ];
        for (pointer, value, field) in cases {
            let mut b = body();
            *b.pointer_mut(pointer).unwrap() = value;
            let e = validate_create(Flavor::Cce, parse(b)).unwrap_err();
            assert_eq!(e.status(), 400);
            assert!(e.message().contains(field), "{pointer}: {}", e.message());
        }
        assert!(serde_json::from_value::<cce_wire::Cluster>(json!({"spec": {"version": 1}})).is_err());
        assert!(validate_create(Flavor::Cce, parse(json!({"metadata": {"name": "abcd"}}))).is_err());
    }

    #[test]
    fn an_update_merges_networks_and_refuses_what_cannot_change() {
        let u = validate_update(parse(json!({"metadata": {"alias": "prod"}, "spec": {"description": "d",
            "hostNetwork": {"SecurityGroup": "sg"}, "deletionProtection": true}})))
        .unwrap();
        let (mut metadata, mut spec) = (json!({}), json!({"hostNetwork": {"vpc": "v"}, "flavor": "f"}));
        apply_update(&mut metadata, &mut spec, &u);
        assert_eq!(metadata["alias"], "prod");
        assert_eq!(spec["hostNetwork"], json!({"vpc": "v", "SecurityGroup": "sg"}));
        assert_eq!(
            (spec["description"].as_str(), spec["deletionProtection"].as_bool()),
            (Some("d"), Some(true))
        );
        // A value of the wrong type does not parse; what cannot change (`spec.flavor`) is no attribute
        // of the model, and an array is no object: the API's extractor refuses both
        // (api::extract::parse_json).
        for bad in [json!({"spec": {"description": 1}}), json!({"spec": 1})] {
            assert!(serde_json::from_value::<cce_wire::ClusterInformation>(bad.clone()).is_err(), "{bad}");
        }
        let long = json!({"metadata": {"alias": "a".repeat(MAX_ALIAS + 1)}});
        assert_eq!(validate_update(parse(long)).unwrap_err().status(), 400);
    }

    #[test]
    fn phases_round_trip() {
        for p in CcePhase::ALL {
            assert_eq!(CcePhase::parse(p.as_str()), Some(p));
        }
    }
}
