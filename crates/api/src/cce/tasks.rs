//! Upgrade tasks: prechecks (C09–C11), snapshots (C12–C13), the cluster upgrade and its tasks
//! (C14–C19), postchecks (C20), node pool upgrades (C21), addon prechecks (C22–C23) and Autopilot
//! upgrade plans (C42–C43). Each create records the task and its job; the engine runs it.

use std::collections::BTreeMap;

use axum::{extract::State, Json as JsonOut};
use chrono::{NaiveDate, TimeZone, Utc};
use domain::{
    authz::actions,
    cce::{CceCluster, DEFAULT_POOL},
    error::cce,
    ids::{UpgradePlanId, UpgradeTaskId},
    upgrade::{
        request::{NodePoolUpgrade, Postcheck, Precheck, VersionSpec},
        task::{cluster_steps, TaskStatus, TaskType, UpgradeTask},
        UpgradePlan,
    },
    Error,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use store::upgrade::{NewTask, TaskControl};

use super::{
    as_value, check_kind, cluster, go_time, route, str_at, version_of,
    workflows::{check_versions, versions_in},
    Service,
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

fn task_metadata(t: &UpgradeTask) -> Value {
    json!({ "uid": t.id, "creationTimestamp": go_time(t.created_at), "updateTimestamp": go_time(t.updated_at) })
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
fn precheck_view(t: &UpgradeTask, c: &CceCluster) -> Value {
    let findings: Vec<Value> =
        t.result.get("findings").and_then(Value::as_array).cloned().unwrap_or_default();
    let group = |names: &[&str]| -> Vec<Value> {
        findings.iter().filter(|f| names.iter().any(|n| f["group"] == *n)).cloned().collect()
    };
    let phase = match t.status {
        TaskStatus::Init => "Init",
        TaskStatus::Success => "Success",
        TaskStatus::Failed => "Failed",
        _ => "Running",
    };
    let group_phase = |items: &[Value]| {
        if phase != "Success" && phase != "Failed" {
            phase
        } else if items.iter().any(|f| f["level"] == "Fatal") {
            "Failed"
        } else {
            "Success"
        }
    };
    let cluster_items = group(&["LimitCheck", "MasterCheck"]);
    let addon_items = group(&["AddonCheck"]);
    let node_items = group(&["NodeCheck"]);
    let nodes: Vec<Value> = c
        .node_pools
        .iter()
        .flat_map(|p| p.nodes.iter())
        .map(|n| {
            let items: Vec<&Value> = node_items
                .iter()
                .filter(|f| f["riskSource"]["nodeRisks"][0]["NodeID"] == n.uid.as_str())
                .collect();
            json!({
                "nodeInfo": { "uid": n.uid, "name": n.name, "status": "Active", "nodeType": "node" },
                "itemsStatus": items,
            })
        })
        .collect();
    let mut status = json!({
        "phase": phase,
        "message": t.message,
        "clusterCheckStatus": { "phase": group_phase(&cluster_items), "itemsStatus": cluster_items },
        "addonCheckStatus": { "phase": group_phase(&addon_items), "itemsStatus": addon_items },
        "nodeCheckStatus": { "phase": group_phase(&node_items), "nodeStageStatus": nodes },
    });
    if let Some(expiry) = t.expires_at {
        status["expireTimeStamp"] = json!(go_time(expiry));
    }
    json!({ "apiVersion": "v3", "kind": "PreCheckTask", "metadata": task_metadata(t), "spec": t.request, "status": status })
}

async fn create_precheck(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<Precheck>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let spec = body.validate()?;
    let target = check_versions(&service, &c, &spec.versions(), true)?;
    let task = new_task(&app, TaskType::PreCheck, target, json!(spec), fixed_steps(TaskType::PreCheck));
    let t = app.store.upgrade_task_create(&caller.actor(), &c, task).await?;
    Ok(JsonOut(precheck_view(&t, &c)))
}

async fn list_prechecks(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    _: NoParams,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let tasks = app.store.upgrade_task_list(c.id, &[TaskType::PreCheck]).await?;
    let items: Vec<Value> = tasks.iter().rev().map(|t| precheck_view(t, &c)).collect();
    Ok(JsonOut(json!({ "apiVersion": "v3", "kind": "List", "metadata": {}, "items": items })))
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
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let t = typed_task(&app, &c, &task, TaskType::PreCheck).await?;
    Ok(JsonOut(precheck_view(&t, &c)))
}

// ---- snapshots

fn snapshot_view(t: &UpgradeTask) -> Value {
    json!({
        "kind": "SnapshotTask",
        "apiVersion": "v3.1",
        "metadata": task_metadata(t),
        "spec": { "items": [{
            "id": t.id,
            "type": "master-backup",
            "status": t.status.as_str(),
            "creationTimestamp": go_time(t.created_at),
            "updateTimestamp": go_time(t.updated_at),
            "message": t.message,
        }] },
        "status": {
            "phase": t.status.as_str(),
            "progress": t.progress(),
            "completionTime": t.finished_at.map(go_time).unwrap_or_default(),
        },
    })
}

async fn create_snapshot(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<JsonOut<Value>> {
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
    Ok(JsonOut(json!({ "uid": t.id, "metadata": { "apiVersion": "v3.1", "kind": "SnapshotTask" } })))
}

async fn list_snapshots(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    _: NoParams,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let tasks = app.store.upgrade_task_list(c.id, &[TaskType::Snapshot]).await?;
    let latest = tasks.iter().filter(|t| t.status == TaskStatus::Success).filter_map(|t| t.finished_at).max();
    let items: Vec<Value> = tasks.iter().rev().map(snapshot_view).collect();
    Ok(JsonOut(json!({
        "apiVersion": "v3.1",
        "kind": "List",
        "metadata": {},
        "items": items,
        "status": { "latestBackupTime": latest.map(go_time).unwrap_or_default() },
    })))
}

// ---- the cluster upgrade

async fn upgrade(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<cce_wire::UpgradeClusterRequestBody>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let body = as_value(&body);
    check_kind(&body, "/metadata/kind", "UpgradeTask", "/metadata/apiVersion", &["v3"])?;
    let spec = body.get("spec").cloned().unwrap_or_else(|| json!({}));
    let action = spec.get("clusterUpgradeAction").cloned().unwrap_or(Value::Null);
    if !action.is_object() {
        return Err(Error::invalid_body("spec.clusterUpgradeAction is required").into());
    }
    let target = check_versions(&service, &c, &versions_in(&action), true)?;
    if let Some(kind) = str_at(&action, "/strategy/type") {
        if kind != "inPlaceRollingUpdate" {
            return Err(Error::invalid_body(format!(
                "strategy.type {kind:?} is not supported; use inPlaceRollingUpdate"
            ))
            .into());
        }
    }
    let order: BTreeMap<String, i64> = match action.get("nodePoolOrder") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(v) => serde_json::from_value(v.clone()).map_err(|_| {
            Error::invalid_body("clusterUpgradeAction.nodePoolOrder must map node pool ids to priorities")
        })?,
    };
    if let Some(unknown) = order.keys().find(|id| !c.node_pools.iter().any(|p| &&p.id == id)) {
        return Err(Error::invalid_body(format!(
            "nodePoolOrder names {unknown:?}, which is no node pool of the cluster"
        ))
        .into());
    }
    let only_master = action.get("isOnlyUpgrade").and_then(Value::as_bool).unwrap_or(false);
    let pools: Vec<(String, i64)> =
        c.node_pools.iter().map(|p| (p.id.clone(), order.get(&p.id).copied().unwrap_or(0))).collect();
    let steps = cluster_steps(&pools, only_master);
    let task = new_task(&app, TaskType::Cluster, target.clone(), spec, steps);
    let t = app.store.upgrade_task_create(&caller.actor(), &c, task).await?;
    let target_entry = service.catalogue().find(&target);
    Ok(JsonOut(json!({
        "metadata": { "uid": t.id },
        "spec": { "clusterUpgradeAction": {
            "version": c.version,
            "targetVersion": target,
            "targetPlatformVersion": target_entry.map(|e| e.platform_version.clone()).unwrap_or_default(),
            "strategy": action.get("strategy").cloned().unwrap_or_else(|| json!({ "type": "inPlaceRollingUpdate" })),
            "config": {},
        } },
    })))
}

/// The `UpgradeTask` object of the wire.
fn upgrade_task_view(t: &UpgradeTask) -> Value {
    json!({
        "apiVersion": "v3",
        "kind": "UpgradeTask",
        "metadata": task_metadata(t),
        "spec": {
            "version": t.version,
            "targetVersion": t.target_version,
            "items": { "steps": t.steps, "doneSteps": t.done_steps },
        },
        "status": {
            "phase": t.status.as_str(),
            "progress": t.progress(),
            "completionTime": t.finished_at.map(go_time).unwrap_or_default(),
            "message": t.message,
        },
    })
}

async fn list_upgrade_tasks(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    _: NoParams,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let tasks = app.store.upgrade_task_list(c.id, &[TaskType::Cluster]).await?;
    let items: Vec<Value> = tasks.iter().map(upgrade_task_view).collect();
    Ok(JsonOut(json!({ "apiVersion": "v3", "kind": "List", "metadata": {}, "items": items })))
}

async fn show_upgrade_task(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, task)): Path<(String, String, String)>,
) -> ApiResult<JsonOut<Value>> {
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
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    app.store.upgrade_task_control(&caller.actor(), c.id, CONTROLS[C]).await?;
    Ok(JsonOut(json!({})))
}

// ---- postcheck, node pools, addons

async fn create_postcheck(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<Postcheck>,
) -> ApiResult<JsonOut<Value>> {
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
        json!(spec),
        fixed_steps(TaskType::PostCheck),
    );
    let t = app.store.upgrade_task_create(&caller.actor(), &c, task).await?;
    Ok(JsonOut(json!({
        "apiVersion": "v3",
        "kind": "PostCheckTask",
        "metadata": { "uid": t.id },
        "spec": spec,
        "status": { "phase": t.status.as_str() },
    })))
}

