//! Registered clusters: what a registration may say (the category × type × provider table of the API
//! reference, appendix 5.6), names, places, labels, the attached cluster's kubeconfig, the phases a
//! cluster goes through, and the catalogue of Kubernetes versions UCS accepts.

use std::{borrow::Cow, collections::BTreeMap, fmt, str::FromStr, sync::LazyLock};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    cce::CcePhase,
    error::{ucs, Error, Result},
    ids::{CceClusterId, ClusterId, DomainId, FleetId},
    upgrade::{catalogue, Flavor},
};

/// One row of the reference's category / type / provider table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterKind {
    pub category: &'static str,
    pub cluster_type: &'static str,
    pub provider: &'static str,
}

/// Appendix 5.6 "集群类别与类型说明": the only valid combinations.
pub const CLUSTER_KINDS: &[ClusterKind] = &[
    ClusterKind { category: "self", cluster_type: "cce", provider: "huaweicloud" },
    ClusterKind { category: "self", cluster_type: "turbo", provider: "huaweicloud" },
    ClusterKind { category: "onpremise", cluster_type: "baremetal", provider: "huaweicloud" },
    ClusterKind { category: "multicloud", cluster_type: "aws", provider: "huaweicloud" },
    ClusterKind { category: "attachedcluster", cluster_type: "ack", provider: "aliyun" },
    ClusterKind { category: "attachedcluster", cluster_type: "aks", provider: "azure" },
    ClusterKind { category: "attachedcluster", cluster_type: "eks", provider: "aws" },
    ClusterKind { category: "attachedcluster", cluster_type: "gke", provider: "googlecloud" },
    ClusterKind { category: "attachedcluster", cluster_type: "tke", provider: "tencentcloud" },
    ClusterKind { category: "attachedcluster", cluster_type: "openshift", provider: "openshift" },
    ClusterKind { category: "attachedcluster", cluster_type: "privatek8s", provider: "privatek8s" },
];

pub const CATEGORY_SELF: &str = "self";
pub const CATEGORY_ATTACHED: &str = "attachedcluster";
pub const CATEGORY_ONPREMISE: &str = "onpremise";

/// The annotation an attached cluster's kubeconfig arrives in; it is stored sealed, never returned.
pub const KUBECONFIG_ANNOTATION: &str = "kubeconfig";

/// Whether a category exists at all.
pub fn is_known_category(category: &str) -> bool {
    CLUSTER_KINDS.iter().any(|k| k.category == category)
}

/// Checks a category × type × provider triple against the table.
pub fn validate_kind(category: &str, cluster_type: &str, provider: &str) -> Result<ClusterKind> {
    if !is_known_category(category) {
        return Err(Error::new(ucs::CLUSTER_CATEGORY_NOT_SUPPORTED).with_detail(format!(
            "spec.category {category:?} is not one of self, onpremise, multicloud, attachedcluster"
        )));
    }
    CLUSTER_KINDS
        .iter()
        .copied()
        .find(|k| k.category == category && k.cluster_type == cluster_type && k.provider == provider)
        .ok_or_else(|| {
            let allowed: Vec<String> = CLUSTER_KINDS
                .iter()
                .filter(|k| k.category == category)
                .map(|k| format!("{}/{}", k.cluster_type, k.provider))
                .collect();
            Error::invalid_body(format!(
                "spec.type/spec.provider {cluster_type:?}/{provider:?} is not valid for category {category:?} \
                 (one of {})",
                allowed.join(", ")
            ))
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ManageType {
    /// In a fleet.
    Grouped,
    /// Not in a fleet.
    Discrete,
}

impl ManageType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grouped => "grouped",
            Self::Discrete => "discrete",
        }
    }
}

impl FromStr for ManageType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "grouped" => Ok(Self::Grouped),
            "discrete" => Ok(Self::Discrete),
            _ => Err(Error::invalid_body(format!("spec.manageType {s:?} must be grouped or discrete"))),
        }
    }
}

