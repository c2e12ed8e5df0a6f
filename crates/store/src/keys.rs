//! The key ring's rows (`data_keys`, see `secrets::keyring`) and the sealed columns a rotation
//! re-seals. The store knows where sealed values live and how to find those a key made (by the
//! prefix the caller names); it never opens one.

use chrono::{DateTime, Utc};
use domain::{error::iam, Error, Result};

use crate::{
    sql::{instant, int, map_db_err, opt_instant, text},
    Dialect, Store,
};

/// The Postgres notification channel on which a committed change of the key ring (a key added or
/// retired) tells every replica to load its ring again.
pub const KEYS_CHANNEL: &str = "ucsd_keys";

/// A row of the key ring. `wrapped` is the data key sealed under the master key (empty for key 0,
/// the master key itself, and for a retired key, whose material is erased).
#[derive(Clone)]
pub struct DataKeyRow {
    pub id: i64,
    pub wrapped: String,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for DataKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKeyRow")
            .field("id", &self.id)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// Every column that holds sealed values: what a rotation re-seals and what retiring a key scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedColumn {
    /// `access_keys.secret_enc`, by access key id.
    AccessKeySecret,
    /// `clusters.kubeconfig_sealed`, by cluster id.
    Kubeconfig,
    /// `tenant_cas.key_sealed`, by domain id.
    TenantCa,
    /// `fleet_federations.ca_key_sealed`, by fleet id.
    FederationCa,
    /// `cce_clusters.proxy_key_sealed`, by CCE cluster id.
    CceProxyKey,
}

impl SealedColumn {
    pub const ALL: [Self; 5] =
        [Self::AccessKeySecret, Self::Kubeconfig, Self::TenantCa, Self::FederationCa, Self::CceProxyKey];

    /// Table, key column, sealed column.
    fn sql(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::AccessKeySecret => ("access_keys", "access_key", "secret_enc"),
            Self::Kubeconfig => ("clusters", "id", "kubeconfig_sealed"),
            Self::TenantCa => ("tenant_cas", "domain_id", "key_sealed"),
            Self::FederationCa => ("fleet_federations", "fleet_id", "ca_key_sealed"),
            Self::CceProxyKey => ("cce_clusters", "id", "proxy_key_sealed"),
        }
    }

    /// `table.column`, for reports.
    pub fn name(self) -> String {
        let (table, _, column) = self.sql();
        format!("{table}.{column}")
    }
}

/// A sealed value by its row's key.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedValue {
    pub row: String,
    pub sealed: String,
}

impl std::fmt::Debug for SealedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedValue").field("row", &self.row).finish_non_exhaustive()
    }
}

fn key_row(row: &sqlx::any::AnyRow) -> Result<DataKeyRow> {
    Ok(DataKeyRow {
        id: int(row, "id")?,
        wrapped: text(row, "wrapped")?,
        created_at: instant(row, "created_at")?,
        retired_at: opt_instant(row, "retired_at")?,
    })
}

