//! Federation at fleet scale, end to end: a `ucsd serve` process (instant simulated steps) on a fresh
//! database, a fleet of N activated clusters registered through the signed API, then the time from
//! `POST /v1/clustergroups/{id}/federations` to the progress reporting `Success` (polled every 10 ms).
//! What it measures is the engine's overhead per member: every step is instant.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::http::Method;
use domain::clock::SystemClock;
use serde_json::json;
use store::Store;

use crate::{
    client::{attached, Client, Signer},
    process::Serve,
};

#[derive(Debug, Clone, clap::Args)]
pub struct FederationArgs {
    /// sqlite, postgres, or both (comma-separated).
    #[arg(long, default_value = "postgres,sqlite")]
    pub backend: String,
    /// Fleet sizes (comma-separated).
    #[arg(long, default_value = "10,100,400")]
    pub members: String,
    /// `worker.concurrency` of the server.
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
}

#[derive(Debug, Clone)]
pub struct FederationFigure {
    pub backend: String,
    pub members: usize,
    pub workers: usize,
    /// Enable request → progress `Success`.
    pub secs: f64,
    pub steps: usize,
}

/// A fresh database for `backend`: its URL, and a store on it.
async fn database(backend: &str, database_url: &str) -> anyhow::Result<(String, Store)> {
    let clock = Arc::new(SystemClock);
    let (url, store) = if backend == "postgres" {
        let url = crate::fresh_pg_schema(database_url).await;
        let store = store_pg::open(&url, 4, clock).await?;
        (url, store)
    } else {
        let path =
            std::env::temp_dir().join(format!("ucsd-bench-fed-{}.db", domain::ids::random_uuid().simple()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let store = store_sqlite::open(&url, 4, clock).await?;
        (url, store)
    };
    store.migrate().await?;
    Ok((url, store))
}

/// Waits until no job is pending or running (the activations), at most `limit`.
async fn drain(store: &Store, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let busy: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'running')")
            .fetch_one(store.pool())
            .await?;
        if busy == 0 {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "{busy} jobs did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn run_one(
    ucsd: &PathBuf,
    database_url: &str,
    backend: &str,
    members: usize,
    workers: usize,
) -> anyhow::Result<FederationFigure> {
    let (url, store) = database(backend, database_url).await?;
    let key = secrets::MasterKey::generate();
    let creds =
        server::admin::tenant_create(&store, &secrets::Keyring::new(key.clone()), "bench", "cn-north-4")
            .await?;
    let limit = (members + 10).to_string();
    let serve = Serve::start(
        ucsd,
        &[
            ("UCS_DATABASE__URL", url),
            ("UCS_SECURITY__MASTER_KEY", key.to_base64()),
            ("UCS_SIMULATOR__STEP_MILLIS", "0".to_string()),
            ("UCS_WORKER__CONCURRENCY", workers.to_string()),
            ("UCS_QUOTAS__CLUSTERS", limit.clone()),
            ("UCS_QUOTAS__CLUSTERS_PER_FLEET", limit),
        ],
    )?;
    serve.wait_ready(Duration::from_secs(30)).await?;
    let signer =
        Signer { access_key: creds.access_key, secret_key: creds.secret_key, domain_id: creds.domain_id };
    let client = Client::new(&serve.host, signer);
    let mut ids = Vec::with_capacity(members);
    for i in 0..members {
        let r = client.send(Method::POST, "/v1/clusters", Some(&attached(&format!("member-{i:04}")))).await;
        anyhow::ensure!(r.status == 201, "registering a cluster: {} {}", r.status, r.text());
        ids.push(r.json()["uid"].as_str().unwrap_or_default().to_string());
    }
    drain(&store, Duration::from_secs(300)).await?;
    let fleet = json!({"metadata": {"name": "bench-fleet"}, "spec": {"clusterIds": ids}});
    let r = client.send(Method::POST, "/v1/clustergroups", Some(&fleet)).await;
    anyhow::ensure!(r.status == 201, "registering the fleet: {} {}", r.status, r.text());
    let fleet_id = r.json()["uid"].as_str().unwrap_or_default().to_string();

    let started = Instant::now();
    let r = client.send(Method::POST, &format!("/v1/clustergroups/{fleet_id}/federations"), None).await;
    anyhow::ensure!(r.status == 201, "enabling federation: {} {}", r.status, r.text());
    let progress = format!("/v1/clustergroups/{fleet_id}/federations/progress");
    let (secs, steps) = loop {
        let p = client.get(&progress).await.json();
        match p["status"]["phase"].as_str() {
            Some("Success") => {
                break (started.elapsed().as_secs_f64(), p["spec"]["subJobs"].as_array().map_or(0, Vec::len))
            }
            Some("Failed") => anyhow::bail!("the federation failed: {}", p["status"]["reason"]),
            _ => {}
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(600), "no Success within 600 s: {p}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    serve.stop().await;
    store.close().await;
    println!(
        "federation, {backend}: {members} members, {workers} workers: enable -> Success in {secs:.2} s \
         ({steps} steps, {:.1} ms per member)",
        secs * 1000.0 / members as f64
    );
    Ok(FederationFigure { backend: backend.to_string(), members, workers, secs, steps })
}

pub async fn run(
    ucsd: &PathBuf,
    database_url: &str,
    args: &FederationArgs,
) -> anyhow::Result<Vec<FederationFigure>> {
    let mut figures = Vec::new();
    for backend in args.backend.split(',').map(str::trim) {
        for members in args.members.split(',') {
            let members: usize = members.trim().parse()?;
            figures.push(run_one(ucsd, database_url, backend, members, args.workers).await?);
        }
    }
    Ok(figures)
}
