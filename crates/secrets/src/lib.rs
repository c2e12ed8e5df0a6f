//! Key material and secrets at rest.
//!
//! One 32-byte master key (from config, or a key file generated on first start) is the root of every
//! server secret. Secrets at rest are sealed (AES-256-GCM) and tokens signed (HS256) with subkeys
//! (HKDF) of the keys of the [`Keyring`]: the master key itself (key 0) and the data keys a rotation
//! adds, which are kept wrapped under the master key. Passwords are hashed with argon2id. Nothing here
//! logs, and no `Debug` here prints key bytes.

pub mod keyring;
pub mod pki;

pub use keyring::{KeyId, KeySource, Keyring, StoredKey, MASTER_KEY_ID};

use std::{fmt, fs, io::Write, path::Path};

use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use hkdf::Hkdf;
use rand::{distributions::Alphanumeric, rngs::OsRng, Rng, RngCore};
use sha2::Sha256;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("master key: {0}")]
    Key(String),
    #[error("sealed value is malformed or was sealed under another key")]
    Unseal,
    #[error("sealed with key {0}, which the key ring does not have")]
    UnknownKey(KeyId),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// The server's root key.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Parses a base64-encoded 32-byte key (as in config or a key file).
    pub fn from_base64(text: &str) -> Result<Self, SecretError> {
        let bytes = B64.decode(text.trim()).map_err(|_| SecretError::Key("not valid base64".to_string()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SecretError::Key("must be 32 bytes (base64 of 32 random bytes)".into()))?;
        Ok(Self(bytes))
    }

    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }

    /// Reads the key file, or creates it (mode 0600) with a new key if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, SecretError> {
        match fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text)
                .map_err(|e| SecretError::Key(format!("key file {}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fs::create_dir_all(dir)
                        .map_err(|e| SecretError::Key(format!("cannot create {}: {e}", dir.display())))?;
                }
                let mut options = fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(path) {
                    Ok(mut file) => {
                        file.write_all(key.to_base64().as_bytes())
                            .and_then(|_| file.sync_all())
                            .map_err(|e| SecretError::Key(format!("cannot write {}: {e}", path.display())))?;
                        Ok(key)
                    }
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load_or_create(path),
                    Err(e) => Err(SecretError::Key(format!("cannot create {}: {e}", path.display()))),
                }
            }
            Err(e) => Err(SecretError::Key(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// A subkey for one purpose; different purposes never share key bytes.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"ucsd"), &self.0)
            .expand(purpose.as_bytes(), &mut out)
            .expect("32 bytes is a valid HKDF-SHA256 length");
        out
    }

    /// The sealer of values made with this key as the root (key 0's, or a data key's).
    pub(crate) fn sealer(&self) -> Sealer {
        Sealer::new(&self.derive("seal/aes-256-gcm/v1"))
    }
}

/// What a sealed value is and whose it is: the additional data it is sealed with, so a sealed value
/// copied to another row, or taken for another kind of secret, does not open. The one list of
/// contexts; their textual forms are what values already at rest were sealed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context<'a> {
    /// An access key's secret key (by its access key id).
    AccessKeySecret(&'a str),
    /// A registered cluster's kubeconfig (by cluster id).
    Kubeconfig(&'a str),
    /// A tenant CA's private key (by domain id).
    TenantCa(&'a str),
    /// A federated fleet's CA private key (by fleet id).
    FederationCa(&'a str),
    /// The client key of a CCE cluster's proxy (by CCE cluster id).
    CceProxyKey(&'a str),
}

impl Context<'_> {
    pub(crate) fn aad(self) -> String {
        match self {
            Self::AccessKeySecret(id) => format!("access_key:{id}"),
            Self::Kubeconfig(id) => format!("cluster_kubeconfig:{id}"),
            Self::TenantCa(id) => format!("tenant_ca:{id}"),
            Self::FederationCa(id) => format!("federation_ca:{id}"),
            Self::CceProxyKey(id) => format!("cce_cluster_proxy_key:{id}"),
        }
    }
}

/// One key's sealing: AES-256-GCM with a random nonce, bound to its additional data (a [`Context`]:
/// the row the secret belongs to) so a sealed value copied to another row does not open. The
/// [`Keyring`] puts the name of the key in front.
#[derive(Clone)]
pub(crate) struct Sealer(Aes256Gcm);

/// A sealed body that does not open.
#[derive(Debug)]
pub(crate) struct SealError;

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(..)")
    }
}

const SEALED_PREFIX: &str = "v1:";

impl Sealer {
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        Self(Aes256Gcm::new(key.into()))
    }

    /// base64(nonce ‖ ciphertext ‖ tag).
    pub(crate) fn seal_body(&self, plaintext: &[u8], aad: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .0
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        B64.encode(out)
    }

    pub(crate) fn open_body(&self, body: &str, aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let raw = B64.decode(body).map_err(|_| SealError)?;
        if raw.len() < 12 + 16 {
            return Err(SealError);
        }
        let (nonce, ciphertext) = raw.split_at(12);
        self.0.decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad }).map_err(|_| SealError)
    }

    /// `v1:` + the body: the form of key 0 (and of wrapped data keys).
    pub(crate) fn seal_raw(&self, plaintext: &[u8], aad: &[u8]) -> String {
        format!("{SEALED_PREFIX}{}", self.seal_body(plaintext, aad))
    }

    pub(crate) fn open_raw(&self, sealed: &str, aad: &[u8]) -> Result<Vec<u8>, SealError> {
        self.open_body(sealed.strip_prefix(SEALED_PREFIX).ok_or(SealError)?, aad)
    }

    #[cfg(test)]
    pub(crate) fn seal(&self, plaintext: &[u8], context: Context<'_>) -> String {
        self.seal_raw(plaintext, context.aad().as_bytes())
    }

    #[cfg(test)]
    pub(crate) fn open(&self, sealed: &str, context: Context<'_>) -> Result<Vec<u8>, SealError> {
        self.open_raw(sealed, context.aad().as_bytes())
    }
}

