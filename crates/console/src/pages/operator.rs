//! The platform operator's pages: every tenant with its usage, and the job engine (jobs by kind and
//! state, with their reasons, attempts and lease owners; retry and cancel). They read the store
//! directly, as `ucsd admin jobs` does (no tenant API route sees across tenants), under actions only
//! [`Role::PlatformAdmin`](domain::identity::Role) holds.

use axum::{
    extract::{Path, Query, State},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use domain::{
    authz::actions,
    job::{Job, JobKind, JobState},
    job_admin::{self, JobFilter, StateFilter},
};
use maud::{html, Markup};
use serde::Deserialize;

use super::{done, failed, Flash};
use crate::{
    session::Session,
    ui::{self, badge, Nav},
    ConsoleRoute, ConsoleState,
};

pub(super) fn routes() -> Vec<ConsoleRoute> {
    vec![
        ConsoleRoute::get("/console/operator", actions::PLATFORM_TENANT_LIST, tenants),
        ConsoleRoute::get("/console/operator/jobs", actions::PLATFORM_JOB_LIST, jobs),
        ConsoleRoute::get("/console/operator/jobs/{job_id}", actions::PLATFORM_JOB_LIST, job),
        ConsoleRoute::post("/console/operator/jobs/{job_id}/retry", actions::PLATFORM_JOB_RETRY, retry),
        ConsoleRoute::post("/console/operator/jobs/{job_id}/cancel", actions::PLATFORM_JOB_CANCEL, cancel),
    ]
}

fn when(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
}

/// `GET /console/operator`: every tenant with its usage.
async fn tenants(State(state): State<ConsoleState>, session: Session) -> Response {
    let usage = match state.app.store.tenant_usage_list().await {
        Ok(usage) => usage,
        Err(e) => return super::shown(&session, e.into()),
    };
    let quotas = state.app.config.quotas;
    let body = html! {
        div #tenants-live data-live {
            table {
                caption { (usage.len()) " accounts" }
                thead { tr {
                    th { "Account" } th { "Users" } th { "Clusters" } th { "Fleets" } th { "Federations" }
                    th { "Policies" } th { "CCE clusters" } th { "Open jobs" } th { "Failed jobs" } th { "Since" }
                } }
                tbody {
                    @for t in &usage {
                        tr {
                            td { a href={ "/console/operator/jobs?tenant=" (t.domain_id) } { (t.name) }
                                 @if !t.enabled { " " (badge("disabled")) } }
                            td { (t.users) }
                            td { (ui::meter(&format!("{} clusters", t.name), t.clusters, quotas.clusters)) }
                            td { (t.fleets) " / " (quotas.fleets) }
                            td { (t.federations) " / " (quotas.federations) }
                            td { (t.rules) " / " (quotas.rules) }
                            td { (t.cce_clusters) }
                            td { (t.open_jobs) }
                            td { @if t.failed_jobs > 0 {
                                a href={ "/console/operator/jobs?tenant=" (t.domain_id) "&state=failed" } { (badge(&format!("{} failed", t.failed_jobs))) }
                            } @else { "0" } }
                            td { (t.created_at.format("%Y-%m-%d")) }
                        }
                    }
                }
            }
        }
    };
    ui::page(&session, Nav::Tenants, "Tenants", body).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct JobQuery {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    steps: Option<String>,
}

impl JobQuery {
    fn filter(&self) -> domain::Result<JobFilter> {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Ok(JobFilter {
            tenant: some(&self.tenant)
                .map(|t| t.parse())
                .transpose()
                .map_err(|_| domain::Error::bad_query("unknown tenant"))?,
            kind: some(&self.kind).map(|k| job_admin::parse_kind(&k)).transpose()?,
            state: some(&self.state).map(|s| s.parse::<StateFilter>()).transpose()?,
            created_before: None,
            steps: self.steps.is_some(),
            limit: JobFilter::DEFAULT_LIMIT,
        })
    }
}

fn job_rows(jobs: &[Job], tenant_names: &[(String, String)]) -> Markup {
    let tenant =
        |id: String| tenant_names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()).unwrap_or(id);
    html! {
        @for j in jobs {
            tr {
                td { a href={ "/console/operator/jobs/" (j.id) } { code { (j.id.to_string()[..8]) } } }
                td { code { (j.kind) } }
                td { (tenant(j.domain_id.to_string())) }
                td { (j.resource_type) " " small { (j.resource_id) } }
                td { (badge(j.state.as_str())) @if let Some(signal) = j.signal { " " (badge(signal.as_str())) } }
                td { (j.attempts) " / " (j.failures) " / " (j.max_attempts) }
                td { (j.lease_owner.as_deref().map(|o| &o[..o.len().min(12)]).unwrap_or("")) }
                td { (when(Some(j.run_at))) }
                td.reason { (j.last_error.as_deref().unwrap_or("")) }
            }
        }
    }
}

