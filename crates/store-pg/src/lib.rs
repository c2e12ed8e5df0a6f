//! Postgres backend of the store, for production and several replicas on one database.

pub mod primary;

use std::sync::Arc;

use domain::{clock::Clock, Error, Result};
use primary::Hosts;
use sqlx::migrate::Migrator;
use store::{Dialect, Store};

pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Connects to the database at `url` (`postgres://…`). A URL with several hosts
/// (`postgres://u@h1:5432,h2:5432/db`) connects to the one that is the primary and follows a failover
/// ([`primary`]).
pub async fn open(url: &str, max_connections: u32, clock: Arc<dyn Clock>) -> Result<Store> {
    let hosts = Arc::new(Hosts::parse(url)?);
    let mut options = Store::pool_options(max_connections);
    if hosts.several() {
        if !hosts.find_primary().await {
            return Err(Error::database("cannot connect to Postgres: none of the hosts is a primary"));
        }
        options = options.after_connect(|conn, _| Box::pin(primary::accepts_writes(conn)));
    }
    let pool = options
        .connect_with(hosts.options()?)
        .await
        .map_err(|e| Error::database(format!("cannot connect to Postgres: {e}")))?;
    if hosts.several() {
        primary::follow(hosts, pool.clone());
    }
    Ok(Store::new(pool, Dialect::Postgres, &MIGRATOR, clock))
}

/// Forwards notifications from every replica until the store closes: job notifications wake this
/// process's workers, credential notifications invalidate its cached credentials, key notifications
/// make it load its key ring again. Reconnects after a lost connection (polling covers the jobs, and
/// the credentials are invalidated and the keys reloaded on reconnecting, as one may have been missed).
pub fn listen(url: String, store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let hosts = match Hosts::parse(&url) {
            Ok(hosts) => hosts,
            Err(e) => return tracing::warn!(error = %e, "cannot listen for notifications"),
        };
        loop {
            if hosts.several() {
                hosts.find_primary().await;
            }
            match sqlx::postgres::PgListener::connect(hosts.current()).await {
                Ok(mut listener) => {
                    if let Err(e) = listener
                        .listen_all([
                            store::JOBS_CHANNEL,
                            store::CREDENTIALS_CHANNEL,
                            store::keys::KEYS_CHANNEL,
                        ])
                        .await
                    {
                        tracing::warn!(error = %e, "cannot listen for notifications");
                    } else {
                        // A notification may have been missed while reconnecting.
                        store.wake_workers();
                        store.credentials_changed();
                        store.keys_changed();
                        while let Ok(notification) = listener.recv().await {
                            match notification.channel() {
                                store::CREDENTIALS_CHANNEL => store.credentials_changed(),
                                store::keys::KEYS_CHANNEL => store.keys_changed(),
                                _ => store.wake_workers(),
                            }
                        }
                        store.credentials_changed();
                        store.keys_changed();
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot connect to listen for notifications"),
            }
            if store.pool().is_closed() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    })
}

/// Test support: every test gets its own schema in the test database, so tests run in parallel and
/// never see each other's rows.
pub mod testing {
    use sqlx::{Connection, Executor};

    use super::*;

    /// The server tests use: `UCS_TEST_DATABASE_URL`, default the local trust-auth Postgres.
    pub fn base_url() -> String {
        std::env::var("UCS_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
    }

    /// A URL for a new, empty schema of its own (created here), to hand to [`open`] or to `ucsd`.
    pub async fn fresh_schema_url() -> String {
        let base = base_url();
        let schema = format!("t_{}", domain::ids::random_uuid().simple());
        let mut conn = sqlx::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("tests need Postgres at {base} (set UCS_TEST_DATABASE_URL): {e}"));
        conn.execute(format!("CREATE SCHEMA {schema}").as_str()).await.expect("create test schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        // Named after its schema, so a test can find (and terminate) its own connections.
        format!("{base}{sep}options=-c%20search_path%3D{schema}&application_name={schema}")
    }

    /// Terminates every other connection of `store`'s pool (they share the `application_name` of
    /// a [`fresh_schema_url`]), as a database restart or a network failure would: what fault tests
    /// inflict mid-transaction. Returns how many it terminated.
    pub async fn terminate_connections(store: &Store) -> Result<u64> {
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = current_setting('application_name') AND pid <> pg_backend_pid()",
        )
        .fetch_all(store.pool())
        .await
        .map_err(store::map_db_err)?;
        Ok(killed.into_iter().filter(|k| *k).count() as u64)
    }

    pub async fn open_fresh(clock: Arc<dyn Clock>) -> Store {
        let store = open(&fresh_schema_url().await, 8, clock).await.expect("open test database");
        store.migrate().await.expect("migrate test database");
        store
    }
}
