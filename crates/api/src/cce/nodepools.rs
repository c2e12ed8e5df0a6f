//! Node pools and nodes of a CCE cluster (CCE only: Autopilot has neither): create, list, show,
//! update, delete and scale pools; list, show and delete nodes. What changes nodes is the pool's job
//! (`worker::nodepool`); the answers show it in `status.jobId` / `status.jobID`.

use axum::{extract::State, http::StatusCode, Json as JsonOut};
use domain::{
    authz::actions,
    cce::{CceCluster, Node, NodePhase, NodePool, DEFAULT_POOL},
    error::cce,
    nodepool, Error,
};
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::nodepool::{NodePoolChange, NodePoolQuotas};

use super::{cluster, clusters::VERSION_ANNOTATION, go_time, route, stored, Service};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    extract::{Json, Path, Query},
    routes::Route,
    AppState,
};
use domain::cce_wire;

const POOLS: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools";
const POOL: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools/{nodepool_id}";
const SCALE: &str =
    "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools/{nodepool_id}/operation/scale";
const NODES: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodes";
const NODE: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodes/{node_id}";

pub(super) fn routes() -> Vec<Route> {
    [
        route(Route::post, POOLS, false, actions::NODE_POOL_CREATE, create),
        route(Route::get, POOLS, false, actions::NODE_POOL_LIST, list),
        route(Route::get, POOL, false, actions::NODE_POOL_GET, show),
        route(Route::put, POOL, false, actions::NODE_POOL_UPDATE, update),
        route(Route::delete, POOL, false, actions::NODE_POOL_DELETE, delete),
        route(Route::post, SCALE, false, actions::NODE_POOL_SCALE, scale),
        route(Route::get, NODES, false, actions::NODE_LIST, list_nodes),
        route(Route::get, NODE, false, actions::NODE_GET, show_node),
        route(Route::delete, NODE, false, actions::NODE_DELETE, delete_node),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn quotas(app: &AppState) -> NodePoolQuotas {
    NodePoolQuotas {
        pools_per_cluster: app.config.quotas.node_pools_per_cluster,
        nodes_per_pool: app.config.quotas.nodes_per_node_pool,
    }
}

fn time_or(at: Option<chrono::DateTime<chrono::Utc>>, default: chrono::DateTime<chrono::Utc>) -> String {
    go_time(at.unwrap_or(default))
}

/// The `NodePool` object of the wire: what was recorded of the create request (and updates) with
/// what ucsd decides (name, uid, times, node count, status).
pub fn pool_view(c: &CceCluster, p: &NodePool) -> Result<cce_wire::NodePool, ApiError> {
    let mut spec: cce_wire::NodePoolSpec = if p.spec.is_object() {
        stored(&p.spec, "node pool spec")?
    } else {
        cce_wire::NodePoolSpec {
            r#type: Some("vm".to_string()),
            node_template: Some(cce_wire::NodeTemplate::default()),
            ..Default::default()
        }
    };
    spec.initial_node_count = Some(count(nodepool::desired(p)));
    let (current, creating, deleting) = nodepool::counts(p);
    let conditions = p.error.as_ref().map(|error| {
        vec![cce_wire::NodePoolCondition {
            r#type: Some("Error".to_string()),
            status: Some("True".to_string()),
            reason: Some("JobFailed".to_string()),
            message: Some(error.clone()),
            ..Default::default()
        }]
    });
    let status = cce_wire::NodePoolStatus {
        current_node: Some(count(current)),
        creating_node: Some(count(creating)),
        deleting_node: Some(count(deleting)),
        active_node: Some(count(nodepool::live(p))),
        phase: Some(nodepool::phase(p).to_string()),
        job_id: Some(p.job_id.map(|j| j.to_string()).unwrap_or_default()),
        conditions,
        ..Default::default()
    };
    let metadata = cce_wire::NodePoolMetadata {
        name: Some(p.name.clone()),
        uid: Some(p.id.clone()),
        annotations: Some(BTreeMap::from([(VERSION_ANNOTATION.to_string(), p.version.clone())])),
        creation_timestamp: Some(time_or(p.created_at, c.created_at)),
        update_timestamp: Some(time_or(p.updated_at, c.updated_at)),
        resource_version: None,
    };
    Ok(cce_wire::NodePool {
        kind: Some("NodePool".to_string()),
        api_version: Some("v3".to_string()),
        metadata: Some(metadata),
        spec: Some(spec),
        status: Some(status),
    })
}

/// A node count as the wire's integers.
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `list_node_pools`' body.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "NodePoolList")]
pub(crate) struct PoolList {
    kind: &'static str,
    api_version: &'static str,
    items: Vec<cce_wire::NodePool>,
}

/// The `Node` object of the wire: the node with its pool's node template.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Node")]
pub(crate) struct NodeView {
    kind: &'static str,
    api_version: &'static str,
    metadata: NodeMetadata,
    spec: cce_wire::NodeTemplate,
    status: NodeStatus,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct NodeMetadata {
    name: String,
    uid: String,
    annotations: BTreeMap<String, String>,
    creation_timestamp: String,
    update_timestamp: String,
    owner_references: NodeOwnerReference,
}

#[derive(Serialize, JsonSchema)]
struct NodeOwnerReference {
    #[serde(rename = "nodepoolName")]
    nodepool_name: String,
    #[serde(rename = "nodepoolID")]
    nodepool_id: String,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "NodeStatus")]
struct NodeStatus {
    phase: &'static str,
    #[serde(rename = "jobID")]
    job_id: String,
    #[serde(rename = "serverId")]
    server_id: String,
}

/// The `Node` object of the wire.
pub fn node_view(c: &CceCluster, p: &NodePool, n: &Node) -> Result<NodeView, ApiError> {
    let template = p.spec.get("nodeTemplate").unwrap_or(&Value::Null);
    let mut spec: cce_wire::NodeTemplate = stored(template, "node template")?;
    spec.count = None;
    let job = (n.phase == NodePhase::Deleting).then_some(p.job_id).flatten();
    let created = time_or(n.created_at, c.created_at);
    Ok(NodeView {
        kind: "Node",
        api_version: "v3",
        metadata: NodeMetadata {
            name: n.name.clone(),
            uid: n.uid.clone(),
            annotations: BTreeMap::from([
                ("kubernetes.io/node-pool.id".to_string(), p.id.clone()),
                (VERSION_ANNOTATION.to_string(), p.version.clone()),
            ]),
            creation_timestamp: created.clone(),
            update_timestamp: created,
            owner_references: NodeOwnerReference { nodepool_name: p.name.clone(), nodepool_id: p.id.clone() },
        },
        spec,
        status: NodeStatus {
            phase: n.phase.as_str(),
            job_id: job.map(|j| j.to_string()).unwrap_or_default(),
            server_id: n.uid.clone(),
        },
    })
}

/// `list_nodes`' body: a page of nodes.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "NodeList")]
pub(crate) struct NodeList {
    kind: &'static str,
    api_version: &'static str,
    items: Vec<NodeView>,
    page_info: PageInfo,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "NodePageInfo")]
struct PageInfo {
    current_count: usize,
    next_marker: String,
}

/// `scale_node_pool`'s body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ScaleNodePoolResponse")]
pub(crate) struct ScaleAnswer {
    /// Only prepaid nodes have an order: always empty.
    #[serde(rename = "orderID")]
    order_id: &'static str,
}

fn find_pool<'c>(c: &'c CceCluster, id: &str) -> Result<&'c NodePool, Error> {
    c.node_pools
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| Error::not_found(cce::NOT_FOUND).with_detail("no such node pool"))
}

