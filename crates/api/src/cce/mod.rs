//! The CCE and CCE Autopilot API (docs/wire.md, docs/upgrades.md): clusters, upgrade information,
//! workflows and tasks. Each route is served under both services' paths where the SDK has twins; the
//! path's service is the cluster's flavor, and a cluster of the other flavor is not found.

pub(crate) mod access;
pub(crate) mod addons;
pub(crate) mod clusters;
pub(crate) mod nodepools;
pub(crate) mod tasks;
pub(crate) mod workflows;

use axum::{extract::FromRequestParts, handler::Handler, http::request::Parts};
use chrono::{DateTime, Utc};
use domain::{
    authz::Action,
    cce::CceCluster,
    ids::CceClusterId,
    upgrade::{catalogue::FlavorCatalogue, Catalogue, Flavor, VersionEntry},
    Error,
};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::{auth::Caller, error::ApiError, routes::Route, AppState};

pub use crate::wire::go_time;

/// The service of the request's path.
pub struct Service(pub Flavor);

impl<S: Send + Sync> FromRequestParts<S> for Service {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Service(Flavor::of_path(parts.uri.path())))
    }
}

impl Service {
    pub fn catalogue(&self) -> &'static FlavorCatalogue {
        Catalogue::get().flavor(self.0)
    }
}

pub(crate) fn routes() -> Vec<Route> {
    [
        clusters::routes(),
        access::routes(),
        nodepools::routes(),
        addons::routes(),
        workflows::routes(),
        tasks::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A route under its CCE path and, with `autopilot`, under the Autopilot twin (`/api/v3…` →
/// `/autopilot/v3…`), with one handler.
fn route<H: Handler<T, AppState> + Clone, T: 'static>(
    make: fn(&'static str, Action, H) -> Route,
    path: &'static str,
    autopilot: bool,
    action: Action,
    handler: H,
) -> Vec<Route> {
    let mut routes = vec![make(path, action, handler.clone())];
    if autopilot {
        // Route paths are static; the few twins are leaked each time the route table is built.
        let twin: &'static str = Box::leak(path.replacen("/api/", "/autopilot/", 1).into_boxed_str());
        routes.push(make(twin, action, handler));
    }
    routes
}

/// The caller's cluster of the path's service; anything else is not found.
pub async fn cluster(
    app: &AppState,
    caller: &Caller,
    service: &Service,
    id: &str,
) -> Result<CceCluster, ApiError> {
    let id: CceClusterId = id
        .parse()
        .map_err(|_| Error::not_found(domain::error::cce::NOT_FOUND).with_detail("no such cluster"))?;
    Ok(app.store.cce_cluster_get(caller.domain_id(), service.0, id).await?)
}

/// The project id of a CCE request (its path names it; authentication checked it is the caller's).
pub fn project_id(caller: &Caller) -> Result<String, ApiError> {
    caller
        .project
        .as_ref()
        .map(|p| p.id.to_string())
        .ok_or_else(|| ApiError(Error::forbidden("a CCE request must name the caller's project")))
}

/// The catalogue entry of a cluster's version.
pub fn version_of<'c>(service: &'c Service, cluster: &CceCluster) -> Result<&'c VersionEntry, ApiError> {
    service.catalogue().find(&cluster.version).ok_or_else(|| {
        ApiError(Error::internal(format!("cluster version {} is not in the catalogue", cluster.version)))
    })
}

/// What ucsd recorded of a typed request (`metadata`, `spec`), read back as its wire type for an
/// answer: only the type's attributes are shown; `null` (nothing recorded) is the type's default.
pub fn stored<T: serde::de::DeserializeOwned + Default>(value: &Value, what: &str) -> Result<T, ApiError> {
    if value.is_null() {
        return Ok(T::default());
    }
    T::deserialize(value)
        .map_err(|e| ApiError(Error::internal(format!("the recorded {what} is not of its wire type: {e}"))))
}

/// The `metadata` of ucsd's jobs, tasks, workflows and plans: the object's id and times (Go's form).
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CceObjectMetadata")]
pub struct Metadata {
    uid: String,
    creation_timestamp: String,
    update_timestamp: String,
}

impl Metadata {
    pub fn new(uid: impl std::fmt::Display, created: DateTime<Utc>, updated: DateTime<Utc>) -> Self {
        Self {
            uid: uid.to_string(),
            creation_timestamp: go_time(created),
            update_timestamp: go_time(updated),
        }
    }
}

pub use crate::wire::Empty;
