//! CCE and CCE Autopilot clusters: create, list, show, delete (creation and deletion are jobs), and
//! their jobs: show one, list the Autopilot ones.

use axum::{extract::State, http::StatusCode, Json as JsonOut};
use domain::{
    authz::actions,
    cce::CceCluster,
    ids::{CceClusterId, JobId},
    job::{JobKind, JobState},
    upgrade::Flavor,
    Error,
};
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::cce::CceClusterFilter;

use super::{cluster, go_time, project_id, route, stored, Metadata, Service};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    extract::{Json, NoParams, Path, Query},
    routes::Route,
    AppState,
};
use domain::cce_wire;

const CLUSTERS: &str = "/api/v3/projects/{project_id}/clusters";
const CLUSTER: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}";
const JOB: &str = "/api/v3/projects/{project_id}/jobs/{job_id}";
const AUTOPILOT_JOBS: &str = "/autopilot/v2/projects/{project_id}/jobs";

pub(super) fn routes() -> Vec<Route> {
    [
        route(Route::post, CLUSTERS, true, actions::CCE_CLUSTER_CREATE, create),
        route(Route::get, CLUSTERS, true, actions::CCE_CLUSTER_LIST, list),
        route(Route::get, CLUSTER, true, actions::CCE_CLUSTER_GET, show),
        route(Route::delete, CLUSTER, true, actions::CCE_CLUSTER_DELETE, delete),
        route(Route::get, JOB, true, actions::CCE_JOB_GET, show_job),
        vec![Route::get(AUTOPILOT_JOBS, actions::CCE_JOB_LIST, list_autopilot_jobs)],
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The annotation that carries a cluster's full version (`spec.version` shows its release).
pub const VERSION_ANNOTATION: &str = "cce.ucsd.io/version";

/// The `Cluster` object of the wire: what was recorded of the create request (and updates) with
/// what ucsd decides (name, uid, times, version, status).
pub fn cluster_view(service: &Service, c: &CceCluster) -> Result<cce_wire::Cluster, ApiError> {
    let entry = service.catalogue().find(&c.version);
    let mut metadata: cce_wire::ClusterMetadata = stored(&c.metadata, "cluster metadata")?;
    metadata.name = Some(c.name.clone());
    metadata.uid = Some(c.id.to_string());
    metadata.creation_timestamp = Some(go_time(c.created_at));
    metadata.update_timestamp = Some(go_time(c.updated_at));
    metadata.annotations.get_or_insert_default().insert(VERSION_ANNOTATION.to_string(), c.version.clone());
    let mut spec: cce_wire::ClusterSpec = stored(&c.spec, "cluster spec")?;
    spec.version = Some(entry.map_or(c.version.as_str(), |e| e.release()).to_string());
    spec.platform_version = Some(entry.map_or("", |e| e.platform_version.as_str()).to_string());
    let status = cce_wire::ClusterStatus {
        phase: Some(c.phase.as_str().to_string()),
        job_id: Some(c.job_id.map(|j| j.to_string()).unwrap_or_default()),
        endpoints: Some(vec![cce_wire::ClusterEndpoints {
            url: Some(domain::cce::api_endpoint(c.id, c.flavor)),
            r#type: Some("Internal".to_string()),
        }]),
        ..Default::default()
    };
    Ok(cce_wire::Cluster {
        kind: Some("Cluster".to_string()),
        api_version: Some("v3".to_string()),
        metadata: Some(metadata),
        spec: Some(spec),
        status: Some(status),
    })
}

/// `list_clusters`' body.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CceClusterList")]
pub(crate) struct ClusterList {
    kind: &'static str,
    api_version: &'static str,
    items: Vec<cce_wire::Cluster>,
}

/// `POST …/clusters`: validates, seals the proxy key, records the cluster and its build job.
async fn create(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Json(body): Json<cce_wire::Cluster>,
) -> ApiResult<(StatusCode, JsonOut<cce_wire::Cluster>)> {
    let project = project_id(&caller)?;
    let new = domain::cce::validate_create(service.0, body)?;
    let id = CceClusterId::new();
    let sealed = new
        .proxy_private_key
        .as_ref()
        .map(|key| app.sealer.seal(key.as_bytes(), secrets::Context::CceProxyKey(&id.to_string())));
    let created = app
        .store
        .cce_cluster_create(&caller.actor(), &project, &new, sealed, app.config.quotas.clusters, id)
        .await?;
    Ok((StatusCode::CREATED, JsonOut(cluster_view(&service, &created)?)))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct ListQuery {
    status: Option<String>,
    #[serde(rename = "type")]
    cluster_type: Option<String>,
    version: Option<String>,
    #[allow(dead_code)]
    detail: Option<String>,
}

async fn list(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Query(q): Query<ListQuery>,
) -> ApiResult<JsonOut<ClusterList>> {
    let filter = CceClusterFilter { phase: q.status, cluster_type: q.cluster_type, version: q.version };
    let clusters = app.store.cce_cluster_list(caller.domain_id(), service.0, &filter).await?;
    let items = clusters.iter().map(|c| cluster_view(&service, c)).collect::<Result<_, _>>()?;
    Ok(JsonOut(ClusterList { kind: "Cluster", api_version: "v3", items }))
}

async fn show(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<JsonOut<cce_wire::Cluster>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    Ok(JsonOut(cluster_view(&service, &c)?))
}

async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<JsonOut<cce_wire::Cluster>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let deleting = app.store.cce_cluster_delete(&caller.actor(), service.0, c.id).await?;
    Ok(JsonOut(cluster_view(&service, &deleting)?))
}

/// `GET …/jobs/{job_id}`: a job of the caller's clusters of this service (a cluster's creation or
/// deletion, a node pool's job, or an upgrade task's execution, e.g. the `jobid` of a node pool
/// upgrade).
async fn show_job(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<JsonOut<JobView>> {
    let not_found = || Error::not_found(domain::error::cce::NOT_FOUND).with_detail("no such job");
    let id: JobId = id.parse().map_err(|_| not_found())?;
    let job =
        app.store.job_get(id).await?.filter(|j| j.domain_id == caller.domain_id()).ok_or_else(not_found)?;
    let (cluster_id, job_type, cluster) = job_target(&app, &job).await?.ok_or_else(not_found)?;
    // A job of a cluster of the other service is not found; a deleted cluster's jobs stay visible.
    if cluster.as_ref().is_some_and(|c| c.flavor != service.0) {
        return Err(not_found().into());
    }
    Ok(JsonOut(JobView {
        kind: "Job",
        api_version: "v3",
        metadata: Metadata::new(job.id, job.created_at, job.updated_at),
        spec: JobSpec {
            job_type,
            cluster_uid: cluster_id,
            resource_id: job.cursor["nodePool"].as_str().unwrap_or(&job.resource_id).to_string(),
            resource_name: resource_name(cluster.as_ref(), &job.cursor),
            extend_param: BTreeMap::new(),
            sub_jobs: Vec::new(),
        },
        status: JobStatus { phase: job_phase(&job), reason: job.last_error.clone().unwrap_or_default() },
    }))
}

/// `show_job`'s body: a CCE `Job`.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CceJob")]
pub(crate) struct JobView {
    kind: &'static str,
    api_version: &'static str,
    metadata: Metadata,
    spec: JobSpec,
    status: JobStatus,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CceJobSpec")]
struct JobSpec {
    #[serde(rename = "type")]
    job_type: String,
    #[serde(rename = "clusterUID")]
    cluster_uid: CceClusterId,
    #[serde(rename = "resourceID")]
    resource_id: String,
    #[serde(rename = "resourceName")]
    resource_name: String,
    #[serde(rename = "extendParam")]
    extend_param: BTreeMap<String, String>,
    /// ucsd's jobs have no sub-jobs.
    #[serde(rename = "subJobs")]
    sub_jobs: Vec<JobView>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CceJobStatus")]
struct JobStatus {
    phase: &'static str,
    reason: String,
}

/// What a CCE job acts on: its cluster's id, the job type the API names, and the cluster if it still
/// exists; `None` for a job of no CCE cluster.
async fn job_target(
    app: &AppState,
    job: &domain::job::Job,
) -> Result<Option<(CceClusterId, String, Option<CceCluster>)>, ApiError> {
    let (cluster_id, job_type) = match job.resource_type.as_str() {
        "cce_cluster" => {
            let kind = match job.kind {
                JobKind::CceClusterDelete => "DeleteCluster",
                // A node pool's job shows what it was enqueued for (CreateNodePool, ScaleNodePool, …).
                JobKind::NodePoolSync => job.cursor["type"].as_str().unwrap_or("ScaleNodePool"),
                _ => "CreateCluster",
            };
            let Ok(id) = job.resource_id.parse::<CceClusterId>() else { return Ok(None) };
            (id, kind.to_string())
        }
        "upgrade_task" => {
            let task_id = store::upgrade::task_of_job(&job.resource_id)?;
            let Some(task) = app.store.upgrade_task_by_id(task_id).await? else { return Ok(None) };
            (task.cluster_id, format!("Upgrade{}", task.task_type.as_str()))
        }
        _ => return Ok(None),
    };
    let cluster = app.store.cce_cluster_by_id(cluster_id).await?;
    Ok(Some((cluster_id, job_type, cluster)))
}

/// The CCE phase of a job.
fn job_phase(job: &domain::job::Job) -> &'static str {
    match job.state {
        JobState::Pending if job.started_at.is_none() => "Initializing",
        JobState::Pending | JobState::Running | JobState::Paused => "Running",
        JobState::Succeeded => "Success",
        JobState::Failed | JobState::Cancelled => "Failed",
    }
}

/// `GET /autopilot/v2/projects/{project_id}/jobs` (`list_autopilot_jobs`): the jobs of the caller's
/// Autopilot clusters, oldest first, a bare array in the v2 shape (lower-case keys).
async fn list_autopilot_jobs(
    State(app): State<AppState>,
    caller: Caller,
    _: NoParams,
) -> ApiResult<JsonOut<Vec<AutopilotJob>>> {
    let mut items = Vec::new();
    for job in app.store.cce_jobs(caller.domain_id()).await? {
        let Some((cluster_id, job_type, Some(cluster))) = job_target(&app, &job).await? else { continue };
        if cluster.flavor != Flavor::Autopilot {
            continue;
        }
        items.push(AutopilotJob {
            kind: "Job",
            api_version: "v3",
            metadata: Metadata::new(job.id, job.created_at, job.updated_at),
            spec: AutopilotJobSpec {
                job_type,
                cluster_uid: cluster_id,
                resource_id: job.resource_id.clone(),
                resource_name: cluster.name,
                extend_param: BTreeMap::new(),
                sub_jobs: Vec::new(),
            },
            status: AutopilotJobStatus {
                status: job_phase(&job),
                reason: job.last_error.clone().unwrap_or_default(),
                completion_time: job.finished_at.map(go_time).unwrap_or_default(),
            },
        });
    }
    Ok(JsonOut(items))
}

/// A job of `list_autopilot_jobs`: the v2 shape, with lower-case spec keys.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AutopilotJob {
    kind: &'static str,
    api_version: &'static str,
    metadata: Metadata,
    spec: AutopilotJobSpec,
    status: AutopilotJobStatus,
}

#[derive(Serialize, JsonSchema)]
struct AutopilotJobSpec {
    #[serde(rename = "type")]
    job_type: String,
    #[serde(rename = "clusteruid")]
    cluster_uid: CceClusterId,
    #[serde(rename = "resourceid")]
    resource_id: String,
    #[serde(rename = "resourcename")]
    resource_name: String,
    #[serde(rename = "extendparam")]
    extend_param: BTreeMap<String, String>,
    /// ucsd's jobs have no sub-jobs.
    #[serde(rename = "subjobs")]
    sub_jobs: Vec<AutopilotJob>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct AutopilotJobStatus {
    status: &'static str,
    reason: String,
    completion_time: String,
}

/// The name of what a job acts on: the node pool of a node pool's job, else the cluster.
fn resource_name(cluster: Option<&CceCluster>, cursor: &Value) -> String {
    let Some(cluster) = cluster else { return String::new() };
    match cursor["nodePool"].as_str() {
        Some(pool) => {
            cluster.node_pools.iter().find(|p| p.id == pool).map(|p| p.name.clone()).unwrap_or_default()
        }
        None => cluster.name.clone(),
    }
}