async fn upgrade_node_pool(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, pool)): Path<(String, String, String)>,
    Json(body): Json<NodePoolUpgrade>,
) -> ApiResult<JsonOut<Value>> {
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
    Ok(JsonOut(json!({ "jobid": t.job_id.map(|j| j.to_string()).unwrap_or_default() })))
}

async fn create_addon_precheck(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<cce_wire::AddonCheckRequest>,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let body = as_value(&body);
    check_kind(&body, "/kind", "AddonCheck", "/apiVersion", &["v3"])?;
    check_versions(&service, &c, &VersionSpec::default(), false)?;
    let spec = body.get("spec").cloned().unwrap_or_else(|| json!({}));
    let addons = spec.get("addonList").and_then(Value::as_array).cloned().unwrap_or_default();
    if addons.is_empty() {
        return Err(Error::invalid_body("spec.addonList must name at least one addon").into());
    }
    let mut checks = Vec::new();
    for addon in &addons {
        let name = str_at(addon, "/addonTemplateName").filter(|n| !n.is_empty());
        let version = str_at(addon, "/targetVersion").filter(|v| !v.is_empty());
        let (Some(name), Some(version)) = (name, version) else {
            return Err(Error::invalid_body("every addon needs addonTemplateName and targetVersion").into());
        };
        let kind = str_at(addon, "/type").unwrap_or("addonUpgrade");
        if kind != "addonStatic" && kind != "addonUpgrade" {
            return Err(Error::invalid_body(format!(
                "addon type {kind:?} must be addonStatic or addonUpgrade"
            ))
            .into());
        }
        // An upgrade check acts on the cluster's installed instance of the addon.
        let instance = c.addons.contains_key(name).then(|| domain::addon::instance_uid(c.id, name));
        let named = str_at(addon, "/addonInstanceID").filter(|i| !i.is_empty());
        if kind == "addonUpgrade" && instance.is_none() {
            return Err(Error::invalid_body(format!(
                "addon {name} is not installed; check it as addonStatic"
            ))
            .into());
        }
        if let Some(named) = named.filter(|n| Some(*n) != instance.as_deref()) {
            return Err(Error::invalid_body(format!(
                "addonInstanceID {named:?} is no instance of {name} here"
            ))
            .into());
        }
        checks.push(json!({
            "addonTemplateName": name,
            "addonInstanceID": instance.unwrap_or_default(),
            "targetVersion": version,
            "type": kind,
        }));
    }
    for check in checks {
        let task =
            new_task(&app, TaskType::AddonCheck, c.version.clone(), check, fixed_steps(TaskType::AddonCheck));
        app.store.upgrade_task_create(&caller.actor(), &c, task).await?;
    }
    Ok(JsonOut(json!({
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "spec": spec,
        "status": { "phase": "Init", "itemsStatus": [] },
    })))
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
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    let tasks = app.store.upgrade_task_list(c.id, &[TaskType::AddonCheck]).await?;
    let field = |t: &UpgradeTask, key: &str| {
        t.request.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
    };
    let items: Vec<Value> = tasks
        .iter()
        .rev()
        .filter(|t| q.check_type.as_deref().is_none_or(|k| field(t, "type") == k))
        .filter(|t| q.task_id.as_deref().is_none_or(|id| t.id.to_string() == id))
        .filter(|t| q.addon_instance_id.as_deref().is_none_or(|id| field(t, "addonInstanceID") == id))
        .map(|t| {
            let name = field(t, "addonTemplateName");
            json!({
                "metadata": {
                    "type": field(t, "type"),
                    "taskID": t.id,
                    "addonTemplateName": name,
                    "addonInstanceName": name,
                    "addonInstanceID": field(t, "addonInstanceID"),
                    "createTimeStamp": go_time(t.created_at),
                    "expireTimeStamp": t.expires_at.map(go_time).unwrap_or_default(),
                },
                "spec": { "addonTargetVersion": field(t, "targetVersion") },
                "status": {
                    "status": match t.status {
                        TaskStatus::Success => "Success",
                        TaskStatus::Failed => "Failed",
                        TaskStatus::Init => "Init",
                        _ => "Running",
                    },
                    "message": t.message,
                    "riskList": t.result.get("riskList").cloned().unwrap_or_else(|| json!([])),
                },
            })
        })
        .collect();
    Ok(JsonOut(json!({
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "pageInfo": { "currentCount": items.len() },
        "items": items,
    })))
}

