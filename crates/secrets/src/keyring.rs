//! The key ring: the data keys that seal secrets at rest and sign tokens.
//!
//! Every sealed value and every token names the key that made it; new ones are made with the
//! *active* key, and any key in the ring opens (verifies) what it made, so the keys can be rotated
//! while the server runs. Key 0 is the configured master key itself (the subkeys every value sealed
//! before rotation existed were made with); keys 1, 2, … are random 32-byte data keys, kept in the
//! database *wrapped* (sealed) under the master key, so that adding one needs no change to any
//! replica's configuration. Each data key yields its own sealing and token-signing subkeys (HKDF), the
//! same way the master key always has.
//!
//! Wire forms: a value sealed with key 0 is `v1:` + base64 (exactly what ucsd always wrote, so a
//! database from before the key ring reads unchanged), with key *n* ≥ 1 it is `k<n>:` + base64; a
//! token signed with key *n* ≥ 1 carries `kid: "<n>"` in its JWT header, one without a `kid` was
//! signed with key 0.
//!
//! The ring learns of keys added elsewhere (another replica's or an operator's rotation) from its
//! [`KeySource`]: on demand, when a value or token names a key it does not know, and whenever the
//! server asks it to ([`Keyring::refresh`]).

use std::{
    collections::BTreeMap,
    fmt,
    future::Future,
    pin::Pin,
    sync::{Arc, RwLock},
};

use rand::{rngs::OsRng, RngCore};

use crate::{Context, MasterKey, SealError, Sealer, SecretError};

/// A key's number in the ring. 0 is the master key.
pub type KeyId = u32;

/// The master key's number: what values and tokens from before the key ring were made with.
pub const MASTER_KEY_ID: KeyId = 0;

/// A live key as stored: its number and its bytes sealed under the master key (empty for key 0,
/// which is the master key).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub id: KeyId,
    pub wrapped: String,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// What [`KeySource::live_keys`] returns.
pub type LoadFuture = Pin<Box<dyn Future<Output = Result<Vec<StoredKey>, String>> + Send>>;

/// Where the ring's keys are kept (the database). No keys at all means the master key alone.
pub trait KeySource: Send + Sync + 'static {
    /// Every live (not retired) key.
    fn live_keys(&self) -> LoadFuture;
}

/// The prefix of values sealed with `id`: what a scan for them looks for.
pub fn sealed_prefix(id: KeyId) -> String {
    if id == MASTER_KEY_ID {
        "v1:".to_string()
    } else {
        format!("k{id}:")
    }
}

/// The key a sealed value names, and its body; `None` when it has no known form.
pub fn key_of(sealed: &str) -> Option<(KeyId, &str)> {
    if let Some(body) = sealed.strip_prefix("v1:") {
        return Some((MASTER_KEY_ID, body));
    }
    let (id, body) = sealed.strip_prefix('k')?.split_once(':')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id: KeyId = id.parse().ok()?;
    (id != MASTER_KEY_ID).then_some((id, body))
}

/// One key's subkeys.
struct DataKey {
    sealer: Sealer,
    token: [u8; 32],
}

impl DataKey {
    fn from_root(root: &MasterKey) -> Self {
        Self { sealer: root.sealer(), token: root.derive("token/hs256/v1") }
    }
}

struct Ring {
    keys: BTreeMap<KeyId, Arc<DataKey>>,
    active: KeyId,
}

struct Inner {
    master: MasterKey,
    /// Seals the data keys under the master key.
    wrap: Sealer,
    ring: RwLock<Ring>,
    source: Option<Box<dyn KeySource>>,
}

/// The process's key ring (cheap to clone: clones share it).
#[derive(Clone)]
pub struct Keyring(Arc<Inner>);

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring").field("active", &self.active()).field("keys", &self.ids()).finish()
    }
}

fn wrap_context(id: KeyId) -> String {
    id.to_string()
}

impl Keyring {
    /// A ring of the master key alone, with nowhere to learn more from.
    pub fn new(master: MasterKey) -> Self {
        Self::build(master, None)
    }

    /// A ring that loads its keys from `source` (call [`Keyring::refresh`] once before use).
    pub fn with_source(master: MasterKey, source: impl KeySource) -> Self {
        Self::build(master, Some(Box::new(source)))
    }

