//! The tenant's certificate authority as handlers use it: loaded, or created on first use, with its
//! private key sealed at rest.

use domain::{ids::DomainId, Error, Result};
use secrets::{pki::CertificateAuthority, Context};
use store::tenant_ca::StoredCa;

use crate::AppState;

pub async fn tenant_ca(app: &AppState, domain_id: DomainId) -> Result<CertificateAuthority> {
    let stored = match app.store.tenant_ca_get(domain_id).await? {
        Some(stored) => stored,
        None => {
            let now = secrets::pki::at_unix(app.store.clock().now().timestamp());
            let ca =
                CertificateAuthority::generate(&format!("ucsd tenant {domain_id}"), now).map_err(|e| {
                    Error::new(domain::error::ucs::FAILED_TO_CREATE_CERTS).with_internal(e.to_string())
                })?;
            let key_sealed =
                app.sealer.seal(ca.key_pem.as_bytes(), Context::TenantCa(&domain_id.to_string()));
            app.store.tenant_ca_put(domain_id, StoredCa { cert_pem: ca.cert_pem, key_sealed }).await?
        }
    };
    let key_pem =
        app.sealer.open_string(&stored.key_sealed, Context::TenantCa(&domain_id.to_string())).await.map_err(
            |e| Error::new(domain::error::ucs::FAILED_TO_DECRYPT_DATA).with_internal(e.to_string()),
        )?;
    Ok(CertificateAuthority { cert_pem: stored.cert_pem, key_pem })
}
