//! Permission policies (rules), their attachments to clusters and fleets, and the Kubernetes RBAC
//! rendered for each cluster. Every change of a rule, an attachment or a fleet's membership renders the
//! affected clusters again in the same transaction, so the stored RBAC never lags its inputs.

use std::collections::BTreeSet;

use domain::{
    audit::{Actor, NewAuditEvent},
    error::ucs,
    ids::{ClusterId, DomainId, FleetId, RuleId},
    rbac::{self, Attachment, NamespaceScope, RbacObject},
    rule::{Rule, RuleSpec, RuleSpecInput, ValidRule},
    Error, Result,
};
use sqlx::any::AnyRow;

use crate::{
    sql::{instant, map_db_err, parsed, text},
    Store, Tx,
};

const COLUMNS: &str =
    "id, domain_id, name, description, rule_type, iam_user_ids, contents, created_at, updated_at";

fn json_col<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    serde_json::from_str(&text(row, col)?).map_err(|e| Error::internal(format!("stored {col}: {e}")))
}

fn rule_from_row(row: &AnyRow) -> Result<Rule> {
    Ok(Rule {
        id: parsed(row, "id")?,
        domain_id: parsed(row, "domain_id")?,
        name: text(row, "name")?,
        spec: RuleSpec {
            iam_user_ids: json_col(row, "iam_user_ids")?,
            rule_type: text(row, "rule_type")?.parse()?,
            contents: json_col(row, "contents")?,
            description: text(row, "description")?,
        },
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
    })
}

fn rule_not_found() -> Error {
    Error::not_found(ucs::NO_REQUESTED_RESOURCES_FOUND).with_detail("no such permission policy")
}

fn scope_json(scope: &NamespaceScope) -> String {
    let namespaces: Vec<&str> = match scope {
        NamespaceScope::All => vec![rbac::ALL_NAMESPACES],
        NamespaceScope::Namespaces(set) => set.iter().map(String::as_str).collect(),
    };
    serde_json::to_string(&namespaces).expect("strings serialize")
}

fn scope_from_json(raw: &str) -> Result<NamespaceScope> {
    let namespaces: Vec<String> =
        serde_json::from_str(raw).map_err(|e| Error::internal(format!("stored namespaces: {e}")))?;
    Ok(if namespaces.iter().any(|n| n == rbac::ALL_NAMESPACES) {
        NamespaceScope::All
    } else {
        NamespaceScope::Namespaces(namespaces.into_iter().collect())
    })
}

/// What a rule is attached to.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Cluster(ClusterId),
    Fleet(FleetId),
}

impl Target {
    fn kind(self) -> &'static str {
        match self {
            Self::Cluster(_) => "cluster",
            Self::Fleet(_) => "fleet",
        }
    }

    fn id(self) -> String {
        match self {
            Self::Cluster(id) => id.to_string(),
            Self::Fleet(id) => id.to_string(),
        }
    }
}

