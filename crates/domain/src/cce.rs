//! CCE and CCE Autopilot clusters (the clusters upgrades act on): validation of a create request, the
//! cluster's phases, its node pools and nodes (their API is `crate::nodepool`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    addon::AddonInstance,
    error::{Error, Result},
    ids::{CceClusterId, DomainId, JobId},
    upgrade::{Catalogue, Flavor},
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

fn string_at<'v>(body: &'v Value, pointer: &str) -> Option<&'v str> {
    body.pointer(pointer).and_then(Value::as_str)
}

/// A non-empty string at `pointer`, or a 400 naming the field.
pub(crate) fn required<'v>(body: &'v Value, pointer: &str) -> Result<&'v str> {
    match string_at(body, pointer) {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(Error::invalid_body(format!(
            "{} is required and must be a non-empty string",
            pointer.trim_start_matches('/').replace('/', ".")
        ))),
    }
}

/// Validates `POST …/clusters` of `flavor`.
pub fn validate_create(flavor: Flavor, mut body: Value) -> Result<NewCceCluster> {
    if !body.is_object() {
        return Err(Error::invalid_body("the body must be a Cluster object"));
    }
    if let Some(kind) = body.get("kind").filter(|k| !k.is_null()) {
        if kind != "Cluster" {
            return Err(Error::invalid_body(format!("kind must be Cluster, not {kind}")));
        }
    }
    if let Some(version) = body.get("apiVersion").filter(|k| !k.is_null()) {
        if version != "v3" {
            return Err(Error::invalid_body(format!("apiVersion must be v3, not {version}")));
        }
    }
    let name = required(&body, "/metadata/name")?.to_string();
    validate_name(&name)?;
    for pointer in ["/spec/flavor", "/spec/hostNetwork/vpc", "/spec/hostNetwork/subnet"] {
        required(&body, pointer)?;
    }
    let catalogue = Catalogue::get().flavor(flavor);
    let version = match body.pointer("/spec/version") {
        None | Some(Value::Null) => catalogue.newest().version.clone(),
        Some(Value::String(v)) => catalogue
            .find(v)
            .ok_or_else(|| {
                let offered: Vec<&str> = catalogue.versions.iter().map(|v| v.release()).collect();
                Error::invalid_body(format!("spec.version {v:?} is not offered; choose one of {offered:?}"))
            })?
            .version
            .clone(),
        Some(other) => {
            return Err(Error::invalid_body(format!("spec.version must be a string, not {other}")))
        }
    };
    let mut metadata = body["metadata"].take();
    if !metadata.is_object() {
        return Err(Error::invalid_body("metadata must be an object"));
    }
    metadata.as_object_mut().expect("checked").remove("name");
    let mut spec = body["spec"].take();
    let fields = spec.as_object_mut().ok_or_else(|| Error::invalid_body("spec must be an object"))?;
    fields.remove("version");
    fields.remove("platformVersion");
    fields.entry("type").or_insert_with(|| Value::from("VirtualMachine"));
    let proxy_private_key = spec
        .pointer_mut("/authentication/authenticatingProxy")
        .and_then(Value::as_object_mut)
        .and_then(|proxy| proxy.remove("privateKey"))
        .and_then(|key| key.as_str().map(str::to_string));
    Ok(NewCceCluster { flavor, name, version, metadata, spec, proxy_private_key })
}

/// A validated `update_cluster` body (`ClusterInformation`): what it changes of the cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterUpdate {
    pub alias: Option<String>,
    /// `spec` fields that replace the cluster's; `hostNetwork` and `containerNetwork` are merged.
    pub spec: serde_json::Map<String, Value>,
}

/// Whether a JSON value has the type a field needs.
type TypeCheck = fn(&Value) -> bool;

/// The `ClusterInformationSpec` fields an update may change, with the JSON type each must have.
const UPDATABLE: [(&str, TypeCheck); 7] = [
    ("description", Value::is_string),
    ("customSan", Value::is_array),
    ("containerNetwork", Value::is_object),
    ("eniNetwork", Value::is_object),
    ("hostNetwork", Value::is_object),
    ("deletionProtection", Value::is_boolean),
    ("agencyName", Value::is_string),
];

