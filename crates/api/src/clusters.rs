//! UCS clusters (`/v1/clusters…`, `/v1/managedclusters`, `/v1/config/registeredclusterversions`):
//! register, list, show, update, delete, access info, activation, on-premise config, kubeconfig.
//! Wire shapes follow docs/wire.md U01–U14; decisions live in `domain::cluster`.

use std::{
    borrow::Cow,
    collections::{BTreeMap, BTreeSet, HashMap},
};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    Json as JsonOut,
};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use chrono::{DateTime, SecondsFormat, Utc};
use domain::{
    authz::actions,
    cluster::{
        Cluster, ClusterPhase, Kubeconfig, ManageType, Registration, CATEGORY_ONPREMISE, CATEGORY_SELF,
        FEATURE_GATES_LABEL, KUBECONFIG_ANNOTATION, VPC_ANNOTATION,
    },
    error::ucs,
    ids::{CceClusterId, ClusterId, DomainId, FleetId},
    rbac::{self, Binding, RuleNamespaces},
    upgrade::{catalogue::Catalogue, Flavor},
    Error,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use store::{
    cluster::{ClusterFilter, ClusterLimits, ClusterUpdate},
    rule::Target,
};

use crate::{
    auth::Caller,
    cache,
    error::ApiResult,
    extract::{Json, Path, Query},
    paging::page_of,
    routes::Route,
    wire::{self, KubeconfigParts, Uid},
    AppState,
};

pub(crate) fn routes() -> Vec<Route> {
    const ONE: &str = "/v1/clusters/{clusterid}";
    vec![
        Route::get("/v1/clusters", actions::CLUSTER_LIST, list),
        Route::post("/v1/clusters", actions::CLUSTER_CREATE, register),
        Route::get(ONE, actions::CLUSTER_GET, show),
        Route::put(ONE, actions::CLUSTER_UPDATE, update),
        Route::delete(ONE, actions::CLUSTER_DELETE, unregister),
        Route::get("/v1/clusters/{clusterid}/accessinfo", actions::CLUSTER_GET_ACCESS_INFO, access_info),
        Route::put("/v1/clusters/{clusterid}/activation", actions::CLUSTER_ACTIVATE, retry_activation),
        Route::post("/v1/clusters/{clusterid}/clusterconf", actions::CLUSTER_CREATE_CONF, cluster_conf),
        Route::post("/v1/clusters/{clusterid}/kubeconfig", actions::CLUSTER_DOWNLOAD_KUBECONFIG, kubeconfig),
        Route::get("/v1/managedclusters", actions::CLUSTER_LIST_MANAGED, list_managed),
        Route::get(
            "/v1/config/registeredclusterversions",
            actions::CLUSTER_LIST_VERSIONS,
            registered_versions,
        ),
    ]
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The `Cluster` object of the wire (docs/wire.md U01), serialized straight from the cluster: a list of
/// hundreds of clusters is written without building a `serde_json::Value` tree per cluster.
pub struct ClusterView {
    cluster: Cluster,
    with_status: bool,
    /// The permission policies that reach the cluster, directly and through its fleet.
    rules: Vec<RuleNamespaces>,
}

/// The views of clusters with the rules that reach each, read for the whole list in one query.
pub(crate) async fn cluster_views(
    app: &AppState,
    domain_id: DomainId,
    clusters: Vec<Cluster>,
    with_status: bool,
) -> Result<Vec<ClusterView>, Error> {
    let ids: Vec<ClusterId> = clusters.iter().map(|c| c.id).collect();
    let fleets: BTreeSet<FleetId> = clusters.iter().filter_map(|c| c.fleet_id).collect();
    let fleets: Vec<FleetId> = fleets.into_iter().collect();
    let bindings = app.store.rule_bindings(domain_id, &ids, &fleets).await?;
    let mut by_target: HashMap<Target, Vec<&Binding>> = HashMap::new();
    for (target, binding) in &bindings {
        by_target.entry(*target).or_default().push(binding);
    }
    let reaching = |c: &Cluster| {
        let own = by_target.get(&Target::Cluster(c.id)).into_iter().flatten();
        let via_fleet = c.fleet_id.and_then(|f| by_target.get(&Target::Fleet(f))).into_iter().flatten();
        rbac::rule_namespaces(own.chain(via_fleet).copied())
    };
    Ok(clusters.into_iter().map(|c| ClusterView { rules: reaching(&c), cluster: c, with_status }).collect())
}

/// The view of one cluster.
pub(crate) async fn cluster_view(
    app: &AppState,
    domain_id: DomainId,
    cluster: Cluster,
) -> Result<ClusterView, Error> {
    let mut views = cluster_views(app, domain_id, vec![cluster], true).await?;
    Ok(views.pop().expect("one view per cluster"))
}

/// `GET /v1/clusters`' body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "UcsClusterList")]
pub(crate) struct ClusterList {
    items: Vec<ClusterView>,
    total: i64,
}

/// Serialized as [`WireCluster`].
impl JsonSchema for ClusterView {
    fn schema_name() -> Cow<'static, str> {
        WireCluster::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        WireCluster::json_schema(generator)
    }
}

impl Serialize for ClusterView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let c = &self.cluster;
        let updated = rfc3339(c.updated_at);
        let (phase, stored_reason, message) = c.status();
        let reason: Cow<str> =
            if stored_reason.is_empty() { format!("Cluster{phase}").into() } else { stored_reason.clone() };
        let cce = cce_facts(c);
        let api_endpoint = cce.as_ref().map_or(c.api_endpoint.as_str(), |f| f.endpoint.as_str());
        let status = self.with_status.then(|| WireStatus {
            kubernetes_version: c.kubernetes_version(),
            conditions: [
                WireCondition {
                    kind: "Ready",
                    status: match phase {
                        ClusterPhase::Available => "True",
                        ClusterPhase::Unavailable => "False",
                        ClusterPhase::Pending => "Unknown",
                    },
                    last_transition_time: &updated,
                    reason: &reason,
                    message: None,
                },
                WireCondition {
                    kind: "Cluster",
                    status: phase.as_str(),
                    last_transition_time: &updated,
                    reason: &reason,
                    message: Some(&message),
                },
            ],
            endpoints: (!api_endpoint.is_empty())
                .then_some(WireEndpoint { url: api_endpoint, kind: "Internal" })
                .into_iter()
                .collect(),
            phase: phase.as_str(),
            reason: &stored_reason,
            message: &message,
            arrear_freeze: "false",
            police_freeze: "false",
        });
        WireCluster {
            kind: "Cluster",
            api_version: "v1",
            metadata: WireMetadata {
                uid: c.id,
                name: &c.name,
                labels: cce.as_ref().map_or(&c.labels, |f| &f.labels),
                annotations: cce.as_ref().map_or(&c.annotations, |f| &f.annotations),
                creation_timestamp: rfc3339(c.created_at),
                update_timestamp: &updated,
            },
            spec: WireSpec {
                sync_mode: "",
                cluster_group_id: c.fleet_id.map(|f| f.to_string()).unwrap_or_default(),
                manage_type: c.manage_type.as_str(),
                rule_namespaces: self.rules.iter().map(WireRuleNamespace::from).collect(),
                api_endpoint,
                provider: &c.provider,
                kind: &c.cluster_type,
                category: &c.category,
                enable_dist_mgt: false,
                region: &c.region,
                country: &c.country,
                city: &c.city,
                project_id: &c.project_id,
                project_name: &c.project_name,
                is_downloaded_cert: c.cert_downloaded,
                operator_namespace: c.domain_id.to_string(),
            },
            status,
        }
        .serialize(serializer)
    }
}

