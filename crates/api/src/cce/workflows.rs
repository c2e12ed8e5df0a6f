//! Upgrade information (C01–C04, C24–C27) computed from the catalogue, and upgrade workflows
//! (C05–C08, C28–C31) whose points are projected from their tasks.

use axum::{extract::State, http::StatusCode, Json as JsonOut};
use domain::{
    authz::actions,
    cce::CcePhase,
    error::cce,
    ids::UpgradeWorkflowId,
    upgrade::{
        catalogue::release_of,
        request::{VersionSpec, WorkflowCreate},
        task::{TaskType, UpgradeTask},
        workflow::{self as workflow_sm, Points, UpgradeWorkflow, WorkflowPhase, LINES, POINTS},
    },
    Error,
};
use serde_json::{json, Value};

use super::{cluster, go_time, route, str_at, version_of, Service};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    extract::{Json, NoParams, Path},
    routes::Route,
    AppState,
};
use domain::cce_wire;

const WORKFLOWS: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgradeworkflows";
const WORKFLOW: &str =
    "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgradeworkflows/{upgrade_workflow_id}";

pub(super) fn routes() -> Vec<Route> {
    [
        route(
            Route::get,
            "/api/v3/projects/{project_id}/clusters/{cluster_id}/upgradeinfo",
            true,
            actions::UPGRADE_INFO_GET,
            upgrade_info,
        ),
        route(Route::get, "/api/v3/clusterupgradepaths", true, actions::UPGRADE_PATHS_LIST, upgrade_paths),
        route(
            Route::get,
            "/api/v3/clusterupgradefeaturegates",
            true,
            actions::UPGRADE_FEATURE_GATES_GET,
            upgrade_feature_gates,
        ),
        route(Route::get, "/api/v3.1/feature-gates", true, actions::UPGRADE_FEATURE_GATES_GET, feature_gates),
        route(Route::post, WORKFLOWS, true, actions::UPGRADE_WORKFLOW_CREATE, create),
        route(Route::get, WORKFLOWS, true, actions::UPGRADE_WORKFLOW_LIST, list),
        route(Route::get, WORKFLOW, true, actions::UPGRADE_WORKFLOW_GET, show),
        route(Route::patch, WORKFLOW, true, actions::UPGRADE_WORKFLOW_UPDATE, update),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `UpgradeInfoStatus` of the newest cluster upgrade task.
pub fn upgrade_status(task: &UpgradeTask) -> Value {
    json!({
        "phase": task.status.as_str(),
        "progress": task.progress(),
        "completionTime": task.finished_at.map(go_time).unwrap_or_default(),
    })
}

async fn upgrade_info(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let entry = version_of(&service, &c)?;
    let tasks = app.store.upgrade_task_list(c.id, &[TaskType::Cluster]).await?;
    let last = tasks.last().map(upgrade_status);
    let gates = &service.catalogue().feature_gates;
    let mut spec = json!({
        "versionInfo": {
            "release": entry.release(),
            "patch": entry.patch(),
            "suggestPatch": entry.patch(),
            "targetVersions": entry.target_versions,
        },
        "upgradeFeatureGates": {
            "supportUpgradePageV4": gates.get("supportUpgradePageV4").is_some_and(|v| v == "true"),
        },
    });
    if let Some(last) = &last {
        spec["lastUpgradeInfo"] = last.clone();
    }
    let mut body = json!({
        "kind": "UpgradeInfo",
        "apiVersion": "v3",
        "metadata": { "uid": c.id, "name": c.name },
        "spec": spec,
    });
    if let Some(last) = last {
        body["status"] = last;
    }
    Ok(JsonOut(body))
}

async fn upgrade_paths(service: Service) -> JsonOut<Value> {
    let paths: Vec<Value> = service
        .catalogue()
        .versions
        .iter()
        .map(|v| json!({ "version": v.version, "platformVersion": v.platform_version, "targetVersions": v.target_versions }))
        .collect();
    JsonOut(json!({ "apiVersion": "v3", "kind": "UpgradePath", "metadata": {}, "upgradePaths": paths }))
}

async fn upgrade_feature_gates(service: Service) -> JsonOut<Value> {
    JsonOut(json!({
        "apiVersion": "v3",
        "kind": "UpgradeFeatureGates",
        "metadata": {},
        "upgradeFeatureGates": service.catalogue().feature_gates,
    }))
}

async fn feature_gates(service: Service) -> JsonOut<Value> {
    let spec: serde_json::Map<String, Value> = service
        .catalogue()
        .feature_gates
        .iter()
        .map(|(k, v)| (k.clone(), v.parse::<bool>().map_or_else(|_| json!(v), Value::Bool)))
        .collect();
    JsonOut(json!({ "kind": "Configuration", "apiVersion": "v3.1", "spec": spec }))
}

/// `PointStatus` of one point: its newest task, or only the type before one exists.
fn point_view(task_type: TaskType, tasks: &[UpgradeTask]) -> Value {
    let Some(task) = tasks.iter().rev().find(|t| t.task_type == task_type) else {
        return json!({ "taskType": task_type.as_str() });
    };
    let mut point = json!({
        "taskType": task_type.as_str(),
        "taskID": task.id,
        "status": task.status.as_str(),
    });
    if let Some(start) = task.started_at {
        point["startTimeStamp"] = json!(go_time(start));
    }
    if let Some(end) = task.finished_at {
        point["endTimeStamp"] = json!(go_time(end));
    }
    if let Some(expiry) = task.expires_at {
        point["expireTimeStamp"] = json!(go_time(expiry));
    }
    point
}

/// The `WorkFlowTask` object of the wire.
pub fn workflow_view(w: &UpgradeWorkflow, tasks: &[UpgradeTask]) -> Value {
    // The phase as the tasks shown give it (the row and the tasks are read one after the other; a
    // task that ended in between must not show beside an older phase). Cancel is the user's.
    let mut points = Points::default();
    for t in tasks {
        points.set(t.task_type, t.status);
    }
    let phase = if w.phase.is_terminal() { w.phase } else { workflow_sm::phase(false, &points) };
    let point_views: Vec<Value> = POINTS.iter().map(|t| point_view(*t, tasks)).collect();
    let lines: Vec<Value> = LINES
        .iter()
        .map(|(from, to, critical)| {
            json!({
                "startPoint": { "taskType": from.as_str() },
                "endPoint": { "taskType": to.as_str() },
                "critical": critical,
            })
        })
        .collect();
    json!({
        "kind": "WorkFlowTask",
        "apiVersion": "v3",
        "metadata": {
            "uid": w.id,
            "creationTimestamp": go_time(w.created_at),
            "updateTimestamp": go_time(w.updated_at),
        },
        "spec": { "clusterID": w.cluster_id, "clusterVersion": w.cluster_version, "targetVersion": w.target_version },
        "status": { "phase": phase.as_str(), "pointStatuses": point_views, "lineStatuses": lines },
    })
}

async fn view(app: &AppState, w: &UpgradeWorkflow) -> Result<Value, ApiError> {
    let tasks = app.store.upgrade_workflow_tasks(w.id).await?;
    Ok(workflow_view(w, &tasks))
}

/// The versions a body not typed yet names (`clusterID`, `clusterVersion`, `targetVersion`).
pub fn versions_in(spec: &Value) -> VersionSpec {
    let at = |pointer| str_at(spec, pointer).map(str::to_string);
    VersionSpec {
        cluster_id: at("/clusterID"),
        cluster_version: at("/clusterVersion"),
        target_version: at("/targetVersion"),
    }
}

/// Checks `clusterVersion` against the cluster and `targetVersion` against its upgrade paths; the
/// target's full version.
pub fn check_versions(
    service: &Service,
    c: &domain::cce::CceCluster,
    spec: &VersionSpec,
    target_required: bool,
) -> Result<String, ApiError> {
    if c.phase == CcePhase::Upgrading {
        return Err(Error::new(cce::UPGRADE_IN_PROGRESS).with_detail("the cluster is being upgraded").into());
    }
    if c.phase != CcePhase::Available {
        return Err(Error::new(cce::CLUSTER_NOT_AVAILABLE)
            .with_detail(format!("the cluster is {}", c.phase.as_str()))
            .into());
    }
    if let Some(id) = spec.cluster_id.as_deref().filter(|id| !id.is_empty()) {
        if id != c.id.to_string() {
            return Err(
                Error::invalid_body(format!("spec.clusterID {id:?} is not the path's cluster")).into()
            );
        }
    }
    if let Some(version) = spec.cluster_version.as_deref() {
        if version != c.version
            && version != release_of(&c.version)
            && version != version_of(service, c)?.patch_release()
        {
            return Err(Error::invalid_body(format!(
                "spec.clusterVersion {version:?} is not the cluster's version {}",
                c.version
            ))
            .into());
        }
    }
    let target = match spec.target_version.as_deref() {
        Some(t) => t,
        None if target_required => return Err(Error::invalid_body("spec.targetVersion is required").into()),
        None => return Ok(String::new()),
    };
    service.catalogue().upgrade_target(&c.version, target).map(|entry| entry.version.clone()).ok_or_else(
        || {
            let paths = version_of(service, c).map(|e| e.target_versions.clone()).unwrap_or_default();
            ApiError(Error::new(cce::NOT_AN_UPGRADE_PATH).with_detail(format!(
                "{target:?} is not an upgrade path of {}; the paths are {paths:?}",
                c.version
            )))
        },
    )
}

async fn create(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<WorkflowCreate>,
) -> ApiResult<(StatusCode, JsonOut<Value>)> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let spec = body.validate()?;
    let target = check_versions(&service, &c, &spec, true)?;
    let w = app.store.upgrade_workflow_create(&caller.actor(), &c, &target).await?;
    Ok((StatusCode::CREATED, JsonOut(view(&app, &w).await?)))
}

async fn list(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    _: NoParams,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let mut items = Vec::new();
    for w in app.store.upgrade_workflow_list(c.id).await? {
        items.push(view(&app, &w).await?);
    }
    Ok(JsonOut(json!({ "kind": "List", "apiVersion": "v3", "items": items })))
}

fn workflow_id(raw: &str) -> Result<UpgradeWorkflowId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError(Error::not_found(cce::NOT_FOUND).with_detail("no such upgrade workflow")))
}

async fn show(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, workflow)): Path<(String, String, String)>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let w = app.store.upgrade_workflow_get(c.id, workflow_id(&workflow)?).await?;
    Ok(JsonOut(view(&app, &w).await?))
}

async fn update(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, workflow)): Path<(String, String, String)>,
    Json(body): Json<cce_wire::UpgradeWorkFlowUpdateRequestBody>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let workflow = workflow_id(&workflow)?;
    let requested =
        body.status.and_then(|s| s.phase).ok_or_else(|| Error::invalid_body("status.phase is required"))?;
    let requested = requested.as_str();
    let phase = WorkflowPhase::parse(requested)
        .ok_or_else(|| Error::invalid_body(format!("status.phase {requested:?} is not a workflow phase")))?;
    let w = app.store.upgrade_workflow_patch(&caller.actor(), c.id, workflow, phase).await?;
    Ok(JsonOut(view(&app, &w).await?))
}
