//! Upgrade tasks: prechecks (C09–C11), snapshots (C12–C13), the cluster upgrade and its tasks
//! (C14–C19), postchecks (C20), node pool upgrades (C21), addon prechecks (C22–C23) and Autopilot
//! upgrade plans (C42–C43). Each create records the task and its job; the engine runs it.

use axum::{extract::State, Json as JsonOut};
use chrono::{NaiveDate, TimeZone, Utc};
use domain::{
    authz::actions,
    cce::{CceCluster, DEFAULT_POOL},
    error::cce,
    ids::{CceClusterId, UpgradePlanId, UpgradeTaskId},
    upgrade::{
        precheck::{AddonCheckRisk, Finding, Level},
        request::{ClusterUpgrade, NodePoolUpgrade, Postcheck, Precheck, PrecheckSpec, VersionSpec},
        task::{cluster_steps, TaskStatus, TaskType, UpgradeTask},
        UpgradePlan,
    },
    Error,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use store::upgrade::{NewTask, TaskControl};

use super::{
    cluster, go_time, route, stored, version_of, workflows::check_versions, Empty, Metadata, Service,
};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    extract::{Json, NoParams, Path, Query},
    routes::Route,
    AppState,
};
use domain::cce_wire;

pub(super) fn routes() -> Vec<Route> {
    const PRECHECK: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/precheck";
    const PRECHECK_TASKS: &str =
        "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/precheck/tasks";
    const PRECHECK_TASK: &str =
        "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/precheck/tasks/{task_id}";
    const SNAPSHOT: &str = "/api/v3.1/projects/{project_id}/clusters/{cluster_id}/operation/snapshot";
    const SNAPSHOT_TASKS: &str =
        "/api/v3.1/projects/{project_id}/clusters/{cluster_id}/operation/snapshot/tasks";
    const UPGRADE: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade";
    const UPGRADE_TASKS: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/tasks";
    const UPGRADE_TASK: &str =
        "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/tasks/{task_id}";
    const PAUSE: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/pause";
    const CONTINUE: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/continue";
    const RETRY: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/retry";
    const POSTCHECK: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/postcheck";
    const NODE_POOL: &str =
        "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools/{nodepool_id}/operation/upgrade";
    const ADDON_PRECHECK: &str = "/api/v3/projects/{project_id}/clusters/{cluster_id}/addons/precheck";
    const ADDON_PRECHECK_TASKS: &str =
        "/api/v3/projects/{project_id}/clusters/{cluster_id}/addons/precheck/tasks";
    const PLANS: &str = "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/upgradeplans";
    const PLAN: &str =
        "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/upgradeplans/{upgrade_plan_id}";
    [
        route(Route::post, PRECHECK, true, actions::PRECHECK_CREATE, create_precheck),
        route(Route::get, PRECHECK_TASKS, true, actions::PRECHECK_LIST, list_prechecks),
        route(Route::get, PRECHECK_TASK, true, actions::PRECHECK_LIST, show_precheck),
        route(Route::post, SNAPSHOT, true, actions::SNAPSHOT_CREATE, create_snapshot),
        route(Route::get, SNAPSHOT_TASKS, true, actions::SNAPSHOT_LIST, list_snapshots),
        route(Route::post, UPGRADE, true, actions::UPGRADE_CLUSTER, upgrade),
        route(Route::get, UPGRADE_TASKS, true, actions::UPGRADE_TASK_LIST, list_upgrade_tasks),
        route(Route::get, UPGRADE_TASK, true, actions::UPGRADE_TASK_LIST, show_upgrade_task),
        route(Route::post, PAUSE, true, actions::UPGRADE_TASK_PAUSE, control::<0>),
        route(Route::post, CONTINUE, true, actions::UPGRADE_TASK_CONTINUE, control::<1>),
        route(Route::post, RETRY, true, actions::UPGRADE_TASK_RETRY, control::<2>),
        route(Route::post, POSTCHECK, true, actions::POSTCHECK_CREATE, create_postcheck),
        route(Route::post, NODE_POOL, false, actions::NODE_POOL_UPGRADE, upgrade_node_pool),
        route(Route::post, ADDON_PRECHECK, false, actions::ADDON_PRECHECK_CREATE, create_addon_precheck),
        route(Route::get, ADDON_PRECHECK_TASKS, false, actions::ADDON_PRECHECK_LIST, list_addon_prechecks),
        route(Route::get, PLANS, false, actions::UPGRADE_PLAN_LIST, list_plans),
        route(Route::put, PLAN, false, actions::UPGRADE_PLAN_UPDATE, delay_plan),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn task_metadata(t: &UpgradeTask) -> Metadata {
    Metadata::new(t.id, t.created_at, t.updated_at)
}

/// A `metadata` that names only the task.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "UpgradeTaskUid")]
struct TaskUid {
    uid: UpgradeTaskId,
}

fn task_id(raw: &str) -> Result<UpgradeTaskId, ApiError> {
    raw.parse().map_err(|_| ApiError(Error::not_found(cce::NOT_FOUND).with_detail("no such task")))
}

fn new_task(
    app: &AppState,
    task_type: TaskType,
    target: String,
    request: Value,
    steps: Vec<String>,
) -> NewTask {
    NewTask {
        id: None,
        task_type,
        target_version: target,
        request,
        steps,
        requires_precheck: task_type == TaskType::Cluster,
        step_attempts: app.config.upgrade_step_attempts,
    }
}

fn fixed_steps(task_type: TaskType) -> Vec<String> {
    task_type.fixed_steps().iter().map(|s| s.to_string()).collect()
}

// ---- prechecks

/// The `PreCheckTask` object: its findings grouped as the wire groups them.
fn precheck_view(t: &UpgradeTask, c: &CceCluster) -> Result<PreCheckTask, ApiError> {
    let findings: Vec<Finding> =
        stored(t.result.get("findings").unwrap_or(&Value::Null), "precheck findings")?;
    let group = |names: &[&str]| -> Vec<Finding> {
        findings.iter().filter(|f| names.contains(&f.group.as_ref())).cloned().collect()
    };
    let phase = match t.status {
        TaskStatus::Init => "Init",
        TaskStatus::Success => "Success",
        TaskStatus::Failed => "Failed",
        _ => "Running",
    };
    let group_phase = |items: &[Finding]| {
        if phase != "Success" && phase != "Failed" {
            phase
        } else if items.iter().any(|f| f.level == Level::Fatal) {
            "Failed"
        } else {
            "Success"
        }
    };
    let checked = |items: Vec<Finding>| CheckGroupStatus { phase: group_phase(&items), items_status: items };
    let node_items = group(&["NodeCheck"]);
    let nodes = c
        .node_pools
        .iter()
        .flat_map(|p| p.nodes.iter())
        .map(|n| NodeStageStatus {
            node_info: NodeInfo {
                uid: n.uid.clone(),
                name: n.name.clone(),
                status: "Active",
                node_type: "node",
            },
            items_status: node_items
                .iter()
                .filter(|f| f.risk_source.node_risks.first().is_some_and(|r| r.node_id == n.uid))
                .cloned()
                .collect(),
        })
        .collect();
    let status = PrecheckStatus {
        phase,
        expire_time_stamp: t.expires_at.map(go_time),
        message: t.message.clone(),
        cluster_check_status: checked(group(&["LimitCheck", "MasterCheck"])),
        addon_check_status: checked(group(&["AddonCheck"])),
        node_check_status: NodeCheckStatus { phase: group_phase(&node_items), node_stage_status: nodes },
    };
    Ok(PreCheckTask {
        api_version: "v3",
        kind: "PreCheckTask",
        metadata: task_metadata(t),
        spec: stored(&t.request, "precheck request")?,
        status,
    })
}

/// The `PreCheckTask` object of the wire.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PreCheckTask {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: PrecheckSpec,
    status: PrecheckStatus,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct PrecheckStatus {
    phase: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expire_time_stamp: Option<String>,
    message: String,
    cluster_check_status: CheckGroupStatus,
    addon_check_status: CheckGroupStatus,
    node_check_status: NodeCheckStatus,
}

/// The findings of one group of checks (or of addon checks) and its phase.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct CheckGroupStatus {
    phase: &'static str,
    items_status: Vec<Finding>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct NodeCheckStatus {
    phase: &'static str,
    node_stage_status: Vec<NodeStageStatus>,
}

/// A node and its findings.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct NodeStageStatus {
    node_info: NodeInfo,
    items_status: Vec<Finding>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct NodeInfo {
    uid: String,
    name: String,
    status: &'static str,
    node_type: &'static str,
}

/// `list_pre_check_tasks`' body.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PreCheckTaskList {
    api_version: &'static str,
    kind: &'static str,
    metadata: Empty,
    items: Vec<PreCheckTask>,
}

async fn create_precheck(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<Precheck>,
) -> ApiResult<JsonOut<PreCheckTask>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let spec = body.validate()?;
    let target = check_versions(&service, &c, &spec.versions(), true)?;
    let task = new_task(&app, TaskType::PreCheck, target, json!(spec), fixed_steps(TaskType::PreCheck));
    let t = app.store.upgrade_task_create(&caller.actor(), &c, task).await?;
    Ok(JsonOut(precheck_view(&t, &c)?))
}

