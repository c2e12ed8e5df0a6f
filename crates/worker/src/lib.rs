//! The job engine of ucsd: workers claim jobs from the store, run one step of their workflow through a
//! [`Provider`], and commit the step's outcome together with the job's new state, fenced by the
//! attempt they claimed (a worker that lost its lease cannot commit). Retries back off exponentially;
//! a job that runs out of attempts fails with its reason recorded.

pub mod activation;
pub mod cce;
pub mod federation;
pub mod metrics;
pub mod nodepool;
pub mod plan;
pub mod provider;
pub mod upgrade;

use std::{sync::Arc, time::Duration};

use domain::{
    job::{Job, JobKind},
    Result,
};
use store::Store;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use domain::testing::StepTime;
pub use metrics::EngineMetrics;
pub use provider::{CceStepOutput, Provider, ProviderError, Replaying, SimulatedProvider, SimulatorConfig};

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How often an idle worker looks for jobs enqueued by other processes.
    pub poll_interval: Duration,
    /// How long a claim holds before another worker may take the job over.
    pub lease: Duration,
    /// The first retry's delay; each further retry doubles it, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long a precheck's result counts before the upgrade it allows must be checked again.
    pub precheck_ttl_secs: i64,
    /// How often each step of an upgrade task the engine makes itself (a plan's) is tried.
    pub step_attempts: i64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(1000),
            // Short, and renewed every third of it while a step runs: a dead worker's job is taken
            // over within the lease plus one poll interval.
            lease: Duration::from_secs(6),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            precheck_ttl_secs: 3600,
            step_attempts: 5,
        }
    }
}

/// One worker: claims and runs jobs one at a time.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    provider: Arc<dyn Provider>,
    sealer: secrets::Keyring,
    owner: String,
    config: EngineConfig,
    metrics: EngineMetrics,
}

impl Engine {
    pub fn new(
        store: Store,
        provider: Arc<dyn Provider>,
        sealer: secrets::Keyring,
        config: EngineConfig,
    ) -> Self {
        let owner = format!("worker-{}", uuid_simple());
        Self { store, provider, sealer, owner, config, metrics: EngineMetrics::unregistered() }
    }

    /// Records into `metrics` (registered where `/metrics` gathers) instead of a private set: what
    /// each step's commit did to its job (ended, retried) comes from the store as it commits.
    pub fn with_metrics(mut self, metrics: EngineMetrics) -> Self {
        let observed = metrics.clone();
        self.store.observe_jobs(move |event| match event {
            store::job::JobEvent::Ended { kind, state, ran } => observed.ended(kind.as_str(), *state, *ran),
            store::job::JobEvent::Retried { kind } => observed.retried(kind.as_str()),
        });
        self.metrics = metrics;
        self
    }

