//! The job engine on either backend, in-process:
//!
//! - pickup latency: one no-op job at a time is enqueued (committed) while the workers are idle; the
//!   time from the enqueue to the worker's claim (from the job rows) and from the commit until the
//!   job is done (seen by polling every 0.2 ms) are measured (p50, p99);
//! - throughput: a backlog of no-op jobs is drained by the workers; jobs per second.
//!
//! Each run uses a fresh database (a temporary SQLite file, or a new Postgres schema).

use std::{sync::Arc, time::Duration};

use domain::{clock::SystemClock, error::ucs, ids::DomainId, job::NewJob, Error};
use store::Store;
use tokio_util::sync::CancellationToken;

use crate::report::percentile;

#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    /// sqlite or postgres.
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    #[command(flatten)]
    pub workload: Workload,
}

/// The workers and the job counts of a run (crate::peer gives its peer the same).
#[derive(Debug, Clone, clap::Args)]
pub struct Workload {
    /// Workers in the engine.
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
    /// Jobs for the pickup-latency run.
    #[arg(long, default_value_t = 300)]
    pub latency_jobs: usize,
    /// Jobs for the throughput run.
    #[arg(long, default_value_t = 5000)]
    pub throughput_jobs: usize,
}

impl Workload {
    /// What `all` runs.
    pub fn standard() -> Self {
        Self { workers: 4, latency_jobs: 300, throughput_jobs: 5000 }
    }

    /// Shorter runs, for `--quick`.
    pub fn quick(self) -> Self {
        Self {
            latency_jobs: self.latency_jobs.min(30),
            throughput_jobs: self.throughput_jobs.min(500),
            ..self
        }
    }
}

/// Also what bench/graphile-worker/bench.js prints for its peer (crate::peer), as JSON.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct EngineFigures {
    pub backend: String,
    pub workers: usize,
    /// Enqueue commit → job done, ms.
    pub done_p50: f64,
    pub done_p99: f64,
    pub done_max: f64,
    pub samples: usize,
    /// Enqueue → claim from the job rows (1 ms resolution), ms.
    pub claim_p50: f64,
    pub claim_p99: f64,
    pub jobs: i64,
    /// The drain of the backlog, s.
    pub secs: f64,
    pub jobs_per_sec: f64,
}

impl EngineFigures {
    /// The figures under a line saying whose they are.
    pub fn print(&self, title: &str) {
        println!("{title}");
        println!(
            "  pickup latency (enqueue commit -> job done, ms, n={}): p50 {:.2}, p99 {:.2}, max {:.2}",
            self.samples, self.done_p50, self.done_p99, self.done_max
        );
        println!(
            "  pickup (enqueue -> claim, ms, from the job rows, 1 ms resolution): p50 {:.0}, p99 {:.0}",
            self.claim_p50, self.claim_p99
        );
        println!(
            "  throughput: {} no-op jobs in {:.2} s = {:.0} jobs/s",
            self.jobs, self.secs, self.jobs_per_sec
        );
    }
}

async fn open(backend: &str, database_url: &str) -> anyhow::Result<Store> {
    let clock = Arc::new(SystemClock);
    let store = if backend == "postgres" {
        let url = crate::fresh_pg_schema(database_url).await;
        store_pg::open(&url, 16, clock).await?
    } else {
        let path =
            std::env::temp_dir().join(format!("ucsd-bench-{}.db", domain::ids::random_uuid().simple()));
        store_sqlite::open(&format!("sqlite://{}?mode=rwc", path.display()), 16, clock).await?
    };
    store.migrate().await?;
    Ok(store)
}

async fn tenant(store: &Store) -> anyhow::Result<DomainId> {
    let sealer = secrets::Keyring::new(secrets::MasterKey::generate());
    let creds = server::admin::tenant_create(store, &sealer, "bench", "cn-north-4").await?;
    creds.domain_id.parse().map_err(|_| anyhow::anyhow!("domain id"))
}