impl Store {
    /// Every row of the key ring (retired ones too), lowest id first.
    pub async fn data_keys(&self) -> Result<Vec<DataKeyRow>> {
        let rows = sqlx::query("SELECT id, wrapped, created_at, retired_at FROM data_keys ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(map_db_err)?;
        rows.iter().map(key_row).collect()
    }

    /// Adds key `id` (the next number: a concurrent rotation that took it first makes this fail), and
    /// key 0's row (the master key) if the ring had no rows yet. Every replica is told.
    pub async fn data_key_add(&self, id: i64, wrapped: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = tx.now_millis();
        sqlx::query(
            "INSERT INTO data_keys (id, wrapped, created_at)
             SELECT 0, '', $1 WHERE NOT EXISTS (SELECT 1 FROM data_keys)",
        )
        .bind(now)
        .execute(&mut *tx.tx)
        .await
        .map_err(map_db_err)?;
        let inserted = sqlx::query(
            "INSERT INTO data_keys (id, wrapped, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(wrapped)
        .bind(now)
        .execute(&mut *tx.tx)
        .await
        .map_err(map_db_err)?
        .rows_affected();
        if inserted == 0 {
            return Err(Error::new(iam::KEY_IN_USE)
                .with_detail(format!("key {id} exists already (another rotation ran at the same time)")));
        }
        self.announce_keys(&mut tx).await?;
        tx.commit().await?;
        self.keys_changed();
        Ok(())
    }

    /// Retires a live key: its row stays, its material is erased. `false` if it was not live.
    pub async fn data_key_retire(&self, id: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let now = tx.now_millis();
        let retired = sqlx::query(
            "UPDATE data_keys SET retired_at = $1, wrapped = '' WHERE id = $2 AND retired_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx.tx)
        .await
        .map_err(map_db_err)?
        .rows_affected();
        self.announce_keys(&mut tx).await?;
        tx.commit().await?;
        self.keys_changed();
        Ok(retired == 1)
    }

    /// Replaces the wrapped form of live keys (a new master key wraps them), all in one transaction.
    pub async fn data_keys_rewrap(&self, keys: &[(i64, String)]) -> Result<()> {
        let mut tx = self.begin().await?;
        for (id, wrapped) in keys {
            sqlx::query("UPDATE data_keys SET wrapped = $1 WHERE id = $2 AND retired_at IS NULL")
                .bind(wrapped)
                .bind(id)
                .execute(&mut *tx.tx)
                .await
                .map_err(map_db_err)?;
        }
        tx.commit().await
    }

    async fn announce_keys(&self, tx: &mut crate::Tx<'_>) -> Result<()> {
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(KEYS_CHANNEL)
                .execute(&mut *tx.tx)
                .await
                .map_err(map_db_err)?;
        }
        Ok(())
    }

    /// Up to `limit` values of `column` that do not start with `prefix`, of rows whose key sorts
    /// after `after`, in key order: a page of what a rotation still has to re-seal.
    pub async fn sealed_not_by(
        &self,
        column: SealedColumn,
        prefix: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<SealedValue>> {
        let (table, key, sealed) = column.sql();
        let rows = sqlx::query(&format!(
            "SELECT {key} AS row_key, {sealed} AS sealed FROM {table}
             WHERE {key} > $1 AND {sealed} IS NOT NULL AND {sealed} <> '' AND substr({sealed}, 1, {len}) <> $2
             ORDER BY {key} LIMIT $3",
            len = prefix.len()
        ))
        .bind(after)
        .bind(prefix)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter()
            .map(|r| Ok(SealedValue { row: text(r, "row_key")?, sealed: text(r, "sealed")? }))
            .collect()
    }

    /// How many values of `column` start with `prefix` (were made by the key it names).
    pub async fn sealed_count_by(&self, column: SealedColumn, prefix: &str) -> Result<i64> {
        let (table, _, sealed) = column.sql();
        sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {table} WHERE {sealed} IS NOT NULL AND substr({sealed}, 1, {len}) = $1",
            len = prefix.len()
        ))
        .bind(prefix)
        .fetch_one(&self.pool)
        .await
        .map_err(map_db_err)
    }

    /// Replaces sealed values in one transaction, each only if the row still holds the value it was
    /// read with (a value written since is left alone: the next pass sees it). How many it replaced.
    pub async fn sealed_replace(
        &self,
        column: SealedColumn,
        changes: &[(SealedValue, String)],
    ) -> Result<u64> {
        let (table, key, sealed) = column.sql();
        let statement = format!("UPDATE {table} SET {sealed} = $1 WHERE {key} = $2 AND {sealed} = $3");
        let mut tx = self.begin().await?;
        let mut replaced = 0;
        for (old, new) in changes {
            replaced += sqlx::query(&statement)
                .bind(new)
                .bind(&old.row)
                .bind(&old.sealed)
                .execute(&mut *tx.tx)
                .await
                .map_err(map_db_err)?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(replaced)
    }
}