impl Tx<'_> {
    async fn rule_get(&mut self, domain_id: DomainId, id: RuleId) -> Result<Rule> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM rules WHERE id = $1 AND domain_id = $2"))
            .bind(id.to_string())
            .bind(domain_id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(rule_from_row).transpose()?.ok_or_else(rule_not_found)
    }

    async fn attachments_of(&mut self, target: Target) -> Result<Vec<Attachment>> {
        let rows = sqlx::query(
            "SELECT rule_id, namespaces FROM rule_attachments WHERE target_kind = $1 AND target_id = $2",
        )
        .bind(target.kind())
        .bind(target.id())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        rows.iter()
            .map(|r| {
                Ok(Attachment {
                    rule_id: parsed(r, "rule_id")?,
                    scope: scope_from_json(&text(r, "namespaces")?)?,
                })
            })
            .collect()
    }

    /// Renders one cluster's RBAC from the rules attached to it and to its fleet, and stores it.
    pub(crate) async fn rbac_render(&mut self, cluster_id: ClusterId) -> Result<()> {
        let Some(cluster) = self.cluster_find(cluster_id).await? else { return Ok(()) };
        let direct = self.attachments_of(Target::Cluster(cluster_id)).await?;
        let via_fleet = match cluster.fleet_id {
            Some(fleet) => self.attachments_of(Target::Fleet(fleet)).await?,
            None => Vec::new(),
        };
        let mut rules = Vec::new();
        let ids: BTreeSet<RuleId> = direct.iter().chain(&via_fleet).map(|a| a.rule_id).collect();
        for id in ids {
            rules.push(self.rule_get(cluster.domain_id, id).await?);
        }
        let objects = rbac::render_cluster_rbac(&rules, &direct, &via_fleet);
        let json = serde_json::to_string(&objects).map_err(Error::internal)?;
        let now = self.now_millis();
        sqlx::query(
            "INSERT INTO cluster_rbac (cluster_id, domain_id, objects, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (cluster_id) DO UPDATE SET objects = $3, updated_at = $4",
        )
        .bind(cluster_id.to_string())
        .bind(cluster.domain_id.to_string())
        .bind(json)
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        Ok(())
    }

    /// The clusters a rule reaches, directly or through a fleet.
    async fn clusters_reached_by(&mut self, rule_id: RuleId) -> Result<Vec<ClusterId>> {
        let rows = sqlx::query(
            "SELECT target_id AS id FROM rule_attachments WHERE rule_id = $1 AND target_kind = 'cluster'
             UNION
             SELECT c.id FROM clusters c JOIN rule_attachments a ON a.target_kind = 'fleet' AND a.target_id = c.fleet_id
             WHERE a.rule_id = $1",
        )
        .bind(rule_id.to_string())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_db_err)?;
        rows.iter().map(|row| parsed(row, "id")).collect()
    }

    /// Renders every cluster a rule reaches.
    async fn rbac_render_rule(&mut self, rule_id: RuleId) -> Result<()> {
        for cluster in self.clusters_reached_by(rule_id).await? {
            self.rbac_render(cluster).await?;
        }
        Ok(())
    }

    /// Renders every cluster of a fleet.
    pub(crate) async fn rbac_render_fleet(&mut self, fleet_id: FleetId) -> Result<()> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM clusters WHERE fleet_id = $1")
            .bind(fleet_id.to_string())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_db_err)?;
        for id in ids {
            self.rbac_render(id.parse().map_err(|_| Error::internal("stored cluster id"))?).await?;
        }
        Ok(())
    }
}

