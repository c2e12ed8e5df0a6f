//! Addon instances of a CCE or CCE Autopilot cluster: one per addon template, at a version the
//! catalogue offers for the cluster's version. The version lives in `CceCluster::addons` (what
//! upgrades move); the rest of what a user installed is an [`AddonInstance`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    cce::required,
    error::{Error, Result},
    ids::{derived_uuid, CceClusterId},
    upgrade::VersionEntry,
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
pub fn validate_request(body: &Value) -> Result<AddonRequest> {
    if !body.is_object() {
        return Err(Error::invalid_body("the body must be an Addon instance request"));
    }
    if let Some(kind) = body.get("kind").filter(|k| !k.is_null() && *k != "Addon") {
        return Err(Error::invalid_body(format!("kind must be Addon, not {kind}")));
    }
    if let Some(v) = body.get("apiVersion").filter(|v| !v.is_null() && *v != "v3") {
        return Err(Error::invalid_body(format!("apiVersion must be v3, not {v}")));
    }
    let version = match body.pointer("/spec/version") {
        None | Some(Value::Null) => None,
        Some(Value::String(v)) if !v.is_empty() => Some(v.clone()),
        Some(other) => {
            return Err(Error::invalid_body(format!("spec.version must be a version, not {other}")))
        }
    };
    let values = match body.pointer("/spec/values") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => return Err(Error::invalid_body("spec.values must be an object")),
    };
    Ok(AddonRequest {
        cluster_id: required(body, "/spec/clusterID")?.to_string(),
        template: required(body, "/spec/addonTemplateName")?.to_string(),
        version,
        values,
    })
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

    fn body() -> Value {
        json!({"kind": "Addon", "apiVersion": "v3", "spec": {"clusterID": "c", "addonTemplateName": "metrics-server",
               "version": "1.3.60", "values": {"basic": {"a": 1}}}})
    }

    #[test]
    fn a_request_names_its_cluster_template_version_and_values() {
        let r = validate_request(&body()).unwrap();
        assert_eq!(
            (r.cluster_id.as_str(), r.template.as_str(), r.version.as_deref()),
            ("c", "metrics-server", Some("1.3.60"))
        );
        assert_eq!(r.values, Some(json!({"basic": {"a": 1}})));
        for (pointer, value, field) in [
            ("/spec/clusterID", json!(""), "clusterID"),
            ("/spec/addonTemplateName", json!(3), "addonTemplateName"),
            ("/spec/version", json!(1), "version"),
            ("/spec/values", json!([1]), "values"),
            ("/kind", json!("Node"), "kind"),
        ] {
            let mut b = body();
            *b.pointer_mut(pointer).unwrap() = value;
            let e = validate_request(&b).unwrap_err();
            assert!(e.status() == 400 && e.message().contains(field), "{pointer}: {}", e.message());
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