    /// A new CA for a fleet's federation: its certificate and its sealed private key.
    pub(crate) fn federation_ca(&self, fleet_id: domain::ids::FleetId) -> Result<(String, String)> {
        let ca = secrets::pki::CertificateAuthority::generate(
            &format!("ucsd federation {fleet_id}"),
            secrets::pki::at_unix(self.store.clock().now().timestamp()),
        )
        .map_err(|e| domain::Error::internal(format!("federation CA: {e}")))?;
        let sealed =
            self.sealer.seal(ca.key_pem.as_bytes(), secrets::Context::FederationCa(&fleet_id.to_string()));
        Ok((ca.cert_pem, sealed))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// When retry number `attempt` (1-based) runs: now plus its [`backoff`](Self::backoff).
    pub fn after_backoff(&self, attempt: i64) -> chrono::DateTime<chrono::Utc> {
        self.store.clock().now() + chrono::Duration::from_std(self.backoff(attempt)).unwrap_or_default()
    }

    /// Asks the provider for a job's work, unless an operator cancelled the job
    /// (`ucsd admin jobs cancel`): then the work gives up as on a final failure, without asking, and
    /// the job's code records that on its resource as it records any other.
    pub(crate) async fn ask_provider<T>(
        &self,
        job: &Job,
        call: impl std::future::Future<Output = std::result::Result<T, ProviderError>>,
    ) -> std::result::Result<T, ProviderError> {
        if job.signal == Some(domain::job::Signal::Cancel) {
            return Err(ProviderError::fatal(domain::job_admin::CANCELLED_BY_OPERATOR));
        }
        call.await
    }

    /// Puts a claimed job back in the queue after the backoff of its claims, recording `reason`,
    /// without counting a failure of its work: it had no verdict (ucsd's own error, a provider out
    /// of reach).
    pub async fn try_again(&self, tx: &mut store::Tx<'_>, job: &Job, reason: &str) -> Result<()> {
        tx.job_try_again_at(job, reason, self.after_backoff(job.attempts)).await
    }

    /// The delay before retry number `attempt` (1-based): exponential, capped.
    pub fn backoff(&self, attempt: i64) -> Duration {
        let factor =
            2u32.saturating_pow(u32::try_from(attempt.saturating_sub(1)).unwrap_or(u32::MAX).min(20));
        let delay = self.config.retry_base.saturating_mul(factor).min(self.config.retry_max);
        // Up to a quarter more, at random, so retries of many jobs that failed together spread out.
        delay + delay.mul_f64(rand::random::<f64>() * 0.25)
    }

    /// Runs at most one job; `true` if it ran one.
    pub async fn tick(&self) -> Result<bool> {
        let lease = i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX);
        let Some(job) = self.store.job_claim(&self.owner, lease).await? else { return Ok(false) };
        // The claim stamped `updated_at` with the store's clock, the one `run_at` is on.
        self.metrics.claimed(job.kind.as_str(), elapsed(job.run_at, job.updated_at));
        let span = tracing::info_span!("job", job_id = %job.id, kind = %job.kind, attempt = job.attempts);
        let started = std::time::Instant::now();
        // The lease is renewed while the step runs, so a long step is not taken over; a worker that
        // dies stops renewing, and its lease runs out.
        let outcome = tokio::select! {
            outcome = self.run_job(&job).instrument(span.clone()) => outcome,
            () = self.heartbeat(&job, lease) => Err(store::job::lease_lost()),
        };
        let step = step_outcome(&outcome);
        self.metrics.step(job.kind.as_str(), step, started.elapsed());
        if let Err(e) = outcome {
            if step == metrics::StepOutcome::Failed {
                self.retry_after_error(&job, &e).instrument(span).await;
            }
        }
        Ok(true)
    }

    /// A step that failed on an error of ucsd's own (the store or pool failed, the database went away
    /// mid-transaction) did not commit. It is no failure of the work: the step runs again after the
    /// engine's backoff, with the error recorded as the job's last error, however often that takes.
    /// Only an internal error that persists (corrupt data, a bug) ends the job, once it has used its
    /// attempts. Where even this cannot be recorded, the lease runs out and the rescuer requeues it.
    async fn retry_after_error(&self, job: &Job, error: &domain::Error) {
        let persistent = error.code() != domain::error::ucs::DATABASE_OPERATION_FAILED.code;
        let record = async {
            let mut tx = self.store.begin().await?;
            if persistent && job.attempts >= job.max_attempts {
                tx.job_finish(job, domain::job::JobState::Failed, Some(&error.message())).await?;
            } else {
                self.try_again(&mut tx, job, &error.message()).await?;
            }
            tx.commit().await
        };
        match record.await {
            Ok(()) => {
                tracing::warn!(error = %error, "job step did not commit; it runs again after a backoff")
            }
            Err(e) => tracing::warn!(
                error = %error, requeue_error = %e,
                "job step did not commit and could not be requeued; it runs again after its lease"
            ),
        }
    }

