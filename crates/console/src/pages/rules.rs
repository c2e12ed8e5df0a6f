//! Permission policies (rules): list, create and edit, with the API's validation errors shown beside
//! the fields they name; attaching is on the cluster and fleet pages.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Form,
};
use domain::authz::actions;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{done, encode, field_error, shown, Flash};
use crate::{
    api_client::{Api, Failure},
    session::Session,
    ui::{self, text, Nav},
    ConsoleRoute, ConsoleState,
};

pub(super) fn routes() -> Vec<ConsoleRoute> {
    vec![
        ConsoleRoute::get("/console/rules", actions::RULE_LIST, list),
        ConsoleRoute::post("/console/rules", actions::RULE_CREATE, create),
        ConsoleRoute::post("/console/rules/{ruleid}", actions::RULE_UPDATE, update),
        ConsoleRoute::post("/console/rules/{ruleid}/delete", actions::RULE_DELETE, delete),
    ]
}

const TYPES: [&str; 4] = ["readonly", "develop", "admin", "custom"];

/// What the user typed, to show again beside the API's error.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    users: String,
    #[serde(default)]
    verbs: String,
    #[serde(default)]
    resources: String,
    #[serde(default)]
    description: String,
}

impl RuleForm {
    fn of(rule: &Value) -> Self {
        let spec = &rule["spec"];
        let joined = |key: &str| {
            spec["contents"]
                .as_array()
                .and_then(|c| c.first())
                .and_then(|c| c[key].as_array())
                .map(|v| v.iter().map(text).collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        };
        Self {
            name: text(&rule["metadata"]["name"]),
            kind: text(&spec["type"]),
            users: spec["iamUserIDs"]
                .as_array()
                .map(|v| v.iter().map(text).collect::<Vec<_>>().join(", "))
                .unwrap_or_default(),
            verbs: joined("verbs"),
            resources: joined("resources"),
            description: text(&spec["description"]),
        }
    }

    fn spec(&self) -> Value {
        let list = |s: &str| {
            s.split(',').map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect::<Vec<_>>()
        };
        let mut spec =
            json!({ "type": self.kind, "iamUserIDs": list(&self.users), "description": self.description });
        if self.kind == "custom" {
            spec["contents"] = json!([{ "verbs": list(&self.verbs), "resources": list(&self.resources) }]);
        }
        spec
    }
}

/// The fields of a rule; `error` is the API's message, shown beside the field it names.
fn fields(prefix: &str, form: &RuleForm, error: Option<&str>, with_name: bool) -> Markup {
    let id = |f: &str| format!("{prefix}-{f}");
    html! {
        @if with_name {
            label for=(id("name")) { "Name" }
            input id=(id("name")) name="name" value=(form.name) required aria-describedby=(id("name-error"));
            span id=(id("name-error")) { (field_error(error, &["metadata.name", "name"])) }
        }
        label for=(id("type")) { "Type" }
        select id=(id("type")) name="type" {
            @for t in TYPES { option value=(t) selected[form.kind == t] { (t) } }
        }
        (field_error(error, &["spec.type"]))
        label for=(id("users")) { "IAM user ids (comma-separated)" }
        input id=(id("users")) name="users" value=(form.users);
        (field_error(error, &["iamUserIDs", "iam user"]))
        label for=(id("verbs")) { "Verbs (custom; comma-separated)" }
        input id=(id("verbs")) name="verbs" value=(form.verbs) placeholder="get, list, watch";
        (field_error(error, &["verbs", "spec.contents"]))
        label for=(id("resources")) { "Resources (custom; comma-separated)" }
        input id=(id("resources")) name="resources" value=(form.resources) placeholder="pods, deployments";
        (field_error(error, &["resources"]))
        label for=(id("description")) { "Description" }
        input id=(id("description")) name="description" value=(form.description);
        (field_error(error, &["description"]))
    }
}

/// The API's message, unless a field shows it already.
fn general_error(error: Option<&str>) -> Markup {
    const FIELDS: [&str; 7] =
        ["metadata.name", "spec.type", "iamUserIDs", "verbs", "spec.contents", "resources", "description"];
    html! {
        @if let Some(e) = error { @if !FIELDS.iter().any(|f| e.contains(f)) { p.error role="alert" { (e) } } }
    }
}

async fn render(
    state: &ConsoleState,
    session: &Session,
    flash: &Flash,
    status: StatusCode,
    new: Option<(&RuleForm, &str)>,
    edited: Option<(&str, &RuleForm, &str)>,
) -> Response {
    let rules = match Api::new(state, session).get("/v1/permissions/rules?limit=500").await {
        Ok(v) => v,
        Err(f) => return shown(session, f),
    };
    let can_edit = session.can(actions::RULE_UPDATE);
    let body = html! {
        (flash.render())
        table {
            caption { (rules["total"]) " permission policies" }
            thead { tr { th { "Name" } th { "Type" } th { "IAM users" } th { "Description" } } }
            tbody {
                @for r in rules["items"].as_array().into_iter().flatten() {
                    tr {
                        td { (text(&r["metadata"]["name"])) }
                        td { (text(&r["spec"]["type"])) }
                        td { (RuleForm::of(r).users) }
                        td { (text(&r["spec"]["description"])) }
                    }
                }
            }
        }
        @if can_edit {
            @for r in rules["items"].as_array().into_iter().flatten() {
                @let rid = text(&r["metadata"]["uid"]);
                @let this = edited.filter(|(id, _, _)| *id == rid);
                @let form = this.map_or_else(|| RuleForm::of(r), |(_, f, _)| (*f).clone());
                @let error: Option<&str> = this.map(|(_, _, e)| e);
                details open[this.is_some()] {
                    summary { "Edit " (text(&r["metadata"]["name"])) }
                    (general_error(error))
                    form.stack method="post" action={ "/console/rules/" (rid) } {
                        (ui::csrf(session))
                        (fields(&format!("e{rid}"), &form, error, false))
                        button type="submit" { "Save policy" }
                    }
                    @if session.can(actions::RULE_DELETE) {
                        (ui::button(session, &format!("/console/rules/{rid}/delete"), "Delete policy", "danger"))
                    }
                }
            }
        }
        @if session.can(actions::RULE_CREATE) {
            section {
                h2 { "Create a permission policy" }
                @let (form, error) = new.map_or((RuleForm { kind: "readonly".into(), ..Default::default() }, None), |(f, e)| (f.clone(), Some(e)));
                (general_error(error))
                form.stack method="post" action="/console/rules" {
                    (ui::csrf(session))
                    (fields("new", &form, error, true))
                    button type="submit" { "Create policy" }
                }
            }
        }
    };
    (status, ui::page(session, Nav::Rules, "Permission policies", body)).into_response()
}

async fn list(State(state): State<ConsoleState>, session: Session, Query(flash): Query<Flash>) -> Response {
    render(&state, &session, &flash, StatusCode::OK, None, None).await
}

fn refused(f: &Failure) -> bool {
    f.status == StatusCode::BAD_REQUEST || f.status == StatusCode::CONFLICT
}

async fn create(State(state): State<ConsoleState>, session: Session, Form(form): Form<RuleForm>) -> Response {
    let body = json!({ "metadata": { "name": form.name.trim() }, "spec": form.spec() });
    match Api::new(&state, &session).post("/v1/permissions/rules", &body).await {
        Ok(_) => done("/console/rules", &format!("Permission policy {} created.", form.name.trim())),
        Err(f) if refused(&f) => {
            render(&state, &session, &Flash::default(), f.status, Some((&form, &f.message)), None).await
        }
        Err(f) => shown(&session, f),
    }
}

async fn update(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<RuleForm>,
) -> Response {
    let body = json!({ "spec": form.spec() });
    match Api::new(&state, &session).put(&format!("/v1/permissions/rules/{}", encode(&id)), &body).await {
        Ok(_) => done("/console/rules", "Permission policy saved."),
        Err(f) if refused(&f) => {
            render(&state, &session, &Flash::default(), f.status, None, Some((&id, &form, &f.message))).await
        }
        Err(f) => shown(&session, f),
    }
}

async fn delete(State(state): State<ConsoleState>, session: Session, Path(id): Path<String>) -> Response {
    match Api::new(&state, &session).delete(&format!("/v1/permissions/rules/{}", encode(&id))).await {
        Ok(_) => done("/console/rules", "Permission policy deleted."),
        Err(f) => super::failed(&session, "/console/rules", f),
    }
}
