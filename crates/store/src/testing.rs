//! Testing support. Resetting a tenant's state (ucsd's testing tools): everything the tenant made goes,
//! in one transaction; the tenant itself, its projects, users, access keys and certificate authority
//! stay, so the same credentials work afterwards. And the jobs not yet ended, which a test harness that
//! drives the job engine step by step waits for (and names when they never end).

use chrono::{DateTime, Utc};
use domain::{
    audit::{Actor, NewAuditEvent},
    clock::to_millis,
    ids::{DomainId, FaultId},
    job::Job,
    testing::{FaultSpec, FaultTarget},
    Error, Result,
};
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::{
    job::{job_from_row, JOB_COLUMNS},
    sql::{instant, int, map_db_err, opt_int, opt_text, parsed, text},
    Store,
};

/// What a reset removed: rows per kind.
// The testing API answers this as is, so it describes its own schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TenantReset {
    pub clusters: u64,
    pub fleets: u64,
    pub rules: u64,
    pub rule_attachments: u64,
    pub federations: u64,
    pub cce_clusters: u64,
    pub upgrade_workflows: u64,
    pub upgrade_tasks: u64,
    pub upgrade_plans: u64,
    /// Jobs and their steps, finished or not.
    pub jobs: u64,
    pub provider_effects: u64,
    /// Audit events removed (0 when they were kept).
    pub audit_events: u64,
}

/// How a reset treats the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditRetention {
    /// The tenant's events stay; the reset's own event is appended.
    Keep,
    /// The tenant's events go too; only the reset's own event remains.
    Remove,
}

/// The tenant's rows, children before parents. Every table named here has a `domain_id`.
const TENANT_TABLES: [&str; 10] = [
    "upgrade_plans",
    "upgrade_tasks",
    "upgrade_workflows",
    "cce_clusters",
    "rule_attachments",
    "cluster_rbac",
    "rules",
    "fleet_federations",
    "clusters",
    "fleets",
];

impl Store {
    /// Removes everything the actor's tenant made: registered clusters, fleets, rules and their
    /// attachments, federation records, CCE clusters with their upgrade workflows, tasks and plans,
    /// every job of the tenant (running ones too), the provider effects of its resources and jobs,
    /// and, with [`AuditRetention::Remove`], its audit events. The tenant, its projects, users, access
    /// keys and CA stay. One transaction, behind the tenant's lock (no quota check of the tenant runs
    /// meanwhile).
    ///
    /// A worker in the middle of a step of a removed job finds its job gone when it commits: its
    /// fenced commit (`job_fence`, `job_finish`, …) matches no row, so the step rolls back and the
    /// worker moves on. (Its provider call may still record one effect after the reset.)
    pub async fn tenant_reset(&self, actor: &Actor, audit: AuditRetention) -> Result<TenantReset> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        let removed = tx.tenant_wipe(actor, audit).await?;
        tx.audit(actor, NewAuditEvent::success("tenant", actor.domain_id)).await?;
        tx.commit().await?;
        Ok(removed)
    }
}

impl crate::Tx<'_> {
    /// Removes everything the actor's tenant made (see [`Store::tenant_reset`]); the caller holds the
    /// tenant's lock and commits.
    async fn tenant_wipe(&mut self, actor: &Actor, audit: AuditRetention) -> Result<TenantReset> {
        let tx = self;
        let domain_id = actor.domain_id.to_string();
        // Effects are keyed by job, step or task ids and name the cluster or fleet they acted on:
        // those on the tenant's resources, on what its jobs acted on (resources deleted long ago
        // too; every CCE cluster has its create job) and under its jobs' ids.
        let provider_effects = tx
            .execute_for_tenant(
                "DELETE FROM provider_effects WHERE resource_id IN (
                    SELECT id FROM clusters WHERE domain_id = $1
                    UNION SELECT id FROM fleets WHERE domain_id = $1
                    UNION SELECT id FROM cce_clusters WHERE domain_id = $1
                    UNION SELECT resource_id FROM jobs WHERE domain_id = $1)
                 OR idempotency_key IN (SELECT id FROM jobs WHERE domain_id = $1)",
                &domain_id,
            )
            .await?;
        let mut removed = TenantReset { provider_effects, ..TenantReset::default() };
        // Resources before jobs: a worker's step locks its resource, then its job (the lock order).
        for table in TENANT_TABLES {
            let n = tx
                .execute_for_tenant(&format!("DELETE FROM {table} WHERE domain_id = $1"), &domain_id)
                .await?;
            match table {
                "upgrade_plans" => removed.upgrade_plans = n,
                "upgrade_tasks" => removed.upgrade_tasks = n,
                "upgrade_workflows" => removed.upgrade_workflows = n,
                "cce_clusters" => removed.cce_clusters = n,
                "rule_attachments" => removed.rule_attachments = n,
                "rules" => removed.rules = n,
                "fleet_federations" => removed.federations = n,
                "clusters" => removed.clusters = n,
                "fleets" => removed.fleets = n,
                _ => {}
            }
        }
        // Steps first, so each row counts once (on SQLite the cascade from a parent would take them).
        removed.jobs = tx
            .execute_for_tenant("DELETE FROM jobs WHERE domain_id = $1 AND parent_id IS NOT NULL", &domain_id)
            .await?;
        removed.jobs += tx.execute_for_tenant("DELETE FROM jobs WHERE domain_id = $1", &domain_id).await?;
        if audit == AuditRetention::Remove {
            removed.audit_events =
                tx.execute_for_tenant("DELETE FROM audit_events WHERE domain_id = $1", &domain_id).await?;
        }
        Ok(removed)
    }
}

