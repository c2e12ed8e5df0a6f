//! Sessions of the web console: created at sign-in, looked up on every console request, ended at
//! sign-out or expiry. The caller hands over the hash of the cookie's token, never the token.

use chrono::{DateTime, Utc};
use domain::{
    ids::{DomainId, UserId},
    Result,
};
use sqlx::any::AnyRow;

use crate::{
    sql::{instant, map_db_err, parsed, text},
    Store,
};

/// A live console session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    pub user_id: UserId,
    pub domain_id: DomainId,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

fn session_from_row(row: &AnyRow) -> Result<ConsoleSession> {
    Ok(ConsoleSession {
        user_id: parsed(row, "user_id")?,
        domain_id: parsed(row, "domain_id")?,
        csrf_token: text(row, "csrf_token")?,
        created_at: instant(row, "created_at")?,
        expires_at: instant(row, "expires_at")?,
    })
}

impl Store {
    /// Opens a session of `user_id` until `expires_at`; expired sessions are swept on the way.
    pub async fn console_session_create(
        &self,
        token_hash: &str,
        user_id: UserId,
        domain_id: DomainId,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<ConsoleSession> {
        let now = self.now_millis();
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_db_err)?;
        sqlx::query(
            "INSERT INTO console_sessions (token_hash, user_id, domain_id, csrf_token, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(user_id.to_string())
        .bind(domain_id.to_string())
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at.timestamp_millis())
        .execute(&self.pool)
        .await
        .map_err(map_db_err)?;
        Ok(ConsoleSession {
            user_id,
            domain_id,
            csrf_token: csrf_token.to_string(),
            created_at: domain::clock::from_millis(now),
            expires_at: domain::clock::from_millis(expires_at.timestamp_millis()),
        })
    }

    /// The session of a token hash, if it exists and has not expired.
    pub async fn console_session_get(&self, token_hash: &str) -> Result<Option<ConsoleSession>> {
        let row = sqlx::query(
            "SELECT user_id, domain_id, csrf_token, created_at, expires_at FROM console_sessions
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(self.now_millis())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_db_err)?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// Ends a session (sign-out); ending one that is gone is not an error.
    pub async fn console_session_delete(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }
}
