//! The persistence API of ucsd.
//!
//! One SQL implementation over sqlx's `Any` driver serves both backends: the statements are portable
//! (TEXT ids, BIGINT millisecond instants, `$n` placeholders, `RETURNING`, partial unique indexes), and the
//! few places where Postgres and SQLite differ ask the [`Dialect`]. The backend crates (`store-pg`,
//! `store-sqlite`) open the pool, tune the connection and own the migrations; both run the same
//! [`conformance`] suite. Every method names its resource first (`cluster_create`, `job_claim`);
//! mutating methods take an [`Actor`](domain::audit::Actor) and append their audit event in the same
//! transaction. No `sqlx::Error` leaves this crate: failures become [`domain::Error`]s by meaning.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc, OnceLock,
};

use domain::{clock::Clock, ids::DomainId, Error, Result};
use sqlx::{any::AnyPoolOptions, migrate::Migrator, Any, AnyPool, Transaction};

pub mod addon;
pub mod audit;
pub mod cce;
pub mod cluster;
pub mod conformance;
pub mod console;
pub mod federation;
pub mod fleet;
pub mod identity;
pub mod job;
pub mod job_admin;
pub mod keys;
pub mod nodepool;
pub mod platform;
pub mod rule;
mod sql;
pub mod tenant_ca;
pub mod testing;
pub mod upgrade;

pub use sql::{is_unique_violation, map_db_err};

/// One page of a list: newest or oldest first by creation or update time, at most `limit` (`None`: all)
/// after skipping `offset`.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub by_update: bool,
    pub descending: bool,
    pub limit: Option<i64>,
    pub offset: i64,
}

impl Page {
    /// The `ORDER BY … LIMIT … OFFSET …` of a list over a table whose columns `prefix` qualifies
    /// (`""` or `"f."`). Only typed numbers go in, never user text.
    pub(crate) fn sql(&self, dialect: Dialect, prefix: &str) -> String {
        let column = if self.by_update { "updated_at" } else { "created_at" };
        let direction = if self.descending { "DESC" } else { "ASC" };
        let limit = match (self.limit, dialect) {
            (Some(limit), _) => format!(" LIMIT {limit}"),
            (None, Dialect::Postgres) if self.offset > 0 => " LIMIT ALL".to_string(),
            (None, Dialect::Sqlite) if self.offset > 0 => " LIMIT -1".to_string(),
            (None, _) => String::new(),
        };
        let offset = if self.offset > 0 { format!(" OFFSET {}", self.offset) } else { String::new() };
        format!("ORDER BY {prefix}{column} {direction}, {prefix}id {direction}{limit}{offset}")
    }
}

/// The Postgres notification channel on which committed enqueues wake the workers of every replica.
pub const JOBS_CHANNEL: &str = "ucsd_jobs";

/// The Postgres notification channel on which a committed change of credentials (a tenant, user,
/// project or access key) tells every replica to forget the credentials it has cached.
pub const CREDENTIALS_CHANNEL: &str = "ucsd_credentials";

/// The audited resource types whose changes invalidate cached credentials (see
/// [`Store::credentials_epoch`]).
pub const CREDENTIAL_RESOURCES: &[&str] = &["tenant", "user", "project", "access_key", "role"];

/// The one read of a cached list or show (see [`Store::tenant_generation`]). Public so that
/// `ucsd-bench` can hand Postgres the very same query.
pub const TENANT_GENERATION_QUERY: &str = "SELECT generation FROM tenant_generations WHERE domain_id = $1";

/// Where the backends differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    /// The suffix that locks the rows a `SELECT` reads until the transaction ends (SQLite's write
    /// transactions hold the database's lock already).
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Self::Postgres => " FOR UPDATE",
            Self::Sqlite => "",
        }
    }
}

/// The store: a pool, its dialect, the migrations it was built with, and the clock it stamps rows with.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    migrator: &'static Migrator,
    clock: Arc<dyn Clock>,
    /// Woken when a transaction that enqueued jobs commits, so this process's workers start at once.
    jobs_enqueued: Arc<tokio::sync::Notify>,
    faults: Arc<Faults>,
    job_observer: Arc<OnceLock<JobObserver>>,
    /// Raised whenever credentials may have changed: by this process's commits, and (Postgres) by
    /// other processes' notifications. A cached credential is good while the epoch it was read
    /// under is still the current one.
    credentials_epoch: Arc<AtomicU64>,
    /// Woken when the key ring changed (here or, per a notification, on another replica).
    keys_changed: Arc<tokio::sync::Notify>,
}