const JOB_HEAD: [&str; 9] = [
    "Job",
    "Kind",
    "Account",
    "Resource",
    "State",
    "Attempts / failures / max",
    "Lease owner",
    "Runs at",
    "Last error",
];

/// `GET /console/operator/jobs`: the job engine, counts by kind and state, and the jobs a filter
/// selects.
async fn jobs(State(state): State<ConsoleState>, session: Session, Query(q): Query<JobQuery>) -> Response {
    let store = &state.app.store;
    let filter = match q.filter() {
        Ok(filter) => filter,
        Err(e) => return super::shown(&session, e.into()),
    };
    let loaded = async {
        Ok::<_, domain::Error>((
            store.job_count_by_kind_state().await?,
            store.job_admin_list(&filter).await?,
            store.tenant_list().await?,
        ))
    };
    let (counts, jobs, tenants) = match loaded.await {
        Ok(loaded) => loaded,
        Err(e) => return super::shown(&session, e.into()),
    };
    let names: Vec<(String, String)> = tenants.iter().map(|t| (t.id.to_string(), t.name.clone())).collect();
    let kinds: Vec<JobKind> = {
        let mut kinds: Vec<JobKind> = counts.iter().map(|c| c.kind).collect();
        kinds.dedup();
        kinds
    };
    let count = |kind: JobKind, state: JobState| {
        counts.iter().find(|c| c.kind == kind && c.state == state).map_or(0, |c| c.count)
    };
    let body = html! {
        form.filters method="get" action="/console/operator/jobs" {
            label for="f-tenant" { "Account" }
            select #f-tenant name="tenant" {
                option value="" { "every account" }
                @for t in &tenants { option value=(t.id) selected[q.tenant == t.id.to_string()] { (t.name) } }
            }
            label for="f-kind" { "Kind" }
            select #f-kind name="kind" {
                option value="" { "every kind" }
                @for k in JobKind::all() { option value=(k) selected[q.kind == k.as_str()] { (k) } }
            }
            label for="f-state" { "State" }
            select #f-state name="state" {
                option value="" { "every state" }
                @for s in JobState::ALL.map(|s| s.as_str()).into_iter().chain(["stuck"]) {
                    option value=(s) selected[q.state == s] { (s) }
                }
            }
            label { input type="checkbox" name="steps" value="1" checked[q.steps.is_some()]; " with workflow steps" }
            button type="submit" { "Show" }
        }
        div #jobs-live data-live {
            table {
                caption { "Workflows and single jobs by kind and state" }
                thead { tr { th { "Kind" } @for s in JobState::ALL { th { (s) } } } }
                tbody {
                    @for k in &kinds {
                        tr {
                            td { code { (k) } }
                            @for s in JobState::ALL {
                                td { @match count(*k, s) {
                                    0 => "",
                                    n => a href={ "/console/operator/jobs?kind=" (k) "&state=" (s) } { (n) },
                                } }
                            }
                        }
                    }
                }
            }
            table {
                caption { (jobs.len()) " jobs, newest first" @if jobs.len() as i64 == filter.limit { " (the first " (filter.limit) ")" } }
                thead { tr { @for h in JOB_HEAD { th { (h) } } } }
                tbody { (job_rows(&jobs, &names)) }
            }
        }
    };
    ui::page(&session, Nav::Jobs, "Job engine", body).into_response()
}

