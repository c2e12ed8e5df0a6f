//! Clusters: the list with filters, registration, the detail page (conditions, access info, RBAC,
//! the kubeconfig on an explicit action), rules attached, and deletion.

use axum::{
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
    Form,
};
use domain::authz::actions;
use maud::html;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{done, failed, shown, Flash};
use crate::{
    api_client::Api,
    session::Session,
    ui::{self, badge, text, Nav},
    ConsoleRoute, ConsoleState,
};

pub(super) fn routes() -> Vec<ConsoleRoute> {
    vec![
        ConsoleRoute::get("/console/clusters", actions::CLUSTER_LIST, list),
        ConsoleRoute::post("/console/clusters", actions::CLUSTER_CREATE, register),
        ConsoleRoute::get("/console/clusters/{clusterid}", actions::CLUSTER_GET, show),
        ConsoleRoute::post("/console/clusters/{clusterid}/delete", actions::CLUSTER_DELETE, delete),
        ConsoleRoute::post(
            "/console/clusters/{clusterid}/kubeconfig",
            actions::CLUSTER_DOWNLOAD_KUBECONFIG,
            kubeconfig,
        ),
        ConsoleRoute::post(
            "/console/clusters/{clusterid}/accessinfo",
            actions::CLUSTER_GET_ACCESS_INFO,
            access_info,
        ),
        ConsoleRoute::post(
            "/console/clusters/{clusterid}/rules",
            actions::CLUSTER_UPDATE_RULES,
            attach_rules,
        ),
    ]
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    category: Option<String>,
    fleet: Option<String>,
    status: Option<String>,
    #[serde(flatten)]
    flash: Flash,
}

/// The phase of a cluster view (`status.phase`).
pub(super) fn phase(c: &Value) -> String {
    text(&c["status"]["phase"])
}

const CATEGORIES: [(&str, &str); 3] =
    [("attachedcluster", "Attached"), ("onpremise", "On-premises"), ("self", "Huawei Cloud (CCE)")];

async fn list(State(state): State<ConsoleState>, session: Session, Query(q): Query<ListQuery>) -> Response {
    let api = Api::new(&state, &session);
    let mut path = "/v1/clusters?enablestatus=true&limit=500".to_string();
    if let Some(c) = q.category.as_deref().filter(|c| !c.is_empty()) {
        path.push_str(&format!("&category={}", super::encode(c)));
    }
    if let Some(f) = q.fleet.as_deref().filter(|f| !f.is_empty()) {
        path.push_str(&format!("&clustergroupid={}", super::encode(f)));
    }
    let clusters = match api.get(&path).await {
        Ok(v) => v,
        Err(f) if f.status.as_u16() == 400 => json!({ "items": [], "error": f.message }),
        Err(f) => return shown(&session, f),
    };
    let fleets = match api.get("/v1/clustergroups?limit=500").await {
        Ok(v) => v,
        Err(f) => return shown(&session, f),
    };
    let fleet_name = |id: &str| {
        fleets["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["metadata"]["uid"] == id)
            .map_or_else(|| id.to_string(), |f| text(&f["metadata"]["name"]))
    };
    let wanted = q.status.as_deref().filter(|s| !s.is_empty());
    let items: Vec<&Value> = clusters["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| wanted.is_none_or(|w| phase(c).eq_ignore_ascii_case(w)))
        .collect();
    let can_register = session.can(actions::CLUSTER_CREATE);
    let body = html! {
        (q.flash.render())
        @if let Some(e) = clusters["error"].as_str() { p.error role="alert" { (e) } }
        form.filters method="get" action="/console/clusters" {
            label for="f-category" { "Category" }
            select #f-category name="category" {
                option value="" { "Any" }
                @for (value, label) in CATEGORIES {
                    option value=(value) selected[q.category.as_deref() == Some(value)] { (label) }
                }
            }
            label for="f-fleet" { "Fleet" }
            select #f-fleet name="fleet" {
                option value="" { "Any" }
                @for f in fleets["items"].as_array().into_iter().flatten() {
                    @let id = text(&f["metadata"]["uid"]);
                    option value=(id) selected[q.fleet.as_deref() == Some(id.as_str())] { (text(&f["metadata"]["name"])) }
                }
            }
            label for="f-status" { "Status" }
            select #f-status name="status" {
                option value="" { "Any" }
                @for s in ["Available", "Unavailable", "Pending"] {
                    option value=(s) selected[q.status.as_deref() == Some(s)] { (s) }
                }
            }
            button type="submit" { "Filter" }
        }
        div #clusters-live data-live {
            table {
                caption { (items.len()) " clusters" }
                thead { tr { th { "Name" } th { "Category" } th { "Status" } th { "Kubernetes" } th { "Fleet" } th { "Rules" } } }
                tbody {
                    @for c in &items {
                        @let id = text(&c["metadata"]["uid"]);
                        @let fleet = text(&c["spec"]["clusterGroupID"]);
                        tr {
                            td { a href={ "/console/clusters/" (id) } { (text(&c["metadata"]["name"])) } }
                            td { (text(&c["spec"]["category"])) }
                            td { (badge(&phase(c))) }
                            td { (text(&c["status"]["kubernetesVersion"])) }
                            td { @if !fleet.is_empty() { a href={ "/console/fleets/" (fleet) } { (fleet_name(&fleet)) } } }
                            td { (rules_summary(&c["spec"]["ruleNamespaces"])) }
                        }
                    }
                }
            }
        }
        @if can_register {
            section {
                h2 { "Register a cluster" }
                form.stack method="post" action="/console/clusters" {
                    (ui::csrf(&session))
                    label for="r-name" { "Name" }
                    input #r-name name="name" required pattern="[a-z0-9]([-a-z0-9]*[a-z0-9])?" maxlength="64";
                    label for="r-category" { "Category" }
                    select #r-category name="category" {
                        option value="attachedcluster" { "Attached (any Kubernetes with a kubeconfig)" }
                        option value="onpremise" { "On-premises" }
                    }
                    label for="r-type" { "Type" }
                    input #r-type name="type" value="privatek8s" required;
                    label for="r-provider" { "Provider" }
                    input #r-provider name="provider" value="other" required;
                    label for="r-kubeconfig" { "Kubeconfig (attached clusters)" }
                    textarea #r-kubeconfig name="kubeconfig" rows="6" {}
                    button type="submit" { "Register" }
                }
            }
        }
    };
    ui::page(&session, Nav::Clusters, "Clusters", body).into_response()
}

