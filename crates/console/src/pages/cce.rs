//! CCE and CCE Autopilot clusters: the list and creation; a cluster with its node pools, addons,
//! upgrade workflows, prechecks and their findings, upgrade tasks with progress bars (pause, continue,
//! retry), snapshots and (Autopilot) upgrade plans; and the upgrade workflow's live graph, from which
//! each of its points is run.

use axum::{
    extract::{FromRequestParts, Path, Query, State},
    http::{request::Parts, Method},
    response::{IntoResponse, Response},
    Form,
};
use domain::authz::{actions, Action};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{done, encode, failed, shown, Flash};
use crate::{
    api_client::Api,
    graph,
    session::Session,
    ui::{self, badge, text, Nav},
    ConsoleRoute, ConsoleState,
};

/// Which API a cluster lives in: CCE (`/api/v3`) or CCE Autopilot (`/autopilot/v3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Cce,
    Autopilot,
}

impl Service {
    fn api(self) -> &'static str {
        match self {
            Self::Cce => "/api",
            Self::Autopilot => "/autopilot",
        }
    }

    fn console(self) -> &'static str {
        match self {
            Self::Cce => "/console/cce",
            Self::Autopilot => "/console/autopilot",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Cce => "CCE",
            Self::Autopilot => "CCE Autopilot",
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Service {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(if parts.uri.path().starts_with("/console/autopilot") { Self::Autopilot } else { Self::Cce })
    }
}

macro_rules! service_routes {
    ($prefix:literal) => {
        vec![
            ConsoleRoute::get(concat!($prefix, "/{cluster_id}"), actions::CCE_CLUSTER_GET, show),
            ConsoleRoute::post(concat!($prefix, "/{cluster_id}/delete"), actions::CCE_CLUSTER_DELETE, delete),
            ConsoleRoute::post(
                concat!($prefix, "/{cluster_id}/workflows"),
                actions::UPGRADE_WORKFLOW_CREATE,
                create_workflow,
            ),
            ConsoleRoute::get(
                concat!($prefix, "/{cluster_id}/workflows/{upgrade_workflow_id}"),
                actions::UPGRADE_WORKFLOW_GET,
                show_workflow,
            ),
            ConsoleRoute::post(
                concat!($prefix, "/{cluster_id}/workflows/{upgrade_workflow_id}/cancel"),
                actions::UPGRADE_WORKFLOW_UPDATE,
                cancel_workflow,
            ),
            ConsoleRoute::post(
                concat!($prefix, "/{cluster_id}/precheck"),
                actions::PRECHECK_CREATE,
                operation::<0>,
            ),
            ConsoleRoute::post(
                concat!($prefix, "/{cluster_id}/snapshot"),
                actions::SNAPSHOT_CREATE,
                operation::<1>,
            ),
            ConsoleRoute::post(
                concat!($prefix, "/{cluster_id}/upgrade"),
                actions::UPGRADE_CLUSTER,
                operation::<2>,
            ),
            ConsoleRoute::post(
                concat!($prefix, "/{cluster_id}/postcheck"),
                actions::POSTCHECK_CREATE,
                operation::<3>,
            ),
            ConsoleRoute::post(
                concat!($prefix, "/{cluster_id}/pause"),
                actions::UPGRADE_TASK_PAUSE,
                operation::<4>,
            ),
            ConsoleRoute::post(
                concat!($prefix, "/{cluster_id}/continue"),
                actions::UPGRADE_TASK_CONTINUE,
                operation::<5>,
            ),
            ConsoleRoute::post(
                concat!($prefix, "/{cluster_id}/retry"),
                actions::UPGRADE_TASK_RETRY,
                operation::<6>,
            ),
        ]
    };
}

pub(super) fn routes() -> Vec<ConsoleRoute> {
    let mut all = vec![
        ConsoleRoute::get("/console/cce", actions::CCE_CLUSTER_LIST, list),
        ConsoleRoute::post("/console/cce", actions::CCE_CLUSTER_CREATE, create),
    ];
    all.extend(service_routes!("/console/cce"));
    all.extend(service_routes!("/console/autopilot"));
    all
}

fn clusters_path(session: &Session, service: Service) -> String {
    format!("{}/v3/projects/{}/clusters", service.api(), session.project.id)
}

