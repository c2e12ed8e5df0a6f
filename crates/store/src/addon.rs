//! Addon instances of a CCE or CCE Autopilot cluster, kept in its row like its node pools: a change
//! locks the row, checks the cluster is Available and what is installed, and writes the version
//! (`addons`, what upgrades move) with the instance in one transaction.

use domain::{
    addon::AddonInstance,
    audit::{Actor, NewAuditEvent},
    cce::CceCluster,
    error::cce,
    ids::CceClusterId,
    upgrade::Flavor,
    Error, Result,
};
use serde_json::Value;

use crate::Store;

/// What a request changes of a cluster's addons (versions resolved against the catalogue already).
#[derive(Debug, Clone)]
pub enum AddonChange {
    Install { template: String, version: String, values: Value },
    Update { template: String, version: String, values: Option<Value> },
    Remove { template: String },
}

impl AddonChange {
    fn template(&self) -> &str {
        match self {
            Self::Install { template, .. } | Self::Update { template, .. } | Self::Remove { template } => {
                template
            }
        }
    }
}

fn not_installed(template: &str) -> Error {
    Error::not_found(cce::NOT_FOUND).with_detail(format!("addon {template} is not installed"))
}

impl Store {
    /// Installs, updates or removes an addon of the caller's cluster; the cluster as it now is.
    pub async fn addon_change(
        &self,
        actor: &Actor,
        flavor: Flavor,
        cluster_id: CceClusterId,
        change: AddonChange,
    ) -> Result<CceCluster> {
        let mut tx = self.begin().await?;
        let cluster = tx.cce_cluster_to_change(actor, flavor, cluster_id).await?;
        let template = change.template().to_string();
        let installed = cluster.addons.contains_key(&template);
        let now = self.clock().now();
        let (mut addons, mut instances) = (cluster.addons, cluster.addon_instances);
        match change {
            AddonChange::Install { template, version, values } => {
                if installed {
                    return Err(
                        Error::new(cce::CONFLICT).with_detail(format!("addon {template} is installed"))
                    );
                }
                let instance = AddonInstance { values, created_at: Some(now), updated_at: Some(now) };
                addons.insert(template.clone(), version);
                instances.insert(template, instance);
            }
            AddonChange::Update { template, version, values } => {
                if !installed {
                    return Err(not_installed(&template));
                }
                let instance = instances.entry(template.clone()).or_default();
                if let Some(values) = values {
                    instance.values = values;
                }
                instance.updated_at = Some(now);
                addons.insert(template, version);
            }
            AddonChange::Remove { template } => {
                if !installed {
                    return Err(not_installed(&template));
                }
                addons.remove(&template);
                instances.remove(&template);
            }
        }
        let saved = tx
            .cce_cluster_update(cluster_id, |c| {
                c.addons = addons;
                c.addon_instances = instances;
            })
            .await?;
        let target = domain::addon::instance_uid(cluster_id, &template);
        tx.audit(actor, NewAuditEvent::success("cce_addon", target)).await?;
        tx.commit().await?;
        Ok(saved)
    }
}
