//! Certificate authorities and the client certificates they sign (X.509 via rcgen): each tenant has a
//! CA that signs the agent and kubeconfig client certificates ucsd hands out; later each federated
//! fleet has one too.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use crate::SecretError;

/// A CA: its certificate (PEM, public) and private key (PEM, to be sealed at rest).
#[derive(Clone)]
pub struct CertificateAuthority {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority").finish_non_exhaustive()
    }
}

/// A client certificate and its key, both PEM.
#[derive(Clone)]
pub struct IssuedCert {
    pub cert_pem: String,
    pub key_pem: String,
}

/// The certificate time of an instant given in seconds since the epoch: what callers hand
/// [`CertificateAuthority::generate`] and [`CertificateAuthority::issue_client`] from their `Clock`
/// (`at_unix(clock.now().timestamp())`), never the wall clock directly.
pub fn at_unix(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn pki_err(e: rcgen::Error) -> SecretError {
    SecretError::Key(format!("certificate: {e}"))
}

impl CertificateAuthority {
    /// A new self-signed CA, valid for ten years from `now`.
    pub fn generate(common_name: &str, now: OffsetDateTime) -> Result<Self, SecretError> {
        let key = KeyPair::generate().map_err(pki_err)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        dn.push(DnType::OrganizationName, "ucsd");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        params.not_before = now - Duration::minutes(5);
        params.not_after = now + Duration::days(3650);
        let cert = params.self_signed(&key).map_err(pki_err)?;
        Ok(Self { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
    }

    /// Signs a client certificate (`CN=common_name`, `O=organization`) valid from `now` for `validity`.
    pub fn issue_client(
        &self,
        common_name: &str,
        organization: &str,
        now: OffsetDateTime,
        validity: Duration,
    ) -> Result<IssuedCert, SecretError> {
        let ca_key = KeyPair::from_pem(&self.key_pem).map_err(pki_err)?;
        let ca_params = CertificateParams::from_ca_cert_pem(&self.cert_pem).map_err(pki_err)?;
        let ca_cert = ca_params.self_signed(&ca_key).map_err(pki_err)?;
        let key = KeyPair::generate().map_err(pki_err)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        dn.push(DnType::OrganizationName, organization);
        params.distinguished_name = dn;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = now - Duration::minutes(5);
        params.not_after = now + validity;
        let cert = params.signed_by(&key, &ca_cert, &ca_key).map_err(pki_err)?;
        Ok(IssuedCert { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_signs_client_certificates_with_the_requested_validity() {
        let now = at_unix(1_750_000_000);
        let ca = CertificateAuthority::generate("tenant-ca", now).unwrap();
        assert!(ca.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let issued = ca.issue_client("alice", "tenant", now, Duration::days(30)).unwrap();
        assert!(issued.cert_pem.contains("BEGIN CERTIFICATE"));
        assert!(issued.key_pem.contains("PRIVATE KEY"));
        // The issued certificate names the CA as its issuer and carries the requested end date.
        let params = CertificateParams::from_ca_cert_pem(&issued.cert_pem).unwrap();
        assert!((params.not_after - now - Duration::days(30)).abs() < Duration::seconds(2));
    }
}
