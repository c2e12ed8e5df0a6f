//! The HTTP API of ucsd: one axum router speaking the UCS v1 and CCE v3 wire formats, the
//! IAM-compatible identity endpoints, authentication, and thin handlers (one module per resource) that
//! validate, authorize and make one store call.

pub mod auth;
pub mod cache;
mod cce;
mod clusters;
pub mod error;
pub mod extract;
mod federation;
mod fleets;
pub(crate) mod health;
mod iam;
pub mod metrics;
mod objects_only;
pub mod openapi;
pub mod paging;
mod pki;
pub(crate) mod quota;
pub mod rate_limit;
pub mod routes;
mod rules;
pub mod snapshot;
pub(crate) mod testing;
mod wire;

use std::{ops::Deref, sync::Arc, time::Duration};

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method},
    middleware,
    response::{IntoResponse, Response},
    Router,
};
use domain::Error;
use secrets::Keyring;
use store::Store;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

pub use crate::iam::verify_password_login;
use crate::{auth::token::TokenKeys, error::ApiError};

/// Settings of the API (the server crate fills them from its config).
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The region id: the name of every tenant's default project, and the CCE region of the catalog.
    pub region: String,
    /// The URL clients reach this server at, for the token catalog; `None`: from the request's Host.
    pub public_url: Option<String>,
    pub token_ttl_secs: i64,
    /// How far `X-Sdk-Date` may be from the server's clock.
    pub max_clock_skew_secs: i64,
    pub body_limit_bytes: usize,
    pub quotas: Quotas,
    /// How often each step of an upgrade task is tried before the task fails.
    pub upgrade_step_attempts: i64,
    /// Serve `GET /metrics` (unauthenticated; for the operator's scraper, not the public network).
    pub metrics_enabled: bool,
    /// Serve ucsd's testing tools (`/ucsd/testing/…`); off, they answer 404 like unknown routes.
    pub testing_enabled: bool,
    /// How long a verified credential is used without reading the database (the bound for a change
    /// no notification reports); 0: read on every request. See [`auth::cache`].
    pub credential_cache_ttl_millis: u64,
    /// How many verified credentials are kept.
    pub credential_cache_entries: usize,
    /// Bytes of list and show responses kept for their tenant's generation (see [`cache`]); 0: off.
    pub response_cache_bytes: usize,
    /// Request journal entries kept per tenant (with `testing_enabled`).
    pub journal_limit: i64,
    /// Requests per second of a tenant and of a credential (see [`rate_limit`]).
    pub rate_limits: rate_limit::RateLimitConfig,
}

/// Per-tenant quotas.
#[derive(Debug, Clone, Copy)]
pub struct Quotas {
    pub clusters: i64,
    pub fleets: i64,
    pub clusters_per_fleet: i64,
    pub rules: i64,
    /// Federated fleets.
    pub federations: i64,
    /// Node pools a CCE cluster may have besides its default pool.
    pub node_pools_per_cluster: i64,
    /// Nodes a node pool may have.
    pub nodes_per_node_pool: i64,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            clusters: 50,
            fleets: 50,
            clusters_per_fleet: 50,
            rules: 100,
            federations: 5,
            node_pools_per_cluster: 50,
            nodes_per_node_pool: 100,
        }
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            region: "cn-north-4".to_string(),
            public_url: None,
            token_ttl_secs: 24 * 3600,
            max_clock_skew_secs: 15 * 60,
            body_limit_bytes: 1024 * 1024,
            quotas: Quotas::default(),
            upgrade_step_attempts: 5,
            metrics_enabled: true,
            testing_enabled: false,
            credential_cache_ttl_millis: 1000,
            credential_cache_entries: 10_000,
            response_cache_bytes: 16 * 1024 * 1024,
            journal_limit: 1000,
            rate_limits: rate_limit::RateLimitConfig::default(),
        }
    }
}

/// What every handler can reach.
#[derive(Debug)]
pub struct AppInner {
    pub store: Store,
    /// Seals secrets at rest with the key ring's active key, opens them with any of its keys.
    pub sealer: Keyring,
    /// Signs tokens with the same ring.
    pub tokens: TokenKeys,
    pub config: ApiConfig,
    /// The process's metrics registry (the job engine registers into it too).
    pub metrics: metrics::Metrics,
    /// Verified credentials (see [`auth::cache`]).
    pub credentials: auth::cache::CredentialCache,
    /// List and show responses by tenant generation (see [`cache`]).
    pub responses: cache::ResponseCache,
    /// The request rate limits' buckets (see [`rate_limit`]).
    pub rate_limits: rate_limit::RateLimits,
    /// How long a simulated step takes (the simulator reads it; the testing tools change it).
    pub step_time: domain::testing::StepTime,
    /// How far the testing tools moved the clock ahead, in milliseconds.
    pub clock_advanced: std::sync::atomic::AtomicI64,
}

#[derive(Debug, Clone)]
pub struct AppState(Arc<AppInner>);

impl AppState {
    pub fn new(store: Store, keyring: Keyring, config: ApiConfig) -> Self {
        Self(Arc::new(AppInner {
            store,
            tokens: TokenKeys::new(keyring.clone()),
            sealer: keyring,
            credentials: auth::cache::CredentialCache::new(
                Duration::from_millis(config.credential_cache_ttl_millis),
                config.credential_cache_entries,
            ),
            responses: cache::ResponseCache::new(config.response_cache_bytes),
            rate_limits: rate_limit::RateLimits::new(&config.rate_limits),
            config,
            metrics: metrics::Metrics::new(),
            step_time: domain::testing::StepTime::default(),
            clock_advanced: std::sync::atomic::AtomicI64::new(0),
        }))
    }
}

