//! The deployment's key ring (`secrets::keyring`) over the store: loading it, keeping every replica's
//! copy current, and the operator's `ucsd admin keys list|rotate|retire|rewrap`.
//!
//! Rotating adds a data key, makes it active (the highest live key is), and re-seals every sealed
//! value with it, a batch per transaction, each value replaced only if it is still the one that was
//! read: online (a reader finds either the old value, whose key is still in the ring, or the new one,
//! whose key it loads on first sight) and resumable (what is left is exactly what is not yet sealed
//! with the active key, so running it again continues). Retiring a key erases its material once
//! nothing uses it any more.

use std::{collections::BTreeMap, time::Duration};

use chrono::{DateTime, Utc};
use domain::{error::iam, Error, Result};
use secrets::{keyring::sealed_prefix, Context, KeyId, KeySource, Keyring, MasterKey, StoredKey};
use serde::Serialize;
use store::{
    keys::{SealedColumn, SealedValue},
    Store,
};
use tokio_util::sync::CancellationToken;

/// Loads the ring's live keys from the store.
struct StoreKeys(Store);

impl KeySource for StoreKeys {
    fn live_keys(&self) -> secrets::keyring::LoadFuture {
        let store = self.0.clone();
        Box::pin(async move {
            let rows = store.data_keys().await.map_err(|e| e.to_string())?;
            rows.into_iter()
                .filter(|row| row.retired_at.is_none())
                .map(|row| {
                    let id =
                        KeyId::try_from(row.id).map_err(|_| format!("key id {} is out of range", row.id))?;
                    Ok(StoredKey { id, wrapped: row.wrapped })
                })
                .collect()
        })
    }
}

/// The ring of the deployment on `store`, loaded. Fails when a live key does not unwrap with
/// `master` (a replica started with another master key). On a database whose migrations are not all
/// applied yet (a new release started with `--no-migrate` before `ucsd migrate` ran) it starts with
/// the master key alone, as before the ring existed, and loads the ring once they are (the refresh).
pub async fn keyring(store: &Store, master: MasterKey) -> anyhow::Result<Keyring> {
    let ring = Keyring::with_source(master, StoreKeys(store.clone()));
    match ring.refresh().await {
        Ok(()) => Ok(ring),
        Err(e) if store.ready().await.is_err() => {
            tracing::warn!(error = %e, "the key ring is not loaded before the migrations are applied; using the master key alone until then");
            Ok(ring)
        }
        Err(e) => Err(anyhow::anyhow!("cannot load the key ring: {e}")),
    }
}

/// Keeps `ring` current until `shutdown`: loads it again when the store says it changed (a rotation
/// here, or a Postgres notification of one elsewhere) and every `every` (what another process on
/// the same SQLite file, or a missed notification, is caught by). A load that fails keeps the ring.
pub fn spawn_refresh(
    ring: Keyring,
    store: Store,
    every: Duration,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = store.keys_change() => {}
                _ = tokio::time::sleep(every) => {}
            }
            if let Err(e) = ring.refresh().await {
                tracing::warn!(error = %e, "cannot load the key ring; keeping the keys loaded before");
            }
        }
    })
}

/// What a sealed value of `column` in the row `row` is sealed for.
fn context(column: SealedColumn, row: &str) -> Context<'_> {
    match column {
        SealedColumn::AccessKeySecret => Context::AccessKeySecret(row),
        SealedColumn::Kubeconfig => Context::Kubeconfig(row),
        SealedColumn::TenantCa => Context::TenantCa(row),
        SealedColumn::FederationCa => Context::FederationCa(row),
        SealedColumn::CceProxyKey => Context::CceProxyKey(row),
    }
}

fn key_err(e: secrets::SecretError) -> Error {
    Error::internal(e)
}

/// How many values each key seals, per key id.
async fn values_by_key(store: &Store, ids: impl IntoIterator<Item = KeyId>) -> Result<BTreeMap<KeyId, i64>> {
    let mut counts = BTreeMap::new();
    for id in ids {
        let mut n = 0;
        for column in SealedColumn::ALL {
            n += store.sealed_count_by(column, &sealed_prefix(id)).await?;
        }
        counts.insert(id, n);
    }
    Ok(counts)
}

/// A key as `ucsd admin keys list` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyOut {
    pub id: KeyId,
    /// `active` (new values and tokens), `live` (opens what it made), `retired`.
    pub status: &'static str,
    /// 0 is the configured master key itself; the others are data keys wrapped under it.
    pub master_key: bool,
    /// `None` for key 0 before the first rotation.
    pub created_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
    /// Sealed values made with it (live keys).
    pub values: Option<i64>,
}

