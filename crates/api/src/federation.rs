//! Fleet federation (docs/wire.md U23–U29): enabling, disabling and upgrading run as workflows on the job
//! engine; progress projects their jobs into the reference's Job tree; the connection, certificate and
//! kubeconfig endpoints hand out real artefacts of the fleet's federation CA.

use std::collections::BTreeMap;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json as JsonOut,
};
use chrono::{DateTime, Utc};
use domain::{
    authz::actions,
    error::ucs,
    federation::{Step, Workflow},
    fleet::FederationState,
    ids::{FleetId, JobId},
    job::{Job, JobKind, JobState},
    Error,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use store::federation::Members;

use crate::{
    auth::Caller,
    error::ApiResult,
    extract::{Json, Path, Query},
    fleets::fleet_id,
    routes::Route,
    wire::{Kubeconfig, KubeconfigParts},
    AppState,
};

pub(crate) fn routes() -> Vec<Route> {
    const FEDERATIONS: &str = "/v1/clustergroups/{clustergroupid}/federations";
    vec![
        Route::post(FEDERATIONS, actions::FEDERATION_ENABLE, enable),
        Route::delete(FEDERATIONS, actions::FEDERATION_DISABLE, disable),
        Route::get(
            "/v1/clustergroups/{clustergroupid}/federations/progress",
            actions::FEDERATION_PROGRESS,
            progress,
        ),
        Route::post(
            "/v1/clustergroups/{clustergroupid}/federations/upgrade",
            actions::FEDERATION_UPGRADE,
            upgrade,
        ),
        Route::post("/v1/clustergroups/{clustergroupid}/cert", actions::FEDERATION_CERT, cert),
        Route::post(
            "/v1/clustergroups/{clustergroupid}/connection",
            actions::FEDERATION_CONNECTION,
            connection,
        ),
        Route::post(
            "/v1/clustergroups/{clustergroupid}/kubeconfig",
            actions::FEDERATION_KUBECONFIG,
            kubeconfig,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnableQuery {
    retryjoinall: Option<bool>,
}

/// U23 `POST …/federations`: starts enabling; with `retryjoinall=true` on a federated fleet, joins
/// again the clusters whose join failed.
async fn enable(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<EnableQuery>,
) -> ApiResult<Response> {
    let id = fleet_id(&id)?;
    let quota = app.config.quotas.federations;
    let job = if query.retryjoinall.unwrap_or(false) {
        let fleet = app.store.fleet_get(caller.domain_id(), id).await?;
        if fleet.federation != FederationState::Enabled {
            return Err(Error::new(ucs::RETRY_JOIN_ALL_CLUSTERS_TO_FEDERATION_FAILED)
                .with_detail("the fleet's federation is not enabled")
                .into());
        }
        let failed = app.store.federation_failed_joins(id).await?;
        if failed.is_empty() {
            None
        } else {
            let members = Members::Some(failed);
            Some(
                app.store
                    .federation_start(&caller.actor(), id, Workflow::Join, members, quota, Value::Null)
                    .await?,
            )
        }
    } else {
        Some(
            app.store
                .federation_start(&caller.actor(), id, Workflow::Enable, Members::All, quota, Value::Null)
                .await?,
        )
    };
    let job_id = job.map(|j| j.to_string()).unwrap_or_default();
    Ok((StatusCode::CREATED, JsonOut(Started { job_id })).into_response())
}

/// What starting a federation workflow answers: its job (empty when there was nothing to do).
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "FederationJob")]
pub(crate) struct Started {
    #[serde(rename = "jobID")]
    job_id: String,
}

/// U24 `DELETE …/federations`: starts disabling (UCS.01080006 when not federated).
async fn disable(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<JsonOut<Started>> {
    let quota = app.config.quotas.federations;
    let job = app
        .store
        .federation_start(
            &caller.actor(),
            fleet_id(&id)?,
            Workflow::Disable,
            Members::All,
            quota,
            Value::Null,
        )
        .await?;
    Ok(JsonOut(Started { job_id: job.to_string() }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "UpgradeFederationRequestBody")]
pub(crate) struct UpgradeBody {
    #[schemars(regex(pattern = domain::wire_rules::FEDERATION_VERSION))]
    target_version: String,
}

/// U26 `POST …/federations/upgrade`: upgrades the federation control plane to `targetVersion`.
async fn upgrade(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<UpgradeBody>,
) -> ApiResult<JsonOut<Started>> {
    let v = &body.target_version;
    let valid = v.strip_prefix('v').is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 32
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
    });
    if !valid {
        return Err(Error::invalid_body(format!("targetVersion {v:?} must look like v1.8.0")).into());
    }
    let payload = json!({ "targetVersion": v });
    let quota = app.config.quotas.federations;
    let job = app
        .store
        .federation_start(&caller.actor(), fleet_id(&id)?, Workflow::Upgrade, Members::All, quota, payload)
        .await?;
    Ok(JsonOut(Started { job_id: job.to_string() }))
}

/// Job times as the reference's progress example writes them; empty while unset.
fn go_time(t: Option<DateTime<Utc>>) -> String {
    t.map(crate::wire::go_time).unwrap_or_default()
}

fn phase(state: JobState) -> &'static str {
    match state {
        JobState::Pending => "Pending",
        JobState::Running => "Running",
        JobState::Paused => "Paused",
        JobState::Succeeded => "Success",
        JobState::Failed => "Failed",
        JobState::Cancelled => "Cancelled",
    }
}

/// What one job of the tree shows besides the job itself.
struct JobExtras<'a> {
    job_type: &'a str,
    federation_id: &'a str,
    resource: Option<(&'a str, &'a str)>,
    /// `spec.extendParam`: facts the step recorded (the ELB of `CreateNetworkResource`).
    extend_param: Option<BTreeMap<&'static str, String>>,
    sub_jobs: Option<Vec<JobView>>,
    /// When the answer is made (`metadata.annotations.currentTimestamp`, as the reference's example has).
    now: &'a str,
}