/// Where a cluster is in its life. A registration starts `Pending`; the activation job makes it
/// `Available`, or `Unavailable` with a reason; retrying the activation makes it `Pending` again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ClusterPhase {
    Pending,
    Available,
    Unavailable,
}

impl ClusterPhase {
    pub const ALL: [ClusterPhase; 3] = [Self::Pending, Self::Available, Self::Unavailable];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Available => "Available",
            Self::Unavailable => "Unavailable",
        }
    }
}

impl fmt::Display for ClusterPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClusterPhase {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| Error::internal(format!("phase {s:?}")))
    }
}

/// Events that move a cluster's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivationEvent {
    /// The user asks to activate (again).
    Retry,
    /// The activation job finished.
    Succeeded,
    /// The activation job gave up.
    Failed,
}

/// The phase after `event`, or `None` where the event does not apply. Retrying is allowed from every
/// phase (re-access of an available cluster, as the reference describes activation).
pub fn next_phase(phase: ClusterPhase, event: ActivationEvent) -> Option<ClusterPhase> {
    use ActivationEvent::*;
    use ClusterPhase::*;
    match (phase, event) {
        (_, Retry) => Some(Pending),
        (Pending, Succeeded) => Some(Available),
        (Pending, Failed) => Some(Unavailable),
        (Available | Unavailable, Succeeded | Failed) => None,
    }
}

/// A registered cluster as stored (the kubeconfig only as a flag: it is sealed apart).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    pub id: ClusterId,
    pub domain_id: DomainId,
    pub name: String,
    pub category: String,
    pub cluster_type: String,
    pub provider: String,
    pub country: String,
    pub city: String,
    pub region: String,
    pub project_id: String,
    pub manage_type: ManageType,
    pub fleet_id: Option<FleetId>,
    pub labels: BTreeMap<String, String>,
    /// Annotations without the kubeconfig.
    pub annotations: BTreeMap<String, String>,
    pub has_kubeconfig: bool,
    pub api_endpoint: String,
    pub kubernetes_version: String,
    pub phase: ClusterPhase,
    pub reason: String,
    pub message: String,
    pub cert_downloaded: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The name of the tenant's project `project_id` names (empty if it names none).
    pub project_name: String,
    /// For a `self` cluster: the CCE cluster it is.
    #[serde(skip)]
    pub cce: Option<CceLink>,
}

/// The CCE cluster a `self` cluster refers to, read with it.
#[derive(Debug, Clone, PartialEq)]
pub struct CceLink {
    pub id: CceClusterId,
    /// The CCE cluster as it is now; `None` once it was deleted.
    pub now: Option<CceState>,
}

/// What a UCS read shows of a CCE cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct CceState {
    pub flavor: Flavor,
    pub phase: CcePhase,
    /// The full version (`v1.28.15-r10`).
    pub version: String,
    pub vpc_id: String,
}

/// The annotation a CCE cluster's VPC id is shown in (spelled as the reference's example spells it).
pub const VPC_ANNOTATION: &str = "vpclid";
/// The label a CCE cluster's feature gates are shown in, comma-separated.
pub const FEATURE_GATES_LABEL: &str = "FeatureGates";

impl Cluster {
    /// The phase, reason and message a read shows. A cluster backed by a CCE cluster follows it: while
    /// the CCE cluster is being created it is `Pending`; deleting, failed or deleted it is `Unavailable`
    /// (the reference's phases); otherwise its own activation decides.
    pub fn status(&self) -> (ClusterPhase, Cow<'_, str>, Cow<'_, str>) {
        let stored = || (self.phase, Cow::from(self.reason.as_str()), Cow::from(self.message.as_str()));
        let Some(link) = &self.cce else { return stored() };
        let id = link.id;
        match link.now.as_ref().map(|c| c.phase) {
            None => (
                ClusterPhase::Unavailable,
                "ClusterDeleted".into(),
                format!("the CCE cluster {id} was deleted").into(),
            ),
            Some(CcePhase::Creating) => (
                ClusterPhase::Pending,
                "ClusterCreating".into(),
                format!("the CCE cluster {id} is being created").into(),
            ),
            Some(CcePhase::Deleting) => (
                ClusterPhase::Unavailable,
                "ClusterDeleting".into(),
                format!("the CCE cluster {id} is being deleted").into(),
            ),
            Some(CcePhase::Error) => (
                ClusterPhase::Unavailable,
                "ClusterError".into(),
                format!("the CCE cluster {id} failed").into(),
            ),
            Some(CcePhase::Available | CcePhase::Upgrading) => stored(),
        }
    }

