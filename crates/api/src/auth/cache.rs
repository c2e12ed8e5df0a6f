//! Verified credentials kept in the process, so that a request does not read the database to learn
//! who signed it: an access key's opened secret with its user and tenant, a verified token's caller,
//! a project by id.
//!
//! A cached credential is used only while two things hold: the store's credentials epoch is the
//! one it was read under (every commit that changes a tenant, user, project or access key raises
//! it in its own process, and on Postgres notifies every other replica, whose listener raises
//! theirs: see `store::CREDENTIALS_CHANNEL`), and it is younger than the TTL, the bound for a
//! change the notifications miss (a listener reconnecting, or a process on the same SQLite file).
//! The epoch is read before the database, so a change that commits while a credential is being read
//! leaves that copy stale at birth: it is never used.

use std::{collections::HashMap, sync::Arc, sync::RwLock};

use chrono::{DateTime, Utc};
use domain::{
    identity::{Project, Tenant, User},
    ids::ProjectId,
};

/// What a credential is looked up by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CredentialKey {
    AccessKey(String),
    Token(String),
    Project(ProjectId),
}

/// An access key as the signature check needs it.
pub struct VerifiedKey {
    pub tenant: Tenant,
    pub user: User,
    /// The opened secret key (the HMAC key of the key's signatures).
    pub secret: String,
    /// Active key, enabled user and enabled tenant.
    pub usable: bool,
}

impl std::fmt::Debug for VerifiedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedKey").field("user", &self.user.id).field("usable", &self.usable).finish()
    }
}

/// A verified token's caller.
#[derive(Debug)]
pub struct VerifiedToken {
    pub tenant: Tenant,
    pub user: User,
    pub project: Option<Project>,
    /// The token's expiry (seconds since the epoch), checked on every use.
    pub exp: i64,
}

#[derive(Debug, Clone)]
pub enum Credential {
    AccessKey(Arc<VerifiedKey>),
    Token(Arc<VerifiedToken>),
    Project(Arc<Project>),
}

#[derive(Debug)]
struct Cached {
    epoch: u64,
    at: DateTime<Utc>,
    credential: Credential,
}

/// The cache: at most `capacity` credentials, each for at most `ttl`.
#[derive(Debug)]
pub struct CredentialCache {
    ttl: chrono::Duration,
    capacity: usize,
    entries: RwLock<HashMap<CredentialKey, Cached>>,
}

impl CredentialCache {
    /// A TTL of zero (or a capacity of zero) turns caching off.
    pub fn new(ttl: std::time::Duration, capacity: usize) -> Self {
        Self {
            ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::zero()),
            capacity,
            entries: RwLock::default(),
        }
    }

    fn fresh(&self, cached: &Cached, epoch: u64, now: DateTime<Utc>) -> bool {
        let age = now - cached.at;
        cached.epoch == epoch && age >= chrono::Duration::zero() && age < self.ttl
    }

    /// The credential cached under `key`, if it was read under `epoch` and is younger than the TTL.
    pub fn get(&self, key: &CredentialKey, epoch: u64, now: DateTime<Utc>) -> Option<Credential> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.get(key).filter(|c| self.fresh(c, epoch, now)).map(|c| c.credential.clone())
    }

    /// Keeps `credential`, read under `epoch` at `now`. When full, the stale entries go first; if
    /// none is stale, all of them (they are read again on use).
    pub fn insert(&self, key: CredentialKey, epoch: u64, now: DateTime<Utc>, credential: Credential) {
        if self.capacity == 0 || self.ttl <= chrono::Duration::zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, c| self.fresh(c, epoch, now));
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, Cached { epoch, at: now, credential });
    }

    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(n: u8) -> (CredentialKey, Credential) {
        let p =
            Project { id: ProjectId::new(), domain_id: domain::ids::DomainId::new(), name: format!("p{n}") };
        (CredentialKey::Project(p.id), Credential::Project(Arc::new(p)))
    }

    fn at(millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_700_000_000_000 + millis).unwrap()
    }

    #[test]
    fn a_credential_is_kept_for_its_epoch_and_the_ttl_only() {
        let cache = CredentialCache::new(std::time::Duration::from_millis(1000), 10);
        let (key, credential) = project(1);
        cache.insert(key.clone(), 7, at(0), credential);
        assert!(cache.get(&key, 7, at(999)).is_some());
        assert!(cache.get(&key, 7, at(1000)).is_none(), "expired");
        assert!(cache.get(&key, 8, at(1)).is_none(), "the credentials changed");
        assert!(cache.get(&key, 7, at(-1)).is_none(), "read after the clock went back");
    }

    #[test]
    fn the_cache_is_bounded_and_can_be_off() {
        let cache = CredentialCache::new(std::time::Duration::from_millis(1000), 3);
        for n in 0..10 {
            let (key, credential) = project(n);
            cache.insert(key, 1, at(0), credential);
            assert!(cache.len() <= 3);
        }
        let off = CredentialCache::new(std::time::Duration::ZERO, 3);
        let (key, credential) = project(1);
        off.insert(key.clone(), 1, at(0), credential);
        assert!(off.get(&key, 1, at(0)).is_none());
        assert!(off.is_empty());
    }
}