/// Told of what each committed transaction did to claimed jobs (the engine's metrics), so that
/// nobody has to read a job again after its step to learn how it went.
#[derive(Clone)]
struct JobObserver(Arc<dyn Fn(&job::JobEvent) + Send + Sync>);

impl std::fmt::Debug for JobObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobObserver(..)")
    }
}

/// Injected failures of transactions, for fault tests and testing tools: one in `every` begins or
/// commits fails as a lost connection would make it fail, drawn from a fixed pseudo-random sequence
/// (a strict period could fall into step with a workflow's own and starve it). A failed commit
/// either never reached the database (rolled back) or reached it with its answer lost (committed,
/// reported failed): the second is the case a caller cannot tell from the first, and must survive too.
#[derive(Debug, Default)]
struct Faults {
    every: AtomicU64,
    seen: AtomicU64,
}

impl Faults {
    /// `Some(draw)` when this call fails (the draw decides how).
    fn strike(&self) -> Option<u64> {
        let every = self.every.load(Ordering::Relaxed);
        if every == 0 {
            return None;
        }
        // splitmix64 of the call's number: well spread, and the same sequence on every run.
        let mut z = self.seen.fetch_add(1, Ordering::Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        z.is_multiple_of(every).then_some(z / every)
    }
}

fn injected(what: &str) -> Error {
    Error::database(format!("injected fault: {what}"))
}

/// A write transaction. Commit it, or drop it to roll back.
pub struct Tx<'s> {
    tx: Transaction<'static, Any>,
    store: &'s Store,
    enqueued: bool,
    /// What it did to claimed jobs, told to the store's observer once it commits.
    job_events: Vec<job::JobEvent>,
    /// The tenants whose state it changed: their generations are raised as it commits.
    tenants: Vec<DomainId>,
    /// Whether it changed credentials (a [`CREDENTIAL_RESOURCES`] change was audited).
    credentials: bool,
}

impl Store {
    /// Wraps a pool opened by a backend crate.
    pub fn new(pool: AnyPool, dialect: Dialect, migrator: &'static Migrator, clock: Arc<dyn Clock>) -> Self {
        let jobs_enqueued = Arc::new(tokio::sync::Notify::new());
        Self {
            pool,
            dialect,
            migrator,
            clock,
            jobs_enqueued,
            faults: Arc::default(),
            job_observer: Arc::default(),
            credentials_epoch: Arc::default(),
            keys_changed: Arc::default(),
        }
    }

    /// The current credentials epoch: it changes whenever credentials may have changed (here or,
    /// on Postgres with [`CREDENTIALS_CHANNEL`] listened to, on another replica). Read it before
    /// reading credentials to cache, and trust the copy only while the epoch is unchanged.
    pub fn credentials_epoch(&self) -> u64 {
        self.credentials_epoch.load(Ordering::Acquire)
    }

