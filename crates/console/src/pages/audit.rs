//! The tenant's audit log: the newest events first (the API has no audit route; the store is read
//! directly, scoped to the session's tenant, under the `ucsd:audit:list` action).

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use maud::html;

use crate::{
    session::Session,
    ui::{self, badge, Nav},
    ConsoleState,
};

/// How many events the page shows.
const SHOWN: i64 = 200;

pub(super) async fn show(State(state): State<ConsoleState>, session: Session) -> Response {
    let events = match state.app.store.audit_list(session.tenant.id, SHOWN).await {
        Ok(events) => events,
        Err(e) => {
            let status = axum::http::StatusCode::from_u16(e.status())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            return ui::error_page(Some(&session), status, &e.message());
        }
    };
    let body = html! {
        div #audit-live data-live {
            table {
                caption { "The newest " (events.len()) " events" }
                thead { tr { th { "When" } th { "Action" } th { "Resource" } th { "Outcome" } th { "User" } th { "Request" } } }
                tbody {
                    @for e in &events {
                        tr {
                            td { (e.at.format("%Y-%m-%d %H:%M:%S")) }
                            td { code { (e.action) } }
                            td { (e.resource_type) " " (e.resource_id.as_deref().unwrap_or("")) }
                            td { (badge(if e.outcome == "success" { "Success" } else { &e.outcome })) }
                            td { (e.user_id.map(|u| u.to_string()).unwrap_or_else(|| "operator".into())) }
                            td { small { (e.request_id) } }
                        }
                    }
                }
            }
        }
    };
    ui::page(&session, Nav::Audit, "Audit log", body).into_response()
}
