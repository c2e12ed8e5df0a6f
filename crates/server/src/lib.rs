//! The ucsd server: configuration, logging, wiring of store, API and workers, and the operator
//! commands. `main.rs` is only the command line.

pub mod admin;
pub mod config;
pub mod db;
pub mod keys;
pub mod telemetry;

use std::time::Duration;

use anyhow::Context;
use store::Store;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// Everything `serve` runs, built from the configuration.
pub struct App {
    pub store: Store,
    pub state: api::AppState,
    pub engine: worker::Engine,
    pub console: console::ConsoleConfig,
}

impl App {
    pub async fn build(config: &Config, store: Store) -> anyhow::Result<Self> {
        seed_ids_if_deterministic(config);
        let keyring = keys::keyring(&store, config.master_key()?).await?;
        let state = api::AppState::new(store.clone(), keyring.clone(), config.api());
        let simulator = worker::SimulatedProvider::new(config.simulator(), store.clone())
            .map_err(anyhow::Error::msg)?
            .with_step_time(state.step_time.clone());
        let provider: std::sync::Arc<dyn worker::Provider> = if config.simulator.replay_calls {
            std::sync::Arc::new(worker::Replaying(simulator))
        } else {
            std::sync::Arc::new(simulator)
        };
        let metrics = worker::EngineMetrics::register(state.metrics.registry())
            .context("cannot register the job engine's metrics")?;
        let engine =
            worker::Engine::new(store.clone(), provider, keyring, config.engine()).with_metrics(metrics);
        Ok(Self { store, state, engine, console: config.console() })
    }

    /// Starts `concurrency` workers that stop when `shutdown` is cancelled.
    pub fn spawn_workers(
        &self,
        concurrency: usize,
        shutdown: &CancellationToken,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        (0..concurrency).map(|_| tokio::spawn(self.engine.clone().run(shutdown.clone()))).collect()
    }

    /// Keeps this process's key ring current until `shutdown` (see [`keys::spawn_refresh`]).
    pub fn spawn_key_refresh(
        &self,
        every: Duration,
        shutdown: &CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        keys::spawn_refresh(self.state.sealer.clone(), self.store.clone(), every, shutdown.clone())
    }

    /// The API and, at `/console`, the web console (a client of the same router).
    pub fn router(&self) -> axum::Router {
        let api = api::router(self.state.clone());
        api.clone().merge(console::router(self.state.clone(), api, self.console.clone()))
    }
}

/// In deterministic mode, seeds the process's id generator (before anything draws an id). Once per
/// process: a later call (another replica in one test process) keeps the sequence going.
pub fn seed_ids_if_deterministic(config: &Config) {
    if config.testing.deterministic && domain::ids::seed_ids(config.testing.seed) {
        domain::testing::seed_draws(config.testing.seed);
        tracing::warn!(seed = config.testing.seed, "deterministic mode: ids are seeded, steps take no time");
    }
}

/// On an empty embedded database, creates one tenant and prints its credentials once to stderr, so a
/// new user can point the SDK at the server at once. The name of the tenant it created, if it did.
pub async fn bootstrap(config: &Config, app: &App) -> anyhow::Result<Option<String>> {
    if !config.bootstrap.enabled || !config.is_sqlite() || app.store.tenant_count().await? > 0 {
        return Ok(None);
    }
    match admin::tenant_create(&app.store, &app.state.sealer, &config.bootstrap.tenant_name, &config.region)
        .await
    {
        Ok(credentials) => {
            eprintln!(
                "\nucsd: created the bootstrap tenant {:?}. Its credentials are shown this once:\n{}\n",
                credentials.domain_name,
                serde_json::to_string_pretty(&credentials)?
            );
            Ok(Some(credentials.domain_name))
        }
        // Another process bootstrapped the same database first.
        Err(e) if e.def == domain::error::iam::NAME_TAKEN => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `ucsd serve --fixture`: imports the snapshot document into the tenant this start bootstrapped;
/// on a database that was not fresh (`created` is `None`) it leaves everything as it is.
pub async fn seed_fixture(
    app: &App,
    created: Option<&str>,
    document: api::snapshot::Snapshot,
) -> anyhow::Result<()> {
    let Some(tenant) = created else {
        tracing::warn!(
            "--fixture: the database is not fresh (or bootstrapping is off); the fixture is not applied"
        );
        return Ok(());
    };
    let imported = admin::tenant_import(&app.store, &app.state.sealer, tenant, document).await?;
    tracing::info!(tenant, imported = ?imported.imported, "seeded the bootstrap tenant from the fixture");
    Ok(())
}

/// Serves until `shutdown` is cancelled, then finishes in-flight requests (up to the grace period).
pub async fn serve(config: &Config, app: &App, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(address = %listener.local_addr()?, "ucsd listening");
    if !config.is_sqlite() {
        // Jobs enqueued by other replicas wake these workers at once; credentials changed by them
        // are forgotten here at once.
        store_pg::listen(config.database.url.clone(), app.store.clone());
    }
    app.spawn_key_refresh(Duration::from_secs(config.security.key_refresh_secs), &shutdown);
    let workers = if config.worker.enabled {
        app.spawn_workers(config.worker.concurrency, &shutdown)
    } else {
        Vec::new()
    };
    let grace = Duration::from_secs(config.http.shutdown_grace_secs);
    // A make-service, so that each accepted connection shares the route table: served as a plain
    // Router, axum copies the whole table for every connection (docs/performance.md, the heap profile).
    let server = axum::serve(listener, app.router().into_make_service())
        .with_graceful_shutdown(shutdown.clone().cancelled_owned());
    tokio::select! {
        result = server => result.context("server failed")?,
        _ = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!("shutdown grace period over; dropping the remaining connections");
        }
    }
    // Workers finish their current step (its commit is fenced, so an unfinished one is simply retried).
    for worker in workers {
        let _ = tokio::time::timeout(grace, worker).await;
    }
    app.store.close().await;
    tracing::info!("ucsd stopped");
    Ok(())
}

/// Cancels `token` on SIGINT or SIGTERM.
pub fn cancel_on_signals(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("install SIGTERM handler");
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutdown signal received; finishing in-flight requests");
        token.cancel();
    });
}
