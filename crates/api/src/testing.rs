//! ucsd's own testing tools, under `/ucsd/testing/` (no UCS path): `POST /ucsd/testing/reset` wipes
//! the caller's tenant's state and keeps its credentials. Off unless the server runs with
//! `testing.enabled`; off, the routes answer exactly what an unknown route answers (the check is in
//! [`crate::auth::authenticate`], before authorization, so no role learns that they exist).

use axum::{extract::State, Json as JsonOut};
use domain::authz::actions;
use serde::Deserialize;
use store::testing::{AuditRetention, TenantReset};

use crate::{auth::Caller, error::ApiResult, extract::Query, routes::Route, AppState};

pub(crate) fn routes() -> Vec<Route> {
    vec![Route::post("/ucsd/testing/reset", actions::TESTING_RESET, reset)]
}

/// Whether a route's action belongs to the testing tools.
pub(crate) fn is_testing_action(action: domain::authz::Action) -> bool {
    action.name.starts_with("ucsd:testing:")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetQuery {
    /// `keep` (the default) or `remove` the tenant's audit events.
    #[serde(default)]
    audit: Audit,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Audit {
    #[default]
    Keep,
    Remove,
}

/// Resets the caller's own tenant; answers what was removed.
async fn reset(
    State(app): State<AppState>,
    caller: Caller,
    Query(query): Query<ResetQuery>,
) -> ApiResult<JsonOut<TenantReset>> {
    let audit = match query.audit {
        Audit::Keep => AuditRetention::Keep,
        Audit::Remove => AuditRetention::Remove,
    };
    let removed = app.store.tenant_reset(&caller.actor(), audit).await?;
    tracing::info!(tenant = %caller.domain_id(), ?removed, "tenant state reset");
    Ok(JsonOut(removed))
}