fn cluster_path(session: &Session, service: Service, id: &str) -> String {
    format!("{}/{}", clusters_path(session, service), encode(id))
}

async fn list(State(state): State<ConsoleState>, session: Session, Query(flash): Query<Flash>) -> Response {
    let api = Api::new(&state, &session);
    let mut rows = Vec::new();
    for service in [Service::Cce, Service::Autopilot] {
        match api.get(&clusters_path(&session, service)).await {
            Ok(v) => rows
                .extend(v["items"].as_array().cloned().unwrap_or_default().into_iter().map(|c| (service, c))),
            Err(f) => return shown(&session, f),
        }
    }
    let body = html! {
        (flash.render())
        div #cce-live data-live {
            table {
                caption { (rows.len()) " clusters" }
                thead { tr { th { "Name" } th { "Kind" } th { "Status" } th { "Version" } th { "Flavor" } } }
                tbody {
                    @for (service, c) in &rows {
                        tr {
                            td { a href={ (service.console()) "/" (text(&c["metadata"]["uid"])) } { (text(&c["metadata"]["name"])) } }
                            td { (service.label()) }
                            td { (badge(&text(&c["status"]["phase"]))) }
                            td { (text(&c["spec"]["version"])) }
                            td { (text(&c["spec"]["flavor"])) }
                        }
                    }
                }
            }
        }
        @if session.can(actions::CCE_CLUSTER_CREATE) {
            section {
                h2 { "Create a cluster" }
                form.stack method="post" action="/console/cce" {
                    (ui::csrf(&session))
                    label for="c-name" { "Name" }
                    input #c-name name="name" required maxlength="56";
                    label for="c-kind" { "Kind" }
                    select #c-kind name="kind" {
                        option value="cce" { "CCE (cce.s1.small)" }
                        option value="autopilot" { "CCE Autopilot" }
                    }
                    label for="c-version" { "Kubernetes version (empty: the newest)" }
                    input #c-version name="version" placeholder="v1.29";
                    label for="c-vpc" { "VPC id" }
                    input #c-vpc name="vpc" required value="11c9fe72-5a90-4295-bcfe-774726fb9066";
                    label for="c-subnet" { "Subnet id" }
                    input #c-subnet name="subnet" required value="0de91d89-1e06-4e24-b371-35d5d3d3779b";
                    button type="submit" { "Create cluster" }
                }
            }
        }
    };
    ui::page(&session, Nav::Cce, "CCE clusters", body).into_response()
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    name: String,
    kind: String,
    #[serde(default)]
    version: String,
    vpc: String,
    subnet: String,
}

async fn create(
    State(state): State<ConsoleState>,
    session: Session,
    Form(form): Form<CreateForm>,
) -> Response {
    let service = if form.kind == "autopilot" { Service::Autopilot } else { Service::Cce };
    let flavor = if service == Service::Autopilot { "cce.autopilot.cluster" } else { "cce.s1.small" };
    let mut body = json!({
        "kind": "Cluster", "apiVersion": "v3",
        "metadata": { "name": form.name.trim() },
        "spec": { "flavor": flavor, "hostNetwork": { "vpc": form.vpc.trim(), "subnet": form.subnet.trim() },
                  "containerNetwork": { "mode": "vpc-router" } },
    });
    if !form.version.trim().is_empty() {
        body["spec"]["version"] = json!(form.version.trim());
    }
    match Api::new(&state, &session).post(&clusters_path(&session, service), &body).await {
        Ok(c) => done(
            &format!("{}/{}", service.console(), text(&c["metadata"]["uid"])),
            &format!("Cluster {} is being created.", form.name.trim()),
        ),
        Err(f) => failed(&session, "/console/cce", f),
    }
}

/// The cluster's full version (the annotation) or its release.
fn version(c: &Value) -> String {
    let full = text(&c["metadata"]["annotations"]["cce.ucsd.io/version"]);
    if full.is_empty() {
        text(&c["spec"]["version"])
    } else {
        full
    }
}

/// The versions the cluster may be upgraded to.
async fn targets(api: &Api<'_>, service: Service, c: &Value) -> Vec<String> {
    let Ok(paths) = api.get(&format!("{}/v3/clusterupgradepaths", service.api())).await else {
        return Vec::new();
    };
    let (full, release) = (version(c), text(&c["spec"]["version"]));
    paths["upgradePaths"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["version"] == full.as_str() || p["version"] == release.as_str())
        .and_then(|p| p["targetVersions"].as_array())
        .map(|v| v.iter().map(text).collect())
        .unwrap_or_default()
}