async fn list_prechecks(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    _: NoParams,
) -> ApiResult<JsonOut<PreCheckTaskList>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let tasks = app.store.upgrade_task_list(c.id, &[TaskType::PreCheck]).await?;
    let items = tasks.iter().rev().map(|t| precheck_view(t, &c)).collect::<Result<_, _>>()?;
    Ok(JsonOut(PreCheckTaskList { api_version: "v3", kind: "List", metadata: Empty {}, items }))
}

/// A task of `task_type` of the cluster, by its path id.
async fn typed_task(
    app: &AppState,
    c: &CceCluster,
    raw: &str,
    task_type: TaskType,
) -> Result<UpgradeTask, ApiError> {
    let t = app.store.upgrade_task_get(c.id, task_id(raw)?).await?;
    if t.task_type != task_type {
        return Err(Error::not_found(cce::NOT_FOUND).with_detail("no such task").into());
    }
    Ok(t)
}

async fn show_precheck(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, task)): Path<(String, String, String)>,
) -> ApiResult<JsonOut<PreCheckTask>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let t = typed_task(&app, &c, &task, TaskType::PreCheck).await?;
    Ok(JsonOut(precheck_view(&t, &c)?))
}

// ---- snapshots

fn snapshot_view(t: &UpgradeTask) -> SnapshotTask {
    SnapshotTask {
        kind: "SnapshotTask",
        api_version: "v3.1",
        metadata: task_metadata(t),
        spec: SnapshotSpec {
            items: vec![SnapshotItem {
                id: t.id,
                item_type: "master-backup",
                status: t.status.as_str(),
                creation_timestamp: go_time(t.created_at),
                update_timestamp: go_time(t.updated_at),
                message: t.message.clone(),
            }],
        },
        status: TaskProgress::of(t),
    }
}