/// What a cluster backed by a CCE cluster shows of it: its API server, its labels with the
/// `FeatureGates` its flavor turns on, its annotations with its VPC (as the reference's example shows).
struct CceFacts {
    endpoint: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

fn cce_facts(c: &Cluster) -> Option<CceFacts> {
    let link = c.cce.as_ref()?;
    let flavor = link.now.as_ref().map_or(Flavor::Cce, |n| n.flavor);
    let mut labels = c.labels.clone();
    let mut annotations = c.annotations.clone();
    if let Some(now) = &link.now {
        let gates = &Catalogue::get().flavor(now.flavor).feature_gates;
        let on: Vec<&str> =
            gates.iter().filter(|(_, v)| v.as_str() == "true").map(|(k, _)| k.as_str()).collect();
        labels.insert(FEATURE_GATES_LABEL.to_string(), on.join(","));
        annotations.insert(VPC_ANNOTATION.to_string(), now.vpc_id.clone());
    }
    Some(CceFacts { endpoint: domain::cce::api_endpoint(link.id, flavor), labels, annotations })
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UcsCluster")]
struct WireCluster<'a> {
    kind: &'static str,
    api_version: &'static str,
    metadata: WireMetadata<'a>,
    spec: WireSpec<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<WireStatus<'a>>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UcsClusterMetadata")]
struct WireMetadata<'a> {
    uid: ClusterId,
    name: &'a str,
    labels: &'a BTreeMap<String, String>,
    annotations: &'a BTreeMap<String, String>,
    creation_timestamp: String,
    update_timestamp: &'a str,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UcsClusterSpec")]
struct WireSpec<'a> {
    sync_mode: &'static str,
    #[serde(rename = "clusterGroupID")]
    cluster_group_id: String,
    manage_type: &'static str,
    rule_namespaces: Vec<WireRuleNamespace<'a>>,
    api_endpoint: &'a str,
    provider: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    category: &'a str,
    enable_dist_mgt: bool,
    region: &'a str,
    country: &'a str,
    city: &'a str,
    #[serde(rename = "projectID")]
    project_id: &'a str,
    project_name: &'a str,
    #[serde(rename = "IsDownloadedCert")]
    is_downloaded_cert: bool,
    /// The namespace UCS keeps the tenant's member-cluster objects in: the tenant's domain id.
    operator_namespace: String,
}

/// `RuleNamespace` of the reference (table 3-7): rules and the namespaces they apply in.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "RuleNamespace")]
struct WireRuleNamespace<'a> {
    rules: Vec<WireRuleInfo<'a>>,
    namespaces: &'a [String],
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "RuleInfo")]
struct WireRuleInfo<'a> {
    #[serde(rename = "ruleID")]
    rule_id: String,
    #[serde(rename = "ruleName")]
    rule_name: &'a str,
}

