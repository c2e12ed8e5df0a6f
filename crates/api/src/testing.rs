//! ucsd's testing tools, under `/ucsd/testing/` (no UCS path; docs/testing.md): reset the caller's
//! tenant, fault rules at run time, the request journal, the clock and settling. Off unless the
//! server runs with `testing.enabled`; off, the routes answer exactly what an unknown route answers
//! (the check is in [`crate::auth::authenticate`], before authorization, so no role learns that they
//! exist), and nothing is journaled. Only a tenant administrator may call them, on its own tenant.

use std::time::{Duration as StdDuration, Instant};

use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json as JsonOut,
};
use chrono::{DateTime, SecondsFormat, Utc};
use domain::{
    authz::actions,
    error::ucs,
    ids::{FaultId, JobId},
    job::JobState,
    testing::{redact, redact_query, FaultSpec, FaultTarget, RequestFacts},
    Error,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use store::testing::{AuditRetention, Fault, JournalEntry, JournalFilter, NewJournalEntry, TenantReset};

use crate::{
    auth::Caller,
    error::{family_of, ApiError, ApiResult},
    extract::{Json, Path, Query},
    routes::Route,
    snapshot::{Imported, Snapshot},
    AppState,
};

pub(crate) fn routes() -> Vec<Route> {
    vec![
        Route::post("/ucsd/testing/reset", actions::TESTING_RESET, reset),
        Route::get("/ucsd/testing/faults", actions::TESTING_FAULT_LIST, faults_list),
        Route::post("/ucsd/testing/faults", actions::TESTING_FAULT_CREATE, fault_create),
        Route::delete("/ucsd/testing/faults", actions::TESTING_FAULT_DELETE, faults_delete_all),
        Route::delete("/ucsd/testing/faults/{fault_id}", actions::TESTING_FAULT_DELETE, fault_delete),
        Route::get("/ucsd/testing/requests", actions::TESTING_REQUEST_LIST, requests_list),
        Route::delete("/ucsd/testing/requests", actions::TESTING_REQUEST_CLEAR, requests_clear),
        Route::get("/ucsd/testing/clock", actions::TESTING_CLOCK_GET, clock_get),
        Route::post("/ucsd/testing/clock", actions::TESTING_CLOCK_SET, clock_set),
        Route::post("/ucsd/testing/settle", actions::TESTING_SETTLE, settle),
        Route::get("/ucsd/testing/snapshot", actions::TESTING_SNAPSHOT_EXPORT, snapshot_export),
        Route::post("/ucsd/testing/snapshot", actions::TESTING_SNAPSHOT_IMPORT, snapshot_import),
    ]
}

/// Whether a route's action belongs to the testing tools.
pub(crate) fn is_testing_action(action: domain::authz::Action) -> bool {
    action.name.starts_with("ucsd:testing:")
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetQuery {
    /// `keep` (the default) or `remove` the tenant's audit events.
    #[serde(default)]
    audit: Audit,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
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

/// An instant as the testing tools write it: RFC 3339 in UTC with milliseconds.
fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

// ---- Faults --------------------------------------------------------------------------------------

/// A fault rule as the API answers it: the rule as created, and its life so far.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FaultView {
    id: FaultId,
    #[serde(flatten)]
    spec: FaultSpec,
    /// How often it fires yet; `null`: unlimited.
    remaining: Option<i64>,
    fired: i64,
    created_at: String,
}

impl FaultView {
    fn of(fault: &Fault) -> Self {
        FaultView {
            id: fault.id,
            spec: fault.spec.clone(),
            remaining: fault.remaining,
            fired: fault.fired,
            created_at: time(fault.created_at),
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct FaultList {
    faults: Vec<FaultView>,
}

/// How many records a clear removed.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Deleted {
    deleted: u64,
}

/// Whether an operationId or path template names a route fault rules can match (not a testing one).
fn known_route(operation: Option<&str>, path: Option<&str>) -> Result<(), Error> {
    let table: Vec<_> = crate::routes::table().into_iter().filter(|r| !is_testing_action(r.action)).collect();
    if let Some(operation) = operation {
        if !table.iter().any(|r| crate::openapi::operation_id(r.method.as_str(), r.path) == Some(operation)) {
            return Err(Error::invalid_body(format!(
                "operation {operation:?} is no operationId of a UCS or CCE route (see /openapi.json)"
            )));
        }
    }
    if let Some(path) = path {
        if !table.iter().any(|r| r.path == path) {
            return Err(Error::invalid_body(format!(
                "path {path:?} is no path template of a UCS or CCE route (see /openapi.json)"
            )));
        }
    }
    Ok(())
}

async fn fault_create(
    State(app): State<AppState>,
    caller: Caller,
    Json(spec): Json<FaultSpec>,
) -> ApiResult<Response> {
    let target = spec.validate()?;
    known_route(spec.operation.as_deref(), spec.path.as_deref())?;
    let fault = app.store.fault_create(caller.domain_id(), target, &spec).await?;
    tracing::info!(tenant = %caller.domain_id(), fault = %fault.id, "fault rule created");
    Ok((StatusCode::CREATED, JsonOut(FaultView::of(&fault))).into_response())
}

async fn faults_list(State(app): State<AppState>, caller: Caller) -> ApiResult<JsonOut<FaultList>> {
    let faults = app.store.faults_list(caller.domain_id()).await?;
    Ok(JsonOut(FaultList { faults: faults.iter().map(FaultView::of).collect() }))
}

async fn fault_delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(fault_id): Path<String>,
) -> ApiResult<StatusCode> {
    let not_found = || Error::new(ucs::NO_REQUESTED_RESOURCES_FOUND).with_detail("no such fault rule");
    let id: FaultId = fault_id.parse().map_err(|_| not_found())?;
    if app.store.fault_delete(caller.domain_id(), id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found().into())
    }
}

async fn faults_delete_all(State(app): State<AppState>, caller: Caller) -> ApiResult<JsonOut<Deleted>> {
    let deleted = app.store.faults_delete_all(caller.domain_id()).await?;
    Ok(JsonOut(Deleted { deleted }))
}

// ---- The journal and the faults of requests --------------------------------------------------------

/// What the journal keeps of a response.
pub(crate) struct Outcome {
    status: u16,
    error_code: Option<&'static str>,
    fault: Option<FaultId>,
}

/// The fault rule that fired on a request (in its response's extensions).
#[derive(Debug, Clone, Copy)]
struct FiredFault(FaultId);

/// What the testing tools learn of a request before it runs: what fault rules match on and what the
/// journal keeps (the body already redacted).
pub(crate) struct Recorder {
    started: Instant,
    method: String,
    route: String,
    path: String,
    query: Option<String>,
    operation: Option<&'static str>,
    params: Vec<String>,
    body_name: Option<String>,
    body: Option<Value>,
}

/// The values of a path's parameters: the segments where its template has `{…}`.
fn path_params(route: &str, path: &str) -> Vec<String> {
    route
        .split('/')
        .zip(path.split('/'))
        .filter(|(template, _)| template.starts_with('{'))
        .map(|(_, value)| percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned())
        .collect()
}

/// A request body as the journal keeps it: JSON, a form as an object of its fields, else text.
fn body_value(content_type: &str, bytes: &[u8]) -> Option<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let fields: Map<String, Value> = form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Some(Value::Object(fields));
    }
    serde_json::from_slice(bytes)
        .ok()
        .or_else(|| Some(Value::String(String::from_utf8_lossy(bytes).into_owned())))
}

