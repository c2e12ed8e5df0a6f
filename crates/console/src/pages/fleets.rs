//! Fleets: the list and creation, a fleet's members (join/leave), rules and zones, and its
//! federation: enable, disable, upgrade, retry, with the live sub-job tree of its progress.

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Response},
    Form,
};
use domain::authz::actions;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{clusters::rules_summary, done, encode, failed, shown, Flash};
use crate::{
    api_client::Api,
    session::Session,
    ui::{self, badge, text, Nav},
    ConsoleRoute, ConsoleState,
};

pub(super) fn routes() -> Vec<ConsoleRoute> {
    const ONE: &str = "/console/fleets/{clustergroupid}";
    vec![
        ConsoleRoute::get("/console/fleets", actions::FLEET_LIST, list),
        ConsoleRoute::post("/console/fleets", actions::FLEET_CREATE, create),
        ConsoleRoute::get(ONE, actions::FLEET_GET, show),
        ConsoleRoute::post("/console/fleets/{clustergroupid}/delete", actions::FLEET_DELETE, delete),
        ConsoleRoute::post("/console/fleets/{clustergroupid}/join", actions::CLUSTER_JOIN_FLEET, join),
        ConsoleRoute::post("/console/fleets/{clustergroupid}/leave", actions::CLUSTER_LEAVE_FLEET, leave),
        ConsoleRoute::post("/console/fleets/{clustergroupid}/zones", actions::FLEET_UPDATE_ZONES, zones),
        ConsoleRoute::post(
            "/console/fleets/{clustergroupid}/rules",
            actions::FLEET_UPDATE_RULES,
            attach_rules,
        ),
        ConsoleRoute::post("/console/fleets/{clustergroupid}/federation", actions::FEDERATION_ENABLE, enable),
        ConsoleRoute::post(
            "/console/fleets/{clustergroupid}/federation/disable",
            actions::FEDERATION_DISABLE,
            disable,
        ),
        ConsoleRoute::post(
            "/console/fleets/{clustergroupid}/federation/upgrade",
            actions::FEDERATION_UPGRADE,
            upgrade,
        ),
    ]
}

/// The federation condition of a fleet view, if it has one.
fn federation(f: &Value) -> Option<&Value> {
    f["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == "Federation")
}

async fn list(State(state): State<ConsoleState>, session: Session, Query(flash): Query<Flash>) -> Response {
    let fleets = match Api::new(&state, &session).get("/v1/clustergroups?limit=500").await {
        Ok(v) => v,
        Err(f) => return shown(&session, f),
    };
    let body = html! {
        (flash.render())
        div #fleets-live data-live {
            table {
                caption { (fleets["total"]) " fleets" }
                thead { tr { th { "Name" } th { "Federation" } th { "Description" } th { "Rules" } } }
                tbody {
                    @for f in fleets["items"].as_array().into_iter().flatten() {
                        tr {
                            td { a href={ "/console/fleets/" (text(&f["metadata"]["uid"])) } { (text(&f["metadata"]["name"])) } }
                            td { (badge(&federation(f).map(|c| text(&c["status"])).unwrap_or_default())) }
                            td { (text(&f["spec"]["description"])) }
                            td { (ns_list(&f["spec"]["ruleNamespaces"])) }
                        }
                    }
                }
            }
        }
        @if session.can(actions::FLEET_CREATE) {
            section {
                h2 { "Create a fleet" }
                form.stack method="post" action="/console/fleets" {
                    (ui::csrf(&session))
                    label for="fl-name" { "Name" }
                    input #fl-name name="name" required maxlength="64";
                    label for="fl-desc" { "Description" }
                    input #fl-desc name="description";
                    button type="submit" { "Create fleet" }
                }
            }
        }
    };
    ui::page(&session, Nav::Fleets, "Fleets", body).into_response()
}

fn ns_list(v: &Value) -> Markup {
    html! { @for r in v.as_array().into_iter().flatten() { span.tag { (text(r)) } } }
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    name: String,
    #[serde(default)]
    description: String,
}

async fn create(
    State(state): State<ConsoleState>,
    session: Session,
    Form(form): Form<CreateForm>,
) -> Response {
    let body =
        json!({ "metadata": { "name": form.name.trim() }, "spec": { "description": form.description } });
    match Api::new(&state, &session).post("/v1/clustergroups", &body).await {
        Ok(v) => done(
            &format!("/console/fleets/{}", text(&v["uid"])),
            &format!("Fleet {} created.", form.name.trim()),
        ),
        Err(f) => failed(&session, "/console/fleets", f),
    }
}