impl<'a> From<&'a RuleNamespaces> for WireRuleNamespace<'a> {
    fn from(r: &'a RuleNamespaces) -> Self {
        let rules = r
            .rules
            .iter()
            .map(|rule| WireRuleInfo { rule_id: rule.id.to_string(), rule_name: &rule.name })
            .collect();
        Self { rules, namespaces: &r.namespaces }
    }
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UcsClusterStatus")]
struct WireStatus<'a> {
    kubernetes_version: &'a str,
    conditions: [WireCondition<'a>; 2],
    endpoints: Vec<WireEndpoint<'a>>,
    phase: &'static str,
    reason: &'a str,
    message: &'a str,
    arrear_freeze: &'static str,
    police_freeze: &'static str,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UcsClusterCondition")]
struct WireCondition<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    last_transition_time: &'a str,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "UcsClusterEndpoint")]
struct WireEndpoint<'a> {
    url: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// A path's cluster id; a malformed one is a 400 (a well-formed unknown one is a 404 later).
pub(crate) fn cluster_id(raw: &str) -> Result<ClusterId, Error> {
    raw.parse().map_err(|_| Error::bad_query(format!("clusterid {raw:?} is not a valid cluster id")))
}

fn check_kind(kind: &Option<String>, api_version: &Option<String>) -> Result<(), Error> {
    if kind.as_deref().is_some_and(|k| k != "Cluster") {
        return Err(Error::invalid_body("kind must be \"Cluster\""));
    }
    if api_version.as_deref().is_some_and(|v| v != "v1") {
        return Err(Error::invalid_body("apiVersion must be \"v1\""));
    }
    Ok(())
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    #[schemars(transform = domain::wire_rules::one_of(domain::wire_rules::categories().into_iter().chain([""])))]
    category: Option<String>,
    enablestatus: Option<bool>,
    #[schemars(regex(pattern = domain::wire_rules::ID_OR_EMPTY))]
    clustergroupid: Option<String>,
    #[schemars(range(min = -1, max = 1000))]
    limit: Option<i64>,
    #[schemars(range(min = 0))]
    offset: Option<i64>,
    #[schemars(transform = domain::wire_rules::one_of(["create_at", "update_at"]))]
    order_by: Option<String>,
    #[schemars(transform = domain::wire_rules::one_of(["desc", "asc"]))]
    order: Option<String>,
    #[schemars(transform = domain::wire_rules::one_of(["all", "grouped", "discrete"]))]
    managetype: Option<String>,
    #[schemars(regex(pattern = domain::ids::ID_LIST_PATTERN))]
    clusterids: Option<String>,
}

impl ListQuery {
    fn filter(self) -> Result<(ClusterFilter, bool), Error> {
        let category = self.category.filter(|c| !c.is_empty());
        if let Some(c) = &category {
            if !domain::cluster::is_known_category(c) {
                return Err(Error::bad_query(format!("category {c:?} is not a cluster category")));
            }
        }
        let fleet_id = match self.clustergroupid.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(id) => Some(
                id.parse().map_err(|_| Error::bad_query(format!("clustergroupid {id:?} is not an id")))?,
            ),
        };
        let manage_type = match self.managetype.as_deref().unwrap_or("all") {
            "all" => None,
            "grouped" => Some(ManageType::Grouped),
            "discrete" => Some(ManageType::Discrete),
            other => {
                return Err(Error::bad_query(format!(
                    "managetype {other:?} must be all, grouped or discrete"
                )))
            }
        };
        let ids = match self.clusterids.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(list) => Some(
                list.split(',')
                    .map(|id| {
                        id.trim()
                            .parse()
                            .map_err(|_| Error::bad_query(format!("clusterids: {id:?} is not an id")))
                    })
                    .collect::<Result<Vec<ClusterId>, _>>()?,
            ),
        };
        let page = page_of(self.limit, self.offset, self.order_by.as_deref(), self.order.as_deref())?;
        let filter = ClusterFilter { category, fleet_id, manage_type, ids, page };
        Ok((filter, self.enablestatus.unwrap_or(true)))
    }
}

/// U01 `GET /v1/clusters`, answered from the response cache while the tenant's generation holds.
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> ApiResult<Response> {
    let (filter, with_status) = query.filter()?;
    let domain_id = caller.domain_id();
    Ok(cache::cached(&app, domain_id, &uri, &headers, || async {
        let (clusters, total) = app.store.cluster_list(domain_id, &filter).await?;
        let items = cluster_views(&app, domain_id, clusters, with_status).await?;
        Ok(ClusterList { items, total })
    })
    .await?)
}

/// U02 `GET /v1/clusters/{clusterid}`, answered from the response cache like the list.
async fn show(
    State(app): State<AppState>,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (domain_id, id) = (caller.domain_id(), cluster_id(&id)?);
    Ok(cache::cached(&app, domain_id, &uri, &headers, || async {
        let cluster = app.store.cluster_get(domain_id, id).await?;
        cluster_view(&app, domain_id, cluster).await
    })
    .await?)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "RegisterCluster")]
pub(crate) struct RegisterBody {
    #[schemars(transform = domain::wire_rules::one_of(["Cluster"]))]
    kind: Option<String>,
    #[schemars(transform = domain::wire_rules::one_of(["v1"]))]
    api_version: Option<String>,
    metadata: RegisterMetadata,
    spec: RegisterSpec,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "RegisterClusterMetadata")]