async fn enqueue(store: &Store, domain: DomainId, count: usize) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    for i in 0..count {
        tx.job_enqueue(
            NewJob::new(domain::job::JobKind::Noop, domain, "bench", i),
            Error::new(ucs::SERVER_INTERNAL_ERROR),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn engine(store: &Store, workers: usize) -> (CancellationToken, Vec<tokio::task::JoinHandle<()>>) {
    let config = server::config::Config::load_from(None, Vec::new()).expect("default config");
    let provider = worker::SimulatedProvider::new(config.simulator(), store.clone()).expect("simulator");
    let engine = worker::Engine::new(
        store.clone(),
        Arc::new(provider),
        secrets::Keyring::new(secrets::MasterKey::generate()),
        worker::EngineConfig { poll_interval: Duration::from_millis(1000), ..Default::default() },
    );
    let token = CancellationToken::new();
    let handles = (0..workers).map(|_| tokio::spawn(engine.clone().run(token.clone()))).collect();
    (token, handles)
}

async fn pending(store: &Store) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state <> 'succeeded'")
        .fetch_one(store.pool())
        .await?)
}

pub async fn run(args: &EngineArgs, database_url: &str) -> anyhow::Result<EngineFigures> {
    let store = open(&args.backend, database_url).await?;
    let load = &args.workload;
    let domain = tenant(&store).await?;

    // Pickup latency: commit → claim, one job at a time, workers idle in between.
    let (token, handles) = engine(&store, load.workers);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut latencies = Vec::with_capacity(load.latency_jobs);
    for _ in 0..load.latency_jobs {
        let committed = std::time::Instant::now();
        enqueue(&store, domain, 1).await?;
        while pending(&store).await? > 0 {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        latencies.push(committed.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    token.cancel();
    for h in handles {
        h.await?;
    }
    latencies.sort_by(f64::total_cmp);
    // The engine's own view: from the enqueue (stamped in its transaction) to the claim, in ms.
    let mut pickups: Vec<f64> =
        sqlx::query_scalar::<_, i64>("SELECT started_at - created_at FROM jobs WHERE kind = 'noop'")
            .fetch_all(store.pool())
            .await?
            .into_iter()
            .map(|ms| ms as f64)
            .collect();
    pickups.sort_by(f64::total_cmp);

    // Throughput: drain a backlog.
    for _ in 0..load.throughput_jobs.div_ceil(500) {
        enqueue(&store, domain, 500).await?;
    }
    let backlog = pending(&store).await?;
    let started = std::time::Instant::now();
    let (token, handles) = engine(&store, load.workers);
    // Polled rarely, so the measurement takes little from the 2 cores the workers need.
    while pending(&store).await? > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    token.cancel();
    for h in handles {
        h.await?;
    }
    store.close().await;

    let figures = EngineFigures {
        backend: args.backend.clone(),
        workers: load.workers,
        done_p50: percentile(&latencies, 0.5),
        done_p99: percentile(&latencies, 0.99),
        done_max: latencies.last().copied().unwrap_or_default(),
        samples: latencies.len(),
        claim_p50: percentile(&pickups, 0.5),
        claim_p99: percentile(&pickups, 0.99),
        jobs: backlog,
        secs: elapsed,
        jobs_per_sec: backlog as f64 / elapsed,
    };
    figures.print(&format!("engine, backend: {}, workers: {}", figures.backend, figures.workers));
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quick_workload_is_shorter_with_the_same_workers() {
        let quick = Workload { workers: 8, latency_jobs: 300, throughput_jobs: 5000 }.quick();
        assert_eq!((quick.workers, quick.latency_jobs, quick.throughput_jobs), (8, 30, 500));
        let small = Workload { workers: 2, latency_jobs: 10, throughput_jobs: 100 }.quick();
        assert_eq!((small.latency_jobs, small.throughput_jobs), (10, 100));
    }
}
