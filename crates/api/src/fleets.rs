//! UCS fleets ("cluster groups", `/v1/clustergroups…`) and cluster membership (`/v1/clusters/{id}/join`,
//! `/unjoin`): docs/wire.md U11, U12, U15–U20, U22.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json as JsonOut,
};
use domain::{
    authz::actions,
    fleet::{self, FederationState, Fleet},
    ids::{ClusterId, FleetId},
    rbac, Error,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::{fleet::FleetLimits, rule::Target};

use crate::{
    auth::Caller,
    error::ApiResult,
    extract::{Json, JsonOrForm, Path, Query},
    paging::PageQuery,
    routes::Route,
    wire::{go_time, Empty, Uid},
    AppState,
};

pub(crate) fn routes() -> Vec<Route> {
    const ONE: &str = "/v1/clustergroups/{clustergroupid}";
    vec![
        Route::get("/v1/clustergroups", actions::FLEET_LIST, list),
        Route::post("/v1/clustergroups", actions::FLEET_CREATE, register),
        Route::get(ONE, actions::FLEET_GET, show),
        Route::delete(ONE, actions::FLEET_DELETE, delete),
        Route::put(
            "/v1/clustergroups/{clustergroupid}/description",
            actions::FLEET_UPDATE_DESCRIPTION,
            update_description,
        ),
        Route::put(
            "/v1/clustergroups/{clustergroupid}/associatedclusters",
            actions::FLEET_ADD_CLUSTERS,
            add_clusters,
        ),
        Route::put(
            "/v1/clustergroups/{clustergroupid}/associatedzones",
            actions::FLEET_UPDATE_ZONES,
            update_zones,
        ),
        Route::post("/v1/clusters/{clusterid}/join", actions::CLUSTER_JOIN_FLEET, join),
        Route::post("/v1/clusters/{clusterid}/unjoin", actions::CLUSTER_LEAVE_FLEET, leave),
    ]
}

/// The `ClusterGroup` objects of fleets, with the namespaces their rules are bound in, read for the whole
/// list in one query.
async fn fleet_views(app: &AppState, fleets: &[Fleet]) -> Result<Vec<FleetView>, Error> {
    let Some(first) = fleets.first() else { return Ok(Vec::new()) };
    let ids: Vec<FleetId> = fleets.iter().map(|f| f.id).collect();
    let bindings = app.store.rule_bindings(first.domain_id, &[], &ids).await?;
    Ok(fleets
        .iter()
        .map(|f| {
            let own = bindings.iter().filter(|(t, _)| *t == Target::Fleet(f.id)).map(|(_, b)| b);
            FleetView::of(f, rbac::bound_namespaces(own))
        })
        .collect())
}

async fn one_fleet_view(app: &AppState, fleet: &Fleet) -> Result<FleetView, Error> {
    Ok(fleet_views(app, std::slice::from_ref(fleet)).await?.remove(0))
}

/// The `ClusterGroup` object of the wire (docs/wire.md U15).
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ClusterGroup")]
pub(crate) struct FleetView {
    kind: &'static str,
    api_version: &'static str,
    metadata: FleetMetadata,
    spec: FleetSpec,
    status: FleetStatus,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ClusterGroupMetadata")]
struct FleetMetadata {
    uid: FleetId,
    name: String,
    creation_timestamp: String,
    update_timestamp: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ClusterGroupSpec")]
struct FleetSpec {
    rule_namespaces: Vec<String>,
    federation_id: String,
    description: String,
    dns_suffix: Vec<String>,
    federation_version: String,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ClusterGroupStatus")]
struct FleetStatus {
    conditions: Vec<FederationCondition>,
}

/// The federation's state as the fleet's one condition (none while federation was never enabled).
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ClusterGroupCondition")]
struct FederationCondition {
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    reason: &'static str,
    message: String,
    last_transition_time: String,
}

impl FleetView {
    fn of(f: &Fleet, rule_namespaces: Vec<String>) -> Self {
        let mut conditions = Vec::new();
        if f.federation != FederationState::None {
            let (status, reason) = match f.federation {
                FederationState::Enabled => ("Available", "FederationAvailable"),
                FederationState::Enabling => ("Installing", "FederationInstalling"),
                FederationState::Disabling => ("Uninstalling", "FederationUninstalling"),
                FederationState::Failed | FederationState::None => ("Unavailable", "FederationUnavailable"),
            };
            conditions.push(FederationCondition {
                kind: "Federation",
                status,
                reason,
                message: f.federation_message.clone(),
                last_transition_time: f.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            });
        }
        FleetView {
            kind: "ClusterGroup",
            api_version: "v1",
            metadata: FleetMetadata {
                uid: f.id,
                name: f.name.clone(),
                creation_timestamp: go_time(f.created_at),
                update_timestamp: go_time(f.updated_at),
            },
            spec: FleetSpec {
                rule_namespaces,
                federation_id: f.federation_id.clone(),
                description: f.description.clone(),
                dns_suffix: f.dns_suffix.clone(),
                federation_version: f.federation_version.clone(),
            },
            status: FleetStatus { conditions },
        }
    }
}

/// `GET /v1/clustergroups`' body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ClusterGroupList")]
pub(crate) struct FleetList {
    items: Vec<FleetView>,
    total: i64,
}

pub(crate) fn fleet_id(raw: &str) -> Result<FleetId, Error> {
    raw.parse().map_err(|_| Error::bad_query(format!("clustergroupid {raw:?} is not a valid fleet id")))
}

fn cluster_ids(field: &str, raw: &[String]) -> Result<Vec<ClusterId>, Error> {
    if raw.len() > 1000 {
        return Err(Error::invalid_body(format!("{field} lists more than 1000 clusters")));
    }
    let ids: Vec<ClusterId> = raw
        .iter()
        .enumerate()
        .map(|(i, id)| {
            id.parse().map_err(|_| Error::invalid_body(format!("{field}[{i}] {id:?} is not a cluster id")))
        })
        .collect::<Result<_, _>>()?;
    // A set: a cluster named twice is named once.
    Ok(domain::collapse(ids))
}

pub(crate) fn limits(app: &AppState) -> FleetLimits {
    FleetLimits { fleets: app.config.quotas.fleets, clusters_per_fleet: app.config.quotas.clusters_per_fleet }
}

/// U15 `GET /v1/clustergroups`.
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<JsonOut<FleetList>> {
    let (fleets, total) = app.store.fleet_list(caller.domain_id(), &q.page()?).await?;
    Ok(JsonOut(FleetList { items: fleet_views(&app, &fleets).await?, total }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "RegisterClusterGroup")]
pub(crate) struct RegisterBody {
    metadata: RegisterMetadata,
    #[serde(default)]
    spec: RegisterSpec,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "RegisterClusterGroupMetadata")]
struct RegisterMetadata {
    #[schemars(regex(pattern = domain::wire_rules::FLEET_NAME))]
    name: String,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "RegisterClusterGroupSpec")]
struct RegisterSpec {
    #[serde(default)]
    #[schemars(length(max = 1000), inner(regex(pattern = domain::ids::ID_PATTERN)))]
    cluster_ids: Vec<String>,
    #[serde(default)]
    #[schemars(length(max = 255), regex(pattern = domain::wire_rules::PLAIN_TEXT))]
    description: String,
}

/// U16 `POST /v1/clustergroups`: 201 `{"uid": …}`.
async fn register(
    State(app): State<AppState>,
    caller: Caller,
    Json(body): Json<RegisterBody>,
) -> ApiResult<Response> {
    fleet::validate_name(&body.metadata.name)?;
    fleet::validate_description(&body.spec.description)?;
    let ids = cluster_ids("spec.clusterIds", &body.spec.cluster_ids)?;
    let fleet = app
        .store
        .fleet_create(&caller.actor(), &body.metadata.name, &body.spec.description, &ids, limits(&app))
        .await?;
    Ok((StatusCode::CREATED, JsonOut(Uid::of(fleet.id))).into_response())
}

/// U17 `GET /v1/clustergroups/{clustergroupid}`.
async fn show(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<JsonOut<FleetView>> {
    let fleet = app.store.fleet_get(caller.domain_id(), fleet_id(&id)?).await?;
    Ok(JsonOut(one_fleet_view(&app, &fleet).await?))
}

/// U18 `DELETE /v1/clustergroups/{clustergroupid}`: only an empty fleet without federation.
async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.store.fleet_delete(&caller.actor(), fleet_id(&id)?).await?;
    Ok(StatusCode::OK)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "UpdateClusterGroupDescriptionRequest")]
pub(crate) struct DescriptionBody {
    #[schemars(length(max = 255), regex(pattern = domain::wire_rules::PLAIN_TEXT))]
    description: String,
}

/// U19 `PUT /v1/clustergroups/{clustergroupid}/description`.
async fn update_description(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<DescriptionBody>,
) -> ApiResult<JsonOut<FleetView>> {
    fleet::validate_description(&body.description)?;
    let fleet =
        app.store.fleet_update_description(&caller.actor(), fleet_id(&id)?, &body.description).await?;
    Ok(JsonOut(one_fleet_view(&app, &fleet).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "UpdateClusterGroupAssociatedClustersRequestBody")]
pub(crate) struct ClustersBody {
    #[serde(rename = "clusterIds", alias = "clusterids", default)]
    #[schemars(length(max = 1000), inner(regex(pattern = domain::ids::ID_PATTERN)))]
    cluster_ids: Vec<String>,
}

/// U20 `PUT /v1/clustergroups/{clustergroupid}/associatedclusters`: adds clusters (never removes).
async fn add_clusters(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ClustersBody>,
) -> ApiResult<JsonOut<FleetView>> {
    let ids = cluster_ids("clusterIds", &body.cluster_ids)?;
    let fleet = app.store.fleet_add_clusters(&caller.actor(), fleet_id(&id)?, &ids, limits(&app)).await?;
    Ok(JsonOut(one_fleet_view(&app, &fleet).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "UpdateAssociatedZonesRequest")]
pub(crate) struct ZonesBody {
    #[serde(rename = "dnsSuffix", default)]
    #[schemars(length(max = 10), inner(regex(pattern = domain::wire_rules::DOMAIN_NAME), length(max = domain::wire_rules::DOMAIN_NAME_MAX)))]
    dns_suffix: Vec<String>,
}

/// U22 `PUT /v1/clustergroups/{clustergroupid}/associatedzones`.
async fn update_zones(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ZonesBody>,
) -> ApiResult<JsonOut<FleetView>> {
    fleet::validate_dns_suffixes(&body.dns_suffix)?;
    // A set: a domain named twice is named once.
    let zones = domain::collapse(body.dns_suffix);
    let fleet = app.store.fleet_set_dns_suffix(&caller.actor(), fleet_id(&id)?, &zones).await?;
    Ok(JsonOut(one_fleet_view(&app, &fleet).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "ClusterJoinGroupRequestBody")]
pub(crate) struct JoinBody {
    /// The reference's example spells it `clustergroupID`.
    #[serde(rename = "clusterGroupID", alias = "clustergroupID")]
    #[schemars(required, regex(pattern = domain::ids::ID_PATTERN))]
    cluster_group_id: Option<String>,
}

/// U11 `POST /v1/clusters/{clusterid}/join`. The SDK form-encodes this body; its one flat field
/// survives that, so the form is accepted as well as JSON.
async fn join(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonOrForm(body): JsonOrForm<JoinBody>,
) -> ApiResult<JsonOut<Empty>> {
    let cluster_id = crate::clusters::cluster_id(&id)?;
    let raw = body.cluster_group_id.ok_or_else(|| Error::invalid_body("clusterGroupID is required"))?;
    let fleet_id = raw
        .parse()
        .map_err(|_| Error::invalid_body(format!("clusterGroupID {raw:?} is not a valid fleet id")))?;
    app.store.cluster_join(&caller.actor(), cluster_id, fleet_id, limits(&app)).await?;
    Ok(JsonOut(Empty {}))
}

/// U12 `POST /v1/clusters/{clusterid}/unjoin`.
async fn leave(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<JsonOut<Empty>> {
    app.store.cluster_leave(&caller.actor(), crate::clusters::cluster_id(&id)?).await?;
    Ok(JsonOut(Empty {}))
}
