//! The overview: the tenant's quotas as used/limit bars (UCS and CCE), and where to go next.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use maud::html;
use serde_json::Value;

use super::shown;
use crate::{
    api_client::Api,
    session::Session,
    ui::{self, text, Nav},
    ConsoleState,
};

fn number(v: &Value) -> i64 {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).unwrap_or(0)
}

pub(super) async fn show(State(state): State<ConsoleState>, session: Session) -> Response {
    if session.can(domain::authz::actions::PLATFORM_TENANT_LIST) {
        return axum::response::Redirect::to("/console/operator").into_response();
    }
    let api = Api::new(&state, &session);
    let ucs = match api.get(&format!("/v1/maintenance/quota/{}", session.tenant.id)).await {
        Ok(v) => v,
        Err(f) => return shown(&session, f),
    };
    let cce =
        api.get(&format!("/api/v3/projects/{}/quotas", session.project.id)).await.unwrap_or(Value::Null);
    let body = html! {
        p { "Signed in as " strong { (session.user.name) } " of account " strong { (session.tenant.name) }
            " (roles: " (session.user.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")) ")." }
        section #quotas-live data-live {
            h2 { "UCS quotas" }
            @for r in ucs["quotas"]["resources"].as_array().into_iter().flatten() {
                (ui::meter(&text(&r["type"]), number(&r["used"]), number(&r["quota"])))
            }
            @if let Some(items) = cce["quotas"].as_array() {
                h2 { "CCE quotas" }
                @for q in items {
                    (ui::meter(&format!("CCE {}", text(&q["quotaKey"])), number(&q["used"]), number(&q["quotaLimit"])))
                }
            }
        }
    };
    ui::page(&session, Nav::Overview, "Overview", body).into_response()
}