async fn show(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let api = Api::new(&state, &session);
    let f = match api.get(&format!("/v1/clustergroups/{}", encode(&id))).await {
        Ok(v) => v,
        Err(e) => return shown(&session, e),
    };
    let members = api
        .get(&format!("/v1/clusters?enablestatus=true&limit=500&clustergroupid={}", encode(&id)))
        .await
        .unwrap_or(Value::Null);
    let all = api.get("/v1/clusters?limit=500").await.unwrap_or(Value::Null);
    let rules = api.get("/v1/permissions/rules?limit=500").await.unwrap_or(Value::Null);
    let fed = federation(&f);
    let progress = if fed.is_some() {
        api.get(&format!("/v1/clustergroups/{}/federations/progress", encode(&id))).await.ok()
    } else {
        None
    };
    let base = format!("/console/fleets/{id}");
    let outside: Vec<&Value> = all["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["spec"]["clusterGroupID"].as_str().unwrap_or("").is_empty())
        .collect();
    let body = html! {
        (flash.render())
        dl.facts {
            dt { "Description" } dd { (text(&f["spec"]["description"])) }
            dt { "Zones (DNS suffixes)" } dd { (ns_list(&f["spec"]["dnsSuffix"])) }
            dt { "Rules" } dd { (ns_list(&f["spec"]["ruleNamespaces"])) }
            dt { "Id" } dd { code { (id) } }
        }
        h2 { "Members" }
        table {
            thead { tr { th { "Cluster" } th { "Status" } th { "Kubernetes" } th { "Rules" } th { span.sr-only { "Actions" } } } }
            tbody {
                @for c in members["items"].as_array().into_iter().flatten() {
                    @let cid = text(&c["metadata"]["uid"]);
                    tr {
                        td { a href={ "/console/clusters/" (cid) } { (text(&c["metadata"]["name"])) } }
                        td { (badge(&text(&c["status"]["phase"]))) }
                        td { (text(&c["status"]["kubernetesVersion"])) }
                        td { (rules_summary(&c["spec"]["ruleNamespaces"])) }
                        td {
                            @if session.can(actions::CLUSTER_LEAVE_FLEET) {
                                form.inline method="post" action={ (base) "/leave" } {
                                    (ui::csrf(&session))
                                    input type="hidden" name="cluster" value=(cid);
                                    button type="submit" { "Leave fleet" }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if session.can(actions::CLUSTER_JOIN_FLEET) && !outside.is_empty() {
            form.inline method="post" action={ (base) "/join" } {
                (ui::csrf(&session))
                label for="join-cluster" { "Cluster to add" }
                select #join-cluster name="cluster" {
                    @for c in &outside { option value=(text(&c["metadata"]["uid"])) { (text(&c["metadata"]["name"])) } }
                }
                button type="submit" { "Join fleet" }
            }
        }
        h2 { "Federation" }
        div #federation-live data-live {
            @match fed {
                None => p { "Federation is not enabled." },
                Some(c) => {
                    p { (badge(&text(&c["status"]))) " " (text(&c["reason"])) " " (text(&c["message"])) }
                    @if let Some(p) = &progress { (job_tree(p)) }
                }
            }
        }
        div.actions {
            @if session.can(actions::FEDERATION_ENABLE) {
                @if fed.is_none() || fed.is_some_and(|c| c["status"] == "Unavailable") {
                    (ui::button(&session, &format!("{base}/federation"), "Enable federation", ""))
                } @else {
                    (ui::button(&session, &format!("{base}/federation?retryjoinall=true"), "Retry failed joins", ""))
                }
            }
            @if fed.is_some() && session.can(actions::FEDERATION_DISABLE) {
                (ui::button(&session, &format!("{base}/federation/disable"), "Disable federation", "danger"))
            }
        }
        @if fed.is_some() && session.can(actions::FEDERATION_UPGRADE) {
            form.inline method="post" action={ (base) "/federation/upgrade" } {
                (ui::csrf(&session))
                label for="fed-version" { "Federation version" }
                input #fed-version name="version" placeholder="v1.8.0" required;
                button type="submit" { "Upgrade federation" }
            }
        }
        @if session.can(actions::FLEET_UPDATE_ZONES) {
            h2 { "Zones" }
            form.inline method="post" action={ (base) "/zones" } {
                (ui::csrf(&session))
                label for="zones" { "DNS suffixes (comma-separated)" }
                input #zones name="zones" value=(f["spec"]["dnsSuffix"].as_array().map(|v| v.iter().map(text).collect::<Vec<_>>().join(", ")).unwrap_or_default());
                button type="submit" { "Set zones" }
            }
        }
        @if session.can(actions::FLEET_UPDATE_RULES) {
            h2 { "Permission policies" }
            form.stack method="post" action={ (base) "/rules" } {
                (ui::csrf(&session))
                fieldset {
                    legend { "Policies attached to this fleet" }
                    @for r in rules["items"].as_array().into_iter().flatten() {
                        label.check { input type="checkbox" name="rule" value=(text(&r["metadata"]["uid"])); " " (text(&r["metadata"]["name"])) }
                    }
                }
                label for="fleet-ns" { "Namespaces (comma-separated)" }
                input #fleet-ns name="namespaces" value="default";
                button type="submit" { "Set policies" }
            }
        }
        @if session.can(actions::FLEET_DELETE) {
            div.actions { (ui::button(&session, &format!("{base}/delete"), "Delete fleet", "danger")) }
        }
    };
    ui::page(&session, Nav::Fleets, &format!("Fleet {}", text(&f["metadata"]["name"])), body).into_response()
}

/// A federation job and its sub-jobs, as a tree with states, times and failure reasons.
fn job_tree(job: &Value) -> Markup {
    html! {
        ul.tree {
            li {
                (job_line(job))
                @if let Some(subs) = job["spec"]["subJobs"].as_array() {
                    ul { @for sub in subs { li { (job_line(sub)) } } }
                }
            }
        }
    }
}

fn job_line(job: &Value) -> Markup {
    let reason = text(&job["status"]["reason"]);
    html! {
        span.job {
            (badge(&text(&job["status"]["phase"])))
            " " strong { (text(&job["spec"]["type"])) }
            @let resource = text(&job["spec"]["resourceName"]);
            @if !resource.is_empty() { " · " (resource) }
            " " small { (text(&job["status"]["startTime"])) @let end = text(&job["status"]["completionTime"]); @if !end.is_empty() { " → " (end) } }
            @if !reason.is_empty() { " " span.reason { (reason) } }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ClusterForm {
    cluster: String,
}

async fn join(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<ClusterForm>,
) -> Response {
    let body = json!({ "clusterGroupID": id });
    let to = format!("/console/fleets/{id}");
    match Api::new(&state, &session)
        .post(&format!("/v1/clusters/{}/join", encode(&form.cluster)), &body)
        .await
    {
        Ok(_) => done(&to, "The cluster joined the fleet."),
        Err(f) => failed(&session, &to, f),
    }
}

async fn leave(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<ClusterForm>,
) -> Response {
    let api = Api::new(&state, &session);
    let to = format!("/console/fleets/{id}");
    // The fleet must be the caller's (404 otherwise), and the cluster one of its members.
    if let Err(f) = api.get(&format!("/v1/clustergroups/{}", encode(&id))).await {
        return shown(&session, f);
    }
    match api.post(&format!("/v1/clusters/{}/unjoin", encode(&form.cluster)), &json!({})).await {
        Ok(_) => done(&to, "The cluster left the fleet."),
        Err(f) => failed(&session, &to, f),
    }
}

#[derive(Debug, Deserialize)]
pub struct ZonesForm {
    zones: String,
}

async fn zones(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<ZonesForm>,
) -> Response {
    let zones: Vec<&str> = form.zones.split(',').map(str::trim).filter(|z| !z.is_empty()).collect();
    let to = format!("/console/fleets/{id}");
    match Api::new(&state, &session)
        .put(&format!("/v1/clustergroups/{}/associatedzones", encode(&id)), &json!({ "dnsSuffix": zones }))
        .await
    {
        Ok(_) => done(&to, "Zones set."),
        Err(f) => failed(&session, &to, f),
    }
}

async fn attach_rules(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let to = format!("/console/fleets/{id}");
    let body = super::clusters::attachment_body(&fields);
    match Api::new(&state, &session)
        .put(&format!("/v1/clustergroups/{}/associatedrules", encode(&id)), &body)
        .await
    {
        Ok(_) => done(&to, "Permission policies set."),
        Err(f) => failed(&session, &to, f),
    }
}

#[derive(Debug, Deserialize)]
pub struct RetryQuery {
    retryjoinall: Option<bool>,
}

async fn enable(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<RetryQuery>,
) -> Response {
    let retry = q.retryjoinall.unwrap_or(false);
    let path = format!(
        "/v1/clustergroups/{}/federations{}",
        encode(&id),
        if retry { "?retryjoinall=true" } else { "" }
    );
    let to = format!("/console/fleets/{id}");
    match Api::new(&state, &session).post(&path, &json!({})).await {
        Ok(_) => {
            done(&to, if retry { "Failed joins are being retried." } else { "Federation is being enabled." })
        }
        Err(f) => failed(&session, &to, f),
    }
}

async fn disable(State(state): State<ConsoleState>, session: Session, Path(id): Path<String>) -> Response {
    let to = format!("/console/fleets/{id}");
    match Api::new(&state, &session).delete(&format!("/v1/clustergroups/{}/federations", encode(&id))).await {
        Ok(_) => done(&to, "Federation is being disabled."),
        Err(f) => failed(&session, &to, f),
    }
}

#[derive(Debug, Deserialize)]
pub struct UpgradeForm {
    version: String,
}

async fn upgrade(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<UpgradeForm>,
) -> Response {
    let to = format!("/console/fleets/{id}");
    let body = json!({ "targetVersion": form.version.trim() });
    match Api::new(&state, &session)
        .post(&format!("/v1/clustergroups/{}/federations/upgrade", encode(&id)), &body)
        .await
    {
        Ok(_) => done(&to, "The federation is being upgraded."),
        Err(f) => failed(&session, &to, f),
    }
}

async fn delete(State(state): State<ConsoleState>, session: Session, Path(id): Path<String>) -> Response {
    match Api::new(&state, &session).delete(&format!("/v1/clustergroups/{}", encode(&id))).await {
        Ok(_) => done("/console/fleets", "The fleet was deleted."),
        Err(f) => failed(&session, &format!("/console/fleets/{id}"), f),
    }
}