    fn build(master: MasterKey, source: Option<Box<dyn KeySource>>) -> Self {
        let keys = BTreeMap::from([(MASTER_KEY_ID, Arc::new(DataKey::from_root(&master)))]);
        let wrap = Sealer::new(&master.derive("wrap/aes-256-gcm/v1"));
        Self(Arc::new(Inner {
            master,
            wrap,
            ring: RwLock::new(Ring { keys, active: MASTER_KEY_ID }),
            source,
        }))
    }

    fn ring(&self) -> std::sync::RwLockReadGuard<'_, Ring> {
        self.0.ring.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The key new values and tokens are made with: the highest live one.
    pub fn active(&self) -> KeyId {
        self.ring().active
    }

    /// The keys in the ring, lowest first.
    pub fn ids(&self) -> Vec<KeyId> {
        self.ring().keys.keys().copied().collect()
    }

    /// A new random data key numbered `id`, wrapped under the master key, to be stored (the ring
    /// takes it on its next [`Keyring::install`] or [`Keyring::refresh`]).
    pub fn generate(&self, id: KeyId) -> StoredKey {
        assert_ne!(id, MASTER_KEY_ID, "key 0 is the master key");
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let wrapped = self.0.wrap.seal_raw(&bytes, wrap_context(id).as_bytes());
        StoredKey { id, wrapped }
    }

    fn unwrap_key(&self, stored: &StoredKey) -> Result<MasterKey, SecretError> {
        let bytes =
            self.0.wrap.open_raw(&stored.wrapped, wrap_context(stored.id).as_bytes()).map_err(|_| {
                SecretError::Key(format!("data key {} does not open with this master key", stored.id))
            })?;
        let bytes: [u8; 32] =
            bytes.try_into().map_err(|_| SecretError::Key(format!("data key {} is malformed", stored.id)))?;
        Ok(MasterKey(bytes))
    }

    /// `stored` wrapped under `new_master` instead of this ring's master key (key 0 cannot be: it
    /// is the master key).
    pub fn rewrap(&self, stored: &StoredKey, new_master: &MasterKey) -> Result<StoredKey, SecretError> {
        if stored.id == MASTER_KEY_ID {
            return Err(SecretError::Key("key 0 is the master key itself and cannot be re-wrapped".into()));
        }
        let key = self.unwrap_key(stored)?;
        let wrap = Sealer::new(&new_master.derive("wrap/aes-256-gcm/v1"));
        Ok(StoredKey { id: stored.id, wrapped: wrap.seal_raw(&key.0, wrap_context(stored.id).as_bytes()) })
    }

    /// Replaces the ring with the live keys `stored` (none: the master key alone). Nothing changes
    /// if one of them does not unwrap.
    pub fn install(&self, stored: &[StoredKey]) -> Result<(), SecretError> {
        let mut keys = BTreeMap::new();
        for key in stored {
            let data = if key.id == MASTER_KEY_ID {
                DataKey::from_root(&self.0.master)
            } else {
                DataKey::from_root(&self.unwrap_key(key)?)
            };
            keys.insert(key.id, Arc::new(data));
        }
        if keys.is_empty() {
            keys.insert(MASTER_KEY_ID, Arc::new(DataKey::from_root(&self.0.master)));
        }
        let active = *keys.keys().next_back().expect("the ring is not empty");
        *self.0.ring.write().unwrap_or_else(|e| e.into_inner()) = Ring { keys, active };
        Ok(())
    }

    /// Loads the ring again from its source (without one, nothing happens).
    pub async fn refresh(&self) -> Result<(), SecretError> {
        let Some(source) = &self.0.source else { return Ok(()) };
        let stored = source.live_keys().await.map_err(SecretError::Key)?;
        self.install(&stored)
    }

    fn key(&self, id: KeyId) -> Option<Arc<DataKey>> {
        self.ring().keys.get(&id).cloned()
    }

    fn active_key(&self) -> (KeyId, Arc<DataKey>) {
        let ring = self.ring();
        (ring.active, ring.keys[&ring.active].clone())
    }

    /// Seals `plaintext` for `context` with the active key.
    pub fn seal(&self, plaintext: &[u8], context: Context<'_>) -> String {
        let (id, key) = self.active_key();
        let body = key.sealer.seal_body(plaintext, context.aad().as_bytes());
        format!("{}{body}", sealed_prefix(id))
    }

    /// Opens a sealed value with the keys the ring has now: [`SecretError::UnknownKey`] when it
    /// names a key the ring does not have.
    pub fn open_now(&self, sealed: &str, context: Context<'_>) -> Result<Vec<u8>, SecretError> {
        let (id, body) = key_of(sealed).ok_or(SecretError::Unseal)?;
        let key = self.key(id).ok_or(SecretError::UnknownKey(id))?;
        key.sealer.open_body(body, context.aad().as_bytes()).map_err(|SealError| SecretError::Unseal)
    }