fn progress_bar(task: &Value) -> Markup {
    let progress: i64 = text(&task["status"]["progress"]).parse().unwrap_or(0);
    let id = format!("progress-{}", text(&task["metadata"]["uid"]));
    html! {
        label.sr-only for=(id) { "Progress" }
        progress id=(id) max="100" value=(progress) { (progress) "%" }
        " " (progress) "%"
    }
}

fn items(v: &Value) -> Vec<Value> {
    match &v["items"] {
        Value::Array(items) => items.clone(),
        Value::Object(_) => vec![v["items"].clone()],
        _ => Vec::new(),
    }
}

async fn show(
    State(state): State<ConsoleState>,
    session: Session,
    service: Service,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let api = Api::new(&state, &session);
    let base_api = cluster_path(&session, service, &id);
    let c = match api.get(&base_api).await {
        Ok(c) => c,
        Err(f) => return shown(&session, f),
    };
    let get = |path: String| {
        let api = &api;
        async move { api.get(&path).await.unwrap_or(Value::Null) }
    };
    let pools =
        if service == Service::Cce { get(format!("{base_api}/nodepools")).await } else { Value::Null };
    let addons = get(format!("{}/v3/addons?cluster_id={}", service.api(), encode(&id))).await;
    let workflows = get(format!("{base_api}/operation/upgradeworkflows")).await;
    let prechecks = get(format!("{base_api}/operation/precheck/tasks")).await;
    let tasks = get(format!("{base_api}/operation/upgrade/tasks")).await;
    let plans = if service == Service::Autopilot {
        get(format!("{base_api}/upgradeplans")).await
    } else {
        Value::Null
    };
    let targets = targets(&api, service, &c).await;
    let base = format!("{}/{id}", service.console());
    let body = html! {
        (flash.render())
        div #cce-cluster-live data-live {
            dl.facts {
                dt { "Kind" } dd { (service.label()) }
                dt { "Status" } dd { (badge(&text(&c["status"]["phase"]))) }
                dt { "Version" } dd { (version(&c)) }
                dt { "Flavor" } dd { (text(&c["spec"]["flavor"])) }
                dt { "Endpoint" } dd { code { (text(&c["status"]["endpoints"][0]["url"])) } }
                dt { "Id" } dd { code { (id) } }
            }
            @if service == Service::Cce {
                h2 { "Node pools" }
                table {
                    thead { tr { th { "Name" } th { "Status" } th { "Nodes" } th { "Version" } } }
                    tbody {
                        @for p in pools["items"].as_array().into_iter().flatten() {
                            tr {
                                td { (text(&p["metadata"]["name"])) }
                                td { (badge(&text(&p["status"]["phase"]))) }
                                td { (text(&p["status"]["currentNode"])) " / " (text(&p["spec"]["initialNodeCount"])) }
                                td { (text(&p["metadata"]["annotations"]["cce.ucsd.io/version"])) }
                            }
                        }
                    }
                }
            }
            h2 { "Addons" }
            table {
                thead { tr { th { "Addon" } th { "Version" } th { "Status" } } }
                tbody {
                    @for a in addons["items"].as_array().into_iter().flatten() {
                        tr {
                            td { (text(&a["spec"]["addonTemplateName"])) }
                            td { (text(&a["spec"]["version"])) }
                            td { (badge(&text(&a["status"]["status"]))) }
                        }
                    }
                }
            }
            h2 { "Upgrade workflows" }
            table {
                thead { tr { th { "Workflow" } th { "From" } th { "To" } th { "Phase" } } }
                tbody {
                    @for w in workflows["items"].as_array().into_iter().flatten() {
                        @let wid = text(&w["metadata"]["uid"]);
                        tr {
                            td { a href={ (base) "/workflows/" (wid) } { "Workflow " (wid.get(..8).unwrap_or(&wid)) } }
                            td { (text(&w["spec"]["clusterVersion"])) }
                            td { (text(&w["spec"]["targetVersion"])) }
                            td { (badge(&text(&w["status"]["phase"]))) }
                        }
                    }
                }
            }
            (task_tables(&prechecks, &tasks, &session, &base, None))
            @if service == Service::Autopilot {
                h2 { "Upgrade plans" }
                table {
                    thead { tr { th { "From" } th { "To" } th { "Window" } th { "Phase" } } }
                    tbody {
                        @for p in items(&plans) {
                            tr {
                                td { (text(&p["spec"]["clusterVersion"])) }
                                td { (text(&p["spec"]["targetVersion"])) }
                                td { (text(&p["spec"]["notBefore"])) " – " (text(&p["spec"]["notAfter"])) }
                                td { (badge(&text(&p["status"]["phase"]))) }
                            }
                        }
                    }
                }
            }
        }
        @if session.can(actions::UPGRADE_WORKFLOW_CREATE) && !targets.is_empty() {
            h2 { "Start an upgrade" }
            form.inline method="post" action={ (base) "/workflows" } {
                (ui::csrf(&session))
                input type="hidden" name="from" value=(version(&c));
                label for="wf-target" { "Target version" }
                select #wf-target name="to" { @for t in &targets { option value=(t) { (t) } } }
                button type="submit" { "Create upgrade workflow" }
            }
        }
        @if session.can(actions::CCE_CLUSTER_DELETE) {
            div.actions { (ui::button(&session, &format!("{base}/delete"), "Delete cluster", "danger")) }
        }
    };
    let title = format!("{} cluster {}", service.label(), text(&c["metadata"]["name"]));
    ui::page(&session, Nav::Cce, &title, body).into_response()
}

