//! Reaching and describing a CCE or CCE Autopilot cluster: its kubeconfig with a client
//! certificate (`create_kubernetes_cluster_cert`), its endpoints, updates of its description and
//! networks (`update_cluster`), and the project's quotas (`show_quotas`). Both services' paths.

use axum::{extract::State, Json as JsonOut};
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use domain::{authz::actions, cce::CcePhase, error::cce, ids::CceClusterId, upgrade::Flavor, Error};
use schemars::JsonSchema;
use serde::Serialize;
use store::cce::CceClusterFilter;

use super::{cluster, clusters::cluster_view, route, Service};
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

use domain::wire_rules::MAX_CERT_DAYS;

/// `PUT …/clusters/{id}`: alias, description, SANs, networks, deletion protection.
async fn update(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<cce_wire::ClusterInformation>,
) -> ApiResult<JsonOut<cce_wire::Cluster>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let update = domain::cce::validate_update(body)?;
    let updated = app.store.cce_cluster_update_info(&caller.actor(), service.0, c.id, &update).await?;
    Ok(JsonOut(cluster_view(&service, &updated)?))
}

/// `POST …/clustercert`: a kubeconfig whose client certificate (`CN` the user, `O` the tenant) the
/// tenant's CA signs, valid `duration` days.
async fn cert(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<cce_wire::CertDuration>,
) -> ApiResult<JsonOut<Kubeconfig>> {
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
    Ok(JsonOut(Kubeconfig {
        kind: "Config",
        api_version: "v1",
        preferences: Preferences {},
        clusters: vec![NamedCluster {
            name: "internalCluster",
            cluster: KubeconfigCluster {
                server: domain::cce::api_endpoint(c.id, c.flavor),
                certificate_authority_data: B64.encode(&ca.cert_pem),
            },
        }],
        users: vec![NamedUser {
            name: "user",
            user: KubeconfigUser {
                client_certificate_data: B64.encode(&issued.cert_pem),
                client_key_data: B64.encode(&issued.key_pem),
            },
        }],
        contexts: vec![NamedContext {
            name: "internal",
            context: KubeconfigContext { cluster: "internalCluster", user: "user" },
        }],
        current_context: "internal",
    }))
}

/// `create_kubernetes_cluster_cert`'s body: a kubeconfig.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CceKubeconfig")]
pub(crate) struct Kubeconfig {
    kind: &'static str,
    api_version: &'static str,
    preferences: Preferences,
    clusters: Vec<NamedCluster>,
    users: Vec<NamedUser>,
    contexts: Vec<NamedContext>,
    #[serde(rename = "current-context")]
    current_context: &'static str,
}

/// Kubeconfig preferences: none.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CceKubeconfigPreferences", extend("additionalProperties" = false))]
struct Preferences {}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CceKubeconfigNamedCluster")]
struct NamedCluster {
    name: &'static str,
    cluster: KubeconfigCluster,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "CceKubeconfigCluster")]
struct KubeconfigCluster {
    server: String,
    certificate_authority_data: String,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CceKubeconfigNamedUser")]
struct NamedUser {
    name: &'static str,
    user: KubeconfigUser,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "CceKubeconfigUser")]
struct KubeconfigUser {
    client_certificate_data: String,
    client_key_data: String,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CceKubeconfigNamedContext")]
struct NamedContext {
    name: &'static str,
    context: KubeconfigContext,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CceKubeconfigContext")]
struct KubeconfigContext {
    cluster: &'static str,
    user: &'static str,
}

/// `GET …/openapi`: the cluster's API server endpoints (ucsd's clusters have no public one).
async fn endpoints(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<JsonOut<Endpoints>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    Ok(JsonOut(Endpoints {
        metadata: EndpointsMetadata { uid: c.id, name: c.name },
        spec: EndpointsSpec { spec: EndpointsSpecSpec { is_dynamic: false } },
        status: EndpointsStatus {
            private_endpoint: domain::cce::api_endpoint(c.id, c.flavor),
            public_endpoint: String::new(),
        },
    }))
}

/// `show_cluster_endpoints`' body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CceClusterEndpoints")]
pub(crate) struct Endpoints {
    metadata: EndpointsMetadata,
    spec: EndpointsSpec,
    status: EndpointsStatus,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CceClusterEndpointsMetadata")]
struct EndpointsMetadata {
    uid: CceClusterId,
    name: String,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CceClusterEndpointsSpec")]
struct EndpointsSpec {
    spec: EndpointsSpecSpec,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CceClusterEndpointsSpecSpec")]
struct EndpointsSpecSpec {
    #[serde(rename = "IsDynamic")]
    is_dynamic: bool,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CceClusterEndpointsStatus")]
struct EndpointsStatus {
    private_endpoint: String,
    public_endpoint: String,
}

/// `GET …/quotas`: the tenant's cluster quota and the per-cluster node pool and node quotas. A
/// per-cluster quota's `used` is that of the tenant's fullest cluster (pool).
async fn quotas(State(app): State<AppState>, caller: Caller, service: Service) -> ApiResult<JsonOut<Quotas>> {
    let mut clusters = Vec::new();
    for flavor in [Flavor::Cce, Flavor::Autopilot] {
        clusters.extend(
            app.store.cce_cluster_list(caller.domain_id(), flavor, &CceClusterFilter::default()).await?,
        );
    }
    let q = app.config.quotas;
    let region = &app.config.region;
    let quota = |key: &'static str, limit: i64, used: usize| Quota {
        quota_key: key,
        quota_limit: limit,
        used,
        unit: "count",
        region_id: region.clone(),
    };
    let mut list = vec![quota("cluster", q.clusters, clusters.len())];
    if service.0 == Flavor::Cce {
        let pools = clusters
            .iter()
            .map(|c| c.node_pools.iter().filter(|p| p.id != domain::cce::DEFAULT_POOL).count());
        let nodes = clusters.iter().flat_map(|c| c.node_pools.iter().map(|p| p.nodes.len()));
        list.push(quota("nodepool", q.node_pools_per_cluster, pools.max().unwrap_or(0)));
        list.push(quota("node", q.nodes_per_node_pool, nodes.max().unwrap_or(0)));
    }
    Ok(JsonOut(Quotas { quotas: list }))
}

/// `show_quotas`' body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CceQuotas")]
pub(crate) struct Quotas {
    quotas: Vec<Quota>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CceQuota")]
struct Quota {
    quota_key: &'static str,
    quota_limit: i64,
    used: usize,
    unit: &'static str,
    region_id: String,
}