/// Hashes a password with argon2id (PHC string with its own salt and parameters).
pub fn hash_password(password: &str) -> Result<String, SecretError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| SecretError::Hash(e.to_string()))
}

/// Whether `password` matches the stored hash. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = OsRng;
    (0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect()
}

/// A new access key id: 20 upper-case letters and digits, as Huawei IAM issues them.
pub fn generate_access_key() -> String {
    random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20)
}

/// A new secret access key: 40 letters and digits.
pub fn generate_secret_key() -> String {
    OsRng.sample_iter(&Alphanumeric).take(40).map(char::from).collect()
}

/// A new password: 24 characters with upper, lower, digits and a symbol, accepted by IAM's rules.
pub fn generate_password() -> String {
    let body: String = OsRng.sample_iter(&Alphanumeric).take(20).map(char::from).collect();
    format!("Uc{body}#9a")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_context() {
        let key = MasterKey::generate();
        let sealer = key.sealer();
        let sealed = sealer.seal(b"secret-key-material", Context::AccessKeySecret("AK1"));
        assert!(!sealed.contains("secret"));
        assert_eq!(sealer.open(&sealed, Context::AccessKeySecret("AK1")).unwrap(), b"secret-key-material");
        assert!(sealer.open(&sealed, Context::AccessKeySecret("AK2")).is_err());
        assert!(sealer.open(&sealed, Context::Kubeconfig("AK1")).is_err(), "another kind of secret");
        assert!(MasterKey::generate().sealer().open(&sealed, Context::AccessKeySecret("AK1")).is_err());
        assert!(sealer.open("v1:AAAA", Context::TenantCa("x")).is_err());
        assert!(sealer.open("garbage", Context::TenantCa("x")).is_err());
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let sealer = MasterKey::generate().sealer();
        assert_ne!(sealer.seal(b"x", Context::TenantCa("c")), sealer.seal(b"x", Context::TenantCa("c")));
    }

    #[test]
    fn derived_subkeys_differ_by_purpose() {
        let key = MasterKey::generate();
        assert_ne!(key.derive("a"), key.derive("b"));
        assert_eq!(key.derive("a"), key.derive("a"));
    }

    #[test]
    fn master_key_round_trips_through_base64_and_rejects_wrong_lengths() {
        let key = MasterKey::generate();
        assert_eq!(MasterKey::from_base64(&key.to_base64()).unwrap().0, key.0);
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("!!").is_err());
        assert_eq!(format!("{key:?}"), "MasterKey(..)");
    }

    #[test]
    fn key_file_is_created_once_and_reused() {
        let path = std::env::temp_dir().join(format!("ucsd-key-{}", std::process::id())).join("k");
        let _ = fs::remove_file(&path);
        let a = MasterKey::load_or_create(&path).unwrap();
        let b = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(a.0, b.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        fs::remove_file(&path).unwrap();
    }

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("correct horse", "not-a-hash"));
    }

    #[test]
    fn generated_credentials_have_the_iam_shapes() {
        let ak = generate_access_key();
        assert_eq!(ak.len(), 20);
        assert!(ak.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert_eq!(generate_secret_key().len(), 40);
        assert_ne!(generate_password(), generate_password());
    }
}