fn key_id(id: i64) -> Result<KeyId> {
    KeyId::try_from(id).map_err(|_| Error::internal(format!("stored key id {id} is out of range")))
}

pub async fn list(store: &Store, ring: &Keyring) -> Result<Vec<KeyOut>> {
    ring.refresh().await.map_err(key_err)?;
    let rows = store.data_keys().await?;
    let active = ring.active();
    let mut out = Vec::new();
    if rows.is_empty() {
        out.push(KeyOut {
            id: 0,
            status: "active",
            master_key: true,
            created_at: None,
            retired_at: None,
            values: None,
        });
    }
    for row in rows {
        let id = key_id(row.id)?;
        let status = match (row.retired_at, id == active) {
            (Some(_), _) => "retired",
            (None, true) => "active",
            (None, false) => "live",
        };
        out.push(KeyOut {
            id,
            status,
            master_key: id == secrets::MASTER_KEY_ID,
            created_at: Some(row.created_at),
            retired_at: row.retired_at,
            values: None,
        });
    }
    let live: Vec<KeyId> = out.iter().filter(|k| k.status != "retired").map(|k| k.id).collect();
    let counts = values_by_key(store, live).await?;
    for key in &mut out {
        key.values = counts.get(&key.id).copied();
    }
    Ok(out)
}

/// What `ucsd admin keys rotate` prints.
#[derive(Debug, Clone, Serialize)]
pub struct RotateOut {
    /// The key everything is sealed with now.
    pub active: KeyId,
    /// Whether this run added it (not with `--resume`).
    pub added: bool,
    /// Values re-sealed, by column.
    pub resealed: BTreeMap<String, u64>,
    /// Values that do not open with any key of the ring (left as they are), as `column:row`.
    pub unopenable: Vec<String>,
    /// Values still sealed with another key after the last pass (a replica that had not yet learned
    /// of the new key sealed them): run `rotate --resume` again.
    pub remaining: i64,
}

/// How many passes a rotation makes over the columns to catch values sealed with an older key
/// while it ran (by replicas that had not yet loaded the new key).
const PASSES: usize = 3;

/// Adds a key and makes it active (unless `resume`), then re-seals every value made with another
/// key, `batch` values per transaction.
pub async fn rotate(store: &Store, ring: &Keyring, resume: bool, batch: i64) -> Result<RotateOut> {
    ring.refresh().await.map_err(key_err)?;
    if !resume {
        let next = store.data_keys().await?.iter().map(|row| row.id).max().unwrap_or(0) + 1;
        let stored = ring.generate(key_id(next)?);
        store.data_key_add(next, &stored.wrapped).await?;
        ring.refresh().await.map_err(key_err)?;
        tracing::info!(key = next, "added a data key; it is the active key now");
    }
    let active = ring.active();
    let mut out =
        RotateOut { active, added: !resume, resealed: BTreeMap::new(), unopenable: Vec::new(), remaining: 0 };
    for _ in 0..PASSES {
        for column in SealedColumn::ALL {
            let n = reseal_column(store, ring, column, batch.max(1), &mut out.unopenable).await?;
            *out.resealed.entry(column.name()).or_default() += n;
        }
        out.remaining = remaining(store, ring).await? - out.unopenable.len() as i64;
        if out.remaining <= 0 {
            out.remaining = 0;
            break;
        }
        out.unopenable.clear();
    }
    Ok(out)
}