/// A snapshot task of `list_cluster_master_snapshot_tasks`.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct SnapshotTask {
    kind: &'static str,
    api_version: &'static str,
    metadata: Metadata,
    spec: SnapshotSpec,
    status: TaskProgress,
}

#[derive(Serialize, JsonSchema)]
struct SnapshotSpec {
    items: Vec<SnapshotItem>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct SnapshotItem {
    id: UpgradeTaskId,
    #[serde(rename = "type")]
    item_type: &'static str,
    status: &'static str,
    creation_timestamp: String,
    update_timestamp: String,
    message: String,
}

/// A task's phase and progress (`UpgradeInfoStatus`).
#[derive(Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UpgradeInfoStatus")]
pub(super) struct TaskProgress {
    phase: &'static str,
    progress: String,
    completion_time: String,
}

impl TaskProgress {
    pub(super) fn of(t: &UpgradeTask) -> Self {
        Self {
            phase: t.status.as_str(),
            progress: t.progress(),
            completion_time: t.finished_at.map(go_time).unwrap_or_default(),
        }
    }
}

/// `create_cluster_master_snapshot`'s body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SnapshotTaskCreated")]
pub(crate) struct SnapshotCreated {
    uid: UpgradeTaskId,
    metadata: SnapshotCreatedMetadata,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct SnapshotCreatedMetadata {
    api_version: &'static str,
    kind: &'static str,
}

/// `list_cluster_master_snapshot_tasks`' body.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SnapshotTaskList {
    api_version: &'static str,
    kind: &'static str,
    metadata: Empty,
    items: Vec<SnapshotTask>,
    status: SnapshotListStatus,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct SnapshotListStatus {
    latest_backup_time: String,
}

async fn create_snapshot(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<JsonOut<SnapshotCreated>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    check_versions(&service, &c, &VersionSpec::default(), false)?;
    // A snapshot belongs to the workflow under way (its target), if there is one.
    let target = app
        .store
        .upgrade_workflow_list(c.id)
        .await?
        .into_iter()
        .find(|w| !w.phase.is_terminal())
        .map_or_else(|| c.version.clone(), |w| w.target_version);
    let task = new_task(&app, TaskType::Snapshot, target, json!({}), fixed_steps(TaskType::Snapshot));
    let t = app.store.upgrade_task_create(&caller.actor(), &c, task).await?;
    let metadata = SnapshotCreatedMetadata { api_version: "v3.1", kind: "SnapshotTask" };
    Ok(JsonOut(SnapshotCreated { uid: t.id, metadata }))
}

async fn list_snapshots(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    _: NoParams,
) -> ApiResult<JsonOut<SnapshotTaskList>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let tasks = app.store.upgrade_task_list(c.id, &[TaskType::Snapshot]).await?;
    let latest = tasks.iter().filter(|t| t.status == TaskStatus::Success).filter_map(|t| t.finished_at).max();
    Ok(JsonOut(SnapshotTaskList {
        api_version: "v3.1",
        kind: "List",
        metadata: Empty {},
        items: tasks.iter().rev().map(snapshot_view).collect(),
        status: SnapshotListStatus { latest_backup_time: latest.map(go_time).unwrap_or_default() },
    }))
}

// ---- the cluster upgrade

async fn upgrade(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<cce_wire::UpgradeClusterRequestBody>,
) -> ApiResult<JsonOut<UpgradeStarted>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let upgrade = ClusterUpgrade::validate(body)?;
    let target = check_versions(&service, &c, &upgrade.versions, true)?;
    let steps = cluster_steps(&upgrade.pools_by_priority(&c.node_pools)?, upgrade.only_control_plane);
    let task = new_task(&app, TaskType::Cluster, target.clone(), upgrade.request, steps);
    let t = app.store.upgrade_task_create(&caller.actor(), &c, task).await?;
    let target_entry = service.catalogue().find(&target);
    Ok(JsonOut(UpgradeStarted {
        metadata: TaskUid { uid: t.id },
        spec: UpgradeStartedSpec {
            cluster_upgrade_action: UpgradeStartedAction {
                version: c.version.clone(),
                target_version: target,
                target_platform_version: target_entry.map(|e| e.platform_version.clone()).unwrap_or_default(),
                strategy: upgrade.strategy,
                config: Map::new(),
            },
        },
    }))
}