    /// The Kubernetes release the cluster runs: a CCE cluster's own (`v1.28`), else what its
    /// activation reported.
    pub fn kubernetes_version(&self) -> &str {
        match self.cce.as_ref().and_then(|l| l.now.as_ref()) {
            Some(cce) => catalogue::release_of(&cce.version),
            None => &self.kubernetes_version,
        }
    }
}

/// A CCE cluster of the tenant as UCS lists it (U13), and whether it is registered with UCS.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedCce {
    pub domain_id: DomainId,
    pub name: String,
    pub project_id: String,
    pub project_name: String,
    /// A CCE Turbo cluster (`spec.category: Turbo`).
    pub turbo: bool,
    pub cce: CceLink,
    pub registered: Option<ClusterId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ManagedCce {
    /// The UCS type of the cluster: `cce` or `turbo` (appendix 5.6).
    pub fn cluster_type(&self) -> &'static str {
        if self.turbo {
            "turbo"
        } else {
            "cce"
        }
    }

    /// The UCS cluster it is before registration: `self`, discrete, in its project's region, with the
    /// CCE cluster's id; its phase follows the CCE cluster's (see [`Cluster::status`]).
    pub fn unregistered(&self) -> Cluster {
        Cluster {
            id: ClusterId::from_uuid(self.cce.id.as_uuid()),
            domain_id: self.domain_id,
            name: self.name.clone(),
            category: CATEGORY_SELF.to_string(),
            cluster_type: self.cluster_type().to_string(),
            provider: "huaweicloud".to_string(),
            country: String::new(),
            city: String::new(),
            region: self.project_name.clone(),
            project_id: self.project_id.clone(),
            manage_type: ManageType::Discrete,
            fleet_id: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            has_kubeconfig: false,
            api_endpoint: String::new(),
            kubernetes_version: String::new(),
            phase: ClusterPhase::Available,
            reason: "ClusterAvailable".to_string(),
            message: String::new(),
            cert_downloaded: false,
            created_at: self.created_at,
            updated_at: self.updated_at,
            project_name: self.project_name.clone(),
            cce: Some(self.cce.clone()),
        }
    }
}

/// A validated registration.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCluster {
    pub name: String,
    pub kind: ClusterKind,
    pub country: String,
    pub city: String,
    pub region: String,
    pub project_id: String,
    pub manage_type: ManageType,
    pub fleet_id: Option<FleetId>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The attached cluster's kubeconfig, to be sealed by the caller.
    pub kubeconfig: Option<Kubeconfig>,
    /// The CCE cluster a `self` registration refers to (set once the caller found it).
    pub cce_cluster: Option<CceClusterId>,
}

/// What a registration request says, before validation.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub name: String,
    pub category: String,
    pub cluster_type: String,
    pub provider: String,
    pub country: String,
    pub city: String,
    pub region: String,
    pub project_id: String,
    pub manage_type: String,
    pub cluster_group_id: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

