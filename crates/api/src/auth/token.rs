//! IAM-compatible tokens: a signed JWT (HS256, with the token key of the key ring's active key, named
//! in the header's `kid`; none: key 0, the master key) carried in `X-Subject-Token` / `X-Auth-Token`.
//! Any key of the ring verifies what it signed. The claims name the user, tenant and scope; names and
//! roles are read from the store on use, so a disabled user's tokens stop working at once.

use chrono::{DateTime, Utc};
use jsonwebtoken::{decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrets::{KeyId, Keyring, MASTER_KEY_ID};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The domain (tenant) id.
    pub dom: String,
    /// The project id of a project-scoped token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prj: Option<String>,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// Issues and verifies tokens with the key ring.
#[derive(Clone, Debug)]
pub struct TokenKeys(Keyring);

impl TokenKeys {
    pub fn new(ring: Keyring) -> Self {
        Self(ring)
    }

    /// Signed with the active key, which the header names.
    pub fn issue(&self, claims: &Claims) -> String {
        let (kid, secret) = self.0.token_signing_key();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = (kid != MASTER_KEY_ID).then(|| kid.to_string());
        encode(&header, claims, &EncodingKey::from_secret(&secret)).expect("HS256 signing cannot fail")
    }

    /// The claims of a token signed by this server (with any key of the ring) and not expired at `now`.
    pub async fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<Claims> {
        let header = decode_header(token).ok()?;
        let kid: KeyId = match header.kid {
            None => MASTER_KEY_ID,
            Some(kid) if !kid.is_empty() && kid.bytes().all(|b| b.is_ascii_digit()) => kid.parse().ok()?,
            Some(_) => return None,
        };
        let secret = self.0.token_key(kid).await?;
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the server's clock below, not the library's.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let claims = decode::<Claims>(token, &DecodingKey::from_secret(&secret), &validation).ok()?.claims;
        (claims.exp > now.timestamp()).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims { sub: "u".into(), dom: "d".into(), prj: None, iat: 0, exp, jti: "j".into() }
    }

    fn keys() -> (secrets::MasterKey, TokenKeys) {
        let master = secrets::MasterKey::generate();
        (master.clone(), TokenKeys::new(Keyring::new(master)))
    }

    #[tokio::test]
    async fn tokens_verify_until_they_expire() {
        let (_, keys) = keys();
        let token = keys.issue(&claims(1_000));
        let before = DateTime::from_timestamp(999, 0).unwrap();
        let after = DateTime::from_timestamp(1_000, 0).unwrap();
        assert_eq!(keys.verify(&token, before).await, Some(claims(1_000)));
        assert_eq!(keys.verify(&token, after).await, None);
    }

    #[tokio::test]
    async fn tokens_of_another_key_or_tampered_do_not_verify() {
        let (master, keys) = keys();
        let token = keys.issue(&claims(i64::MAX));
        assert!(decode_header(&token).unwrap().kid.is_none(), "key 0 names no key, as before the ring");
        let now = DateTime::from_timestamp(500, 0).unwrap();
        assert_eq!(
            TokenKeys::new(Keyring::new(secrets::MasterKey::generate())).verify(&token, now).await,
            None
        );
        let mut tampered = token.clone();
        tampered.pop();
        assert_eq!(keys.verify(&tampered, now).await, None);
        assert_eq!(keys.verify("not-a-token", now).await, None);
        // A token naming a key the ring does not have.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("3".into());
        let secret = master.derive("token/hs256/v1");
        let foreign = encode(&header, &claims(i64::MAX), &EncodingKey::from_secret(&secret)).unwrap();
        assert_eq!(keys.verify(&foreign, now).await, None);
    }

    #[tokio::test]
    async fn tokens_of_a_data_key_name_it_and_verify_with_the_ring() {
        let master = secrets::MasterKey::generate();
        let ring = Keyring::new(master.clone());
        let legacy = TokenKeys::new(ring.clone()).issue(&claims(i64::MAX));
        ring.install(&[secrets::StoredKey { id: 0, wrapped: String::new() }, ring.generate(1)]).unwrap();
        let keys = TokenKeys::new(ring.clone());
        let token = keys.issue(&claims(i64::MAX));
        assert_eq!(decode_header(&token).unwrap().kid.as_deref(), Some("1"));
        let now = DateTime::from_timestamp(500, 0).unwrap();
        assert!(keys.verify(&token, now).await.is_some());
        assert!(keys.verify(&legacy, now).await.is_some(), "key 0 still verifies what it signed");
        ring.install(&[ring.generate(2)]).unwrap();
        assert_eq!(keys.verify(&legacy, now).await, None, "key 0 retired");
    }
}