struct RegisterMetadata {
    /// The CCE cluster a `self` registration refers to (the reference also spells it `UID`).
    #[serde(alias = "UID")]
    uid: Option<String>,
    #[schemars(regex(pattern = domain::wire_rules::DNS1123_LABEL))]
    name: String,
    #[serde(default)]
    #[schemars(extend("maxProperties" = 64))]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    #[schemars(extend("maxProperties" = 64))]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "RegisterClusterSpec")]
struct RegisterSpec {
    #[serde(rename = "clusterGroupID")]
    #[schemars(regex(pattern = domain::wire_rules::ID_OR_EMPTY))]
    cluster_group_id: Option<String>,
    #[schemars(transform = domain::wire_rules::one_of(domain::wire_rules::categories()))]
    category: String,
    #[serde(rename = "type")]
    #[schemars(transform = domain::wire_rules::one_of(domain::wire_rules::cluster_types()))]
    cluster_type: String,
    #[schemars(transform = domain::wire_rules::one_of(domain::wire_rules::providers()))]
    provider: String,
    #[schemars(regex(pattern = domain::wire_rules::COUNTRY))]
    country: String,
    #[serde(default)]
    #[schemars(length(max = 64))]
    city: String,
    #[serde(default)]
    #[schemars(length(max = 64))]
    region: String,
    #[serde(rename = "projectID", default)]
    #[schemars(length(max = 64))]
    project_id: String,
    #[schemars(transform = domain::wire_rules::one_of(["grouped", "discrete"]))]
    manage_type: String,
}

/// U03 `POST /v1/clusters`: 201 `{"uid": …}`.
async fn register(
    State(app): State<AppState>,
    caller: Caller,
    Json(body): Json<RegisterBody>,
) -> ApiResult<Response> {
    check_kind(&body.kind, &body.api_version)?;
    let cce_uid = body.metadata.uid.filter(|u| !u.is_empty());
    let mut new = Registration {
        name: body.metadata.name,
        category: body.spec.category,
        cluster_type: body.spec.cluster_type,
        provider: body.spec.provider,
        country: body.spec.country,
        city: body.spec.city,
        region: body.spec.region,
        project_id: body.spec.project_id,
        manage_type: body.spec.manage_type,
        cluster_group_id: body.spec.cluster_group_id,
        labels: body.metadata.labels,
        annotations: body.metadata.annotations,
    }
    .validate()?;
    let cluster_ref = if new.kind.category == CATEGORY_SELF {
        let cce = registered_cce(&app, &caller, &mut new, cce_uid.as_deref()).await?;
        ClusterId::from_uuid(cce.as_uuid())
    } else if cce_uid.is_some() {
        return Err(
            Error::invalid_body("metadata.uid names a CCE cluster; only a self cluster has one").into()
        );
    } else {
        new.project_id = tenant_project(&app, &caller, &new.project_id, &new.region).await?;
        ClusterId::new()
    };
    let sealed = new
        .kubeconfig
        .as_ref()
        .map(|k| app.sealer.seal(k.text.as_bytes(), secrets::Context::Kubeconfig(&cluster_ref.to_string())));
    let quotas = app.config.quotas;
    let limits = ClusterLimits { clusters: quotas.clusters, clusters_per_fleet: quotas.clusters_per_fleet };
    let id = app.store.cluster_create(&caller.actor(), &new, sealed, limits, cluster_ref).await?;
    Ok((StatusCode::CREATED, JsonOut(Uid::of(id))).into_response())
}

/// The CCE cluster a `self` registration is: the one `metadata.uid` names, else the one named
/// `metadata.name`, of the tenant. Its type, project and region complete the registration.
async fn registered_cce(
    app: &AppState,
    caller: &Caller,
    new: &mut domain::cluster::NewCluster,
    uid: Option<&str>,
) -> Result<CceClusterId, Error> {
    let no_such = |what: String| Error::not_found(ucs::CLUSTER_NOT_FOUND).with_detail(what);
    let page = store::Page { limit: None, ..Default::default() };
    let clusters = app.store.cce_clusters_for_ucs(caller.domain_id(), None, false, &page).await?;
    let cce = match uid {
        Some(uid) => {
            let id: CceClusterId = uid
                .parse()
                .map_err(|_| Error::invalid_body(format!("metadata.uid {uid:?} is not a CCE cluster id")))?;
            let cce = clusters
                .into_iter()
                .find(|c| c.cce.id == id)
                .ok_or_else(|| no_such(format!("no CCE cluster {id}")))?;
            if cce.name != new.name {
                return Err(Error::invalid_body(format!(
                    "metadata.name must be the CCE cluster's name, {:?}",
                    cce.name
                )));
            }
            cce
        }
        None => clusters.into_iter().find(|c| c.name == new.name).ok_or_else(|| {
            no_such(format!("no CCE cluster named {:?} (name it, or its id in metadata.uid)", new.name))
        })?,
    };
    if cce.cluster_type() != new.kind.cluster_type {
        return Err(Error::invalid_body(format!(
            "spec.type must be {:?}: the CCE cluster is a {} cluster",
            cce.cluster_type(),
            cce.cluster_type()
        )));
    }
    if !new.project_id.is_empty() && new.project_id != cce.project_id {
        return Err(Error::invalid_body("spec.projectID must be the CCE cluster's project"));
    }
    if !new.region.is_empty() && new.region != cce.project_name {
        return Err(Error::invalid_body("spec.region must be the CCE cluster's region"));
    }
    new.project_id = cce.project_id;
    new.region = cce.project_name;
    new.cce_cluster = Some(cce.cce.id);
    Ok(cce.cce.id)
}

/// The project a registration belongs to: the one it names, which must be the caller's, else the
/// tenant's project of its region (or of ucsd's region), if the tenant has one.
async fn tenant_project(app: &AppState, caller: &Caller, named: &str, region: &str) -> Result<String, Error> {
    if !named.is_empty() {
        crate::auth::own_project(app, &caller.tenant, named)
            .await
            .map_err(|_| Error::invalid_body("spec.projectID must be one of the account's projects"))?;
        return Ok(named.to_string());
    }
    let region = if region.is_empty() { app.config.region.as_str() } else { region };
    let projects = app.store.project_list(caller.domain_id(), Some(region)).await?;
    Ok(projects.first().map(|p| p.id.to_string()).unwrap_or_default())
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UpdateClusterRequestBody")]
pub(crate) struct UpdateBody {
    #[schemars(transform = domain::wire_rules::one_of(["Cluster"]))]
    kind: Option<String>,
    #[schemars(transform = domain::wire_rules::one_of(["v1"]))]
    api_version: Option<String>,
    metadata: Option<UpdateMetadata>,
    spec: Option<UpdateSpec>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "UpdateClusterMetadata")]
struct UpdateMetadata {
    #[serde(default)]
    #[schemars(extend("maxProperties" = 64))]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "UpdateClusterSpec")]
struct UpdateSpec {
    #[schemars(regex(pattern = domain::wire_rules::COUNTRY))]
    country: Option<String>,
    #[schemars(length(max = 64))]
    city: Option<String>,
}

/// U04 `PUT /v1/clusters/{clusterid}`: annotations (merged; a `kubeconfig` one replaces the attached
/// cluster's kubeconfig) and, for attached and on-premise clusters, country and city.
async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<UpdateBody>,
) -> ApiResult<JsonOut<ClusterView>> {
    check_kind(&body.kind, &body.api_version)?;
    let id = cluster_id(&id)?;
    let cluster = app.store.cluster_get(caller.domain_id(), id).await?;
    let mut annotations = body.metadata.map(|m| m.annotations).unwrap_or_default();
    let kubeconfig = match annotations.remove(KUBECONFIG_ANNOTATION) {
        None => None,
        Some(_) if !cluster.has_kubeconfig => {
            return Err(Error::invalid_body("only an attached cluster has a kubeconfig to replace").into())
        }
        Some(text) => {
            let parsed = Kubeconfig::parse(&text)?;
            Some((
                app.sealer.seal(parsed.text.as_bytes(), secrets::Context::Kubeconfig(&id.to_string())),
                parsed.server,
            ))
        }
    };
    let spec = body.spec.unwrap_or(UpdateSpec { country: None, city: None });
    if (spec.country.is_some() || spec.city.is_some()) && cluster.category == CATEGORY_SELF {
        return Err(Error::invalid_body(
            "the country and city of a Huawei Cloud (self) cluster cannot be changed",
        )
        .into());
    }
    let update = ClusterUpdate { annotations, kubeconfig, country: spec.country, city: spec.city };
    let cluster = app.store.cluster_update(&caller.actor(), id, &update).await?;
    Ok(JsonOut(cluster_view(&app, caller.domain_id(), cluster).await?))
}

/// U05 `DELETE /v1/clusters/{clusterid}`.
async fn unregister(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.store.cluster_delete(&caller.actor(), cluster_id(&id)?).await?;
    Ok(StatusCode::OK)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccessInfoQuery {
    #[schemars(transform = domain::wire_rules::ip_address)]
    vpcendpoint: Option<String>,
    region: Option<String>,
}

/// What the access info answers once the agent certificate was handed out (the reference's words).
pub const ALREADY_DOWNLOADED: &str = "已下载";

/// U06 `GET /v1/clusters/{clusterid}/accessinfo`: the agent's manifests with its client certificate,
/// handed out once; later calls answer "已下载". Huawei Cloud (self) clusters have none: 400.
async fn access_info(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<AccessInfoQuery>,
) -> ApiResult<JsonOut<Vec<String>>> {
    let id = cluster_id(&id)?;
    let cluster = app.store.cluster_get(caller.domain_id(), id).await?;
    if cluster.category == CATEGORY_SELF {
        return Err(Error::new(ucs::FAILED_TO_OBTAIN_THE_CLUSTER_INFORMATION)
            .with_detail("a Huawei Cloud (self) cluster is accessed without an agent")
            .into());
    }
    let server = match (query.vpcendpoint.as_deref(), query.region.as_deref()) {
        (None, None) => crate::iam::base_url(&app, &headers),
        (Some(ip), Some(region)) => {
            ip.parse::<std::net::IpAddr>()
                .map_err(|_| Error::bad_query(format!("vpcendpoint {ip:?} must be an IP address")))?;
            domain::identity::validate_region(region)
                .map_err(|_| Error::bad_query("region is not a region id"))?;
            format!("https://{ip}")
        }
        _ => {
            return Err(Error::bad_query("vpcendpoint and region go together (private network access)").into())
        }
    };
    // Issue before marking, so a failure leaves the certificate available; the mark decides who gets it.
    let ca = crate::pki::tenant_ca(&app, caller.domain_id()).await?;
    let now = secrets::pki::at_unix(app.store.clock().now().timestamp());
    let cert = ca
        .issue_client(&format!("ucs-agent:{id}"), &caller.tenant.name, now, time::Duration::days(3650))
        .map_err(|e| Error::new(ucs::FAILED_TO_CREATE_CERTS).with_internal(e.to_string()))?;
    if !app.store.cluster_take_access_info(&caller.actor(), id).await? {
        return Ok(JsonOut(vec![ALREADY_DOWNLOADED.to_string()]));
    }
    Ok(JsonOut(agent_manifests(&cluster, &server, &ca.cert_pem, &cert.cert_pem, &cert.key_pem)))
}

fn yaml(value: &Value) -> String {
    serde_yaml_ng::to_string(value).expect("JSON values serialize as YAML")
}

/// The Kubernetes objects that install the UCS agent in the member cluster, one YAML document each.
fn agent_manifests(
    cluster: &Cluster,
    server: &str,
    ca_pem: &str,
    cert_pem: &str,
    key_pem: &str,
) -> Vec<String> {
    let ns = "kube-system";
    let labels = json!({ "app": "proxy-agent" });
    vec![
        yaml(&json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": { "name": "proxy-agent-cert", "namespace": ns },
            "type": "kubernetes.io/tls",
            "data": {
                "ca.crt": B64.encode(ca_pem), "tls.crt": B64.encode(cert_pem), "tls.key": B64.encode(key_pem),
            },
        })),
        yaml(&json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": { "name": "proxy-agent-config", "namespace": ns },
            "data": { "server": server, "clusterID": cluster.id, "clusterName": cluster.name },
        })),
        yaml(&json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": { "name": "proxy-agent", "namespace": ns, "labels": labels },
            "spec": {
                "replicas": 2,
                "selector": { "matchLabels": labels },
                "template": {
                    "metadata": { "labels": labels },
                    "spec": {
                        "containers": [{
                            "name": "proxy-agent",
                            "image": "swr.cn-north-4.myhuaweicloud.com/ucs/proxy-agent:latest",
                            "args": ["--server=$(SERVER)", "--cluster-id=$(CLUSTER_ID)"],
                            "env": [
                                { "name": "SERVER", "valueFrom": { "configMapKeyRef": { "name": "proxy-agent-config", "key": "server" } } },
                                { "name": "CLUSTER_ID", "valueFrom": { "configMapKeyRef": { "name": "proxy-agent-config", "key": "clusterID" } } },
                            ],
                            "volumeMounts": [{ "name": "cert", "mountPath": "/etc/proxy-agent/certs", "readOnly": true }],
                        }],
                        "volumes": [{ "name": "cert", "secret": { "secretName": "proxy-agent-cert" } }],
                    },
                },
            },
        })),
    ]
}

