//! Upgrade information (C01–C04, C24–C27) computed from the catalogue, and upgrade workflows
//! (C05–C08, C28–C31) whose points are projected from their tasks.

use axum::{extract::State, http::StatusCode, Json as JsonOut};
use domain::{
    authz::actions,
    cce::CcePhase,
    error::cce,
    ids::{CceClusterId, UpgradeTaskId, UpgradeWorkflowId},
    upgrade::{
        catalogue::release_of,
        request::{VersionSpec, WorkflowCreate},
        task::{TaskType, UpgradeTask},
        workflow::{self as workflow_sm, Points, UpgradeWorkflow, WorkflowPhase, LINES, POINTS},
    },
    Error,
};
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::{cluster, go_time, route, tasks::TaskProgress, version_of, Empty, Metadata, Service};
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

/// `show_upgrade_info`'s body.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpgradeInfo {
    kind: &'static str,
    api_version: &'static str,
    metadata: UpgradeInfoMetadata,
    spec: UpgradeInfoSpec,
    /// The newest cluster upgrade's, once there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<TaskProgress>,
}

#[derive(Serialize, JsonSchema)]
struct UpgradeInfoMetadata {
    uid: CceClusterId,
    name: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct UpgradeInfoSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    last_upgrade_info: Option<TaskProgress>,
    version_info: UpgradeVersionInfo,
    upgrade_feature_gates: UpgradeFeatureGates,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct UpgradeVersionInfo {
    release: String,
    patch: String,
    suggest_patch: String,
    target_versions: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct UpgradeFeatureGates {
    support_upgrade_page_v4: bool,
}

async fn upgrade_info(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<JsonOut<UpgradeInfo>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let entry = version_of(&service, &c)?;
    let tasks = app.store.upgrade_task_list(c.id, &[TaskType::Cluster]).await?;
    let last = tasks.last().map(TaskProgress::of);
    let gates = &service.catalogue().feature_gates;
    let spec = UpgradeInfoSpec {
        last_upgrade_info: last.clone(),
        version_info: UpgradeVersionInfo {
            release: entry.release().to_string(),
            patch: entry.patch().to_string(),
            suggest_patch: entry.patch().to_string(),
            target_versions: entry.target_versions.clone(),
        },
        upgrade_feature_gates: UpgradeFeatureGates {
            support_upgrade_page_v4: gates.get("supportUpgradePageV4").is_some_and(|v| v == "true"),
        },
    };
    Ok(JsonOut(UpgradeInfo {
        kind: "UpgradeInfo",
        api_version: "v3",
        metadata: UpgradeInfoMetadata { uid: c.id, name: c.name },
        spec,
        status: last,
    }))
}

/// `list_cluster_upgrade_paths`' body.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpgradePaths {
    api_version: &'static str,
    kind: &'static str,
    metadata: Empty,
    upgrade_paths: Vec<UpgradePath>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct UpgradePath {
    version: String,
    platform_version: String,
    target_versions: Vec<String>,
}

async fn upgrade_paths(service: Service) -> JsonOut<UpgradePaths> {
    let upgrade_paths = service
        .catalogue()
        .versions
        .iter()
        .map(|v| UpgradePath {
            version: v.version.clone(),
            platform_version: v.platform_version.clone(),
            target_versions: v.target_versions.clone(),
        })
        .collect();
    JsonOut(UpgradePaths { api_version: "v3", kind: "UpgradePath", metadata: Empty {}, upgrade_paths })
}

/// `list_cluster_upgrade_feature_gates`' body: the catalogue's gates as it spells them.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ClusterUpgradeFeatureGates")]
pub(crate) struct UpgradeFeatureGateList {
    api_version: &'static str,
    kind: &'static str,
    metadata: Empty,
    upgrade_feature_gates: BTreeMap<String, String>,
}

async fn upgrade_feature_gates(service: Service) -> JsonOut<UpgradeFeatureGateList> {
    JsonOut(UpgradeFeatureGateList {
        api_version: "v3",
        kind: "UpgradeFeatureGates",
        metadata: Empty {},
        upgrade_feature_gates: service.catalogue().feature_gates.clone(),
    })
}

/// `show_feature_gates`' body: each gate a boolean where its value reads as one, else its text.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FeatureGates {
    kind: &'static str,
    api_version: &'static str,
    spec: BTreeMap<String, GateValue>,
}

#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "FeatureGateValue")]
enum GateValue {
    Bool(bool),
    Text(String),
}

async fn feature_gates(service: Service) -> JsonOut<FeatureGates> {
    let spec = service
        .catalogue()
        .feature_gates
        .iter()
        .map(|(k, v)| {
            (k.clone(), v.parse::<bool>().map_or_else(|_| GateValue::Text(v.clone()), GateValue::Bool))
        })
        .collect();
    JsonOut(FeatureGates { kind: "Configuration", api_version: "v3.1", spec })
}

/// `PointStatus` of one point: its newest task, or only the type before one exists.
fn point_view(task_type: TaskType, tasks: &[UpgradeTask]) -> PointStatus {
    let Some(task) = tasks.iter().rev().find(|t| t.task_type == task_type) else {
        return PointStatus { task_type: task_type.as_str(), ..Default::default() };
    };
    PointStatus {
        task_type: task_type.as_str(),
        task_id: Some(task.id),
        status: Some(task.status.as_str()),
        start_time_stamp: task.started_at.map(go_time),
        end_time_stamp: task.finished_at.map(go_time),
        expire_time_stamp: task.expires_at.map(go_time),
    }
}

/// The `WorkFlowTask` object of the wire.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WorkFlowTask {
    kind: &'static str,
    api_version: &'static str,
    metadata: Metadata,
    spec: WorkFlowSpec,
    status: WorkFlowStatus,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct WorkFlowSpec {
    #[serde(rename = "clusterID")]
    cluster_id: CceClusterId,
    cluster_version: String,
    target_version: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct WorkFlowStatus {
    phase: &'static str,
    point_statuses: Vec<PointStatus>,
    line_statuses: Vec<LineStatus>,
}

/// A point of a workflow: a task type and its newest task, once there is one.
#[derive(Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct PointStatus {
    task_type: &'static str,
    #[serde(rename = "taskID", skip_serializing_if = "Option::is_none")]
    task_id: Option<UpgradeTaskId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time_stamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time_stamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expire_time_stamp: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct LineStatus {
    start_point: Point,
    end_point: Point,
    critical: bool,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "WorkFlowPoint")]
struct Point {
    task_type: &'static str,
}

/// The `WorkFlowTask` object of the wire.
pub fn workflow_view(w: &UpgradeWorkflow, tasks: &[UpgradeTask]) -> WorkFlowTask {
    // The phase as the tasks shown give it (the row and the tasks are read one after the other; a
    // task that ended in between must not show beside an older phase). Cancel is the user's.
    let mut points = Points::default();
    for t in tasks {
        points.set(t.task_type, t.status);
    }
    let phase = if w.phase.is_terminal() { w.phase } else { workflow_sm::phase(false, &points) };
    let point_statuses = POINTS.iter().map(|t| point_view(*t, tasks)).collect();
    let line_statuses = LINES
        .iter()
        .map(|(from, to, critical)| LineStatus {
            start_point: Point { task_type: from.as_str() },
            end_point: Point { task_type: to.as_str() },
            critical: *critical,
        })
        .collect();
    WorkFlowTask {
        kind: "WorkFlowTask",
        api_version: "v3",
        metadata: Metadata::new(w.id, w.created_at, w.updated_at),
        spec: WorkFlowSpec {
            cluster_id: w.cluster_id,
            cluster_version: w.cluster_version.clone(),
            target_version: w.target_version.clone(),
        },
        status: WorkFlowStatus { phase: phase.as_str(), point_statuses, line_statuses },
    }
}

async fn view(app: &AppState, w: &UpgradeWorkflow) -> Result<WorkFlowTask, ApiError> {
    let tasks = app.store.upgrade_workflow_tasks(w.id).await?;
    Ok(workflow_view(w, &tasks))
}

/// `list_upgrade_work_flows`' body.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpgradeWorkFlowList {
    kind: &'static str,
    api_version: &'static str,
    items: Vec<WorkFlowTask>,
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
) -> ApiResult<(StatusCode, JsonOut<WorkFlowTask>)> {
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
) -> ApiResult<JsonOut<UpgradeWorkFlowList>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let mut items = Vec::new();
    for w in app.store.upgrade_workflow_list(c.id).await? {
        items.push(view(&app, &w).await?);
    }
    Ok(JsonOut(UpgradeWorkFlowList { kind: "List", api_version: "v3", items }))
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
) -> ApiResult<JsonOut<WorkFlowTask>> {
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
) -> ApiResult<JsonOut<WorkFlowTask>> {
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
