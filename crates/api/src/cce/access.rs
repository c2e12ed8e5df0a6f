//! Reaching and describing a CCE or CCE Autopilot cluster: its kubeconfig with a client
//! certificate (`create_kubernetes_cluster_cert`), its endpoints, updates of its description and
//! networks (`update_cluster`), and the project's quotas (`show_quotas`). Both services' paths.

use axum::{extract::State, Json as JsonOut};
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use domain::{authz::actions, cce::CcePhase, error::cce, upgrade::Flavor, Error};
use serde_json::{json, Value};
use store::cce::CceClusterFilter;

use super::{as_value, cluster, clusters::cluster_view, route, Service};
use crate::{
    auth::Caller,
    error::ApiResult,
    extract::{Json, Path},
    routes::Route,
    AppState,
};
use domain::cce_wire;

const CLUSTER: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}";
const CERT: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/clustercert";
const ENDPOINTS: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/openapi";
const QUOTAS: &str = "/api/v3/projects/{project_id}/quotas";

pub(super) fn routes() -> Vec<Route> {
    [
        route(Route::put, CLUSTER, true, actions::CCE_CLUSTER_UPDATE, update),
        route(Route::post, CERT, true, actions::CCE_CLUSTER_CERT, cert),
        route(Route::get, ENDPOINTS, true, actions::CCE_CLUSTER_ENDPOINTS, endpoints),
        route(Route::get, QUOTAS, true, actions::CCE_QUOTA_GET, quotas),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The longest validity a certificate may ask for, in days (`duration: -1` asks for it).
const MAX_CERT_DAYS: i64 = 1825;

/// `PUT …/clusters/{id}`: alias, description, SANs, networks, deletion protection.
async fn update(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<cce_wire::ClusterInformation>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let update = domain::cce::validate_update(&as_value(&body))?;
    let updated = app.store.cce_cluster_update_info(&caller.actor(), service.0, c.id, &update).await?;
    Ok(JsonOut(cluster_view(&service, &updated)))
}

/// `POST …/clustercert`: a kubeconfig whose client certificate (`CN` the user, `O` the tenant) the
/// tenant's CA signs, valid `duration` days.
async fn cert(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<cce_wire::CertDuration>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let days = match body.duration {
        Some(-1) => MAX_CERT_DAYS,
        Some(d) if (1..=MAX_CERT_DAYS).contains(&d) => d,
        other => {
            return Err(Error::invalid_body(format!(
                "duration must be -1 or 1 to {MAX_CERT_DAYS} days, not {}",
                other.map_or_else(|| "missing".to_string(), |d| d.to_string())
            ))
            .into())
        }
    };
    if c.phase != CcePhase::Available {
        return Err(Error::new(cce::CLUSTER_NOT_AVAILABLE)
            .with_detail(format!("the cluster is {}", c.phase.as_str()))
            .into());
    }
    let ca = crate::pki::tenant_ca(&app, caller.domain_id()).await?;
    let issued = ca
        .issue_client(
            &caller.user.name,
            &caller.tenant.name,
            secrets::pki::at_unix(app.store.clock().now().timestamp()),
            time::Duration::days(days),
        )
        .map_err(|e| Error::internal(format!("client certificate: {e}")))?;
    Ok(JsonOut(json!({
        "kind": "Config",
        "apiVersion": "v1",
        "preferences": {},
        "clusters": [{
            "name": "internalCluster",
            "cluster": { "server": domain::cce::api_endpoint(c.id, c.flavor), "certificate-authority-data": B64.encode(&ca.cert_pem) },
        }],
        "users": [{
            "name": "user",
            "user": {
                "client-certificate-data": B64.encode(&issued.cert_pem),
                "client-key-data": B64.encode(&issued.key_pem),
            },
        }],
        "contexts": [{ "name": "internal", "context": { "cluster": "internalCluster", "user": "user" } }],
        "current-context": "internal",
    })))
}

/// `GET …/openapi`: the cluster's API server endpoints (ucsd's clusters have no public one).
async fn endpoints(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    Ok(JsonOut(json!({
        "metadata": { "uid": c.id, "name": c.name },
        "spec": { "spec": { "IsDynamic": false } },
        "status": { "privateEndpoint": domain::cce::api_endpoint(c.id, c.flavor), "publicEndpoint": "" },
    })))
}

/// `GET …/quotas`: the tenant's cluster quota and the per-cluster node pool and node quotas. A
/// per-cluster quota's `used` is that of the tenant's fullest cluster (pool).
async fn quotas(State(app): State<AppState>, caller: Caller, service: Service) -> ApiResult<JsonOut<Value>> {
    let mut clusters = Vec::new();
    for flavor in [Flavor::Cce, Flavor::Autopilot] {
        clusters.extend(
            app.store.cce_cluster_list(caller.domain_id(), flavor, &CceClusterFilter::default()).await?,
        );
    }
    let q = app.config.quotas;
    let region = &app.config.region;
    let quota = |key: &str, limit: i64, used: usize| json!({ "quotaKey": key, "quotaLimit": limit, "used": used, "unit": "count", "regionId": region });
    let mut list = vec![quota("cluster", q.clusters, clusters.len())];
    if service.0 == Flavor::Cce {
        let pools = clusters
            .iter()
            .map(|c| c.node_pools.iter().filter(|p| p.id != domain::cce::DEFAULT_POOL).count());
        let nodes = clusters.iter().flat_map(|c| c.node_pools.iter().map(|p| p.nodes.len()));
        list.push(quota("nodepool", q.node_pools_per_cluster, pools.max().unwrap_or(0)));
        list.push(quota("node", q.nodes_per_node_pool, nodes.max().unwrap_or(0)));
    }
    Ok(JsonOut(json!({ "quotas": list })))
}