    /// Opens a sealed value; one naming a key the ring does not know makes it load the ring again
    /// first (a key added by another replica since).
    pub async fn open(&self, sealed: &str, context: Context<'_>) -> Result<Vec<u8>, SecretError> {
        match self.open_now(sealed, context) {
            Err(SecretError::UnknownKey(_)) if self.0.source.is_some() => {
                self.refresh().await?;
                self.open_now(sealed, context)
            }
            other => other,
        }
    }

    pub async fn open_string(&self, sealed: &str, context: Context<'_>) -> Result<String, SecretError> {
        String::from_utf8(self.open(sealed, context).await?).map_err(|_| SecretError::Unseal)
    }

    /// The active key's number and token-signing key.
    pub fn token_signing_key(&self) -> (KeyId, [u8; 32]) {
        let (id, key) = self.active_key();
        (id, key.token)
    }

    /// Key `id`'s token-signing key; an unknown key makes the ring load again first.
    pub async fn token_key(&self, id: KeyId) -> Option<[u8; 32]> {
        if let Some(key) = self.key(id) {
            return Some(key.token);
        }
        self.0.source.as_ref()?;
        self.refresh().await.ok()?;
        self.key(id).map(|k| k.token)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A source over a shared list, as the database would be.
    #[derive(Clone, Default)]
    struct Table(Arc<Mutex<Vec<StoredKey>>>);

    impl KeySource for Table {
        fn live_keys(&self) -> LoadFuture {
            let keys = self.0.lock().unwrap().clone();
            Box::pin(async move { Ok(keys) })
        }
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        // The futures here never wait on anything: poll once with a no-op waker.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("a test future waited"),
        }
    }

    /// Adds key `id` to the table, as a rotation does (key 0's row first).
    fn rotate(ring: &Keyring, table: &Table, id: KeyId) {
        let mut rows = table.0.lock().unwrap();
        if rows.is_empty() {
            rows.push(StoredKey { id: MASTER_KEY_ID, wrapped: String::new() });
        }
        rows.push(ring.generate(id));
    }

    #[test]
    fn a_value_sealed_with_one_key_opens_after_rotation_and_new_ones_use_the_new_key() {
        let master = MasterKey::generate();
        let table = Table::default();
        let ring = Keyring::with_source(master.clone(), table.clone());
        let old = ring.seal(b"kubeconfig", Context::Kubeconfig("c1"));
        assert!(old.starts_with("v1:"), "key 0 writes the form from before the ring");
        rotate(&ring, &table, 1);
        block_on(ring.refresh()).unwrap();
        assert_eq!(ring.active(), 1);
        assert_eq!(ring.ids(), vec![0, 1]);
        let new = ring.seal(b"kubeconfig", Context::Kubeconfig("c1"));
        assert!(new.starts_with("k1:"), "{new}");
        assert_eq!(key_of(&new).map(|(id, _)| id), Some(1));
        for sealed in [&old, &new] {
            assert_eq!(block_on(ring.open(sealed, Context::Kubeconfig("c1"))).unwrap(), b"kubeconfig");
            assert!(block_on(ring.open(sealed, Context::Kubeconfig("c2"))).is_err(), "bound to its row");
        }
        // A replica that has not loaded the ring since learns of key 1 when a value names it.
        let replica = Keyring::with_source(master.clone(), table.clone());
        assert_eq!(replica.active(), 0);
        assert!(matches!(replica.open_now(&new, Context::Kubeconfig("c1")), Err(SecretError::UnknownKey(1))));
        assert_eq!(block_on(replica.open_string(&new, Context::Kubeconfig("c1"))).unwrap(), "kubeconfig");
        assert_eq!(replica.active(), 1);
        // Another master key cannot unwrap the data keys: its ring refuses to load and stays as it was.
        let stranger = Keyring::with_source(MasterKey::generate(), table.clone());
        assert!(block_on(stranger.refresh()).is_err());
        assert_eq!(stranger.ids(), vec![0]);
        assert!(block_on(stranger.open(&new, Context::Kubeconfig("c1"))).is_err());
    }

