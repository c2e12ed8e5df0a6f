//! The audit log. Successful changes append their event inside their own transaction
//! ([`Tx::audit`]); requests that fail append theirs on their own ([`Store::audit_append`]).

use domain::{
    audit::{Actor, AuditEvent, NewAuditEvent},
    ids::DomainId,
    Result,
};
use sqlx::any::AnyRow;

use crate::{
    sql::{instant, int, map_db_err, opt_parsed, opt_text, parsed, text},
    Store, Tx,
};

const INSERT: &str = "INSERT INTO audit_events
    (at, domain_id, user_id, request_id, action, resource_type, resource_id, outcome)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

fn insert<'q>(
    at: i64,
    actor: &'q Actor,
    event: &'q NewAuditEvent,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(INSERT)
        .bind(at)
        .bind(actor.domain_id.to_string())
        .bind(actor.user_id.map(|u| u.to_string()))
        .bind(&actor.request_id)
        .bind(actor.action.name)
        .bind(&event.resource_type)
        .bind(&event.resource_id)
        .bind(&event.outcome)
}

fn event_from_row(row: &AnyRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: int(row, "id")?,
        at: instant(row, "at")?,
        domain_id: parsed(row, "domain_id")?,
        user_id: opt_parsed(row, "user_id")?,
        request_id: text(row, "request_id")?,
        action: text(row, "action")?,
        resource_type: text(row, "resource_type")?,
        resource_id: opt_text(row, "resource_id")?,
        outcome: text(row, "outcome")?,
    })
}

impl Tx<'_> {
    /// Appends an audit event to this transaction: it commits or rolls back with the change.
    pub async fn audit(&mut self, actor: &Actor, event: NewAuditEvent) -> Result<()> {
        let at = self.now_millis();
        insert(at, actor, &event).execute(&mut *self.tx).await.map_err(map_db_err)?;
        self.touch(actor.domain_id);
        if crate::CREDENTIAL_RESOURCES.contains(&event.resource_type.as_str()) {
            self.touch_credentials();
        }
        Ok(())
    }
}

impl Store {
    /// Appends an audit event on its own, for a request that changed nothing (refused or failed).
    pub async fn audit_append(&self, actor: &Actor, event: NewAuditEvent) -> Result<()> {
        insert(self.now_millis(), actor, &event).execute(&self.pool).await.map_err(map_db_err)?;
        Ok(())
    }

    /// A tenant's newest events first.
    pub async fn audit_list(&self, domain_id: DomainId, limit: i64) -> Result<Vec<AuditEvent>> {
        let rows = sqlx::query(
            "SELECT id, at, domain_id, user_id, request_id, action, resource_type, resource_id, outcome
             FROM audit_events WHERE domain_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(domain_id.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter().map(event_from_row).collect()
    }
}
