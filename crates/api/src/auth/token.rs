//! IAM-compatible tokens: a signed JWT (HS256, key derived from the master key) carried in
//! `X-Subject-Token` / `X-Auth-Token`. The claims name the user, tenant and scope; names and roles are
//! read from the store on use, so a disabled user's tokens stop working at once.

use chrono::{DateTime, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
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

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8; 32]) -> Self {
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }

    pub fn issue(&self, claims: &Claims) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    /// The claims of a token signed by this server and not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the server's clock below, not the library's.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let claims = decode::<Claims>(token, &self.decoding, &validation).ok()?.claims;
        (claims.exp > now.timestamp()).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims { sub: "u".into(), dom: "d".into(), prj: None, iat: 0, exp, jti: "j".into() }
    }

    #[test]
    fn tokens_verify_until_they_expire() {
        let keys = TokenKeys::new(&[7; 32]);
        let token = keys.issue(&claims(1_000));
        let before = DateTime::from_timestamp(999, 0).unwrap();
        let after = DateTime::from_timestamp(1_000, 0).unwrap();
        assert_eq!(keys.verify(&token, before), Some(claims(1_000)));
        assert_eq!(keys.verify(&token, after), None);
    }

    #[test]
    fn tokens_of_another_key_or_tampered_do_not_verify() {
        let token = TokenKeys::new(&[7; 32]).issue(&claims(i64::MAX));
        let now = DateTime::from_timestamp(500, 0).unwrap();
        assert_eq!(TokenKeys::new(&[8; 32]).verify(&token, now), None);
        let mut tampered = token.clone();
        tampered.pop();
        assert_eq!(TokenKeys::new(&[7; 32]).verify(&tampered, now), None);
        assert_eq!(TokenKeys::new(&[7; 32]).verify("not-a-token", now), None);
    }
}
