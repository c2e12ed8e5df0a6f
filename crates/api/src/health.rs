//! Liveness and readiness, for load balancers and orchestrators.

use axum::{extract::State, routing::get, Json, Router};
use schemars::JsonSchema;
use serde::Serialize;

use crate::{error::ApiResult, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

/// What the health checks answer: `ok` (live) or `ready`.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Health")]
pub(crate) struct Health {
    status: &'static str,
}

/// The process is up.
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database answers and its migrations are current.
async fn readyz(State(app): State<AppState>) -> ApiResult<Json<Health>> {
    app.store.ready().await?;
    Ok(Json(Health { status: "ready" }))
}