impl Store {
    /// Every job, workflow step included, that has not ended (pending, running or paused), in the
    /// order they were made.
    pub async fn jobs_open(&self) -> Result<Vec<Job>> {
        self.open_jobs(None).await
    }

    /// The pending, running and paused jobs: every tenant's, or only `tenant`'s.
    async fn open_jobs(&self, tenant: Option<DomainId>) -> Result<Vec<Job>> {
        let only_tenant = if tenant.is_some() { "AND domain_id = $1" } else { "" };
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ('pending', 'running', 'paused') {only_tenant}
             ORDER BY created_at, id"
        );
        let mut query = sqlx::query(&sql);
        if let Some(tenant) = tenant {
            query = query.bind(tenant.to_string());
        }
        let rows = query.fetch_all(&self.pool).await.map_err(map_db_err)?;
        rows.iter().map(job_from_row).collect()
    }
}

impl crate::Tx<'_> {
    /// Runs one statement whose only parameter is the tenant's id; the rows it touched.
    async fn execute_for_tenant(&mut self, sql: &str, domain_id: &str) -> Result<u64> {
        let done = sqlx::query(sql).bind(domain_id).execute(&mut *self.tx).await.map_err(map_db_err)?;
        Ok(done.rows_affected())
    }
}

/// A fault rule as kept: its spec (what the API took), how often it may still fire and did.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub id: FaultId,
    pub domain_id: DomainId,
    pub spec: FaultSpec,
    /// `None`: unlimited.
    pub remaining: Option<i64>,
    pub fired: i64,
    pub created_at: DateTime<Utc>,
}

/// One entry of the request journal to write.
#[derive(Debug, Clone, Default)]
pub struct NewJournalEntry {
    /// `request` or `step`.
    pub kind: &'static str,
    pub operation: Option<String>,
    pub method: Option<String>,
    pub path: String,
    pub route: Option<String>,
    pub query: Option<String>,
    pub status: Option<u16>,
    pub error_code: Option<String>,
    pub duration_ms: Option<i64>,
    pub request_id: Option<String>,
    pub fault_id: Option<FaultId>,
    /// Redacted already.
    pub body: Option<serde_json::Value>,
}

/// One entry of the request journal as the API answers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    pub id: i64,
    pub kind: String,
    pub time: DateTime<Utc>,
    pub operation: Option<String>,
    pub method: Option<String>,
    pub path: String,
    pub route: Option<String>,
    pub query: Option<String>,
    pub status: Option<i64>,
    pub error_code: Option<String>,
    pub duration_millis: Option<i64>,
    pub request_id: Option<String>,
    pub fault: Option<String>,
    pub body: Option<serde_json::Value>,
}

/// Which journal entries to read.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    pub operation: Option<String>,
    /// Statuses from..=to.
    pub status: Option<(u16, u16)>,
    pub since: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

const FAULT_COLUMNS: &str = "id, domain_id, spec, remaining, fired, created_at";

fn fault_from_row(row: &AnyRow) -> Result<Fault> {
    let spec = text(row, "spec")?;
    Ok(Fault {
        id: parsed(row, "id")?,
        domain_id: parsed(row, "domain_id")?,
        spec: serde_json::from_str(&spec).map_err(|e| Error::internal(format!("stored fault spec: {e}")))?,
        remaining: opt_int(row, "remaining")?,
        fired: int(row, "fired")?,
        created_at: instant(row, "created_at")?,
    })
}