impl Registration {
    /// Validates every field; the first problem is the error.
    pub fn validate(mut self) -> Result<NewCluster> {
        validate_name(&self.name)?;
        let kind = validate_kind(&self.category, &self.cluster_type, &self.provider)?;
        validate_place(&self.country, &self.city)?;
        let manage_type: ManageType = self.manage_type.parse()?;
        let fleet_id =
            match self.cluster_group_id.as_deref().filter(|s| !s.is_empty()) {
                None => None,
                Some(id) => Some(id.parse::<FleetId>().map_err(|_| {
                    Error::invalid_body(format!("spec.clusterGroupID {id:?} is not a valid id"))
                })?),
            };
        if manage_type == ManageType::Grouped && fleet_id.is_none() {
            return Err(Error::invalid_body("spec.manageType grouped needs spec.clusterGroupID"));
        }
        if manage_type == ManageType::Discrete && fleet_id.is_some() {
            return Err(Error::invalid_body("spec.manageType discrete cannot have spec.clusterGroupID"));
        }
        validate_labels(&self.labels)?;
        let kubeconfig = self
            .annotations
            .remove(KUBECONFIG_ANNOTATION)
            .map(|text| Kubeconfig::parse(&text))
            .transpose()?;
        if kind.category == CATEGORY_ATTACHED && kubeconfig.is_none() {
            return Err(Error::new(ucs::CLUSTER_KUBECONFIG_FORMAT_ERROR)
                .with_detail("an attached cluster needs its kubeconfig in metadata.annotations.kubeconfig"));
        }
        validate_annotations(&self.annotations)?;
        for (field, value) in [("spec.region", &self.region), ("spec.projectID", &self.project_id)] {
            if value.len() > 64 {
                return Err(Error::invalid_body(format!("{field} is longer than 64 characters")));
            }
        }
        Ok(NewCluster {
            name: self.name,
            kind,
            country: self.country,
            city: self.city,
            region: self.region,
            project_id: self.project_id,
            manage_type,
            fleet_id,
            labels: self.labels,
            annotations: self.annotations,
            kubeconfig,
            cce_cluster: None,
        })
    }
}

/// An IPv4 CIDR block: an address, `/`, a prefix length of at most 32 (`10.0.0.0/16`).
pub fn is_ipv4_cidr(s: &str) -> bool {
    s.split_once('/').is_some_and(|(ip, bits)| {
        ip.parse::<std::net::Ipv4Addr>().is_ok()
            && !bits.is_empty()
            && bits.len() <= 2
            && bits.bytes().all(|b| b.is_ascii_digit())
            && bits.parse::<u8>().is_ok_and(|b| b <= 32)
    })
}

/// A cluster name: a DNS-1123 label (lower-case letters, digits, `-`, alphanumeric at both ends), 1–63.
pub fn validate_name(name: &str) -> Result<()> {
    if is_dns1123_label(name) {
        Ok(())
    } else {
        Err(Error::invalid_body(format!(
            "metadata.name {name:?} must be 1-63 lower-case letters, digits or '-', starting and ending with a \
             letter or digit"
        )))
    }
}

fn is_dns1123_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

static CN_CITY_CODES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    include_str!("../data/cn_city_codes.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
});

/// Country: an ISO 3166 alpha-2 code. City: for `CN` a code of the reference's city table (or
/// `unknown`); elsewhere optional, at most 64 characters.
pub fn validate_place(country: &str, city: &str) -> Result<()> {
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::invalid_body(format!(
            "spec.country {country:?} must be a two-letter ISO 3166 code"
        )));
    }
    if country == "CN" {
        if city != "unknown" && !CN_CITY_CODES.contains(&city) {
            return Err(Error::invalid_body(format!(
                "spec.city {city:?} is not a city code of the API reference's table (e.g. 110000)"
            )));
        }
    } else if city.chars().count() > 64 {
        return Err(Error::invalid_body("spec.city is longer than 64 characters"));
    }
    Ok(())
}

/// Kubernetes label rules: key `[prefix/]name` (prefix a DNS subdomain ≤ 253, name ≤ 63 of
/// `[A-Za-z0-9._-]` with alphanumeric ends), value ≤ 63 of the same characters, or empty.
pub fn validate_labels(labels: &BTreeMap<String, String>) -> Result<()> {
    fn name_ok(s: &str) -> bool {
        (1..=63).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric())
    }
    if labels.len() > 64 {
        return Err(Error::invalid_body("metadata.labels has more than 64 entries"));
    }
    for (key, value) in labels {
        let (prefix, name) = key.rsplit_once('/').map_or((None, key.as_str()), |(p, n)| (Some(p), n));
        let prefix_ok = prefix.is_none_or(|p| p.len() <= 253 && p.split('.').all(is_dns1123_label));
        if !prefix_ok || !name_ok(name) {
            return Err(Error::invalid_body(format!("metadata.labels key {key:?} is not a valid label key")));
        }
        if !(value.is_empty() || name_ok(value)) {
            return Err(Error::invalid_body(format!(
                "metadata.labels value {value:?} of {key:?} is not valid"
            )));
        }
    }
    Ok(())
}

