//! Liveness and readiness, for load balancers and orchestrators.

use axum::{extract::State, routing::get, Json, Router};
use serde_json::{json, Value};

use crate::{error::ApiResult, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

/// The process is up.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers and its migrations are current.
async fn readyz(State(app): State<AppState>) -> ApiResult<Json<Value>> {
    app.store.ready().await?;
    Ok(Json(json!({ "status": "ready" })))
}