/// Prechecks with their findings, and upgrade tasks with progress bars and their controls.
fn task_tables(
    prechecks: &Value,
    tasks: &Value,
    session: &Session,
    base: &str,
    workflow: Option<&str>,
) -> Markup {
    let control = |action: Action, op: &str, label: &str| {
        html! {
            @if session.can(action) {
                form.inline method="post" action={ (base) "/" (op) } {
                    (ui::csrf(session))
                    @if let Some(w) = workflow { input type="hidden" name="workflow" value=(w); }
                    button type="submit" { (label) }
                }
            }
        }
    };
    html! {
        h2 { "Prechecks" }
        table {
            thead { tr { th { "Precheck" } th { "Target" } th { "Phase" } th { "Findings" } } }
            tbody {
                @for p in prechecks["items"].as_array().into_iter().flatten() {
                    tr {
                        td { code { (text(&p["metadata"]["uid"]).get(..8).unwrap_or("")) } }
                        td { (text(&p["spec"]["targetVersion"])) }
                        td { (badge(&text(&p["status"]["phase"]))) }
                        td { (findings(p)) }
                    }
                }
            }
        }
        h2 { "Upgrade tasks" }
        table {
            thead { tr { th { "Task" } th { "From → to" } th { "Phase" } th { "Progress" } th { "Message" } th { span.sr-only { "Actions" } } } }
            tbody {
                @for t in tasks["items"].as_array().into_iter().flatten() {
                    @let phase = text(&t["status"]["phase"]);
                    tr {
                        td { code { (text(&t["metadata"]["uid"]).get(..8).unwrap_or("")) } }
                        td { (text(&t["spec"]["version"])) " → " (text(&t["spec"]["targetVersion"])) }
                        td { (badge(&phase)) }
                        td { (progress_bar(t)) }
                        td { (text(&t["status"]["message"])) }
                        td {
                            @if phase == "Running" || phase == "Init" || phase == "Queuing" { (control(actions::UPGRADE_TASK_PAUSE, "pause", "Pause")) }
                            @if phase == "Pause" || phase == "Paused" { (control(actions::UPGRADE_TASK_CONTINUE, "continue", "Continue")) }
                            @if phase == "Failed" { (control(actions::UPGRADE_TASK_RETRY, "retry", "Retry")) }
                        }
                    }
                }
            }
        }
    }
}

