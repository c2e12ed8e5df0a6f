//! Addon instances of a CCE or CCE Autopilot cluster: one per addon template, at a version the
//! catalogue offers for the cluster's version. The version lives in `CceCluster::addons` (what
//! upgrades move); the rest of what a user installed is an [`AddonInstance`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    cce::{recorded, CceCluster},
    cce_wire,
    error::{Error, Result},
    ids::{derived_uuid, CceClusterId},
    upgrade::VersionEntry,
    wire_rules::{check_kind, required, ADDON_CHECK_TYPES},
};

/// What ucsd keeps of an installed addon besides its version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddonInstance {
    /// `spec.values` as sent (`basic`, `custom`, `flavor`, …).
    pub values: Value,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The instance id of `template` in `cluster`: one instance per template and cluster, so the id is
/// derived from both (addons a cluster was built with have ids too).
pub fn instance_uid(cluster: CceClusterId, template: &str) -> String {
    derived_uuid(&format!("{cluster}:addon:{template}")).to_string()
}

/// A validated `create_addon_instance` / `update_addon_instance` body.
#[derive(Debug, Clone, PartialEq)]
pub struct AddonRequest {
    pub cluster_id: String,
    pub template: String,
    pub version: Option<String>,
    pub values: Option<Value>,
}

/// Validates an `InstanceRequest` body.
pub fn validate_request(body: &cce_wire::InstanceRequest) -> Result<AddonRequest> {
    check_kind(body.kind.as_deref(), "Addon", body.api_version.as_deref(), &["v3"])?;
    let spec = body.spec.as_ref();
    let version = spec.and_then(|s| s.version.as_deref());
    if version == Some("") {
        return Err(Error::invalid_body("spec.version must be a version, not \"\""));
    }
    Ok(AddonRequest {
        cluster_id: required(spec.and_then(|s| s.cluster_id.as_deref()), "spec.clusterID")?.to_string(),
        template: required(spec.and_then(|s| s.addon_template_name.as_deref()), "spec.addonTemplateName")?
            .to_string(),
        version: version.map(str::to_string),
        values: spec.and_then(|s| s.values.as_ref()).map(recorded),
    })
}

/// Checks `batch_create_addon_precheck`'s body (`AddonCheck`) against `cluster`: one check per addon
/// (the first of repeats), each naming a template and a target version; an upgrade check
/// (`addonUpgrade`, the default) acts on the cluster's installed instance of the addon, which it
/// names. What each check's task records.
pub fn validate_checks(
    body: &cce_wire::AddonCheckRequest,
    cluster: &CceCluster,
) -> Result<Vec<cce_wire::AddonInfo>> {
    check_kind(body.kind.as_deref(), "AddonCheck", body.api_version.as_deref(), &["v3"])?;
    let spec = body.spec.as_ref();
    if let Some(id) = spec.and_then(|s| s.cluster_id.as_deref()).filter(|id| !id.is_empty()) {
        if id != cluster.id.to_string() {
            return Err(Error::invalid_body(format!("spec.clusterID {id:?} is not the path's cluster")));
        }
    }
    let addons = spec.and_then(|s| s.addon_list.as_deref()).unwrap_or_default();
    if addons.is_empty() {
        return Err(Error::invalid_body("spec.addonList must name at least one addon"));
    }
    let mut checks: Vec<cce_wire::AddonInfo> = Vec::new();
    for addon in addons {
        let name = addon.addon_template_name.as_deref().filter(|n| !n.is_empty());
        let version = addon.target_version.as_deref().filter(|v| !v.is_empty());
        let (Some(name), Some(version)) = (name, version) else {
            return Err(Error::invalid_body("every addon needs addonTemplateName and targetVersion"));
        };
        let kind = addon.r#type.as_deref().unwrap_or("addonUpgrade");
        if !ADDON_CHECK_TYPES.contains(&kind) {
            return Err(Error::invalid_body(format!(
                "addon type {kind:?} must be addonStatic or addonUpgrade"
            )));
        }
        let instance = cluster.addons.contains_key(name).then(|| instance_uid(cluster.id, name));
        if kind == "addonUpgrade" && instance.is_none() {
            return Err(Error::invalid_body(format!(
                "addon {name} is not installed; check it as addonStatic"
            )));
        }
        let named = addon.addon_instance_id.as_deref().filter(|i| !i.is_empty());
        if let Some(named) = named.filter(|n| Some(*n) != instance.as_deref()) {
            return Err(Error::invalid_body(format!(
                "addonInstanceID {named:?} is no instance of {name} here"
            )));
        }
        let check = cce_wire::AddonInfo {
            addon_template_name: Some(name.to_string()),
            addon_instance_id: Some(instance.unwrap_or_default()),
            target_version: Some(version.to_string()),
            r#type: Some(kind.to_string()),
            values: None,
        };
        if !checks.contains(&check) {
            checks.push(check);
        }
    }
    Ok(checks)
}

