//! `GET /metrics` in the Prometheus text format, and the HTTP metrics every request records.
//!
//! The `prometheus` crate (tikv/rust-prometheus) rather than `metrics` + `metrics-exporter-prometheus`:
//! its registries are values, not one global recorder, so each [`AppState`] (and each test server in
//! one test process) owns its metrics and the job engine registers into the same registry explicitly;
//! without its default `protobuf` feature it brings only the text encoder we serve.
//!
//! Labels are route templates (axum's `MatchedPath`, never the raw path), methods, statuses, job kinds
//! and states, so ids and names never reach a label and the series stay few. What the database knows
//! (jobs per kind and state, the pool's connections) is read at scrape time, not kept in this process.
//!
//! The endpoint is unauthenticated like `/healthz`, for the operator's scraper: keep it off the public
//! network (or turn it off with `metrics.enabled = false`).

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::{header::CONTENT_TYPE, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use domain::{error::Family, job::JobState};
use prometheus::{
    proto::MetricFamily, Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::{rate_limit::Limit, AppState};

/// The route label of requests that matched no route (unknown paths all share it).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Request latency buckets in seconds, from a cached read to a slow password hash or a timeout.
const HTTP_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The registry `/metrics` gathers, and the HTTP families this crate records into it.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_duration: HistogramVec,
    throttled: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A new registry with the HTTP families in it.
    pub fn new() -> Self {
        let labels = ["route", "method", "status"];
        let requests = IntCounterVec::new(
            Opts::new(
                "ucsd_http_requests_total",
                "HTTP requests answered, by route template, method and status.",
            ),
            &labels,
        )
        .expect("valid counter");
        let request_duration = HistogramVec::new(
            HistogramOpts::new(
                "ucsd_http_request_duration_seconds",
                "Time from a request's arrival to its response's headers, by route template, method and status.",
            )
            .buckets(HTTP_BUCKETS.to_vec()),
            &labels,
        )
        .expect("valid histogram");
        let throttled = IntCounterVec::new(
            Opts::new(
                "ucsd_http_throttled_total",
                "Requests refused with 429 by a rate limit, by error family (ucs, cce) and limit (tenant, credential).",
            ),
            &["family", "limit"],
        )
        .expect("valid counter");
        // Every series from the start, at zero, so that a rate or an alert has one before the first 429.
        for family in ["ucs", "cce"] {
            for limit in [Limit::Tenant, Limit::Credential] {
                throttled.with_label_values(&[family, limit.as_str()]);
            }
        }
        let registry = Registry::new();
        registry.register(Box::new(requests.clone())).expect("fresh registry");
        registry.register(Box::new(request_duration.clone())).expect("fresh registry");
        registry.register(Box::new(throttled.clone())).expect("fresh registry");
        Self { registry, requests, request_duration, throttled }
    }

    /// Where other parts of the process (the job engine) register their families.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    fn observe(&self, route: &str, method: &Method, status: u16, took: std::time::Duration) {
        let status = status.to_string();
        let labels = [route, method_label(method), status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.request_duration.with_label_values(&labels).observe(took.as_secs_f64());
    }
}

impl Metrics {
    /// Counts a request refused by a rate limit.
    pub(crate) fn throttled(&self, family: Family, limit: Limit) {
        let family = match family {
            Family::Ucs => "ucs",
            Family::Cce => "cce",
        };
        self.throttled.with_label_values(&[family, limit.as_str()]).inc();
    }
}

/// The standard methods by name; any other (a client may send anything) as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware: records every request's count and latency under its route template.
pub(crate) async fn track(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_string(), |path| path.as_str().to_string());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    app.metrics.observe(&route, &method, response.status().as_u16(), started.elapsed());
    response
}

/// `GET /metrics`: this process's families, then what the database says now.
pub(crate) async fn scrape(State(app): State<AppState>) -> Response {
    let mut families = app.metrics.registry.gather();
    families.extend(database_families(&app).await);
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    if let Err(e) = encoder.encode(&families, &mut body) {
        tracing::warn!(error = %e, "cannot encode metrics");
    }
    ([(CONTENT_TYPE, encoder.format_type().to_string())], body).into_response()
}

/// Jobs per kind and state (one `GROUP BY`) and the connection pool, read now. A failed count is
/// logged and its family left out, so the process's own metrics still reach the scraper.
async fn database_families(app: &AppState) -> Vec<MetricFamily> {
    let registry = Registry::new();
    let pool = app.store.pool();
    let connections = IntGaugeVec::new(
        Opts::new("ucsd_db_pool_connections", "Connections of this process's database pool, in use or idle."),
        &["state"],
    )
    .expect("valid gauge");
    let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
    let open = i64::from(pool.size());
    connections.with_label_values(&["in_use"]).set((open - idle).max(0));
    connections.with_label_values(&["idle"]).set(idle);
    let max =
        IntGauge::new("ucsd_db_pool_max_connections", "The most connections this process's pool opens.")
            .expect("valid gauge");
    max.set(i64::from(pool.options().get_max_connections()));
    registry.register(Box::new(connections)).expect("fresh registry");
    registry.register(Box::new(max)).expect("fresh registry");

    match app.store.job_count_by_kind_state().await {
        Ok(counts) => {
            let jobs = IntGaugeVec::new(
                Opts::new(
                    "ucsd_jobs",
                    "Jobs in the database (all replicas') by kind and state, counted at scrape time; \
                     workflow steps are not counted.",
                ),
                &["kind", "state"],
            )
            .expect("valid gauge");
            // Every state of a kind that has jobs, zero where none is, so a rate or alert has a series.
            for count in &counts {
                for state in JobState::ALL {
                    jobs.with_label_values(&[count.kind.as_str(), state.as_str()]);
                }
            }
            for count in counts {
                jobs.with_label_values(&[count.kind.as_str(), count.state.as_str()]).set(count.count);
            }
            registry.register(Box::new(jobs)).expect("fresh registry");
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count jobs"),
    }
    registry.gather()
}
