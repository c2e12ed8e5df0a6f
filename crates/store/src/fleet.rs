//! Fleets and their membership. Every change of membership locks the tenant's row first, so
//! concurrent joins (from any replica) cannot put a cluster in two fleets or a fleet over its limit.

use domain::{
    audit::{Actor, NewAuditEvent},
    cluster::ManageType,
    error::ucs,
    federation::Workflow,
    fleet::{FederationState, Fleet},
    ids::{ClusterId, DomainId, FleetId},
    Error, Result,
};
use sqlx::any::AnyRow;

use crate::{
    sql::{instant, int, map_db_err, parsed, text},
    Store, Tx,
};

/// Limits that membership changes check.
#[derive(Debug, Clone, Copy)]
pub struct FleetLimits {
    /// Fleets per tenant.
    pub fleets: i64,
    /// Clusters per fleet.
    pub clusters_per_fleet: i64,
}

const COLUMNS: &str = "f.id, f.domain_id, f.name, f.description, f.dns_suffix, f.federation, f.federation_id,
    f.federation_version, f.federation_message, f.created_at, f.updated_at,
    (SELECT COUNT(*) FROM clusters c WHERE c.fleet_id = f.id) AS cluster_count";

fn fleet_from_row(row: &AnyRow) -> Result<Fleet> {
    Ok(Fleet {
        id: parsed(row, "id")?,
        domain_id: parsed(row, "domain_id")?,
        name: text(row, "name")?,
        description: text(row, "description")?,
        dns_suffix: serde_json::from_str(&text(row, "dns_suffix")?)
            .map_err(|e| Error::internal(format!("stored dns_suffix: {e}")))?,
        federation: FederationState::parse(&text(row, "federation")?)?,
        federation_id: text(row, "federation_id")?,
        federation_version: text(row, "federation_version")?,
        federation_message: text(row, "federation_message")?,
        cluster_count: int(row, "cluster_count")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

fn fleet_not_found() -> Error {
    Error::not_found(ucs::CLUSTER_GROUP_NOT_FOUND)
}

impl Tx<'_> {
    pub async fn fleet_get(&mut self, domain_id: DomainId, id: FleetId) -> Result<Fleet> {
        let row =
            sqlx::query(&format!("SELECT {COLUMNS} FROM fleets f WHERE f.id = $1 AND f.domain_id = $2"))
                .bind(id.to_string())
                .bind(domain_id.to_string())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(map_db_err)?;
        row.as_ref().map(fleet_from_row).transpose()?.ok_or_else(fleet_not_found)
    }

    /// Puts clusters of the tenant into a fleet. A cluster already in it stays; one in another fleet,
    /// or an unknown one, refuses the whole change; the fleet may not grow past its limit.
    async fn fleet_attach(&mut self, fleet: &Fleet, cluster_ids: &[ClusterId], limit: i64) -> Result<()> {
        let mut added = Vec::new();
        for id in cluster_ids {
            let row = sqlx::query("SELECT fleet_id FROM clusters WHERE id = $1 AND domain_id = $2")
                .bind(id.to_string())
                .bind(fleet.domain_id.to_string())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(map_db_err)?
                .ok_or_else(|| {
                    Error::new(ucs::UPDATE_ASSOCIATED_CLUSTERS_VALIDATE_FAILED)
                        .with_detail(format!("no cluster {id}"))
                })?;
            match crate::sql::opt_text(&row, "fleet_id")? {
                Some(current) if current == fleet.id.to_string() => continue,
                Some(_) => {
                    return Err(Error::new(ucs::UPDATE_ASSOCIATED_CLUSTERS_VALIDATE_FAILED).with_detail(
                        format!("cluster {id} is in another fleet; remove it from that one first"),
                    ))
                }
                None => {}
            }
            let now = self.now_millis();
            sqlx::query("UPDATE clusters SET fleet_id = $1, manage_type = $2, updated_at = $3 WHERE id = $4")
                .bind(fleet.id.to_string())
                .bind(ManageType::Grouped.as_str())
                .bind(now)
                .bind(id.to_string())
                .execute(&mut *self.tx)
                .await
                .map_err(map_db_err)?;
            added.push(*id);
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clusters WHERE fleet_id = $1")
            .bind(fleet.id.to_string())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        if count > limit {
            return Err(Error::new(ucs::FLEET_CLUSTER_LIMIT_EXCEEDED).with_detail(format!(
                "a fleet holds at most {limit} clusters; this change would make it {count}"
            )));
        }
        // Clusters that join a federated fleet join its federation too.
        // Clusters that join a fleet get its permission policies.
        for id in &added {
            self.rbac_render(*id).await?;
        }
        self.federation_members_changed(fleet.domain_id, fleet.id, fleet.federation, Workflow::Join, &added)
            .await
    }

    async fn fleet_touch(&mut self, id: FleetId) -> Result<()> {
        let now = self.now_millis();
        sqlx::query("UPDATE fleets SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }
}

impl Store {
    /// Registers a fleet, optionally with clusters, within the tenant's fleet quota.
    pub async fn fleet_create(
        &self,
        actor: &Actor,
        name: &str,
        description: &str,
        cluster_ids: &[ClusterId],
        limits: FleetLimits,
    ) -> Result<Fleet> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM fleets WHERE domain_id = $1")
            .bind(actor.domain_id.to_string())
            .fetch_one(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        if used >= limits.fleets {
            return Err(Error::new(ucs::INSUFFICIENT_QUOTA)
                .with_detail(format!("the tenant has {used} of its {} fleets", limits.fleets)));
        }
        let id = FleetId::new();
        let now = tx.now_millis();
        sqlx::query(
            "INSERT INTO fleets (id, domain_id, name, description, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id.to_string())
        .bind(actor.domain_id.to_string())
        .bind(name)
        .bind(description)
        .bind(now)
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| {
            if crate::is_unique_violation(&e) {
                Error::new(ucs::CLUSTER_GROUP_ALREADY_EXISTS)
                    .with_detail(format!("a fleet named {name:?} exists"))
            } else {
                map_db_err(e)
            }
        })?;
        let fleet = tx.fleet_get(actor.domain_id, id).await?;
        tx.fleet_attach(&fleet, cluster_ids, limits.clusters_per_fleet).await?;
        tx.audit(actor, NewAuditEvent::success("fleet", id)).await?;
        let fleet = tx.fleet_get(actor.domain_id, id).await?;
        tx.commit().await?;
        Ok(fleet)
    }

    pub async fn fleet_get(&self, domain_id: DomainId, id: FleetId) -> Result<Fleet> {
        let row =
            sqlx::query(&format!("SELECT {COLUMNS} FROM fleets f WHERE f.id = $1 AND f.domain_id = $2"))
                .bind(id.to_string())
                .bind(domain_id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_db_err)?;
        row.as_ref().map(fleet_from_row).transpose()?.ok_or_else(fleet_not_found)
    }

    pub async fn fleet_list(&self, domain_id: DomainId, page: &crate::Page) -> Result<(Vec<Fleet>, i64)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM fleets WHERE domain_id = $1")
            .bind(domain_id.to_string())
            .fetch_one(&self.pool)
            .await
            .map_err(map_db_err)?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM fleets f WHERE f.domain_id = $1 {}",
            page.sql(self.dialect, "f.")
        ))
        .bind(domain_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        Ok((rows.iter().map(fleet_from_row).collect::<Result<_>>()?, total))
    }

    /// Deletes an empty fleet that is not federated.
    pub async fn fleet_delete(&self, actor: &Actor, id: FleetId) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        let fleet = tx.fleet_get(actor.domain_id, id).await?;
        if fleet.federation != FederationState::None {
            return Err(
                Error::new(ucs::FLEET_ALREADY_FEDERATED).with_detail("disable the fleet's federation first")
            );
        }
        if fleet.cluster_count > 0 {
            return Err(Error::new(ucs::ASSOCIATE_CLUSTER_WITH_CLUSTERGROUP_ERROR).with_detail(format!(
                "the fleet still has {} clusters; remove them first",
                fleet.cluster_count
            )));
        }
        sqlx::query("DELETE FROM rule_attachments WHERE target_kind = 'fleet' AND target_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        sqlx::query("DELETE FROM fleets WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        tx.audit(actor, NewAuditEvent::success("fleet", id)).await?;
        tx.commit().await
    }

    pub async fn fleet_update_description(
        &self,
        actor: &Actor,
        id: FleetId,
        description: &str,
    ) -> Result<Fleet> {
        self.fleet_update(actor, id, "description", description.to_string()).await
    }

    pub async fn fleet_set_dns_suffix(
        &self,
        actor: &Actor,
        id: FleetId,
        suffixes: &[String],
    ) -> Result<Fleet> {
        let json = serde_json::to_string(suffixes).expect("strings serialize");
        self.fleet_update(actor, id, "dns_suffix", json).await
    }

    async fn fleet_update(&self, actor: &Actor, id: FleetId, column: &str, value: String) -> Result<Fleet> {
        let mut tx = self.begin().await?;
        tx.fleet_get(actor.domain_id, id).await?;
        let now = tx.now_millis();
        sqlx::query(&format!("UPDATE fleets SET {column} = $1, updated_at = $2 WHERE id = $3"))
            .bind(value)
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        tx.audit(actor, NewAuditEvent::success("fleet", id)).await?;
        let fleet = tx.fleet_get(actor.domain_id, id).await?;
        tx.commit().await?;
        Ok(fleet)
    }

    /// Adds clusters to a fleet (it never removes any).
    pub async fn fleet_add_clusters(
        &self,
        actor: &Actor,
        id: FleetId,
        cluster_ids: &[ClusterId],
        limits: FleetLimits,
    ) -> Result<Fleet> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        let fleet = tx.fleet_get(actor.domain_id, id).await?;
        tx.fleet_attach(&fleet, cluster_ids, limits.clusters_per_fleet).await?;
        tx.fleet_touch(id).await?;
        tx.audit(actor, NewAuditEvent::success("fleet", id)).await?;
        let fleet = tx.fleet_get(actor.domain_id, id).await?;
        tx.commit().await?;
        Ok(fleet)
    }

    /// A cluster joins a fleet; it must not be in one already.
    pub async fn cluster_join(
        &self,
        actor: &Actor,
        cluster_id: ClusterId,
        fleet_id: FleetId,
        limits: FleetLimits,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        let cluster = tx.cluster_get(actor.domain_id, cluster_id).await?;
        let fleet = tx.fleet_get(actor.domain_id, fleet_id).await?;
        if let Some(current) = cluster.fleet_id {
            let detail = if current == fleet_id {
                "the cluster is in this fleet already"
            } else {
                "the cluster is in another fleet; remove it from that one first"
            };
            return Err(Error::new(ucs::ASSOCIATE_CLUSTER_WITH_CLUSTERGROUP_ERROR).with_detail(detail));
        }
        tx.fleet_attach(&fleet, &[cluster_id], limits.clusters_per_fleet).await?;
        tx.fleet_touch(fleet_id).await?;
        tx.audit(actor, NewAuditEvent::success("cluster", cluster_id)).await?;
        tx.commit().await
    }

    /// A cluster leaves its fleet.
    pub async fn cluster_leave(&self, actor: &Actor, cluster_id: ClusterId) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        let cluster = tx.cluster_get(actor.domain_id, cluster_id).await?;
        let Some(fleet_id) = cluster.fleet_id else {
            return Err(Error::new(ucs::ASSOCIATE_CLUSTER_WITH_CLUSTERGROUP_ERROR)
                .with_detail("the cluster is in no fleet"));
        };
        let fleet = tx.fleet_get(actor.domain_id, fleet_id).await?;
        tx.federation_members_changed(
            actor.domain_id,
            fleet_id,
            fleet.federation,
            Workflow::Unjoin,
            &[cluster_id],
        )
        .await?;
        let now = tx.now_millis();
        sqlx::query("UPDATE clusters SET fleet_id = NULL, manage_type = $1, updated_at = $2 WHERE id = $3")
            .bind(ManageType::Discrete.as_str())
            .bind(now)
            .bind(cluster_id.to_string())
            .execute(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        tx.rbac_render(cluster_id).await?;
        tx.fleet_touch(fleet_id).await?;
        tx.audit(actor, NewAuditEvent::success("cluster", cluster_id)).await?;
        tx.commit().await
    }

    pub async fn fleet_count(&self, domain_id: DomainId) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM fleets WHERE domain_id = $1")
            .bind(domain_id.to_string())
            .fetch_one(&self.pool)
            .await
            .map_err(map_db_err)
    }
}

/// How much of each quota a tenant uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaUsage {
    pub clusters: i64,
    pub fleets: i64,
    pub rules: i64,
    pub federations: i64,
}

impl Store {
    pub async fn quota_usage(&self, domain_id: DomainId) -> Result<QuotaUsage> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM clusters WHERE domain_id = $1) AS clusters,
                    (SELECT COUNT(*) FROM fleets WHERE domain_id = $1) AS fleets,
                    (SELECT COUNT(*) FROM rules WHERE domain_id = $1) AS rules,
                    (SELECT COUNT(*) FROM fleets WHERE domain_id = $1 AND federation <> 'none') AS federations",
        )
        .bind(domain_id.to_string())
        .fetch_one(&self.pool)
        .await
        .map_err(map_db_err)?;
        Ok(QuotaUsage {
            clusters: int(&row, "clusters")?,
            fleets: int(&row, "fleets")?,
            rules: int(&row, "rules")?,
            federations: int(&row, "federations")?,
        })
    }
}