/// The reference's `Job`: a federation workflow, or one of its steps in `spec.subJobs` (U25).
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Job")]
pub(crate) struct JobView {
    kind: &'static str,
    api_version: &'static str,
    metadata: JobMetadata,
    spec: JobSpec,
    status: JobStatus,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct JobMetadata {
    uid: JobId,
    creation_timestamp: String,
    update_timestamp: String,
    annotations: JobAnnotations,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct JobAnnotations {
    current_timestamp: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct JobSpec {
    #[serde(rename = "type")]
    job_type: String,
    #[serde(rename = "federationUID")]
    federation_uid: String,
    #[serde(rename = "resourceID", skip_serializing_if = "Option::is_none")]
    resource_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<String>,
    /// The SDK's own attribute (lower case, a string): `extendParam` as JSON text.
    #[serde(rename = "extendparam", skip_serializing_if = "Option::is_none")]
    extendparam: Option<String>,
    /// The reference example's object.
    #[serde(skip_serializing_if = "Option::is_none")]
    extend_param: Option<BTreeMap<&'static str, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_jobs: Option<Vec<JobView>>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct JobStatus {
    phase: &'static str,
    reason: String,
    start_time: String,
    completion_time: String,
}

fn job_view(job: &Job, extras: JobExtras<'_>) -> JobView {
    let extendparam = extras
        .extend_param
        .as_ref()
        .map(|param| serde_json::to_string(param).expect("a map of strings serializes"));
    JobView {
        kind: "Job",
        api_version: "v3",
        metadata: JobMetadata {
            uid: job.id,
            creation_timestamp: go_time(Some(job.created_at)),
            update_timestamp: go_time(Some(job.updated_at)),
            annotations: JobAnnotations { current_timestamp: extras.now.to_string() },
        },
        spec: JobSpec {
            job_type: extras.job_type.to_string(),
            federation_uid: extras.federation_id.to_string(),
            resource_id: extras.resource.map(|(id, _)| id.to_string()),
            resource_name: extras.resource.map(|(_, name)| name.to_string()),
            extendparam,
            extend_param: extras.extend_param,
            sub_jobs: extras.sub_jobs,
        },
        status: JobStatus {
            phase: phase(job.state),
            reason: job.last_error.clone().unwrap_or_default(),
            start_time: go_time(job.started_at),
            completion_time: go_time(job.finished_at),
        },
    }
}

/// The key the ELB that `CreateNetworkResource` made is shown under.
const ELB_PARAM: &str = "JobExtendParamKeyElbID";

/// U25 `GET …/federations/progress`: the latest federation workflow as the reference's Job tree.
async fn progress(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<JsonOut<JobView>> {
    let id = fleet_id(&id)?;
    let fleet = app.store.fleet_get(caller.domain_id(), id).await?;
    let Some((parent, steps)) = app.store.federation_progress(caller.domain_id(), id).await? else {
        return Err(Error::new(ucs::FAILED_TO_OBTAIN_THE_FEDERATION_INFORMATION)
            .with_detail("federation was never enabled on this fleet")
            .into());
    };
    let workflow = match parent.kind {
        domain::job::JobKind::Federation(workflow) => workflow,
        _ => Workflow::Enable,
    };
    let fid = fleet.federation_id.as_str();
    let elb_id =
        app.store.federation_record(caller.domain_id(), id).await?.map(|r| r.elb_id).unwrap_or_default();
    let now = crate::wire::go_time(app.store.clock().now());
    let subs = steps
        .iter()
        .map(|s| {
            let resource =
                (s.resource_type == "cluster").then_some((s.resource_id.as_str(), s.resource_id.as_str()));
            let made_elb = s.kind == JobKind::FederationStep(Step::CreateNetworkResource)
                && s.state == JobState::Succeeded
                && !elb_id.is_empty();
            let extend_param = made_elb.then(|| BTreeMap::from([(ELB_PARAM, elb_id.clone())]));
            let extras = JobExtras {
                job_type: s.kind.as_str(),
                federation_id: fid,
                resource,
                extend_param,
                sub_jobs: None,
                now: &now,
            };
            job_view(s, extras)
        })
        .collect();
    let extras = JobExtras {
        job_type: workflow.display_type(),
        federation_id: fid,
        resource: Some((fid, fid)),
        extend_param: None,
        sub_jobs: Some(subs),
        now: &now,
    };
    Ok(JsonOut(job_view(&parent, extras)))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CreateFederationConnectionRequestBody")]
pub(crate) struct ConnectionBody {
    #[serde(rename = "projectID")]
    project_id: String,
    #[serde(rename = "vpcID")]
    #[schemars(regex(pattern = domain::ids::ID_PATTERN))]
    vpc_id: String,
    #[serde(rename = "subnetID")]
    #[schemars(regex(pattern = domain::ids::ID_PATTERN))]
    subnet_id: String,
    #[schemars(range(min = 1, max = 10950))]
    duration: Option<i64>,
}

/// Checks the network the connection goes into: the caller's own project, well-formed VPC and subnet.
async fn check_network(app: &AppState, caller: &Caller, body: &ConnectionBody) -> Result<(), Error> {
    crate::auth::own_project(app, &caller.tenant, &body.project_id)
        .await
        .map_err(|_| Error::invalid_body("projectID must be one of the caller's projects"))?;
    for (field, value) in [("vpcID", &body.vpc_id), ("subnetID", &body.subnet_id)] {
        uuid::Uuid::try_parse(value)
            .map_err(|_| Error::invalid_body(format!("{field} {value:?} is not a valid id")))?;
    }
    Ok(())
}

/// Creates (once) the VPC endpoint that connects the network to the federation's API server.
async fn ensure_connection(app: &AppState, caller: &Caller, id: FleetId) -> Result<String, Error> {
    let record = app.store.federation_record(caller.domain_id(), id).await?;
    match record {
        Some(r) if !r.connection_id.is_empty() => Ok(r.connection_id),
        _ => {
            let connection = JobId::new().to_string();
            app.store.federation_connection_set(&caller.actor(), id, &connection).await?;
            Ok(connection)
        }
    }
}

/// U28's body: the connection's id.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "FederationConnection")]
pub(crate) struct Connection {
    id: String,
}

/// U28 `POST …/connection`: 201 `{"id": <VPC endpoint id>}`.
async fn connection(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ConnectionBody>,
) -> ApiResult<Response> {
    let id = fleet_id(&id)?;
    // The fleet first: another tenant's is not found, whatever the body says.
    app.store.fleet_get(caller.domain_id(), id).await?;
    check_network(&app, &caller, &body).await?;
    let connection = ensure_connection(&app, &caller, id).await?;
    Ok((StatusCode::CREATED, JsonOut(Connection { id: connection })).into_response())
}

/// Certificate validity in days, as the reference bounds it.
fn duration_days(duration: Option<i64>) -> Result<i64, Error> {
    match duration {
        Some(d) if (1..=10950).contains(&d) => Ok(d),
        Some(d) => Err(Error::invalid_body(format!("duration {d} must be 1-10950 days"))),
        None => Err(Error::invalid_body("duration (days) is required")),
    }
}

/// The federation's kubeconfig for the caller, with a client certificate of the fleet's CA.
async fn federation_kubeconfig(
    app: &AppState,
    caller: &Caller,
    id: FleetId,
    days: i64,
) -> Result<Kubeconfig, Error> {
    let fleet = app.store.fleet_get(caller.domain_id(), id).await?;
    let record = app.store.federation_record(caller.domain_id(), id).await?.unwrap_or_default();
    if fleet.federation != FederationState::Enabled || record.ca_cert_pem.is_empty() {
        return Err(Error::new(ucs::FLEET_NOT_FEDERATED));
    }
    if record.connection_id.is_empty() {
        return Err(Error::new(ucs::FAILED_TO_OBTAIN_THE_FEDERATION_INFORMATION)
            .with_detail("create the federation connection first"));
    }
    let key_pem = app
        .sealer
        .open_string(&record.ca_key_sealed, secrets::Context::FederationCa(&id.to_string()))
        .await
        .map_err(|e| Error::new(ucs::FAILED_TO_DECRYPT_DATA).with_internal(e.to_string()))?;
    let ca = secrets::pki::CertificateAuthority { cert_pem: record.ca_cert_pem.clone(), key_pem };
    let cert = ca
        .issue_client(
            &caller.user.name,
            &caller.tenant.name,
            secrets::pki::at_unix(app.store.clock().now().timestamp()),
            time::Duration::days(days),
        )
        .map_err(|e| Error::new(ucs::FAILED_TO_CREATE_CERTS).with_internal(e.to_string()))?;
    let name = format!("federation-{}", fleet.name);
    let user = format!("{}-{}", caller.user.name, fleet.name);
    Ok(Kubeconfig::new(KubeconfigParts {
        cluster: &name,
        server: &record.api_endpoint,
        ca_pem: &record.ca_cert_pem,
        user: &user,
        cert_pem: &cert.cert_pem,
        key_pem: &cert.key_pem,
        context: &name,
    }))
}

/// U27 `POST …/cert`: creates the connection (if needed) and returns the federation kubeconfig.
async fn cert(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ConnectionBody>,
) -> ApiResult<Response> {
    let id = fleet_id(&id)?;
    app.store.fleet_get(caller.domain_id(), id).await?;
    let days = duration_days(body.duration)?;
    check_network(&app, &caller, &body).await?;
    ensure_connection(&app, &caller, id).await?;
    let config = federation_kubeconfig(&app, &caller, id, days).await?;
    Ok((StatusCode::CREATED, JsonOut(config)).into_response())
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DownloadFederationKubeconfigRequestBody")]
pub(crate) struct KubeconfigBody {
    #[schemars(range(min = 1, max = 10950))]
    duration: Option<i64>,
}

/// U29 `POST …/kubeconfig`: the federation kubeconfig, once the connection exists.
async fn kubeconfig(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<KubeconfigBody>,
) -> ApiResult<Response> {
    let days = duration_days(body.duration)?;
    let config = federation_kubeconfig(&app, &caller, fleet_id(&id)?, days).await?;
    Ok((StatusCode::CREATED, JsonOut(config)).into_response())
}