fn find_node<'c>(c: &'c CceCluster, uid: &str) -> Result<(&'c NodePool, &'c Node), Error> {
    c.node_pools
        .iter()
        .find_map(|p| p.nodes.iter().find(|n| n.uid == uid).map(|n| (p, n)))
        .ok_or_else(|| Error::not_found(cce::NOT_FOUND).with_detail("no such node"))
}

async fn create(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<cce_wire::NodePool>,
) -> ApiResult<(StatusCode, JsonOut<cce_wire::NodePool>)> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let new = nodepool::validate_create(body)?;
    let pool = app.store.node_pool_create(&caller.actor(), service.0, c.id, &new, quotas(&app)).await?;
    Ok((StatusCode::CREATED, JsonOut(pool_view(&c, &pool)?)))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct ListQuery {
    #[serde(rename = "showDefaultNodePool")]
    show_default: Option<String>,
    /// Read and ignored (the SDK's `bool`: conditions of the whole pool), but a boolean like any.
    #[serde(rename = "advanceStatus")]
    #[allow(dead_code)]
    advance_status: Option<bool>,
}

async fn list(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> ApiResult<JsonOut<PoolList>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let show_default = q.show_default.as_deref() == Some("true");
    let items = c
        .node_pools
        .iter()
        .filter(|p| show_default || p.id != DEFAULT_POOL)
        .map(|p| pool_view(&c, p))
        .collect::<Result<_, _>>()?;
    Ok(JsonOut(PoolList { kind: "List", api_version: "v3", items }))
}

async fn show(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, pool)): Path<(String, String, String)>,
) -> ApiResult<JsonOut<cce_wire::NodePool>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    Ok(JsonOut(pool_view(&c, find_pool(&c, &pool)?)?))
}

