//! The job engine's metrics: how long runnable jobs wait to be claimed, how long steps and whole jobs
//! run, retries, rescued and lost leases. Labels are job kinds, step outcomes and final states: a small
//! fixed set written by code, never ids or names.

use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry};

/// Seconds, from a few milliseconds (a busy engine's pickup, a simulated step) to ten minutes.
const BUCKETS: &[f64] =
    &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0];

/// What one step of a job came to (the `outcome` label of the step metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// The step's result (next state, retry or end) was committed.
    Committed,
    /// The step failed before it could commit; the job runs again after its lease.
    Failed,
    /// Another worker took the job over: this worker's commit was refused or its heartbeat was.
    LeaseLost,
}

impl StepOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Committed => "committed",
            Self::Failed => "failed",
            Self::LeaseLost => "lease_lost",
        }
    }
}

/// The engine's metric families. Clones share them (every worker of a process records into one set).
#[derive(Debug, Clone)]
pub struct EngineMetrics {
    pickup_latency: HistogramVec,
    step_duration: HistogramVec,
    job_duration: HistogramVec,
    retries: IntCounterVec,
    lease_rescues: IntCounter,
    leases_lost: IntCounterVec,
}

impl EngineMetrics {
    /// The families, registered nowhere (an engine without a `/metrics` scrape records into these).
    pub fn unregistered() -> Self {
        let histogram = |name: &str, help: &str, labels: &[&str]| {
            HistogramVec::new(HistogramOpts::new(name, help).buckets(BUCKETS.to_vec()), labels)
                .expect("valid histogram")
        };
        let counter = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter")
        };
        Self {
            pickup_latency: histogram(
                "ucsd_job_pickup_latency_seconds",
                "Time from a job becoming runnable (enqueued, or its retry or next step due) to its claim.",
                &["kind"],
            ),
            step_duration: histogram(
                "ucsd_job_step_duration_seconds",
                "Time one claim of a job ran, by what the step came to.",
                &["kind", "outcome"],
            ),
            job_duration: histogram(
                "ucsd_job_run_duration_seconds",
                "Time from a job's first claim to its end, by the state it ended in.",
                &["kind", "state"],
            ),
            retries: counter(
                "ucsd_job_retries_total",
                "Failed steps given back to the queue to run again after a backoff.",
                &["kind"],
            ),
            lease_rescues: IntCounter::new(
                "ucsd_job_lease_rescues_total",
                "Jobs whose lease expired (their worker died or stalled) that this process put back in the queue.",
            )
            .expect("valid counter"),
            leases_lost: counter(
                "ucsd_job_leases_lost_total",
                "Claims of this process that another worker took over before they committed.",
                &["kind"],
            ),
        }
    }

    /// The families, registered in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let metrics = Self::unregistered();
        registry.register(Box::new(metrics.pickup_latency.clone()))?;
        registry.register(Box::new(metrics.step_duration.clone()))?;
        registry.register(Box::new(metrics.job_duration.clone()))?;
        registry.register(Box::new(metrics.retries.clone()))?;
        registry.register(Box::new(metrics.lease_rescues.clone()))?;
        registry.register(Box::new(metrics.leases_lost.clone()))?;
        Ok(metrics)
    }

    pub(crate) fn claimed(&self, kind: &str, waited: std::time::Duration) {
        self.pickup_latency.with_label_values(&[kind]).observe(waited.as_secs_f64());
    }

    pub(crate) fn step(&self, kind: &str, outcome: StepOutcome, took: std::time::Duration) {
        self.step_duration.with_label_values(&[kind, outcome.as_str()]).observe(took.as_secs_f64());
        if outcome == StepOutcome::LeaseLost {
            self.leases_lost.with_label_values(&[kind]).inc();
        }
    }

    pub(crate) fn retried(&self, kind: &str) {
        self.retries.with_label_values(&[kind]).inc();
    }

    pub(crate) fn ended(&self, kind: &str, state: domain::job::JobState, took: std::time::Duration) {
        self.job_duration.with_label_values(&[kind, state.as_str()]).observe(took.as_secs_f64());
    }

    pub(crate) fn rescued(&self, jobs: u64) {
        self.lease_rescues.inc_by(jobs);
    }
}