impl Store {
    /// Creates a rule within the tenant's rule quota.
    pub async fn rule_create(&self, actor: &Actor, rule: &ValidRule, quota: i64) -> Result<Rule> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rules WHERE domain_id = $1")
            .bind(actor.domain_id.to_string())
            .fetch_one(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        if used >= quota {
            return Err(Error::new(ucs::INSUFFICIENT_QUOTA)
                .with_detail(format!("the tenant has {used} of its {quota} rules")));
        }
        let id = RuleId::new();
        let now = tx.now_millis();
        sqlx::query(
            "INSERT INTO rules (id, domain_id, name, description, rule_type, iam_user_ids, contents, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(id.to_string())
        .bind(actor.domain_id.to_string())
        .bind(&rule.name)
        .bind(&rule.spec.description)
        .bind(rule.spec.rule_type.as_str())
        .bind(serde_json::to_string(&rule.spec.iam_user_ids).map_err(Error::internal)?)
        .bind(serde_json::to_string(&rule.spec.contents).map_err(Error::internal)?)
        .bind(now)
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| {
            if crate::is_unique_violation(&e) {
                Error::invalid_body(format!("a permission policy named {:?} exists", rule.name))
            } else {
                map_db_err(e)
            }
        })?;
        tx.audit(actor, NewAuditEvent::success("rule", id)).await?;
        let created = tx.rule_get(actor.domain_id, id).await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn rule_list(&self, domain_id: DomainId, page: &crate::Page) -> Result<(Vec<Rule>, i64)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rules WHERE domain_id = $1")
            .bind(domain_id.to_string())
            .fetch_one(&self.pool)
            .await
            .map_err(map_db_err)?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM rules WHERE domain_id = $1 {}",
            page.sql(self.dialect, "")
        ))
        .bind(domain_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        Ok((rows.iter().map(rule_from_row).collect::<Result<_>>()?, total))
    }

    /// Changes what a rule says; the clusters it reaches are rendered again.
    pub async fn rule_update(&self, actor: &Actor, id: RuleId, input: RuleSpecInput) -> Result<Rule> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        let current = tx.rule_get(actor.domain_id, id).await?;
        let spec = input.apply_to(&current.spec)?;
        let now = tx.now_millis();
        sqlx::query(
            "UPDATE rules SET description = $1, rule_type = $2, iam_user_ids = $3, contents = $4, updated_at = $5
             WHERE id = $6",
        )
        .bind(&spec.description)
        .bind(spec.rule_type.as_str())
        .bind(serde_json::to_string(&spec.iam_user_ids).map_err(Error::internal)?)
        .bind(serde_json::to_string(&spec.contents).map_err(Error::internal)?)
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *tx.tx)
        .await
        .map_err(map_db_err)?;
        tx.rbac_render_rule(id).await?;
        tx.audit(actor, NewAuditEvent::success("rule", id)).await?;
        let updated = tx.rule_get(actor.domain_id, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes a rule: it is detached from every cluster and fleet first, and they are rendered again
    /// (the reference does not say to refuse; detaching withdraws the permissions, which fails closed).
    pub async fn rule_delete(&self, actor: &Actor, id: RuleId) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        tx.rule_get(actor.domain_id, id).await?;
        let affected = tx.clusters_reached_by(id).await?;
        for sql in ["DELETE FROM rule_attachments WHERE rule_id = $1", "DELETE FROM rules WHERE id = $1"] {
            sqlx::query(sql).bind(id.to_string()).execute(&mut *tx.tx).await.map_err(map_db_err)?;
        }
        for cluster in affected {
            tx.rbac_render(cluster).await?;
        }
        tx.audit(actor, NewAuditEvent::success("rule", id)).await?;
        tx.commit().await
    }

    /// Replaces the rules attached to a cluster or a fleet, and renders what they reach.
    pub async fn rules_attach(
        &self,
        actor: &Actor,
        target: Target,
        attachments: &[Attachment],
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.tenant_lock(actor.domain_id).await?;
        match target {
            Target::Cluster(id) => drop(tx.cluster_get(actor.domain_id, id).await?),
            Target::Fleet(id) => drop(tx.fleet_get(actor.domain_id, id).await?),
        }
        for a in attachments {
            tx.rule_get(actor.domain_id, a.rule_id).await.map_err(|_| {
                Error::new(ucs::ASSOCIATE_CLUSTER_WITH_RULE_ERROR)
                    .with_detail(format!("no permission policy {}", a.rule_id))
            })?;
        }
        sqlx::query("DELETE FROM rule_attachments WHERE target_kind = $1 AND target_id = $2")
            .bind(target.kind())
            .bind(target.id())
            .execute(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        // The same rule in two entries: namespaces merge (validated entries name each rule once each).
        let mut merged: Vec<Attachment> = Vec::new();
        for a in attachments {
            match merged.iter_mut().find(|m| m.rule_id == a.rule_id) {
                Some(m) => {
                    m.scope = match (m.scope.clone(), a.scope.clone()) {
                        (NamespaceScope::Namespaces(mut x), NamespaceScope::Namespaces(y)) => {
                            x.extend(y);
                            NamespaceScope::Namespaces(x)
                        }
                        _ => NamespaceScope::All,
                    }
                }
                None => merged.push(a.clone()),
            }
        }
        for a in &merged {
            sqlx::query(
                "INSERT INTO rule_attachments (rule_id, target_kind, target_id, domain_id, namespaces)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(a.rule_id.to_string())
            .bind(target.kind())
            .bind(target.id())
            .bind(actor.domain_id.to_string())
            .bind(scope_json(&a.scope))
            .execute(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        }
        let resource = match target {
            Target::Cluster(id) => {
                tx.rbac_render(id).await?;
                "cluster"
            }
            Target::Fleet(id) => {
                tx.rbac_render_fleet(id).await?;
                "fleet"
            }
        };
        tx.audit(actor, NewAuditEvent::success(resource, target.id())).await?;
        tx.commit().await
    }

    /// The RBAC objects rendered for a cluster of the tenant.
    pub async fn cluster_rbac(&self, domain_id: DomainId, id: ClusterId) -> Result<Vec<RbacObject>> {
        self.cluster_get(domain_id, id).await?;
        let raw: Option<String> =
            sqlx::query_scalar("SELECT objects FROM cluster_rbac WHERE cluster_id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_db_err)?;
        match raw {
            None => Ok(Vec::new()),
            Some(raw) => serde_json::from_str(&raw).map_err(|e| Error::internal(format!("stored rbac: {e}"))),
        }
    }
}