impl Recorder {
    /// Reads what the testing tools need of `request` (its body is read already, up to the limit,
    /// and handed on unchanged).
    pub(crate) async fn start(request: Request) -> (Request, Recorder) {
        let (parts, body) = request.into_parts();
        let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
        let route =
            parts.extensions.get::<axum::extract::MatchedPath>().map_or("", |p| p.as_str()).to_string();
        let path = parts.uri.path().to_string();
        let content_type =
            parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mut body = body_value(&content_type.to_ascii_lowercase(), &bytes);
        let body_name = body
            .as_ref()
            .and_then(|b| b.pointer("/metadata/name"))
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(body) = &mut body {
            redact(body);
        }
        let recorder = Recorder {
            started: Instant::now(),
            method: parts.method.as_str().to_string(),
            operation: crate::openapi::operation_id(parts.method.as_str(), &route),
            params: path_params(&route, &path),
            query: parts.uri.query().filter(|q| !q.is_empty()).map(redact_query),
            route,
            path,
            body_name,
            body,
        };
        (Request::from_parts(parts, Body::from(bytes)), recorder)
    }

    /// Runs the request under the tenant's fault rules: the first that matches and fires delays it,
    /// or answers its error instead of running it.
    pub(crate) async fn run(
        &self,
        app: &AppState,
        caller: &Caller,
        request: Request,
        next: Next,
    ) -> Response {
        let fired = match self.fire(app, caller).await {
            Ok(fired) => fired,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the tenant's fault rules");
                None
            }
        };
        let Some(fault) = fired else { return next.run(request).await };
        if let Some(millis) = fault.spec.delay_millis() {
            tokio::time::sleep(StdDuration::from_millis(millis)).await;
        }
        let mut response = match &fault.spec.error {
            Some(error) => ApiError(error.to_error(family_of(&self.path))).into_response(),
            None => next.run(request).await,
        };
        response.extensions_mut().insert(FiredFault(fault.id));
        response
    }

    async fn fire(&self, app: &AppState, caller: &Caller) -> domain::Result<Option<Fault>> {
        let facts = RequestFacts {
            operation: self.operation,
            method: &self.method,
            route: &self.route,
            params: &self.params,
            body_name: self.body_name.as_deref(),
        };
        for fault in app.store.faults_armed(caller.domain_id(), FaultTarget::Request).await? {
            if fault.spec.matches_request(&facts)
                && fault.spec.fires()
                && app.store.fault_use(fault.id).await?
            {
                return Ok(Some(fault));
            }
        }
        Ok(None)
    }

    /// What the journal keeps of the answer (read before anything awaits: a response is not `Sync`).
    pub(crate) fn outcome(&self, response: &Response) -> Outcome {
        let family = family_of(&self.path);
        Outcome {
            status: response.status().as_u16(),
            error_code: response.extensions().get::<ApiError>().map(|e| e.0.clone().in_family(family).code()),
            fault: response.extensions().get::<FiredFault>().map(|f| f.0),
        }
    }

    /// Journals the request with its answer.
    pub(crate) async fn finish(self, app: &AppState, caller: &Caller, outcome: Outcome) {
        let entry = NewJournalEntry {
            kind: "request",
            operation: self.operation.map(str::to_string),
            method: Some(self.method),
            path: self.path,
            route: Some(self.route),
            query: self.query,
            status: Some(outcome.status),
            error_code: outcome.error_code.map(str::to_string),
            duration_ms: Some(i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)),
            request_id: Some(caller.request_id.clone()),
            fault_id: outcome.fault,
            body: self.body,
        };
        if let Err(e) = app.store.journal_append(caller.domain_id(), entry, app.config.journal_limit).await {
            tracing::warn!(error = %e, "could not journal the request");
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct JournalQuery {
    operation: Option<String>,
    #[schemars(regex(pattern = "^([1-5]xx|[1-5][0-9][0-9])$"))]
    status: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    since: Option<String>,
    #[schemars(range(min = 1, max = 1000))]
    limit: Option<i64>,
    #[schemars(range(min = 0))]
    offset: Option<i64>,
}

impl JournalQuery {
    fn filter(self) -> Result<JournalFilter, Error> {
        let status = match self.status.as_deref() {
            None => None,
            Some(class) if class.len() == 3 && class.ends_with("xx") => match class[..1].parse::<u16>() {
                Ok(c @ 1..=5) => Some((c * 100, c * 100 + 99)),
                _ => return Err(Error::bad_query("status must be an HTTP status (429) or a class (4xx)")),
            },
            Some(code) => match code.parse::<u16>() {
                Ok(s @ 100..=599) => Some((s, s)),
                _ => return Err(Error::bad_query("status must be an HTTP status (429) or a class (4xx)")),
            },
        };
        let since = match self.since.as_deref() {
            None => None,
            Some(t) => Some(
                DateTime::parse_from_rfc3339(t)
                    .map_err(|_| Error::bad_query("since must be an RFC 3339 time (2026-01-02T03:04:05Z)"))?
                    .with_timezone(&Utc),
            ),
        };
        let limit = self.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(Error::bad_query("limit must be 1-1000"));
        }
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            return Err(Error::bad_query("offset must not be negative"));
        }
        Ok(JournalFilter {
            operation: self.operation.filter(|o| !o.is_empty()),
            status,
            since,
            limit,
            offset,
        })
    }
}

