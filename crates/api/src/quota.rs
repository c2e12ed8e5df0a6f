//! The tenant's quotas and their use (`GET /v1/maintenance/quota/{domainid}`, docs/wire.md U34). Numbers
//! are strings on the wire.

use axum::{extract::State, Json as JsonOut};
use domain::{authz::actions, error::ucs, Error};
use schemars::JsonSchema;
use serde::Serialize;

use crate::{auth::Caller, error::ApiResult, extract::Path, routes::Route, AppState};

pub(crate) fn routes() -> Vec<Route> {
    vec![Route::get("/v1/maintenance/quota/{domainid}", actions::QUOTA_GET, show)]
}

/// The most an operator may configure for one quota.
const MAX_QUOTA: i64 = 10_000;

async fn show(
    State(app): State<AppState>,
    caller: Caller,
    Path(domain_id): Path<String>,
) -> ApiResult<JsonOut<QuotaView>> {
    // Another domain's quotas are not found, like anything else of another tenant.
    if domain_id != caller.domain_id().to_string() {
        return Err(Error::not_found(ucs::NO_REQUESTED_RESOURCES_FOUND).into());
    }
    let usage = app.store.quota_usage(caller.domain_id()).await?;
    let q = app.config.quotas;
    let resource = |kind: &'static str, quota: i64, used: i64| QuotaResource {
        kind,
        quota: quota.to_string(),
        used: used.to_string(),
        unit: "",
        min: "0",
        max: MAX_QUOTA.to_string(),
    };
    Ok(JsonOut(QuotaView {
        quotas: Quotas {
            resources: [
                resource("cluster", q.clusters, usage.clusters),
                resource("clustergroup", q.fleets, usage.fleets),
                resource("rule", q.rules, usage.rules),
                resource("federation", q.federations, usage.federations),
            ],
        },
    }))
}

/// U34's body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Quota")]
pub(crate) struct QuotaView {
    quotas: Quotas,
}

#[derive(Serialize, JsonSchema)]
struct Quotas {
    resources: [QuotaResource; 4],
}

/// One quota and its use; numbers are strings on the wire.
#[derive(Serialize, JsonSchema)]
struct QuotaResource {
    #[serde(rename = "type")]
    kind: &'static str,
    quota: String,
    used: String,
    unit: &'static str,
    min: &'static str,
    max: String,
}