/// `upgrade_cluster`'s body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "UpgradeClusterResponse")]
pub(crate) struct UpgradeStarted {
    metadata: TaskUid,
    spec: UpgradeStartedSpec,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UpgradeResponseSpec")]
struct UpgradeStartedSpec {
    cluster_upgrade_action: UpgradeStartedAction,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UpgradeResponseAction")]
struct UpgradeStartedAction {
    version: String,
    target_version: String,
    target_platform_version: String,
    strategy: cce_wire::UpgradeStrategy,
    /// The upgrade's configuration (none in ucsd).
    config: Map<String, Value>,
}

/// The `UpgradeTask` object of the wire.
fn upgrade_task_view(t: &UpgradeTask) -> UpgradeTaskView {
    UpgradeTaskView {
        api_version: "v3",
        kind: "UpgradeTask",
        metadata: task_metadata(t),
        spec: UpgradeTaskSpec {
            version: t.version.clone(),
            target_version: t.target_version.clone(),
            items: UpgradeTaskItems { steps: t.steps.clone(), done_steps: t.done_steps },
        },
        status: UpgradeTaskStatus {
            phase: t.status.as_str(),
            progress: t.progress(),
            completion_time: t.finished_at.map(go_time).unwrap_or_default(),
            message: t.message.clone(),
        },
    }
}

/// The `UpgradeTask` object of the wire.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UpgradeTask")]
pub(crate) struct UpgradeTaskView {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: UpgradeTaskSpec,
    status: UpgradeTaskStatus,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct UpgradeTaskSpec {
    version: String,
    target_version: String,
    items: UpgradeTaskItems,
}

/// The task's steps and how many are done.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct UpgradeTaskItems {
    steps: Vec<String>,
    done_steps: usize,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct UpgradeTaskStatus {
    phase: &'static str,
    progress: String,
    completion_time: String,
    message: String,
}

/// `list_upgrade_cluster_tasks`' body.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpgradeTaskList {
    api_version: &'static str,
    kind: &'static str,
    metadata: Empty,
    items: Vec<UpgradeTaskView>,
}

async fn list_upgrade_tasks(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    _: NoParams,
) -> ApiResult<JsonOut<UpgradeTaskList>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let tasks = app.store.upgrade_task_list(c.id, &[TaskType::Cluster]).await?;
    let items = tasks.iter().map(upgrade_task_view).collect();
    Ok(JsonOut(UpgradeTaskList { api_version: "v3", kind: "List", metadata: Empty {}, items }))
}

async fn show_upgrade_task(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, task)): Path<(String, String, String)>,
) -> ApiResult<JsonOut<UpgradeTaskView>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let t = typed_task(&app, &c, &task, TaskType::Cluster).await?;
    Ok(JsonOut(upgrade_task_view(&t)))
}

