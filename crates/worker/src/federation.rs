//! Federation workflows (enable, disable, upgrade, member join and unjoin). The workflow's parent job
//! only sequences: each time it runs, it reads how its steps stand (in its own transaction), and
//! either releases the next stage and waits, or ends the workflow and moves the fleet
//! ([`domain::federation::next`]). Each step is a job of its own, claimed by any worker, with its own
//! lease, fence, backoff and idempotency key (its id); the member steps of a stage run at once. A
//! step that ends takes itself off its parent's wait in its own commit, and the last one wakes the
//! parent, which never rereads its steps while they run.

use domain::{
    error::Found,
    federation::{next, Next, Outcome, Step, Workflow},
    fleet::FederationState,
    ids::{ClusterId, FleetId, JobId},
    job::{Job, JobKind, JobState},
    Error, Result,
};
use store::{federation::FederationFact, Tx};

use crate::{provider::StepTarget, Engine};

fn parse<T: std::str::FromStr>(what: &str, raw: &str) -> Result<T> {
    raw.parse().map_err(|_| Error::internal(format!("federation job: bad {what} {raw:?}")))
}

/// One run of a workflow's parent: release the next stage, or end.
pub async fn run(engine: &Engine, job: &Job, workflow: Workflow) -> Result<()> {
    let fleet_id: FleetId = parse("fleet id", &job.resource_id)?;
    let mut tx = engine.store().begin().await?;
    tx.job_fence(job).await?;
    if tx.fleet_get(job.domain_id, fleet_id).await.found()?.is_none() {
        tx.job_cancel_held_steps(job.id, "the fleet is gone").await?;
        tx.job_finish(job, JobState::Cancelled, Some("the fleet is gone")).await?;
        return tx.commit().await;
    }
    let steps = tx.job_steps(job.id).await?;
    let plan = steps
        .iter()
        .map(|s| Ok((parse_step(s.kind)?, s.state)))
        .collect::<Result<Vec<(Step, JobState)>>>()?;
    match next(&plan) {
        Next::Release(stage) => {
            let positions = (steps[stage.start].position, steps[stage.end - 1].position);
            tx.job_wait_for_steps(job, positions).await?;
        }
        Next::Finish(outcome) => finish(&mut tx, job, workflow, fleet_id, &steps, outcome).await?,
    }
    tx.commit().await
}

fn parse_step(kind: JobKind) -> Result<Step> {
    match kind {
        JobKind::FederationStep(step) => Ok(step),
        other => Err(Error::internal(format!("a federation workflow with a {other} step"))),
    }
}

/// Every stage has ended, or one the workflow cannot do without failed: the outcome moves the fleet
/// and ends the parent. A workflow whose members did not all join (or leave) does not succeed; its
/// reason names them, and `retryjoinall` joins them again.
async fn finish(
    tx: &mut Tx<'_>,
    job: &Job,
    workflow: Workflow,
    fleet_id: FleetId,
    steps: &[Job],
    outcome: Outcome,
) -> Result<()> {
    let members_verb = if workflow == Workflow::Disable { "leave" } else { "join" };
    let (fleet_ok, state, reason) = match outcome {
        Outcome::Succeeded => (true, JobState::Succeeded, String::new()),
        Outcome::MembersFailed(n) => {
            let first = steps.iter().find(|s| s.state == JobState::Failed);
            let why = first.and_then(|s| s.last_error.as_deref()).unwrap_or("");
            let reason = format!(
                "{n} member cluster(s) failed to {members_verb}; retry with retryjoinall (first: {why})"
            );
            (true, JobState::Failed, reason)
        }
        Outcome::Failed(at) => {
            let step = &steps[at];
            let why = step.last_error.as_deref().unwrap_or("");
            (false, JobState::Failed, format!("{}: {why}", step.kind))
        }
        Outcome::Cancelled(at) => {
            let why = steps[at].last_error.clone().unwrap_or_default();
            tx.job_cancel_held_steps(job.id, &why).await?;
            return tx.job_finish(job, JobState::Cancelled, Some(&why)).await;
        }
    };
    tx.job_cancel_held_steps(job.id, &reason).await?;
    let fleet_state = workflow.finish(fleet_ok);
    if matches!(workflow, Workflow::Enable | Workflow::Disable) || !fleet_ok {
        tx.fleet_federation_set(fleet_id, fleet_state, &reason, None).await?;
    }
    if fleet_state == FederationState::None {
        tx.federation_record_delete(fleet_id).await?;
    }
    let reason = (!reason.is_empty()).then_some(reason);
    tx.job_finish(job, state, reason.as_deref()).await
}