/// Applies a change to a pool of the caller's cluster `c` and answers the pool as it now is.
async fn change(
    app: &AppState,
    caller: &Caller,
    service: &Service,
    c: &CceCluster,
    pool: &str,
    change: NodePoolChange,
) -> ApiResult<NodePool> {
    Ok(app.store.node_pool_change(&caller.actor(), service.0, c.id, pool, change, quotas(app)).await?)
}

async fn update(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, pool)): Path<(String, String, String)>,
    Json(body): Json<cce_wire::NodePoolUpdate>,
) -> ApiResult<JsonOut<cce_wire::NodePool>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let update = nodepool::validate_update(body)?;
    let p = change(&app, &caller, &service, &c, &pool, NodePoolChange::Update(update)).await?;
    Ok(JsonOut(pool_view(&c, &p)?))
}

async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, pool)): Path<(String, String, String)>,
) -> ApiResult<JsonOut<cce_wire::NodePool>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let p = change(&app, &caller, &service, &c, &pool, NodePoolChange::Delete).await?;
    Ok(JsonOut(pool_view(&c, &p)?))
}

/// `POST …/operation/scale`: answers `orderID` (only prepaid nodes have an order; the pool's
/// `status.jobId` names the job that scales it).
async fn scale(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, pool)): Path<(String, String, String)>,
    Json(body): Json<cce_wire::ScaleNodePoolRequestBody>,
) -> ApiResult<JsonOut<ScaleAnswer>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let desired = nodepool::validate_scale(&body)?;
    change(&app, &caller, &service, &c, &pool, NodePoolChange::Scale(desired)).await?;
    Ok(JsonOut(ScaleAnswer { order_id: "" }))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct NodesQuery {
    #[schemars(range(max = MAX_NODES_PAGE))]
    limit: Option<usize>,
    marker: Option<String>,
}

/// The largest page of nodes.
const MAX_NODES_PAGE: usize = 10_000;

/// `GET …/nodes`: every pool's nodes, pool by pool; `limit` and `marker` (the last uid seen) page.
async fn list_nodes(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<NodesQuery>,
) -> ApiResult<JsonOut<NodeList>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let all: Vec<(&NodePool, &Node)> =
        c.node_pools.iter().flat_map(|p| p.nodes.iter().map(move |n| (p, n))).collect();
    let start = match q.marker.as_deref().filter(|m| !m.is_empty()) {
        Some(marker) => all.iter().position(|(_, n)| n.uid == marker).map_or(all.len(), |i| i + 1),
        None => 0,
    };
    if let Some(limit) = q.limit.filter(|l| *l > MAX_NODES_PAGE) {
        return Err(Error::bad_query(format!("limit {limit} must be at most {MAX_NODES_PAGE}")).into());
    }
    let limit = q.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
    let page: Vec<&(&NodePool, &Node)> = all.iter().skip(start).take(limit).collect();
    let next = if start + page.len() < all.len() { page.last().map(|(_, n)| n.uid.clone()) } else { None };
    let items: Vec<NodeView> = page.iter().map(|(p, n)| node_view(&c, p, n)).collect::<Result<_, _>>()?;
    let page_info = PageInfo { current_count: items.len(), next_marker: next.unwrap_or_default() };
    Ok(JsonOut(NodeList { kind: "List", api_version: "v3", items, page_info }))
}

async fn show_node(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, node)): Path<(String, String, String)>,
) -> ApiResult<JsonOut<NodeView>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let (p, n) = find_node(&c, &node)?;
    Ok(JsonOut(node_view(&c, p, n)?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct DeleteNodeQuery {
    #[schemars(transform = domain::wire_rules::one_of(["NoScaleDown", "ScaleDown", ""]))]
    #[serde(rename = "nodepoolScaleDown")]
    scale_down: Option<String>,
}

/// `DELETE …/nodes/{id}`: the node's pool shrinks with it unless `nodepoolScaleDown=NoScaleDown`
/// (then the pool's job replaces it).
async fn delete_node(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, node)): Path<(String, String, String)>,
    Query(q): Query<DeleteNodeQuery>,
) -> ApiResult<JsonOut<NodeView>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let scale_down = match q.scale_down.as_deref() {
        None | Some("") | Some("ScaleDown") => true,
        Some("NoScaleDown") => false,
        Some(other) => {
            return Err(Error::invalid_body(format!(
                "nodepoolScaleDown must be NoScaleDown or ScaleDown, not {other:?}"
            ))
            .into())
        }
    };
    let (pool, _) = find_node(&c, &node)?;
    let change_node = NodePoolChange::DeleteNode { uid: node.clone(), scale_down };
    let p = change(&app, &caller, &service, &c, &pool.id, change_node).await?;
    let n =
        p.nodes.iter().find(|n| n.uid == node).ok_or_else(|| Error::internal("the deleted node vanished"))?;
    Ok(JsonOut(node_view(&c, &p, n)?))
}