/// Values not sealed with the active key.
async fn remaining(store: &Store, ring: &Keyring) -> Result<i64> {
    let mut n = 0;
    for column in SealedColumn::ALL {
        let mut after = String::new();
        loop {
            let page = store.sealed_not_by(column, &sealed_prefix(ring.active()), &after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.row.clone();
            n += page.len() as i64;
        }
    }
    Ok(n)
}

async fn reseal_column(
    store: &Store,
    ring: &Keyring,
    column: SealedColumn,
    batch: i64,
    unopenable: &mut Vec<String>,
) -> Result<u64> {
    let prefix = sealed_prefix(ring.active());
    let mut after = String::new();
    let mut resealed = 0;
    loop {
        let page = store.sealed_not_by(column, &prefix, &after, batch).await?;
        let Some(last) = page.last() else { return Ok(resealed) };
        after = last.row.clone();
        let mut changes: Vec<(SealedValue, String)> = Vec::with_capacity(page.len());
        for value in page {
            let ctx = context(column, &value.row);
            match ring.open(&value.sealed, ctx).await {
                Ok(plain) => {
                    let new = ring.seal(&plain, ctx);
                    changes.push((value, new));
                }
                Err(e) => {
                    tracing::warn!(column = %column.name(), row = %value.row, error = %e, "a sealed value does not open");
                    unopenable.push(format!("{}:{}", column.name(), value.row));
                }
            }
        }
        resealed += replace_with_retries(store, column, &changes).await?;
    }
}

/// One batch's transaction; a failed one (a deadlock with a concurrent write, a lost connection) is
/// tried again: replacing is idempotent.
async fn replace_with_retries(
    store: &Store,
    column: SealedColumn,
    changes: &[(SealedValue, String)],
) -> Result<u64> {
    let mut attempt = 0;
    loop {
        match store.sealed_replace(column, changes).await {
            Ok(n) => return Ok(n),
            Err(e) if attempt < 4 => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "re-sealing a batch failed; trying again");
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// What `ucsd admin keys retire` prints.
#[derive(Debug, Clone, Serialize)]
pub struct RetireOut {
    pub retired: KeyId,
    pub active: KeyId,
}

/// Retires key `id`: refused while it is the active key, while a value is sealed with it, and until
/// `token_ttl` has passed since the key after it became active (tokens it signed may live that long).
pub async fn retire(
    store: &Store,
    ring: &Keyring,
    id: KeyId,
    token_ttl: chrono::Duration,
) -> Result<RetireOut> {
    ring.refresh().await.map_err(key_err)?;
    let rows = store.data_keys().await?;
    let in_use = |detail: String| Err(Error::new(iam::KEY_IN_USE).with_detail(detail));
    let Some(row) = rows.iter().find(|row| row.id == i64::from(id)) else {
        if rows.is_empty() && id == secrets::MASTER_KEY_ID {
            return in_use("key 0 is the active key (rotate first)".to_string());
        }
        return Err(Error::new(iam::NOT_FOUND).with_detail(format!("no key {id}")));
    };
    if row.retired_at.is_some() {
        return Err(Error::new(iam::NOT_FOUND).with_detail(format!("key {id} is retired already")));
    }
    if id == ring.active() {
        return in_use(format!("key {id} is the active key (rotate first)"));
    }
    let values = values_by_key(store, [id]).await?[&id];
    if values > 0 {
        return in_use(format!(
            "{values} values are still sealed with key {id}: run `ucsd admin keys rotate --resume`"
        ));
    }
    let successor = rows.iter().filter(|r| r.id > row.id).map(|r| r.created_at).min();
    let now = store.clock().now();
    if let Some(until) = successor.map(|at| at + token_ttl).filter(|until| *until > now) {
        return in_use(format!("tokens signed with key {id} may be used until {}", until.to_rfc3339()));
    }
    if !store.data_key_retire(row.id).await? {
        return Err(Error::new(iam::NOT_FOUND).with_detail(format!("key {id} is retired already")));
    }
    ring.refresh().await.map_err(key_err)?;
    tracing::info!(key = id, "retired a key");
    Ok(RetireOut { retired: id, active: ring.active() })
}

/// What `ucsd admin keys rewrap` prints.
#[derive(Debug, Clone, Serialize)]
pub struct RewrapOut {
    pub rewrapped: Vec<KeyId>,
}

/// Wraps every live data key under `new_master` instead of the configured master key. Refused while
/// key 0 (the configured master key itself) is live: what it sealed would not open any more.
pub async fn rewrap(store: &Store, ring: &Keyring, new_master: &MasterKey) -> Result<RewrapOut> {
    ring.refresh().await.map_err(key_err)?;
    let rows = store.data_keys().await?;
    let live: Vec<_> = rows.iter().filter(|row| row.retired_at.is_none()).collect();
    if live.is_empty() || live.iter().any(|row| row.id == 0) {
        return Err(Error::new(iam::KEY_IN_USE).with_detail(
            "key 0 (the master key itself) is live: rotate, then retire key 0, before changing the master key",
        ));
    }
    let mut rewrapped = Vec::new();
    for row in live {
        let id = key_id(row.id)?;
        let stored =
            ring.rewrap(&StoredKey { id, wrapped: row.wrapped.clone() }, new_master).map_err(key_err)?;
        rewrapped.push((row.id, stored.wrapped));
    }
    store.data_keys_rewrap(&rewrapped).await?;
    Ok(RewrapOut { rewrapped: rewrapped.iter().map(|(id, _)| *id as KeyId).collect() })
}