/// U07 `PUT /v1/clusters/{clusterid}/activation`: a new activation job; the cluster is `Pending` again.
async fn retry_activation(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<JsonOut<ClusterView>> {
    let cluster = app.store.cluster_retry_activation(&caller.actor(), cluster_id(&id)?).await?;
    Ok(JsonOut(cluster_view(&app, caller.domain_id(), cluster).await?))
}

/// U09 body: the on-premise installer's inputs, in the installer's UPPER_SNAKE keys.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RequiredInput {
    #[serde(rename = "USERNAME")]
    username: Option<String>,
    #[serde(rename = "MASTER-1")]
    #[schemars(transform = domain::wire_rules::ip_address, required)]
    master_1: Option<String>,
    #[serde(rename = "MASTER-2")]
    #[schemars(transform = domain::wire_rules::ip_address)]
    master_2: Option<String>,
    #[serde(rename = "MASTER-3")]
    #[schemars(transform = domain::wire_rules::ip_address)]
    master_3: Option<String>,
    #[serde(rename = "ACCESS_EXTERNAL_LOAD_BALANCE")]
    access_external_load_balance: Option<bool>,
    #[serde(rename = "CILIUM_IPV4POOL_CIDR")]
    #[schemars(regex(pattern = domain::wire_rules::IPV4_CIDR))]
    cilium_ipv4pool_cidr: Option<String>,
    #[serde(rename = "NETWORK_CIDR")]
    #[schemars(regex(pattern = domain::wire_rules::IPV4_CIDR))]
    network_cidr: Option<String>,
    #[serde(rename = "DNS_SERVER_IP")]
    #[schemars(transform = domain::wire_rules::ip_address)]
    dns_server_ip: Option<String>,
    #[serde(rename = "NTP_SERVER_IP")]
    #[schemars(transform = domain::wire_rules::ip_address)]
    ntp_server_ip: Option<String>,
    #[serde(rename = "IAM_DOMAIN_ID")]
    iam_domain_id: Option<String>,
}