impl Deref for AppState {
    type Target = AppInner;

    fn deref(&self) -> &AppInner {
        &self.0
    }
}

/// The request id of a request (tower-http's): made here for every request, sent back in
/// `X-Request-Id`, on every log line and audit event. One a client sends is not taken.
pub use tower_http::request_id::RequestId;

/// The request id of a request, from its extensions (empty before the request-id layer ran).
pub fn request_id_of(extensions: &axum::http::Extensions) -> &str {
    extensions.get::<RequestId>().and_then(|r| r.header_value().to_str().ok()).unwrap_or("")
}

/// Makes request ids: 32 hex digits from the OS generator (never the seeded id sequence).
#[derive(Debug, Clone, Copy)]
struct MakeId;

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = domain::ids::random_uuid().simple().to_string();
        Some(RequestId::new(HeaderValue::from_str(&id).expect("hex is a valid header")))
    }
}

/// A client's `X-Request-Id` is dropped: the id in logs and audit events is always the server's.
async fn forget_client_request_id(mut request: Request) -> Request {
    request.headers_mut().remove(REQUEST_ID);
    request
}

const REQUEST_ID: &str = "x-request-id";

fn request_span(request: &Request) -> tracing::Span {
    let id = request_id_of(request.extensions());
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
        tenant = tracing::field::Empty,
        user = tracing::field::Empty,
        action = tracing::field::Empty,
    )
}

/// Unknown routes. Under the API prefixes the caller is authenticated first, so an unauthenticated
/// probe learns nothing, not even which routes exist; and rate-limited like any request of theirs.
async fn not_found(State(app): State<AppState>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let protected = ["/v1/", "/v3/", "/api/", "/autopilot/", "/ucsd/"].iter().any(|p| path.starts_with(p));
    if protected {
        match auth::authenticated(&app, request).await {
            Err(e) => return ApiError(e).into_response(),
            Ok(request) => {
                let caller = request
                    .extensions()
                    .get::<auth::Caller>()
                    .expect("authenticated requests carry a caller");
                if let Some(refusal) = rate_limit::refusal(&app, caller, &path) {
                    return refusal;
                }
            }
        }
    }
    ApiError(no_such_route()).into_response()
}

/// What an unknown route answers (and a route that is switched off).
pub(crate) fn no_such_route() -> Error {
    Error::new(domain::error::ucs::NO_REQUESTED_RESOURCES_FOUND).with_detail("no such route")
}

/// A route asked with a method it does not serve: 405 in the route's family; axum adds `Allow`.
async fn method_not_allowed(method: Method) -> ApiError {
    ApiError(
        Error::new(domain::error::http::METHOD_NOT_ALLOWED)
            .with_detail(format!("method {method} is not allowed on this route (see the Allow header)")),
    )
}

/// A handler that panicked answers 500 in its route's family, with its request id, and the panic is
/// logged as the error's internal cause; the connection is not dropped.
fn panic_answer(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let cause = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    ApiError(Error::internal(format!("the handler panicked: {cause}"))).into_response()
}

/// The whole API.
pub fn router(state: AppState) -> Router {
    let authenticated = routes::all()
        .into_iter()
        .fold(Router::new(), |router, route| router.route(route.path, route.handler))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate));
    let mut public = health::router().route("/openapi.json", axum::routing::get(openapi::serve));
    if state.config.metrics_enabled {
        public = public.route("/metrics", axum::routing::get(metrics::scrape));
    }
    Router::new()
        .merge(public)
        .merge(iam::public_router())
        .merge(authenticated)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Inside the error rendering, so a panic's 500 is logged and rendered like any error.
        .layer(CatchPanicLayer::custom(panic_answer))
        .layer(middleware::from_fn(error::render_errors))
        // Outside the error rendering, so it records the status sent; `MatchedPath` is set by now.
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(request_span).on_request(()).on_response(
            |response: &Response, latency: Duration, _span: &tracing::Span| {
                tracing::info!(
                    status = response.status().as_u16(),
                    latency_ms = latency.as_millis() as u64,
                    "done"
                );
            },
        ))
        .layer(PropagateRequestIdLayer::new(HeaderName::from_static(REQUEST_ID)))
        .layer(SetRequestIdLayer::new(HeaderName::from_static(REQUEST_ID), MakeId))
        .layer(middleware::map_request(forget_client_request_id))
        .layer(axum::extract::DefaultBodyLimit::max(state.config.body_limit_bytes))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, routing::get};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_its_family_without_the_cause() {
        let app = Router::new()
            .route("/api/v3/boom", get(|| async { panic!("secret detail") as &str }))
            .layer(CatchPanicLayer::custom(panic_answer))
            .layer(middleware::from_fn(error::render_errors));
        let request = axum::http::Request::get("/api/v3/boom").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 500);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(body["error_code"].as_str().unwrap().starts_with("CCE."), "{body}");
        assert!(!body["error_msg"].as_str().unwrap().contains("secret"), "the cause is logged, not sent");
    }
}