// ---- Autopilot upgrade plans

fn plan_view(p: &UpgradePlan) -> Value {
    json!({
        "kind": "UpgradePlan",
        "apiVersion": "v3",
        "metadata": { "uid": p.id, "creationTimestamp": go_time(p.created_at), "updateTimestamp": go_time(p.updated_at) },
        "spec": {
            "clusterID": p.cluster_id,
            "clusterVersion": p.cluster_version,
            "targetVersion": p.target_version,
            "notBefore": go_time(p.not_before),
            "notAfter": go_time(p.not_after),
            "notBeforeDeadline": go_time(p.not_before_deadline),
        },
        "status": { "phase": p.phase.as_str() },
    })
}

async fn list_plans(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id)): Path<(String, String)>,
    _: NoParams,
) -> ApiResult<JsonOut<Value>> {
    let c = cluster(&app, &caller, &service, &id).await?;
    version_of(&service, &c)?;
    let mut body = json!({ "kind": "List", "apiVersion": "v3" });
    // One plan object, not a list (docs/wire.md C42).
    if let Some(plan) = app.store.upgrade_plan_get(c.id).await? {
        body["items"] = plan_view(&plan);
    }
    Ok(JsonOut(body))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DelayBody {
    not_before: String,
}

async fn delay_plan(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path((_, id, plan)): Path<(String, String, String)>,
    Json(body): Json<DelayBody>,
) -> ApiResult<JsonOut<Value>> {
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