fn ip_field(name: &str, value: &Option<String>) -> Result<(), Error> {
    match value {
        Some(v) if v.parse::<std::net::IpAddr>().is_err() => {
            Err(Error::invalid_body(format!("{name} {v:?} must be an IP address")))
        }
        _ => Ok(()),
    }
}

fn cidr_field(name: &str, value: &Option<String>) -> Result<(), Error> {
    let Some(v) = value else { return Ok(()) };
    if domain::cluster::is_ipv4_cidr(v) {
        Ok(())
    } else {
        Err(Error::invalid_body(format!("{name} {v:?} must be an IPv4 CIDR like 10.0.0.0/16")))
    }
}

/// U09 `POST /v1/clusters/{clusterid}/clusterconf`: the on-premise cluster's installer configuration,
/// the inputs validated and completed with what UCS knows (cluster id and name, the UCS endpoint).
async fn cluster_conf(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(input): Json<RequiredInput>,
) -> ApiResult<JsonOut<ClusterConf>> {
    let cluster = app.store.cluster_get(caller.domain_id(), cluster_id(&id)?).await?;
    if cluster.category != CATEGORY_ONPREMISE {
        return Err(Error::new(ucs::CLUSTER_CATEGORY_NOT_SUPPORTED)
            .with_detail("cluster configurations are generated for on-premise clusters only")
            .into());
    }
    for (name, value) in [
        ("MASTER-1", &input.master_1),
        ("MASTER-2", &input.master_2),
        ("MASTER-3", &input.master_3),
        ("DNS_SERVER_IP", &input.dns_server_ip),
        ("NTP_SERVER_IP", &input.ntp_server_ip),
    ] {
        ip_field(name, value)?;
    }
    cidr_field("CILIUM_IPV4POOL_CIDR", &input.cilium_ipv4pool_cidr)?;
    cidr_field("NETWORK_CIDR", &input.network_cidr)?;
    let Some(master_1) = input.master_1.clone() else {
        return Err(Error::invalid_body("MASTER-1 (the first master node's IP) is required").into());
    };
    if input.iam_domain_id.as_deref().is_some_and(|d| d != caller.domain_id().to_string()) {
        return Err(Error::invalid_body("IAM_DOMAIN_ID must be the caller's own domain id").into());
    }
    let masters: Vec<&String> =
        [&input.master_1, &input.master_2, &input.master_3].into_iter().flatten().collect();
    Ok(JsonOut(ClusterConf {
        username: input.username.unwrap_or_else(|| "root".to_string()),
        master_count: masters.len(),
        master_1,
        master_2: input.master_2,
        master_3: input.master_3,
        access_external_load_balance: input.access_external_load_balance.unwrap_or(false),
        cilium_ipv4pool_cidr: input.cilium_ipv4pool_cidr.unwrap_or_else(|| "10.244.0.0/16".into()),
        network_cidr: input.network_cidr.unwrap_or_else(|| "10.96.0.0/16".into()),
        dns_server_ip: input.dns_server_ip,
        ntp_server_ip: input.ntp_server_ip,
        iam_domain_id: caller.domain_id(),
        cluster_id: cluster.id,
        cluster_name: cluster.name,
        ucs_endpoint: crate::iam::base_url(&app, &headers),
        region: app.config.region.clone(),
    }))
}