const JOURNAL_COLUMNS: &str = "id, kind, at, operation, method, path, route, query, status, error_code, \
                               duration_ms, request_id, fault_id, body";

fn entry_from_row(row: &AnyRow) -> Result<JournalEntry> {
    let body = match opt_text(row, "body")? {
        None => None,
        Some(b) => Some(serde_json::from_str(&b).map_err(|e| Error::internal(format!("stored body: {e}")))?),
    };
    Ok(JournalEntry {
        id: int(row, "id")?,
        kind: text(row, "kind")?,
        time: instant(row, "at")?,
        operation: opt_text(row, "operation")?,
        method: opt_text(row, "method")?,
        path: text(row, "path")?,
        route: opt_text(row, "route")?,
        query: opt_text(row, "query")?,
        status: opt_int(row, "status")?,
        error_code: opt_text(row, "error_code")?,
        duration_millis: opt_int(row, "duration_ms")?,
        request_id: opt_text(row, "request_id")?,
        fault: opt_text(row, "fault_id")?,
        body,
    })
}

/// Fault rules and the request journal (docs/testing.md).
impl Store {
    /// Keeps a new fault rule of the tenant.
    pub async fn fault_create(
        &self,
        domain_id: DomainId,
        target: FaultTarget,
        spec: &FaultSpec,
    ) -> Result<Fault> {
        let fault = Fault {
            id: FaultId::new(),
            domain_id,
            spec: spec.clone(),
            remaining: spec.times.map(|t| i64::try_from(t).unwrap_or(i64::MAX)),
            fired: 0,
            created_at: self.clock.now(),
        };
        let spec_json = serde_json::to_string(spec).map_err(Error::internal)?;
        sqlx::query(
            "INSERT INTO testing_faults (id, domain_id, target, spec, remaining, fired, created_at)
             VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(fault.id.to_string())
        .bind(domain_id.to_string())
        .bind(target.as_str())
        .bind(spec_json)
        .bind(fault.remaining)
        .bind(to_millis(fault.created_at))
        .execute(&self.pool)
        .await
        .map_err(map_db_err)?;
        Ok(fault)
    }

    /// The tenant's fault rules, oldest first.
    pub async fn faults_list(&self, domain_id: DomainId) -> Result<Vec<Fault>> {
        let rows = sqlx::query(&format!(
            "SELECT {FAULT_COLUMNS} FROM testing_faults WHERE domain_id = $1 ORDER BY created_at, id"
        ))
        .bind(domain_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter().map(fault_from_row).collect()
    }

    /// The tenant's rules for `target` that may still fire, oldest first.
    pub async fn faults_armed(&self, domain_id: DomainId, target: FaultTarget) -> Result<Vec<Fault>> {
        let rows = sqlx::query(&format!(
            "SELECT {FAULT_COLUMNS} FROM testing_faults
             WHERE domain_id = $1 AND target = $2 AND (remaining IS NULL OR remaining > 0)
             ORDER BY created_at, id"
        ))
        .bind(domain_id.to_string())
        .bind(target.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter().map(fault_from_row).collect()
    }

    /// Uses a rule once: whether it could still fire (replicas race for the last use of a rule; one
    /// wins).
    pub async fn fault_use(&self, id: FaultId) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE testing_faults SET fired = fired + 1,
                    remaining = CASE WHEN remaining IS NULL THEN NULL ELSE remaining - 1 END
             WHERE id = $1 AND (remaining IS NULL OR remaining > 0)",
        )
        .bind(id.to_string())
        .execute(&self.pool)
        .await
        .map_err(map_db_err)?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes one rule of the tenant; whether there was one.
    pub async fn fault_delete(&self, domain_id: DomainId, id: FaultId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM testing_faults WHERE domain_id = $1 AND id = $2")
            .bind(domain_id.to_string())
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(map_db_err)?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes every rule of the tenant; how many.
    pub async fn faults_delete_all(&self, domain_id: DomainId) -> Result<u64> {
        let done = sqlx::query("DELETE FROM testing_faults WHERE domain_id = $1")
            .bind(domain_id.to_string())
            .execute(&self.pool)
            .await
            .map_err(map_db_err)?;
        Ok(done.rows_affected())
    }

    /// Appends an entry to the tenant's journal and drops what is beyond the newest `keep`.
    pub async fn journal_append(&self, domain_id: DomainId, entry: NewJournalEntry, keep: i64) -> Result<()> {
        let domain = domain_id.to_string();
        let body = entry.body.map(|b| b.to_string());
        sqlx::query(
            "INSERT INTO testing_journal (domain_id, kind, at, operation, method, path, route, query, status,
                                          error_code, duration_ms, request_id, fault_id, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&domain)
        .bind(entry.kind)
        .bind(self.now_millis())
        .bind(entry.operation)
        .bind(entry.method)
        .bind(entry.path)
        .bind(entry.route)
        .bind(entry.query)
        .bind(entry.status.map(i64::from))
        .bind(entry.error_code)
        .bind(entry.duration_ms)
        .bind(entry.request_id)
        .bind(entry.fault_id.map(|f| f.to_string()))
        .bind(body)
        .execute(&self.pool)
        .await
        .map_err(map_db_err)?;
        sqlx::query(
            "DELETE FROM testing_journal WHERE domain_id = $1 AND id <= (
                 SELECT id FROM testing_journal WHERE domain_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
        )
        .bind(&domain)
        .bind(keep.max(0))
        .execute(&self.pool)
        .await
        .map_err(map_db_err)?;
        Ok(())
    }

    /// The tenant's journal entries that pass `filter`, oldest first, and how many pass it in all.
    pub async fn journal_list(
        &self,
        domain_id: DomainId,
        filter: &JournalFilter,
    ) -> Result<(i64, Vec<JournalEntry>)> {
        let (low, high) = filter.status.map_or((0, 999), |(l, h)| (i64::from(l), i64::from(h)));
        let since = filter.since.map_or(i64::MIN, to_millis);
        let operation = filter.operation.clone().unwrap_or_default();
        let filters = "FROM testing_journal WHERE domain_id = $1 AND at >= $2
                       AND ($3 = '' OR operation = $3) AND ($4 = 0 OR (status >= $4 AND status <= $5))";
        let status_low = if filter.status.is_some() { low } else { 0 };
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {filters}"))
            .bind(domain_id.to_string())
            .bind(since)
            .bind(&operation)
            .bind(status_low)
            .bind(high)
            .fetch_one(&self.pool)
            .await
            .map_err(map_db_err)?;
        let rows = sqlx::query(&format!(
            "SELECT {JOURNAL_COLUMNS} {filters} ORDER BY id LIMIT {} OFFSET {}",
            filter.limit.max(0),
            filter.offset.max(0)
        ))
        .bind(domain_id.to_string())
        .bind(since)
        .bind(&operation)
        .bind(status_low)
        .bind(high)
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        Ok((total, rows.iter().map(entry_from_row).collect::<Result<_>>()?))
    }

    /// Empties the tenant's journal; how many entries went.
    pub async fn journal_clear(&self, domain_id: DomainId) -> Result<u64> {
        let done = sqlx::query("DELETE FROM testing_journal WHERE domain_id = $1")
            .bind(domain_id.to_string())
            .execute(&self.pool)
            .await
            .map_err(map_db_err)?;
        Ok(done.rows_affected())
    }

    /// The tenant's jobs that have not ended, in the order they were made.
    pub async fn jobs_open_of(&self, domain_id: DomainId) -> Result<Vec<Job>> {
        self.open_jobs(Some(domain_id)).await
    }
}

/// The tables of a tenant snapshot, parents before children (the order rows are imported in).
pub const SNAPSHOT_TABLES: [&str; 11] = [
    "fleets",
    "clusters",
    "cluster_rbac",
    "rules",
    "rule_attachments",
    "fleet_federations",
    "cce_clusters",
    "upgrade_workflows",
    "upgrade_tasks",
    "upgrade_plans",
    "jobs",
];

/// Columns kept as booleans (BOOLEAN on Postgres, INTEGER on SQLite): a snapshot says `true`/`false`.
const BOOLEAN_COLUMNS: [(&str, &str); 1] = [("clusters", "cert_downloaded")];

/// One row of a snapshot: column name → value (text, integer or boolean); NULL columns are left out.
pub type SnapshotRow = serde_json::Map<String, serde_json::Value>;

/// The rows of a snapshot, per table of [`SNAPSHOT_TABLES`].
pub type SnapshotTables = std::collections::BTreeMap<String, Vec<SnapshotRow>>;

fn snapshot_row(table: &str, row: &AnyRow) -> Result<SnapshotRow> {
    use serde_json::Value;
    use sqlx::{Column, Row};
    let mut out = SnapshotRow::new();
    for column in row.columns() {
        let name = column.name();
        let value = if BOOLEAN_COLUMNS.contains(&(table, name)) {
            Value::Bool(crate::sql::boolean(row, name)?)
        } else if let Ok(v) = row.try_get::<Option<i64>, _>(name) {
            v.map_or(Value::Null, Value::from)
        } else if let Ok(v) = row.try_get::<Option<String>, _>(name) {
            v.map_or(Value::Null, Value::from)
        } else {
            return Err(Error::internal(format!("{table}.{name} is neither text nor an integer")));
        };
        if !value.is_null() {
            out.insert(name.to_string(), value);
        }
    }
    Ok(out)
}

/// Whether a name may go into SQL as a column name.
fn is_column_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
}

/// Snapshots of a tenant's state (docs/testing.md): its rows, and replacing them.
impl Store {
    /// Every row of the tenant in the snapshot's tables, in a stable order.
    pub async fn tenant_rows(&self, domain_id: DomainId) -> Result<SnapshotTables> {
        let mut tables = SnapshotTables::new();
        for table in SNAPSHOT_TABLES {
            let rows = sqlx::query(&format!("SELECT * FROM {table} WHERE domain_id = $1 ORDER BY 1, 2, 3"))
                .bind(domain_id.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_db_err)?;
            let rows = rows.iter().map(|r| snapshot_row(table, r)).collect::<Result<Vec<_>>>()?;
            tables.insert(table.to_string(), rows);
        }
        Ok(tables)
    }

    /// Replaces the actor's tenant's state with `tables` (its rows' `domain_id` set to the tenant), in
    /// one transaction: what [`Store::tenant_reset`] removes goes first. Unfinished jobs are put back
    /// in the queue (no lease). Answers the rows imported per table.
    pub async fn tenant_replace(
        &self,
        actor: &Actor,
        tables: &SnapshotTables,
    ) -> Result<std::collections::BTreeMap<String, u64>> {
        use serde_json::Value;
        if let Some(unknown) = tables.keys().find(|t| !SNAPSHOT_TABLES.contains(&t.as_str())) {
            return Err(Error::invalid_body(format!("a snapshot has no table {unknown:?}")));
        }
        let domain_id = actor.domain_id.to_string();
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        tx.tenant_wipe(actor, AuditRetention::Keep).await?;
        let mut imported = std::collections::BTreeMap::new();
        for table in SNAPSHOT_TABLES {
            let Some(rows) = tables.get(table) else { continue };
            // Parents before their steps.
            let mut ordered: Vec<&SnapshotRow> = rows.iter().collect();
            ordered.sort_by_key(|r| r.contains_key("parent_id"));
            for row in ordered {
                let mut row = row.clone();
                row.insert("domain_id".into(), Value::from(domain_id.clone()));
                if table == "jobs" && row.get("state").and_then(Value::as_str) == Some("running") {
                    row.insert("state".into(), Value::from("pending"));
                    row.remove("lease_owner");
                    row.remove("lease_expires_at");
                }
                if let Some(bad) = row.keys().find(|c| !is_column_name(c)) {
                    return Err(Error::invalid_body(format!("{table}: {bad:?} is not a column name")));
                }
                let columns: Vec<&str> = row.keys().map(String::as_str).collect();
                let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "INSERT INTO {table} ({}) VALUES ({})",
                    columns.join(", "),
                    placeholders.join(", ")
                );
                let mut query = sqlx::query(&sql);
                for value in row.values() {
                    query = match value {
                        Value::Bool(b) => query.bind(*b),
                        Value::Number(n) => match n.as_i64() {
                            Some(i) => query.bind(i),
                            None => {
                                return Err(Error::invalid_body(format!("{table}: {n} is not an integer")))
                            }
                        },
                        Value::String(s) => query.bind(s.clone()),
                        other => {
                            return Err(Error::invalid_body(format!(
                                "{table}: a value must be text, an integer or a boolean, not {other}"
                            )))
                        }
                    };
                }
                query.execute(&mut *tx.tx).await.map_err(|e| {
                    if crate::sql::is_unique_violation(&e) {
                        Error::invalid_body(format!(
                            "{table}: an id of the snapshot is taken on this server (by the tenant it was \
                             exported from?): ids are kept on import"
                        ))
                    } else {
                        Error::invalid_body(format!("{table}: the row does not fit: {e}"))
                    }
                })?;
                *imported.entry(table.to_string()).or_insert(0) += 1;
            }
        }
        tx.audit(actor, NewAuditEvent::success("tenant", actor.domain_id)).await?;
        tx.commit().await?;
        self.wake_workers();
        Ok(imported)
    }
}