/// `GET /console/operator/jobs/{job_id}`: one job with its steps, and what an operator may do.
async fn job(
    State(state): State<ConsoleState>,
    session: Session,
    Path(raw): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let store = &state.app.store;
    let detail = match job_admin::parse_id(&raw) {
        Ok(id) => store.job_admin_show(id).await,
        Err(e) => Err(e),
    };
    let detail = match detail {
        Ok(detail) => detail,
        Err(e) => return super::shown(&session, e.into()),
    };
    let tenant = store.tenant_get(detail.job.domain_id).await.ok().flatten();
    let names: Vec<(String, String)> = tenant.iter().map(|t| (t.id.to_string(), t.name.clone())).collect();
    let j = &detail.job;
    let path = format!("/console/operator/jobs/{}", j.id);
    let (retryable, cancellable) = (job_admin::retry(j).is_ok(), job_admin::cancel(j).is_ok());
    let body = html! {
        (flash.render())
        div #job-live data-live {
            dl {
                dt { "Kind" } dd { code { (j.kind) } }
                dt { "Account" } dd { (tenant.as_ref().map_or(j.domain_id.to_string(), |t| t.name.clone())) }
                dt { "Resource" } dd { (j.resource_type) " " code { (j.resource_id) } }
                dt { "State" } dd { (badge(j.state.as_str())) @if let Some(s) = j.signal { " signal " (badge(s.as_str())) } }
                dt { "Attempts" } dd { (j.attempts) " claims, " (j.failures) " failures of " (j.max_attempts) " allowed" }
                dt { "Lease" } dd { (j.lease_owner.as_deref().unwrap_or("none")) " " (when(j.lease_expires_at)) }
                dt { "Runs at" } dd { (when(Some(j.run_at))) }
                dt { "Started, finished" } dd { (when(j.started_at)) " – " (when(j.finished_at)) }
                dt { "Last error" } dd.reason { (j.last_error.as_deref().unwrap_or("")) }
                @if let Some(parent) = j.parent_id {
                    dt { "Workflow" } dd { a href={ "/console/operator/jobs/" (parent) } { (parent) } }
                }
            }
            @if retryable || cancellable {
                div.actions {
                    @if retryable { (ui::button(&session, &format!("{path}/retry"), "Retry", "")) }
                    @if cancellable { (ui::button(&session, &format!("{path}/cancel"), "Cancel", "danger")) }
                }
            }
            @if !detail.steps.is_empty() {
                table {
                    caption { (detail.steps.len()) " steps" }
                    thead { tr { @for h in JOB_HEAD { th { (h) } } } }
                    tbody { (job_rows(&detail.steps, &names)) }
                }
            }
        }
    };
    ui::page(&session, Nav::Jobs, &format!("Job {}", j.id), body).into_response()
}

fn request_id(headers: &HeaderMap) -> String {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("console").to_string()
}

/// `POST …/retry` and `…/cancel`: the store's operator actions (audited in the job's account).
async fn act(
    state: &ConsoleState,
    session: &Session,
    raw: &str,
    headers: &HeaderMap,
    retry: bool,
) -> Response {
    let id = match job_admin::parse_id(raw) {
        Ok(id) => id,
        Err(e) => return super::shown(session, e.into()),
    };
    let store = &state.app.store;
    let outcome = if retry {
        store.job_admin_retry(id, &request_id(headers)).await
    } else {
        store.job_admin_cancel(id, &request_id(headers)).await
    };
    let path = format!("/console/operator/jobs/{id}");
    match outcome {
        Ok(_) if retry => done(&path, "The job was given back to the queue."),
        Ok(_) => done(&path, "The job was asked to stop: it gives up at its next claim."),
        Err(e) => failed(session, &path, e.into()),
    }
}

async fn retry(
    State(state): State<ConsoleState>,
    session: Session,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    act(&state, &session, &raw, &headers, true).await
}

async fn cancel(
    State(state): State<ConsoleState>,
    session: Session,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    act(&state, &session, &raw, &headers, false).await
}