/// Annotations: at most 64 keys of up to 253 characters, 256 KiB in all (Kubernetes' total limit).
pub fn validate_annotations(annotations: &BTreeMap<String, String>) -> Result<()> {
    if annotations.len() > 64 {
        return Err(Error::invalid_body("metadata.annotations has more than 64 entries"));
    }
    let total: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > 256 * 1024 {
        return Err(Error::invalid_body("metadata.annotations exceed 256 KiB"));
    }
    if let Some(key) = annotations.keys().find(|k| k.is_empty() || k.len() > 253) {
        return Err(Error::invalid_body(format!(
            "metadata.annotations key {key:?} must be 1-253 characters"
        )));
    }
    Ok(())
}

/// A kubeconfig that parsed: its text (to seal) and the API server of its current context.
#[derive(Clone, PartialEq, Eq)]
pub struct Kubeconfig {
    pub text: String,
    pub server: String,
}

impl fmt::Debug for Kubeconfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credentials inside: never printed.
        f.debug_struct("Kubeconfig").field("server", &self.server).finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct KubeconfigDoc {
    #[serde(default)]
    clusters: Vec<NamedEntry<ClusterEntry>>,
    #[serde(default)]
    contexts: Vec<NamedEntry<ContextEntry>>,
    #[serde(default, rename = "current-context")]
    current_context: String,
}

#[derive(serde::Deserialize)]
struct NamedEntry<T> {
    name: String,
    #[serde(alias = "cluster", alias = "context")]
    #[serde(flatten)]
    inner: T,
}

#[derive(serde::Deserialize)]
struct ClusterEntry {
    cluster: ClusterServer,
}

#[derive(serde::Deserialize)]
struct ClusterServer {
    server: String,
}

#[derive(serde::Deserialize)]
struct ContextEntry {
    context: ContextRef,
}

#[derive(serde::Deserialize)]
struct ContextRef {
    cluster: String,
}

impl Kubeconfig {
    /// Parses a kubeconfig (YAML or JSON). It must name at least one cluster with an http(s) server;
    /// the current context, when set, must exist and point at a listed cluster.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: String| Error::new(ucs::CLUSTER_KUBECONFIG_FORMAT_ERROR).with_detail(why);
        let doc: KubeconfigDoc =
            serde_yaml_ng::from_str(text).map_err(|e| bad(format!("it does not parse: {e}")))?;
        let first = doc.clusters.first().ok_or_else(|| bad("it lists no clusters".to_string()))?;
        let server = if doc.current_context.is_empty() {
            first.inner.cluster.server.clone()
        } else {
            let context = doc.contexts.iter().find(|c| c.name == doc.current_context).ok_or_else(|| {
                bad(format!("current-context {:?} is not among its contexts", doc.current_context))
            })?;
            doc.clusters
                .iter()
                .find(|c| c.name == context.inner.context.cluster)
                .map(|c| c.inner.cluster.server.clone())
                .ok_or_else(|| bad(format!("context {:?} names an unknown cluster", context.name)))?
        };
        if !(server.starts_with("https://") || server.starts_with("http://")) || server.len() < 10 {
            return Err(bad(format!("cluster server {server:?} is not an http(s) URL")));
        }
        Ok(Self { text: text.to_string(), server })
    }
}