    /// Invalidates every cached credential of this process (a notification from another replica,
    /// or a reconnected listener that may have missed some).
    pub fn credentials_changed(&self) {
        self.credentials_epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Tells whoever waits in [`Store::keys_change`] that the key ring changed (a rotation or
    /// retirement here, or a notification of one elsewhere, or a reconnected listener that may have
    /// missed one).
    pub fn keys_changed(&self) {
        self.keys_changed.notify_waiters();
        self.keys_changed.notify_one();
    }

    /// Resolves when the key ring may have changed (or at once if it did since the last wait).
    pub async fn keys_change(&self) {
        self.keys_changed.notified().await
    }

    /// The tenant's generation: raised by every committed transaction that changed its state, so
    /// a response computed at one generation is valid until the generation moves. 0 for a tenant
    /// that never changed.
    pub async fn tenant_generation(&self, domain_id: DomainId) -> Result<i64> {
        let generation: Option<i64> = sqlx::query_scalar(TENANT_GENERATION_QUERY)
            .bind(domain_id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_err)?;
        Ok(generation.unwrap_or(0))
    }

    /// Has `observer` told of every [`job::JobEvent`] this store (and its clones) commits from now
    /// on. One observer per store: a later call is ignored (one engine's metrics per process).
    pub fn observe_jobs(&self, observer: impl Fn(&job::JobEvent) + Send + Sync + 'static) {
        let _ = self.job_observer.set(JobObserver(Arc::new(observer)));
    }

    /// From now on one in `every` transaction begins or commits of this store (and its clones) fails;
    /// 0 stops it. See [`Faults`].
    pub fn inject_faults(&self, every: u64) {
        self.faults.seen.store(0, Ordering::Relaxed);
        self.faults.every.store(every, Ordering::Relaxed);
    }

    /// Pool options shared by the backends; they add their own connection setup.
    pub fn pool_options(max_connections: u32) -> AnyPoolOptions {
        sqlx::any::install_default_drivers();
        AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(std::time::Duration::from_secs(10))
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    fn now_millis(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Runs pending migrations.
    pub async fn migrate(&self) -> Result<()> {
        self.migrator.run(&self.pool).await.map_err(|e| Error::database(format!("migrations failed: {e}")))
    }

    /// Ready: the database answers and every migration this binary knows has been applied.
    pub async fn ready(&self) -> Result<()> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_all(&self.pool)
                .await
                .map_err(map_db_err)?;
        let missing: Vec<i64> =
            self.migrator.iter().map(|m| m.version).filter(|v| !applied.contains(v)).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::database(format!("migrations not applied: {missing:?}")))
        }
    }

    /// Begins a write transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`), so
    /// read-then-write transactions (quota checks) serialize instead of failing on lock upgrade.
    pub async fn begin(&self) -> Result<Tx<'_>> {
        if self.faults.strike().is_some() {
            return Err(injected("the connection was lost before the transaction began"));
        }
        let tx = match self.dialect {
            Dialect::Postgres => self.pool.begin().await,
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
        }
        .map_err(map_db_err)?;
        Ok(Tx {
            tx,
            store: self,
            enqueued: false,
            job_events: Vec::new(),
            tenants: Vec::new(),
            credentials: false,
        })
    }

    /// Resolves when a transaction of this process enqueued jobs (or at once if one did since the
    /// last wait): the worker's wake-up, with polling as the fallback for other processes' jobs.
    pub async fn jobs_enqueued(&self) {
        self.jobs_enqueued.notified().await
    }

    /// Wakes this process's idle workers (a job was enqueued here or, per a notification, elsewhere).
    pub fn wake_workers(&self) {
        self.jobs_enqueued.notify_waiters();
        self.jobs_enqueued.notify_one();
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Tx<'_> {
    pub async fn commit(mut self) -> Result<()> {
        self.before_commit().await?;
        match self.store.faults.strike() {
            None => {}
            Some(draw) if draw % 2 == 1 => return Err(injected("the connection was lost before the commit")),
            Some(_) => {
                self.tx.commit().await.map_err(map_db_err)?;
                if self.credentials {
                    self.store.credentials_changed();
                }
                return Err(injected("the connection was lost after the commit, before its answer"));
            }
        }
        self.tx.commit().await.map_err(map_db_err)?;
        if self.credentials {
            self.store.credentials_changed();
        }
        if self.enqueued {
            self.store.wake_workers();
        }
        if let Some(observer) = self.store.job_observer.get() {
            self.job_events.iter().for_each(|event| (observer.0)(event));
        }
        Ok(())
    }

    fn now_millis(&self) -> i64 {
        self.store.now_millis()
    }

    /// Records that this transaction changes `domain_id`'s state (its generation is raised as it
    /// commits). Every audited change and every enqueued or claimed job records its tenant, so a
    /// write path does not have to remember to.
    pub(crate) fn touch(&mut self, domain_id: DomainId) {
        if !self.tenants.contains(&domain_id) {
            self.tenants.push(domain_id);
        }
    }

    /// Records that this transaction changes credentials: every replica forgets its cached ones
    /// when it commits.
    pub(crate) fn touch_credentials(&mut self) {
        self.credentials = true;
    }

    /// Inside the transaction, just before its commit: raises the generation of every tenant it
    /// changed (in id order, so that two transactions never wait on each other's rows) and, on
    /// Postgres, tells the other replicas of a change of credentials (delivered at the commit).
    /// Taken last, the generation row is held only for the commit itself.
    async fn before_commit(&mut self) -> Result<()> {
        self.tenants.sort_by_key(|id| id.to_string());
        for domain_id in &self.tenants {
            sqlx::query(
                "INSERT INTO tenant_generations (domain_id, generation) VALUES ($1, 1)
                 ON CONFLICT (domain_id) DO UPDATE SET generation = tenant_generations.generation + 1",
            )
            .bind(domain_id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        }
        if self.credentials && self.store.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(CREDENTIALS_CHANNEL)
                .execute(&mut *self.tx)
                .await
                .map_err(map_db_err)?;
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.store.dialect
    }
}
