//! Testing support. Resetting a tenant's state (ucsd's testing tools): everything the tenant made goes,
//! in one transaction; the tenant itself, its projects, users, access keys and certificate authority
//! stay, so the same credentials work afterwards. And the jobs not yet ended, which a test harness that
//! drives the job engine step by step waits for (and names when they never end).

use domain::{
    audit::{Actor, NewAuditEvent},
    job::Job,
    Result,
};
use serde::Serialize;

use crate::{
    job::{job_from_row, JOB_COLUMNS},
    sql::map_db_err,
    Store,
};

/// What a reset removed: rows per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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
        let domain_id = actor.domain_id.to_string();
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
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
        tx.audit(actor, NewAuditEvent::success("tenant", actor.domain_id)).await?;
        tx.commit().await?;
        Ok(removed)
    }
}

impl Store {
    /// Every job, workflow step included, that has not ended (pending, running or paused), in the
    /// order they were made.
    pub async fn jobs_open(&self) -> Result<Vec<Job>> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ('pending', 'running', 'paused')
             ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
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