/// The controls of C17–C19, by the index the `control` handler is instantiated with.
const CONTROLS: [TaskControl; 3] = [TaskControl::Pause, TaskControl::Continue, TaskControl::Retry];

/// C17–C19: pause, continue or retry the cluster's upgrade task (`C` indexes [`CONTROLS`]).
async fn control<const C: usize>(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<JsonOut<Empty>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    app.store.upgrade_task_control(&caller.actor(), c.id, CONTROLS[C]).await?;
    Ok(JsonOut(Empty {}))
}

// ---- postcheck, node pools, addons

async fn create_postcheck(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<Postcheck>,
) -> ApiResult<JsonOut<PostCheckTask>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let spec = body.validate()?;
    let target = spec.target_version.as_deref().unwrap_or_default();
    let entry = service.catalogue().find(target).ok_or_else(|| {
        Error::invalid_body(format!("spec.targetVersion {target:?} is not in the version catalogue"))
    })?;
    let task = new_task(
        &app,
        TaskType::PostCheck,
        entry.version.clone(),
        json!(&spec),
        fixed_steps(TaskType::PostCheck),
    );
    let t = app.store.upgrade_task_create(&caller.actor(), &c, task).await?;
    Ok(JsonOut(PostCheckTask {
        api_version: "v3",
        kind: "PostCheckTask",
        metadata: TaskUid { uid: t.id },
        spec,
        status: PostCheckStatus { phase: t.status.as_str() },
    }))
}

/// `create_post_check`'s body.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PostCheckTask {
    api_version: &'static str,
    kind: &'static str,
    metadata: TaskUid,
    spec: VersionSpec,
    status: PostCheckStatus,
}

#[derive(Serialize, JsonSchema)]
struct PostCheckStatus {
    phase: &'static str,
}

