//! Federation workflows (enable, disable, upgrade, member join and unjoin): the parent job walks its
//! step sub-jobs in order, one step per claim, so a crash repeats at most the step under way, whose
//! provider call the step's idempotency key (the sub-job id) makes harmless.

use domain::{
    federation::{Step, Workflow},
    ids::{ClusterId, FleetId},
    job::{Job, JobState},
    Error, Result,
};
use store::federation::FederationFact;

use crate::{provider::StepTarget, Engine};

fn parse<T: std::str::FromStr>(what: &str, raw: &str) -> Result<T> {
    raw.parse().map_err(|_| Error::internal(format!("federation job: bad {what} {raw:?}")))
}

pub async fn run(engine: &Engine, job: &Job, workflow: Workflow) -> Result<()> {
    let store = engine.store();
    let fleet_id: FleetId = parse("fleet id", &job.resource_id)?;
    let steps = store.job_subjobs(job.id).await?;
    let Some(sub) = steps.iter().find(|s| !s.state.is_terminal()) else {
        return finish(engine, job, workflow, fleet_id, &steps).await;
    };
    let step =
        Step::parse(&sub.kind).ok_or_else(|| Error::internal(format!("unknown step {:?}", sub.kind)))?;
    let fleet = store.fleet_get(job.domain_id, fleet_id).await;
    let cluster = match sub.resource_type.as_str() {
        "cluster" => {
            let id: ClusterId = parse("cluster id", &sub.resource_id)?;
            store.cluster_get(job.domain_id, id).await.ok()
        }
        _ => None,
    };
    let mut tx = store.begin().await?;
    tx.job_fence(job).await?;
    // The fleet went away, or a member left before its turn: nothing to do for this step.
    let gone = fleet.is_err()
        || (sub.resource_type == "cluster" && cluster.as_ref().is_none_or(|c| c.fleet_id != Some(fleet_id)));
    if gone && step != Step::UnjoinCluster {
        tx.subjob_finish(sub, JobState::Cancelled, Some("the fleet or cluster is gone")).await?;
        tx.job_yield(job).await?;
        return tx.commit().await;
    }
    tx.subjob_start(sub).await?;
    tx.commit().await?;
    let attempts = sub.attempts + 1;

    let target = StepTarget {
        fleet_id,
        fleet_name: fleet.as_ref().map(|f| f.name.clone()).unwrap_or_default(),
        cluster: cluster.as_ref().map(|c| (c.id, c.name.clone())),
        version: job.cursor.get("targetVersion").and_then(|v| v.as_str()).map(str::to_string),
    };
    let outcome = engine.provider.federation_step(&sub.id.to_string(), step, &target).await;

    let mut tx = store.begin().await?;
    tx.job_fence(job).await?;
    match outcome {
        Ok(output) => {
            if step == Step::CreateCert {
                let ca = engine.federation_ca(fleet_id)?;
                let fact = FederationFact::Ca { cert_pem: &ca.0, key_sealed: &ca.1 };
                tx.federation_record_set(fleet_id, job.domain_id, fact).await?;
            }
            if let Some(elb) = &output.elb_id {
                tx.federation_record_set(fleet_id, job.domain_id, FederationFact::ElbId(elb)).await?;
            }
            if let Some(endpoint) = &output.api_endpoint {
                tx.federation_record_set(fleet_id, job.domain_id, FederationFact::ApiEndpoint(endpoint))
                    .await?;
            }
            if let Some(version) = &output.version {
                let state = store.fleet_get(job.domain_id, fleet_id).await?.federation;
                tx.fleet_federation_set(fleet_id, state, "", Some(version)).await?;
            }
            tx.subjob_finish(sub, JobState::Succeeded, None).await?;
            tx.job_yield(job).await?;
        }
        Err(error) if error.retryable && attempts < sub.max_attempts => {
            tx.subjob_finish(sub, JobState::Running, Some(&error.message)).await?;
            let delay = chrono::Duration::from_std(engine.backoff(attempts)).unwrap_or_default();
            tx.job_retry_at(job, &error.message, store.clock().now() + delay).await?;
        }
        Err(error) => {
            tx.subjob_finish(sub, JobState::Failed, Some(&error.message)).await?;
            // A member that cannot join does not stop the federation; anything else ends the workflow.
            if step.failure_is_tolerated() && matches!(workflow, Workflow::Enable | Workflow::Disable) {
                tx.job_yield(job).await?;
            } else {
                tx.fleet_federation_set(fleet_id, workflow.finish(false), &error.message, None).await?;
                tx.job_finish(job, JobState::Failed, Some(&format!("{}: {}", step.as_str(), error.message)))
                    .await?;
            }
        }
    }
    tx.commit().await
}

/// Every step has ended: the workflow's outcome moves the fleet.
async fn finish(
    engine: &Engine,
    job: &Job,
    workflow: Workflow,
    fleet_id: FleetId,
    steps: &[Job],
) -> Result<()> {
    let store = engine.store();
    let failed: Vec<&Job> = steps.iter().filter(|s| s.state == JobState::Failed).collect();
    let mut tx = store.begin().await?;
    tx.job_fence(job).await?;
    if store.fleet_get(job.domain_id, fleet_id).await.is_ok() {
        let state = workflow.finish(true);
        let message = match failed.len() {
            0 => String::new(),
            n => format!(
                "{n} member cluster(s) failed to {}; retry with retryjoinall",
                if workflow == Workflow::Disable { "leave" } else { "join" }
            ),
        };
        if matches!(workflow, Workflow::Enable | Workflow::Disable) {
            tx.fleet_federation_set(fleet_id, state, &message, None).await?;
        }
        if state == domain::fleet::FederationState::None {
            tx.federation_record_delete(fleet_id).await?;
        }
    }
    let (state, reason) = match (workflow, failed.first()) {
        (Workflow::Join | Workflow::Unjoin, Some(step)) => (JobState::Failed, step.last_error.clone()),
        _ => (JobState::Succeeded, None),
    };
    tx.job_finish(job, state, reason.as_deref()).await?;
    tx.commit().await
}