/// The journal's page and how many entries match in all.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Journal {
    total: i64,
    requests: Vec<JournalView>,
}

/// One entry of the request journal (docs/testing.md): a request, or a simulated step.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct JournalView {
    id: i64,
    kind: String,
    time: String,
    operation: Option<String>,
    method: Option<String>,
    path: String,
    route: Option<String>,
    query: Option<String>,
    status: Option<i64>,
    error_code: Option<String>,
    duration_millis: Option<i64>,
    request_id: Option<String>,
    fault: Option<String>,
    /// The request's body with its secrets redacted.
    body: Option<Value>,
}

impl JournalView {
    fn of(e: JournalEntry) -> Self {
        JournalView {
            id: e.id,
            kind: e.kind,
            time: time(e.time),
            operation: e.operation,
            method: e.method,
            path: e.path,
            route: e.route,
            query: e.query,
            status: e.status,
            error_code: e.error_code,
            duration_millis: e.duration_millis,
            request_id: e.request_id,
            fault: e.fault,
            body: e.body,
        }
    }
}

async fn requests_list(
    State(app): State<AppState>,
    caller: Caller,
    Query(query): Query<JournalQuery>,
) -> ApiResult<JsonOut<Journal>> {
    let filter = query.filter()?;
    let (total, entries) = app.store.journal_list(caller.domain_id(), &filter).await?;
    Ok(JsonOut(Journal { total, requests: entries.into_iter().map(JournalView::of).collect() }))
}