async fn upgrade_node_pool(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, pool)): Path<(String, String, String)>,
    Json(body): Json<NodePoolUpgrade>,
) -> ApiResult<JsonOut<NodePoolUpgradeStarted>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    check_versions(&service, &c, &VersionSpec::default(), false)?;
    let pool = if pool == DEFAULT_POOL { DEFAULT_POOL.to_string() } else { pool };
    if !c.node_pools.iter().any(|p| p.id == pool) {
        return Err(Error::not_found(cce::NOT_FOUND).with_detail("no such node pool").into());
    }
    let spec = body.validate(&pool)?;
    let request = json!({ "nodePoolID": pool, "spec": spec });
    let task =
        new_task(&app, TaskType::NodePool, c.version.clone(), request, fixed_steps(TaskType::NodePool));
    let t = app.store.upgrade_task_create(&caller.actor(), &c, task).await?;
    Ok(JsonOut(NodePoolUpgradeStarted { jobid: t.job_id.map(|j| j.to_string()).unwrap_or_default() }))
}

/// `upgrade_node_pool`'s body: the job that upgrades the pool.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "UpgradeNodePoolResponse")]
pub(crate) struct NodePoolUpgradeStarted {
    jobid: String,
}

async fn create_addon_precheck(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<cce_wire::AddonCheckRequest>,
) -> ApiResult<JsonOut<AddonCheck>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    check_versions(&service, &c, &VersionSpec::default(), false)?;
    for check in domain::addon::validate_checks(&body, &c)? {
        let task = new_task(
            &app,
            TaskType::AddonCheck,
            c.version.clone(),
            domain::cce::recorded(&check),
            fixed_steps(TaskType::AddonCheck),
        );
        app.store.upgrade_task_create(&caller.actor(), &c, task).await?;
    }
    Ok(JsonOut(AddonCheck {
        kind: "AddonCheck",
        api_version: "v3",
        spec: body.spec.unwrap_or_default(),
        status: CheckGroupStatus { phase: "Init", items_status: Vec::new() },
    }))
}