/// The version of `template` to run on a cluster of `entry`: the one asked for if offered, else the
/// newest offered.
pub fn resolve_version(entry: &VersionEntry, template: &str, version: Option<&str>) -> Result<String> {
    let offered = entry.addons.get(template).ok_or_else(|| {
        Error::invalid_body(format!("no addon {template:?} is offered on {}", entry.release()))
    })?;
    match version {
        None => offered.last().cloned().ok_or_else(|| Error::internal("an addon without versions")),
        Some(v) if offered.iter().any(|o| o == v) => Ok(v.to_string()),
        Some(v) => Err(Error::invalid_body(format!(
            "{template} {v} is not offered on {}; offered: {offered:?}",
            entry.release()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::upgrade::{Catalogue, Flavor};

    fn parse<T: serde::de::DeserializeOwned>(body: Value) -> T {
        serde_json::from_value(body).expect("a body of the model")
    }

    fn body() -> Value {
        json!({"kind": "Addon", "apiVersion": "v3", "spec": {"clusterID": "c", "addonTemplateName": "metrics-server",
               "version": "1.3.60", "values": {"basic": {"a": 1}}}})
    }

    #[test]
    fn a_request_names_its_cluster_template_version_and_values() {
        let r = validate_request(&parse(body())).unwrap();
        assert_eq!(
            (r.cluster_id.as_str(), r.template.as_str(), r.version.as_deref()),
            ("c", "metrics-server", Some("1.3.60"))
        );
        assert_eq!(r.values, Some(json!({"basic": {"a": 1}})));
        for (pointer, value, field) in [
            ("/spec/clusterID", json!(""), "clusterID"),
            ("/spec/addonTemplateName", json!(" "), "addonTemplateName"),
            ("/spec/version", json!(""), "version"),
            ("/kind", json!("Node"), "kind"),
        ] {
            let mut b = body();
            *b.pointer_mut(pointer).unwrap() = value;
            let e = validate_request(&parse(b)).unwrap_err();
            assert!(e.status() == 400 && e.message().contains(field), "{pointer}: {}", e.message());
        }
        for (pointer, value) in [("/spec/addonTemplateName", json!(3)), ("/spec/values", json!([1]))] {
            let mut b = body();
            *b.pointer_mut(pointer).unwrap() = value;
            assert!(serde_json::from_value::<cce_wire::InstanceRequest>(b).is_err(), "{pointer}");
        }
    }

    #[test]
    fn versions_come_from_the_catalogue_entry() {
        let entry = Catalogue::get().flavor(Flavor::Cce).find("v1.27").unwrap();
        let offered = &entry.addons["metrics-server"];
        assert_eq!(resolve_version(entry, "metrics-server", None).unwrap(), *offered.last().unwrap());
        assert_eq!(resolve_version(entry, "metrics-server", Some(&offered[0])).unwrap(), offered[0]);
        assert_eq!(resolve_version(entry, "metrics-server", Some("0.0.1")).unwrap_err().status(), 400);
        assert_eq!(resolve_version(entry, "nope", None).unwrap_err().status(), 400);
        assert!(!entry.default_addons().contains_key("metrics-server"), "optional addons are not installed");
    }

    #[test]
    fn instance_ids_are_per_cluster_and_template() {
        let (a, b) = (CceClusterId::new(), CceClusterId::new());
        assert_eq!(instance_uid(a, "coredns"), instance_uid(a, "coredns"));
        assert_ne!(instance_uid(a, "coredns"), instance_uid(b, "coredns"));
        assert_ne!(instance_uid(a, "coredns"), instance_uid(a, "everest"));
    }
}