async fn requests_clear(State(app): State<AppState>, caller: Caller) -> ApiResult<JsonOut<Deleted>> {
    let deleted = app.store.journal_clear(caller.domain_id()).await?;
    Ok(JsonOut(Deleted { deleted }))
}

// ---- Time ----------------------------------------------------------------------------------------

/// The longest simulated step the clock endpoint sets.
const MAX_STEP_MILLIS: u64 = 600_000;

/// The server's clock: what time it is, how far it was moved, how long a simulated step takes.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClockView {
    now: String,
    offset_millis: i64,
    step_millis: u64,
}

fn clock_view(app: &AppState) -> ClockView {
    ClockView {
        now: time(app.store.clock().now()),
        offset_millis: app.clock_advanced.load(std::sync::atomic::Ordering::Relaxed),
        step_millis: u64::try_from(app.step_time.get().as_millis()).unwrap_or(u64::MAX),
    }
}

async fn clock_get(State(app): State<AppState>, _caller: Caller) -> JsonOut<ClockView> {
    JsonOut(clock_view(&app))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(extend("anyOf" = [
    {"required": ["advanceMillis"]},
    {"required": ["stepMillis"]}
]))]
pub(crate) struct ClockChange {
    #[schemars(range(min = 0))]
    advance_millis: Option<i64>,
    #[schemars(range(max = MAX_STEP_MILLIS))]
    step_millis: Option<u64>,
}

