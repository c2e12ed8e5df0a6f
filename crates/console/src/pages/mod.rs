//! The console's pages. Each route is declared with the action it performs (the same actions as the
//! API's route table); the handler calls the API's own routes and renders what they answer.

mod audit;
mod cce;
mod clusters;
mod fleets;
mod operator;
mod overview;
mod rules;

use axum::{
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use domain::authz::actions;
use maud::{html, Markup};
use serde::Deserialize;

use crate::{api_client::Failure, session::Session, ui, ConsoleRoute};

pub(crate) fn routes() -> Vec<ConsoleRoute> {
    let mut all = vec![
        // Everyone's landing page: a tenant's overview (its quota calls are authorized by the API), or
        // the platform operator's pages.
        ConsoleRoute::get("/console", actions::IAM_DISCOVER, overview::show),
        ConsoleRoute::post("/console/logout", actions::IAM_DISCOVER, crate::session::logout),
        ConsoleRoute::get("/console/audit", actions::AUDIT_LIST, audit::show),
    ];
    all.extend(clusters::routes());
    all.extend(fleets::routes());
    all.extend(rules::routes());
    all.extend(cce::routes());
    all.extend(operator::routes());
    all
}

/// Unknown console pages.
pub async fn not_found() -> Response {
    ui::error_page(None, StatusCode::NOT_FOUND, "There is no such console page.")
}

/// What a page's query may carry back from the last action.
#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    pub done: Option<String>,
    pub error: Option<String>,
}

impl Flash {
    pub fn render(&self) -> Markup {
        html! {
            (ui::notice(self.done.as_deref()))
            @if let Some(error) = &self.error { p.error role="alert" { (error) } }
        }
    }
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// After a successful action: back to `to`, saying what was done.
pub fn done(to: &str, what: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}done={}", encode(what))).into_response()
}

/// A failed API call as the page answers it: a refusal the user can fix (400, 409) goes back to `to`
/// with the API's message; anything else (403, 404, 5xx) is an error page with the API's status.
pub fn failed(session: &Session, to: &str, f: Failure) -> Response {
    if f.status == StatusCode::BAD_REQUEST || f.status == StatusCode::CONFLICT {
        let sep = if to.contains('?') { '&' } else { '?' };
        return Redirect::to(&format!("{to}{sep}error={}", encode(&f.message))).into_response();
    }
    shown(session, f)
}

/// A failed read: the API's status and message on an error page.
pub fn shown(session: &Session, f: Failure) -> Response {
    let message = if f.code.is_empty() { f.message } else { format!("{} ({})", f.message, f.code) };
    ui::error_page(Some(session), f.status, &message)
}

/// A field's error beside it: the API's message when it names the field's wire path.
pub fn field_error(error: Option<&str>, wire: &[&str]) -> Markup {
    html! {
        @if let Some(message) = error.filter(|m| wire.iter().any(|w| m.contains(w))) {
            span.field-error role="alert" { (message) }
        }
    }
}