/// Validates `PUT …/clusters/{id}`.
pub fn validate_update(body: &Value) -> Result<ClusterUpdate> {
    if !body.is_object() {
        return Err(Error::invalid_body("the body must be a ClusterInformation object"));
    }
    let alias = match body.pointer("/metadata/alias") {
        None | Some(Value::Null) => None,
        Some(Value::String(a)) if a.chars().count() <= 128 => Some(a.clone()),
        Some(other) => {
            return Err(Error::invalid_body(format!(
                "metadata.alias must be up to 128 characters, not {other}"
            )))
        }
    };
    let mut spec = serde_json::Map::new();
    match body.get("spec") {
        None | Some(Value::Null) => {}
        Some(Value::Object(fields)) => {
            for (key, value) in fields.iter().filter(|(_, v)| !v.is_null()) {
                let Some((_, kind_ok)) = UPDATABLE.iter().find(|(name, _)| name == key) else {
                    return Err(Error::invalid_body(format!("spec.{key} cannot be updated")));
                };
                if !kind_ok(value) {
                    return Err(Error::invalid_body(format!("spec.{key} has the wrong type: {value}")));
                }
                spec.insert(key.clone(), value.clone());
            }
        }
        Some(_) => return Err(Error::invalid_body("spec must be an object")),
    }
    Ok(ClusterUpdate { alias, spec })
}

/// Applies an update to a cluster's stored metadata and spec.
pub fn apply_update(metadata: &mut Value, spec: &mut Value, update: &ClusterUpdate) {
    if let Some(alias) = &update.alias {
        metadata["alias"] = Value::from(alias.clone());
    }
    for (key, value) in &update.spec {
        match (spec.get_mut(key), value) {
            (Some(Value::Object(old)), Value::Object(new))
                if key == "hostNetwork" || key == "containerNetwork" =>
            {
                old.extend(new.clone());
            }
            _ => spec[key] = value.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body() -> Value {
        json!({
            "kind": "Cluster", "apiVersion": "v3",
            "metadata": {"name": "prod-1", "labels": {"a": "b"}},
            "spec": {"flavor": "cce.s1.small", "hostNetwork": {"vpc": "v", "subnet": "s"}, "version": "v1.28"}
        })
    }

    #[test]
    fn a_create_request_resolves_its_version_and_keeps_the_rest() {
        let c = validate_create(Flavor::Cce, body()).unwrap();
        assert_eq!(c.name, "prod-1");
        assert_eq!(c.version, "v1.28.15-r10");
        assert_eq!(c.metadata, json!({"labels": {"a": "b"}}));
        assert_eq!(c.spec["type"], "VirtualMachine");
        assert!(c.spec.get("version").is_none());
        let mut no_version = body();
        no_version["spec"].as_object_mut().unwrap().remove("version");
        let newest = Catalogue::get().flavor(Flavor::Autopilot).newest().version.clone();
        assert_eq!(validate_create(Flavor::Autopilot, no_version).unwrap().version, newest);
    }

    #[test]
    fn the_private_key_of_an_authenticating_proxy_is_taken_out() {
        let mut b = body();
        b["spec"]["authentication"] = json!({"mode": "authenticating_proxy", "authenticatingProxy": {"ca": "c", "privateKey": "SECRET"}});
        let c = validate_create(Flavor::Cce, b).unwrap();
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
            let e = validate_create(Flavor::Cce, b).unwrap_err();
            assert_eq!(e.status(), 400);
            assert!(e.message().contains(field), "{pointer}: {}", e.message());
        }
        assert!(validate_create(Flavor::Cce, json!([])).is_err());
        assert!(validate_create(Flavor::Cce, json!({"metadata": {"name": "abcd"}})).is_err());
    }

    #[test]
    fn an_update_merges_networks_and_refuses_what_cannot_change() {
        let u = validate_update(&json!({"metadata": {"alias": "prod"}, "spec": {"description": "d",
            "hostNetwork": {"SecurityGroup": "sg"}, "deletionProtection": true}}))
        .unwrap();
        let (mut metadata, mut spec) = (json!({}), json!({"hostNetwork": {"vpc": "v"}, "flavor": "f"}));
        apply_update(&mut metadata, &mut spec, &u);
        assert_eq!(metadata["alias"], "prod");
        assert_eq!(spec["hostNetwork"], json!({"vpc": "v", "SecurityGroup": "sg"}));
        assert_eq!(
            (spec["description"].as_str(), spec["deletionProtection"].as_bool()),
            (Some("d"), Some(true))
        );
        for bad in [
            json!({"spec": {"flavor": "x"}}),
            json!({"spec": {"description": 1}}),
            json!({"spec": 1}),
            json!([]),
        ] {
            assert_eq!(validate_update(&bad).unwrap_err().status(), 400, "{bad}");
        }
    }

    #[test]
    fn phases_round_trip() {
        for p in CcePhase::ALL {
            assert_eq!(CcePhase::parse(p.as_str()), Some(p));
        }
    }
}