async fn clock_set(
    State(app): State<AppState>,
    caller: Caller,
    Json(change): Json<ClockChange>,
) -> ApiResult<JsonOut<ClockView>> {
    if change.advance_millis.is_none() && change.step_millis.is_none() {
        return Err(Error::invalid_body("give advanceMillis, stepMillis or both").into());
    }
    if change.advance_millis.is_some_and(|a| a < 0) {
        return Err(Error::invalid_body("advanceMillis must not be negative: time never goes back").into());
    }
    if change.step_millis.is_some_and(|s| s > MAX_STEP_MILLIS) {
        return Err(Error::invalid_body(format!("stepMillis must be at most {MAX_STEP_MILLIS}")).into());
    }
    if let Some(advance) = change.advance_millis.filter(|a| *a > 0) {
        app.store.clock().shift(chrono::Duration::milliseconds(advance))?;
        app.clock_advanced.fetch_add(advance, std::sync::atomic::Ordering::Relaxed);
        // Jobs whose time came run now, not at the workers' next poll.
        app.store.wake_workers();
    }
    if let Some(step) = change.step_millis {
        app.step_time.set(StdDuration::from_millis(step));
    }
    tracing::info!(tenant = %caller.domain_id(), ?change, "testing clock changed");
    Ok(JsonOut(clock_view(&app)))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SettleQuery {
    #[schemars(range(max = MAX_SETTLE_MILLIS))]
    timeout_millis: Option<u64>,
    horizon_millis: Option<i64>,
}

/// How long settle waits at most.
const MAX_SETTLE_MILLIS: u64 = 300_000;

/// What settle answers: whether the tenant's jobs settled, after how long, and those still runnable.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Settled {
    settled: bool,
    waited_millis: u64,
    open: Vec<OpenJob>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct OpenJob {
    id: JobId,
    kind: &'static str,
    state: &'static str,
    resource_type: String,
    resource_id: String,
    run_at: String,
    attempts: i64,
    last_error: Option<String>,
}

/// Waits until no job of the caller's tenant is runnable (running, or pending and due within the
/// horizon), or the timeout; answers what is still runnable.
async fn settle(
    State(app): State<AppState>,
    caller: Caller,
    Query(query): Query<SettleQuery>,
) -> ApiResult<JsonOut<Settled>> {
    let timeout = query.timeout_millis.unwrap_or(30_000);
    if timeout > MAX_SETTLE_MILLIS {
        return Err(Error::bad_query(format!("timeoutMillis must be at most {MAX_SETTLE_MILLIS}")).into());
    }
    let horizon = chrono::Duration::milliseconds(query.horizon_millis.unwrap_or(60_000).max(0));
    // Due by then; a horizon past the end of time covers every pending job.
    let due = |run_at, now: chrono::DateTime<chrono::Utc>| {
        now.checked_add_signed(horizon).is_none_or(|by| run_at <= by)
    };
    let started = Instant::now();
    loop {
        let now = app.store.clock().now();
        let runnable: Vec<_> = app
            .store
            .jobs_open_of(caller.domain_id())
            .await?
            .into_iter()
            .filter(|j| j.state == JobState::Running || (j.state == JobState::Pending && due(j.run_at, now)))
            .collect();
        let waited = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if runnable.is_empty() || waited >= timeout {
            let open: Vec<OpenJob> = runnable
                .iter()
                .map(|j| OpenJob {
                    id: j.id,
                    kind: j.kind.as_str(),
                    state: j.state.as_str(),
                    resource_type: j.resource_type.clone(),
                    resource_id: j.resource_id.clone(),
                    run_at: time(j.run_at),
                    attempts: j.attempts,
                    last_error: j.last_error.clone(),
                })
                .collect();
            return Ok(JsonOut(Settled { settled: open.is_empty(), waited_millis: waited, open }));
        }
        tokio::time::sleep(StdDuration::from_millis(20).min(StdDuration::from_millis(timeout - waited)))
            .await;
    }
}

// ---- Snapshots -----------------------------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SnapshotQuery {
    /// `include`: sealed secrets go into the document in the clear; `omit` (the default): left out.
    #[serde(default)]
    secrets: Secrets,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Secrets {
    #[default]
    Omit,
    Include,
}

async fn snapshot_export(
    State(app): State<AppState>,
    caller: Caller,
    Query(query): Query<SnapshotQuery>,
) -> ApiResult<JsonOut<Snapshot>> {
    let secrets = matches!(query.secrets, Secrets::Include);
    let document = crate::snapshot::export(&app.store, &app.sealer, caller.domain_id(), secrets).await?;
    Ok(JsonOut(document))
}

async fn snapshot_import(
    State(app): State<AppState>,
    caller: Caller,
    Json(document): Json<Snapshot>,
) -> ApiResult<JsonOut<Imported>> {
    let imported = crate::snapshot::import(&app.store, &app.sealer, &caller.actor(), document).await?;
    tracing::info!(tenant = %caller.domain_id(), "snapshot imported");
    Ok(JsonOut(imported))
}