/// U09's answer: the on-premises installer's configuration, keyed as the installer reads it.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) struct ClusterConf {
    username: String,
    #[serde(rename = "MASTER-1")]
    master_1: String,
    #[serde(rename = "MASTER-2", skip_serializing_if = "Option::is_none")]
    master_2: Option<String>,
    #[serde(rename = "MASTER-3", skip_serializing_if = "Option::is_none")]
    master_3: Option<String>,
    master_count: usize,
    access_external_load_balance: bool,
    cilium_ipv4pool_cidr: String,
    network_cidr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    dns_server_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ntp_server_ip: Option<String>,
    iam_domain_id: DomainId,
    cluster_id: ClusterId,
    cluster_name: String,
    ucs_endpoint: String,
    region: String,
}

/// How long the client certificate of a kubeconfig from U10 is valid.
const KUBECONFIG_VALIDITY_DAYS: i64 = 365;

/// U10 `POST /v1/clusters/{clusterid}/kubeconfig`: a kubeconfig for the caller with a client
/// certificate signed by the tenant's CA.
async fn kubeconfig(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<JsonOut<wire::Kubeconfig>> {
    let cluster = app.store.cluster_get(caller.domain_id(), cluster_id(&id)?).await?;
    let ca = crate::pki::tenant_ca(&app, caller.domain_id()).await?;
    let cert = ca
        .issue_client(
            &caller.user.name,
            &caller.tenant.name,
            secrets::pki::at_unix(app.store.clock().now().timestamp()),
            time::Duration::days(KUBECONFIG_VALIDITY_DAYS),
        )
        .map_err(|e| Error::new(ucs::FAILED_TO_CREATE_CERTS).with_internal(e.to_string()))?;
    let server = if cluster.api_endpoint.is_empty() {
        format!("{}/clusters/{}", crate::iam::base_url(&app, &headers), cluster.id)
    } else {
        cluster.api_endpoint.clone()
    };
    let user = format!("{}-{}", caller.user.name, cluster.name);
    let context = format!("{}-context", cluster.name);
    Ok(JsonOut(wire::Kubeconfig::new(KubeconfigParts {
        cluster: &cluster.name,
        server: &server,
        ca_pem: &ca.cert_pem,
        user: &user,
        cert_pem: &cert.cert_pem,
        key_pem: &cert.key_pem,
        context: &context,
    })))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManagedQuery {
    /// The SDK's name; the 2025-03 reference calls it `unregister`.
    #[serde(alias = "unregister")]
    unimported: Option<bool>,
    #[schemars(range(min = -1, max = 1000))]
    limit: Option<i64>,
    #[schemars(range(min = 0))]
    offset: Option<i64>,
}

/// U13 `GET /v1/managedclusters`: the tenant's CCE clusters (of the caller's project, when the call is
/// scoped to one) as UCS clusters, a bare array, newest first. A registered one is shown as registered;
/// with `unimported=true`, only those not registered yet.
async fn list_managed(
    State(app): State<AppState>,
    caller: Caller,
    Query(query): Query<ManagedQuery>,
) -> ApiResult<JsonOut<Vec<ClusterView>>> {
    let page = page_of(query.limit, query.offset, None, None)?;
    let project = caller.project.as_ref().map(|p| p.id.to_string());
    let unimported = query.unimported.unwrap_or(false);
    let managed =
        app.store.cce_clusters_for_ucs(caller.domain_id(), project.as_deref(), unimported, &page).await?;
    let ids: Vec<ClusterId> = managed.iter().filter_map(|m| m.registered).collect();
    let mut registered: HashMap<ClusterId, Cluster> = if ids.is_empty() {
        HashMap::new()
    } else {
        let filter = ClusterFilter { ids: Some(ids), ..Default::default() };
        let (clusters, _) = app.store.cluster_list(caller.domain_id(), &filter).await?;
        clusters.into_iter().map(|c| (c.id, c)).collect()
    };
    let clusters = managed
        .iter()
        .map(|m| m.registered.and_then(|id| registered.remove(&id)).unwrap_or_else(|| m.unregistered()))
        .collect();
    Ok(JsonOut(cluster_views(&app, caller.domain_id(), clusters, true).await?))
}

/// U14's body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "RegisteredClusterVersions")]
pub(crate) struct RegisteredVersions {
    versions: &'static [&'static str],
}

/// U14 `GET /v1/config/registeredclusterversions`.
async fn registered_versions(_caller: Caller) -> JsonOut<RegisteredVersions> {
    JsonOut(RegisteredVersions { versions: domain::cluster::registered_versions() })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use domain::ids::{DomainId, FleetId};

    use super::*;

    fn cluster(phase: ClusterPhase, reason: &str, api_endpoint: &str) -> Cluster {
        let at = |s| Utc.timestamp_opt(s, 0).unwrap();
        Cluster {
            id: ClusterId::new(),
            domain_id: DomainId::new(),
            name: "c1".into(),
            category: "attachedcluster".into(),
            cluster_type: "privatek8s".into(),
            provider: "openshift".into(),
            country: "CN".into(),
            city: "110000".into(),
            region: "cn-north-4".into(),
            project_id: "p1".into(),
            manage_type: ManageType::Grouped,
            fleet_id: Some(FleetId::new()),
            labels: BTreeMap::from([("env".into(), "prod".into())]),
            annotations: BTreeMap::from([("a".into(), "b".into())]),
            has_kubeconfig: true,
            api_endpoint: api_endpoint.into(),
            kubernetes_version: "v1.28.3".into(),
            phase,
            reason: reason.into(),
            message: "m".into(),
            cert_downloaded: true,
            created_at: at(1_700_000_000),
            updated_at: at(1_700_000_060),
            project_name: "cn-north-4".into(),
            cce: None,
        }
    }

    fn view(cluster: Cluster, with_status: bool) -> ClusterView {
        let rule = rbac::RuleRef {
            name: "readers".into(),
            id: "f6434332-60d6-11ed-a847-0255ac10003f".parse().unwrap(),
        };
        let rules = vec![RuleNamespaces { rules: vec![rule], namespaces: vec!["default".into()] }];
        ClusterView { cluster, with_status, rules }
    }

    /// The typed view writes exactly the U01 object (the keys the SDK model reads, nothing else).
    #[test]
    fn the_cluster_view_is_the_wire_object() {
        let c = cluster(ClusterPhase::Available, "", "https://10.0.0.1:6443");
        let view = serde_json::to_value(view(c.clone(), true)).unwrap();
        let expected = json!({
            "kind": "Cluster",
            "apiVersion": "v1",
            "metadata": {
                "uid": c.id, "name": "c1", "labels": { "env": "prod" }, "annotations": { "a": "b" },
                "creationTimestamp": "2023-11-14T22:13:20Z", "updateTimestamp": "2023-11-14T22:14:20Z",
            },
            "spec": {
                "syncMode": "", "clusterGroupID": c.fleet_id.unwrap().to_string(), "manageType": "grouped",
                "ruleNamespaces": [{ "rules": [{ "ruleID": "f6434332-60d6-11ed-a847-0255ac10003f", "ruleName": "readers" }],
                                     "namespaces": ["default"] }],
                "apiEndpoint": "https://10.0.0.1:6443", "provider": "openshift", "type": "privatek8s",
                "category": "attachedcluster", "enableDistMgt": false, "region": "cn-north-4",
                "country": "CN", "city": "110000", "projectID": "p1", "projectName": "cn-north-4",
                "IsDownloadedCert": true, "operatorNamespace": c.domain_id.to_string(),
            },
            "status": {
                "kubernetesVersion": "v1.28.3",
                "conditions": [
                    { "type": "Ready", "status": "True", "lastTransitionTime": "2023-11-14T22:14:20Z",
                      "reason": "ClusterAvailable" },
                    { "type": "Cluster", "status": "Available", "lastTransitionTime": "2023-11-14T22:14:20Z",
                      "reason": "ClusterAvailable", "message": "m" },
                ],
                "endpoints": [{ "url": "https://10.0.0.1:6443", "type": "Internal" }],
                "phase": "Available", "reason": "", "message": "m",
                "arrearFreeze": "false", "policeFreeze": "false",
            },
        });
        assert_eq!(view, expected);
    }

    #[test]
    fn a_view_without_status_or_endpoint_leaves_them_out() {
        let c = cluster(ClusterPhase::Unavailable, "Unreachable", "");
        let with = serde_json::to_value(view(c.clone(), true)).unwrap();
        assert_eq!(with["status"]["endpoints"], json!([]));
        assert_eq!(with["status"]["conditions"][0]["status"], "False");
        assert_eq!(with["status"]["conditions"][1]["reason"], "Unreachable");
        let without = serde_json::to_value(view(c, false)).unwrap();
        assert!(without.get("status").is_none());
    }
}
