//! The version catalogue (`data/upgrade_catalogue.json`): which Kubernetes versions each flavor offers,
//! where each may upgrade to, which APIs each release removes, which addon versions each supports.

use std::{collections::BTreeMap, sync::LazyLock};

use serde::Deserialize;

use super::Flavor;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionEntry {
    /// The full version, `v1.28.15-r10`.
    pub version: String,
    pub platform_version: String,
    pub target_versions: Vec<String>,
    /// Addon name → the addon versions this version supports (oldest first).
    pub addons: BTreeMap<String, Vec<String>>,
}

impl VersionEntry {
    /// `v1.28` of `v1.28.15-r10`.
    pub fn release(&self) -> &str {
        release_of(&self.version)
    }

    /// `v1.28.15` of `v1.28.15-r10`.
    pub fn patch_release(&self) -> &str {
        self.version.split('-').next().unwrap_or(&self.version)
    }

    /// `r10` of `v1.28.15-r10`.
    pub fn patch(&self) -> &str {
        self.version.split_once('-').map_or("", |(_, p)| p)
    }

    /// The addon versions a new cluster of this version gets: every addon but the optional ones (a
    /// user installs those), at the newest version it supports.
    pub fn default_addons(&self) -> BTreeMap<String, String> {
        let optional = &Catalogue::get().optional_addons;
        self.addons
            .iter()
            .filter(|(name, _)| !optional.contains(name))
            .filter_map(|(name, versions)| versions.last().map(|v| (name.clone(), v.clone())))
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlavorCatalogue {
    pub feature_gates: BTreeMap<String, String>,
    pub versions: Vec<VersionEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalogue {
    /// Addons a new cluster does not get (`create_addon_instance` installs them).
    #[serde(default)]
    pub optional_addons: Vec<String>,
    /// Release (`v1.25`) → the API paths that release no longer serves.
    pub removed_apis: BTreeMap<String, Vec<String>>,
    flavors: BTreeMap<String, FlavorCatalogue>,
}

/// `v1.28` of `v1.28.15-r10` or of `v1.28`.
pub fn release_of(version: &str) -> &str {
    let mut dots = version.match_indices('.');
    match (dots.next(), dots.next()) {
        (Some(_), Some((second, _))) => &version[..second],
        _ => version.split('-').next().unwrap_or(version),
    }
}

/// The minor number of a release (`28` of `v1.28`), for ordering.
pub fn minor_of(version: &str) -> Option<u32> {
    release_of(version).strip_prefix("v1.")?.parse().ok()
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../data/upgrade_catalogue.json"))
        .expect("data/upgrade_catalogue.json is valid")
});

impl Catalogue {
    /// The catalogue built into this binary.
    pub fn get() -> &'static Catalogue {
        &CATALOGUE
    }

    pub fn flavor(&self, flavor: Flavor) -> &FlavorCatalogue {
        self.flavors.get(flavor.as_str()).expect("the catalogue has every flavor")
    }

    /// The APIs that the releases after `from` up to and including `to` remove.
    pub fn apis_removed_between(&self, from: &str, to: &str) -> Vec<&str> {
        let (Some(from), Some(to)) = (minor_of(from), minor_of(to)) else { return Vec::new() };
        self.removed_apis
            .iter()
            .filter(|(release, _)| minor_of(release).is_some_and(|m| m > from && m <= to))
            .flat_map(|(_, apis)| apis.iter().map(String::as_str))
            .collect()
    }
}

impl FlavorCatalogue {
    /// The entry a version names: a full version (`v1.28.15-r10`) or a release (`v1.28`).
    pub fn find(&self, version: &str) -> Option<&VersionEntry> {
        self.versions.iter().find(|v| v.version == version || v.release() == version)
    }

    /// The newest version: what a new cluster gets when it names none.
    pub fn newest(&self) -> &VersionEntry {
        self.versions.last().expect("every flavor has versions")
    }

    /// Whether `from` may upgrade to `to` (either may be a release or a full version); the target's
    /// entry if so.
    pub fn upgrade_target(&self, from: &str, to: &str) -> Option<&VersionEntry> {
        let from = self.find(from)?;
        let to = self.find(to)?;
        from.target_versions.contains(&to.version).then_some(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalogue_is_consistent() {
        let catalogue = Catalogue::get();
        for flavor in Flavor::ALL {
            let versions = &catalogue.flavor(flavor).versions;
            assert!(!versions.is_empty());
            for entry in versions {
                assert_eq!(entry.version.matches('-').count(), 1, "{}", entry.version);
                for target in &entry.target_versions {
                    let to = catalogue.flavor(flavor).find(target).expect("targets are versions");
                    assert!(minor_of(&to.version) > minor_of(&entry.version), "{target} upgrades");
                }
                assert!(!entry.default_addons().is_empty());
            }
            assert!(catalogue.flavor(flavor).feature_gates.contains_key("supportUpgradePageV4"));
        }
    }

    #[test]
    fn versions_are_found_by_release_or_full_version() {
        let cce = Catalogue::get().flavor(Flavor::Cce);
        let entry = cce.find("v1.28").unwrap();
        assert_eq!(entry.version, "v1.28.15-r10");
        assert_eq!(cce.find("v1.28.15-r10").unwrap().version, entry.version);
        assert_eq!((entry.release(), entry.patch_release(), entry.patch()), ("v1.28", "v1.28.15", "r10"));
        assert!(cce.find("v1.2").is_none());
        assert!(cce.find("v1.99").is_none());
        assert_eq!(release_of("v1.28"), "v1.28");
        assert_eq!(minor_of("v1.9.3-r1"), Some(9));
    }

    #[test]
    fn only_catalogue_paths_are_upgrade_targets() {
        let cce = Catalogue::get().flavor(Flavor::Cce);
        assert_eq!(cce.upgrade_target("v1.28", "v1.29").unwrap().version, "v1.29.10-r10");
        assert!(cce.upgrade_target("v1.28.15-r10", "v1.30.6-r10").is_some());
        assert!(cce.upgrade_target("v1.28", "v1.31").is_none(), "not a path");
        assert!(cce.upgrade_target("v1.29", "v1.28").is_none(), "no downgrades");
        assert!(cce.upgrade_target("v1.28", "v1.28").is_none());
        assert!(cce.upgrade_target("v9.1", "v1.29").is_none());
    }

    #[test]
    fn removed_apis_count_the_releases_crossed() {
        let catalogue = Catalogue::get();
        let crossed = catalogue.apis_removed_between("v1.25.16-r10", "v1.27.16-r10");
        assert!(crossed.contains(&"/apis/autoscaling/v2beta2/horizontalpodautoscalers"), "1.26");
        assert!(crossed.contains(&"/apis/storage.k8s.io/v1beta1/csistoragecapacities"), "1.27");
        assert!(!crossed.contains(&"/apis/policy/v1beta1/podsecuritypolicies"), "already gone in 1.25");
        assert!(catalogue.apis_removed_between("v1.29", "v1.31").is_empty());
    }
}