    #[test]
    fn values_from_before_the_ring_open_as_key_0_and_retired_keys_open_nothing() {
        let master = MasterKey::generate();
        // Sealed exactly as ucsd sealed before the key ring existed.
        let legacy = master.sealer().seal(b"sk", Context::AccessKeySecret("AK1"));
        let table = Table::default();
        let ring = Keyring::with_source(master.clone(), table.clone());
        assert_eq!(block_on(ring.open(&legacy, Context::AccessKeySecret("AK1"))).unwrap(), b"sk");
        rotate(&ring, &table, 1);
        rotate(&ring, &table, 2);
        block_on(ring.refresh()).unwrap();
        assert_eq!(block_on(ring.open(&legacy, Context::AccessKeySecret("AK1"))).unwrap(), b"sk");
        let by_1 = {
            table.0.lock().unwrap().retain(|k| k.id != 2);
            block_on(ring.refresh()).unwrap();
            ring.seal(b"one", Context::TenantCa("d"))
        };
        assert!(by_1.starts_with("k1:"));
        // Retire keys 0 and 1 (their rows go): what they sealed no longer opens.
        table.0.lock().unwrap().clear();
        rotate(&ring, &table, 3);
        table.0.lock().unwrap().retain(|k| k.id == 3);
        block_on(ring.refresh()).unwrap();
        assert_eq!(ring.ids(), vec![3]);
        assert!(matches!(
            block_on(ring.open(&legacy, Context::AccessKeySecret("AK1"))),
            Err(SecretError::UnknownKey(0))
        ));
        assert!(matches!(
            block_on(ring.open(&by_1, Context::TenantCa("d"))),
            Err(SecretError::UnknownKey(1))
        ));
    }

    #[test]
    fn unknown_and_malformed_key_ids_are_refused() {
        let ring = Keyring::new(MasterKey::generate());
        let sealed = ring.seal(b"x", Context::TenantCa("d"));
        let body = sealed.strip_prefix("v1:").unwrap();
        assert!(matches!(
            block_on(ring.open(&format!("k7:{body}"), Context::TenantCa("d"))),
            Err(SecretError::UnknownKey(7))
        ));
        for bad in [
            format!("k0:{body}"),
            format!("k:{body}"),
            format!("kx:{body}"),
            format!("k+1:{body}"),
            body.into(),
        ] {
            assert!(matches!(ring.open_now(&bad, Context::TenantCa("d")), Err(SecretError::Unseal)), "{bad}");
        }
        assert_eq!(sealed_prefix(0), "v1:");
        assert_eq!(sealed_prefix(12), "k12:");
    }

    #[test]
    fn token_keys_follow_the_ring_and_key_0_is_the_old_derivation() {
        let master = MasterKey::generate();
        let table = Table::default();
        let ring = Keyring::with_source(master.clone(), table.clone());
        assert_eq!(ring.token_signing_key(), (0, master.derive("token/hs256/v1")));
        rotate(&ring, &table, 1);
        assert_eq!(block_on(ring.token_key(5)), None);
        let learned = block_on(ring.token_key(1)).expect("loaded on demand");
        assert_eq!(ring.token_signing_key(), (1, learned));
        assert_ne!(learned, master.derive("token/hs256/v1"));
    }

    #[test]
    fn a_rewrapped_key_opens_under_the_new_master_key_only() {
        let (old, new) = (MasterKey::generate(), MasterKey::generate());
        let table = Table::default();
        let ring = Keyring::with_source(old.clone(), table.clone());
        rotate(&ring, &table, 1);
        table.0.lock().unwrap().retain(|k| k.id == 1);
        block_on(ring.refresh()).unwrap();
        let sealed = ring.seal(b"ca key", Context::FederationCa("f"));
        let rewrapped = ring.rewrap(&table.0.lock().unwrap()[0], &new).unwrap();
        assert!(ring.rewrap(&StoredKey { id: 0, wrapped: String::new() }, &new).is_err());
        let under_new = Keyring::new(new);
        under_new.install(std::slice::from_ref(&rewrapped)).unwrap();
        assert_eq!(block_on(under_new.open(&sealed, Context::FederationCa("f"))).unwrap(), b"ca key");
        assert!(Keyring::new(old).install(&[rewrapped]).is_err());
    }

    #[test]
    fn debug_prints_no_key_bytes() {
        let ring = Keyring::new(MasterKey::generate());
        assert_eq!(format!("{ring:?}"), "Keyring { active: 0, keys: [0] }");
        assert_eq!(format!("{:?}", ring.generate(3)), "StoredKey { id: 3, .. }");
    }
}