    /// Renews the job's lease every third of it; returns only when the lease was lost.
    async fn heartbeat(&self, job: &Job, lease: i64) {
        let every = self.config.lease / 3;
        loop {
            tokio::time::sleep(every).await;
            match self.store.job_heartbeat(job, lease).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!(error = %e, job_id = %job.id, "could not renew a lease"),
            }
        }
    }

    async fn run_job(&self, job: &Job) -> Result<()> {
        match job.kind {
            JobKind::Noop => {
                let mut tx = self.store.begin().await?;
                let state = match job.signal {
                    Some(domain::job::Signal::Cancel) => domain::job::JobState::Cancelled,
                    _ => domain::job::JobState::Succeeded,
                };
                tx.job_finish(job, state, None).await?;
                tx.commit().await
            }
            JobKind::ClusterActivation => activation::run(self, job).await,
            JobKind::CceClusterCreate => cce::run(self, job, true).await,
            JobKind::CceClusterDelete => cce::run(self, job, false).await,
            JobKind::NodePoolSync => nodepool::run(self, job).await,
            JobKind::UpgradePlan => plan::run(self, job).await,
            JobKind::UpgradeTask(task_type) => upgrade::run(self, job, task_type).await,
            JobKind::Federation(workflow) => federation::run(self, job, workflow).await,
            JobKind::FederationStep(step) => federation::run_step(self, job, step).await,
        }
    }

    /// Requeues a job whose provider call failed, in `tx`: after a backoff, counting the failure
    /// (not when the provider was unavailable: that is no verdict on the work). `false` when the
    /// failure is final or the job has used its attempts: the caller then ends it.
    pub async fn retry_failed(
        &self,
        tx: &mut store::Tx<'_>,
        job: &Job,
        error: &ProviderError,
    ) -> Result<bool> {
        if error.unavailable {
            self.try_again(tx, job, &error.message).await?;
            return Ok(true);
        }
        let failures = job.failures + 1;
        if !error.retryable || failures >= job.max_attempts {
            return Ok(false);
        }
        tx.job_retry_at(job, &error.message, self.after_backoff(failures)).await?;
        Ok(true)
    }

    /// Runs until `shutdown`: work while there is work, otherwise wait for an enqueue in this process,
    /// the poll interval, or shutdown. Expired leases are rescued on every idle round, and at least
    /// once per poll interval while busy (a dead replica's work must not wait for this one to idle).
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(owner = %self.owner, "worker started");
        let mut last_rescue = std::time::Instant::now();
        while !shutdown.is_cancelled() {
            let ran = match self.tick().await {
                Ok(ran) => ran,
                Err(e) => {
                    tracing::warn!(error = %e, "worker could not claim a job");
                    false
                }
            };
            if ran && last_rescue.elapsed() < self.config.poll_interval {
                continue;
            }
            last_rescue = std::time::Instant::now();
            match self.store.job_rescue_expired().await {
                Ok(rescued) => self.metrics.rescued(rescued),
                Err(e) => tracing::warn!(error = %e, "worker could not rescue expired leases"),
            }
            if ran {
                continue;
            }
            let wait = self.idle_wait().await;
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.store.jobs_enqueued() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!(owner = %self.owner, "worker stopped");
    }

    /// Until the next scheduled job, at most the poll interval.
    async fn idle_wait(&self) -> Duration {
        let now = self.store.clock().now();
        match self.store.job_next_run_at().await {
            Ok(Some(at)) if at > now => {
                (at - now).to_std().unwrap_or_default().min(self.config.poll_interval)
            }
            Ok(Some(_)) => Duration::from_millis(10),
            _ => self.config.poll_interval,
        }
    }
}

/// What a step's result says about it, for the metrics.
fn step_outcome(outcome: &Result<()>) -> metrics::StepOutcome {
    match outcome {
        Ok(()) => metrics::StepOutcome::Committed,
        Err(e) if *e == store::job::lease_lost() => metrics::StepOutcome::LeaseLost,
        Err(_) => metrics::StepOutcome::Failed,
    }
}

/// From `from` to `to`, zero if `to` is earlier (clocks of different replicas may disagree a little).
fn elapsed(from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>) -> Duration {
    (to - from).to_std().unwrap_or_default()
}

/// A worker's name: from the OS generator even in deterministic mode (it is no resource id, and
/// drawing it must not shift the seeded sequence).
fn uuid_simple() -> String {
    format!("{:032x}", rand::random::<u128>())
}