/// `batch_create_addon_precheck`'s body: the checks asked for (each its own task; see
/// `list_addon_precheck_tasks`).
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddonCheck {
    kind: &'static str,
    api_version: &'static str,
    spec: cce_wire::AddonCheckSpec,
    status: CheckGroupStatus,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddonCheckQuery {
    #[serde(rename = "type")]
    check_type: Option<String>,
    task_id: Option<String>,
    addon_instance_id: Option<String>,
}

async fn list_addon_prechecks(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<AddonCheckQuery>,
) -> ApiResult<JsonOut<AddonCheckTaskList>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let tasks = app.store.upgrade_task_list(c.id, &[TaskType::AddonCheck]).await?;
    let checks = tasks
        .iter()
        .rev()
        .map(|t| Ok((t, stored::<cce_wire::AddonInfo>(&t.request, "addon check")?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let text = |field: &Option<String>| field.clone().unwrap_or_default();
    let items: Vec<AddonCheckTask> = checks
        .into_iter()
        .filter(|(_, a)| q.check_type.as_deref().is_none_or(|k| a.r#type.as_deref().unwrap_or_default() == k))
        .filter(|(t, _)| q.task_id.as_deref().is_none_or(|id| t.id.to_string() == id))
        .filter(|(_, a)| {
            q.addon_instance_id
                .as_deref()
                .is_none_or(|id| a.addon_instance_id.as_deref().unwrap_or_default() == id)
        })
        .map(|(t, a)| {
            Ok(AddonCheckTask {
                metadata: CheckTaskMetadata {
                    check_type: text(&a.r#type),
                    task_id: t.id,
                    addon_template_name: text(&a.addon_template_name),
                    addon_instance_name: text(&a.addon_template_name),
                    addon_instance_id: text(&a.addon_instance_id),
                    create_time_stamp: go_time(t.created_at),
                    expire_time_stamp: t.expires_at.map(go_time).unwrap_or_default(),
                },
                spec: CheckTaskSpec { addon_target_version: text(&a.target_version) },
                status: CheckTaskStatus {
                    status: match t.status {
                        TaskStatus::Success => "Success",
                        TaskStatus::Failed => "Failed",
                        TaskStatus::Init => "Init",
                        _ => "Running",
                    },
                    message: t.message.clone(),
                    risk_list: stored(t.result.get("riskList").unwrap_or(&Value::Null), "addon check risks")?,
                },
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(JsonOut(AddonCheckTaskList {
        kind: "AddonCheck",
        api_version: "v3",
        page_info: AddonCheckPageInfo { current_count: items.len() },
        items,
    }))
}

/// `list_addon_precheck_tasks`' body.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddonCheckTaskList {
    kind: &'static str,
    api_version: &'static str,
    page_info: AddonCheckPageInfo,
    items: Vec<AddonCheckTask>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct AddonCheckPageInfo {
    current_count: usize,
}

/// One addon check (a task).
#[derive(Serialize, JsonSchema)]
struct AddonCheckTask {
    metadata: CheckTaskMetadata,
    spec: CheckTaskSpec,
    status: CheckTaskStatus,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct CheckTaskMetadata {
    #[serde(rename = "type")]
    check_type: String,
    #[serde(rename = "taskID")]
    task_id: UpgradeTaskId,
    addon_template_name: String,
    addon_instance_name: String,
    #[serde(rename = "addonInstanceID")]
    addon_instance_id: String,
    create_time_stamp: String,
    expire_time_stamp: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct CheckTaskSpec {
    addon_target_version: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct CheckTaskStatus {
    status: &'static str,
    message: String,
    risk_list: Vec<AddonCheckRisk>,
}

// ---- Autopilot upgrade plans

fn plan_view(p: &UpgradePlan) -> UpgradePlanView {
    UpgradePlanView {
        kind: "UpgradePlan",
        api_version: "v3",
        metadata: Metadata::new(p.id, p.created_at, p.updated_at),
        spec: UpgradePlanSpec {
            cluster_id: p.cluster_id,
            cluster_version: p.cluster_version.clone(),
            target_version: p.target_version.clone(),
            not_before: go_time(p.not_before),
            not_after: go_time(p.not_after),
            not_before_deadline: go_time(p.not_before_deadline),
        },
        status: UpgradePlanStatus { phase: p.phase.as_str() },
    }
}

/// The `UpgradePlan` object of the wire.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UpgradePlan")]
pub(crate) struct UpgradePlanView {
    kind: &'static str,
    api_version: &'static str,
    metadata: Metadata,
    spec: UpgradePlanSpec,
    status: UpgradePlanStatus,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct UpgradePlanSpec {
    #[serde(rename = "clusterID")]
    cluster_id: CceClusterId,
    cluster_version: String,
    target_version: String,
    not_before: String,
    not_after: String,
    not_before_deadline: String,
}

#[derive(Serialize, JsonSchema)]
struct UpgradePlanStatus {
    phase: &'static str,
}

/// `list_autopilot_upgrade_plans`' body: `items` is one plan, not a list (docs/wire.md C42), and
/// absent while the cluster has none.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpgradePlanList {
    kind: &'static str,
    api_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<UpgradePlanView>,
}

async fn list_plans(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    _: NoParams,
) -> ApiResult<JsonOut<UpgradePlanList>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    version_of(&service, &c)?;
    let plan = app.store.upgrade_plan_get(c.id).await?;
    Ok(JsonOut(UpgradePlanList { kind: "List", api_version: "v3", items: plan.as_ref().map(plan_view) }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DelayBody {
    #[schemars(extend("format" = "date"))]
    not_before: String,
}

async fn delay_plan(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, plan)): Path<(String, String, String)>,
    Json(body): Json<DelayBody>,
) -> ApiResult<JsonOut<UpgradePlanView>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let plan: UpgradePlanId =
        plan.parse().map_err(|_| Error::not_found(cce::NOT_FOUND).with_detail("no such upgrade plan"))?;
    // A date (`YYYY-MM-DD`, as the SDK sends a date) or an RFC 3339 time.
    let not_before = match NaiveDate::parse_from_str(&body.not_before, "%Y-%m-%d") {
        Ok(day) => Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists")),
        Err(_) => {
            chrono::DateTime::parse_from_rfc3339(&body.not_before).map(|t| t.with_timezone(&Utc)).map_err(
                |_| Error::invalid_body(format!("notBefore {:?} must be a date YYYY-MM-DD", body.not_before)),
            )?
        }
    };
    let p = app.store.upgrade_plan_delay(&caller.actor(), c.id, plan, not_before).await?;
    Ok(JsonOut(plan_view(&p)))
}