/// The namespaces of each rule reaching a cluster or fleet, as a short list.
pub(super) fn rules_summary(rules: &Value) -> maud::Markup {
    html! {
        @for entry in rules.as_array().into_iter().flatten() {
            @let names: Vec<String> = entry["rules"].as_array().into_iter().flatten().map(|r| text(&r["ruleName"])).collect();
            @let namespaces: Vec<String> = entry["namespaces"].as_array().into_iter().flatten().map(text).collect();
            span.tag { (names.join(", ")) " → " (namespaces.join(", ")) }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RegisterForm {
    name: String,
    category: String,
    #[serde(rename = "type")]
    kind: String,
    provider: String,
    #[serde(default)]
    kubeconfig: String,
}

async fn register(
    State(state): State<ConsoleState>,
    session: Session,
    Form(form): Form<RegisterForm>,
) -> Response {
    let mut annotations = serde_json::Map::new();
    if !form.kubeconfig.trim().is_empty() {
        annotations.insert("kubeconfig".into(), json!(form.kubeconfig));
    }
    let body = json!({
        "kind": "Cluster", "apiVersion": "v1",
        "metadata": { "name": form.name.trim(), "annotations": annotations },
        "spec": { "category": form.category, "type": form.kind.trim(), "provider": form.provider.trim(),
                  "country": "CN", "city": "110000", "manageType": "discrete" },
    });
    match Api::new(&state, &session).post("/v1/clusters", &body).await {
        Ok(v) => {
            let id = text(&v["uid"]);
            done(&format!("/console/clusters/{id}"), &format!("Cluster {} registered.", form.name.trim()))
        }
        Err(f) => failed(&session, "/console/clusters", f),
    }
}

async fn show(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let api = Api::new(&state, &session);
    let c = match api.get(&format!("/v1/clusters/{}", super::encode(&id))).await {
        Ok(c) => c,
        Err(f) => return shown(&session, f),
    };
    let rbac = api.get(&format!("/v1/clusters/{}/rbac", super::encode(&id))).await.unwrap_or(Value::Null);
    let rules = api.get("/v1/permissions/rules?limit=500").await.unwrap_or(Value::Null);
    let name = text(&c["metadata"]["name"]);
    let base = format!("/console/clusters/{id}");
    let fleet = text(&c["spec"]["clusterGroupID"]);
    let body = html! {
        (flash.render())
        div #cluster-live data-live {
            dl.facts {
                dt { "Status" } dd { (badge(&phase(&c))) }
                dt { "Category" } dd { (text(&c["spec"]["category"])) }
                dt { "Type" } dd { (text(&c["spec"]["type"])) " / " (text(&c["spec"]["provider"])) }
                dt { "Kubernetes" } dd { (text(&c["status"]["kubernetesVersion"])) }
                dt { "Fleet" } dd { @if fleet.is_empty() { "—" } @else { a href={ "/console/fleets/" (fleet) } { (fleet) } } }
                dt { "Id" } dd { code { (id) } }
            }
            h2 { "Conditions" }
            table {
                thead { tr { th { "Type" } th { "Status" } th { "Reason" } th { "Message" } th { "Since" } } }
                tbody {
                    @for cond in c["status"]["conditions"].as_array().into_iter().flatten() {
                        tr {
                            td { (text(&cond["type"])) }
                            td { (badge(&text(&cond["status"]))) }
                            td { (text(&cond["reason"])) }
                            td { (text(&cond["message"])) }
                            td { (text(&cond["lastTransitionTime"])) }
                        }
                    }
                }
            }
        }
        h2 { "Permissions (rendered RBAC)" }
        @if rbac.is_null() { p { "No RBAC could be read." } } @else {
            pre.rbac { (serde_json::to_string_pretty(&rbac).unwrap_or_default()) }
        }
        h2 { "Permission policies" }
        p { (rules_summary(&c["spec"]["ruleNamespaces"])) }
        @if session.can(actions::CLUSTER_UPDATE_RULES) {
            form.stack method="post" action={ (base) "/rules" } {
                (ui::csrf(&session))
                fieldset {
                    legend { "Policies attached to this cluster" }
                    @for r in rules["items"].as_array().into_iter().flatten() {
                        @let rid = text(&r["metadata"]["uid"]);
                        label.check { input type="checkbox" name="rule" value=(rid); " " (text(&r["metadata"]["name"])) }
                    }
                }
                label for="namespaces" { "Namespaces (comma-separated)" }
                input #namespaces name="namespaces" value="default";
                button type="submit" { "Set policies" }
            }
        }
        h2 { "Access" }
        div.actions {
            @if session.can(actions::CLUSTER_GET_ACCESS_INFO) { (ui::button(&session, &format!("{base}/accessinfo"), "Show access info", "")) }
            @if session.can(actions::CLUSTER_DOWNLOAD_KUBECONFIG) { (ui::button(&session, &format!("{base}/kubeconfig"), "Download kubeconfig", "")) }
            @if session.can(actions::CLUSTER_DELETE) { (ui::button(&session, &format!("{base}/delete"), "Delete cluster", "danger")) }
        }
    };
    ui::page(&session, Nav::Clusters, &format!("Cluster {name}"), body).into_response()
}

async fn delete(State(state): State<ConsoleState>, session: Session, Path(id): Path<String>) -> Response {
    match Api::new(&state, &session).delete(&format!("/v1/clusters/{}", super::encode(&id))).await {
        Ok(_) => done("/console/clusters", "The cluster is being deleted."),
        Err(f) => failed(&session, &format!("/console/clusters/{id}"), f),
    }
}

/// The kubeconfig, downloaded as a file only on this explicit action (it is never rendered).
async fn kubeconfig(State(state): State<ConsoleState>, session: Session, Path(id): Path<String>) -> Response {
    let path = format!("/v1/clusters/{}/kubeconfig", super::encode(&id));
    match Api::new(&state, &session).call_raw(axum::http::Method::POST, &path, Some(&json!({}))).await {
        Ok(bytes) => {
            let disposition = format!(
                "attachment; filename=\"kubeconfig-{}.json\"",
                id.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "")
            );
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_string()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response()
        }
        Err(f) => failed(&session, &format!("/console/clusters/{id}"), f),
    }
}

/// Access info (how the cluster is reached), shown on an explicit action.
async fn access_info(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    match Api::new(&state, &session).get(&format!("/v1/clusters/{}/accessinfo", super::encode(&id))).await {
        Ok(v) => {
            let body = html! {
                p { a href={ "/console/clusters/" (id) } { "Back to the cluster" } }
                pre.rbac { (serde_json::to_string_pretty(&v).unwrap_or_default()) }
            };
            ui::page(&session, Nav::Clusters, "Access info", body).into_response()
        }
        Err(f) => failed(&session, &format!("/console/clusters/{id}"), f),
    }
}

/// The form's checked rules (repeated `rule` fields) and namespaces.
async fn attach_rules(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let body = attachment_body(&fields);
    match Api::new(&state, &session)
        .put(&format!("/v1/clusters/{}/associatedrules", super::encode(&id)), &body)
        .await
    {
        Ok(_) => done(&format!("/console/clusters/{id}"), "Permission policies set."),
        Err(f) => failed(&session, &format!("/console/clusters/{id}"), f),
    }
}

/// `{"ruleIDNamespaces": …}` from a form's `rule` checkboxes and `namespaces` field.
pub(super) fn attachment_body(fields: &[(String, String)]) -> Value {
    let rules: Vec<&str> = fields.iter().filter(|(k, _)| k == "rule").map(|(_, v)| v.as_str()).collect();
    let namespaces: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "namespaces")
        .flat_map(|(_, v)| {
            v.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect::<Vec<_>>()
        })
        .collect();
    if rules.is_empty() {
        return json!({ "ruleIDNamespaces": [] });
    }
    json!({ "ruleIDNamespaces": [{ "ruleIDs": rules, "namespaces": namespaces }] })
}
