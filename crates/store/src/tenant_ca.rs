//! Each tenant's certificate authority: created on first use, the same for every replica afterwards.

use domain::{ids::DomainId, Result};

use crate::{
    sql::{map_db_err, text},
    Store,
};

/// A stored CA: the certificate and the sealed private key.
#[derive(Debug, Clone)]
pub struct StoredCa {
    pub cert_pem: String,
    pub key_sealed: String,
}

impl Store {
    pub async fn tenant_ca_get(&self, domain_id: DomainId) -> Result<Option<StoredCa>> {
        let row = sqlx::query("SELECT cert_pem, key_sealed FROM tenant_cas WHERE domain_id = $1")
            .bind(domain_id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_err)?;
        row.map(|r| Ok(StoredCa { cert_pem: text(&r, "cert_pem")?, key_sealed: text(&r, "key_sealed")? }))
            .transpose()
    }

    /// Stores `ca` unless the tenant has one already; returns the one that is stored (first writer wins,
    /// so concurrent first uses agree on one CA).
    pub async fn tenant_ca_put(&self, domain_id: DomainId, ca: StoredCa) -> Result<StoredCa> {
        sqlx::query(
            "INSERT INTO tenant_cas (domain_id, cert_pem, key_sealed, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (domain_id) DO NOTHING",
        )
        .bind(domain_id.to_string())
        .bind(&ca.cert_pem)
        .bind(&ca.key_sealed)
        .bind(self.now_millis())
        .execute(&self.pool)
        .await
        .map_err(map_db_err)?;
        Ok(self.tenant_ca_get(domain_id).await?.unwrap_or(ca))
    }
}