/// What a step acts on, read in one transaction: `None` when its fleet or member is positively gone
/// (not found, or no longer a member), which cancels a step that needs them.
async fn target(tx: &mut Tx<'_>, step_job: &Job, step: Step) -> Result<Option<StepTarget>> {
    let parent_id: JobId =
        step_job.parent_id.ok_or_else(|| Error::internal("a federation step without its workflow"))?;
    let parent = tx.job_get(parent_id).await?.ok_or_else(|| Error::internal("a step's workflow is gone"))?;
    let fleet_id: FleetId = parse("fleet id", &parent.resource_id)?;
    let Some(fleet) = tx.fleet_get(step_job.domain_id, fleet_id).await.found()? else {
        return Ok(None);
    };
    let cluster = match step_job.resource_type.as_str() {
        "cluster" => {
            let id: ClusterId = parse("cluster id", &step_job.resource_id)?;
            let member = tx.cluster_find(id).await?.filter(|c| c.fleet_id == Some(fleet_id));
            match member {
                Some(c) => Some((c.id, c.name)),
                // A cluster that left (or went) still has its membership undone.
                None if step == Step::UnjoinCluster => Some((id, id.to_string())),
                None => return Ok(None),
            }
        }
        _ => None,
    };
    let version = parent.cursor.get("targetVersion").and_then(|v| v.as_str()).map(str::to_string);
    Ok(Some(StepTarget { domain_id: step_job.domain_id, fleet_id, fleet_name: fleet.name, cluster, version }))
}

/// One step of a workflow: decide from fresh reads whether it still has something to act on, call
/// the provider under the step's key (outside any transaction), then commit what it made and how
/// the step stands, fenced.
pub async fn run_step(engine: &Engine, job: &Job, step: Step) -> Result<()> {
    let store = engine.store();
    let mut tx = store.begin().await?;
    tx.job_fence(job).await?;
    let Some(target) = target(&mut tx, job, step).await? else {
        tx.job_finish(job, JobState::Cancelled, Some("the fleet or cluster is gone")).await?;
        return tx.commit().await;
    };
    drop(tx);

    let outcome =
        engine.ask_provider(job, engine.provider.federation_step(&job.id.to_string(), step, &target)).await;

    let mut tx = store.begin().await?;
    tx.job_fence(job).await?;
    match outcome {
        Ok(output) => {
            if step == Step::CreateCert {
                let ca = engine.federation_ca(target.fleet_id)?;
                let fact = FederationFact::Ca { cert_pem: &ca.0, key_sealed: &ca.1 };
                tx.federation_record_set(target.fleet_id, job.domain_id, fact).await?;
            }
            if let Some(elb) = &output.elb_id {
                tx.federation_record_set(target.fleet_id, job.domain_id, FederationFact::ElbId(elb)).await?;
            }
            if let Some(endpoint) = &output.api_endpoint {
                let fact = FederationFact::ApiEndpoint(endpoint);
                tx.federation_record_set(target.fleet_id, job.domain_id, fact).await?;
            }
            if let Some(version) = &output.version {
                // The fleet may have gone since the step began; then there is nothing to version.
                if let Some(fleet) = tx.fleet_get(job.domain_id, target.fleet_id).await.found()? {
                    tx.fleet_federation_set(target.fleet_id, fleet.federation, "", Some(version)).await?;
                }
            }
            tx.job_finish(job, JobState::Succeeded, None).await?;
        }
        Err(error) => {
            if !engine.retry_failed(&mut tx, job, &error).await? {
                tx.job_finish(job, JobState::Failed, Some(&error.message)).await?;
            }
        }
    }
    tx.commit().await
}
