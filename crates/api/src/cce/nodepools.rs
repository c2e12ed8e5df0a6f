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
use serde::Deserialize;
use serde_json::{json, Value};
use store::nodepool::{NodePoolChange, NodePoolQuotas};

use super::{as_value, cluster, go_time, route, Service};
use crate::{
    auth::Caller,
    error::ApiResult,
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

/// The `NodePool` object of the wire.
pub fn pool_view(c: &CceCluster, p: &NodePool) -> Value {
    let mut spec =
        if p.spec.is_object() { p.spec.clone() } else { json!({ "type": "vm", "nodeTemplate": {} }) };
    spec["initialNodeCount"] = json!(nodepool::desired(p));
    let (current, creating, deleting) = nodepool::counts(p);
    let mut status = json!({
        "currentNode": current,
        "creatingNode": creating,
        "deletingNode": deleting,
        "activeNode": nodepool::live(p),
        "phase": nodepool::phase(p),
        "jobId": p.job_id.map(|j| j.to_string()).unwrap_or_default(),
    });
    if let Some(error) = &p.error {
        status["conditions"] =
            json!([{ "type": "Error", "status": "True", "reason": "JobFailed", "message": error }]);
    }
    json!({
        "kind": "NodePool",
        "apiVersion": "v3",
        "metadata": {
            "name": p.name,
            "uid": p.id,
            "annotations": { "cce.ucsd.io/version": p.version },
            "creationTimestamp": time_or(p.created_at, c.created_at),
            "updateTimestamp": time_or(p.updated_at, c.updated_at),
        },
        "spec": spec,
        "status": status,
    })
}

/// The `Node` object of the wire.
pub fn node_view(c: &CceCluster, p: &NodePool, n: &Node) -> Value {
    let mut spec = p.spec.get("nodeTemplate").cloned().unwrap_or_else(|| json!({}));
    if let Some(template) = spec.as_object_mut() {
        template.remove("count");
    }
    let job = (n.phase == NodePhase::Deleting).then_some(p.job_id).flatten();
    json!({
        "kind": "Node",
        "apiVersion": "v3",
        "metadata": {
            "name": n.name,
            "uid": n.uid,
            "annotations": { "kubernetes.io/node-pool.id": p.id, "cce.ucsd.io/version": p.version },
            "creationTimestamp": time_or(n.created_at, c.created_at),
            "updateTimestamp": time_or(n.created_at, c.created_at),
            "ownerReferences": { "nodepoolName": p.name, "nodepoolID": p.id },
        },
        "spec": spec,
        "status": {
            "phase": n.phase.as_str(),
            "jobID": job.map(|j| j.to_string()).unwrap_or_default(),
            "serverId": n.uid,
        },
    })
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
) -> ApiResult<(StatusCode, JsonOut<Value>)> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let new = nodepool::validate_create(as_value(&body))?;
    let pool = app.store.node_pool_create(&caller.actor(), service.0, c.id, &new, quotas(&app)).await?;
    Ok((StatusCode::CREATED, JsonOut(pool_view(&c, &pool))))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
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
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let show_default = q.show_default.as_deref() == Some("true");
    let items: Vec<Value> = c
        .node_pools
        .iter()
        .filter(|p| show_default || p.id != DEFAULT_POOL)
        .map(|p| pool_view(&c, p))
        .collect();
    Ok(JsonOut(json!({ "kind": "List", "apiVersion": "v3", "items": items })))
}

async fn show(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, pool)): Path<(String, String, String)>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    Ok(JsonOut(pool_view(&c, find_pool(&c, &pool)?)))
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
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let update = nodepool::validate_update(as_value(&body))?;
    let p = change(&app, &caller, &service, &c, &pool, NodePoolChange::Update(update)).await?;
    Ok(JsonOut(pool_view(&c, &p)))
}

async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, pool)): Path<(String, String, String)>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let p = change(&app, &caller, &service, &c, &pool, NodePoolChange::Delete).await?;
    Ok(JsonOut(pool_view(&c, &p)))
}

/// `POST …/operation/scale`: answers `orderID` (only prepaid nodes have an order; the pool's
/// `status.jobId` names the job that scales it).
async fn scale(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, pool)): Path<(String, String, String)>,
    Json(body): Json<cce_wire::ScaleNodePoolRequestBody>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let desired = nodepool::validate_scale(&as_value(&body))?;
    change(&app, &caller, &service, &c, &pool, NodePoolChange::Scale(desired)).await?;
    Ok(JsonOut(json!({ "orderID": "" })))
}

#[derive(Debug, Deserialize)]
struct NodesQuery {
    limit: Option<usize>,
    marker: Option<String>,
}

/// `GET …/nodes`: every pool's nodes, pool by pool; `limit` and `marker` (the last uid seen) page.
async fn list_nodes(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<NodesQuery>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let all: Vec<(&NodePool, &Node)> =
        c.node_pools.iter().flat_map(|p| p.nodes.iter().map(move |n| (p, n))).collect();
    let start = match q.marker.as_deref().filter(|m| !m.is_empty()) {
        Some(marker) => all.iter().position(|(_, n)| n.uid == marker).map_or(all.len(), |i| i + 1),
        None => 0,
    };
    let limit = q.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
    let page: Vec<&(&NodePool, &Node)> = all.iter().skip(start).take(limit).collect();
    let next = if start + page.len() < all.len() { page.last().map(|(_, n)| n.uid.clone()) } else { None };
    let items: Vec<Value> = page.iter().map(|(p, n)| node_view(&c, p, n)).collect();
    Ok(JsonOut(json!({
        "kind": "List",
        "apiVersion": "v3",
        "items": items,
        "pageInfo": { "currentCount": items.len(), "nextMarker": next.unwrap_or_default() },
    })))
}

async fn show_node(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, node)): Path<(String, String, String)>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let (p, n) = find_node(&c, &node)?;
    Ok(JsonOut(node_view(&c, p, n)))
}

#[derive(Debug, Deserialize)]
struct DeleteNodeQuery {
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
) -> ApiResult<JsonOut<Value>> {
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
    Ok(JsonOut(node_view(&c, &p, n)))
}