static REGISTERED_VERSIONS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    include_str!("../data/registered_cluster_versions.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// The Kubernetes versions a cluster may run to be registered (the catalogue data file).
pub fn registered_versions() -> &'static [&'static str] {
    &REGISTERED_VERSIONS
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443
    insecure-skip-tls-verify: true
- name: c2
  cluster:
    server: https://10.0.0.2:6443
contexts:
- name: ctx
  context:
    cluster: c2
    user: u
users:
- name: u
  user:
    token: secret-token
current-context: ctx
";

    fn registration() -> Registration {
        Registration {
            name: "prod-1".into(),
            category: "attachedcluster".into(),
            cluster_type: "eks".into(),
            provider: "aws".into(),
            country: "CN".into(),
            city: "110000".into(),
            manage_type: "discrete".into(),
            annotations: [("kubeconfig".to_string(), KUBECONFIG.to_string()), ("team".into(), "a".into())]
                .into_iter()
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_attached_registration_keeps_the_kubeconfig_apart() {
        let new = registration().validate().unwrap();
        assert_eq!(new.kind.cluster_type, "eks");
        assert_eq!(new.kubeconfig.as_ref().unwrap().server, "https://10.0.0.2:6443");
        assert!(!new.annotations.contains_key("kubeconfig"));
        assert_eq!(new.annotations["team"], "a");
        assert!(!format!("{:?}", new.kubeconfig).contains("secret-token"));
    }

    #[test]
    fn every_table_row_validates_and_mismatched_pairs_do_not() {
        for k in CLUSTER_KINDS {
            assert_eq!(validate_kind(k.category, k.cluster_type, k.provider).unwrap(), *k);
        }
        assert_eq!(validate_kind("attachedcluster", "eks", "azure").unwrap_err().code(), "UCS.01000012");
        assert_eq!(validate_kind("self", "eks", "aws").unwrap_err().code(), "UCS.01000012");
        assert_eq!(validate_kind("edge", "cce", "huaweicloud").unwrap_err().code(), "UCS.01030011");
    }

    #[test]
    fn attached_clusters_need_a_kubeconfig_that_parses() {
        let mut r = registration();
        r.annotations.remove("kubeconfig");
        assert_eq!(r.validate().unwrap_err().code(), "UCS.01030008");
        for garbage in [
            "not: [valid",
            "just a string",
            "clusters: []",
            "{\"kind\":\"Config\"}",
            "clusters:\n- name: a\n  cluster:\n    server: ftp://x\n",
            "clusters:\n- name: a\n  cluster:\n    server: https://a:1\ncurrent-context: nope\n",
        ] {
            let mut r = registration();
            r.annotations.insert("kubeconfig".into(), garbage.into());
            assert_eq!(r.validate().unwrap_err().code(), "UCS.01030008", "{garbage}");
        }
        // JSON kubeconfigs are YAML too.
        let json =
            r#"{"kind":"Config","clusters":[{"name":"a","cluster":{"server":"https://1.2.3.4:5443"}}]}"#;
        assert_eq!(Kubeconfig::parse(json).unwrap().server, "https://1.2.3.4:5443");
    }

    #[test]
    fn names_places_and_manage_types_are_checked() {
        for bad in ["", "Prod", "-a", "a-", "a_b", &"a".repeat(64)] {
            let mut r = registration();
            r.name = bad.to_string();
            assert_eq!(r.validate().unwrap_err().code(), "UCS.01000012", "{bad}");
        }
        let mut r = registration();
        r.city = "999999".into();
        assert!(r.validate().is_err());
        let mut r = registration();
        r.country = "US".into();
        r.city = "Seattle".into();
        r.validate().unwrap();
        let mut r = registration();
        r.country = "usa".into();
        assert!(r.validate().is_err());
        let mut r = registration();
        r.manage_type = "grouped".into();
        assert!(r.validate().unwrap_err().message().contains("clusterGroupID"));
        let mut r = registration();
        r.manage_type = "all".into();
        assert!(r.validate().is_err());
        let mut r = registration();
        r.cluster_group_id = Some("not-a-uuid".into());
        assert!(r.validate().is_err());
    }

    #[test]
    fn labels_follow_kubernetes_rules() {
        let ok: BTreeMap<String, String> =
            [("app".into(), "web".into()), ("example.com/tier".into(), "".into())].into_iter().collect();
        validate_labels(&ok).unwrap();
        for (k, v) in [("", "x"), ("-a", "x"), ("a", "-x"), ("Bad_Prefix_/a", "x"), ("a", &"v".repeat(64))] {
            let labels = [(k.to_string(), v.to_string())].into_iter().collect();
            assert!(validate_labels(&labels).is_err(), "{k}={v}");
        }
    }

    #[test]
    fn phases_move_only_as_the_activation_allows() {
        use ActivationEvent::*;
        use ClusterPhase::*;
        #[rustfmt::skip]
        let table = [
            (Pending, Retry, Some(Pending)),     (Pending, Succeeded, Some(Available)), (Pending, Failed, Some(Unavailable)),
            (Available, Retry, Some(Pending)),   (Available, Succeeded, None),          (Available, Failed, None),
            (Unavailable, Retry, Some(Pending)), (Unavailable, Succeeded, None),        (Unavailable, Failed, None),
        ];
        crate::transition_table::assert_transitions(
            &ClusterPhase::ALL,
            &[Retry, Succeeded, Failed],
            &table,
            next_phase,
        );
    }

    #[test]
    fn the_version_catalogue_lists_the_references_versions() {
        let versions = registered_versions();
        assert!(versions.starts_with(&["v1.19", "v1.20"]));
        assert!(versions.contains(&"v1.25"));
        assert!(versions.iter().all(|v| v.starts_with("v1.")));
    }

    #[test]
    fn city_table_has_the_references_codes() {
        validate_place("CN", "150900").unwrap();
        validate_place("CN", "unknown").unwrap();
        assert!(CN_CITY_CODES.len() > 400);
    }
    fn managed(now: Option<CcePhase>) -> ManagedCce {
        let state = |phase| CceState {
            flavor: Flavor::Cce,
            phase,
            version: "v1.28.15-r10".into(),
            vpc_id: "v".into(),
        };
        ManagedCce {
            domain_id: DomainId::new(),
            name: "cce-1".into(),
            project_id: "p".into(),
            project_name: "cn-north-4".into(),
            turbo: false,
            cce: CceLink { id: CceClusterId::new(), now: now.map(state) },
            registered: None,
            created_at: crate::clock::Clock::now(&crate::clock::ManualClock::default()),
            updated_at: crate::clock::Clock::now(&crate::clock::ManualClock::default()),
        }
    }

    #[test]
    fn a_cce_backed_cluster_shows_its_cce_clusters_phase_and_version() {
        for phase in CcePhase::ALL {
            let mut cluster = managed(Some(phase)).unregistered();
            for stored in ClusterPhase::ALL {
                cluster.phase = stored;
                let expected = match phase {
                    CcePhase::Creating => ClusterPhase::Pending,
                    CcePhase::Deleting | CcePhase::Error => ClusterPhase::Unavailable,
                    CcePhase::Available | CcePhase::Upgrading => stored,
                };
                assert_eq!(cluster.status().0, expected, "{phase:?} {stored}");
            }
            assert_eq!(cluster.kubernetes_version(), "v1.28");
        }
        let mut deleted = managed(None).unregistered();
        deleted.kubernetes_version = "v1.27".into();
        let (phase, reason, message) = deleted.status();
        assert_eq!((phase, reason.as_ref()), (ClusterPhase::Unavailable, "ClusterDeleted"));
        assert!(message.contains("deleted"));
        assert_eq!(deleted.kubernetes_version(), "v1.27", "the last version it reported");
        let mut own = managed(None).unregistered();
        own.cce = None;
        own.reason = "ActivationFailed".into();
        assert_eq!(own.status().1, "ActivationFailed", "a cluster without a CCE cluster shows its own");
        let turbo = ManagedCce { turbo: true, ..managed(Some(CcePhase::Available)) };
        assert_eq!(turbo.unregistered().cluster_type, "turbo");
    }
}