/// A precheck's findings (risks) from its cluster, addon and node groups.
fn findings(p: &Value) -> Markup {
    let s = &p["status"];
    let mut all: Vec<&Value> = Vec::new();
    for group in ["clusterCheckStatus", "addonCheckStatus"] {
        all.extend(s[group]["itemsStatus"].as_array().into_iter().flatten());
    }
    for node in s["nodeCheckStatus"]["nodeStageStatus"].as_array().into_iter().flatten() {
        all.extend(node["itemsStatus"].as_array().into_iter().flatten());
    }
    html! {
        @if all.is_empty() { "None" } @else {
            ul.findings {
                @for f in all {
                    li { (badge(&text(&f["level"]))) " " (text(&f["name"])) ": " (text(&f["message"])) }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct VersionsForm {
    from: String,
    to: String,
}

async fn create_workflow(
    State(state): State<ConsoleState>,
    session: Session,
    service: Service,
    Path(id): Path<String>,
    Form(form): Form<VersionsForm>,
) -> Response {
    let body = json!({ "kind": "WorkFlowTask", "apiVersion": "v3",
                       "spec": { "clusterID": id, "clusterVersion": form.from, "targetVersion": form.to } });
    let base = format!("{}/{id}", service.console());
    match Api::new(&state, &session)
        .post(&format!("{}/operation/upgradeworkflows", cluster_path(&session, service, &id)), &body)
        .await
    {
        Ok(w) => done(
            &format!("{base}/workflows/{}", text(&w["metadata"]["uid"])),
            "Upgrade workflow created: run its precheck.",
        ),
        Err(f) => failed(&session, &base, f),
    }
}

async fn show_workflow(
    State(state): State<ConsoleState>,
    session: Session,
    service: Service,
    Path((id, wid)): Path<(String, String)>,
    Query(flash): Query<Flash>,
) -> Response {
    let api = Api::new(&state, &session);
    let base_api = cluster_path(&session, service, &id);
    let w = match api.get(&format!("{base_api}/operation/upgradeworkflows/{}", encode(&wid))).await {
        Ok(w) => w,
        Err(f) => return shown(&session, f),
    };
    let c = api.get(&base_api).await.unwrap_or(Value::Null);
    let prechecks = api.get(&format!("{base_api}/operation/precheck/tasks")).await.unwrap_or(Value::Null);
    let tasks = api.get(&format!("{base_api}/operation/upgrade/tasks")).await.unwrap_or(Value::Null);
    let base = format!("{}/{id}", service.console());
    let point = |t: &str| -> String {
        w["status"]["pointStatuses"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["taskType"] == t)
            .map(|p| text(&p["status"]))
            .unwrap_or_default()
    };
    let phase = text(&w["status"]["phase"]);
    let (from, to) = (text(&w["spec"]["clusterVersion"]), text(&w["spec"]["targetVersion"]));
    let ended = phase == "Success" || phase == "Cancel";
    // The next point to run, as the workflow's graph allows it.
    let steps: [(&str, Action, &str, &str); 4] = [
        ("PreCheck", actions::PRECHECK_CREATE, "precheck", "Run precheck"),
        ("Snapshot", actions::SNAPSHOT_CREATE, "snapshot", "Take snapshot"),
        ("Cluster", actions::UPGRADE_CLUSTER, "upgrade", "Upgrade cluster"),
        ("PostCheck", actions::POSTCHECK_CREATE, "postcheck", "Run postcheck"),
    ];
    let runnable = |t: &str| -> bool {
        let own = point(t);
        let idle = own.is_empty() || own == "Failed";
        match t {
            "PreCheck" => idle,
            "Snapshot" => idle && point("PreCheck") == "Success",
            "Cluster" => idle && point("PreCheck") == "Success",
            "PostCheck" => idle && point("Cluster") == "Success",
            _ => false,
        }
    };
    let body = html! {
        (flash.render())
        p { "Cluster " a href=(base) { (text(&c["metadata"]["name"])) } ": " (from) " → " (to) }
        div #workflow-live data-live {
            p { "Workflow phase: " (badge(&phase)) }
            figure {
                (graph::workflow(&w))
                figcaption { "Points are coloured by status; the red dashed line is critical: once the cluster's upgrade has started the workflow cannot be cancelled until its postcheck passed." }
            }
            table {
                caption { "Points" }
                thead { tr { th { "Point" } th { "Status" } th { "Started" } th { "Ended" } } }
                tbody {
                    @for p in w["status"]["pointStatuses"].as_array().into_iter().flatten() {
                        tr {
                            td { (text(&p["taskType"])) }
                            td { (badge(&text(&p["status"]))) }
                            td { (text(&p["startTimeStamp"])) }
                            td { (text(&p["endTimeStamp"])) }
                        }
                    }
                }
            }
            @if !ended {
                div.actions {
                    @for (t, action, op, label) in steps {
                        @if runnable(t) && session.can(action) {
                            form.inline method="post" action={ (base) "/" (op) } {
                                (ui::csrf(&session))
                                input type="hidden" name="workflow" value=(wid);
                                input type="hidden" name="from" value=(from);
                                input type="hidden" name="to" value=(to);
                                button type="submit" data-step=(t) { (label) }
                            }
                        }
                    }
                    @if session.can(actions::UPGRADE_WORKFLOW_UPDATE) && point("Cluster").is_empty() {
                        (ui::button(&session, &format!("{base}/workflows/{wid}/cancel"), "Cancel workflow", "danger"))
                    }
                }
            }
            (task_tables(&prechecks, &tasks, &session, &base, Some(&wid)))
        }
    };
    ui::page(&session, Nav::Cce, "Upgrade workflow", body).into_response()
}

async fn cancel_workflow(
    State(state): State<ConsoleState>,
    session: Session,
    service: Service,
    Path((id, wid)): Path<(String, String)>,
) -> Response {
    let path =
        format!("{}/operation/upgradeworkflows/{}", cluster_path(&session, service, &id), encode(&wid));
    let to = format!("{}/{id}/workflows/{wid}", service.console());
    match Api::new(&state, &session)
        .call(Method::PATCH, &path, Some(&json!({ "status": { "phase": "Cancel" } })))
        .await
    {
        Ok(_) => done(&to, "The workflow was cancelled."),
        Err(f) => failed(&session, &to, f),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct OperationForm {
    #[serde(default)]
    workflow: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// One of the upgrade operations (`OP`: precheck, snapshot, upgrade, postcheck, pause, continue,
/// retry), then back to the workflow (or the cluster).
async fn operation<const OP: u8>(
    State(state): State<ConsoleState>,
    session: Session,
    service: Service,
    Path(id): Path<String>,
    Form(form): Form<OperationForm>,
) -> Response {
    let cluster = cluster_path(&session, service, &id);
    let versions = json!({ "clusterID": id, "clusterVersion": form.from, "targetVersion": form.to });
    let (path, body, what) = match OP {
        0 => (
            format!("{cluster}/operation/precheck"),
            json!({ "apiVersion": "v3", "kind": "PreCheckTask", "spec": versions }),
            "Precheck started.",
        ),
        1 => (
            format!(
                "{}/v3.1/projects/{}/clusters/{}/operation/snapshot",
                service.api(),
                session.project.id,
                encode(&id)
            ),
            json!({}),
            "Snapshot started.",
        ),
        2 => (
            format!("{cluster}/operation/upgrade"),
            json!({ "metadata": { "apiVersion": "v3", "kind": "UpgradeTask" },
                    "spec": { "clusterUpgradeAction": { "targetVersion": form.to, "isOnlyUpgrade": false,
                              "strategy": { "type": "inPlaceRollingUpdate", "inPlaceRollingUpdate": { "scope": "Cluster" } } } } }),
            "Upgrade started.",
        ),
        3 => (
            format!("{cluster}/operation/postcheck"),
            json!({ "apiVersion": "v3", "kind": "PostCheckTask", "spec": versions }),
            "Postcheck started.",
        ),
        4 => (format!("{cluster}/operation/upgrade/pause"), json!({}), "Upgrade paused."),
        5 => (format!("{cluster}/operation/upgrade/continue"), json!({}), "Upgrade continued."),
        _ => (format!("{cluster}/operation/upgrade/retry"), json!({}), "Upgrade retried."),
    };
    let back = if form.workflow.is_empty() {
        format!("{}/{id}", service.console())
    } else {
        format!("{}/{id}/workflows/{}", service.console(), encode(&form.workflow))
    };
    match Api::new(&state, &session).post(&path, &body).await {
        Ok(_) => done(&back, what),
        Err(f) => failed(&session, &back, f),
    }
}

async fn delete(
    State(state): State<ConsoleState>,
    session: Session,
    service: Service,
    Path(id): Path<String>,
) -> Response {
    match Api::new(&state, &session).delete(&cluster_path(&session, service, &id)).await {
        Ok(_) => done("/console/cce", "The cluster is being deleted."),
        Err(f) => failed(&session, &format!("{}/{id}", service.console()), f),
    }
}
