//! Kubernetes RBAC for one cluster, rendered from the permission policies attached to it (reference
//! 3.1.8) and to its fleet (3.2.8). Owns attachments (`ruleIDNamespaces`) and their validation, the
//! rendering into ClusterRole / ClusterRoleBinding / RoleBinding objects, the diff a reconciler applies,
//! and the List / YAML views.
//!
//! Shape: one ClusterRole per rule, bound with a RoleBinding in each attached namespace, or with one
//! ClusterRoleBinding when the rule is attached to `*` (all namespaces). A RoleBinding may reference a
//! ClusterRole and then grants its rules in that namespace only, so a rule's rules live in one object
//! however many namespaces it covers (Role + RoleBinding would copy them into every namespace). Every
//! object is named `ucs-rule-<rule id>`, so a binding's roleRef (immutable in Kubernetes) never changes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::{
    error::{Error, Result},
    ids::RuleId,
    rule::{is_dns1123_label, Rule},
};

pub const RBAC_API_VERSION: &str = "rbac.authorization.k8s.io/v1";
pub const RBAC_API_GROUP: &str = "rbac.authorization.k8s.io";
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "ucs";
/// Lets a reconciler select what one rule rendered.
pub const RULE_ID_LABEL: &str = "ucs/rule-id";
/// In `namespaces`: every namespace, and cluster-scoped resources too.
pub const ALL_NAMESPACES: &str = "*";

/// Where an attached rule applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceScope {
    All,
    Namespaces(BTreeSet<String>),
}

impl NamespaceScope {
    /// Union of two scopes; `All` wins.
    fn merge(self, other: NamespaceScope) -> NamespaceScope {
        match (self, other) {
            (Self::Namespaces(mut a), Self::Namespaces(b)) => {
                a.extend(b);
                Self::Namespaces(a)
            }
            _ => Self::All,
        }
    }
}

/// A rule attached to a cluster or a fleet, with where it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub rule_id: RuleId,
    pub scope: NamespaceScope,
}

impl NamespaceScope {
    /// The scope as the wire lists it: `["*"]` for every namespace, else the names in order.
    pub fn to_list(&self) -> Vec<String> {
        match self {
            Self::All => vec![ALL_NAMESPACES.to_string()],
            Self::Namespaces(names) => names.iter().cloned().collect(),
        }
    }
}

/// A rule as a view names it: its id and its current name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleRef {
    pub name: String,
    pub id: RuleId,
}

/// A rule bound to a cluster or a fleet: the rule, and where it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub rule: RuleRef,
    pub scope: NamespaceScope,
}

/// One entry of a cluster's `ruleNamespaces`: rules that apply in the same namespaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleNamespaces {
    pub rules: Vec<RuleRef>,
    pub namespaces: Vec<String>,
}

/// A cluster's `ruleNamespaces` from the bindings that reach it (its own and its fleet's): a rule bound
/// twice applies in the union of its scopes; rules with equal scopes share an entry. Entries are
/// ordered by namespaces, rules by name.
pub fn rule_namespaces<'b>(bindings: impl IntoIterator<Item = &'b Binding>) -> Vec<RuleNamespaces> {
    let mut per_rule: BTreeMap<&RuleRef, NamespaceScope> = BTreeMap::new();
    for b in bindings {
        let scope = match per_rule.remove(&b.rule) {
            Some(earlier) => earlier.merge(b.scope.clone()),
            None => b.scope.clone(),
        };
        per_rule.insert(&b.rule, scope);
    }
    let mut groups: BTreeMap<Vec<String>, Vec<RuleRef>> = BTreeMap::new();
    for (rule, scope) in per_rule {
        groups.entry(scope.to_list()).or_default().push(rule.clone());
    }
    groups.into_iter().map(|(namespaces, rules)| RuleNamespaces { rules, namespaces }).collect()
}

/// A fleet's `ruleNamespaces`: the namespaces its rules are bound in, in order (`["*"]` when one
/// applies everywhere).
pub fn bound_namespaces<'b>(bindings: impl IntoIterator<Item = &'b Binding>) -> Vec<String> {
    bindings
        .into_iter()
        .map(|b| b.scope.clone())
        .reduce(NamespaceScope::merge)
        .map_or_else(Vec::new, |scope| scope.to_list())
}

/// One `ruleIDNamespaces` entry as the request says it (absent lists arrive empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleIdNamespacesInput {
    pub rule_ids: Vec<String>,
    pub namespaces: Vec<String>,
}

/// Validates a `ruleIDNamespaces` body into attachments, one per rule (a rule listed twice gets the union
/// of its namespaces), sorted by rule id. An entry must name at least one rule and one namespace: an
/// empty namespace list has no meaning the reference gives, and guessing "all" would over-grant.
pub fn validate_attachments(entries: &[RuleIdNamespacesInput]) -> Result<Vec<Attachment>> {
    let mut merged: BTreeMap<RuleId, NamespaceScope> = BTreeMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let path = format!("ruleIDNamespaces[{i}]");
        if entry.rule_ids.is_empty() {
            return Err(Error::invalid_body(format!("{path}.ruleIDs must list at least one rule id")));
        }
        let scope = validate_namespaces(&path, &entry.namespaces)?;
        for (j, id) in entry.rule_ids.iter().enumerate() {
            let rule_id: RuleId = id.parse().map_err(|_| {
                Error::invalid_body(format!("{path}.ruleIDs[{j}] {id:?} is not a valid rule id"))
            })?;
            merge_into(&mut merged, rule_id, scope.clone());
        }
    }
    Ok(merged.into_iter().map(|(rule_id, scope)| Attachment { rule_id, scope }).collect())
}

fn validate_namespaces(path: &str, namespaces: &[String]) -> Result<NamespaceScope> {
    if namespaces.is_empty() {
        return Err(Error::invalid_body(format!("{path}.namespaces must list at least one namespace or *")));
    }
    let mut names = BTreeSet::new();
    let mut all = false;
    for (k, ns) in namespaces.iter().enumerate() {
        if ns == ALL_NAMESPACES {
            all = true;
        } else if is_dns1123_label(ns) {
            names.insert(ns.clone());
        } else {
            return Err(Error::invalid_body(format!(
                "{path}.namespaces[{k}] {ns:?} is not a namespace name (a DNS-1123 label) or *"
            )));
        }
    }
    Ok(if all { NamespaceScope::All } else { NamespaceScope::Namespaces(names) })
}

fn merge_into(merged: &mut BTreeMap<RuleId, NamespaceScope>, rule_id: RuleId, scope: NamespaceScope) {
    let scope = match merged.remove(&rule_id) {
        Some(existing) => existing.merge(scope),
        None => scope,
    };
    merged.insert(rule_id, scope);
}

/// The kinds rendered, in the order they are safe to create (roles before the bindings naming them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RbacKind {
    ClusterRole,
    ClusterRoleBinding,
    RoleBinding,
}

/// Identifies an object in a cluster; its order is the apply order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub kind: RbacKind,
    pub namespace: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    pub kind: String,
    pub api_group: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRef {
    pub api_group: String,
    pub kind: String,
    pub name: String,
}

/// A ClusterRole (with `rules`) or a binding (with `subjects` and `roleRef`), serializing to exactly the
/// Kubernetes JSON. One flat struct keeps Kubernetes' key order (apiVersion, kind, metadata, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RbacObject {
    pub api_version: String,
    pub kind: RbacKind,
    pub metadata: ObjectMeta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<PolicyRule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subjects: Option<Vec<Subject>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_ref: Option<RoleRef>,
}

impl RbacObject {
    pub fn key(&self) -> ObjectKey {
        ObjectKey {
            kind: self.kind,
            namespace: self.metadata.namespace.clone(),
            name: self.metadata.name.clone(),
        }
    }
}

/// The name of every object rendered for a rule.
pub fn object_name(rule_id: RuleId) -> String {
    format!("ucs-rule-{rule_id}")
}

/// The RBAC objects one cluster should hold, sorted by [`ObjectKey`]. Attachments of the same rule to the
/// cluster and to its fleet merge (namespaces union, `*` wins). A rule without IAM users renders nothing
/// (a role nobody is bound to grants nothing); attachments of rules not in `rules` (deleted) are skipped.
pub fn render_cluster_rbac(
    rules: &[Rule],
    cluster_attachments: &[Attachment],
    fleet_attachments: &[Attachment],
) -> Vec<RbacObject> {
    let mut scopes: BTreeMap<RuleId, NamespaceScope> = BTreeMap::new();
    for a in cluster_attachments.iter().chain(fleet_attachments) {
        merge_into(&mut scopes, a.rule_id, a.scope.clone());
    }
    let rules_by_id: BTreeMap<RuleId, &Rule> = rules.iter().map(|r| (r.id, r)).collect();
    let mut objects = Vec::new();
    for (rule_id, scope) in scopes {
        let Some(rule) = rules_by_id.get(&rule_id) else { continue };
        if rule.spec.iam_user_ids.is_empty() {
            continue;
        }
        objects.extend(render_rule(rule, &scope));
    }
    objects.sort_by_key(RbacObject::key);
    objects
}

fn render_rule(rule: &Rule, scope: &NamespaceScope) -> Vec<RbacObject> {
    let name = object_name(rule.id);
    let labels: BTreeMap<String, String> = [
        (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
        (RULE_ID_LABEL.to_string(), rule.id.to_string()),
    ]
    .into();
    let meta = |namespace: Option<&String>| ObjectMeta {
        name: name.clone(),
        namespace: namespace.cloned(),
        labels: labels.clone(),
    };
    // Content carries no API group (reference 表 3-146), so a resource name matches it in every group.
    let policy_rules = rule
        .spec
        .effective_contents()
        .into_iter()
        .map(|c| PolicyRule { api_groups: vec!["*".into()], resources: c.resources, verbs: c.verbs })
        .collect();
    let mut users: Vec<String> = rule.spec.iam_user_ids.iter().map(|u| u.to_string()).collect();
    users.sort();
    let subjects: Vec<Subject> = users
        .into_iter()
        .map(|name| Subject { kind: "User".into(), api_group: RBAC_API_GROUP.into(), name })
        .collect();
    let role_ref =
        RoleRef { api_group: RBAC_API_GROUP.into(), kind: "ClusterRole".into(), name: name.clone() };
    let binding = |kind, namespace| RbacObject {
        api_version: RBAC_API_VERSION.into(),
        kind,
        metadata: meta(namespace),
        rules: None,
        subjects: Some(subjects.clone()),
        role_ref: Some(role_ref.clone()),
    };

    let mut objects = vec![RbacObject {
        api_version: RBAC_API_VERSION.into(),
        kind: RbacKind::ClusterRole,
        metadata: meta(None),
        rules: Some(policy_rules),
        subjects: None,
        role_ref: None,
    }];
    match scope {
        NamespaceScope::All => objects.push(binding(RbacKind::ClusterRoleBinding, None)),
        NamespaceScope::Namespaces(namespaces) => {
            objects.extend(namespaces.iter().map(|ns| binding(RbacKind::RoleBinding, Some(ns))))
        }
    }
    objects
}

/// What a reconciler does to move a cluster from `old` to `new`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RbacChanges {
    /// New or changed objects, roles before bindings.
    pub to_apply: Vec<RbacObject>,
    /// Objects no longer wanted, bindings before roles (so no binding is left pointing at nothing).
    pub to_delete: Vec<ObjectKey>,
}

/// Compares two renderings by (kind, namespace, name).
pub fn diff(old: &[RbacObject], new: &[RbacObject]) -> RbacChanges {
    let old_by_key: BTreeMap<ObjectKey, &RbacObject> = old.iter().map(|o| (o.key(), o)).collect();
    let new_by_key: BTreeMap<ObjectKey, &RbacObject> = new.iter().map(|o| (o.key(), o)).collect();
    let to_apply = new_by_key
        .iter()
        .filter(|(key, object)| old_by_key.get(*key) != Some(*object))
        .map(|(_, object)| (*object).clone())
        .collect();
    let to_delete = old_by_key.keys().rev().filter(|key| !new_by_key.contains_key(*key)).cloned().collect();
    RbacChanges { to_apply, to_delete }
}

/// The objects as a Kubernetes `List` (what `kubectl get -o json` prints for several objects).
pub fn to_list_json(objects: &[RbacObject]) -> serde_json::Value {
    serde_json::json!({ "apiVersion": "v1", "kind": "List", "metadata": {}, "items": objects })
}

/// The objects as multi-document YAML (`---` between documents), for the admin view; empty for none.
pub fn to_yaml(objects: &[RbacObject]) -> Result<String> {
    let documents = objects
        .iter()
        .map(|o| serde_yaml_ng::to_string(o).map_err(Error::internal))
        .collect::<Result<Vec<_>>>()?;
    Ok(documents.join("---\n"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{
        ids::{DomainId, UserId},
        rule::{Content, RuleSpec, RuleType},
    };

    const ALICE: &str = "873395a21c8d4d8ba9e37d6d32debc41";
    const BOB: &str = "978ff70ec1494a5680f6218faa3567d9";
    const RULE_A: &str = "f6434332-60d6-11ed-a847-0255ac10003f";
    const RULE_B: &str = "3dcdef78-65bb-11ee-bdf2-0255ac100033";

    fn rule(id: &str, rule_type: RuleType, users: &[&str], contents: Vec<Content>) -> Rule {
        Rule {
            id: id.parse().unwrap(),
            domain_id: DomainId::new(),
            name: "team".into(),
            spec: RuleSpec {
                iam_user_ids: users.iter().map(|u| u.parse::<UserId>().unwrap()).collect(),
                rule_type,
                contents,
                description: String::new(),
            },
            created_at: crate::clock::Clock::now(&crate::clock::ManualClock::default()),
            updated_at: crate::clock::Clock::now(&crate::clock::ManualClock::default()),
        }
    }

    fn custom(id: &str, users: &[&str]) -> Rule {
        let c = Content { verbs: vec!["get".into(), "list".into()], resources: vec!["pods".into()] };
        rule(id, RuleType::Custom, users, vec![c])
    }

    fn attach(id: &str, namespaces: &[&str]) -> Attachment {
        let input = RuleIdNamespacesInput {
            rule_ids: vec![id.into()],
            namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
        };
        validate_attachments(&[input]).unwrap().remove(0)
    }

    fn keys(objects: &[RbacObject]) -> Vec<(RbacKind, Option<&str>, &str)> {
        objects.iter().map(|o| (o.kind, o.metadata.namespace.as_deref(), o.metadata.name.as_str())).collect()
    }

    fn name(id: &str) -> String {
        format!("ucs-rule-{id}")
    }

    #[test]
    fn a_namespaced_attachment_renders_one_cluster_role_and_a_role_binding_per_namespace() {
        let objects = render_cluster_rbac(
            &[custom(RULE_A, &[BOB, ALICE])],
            &[attach(RULE_A, &["default", "xxxxx"])],
            &[],
        );
        let n = name(RULE_A);
        assert_eq!(
            keys(&objects),
            [
                (RbacKind::ClusterRole, None, n.as_str()),
                (RbacKind::RoleBinding, Some("default"), n.as_str()),
                (RbacKind::RoleBinding, Some("xxxxx"), n.as_str()),
            ]
        );
        let labels = json!({ "app.kubernetes.io/managed-by": "ucs", "ucs/rule-id": RULE_A });
        assert_eq!(
            serde_json::to_value(&objects[0]).unwrap(),
            json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": { "name": n, "labels": labels },
                "rules": [{ "apiGroups": ["*"], "resources": ["pods"], "verbs": ["get", "list"] }],
            })
        );
        assert_eq!(
            serde_json::to_value(&objects[1]).unwrap(),
            json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": { "name": n, "namespace": "default", "labels": labels },
                "subjects": [
                    { "kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": ALICE },
                    { "kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": BOB },
                ],
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": n },
            })
        );
    }

    #[test]
    fn all_namespaces_renders_a_cluster_role_binding_and_no_role_bindings() {
        let objects =
            render_cluster_rbac(&[custom(RULE_A, &[ALICE])], &[attach(RULE_A, &["default", "*"])], &[]);
        let n = name(RULE_A);
        assert_eq!(
            keys(&objects),
            [(RbacKind::ClusterRole, None, n.as_str()), (RbacKind::ClusterRoleBinding, None, n.as_str())]
        );
        let binding = serde_json::to_value(&objects[1]).unwrap();
        assert_eq!(binding["roleRef"]["kind"], "ClusterRole");
        assert!(binding["metadata"].get("namespace").is_none());
    }

    #[test]
    fn fleet_and_cluster_attachments_of_a_rule_merge_into_the_union_of_namespaces() {
        let rules = [custom(RULE_A, &[ALICE])];
        let objects = render_cluster_rbac(
            &rules,
            &[attach(RULE_A, &["default", "web"])],
            &[attach(RULE_A, &["web", "kube-system"])],
        );
        let n = name(RULE_A);
        assert_eq!(
            keys(&objects),
            [
                (RbacKind::ClusterRole, None, n.as_str()),
                (RbacKind::RoleBinding, Some("default"), n.as_str()),
                (RbacKind::RoleBinding, Some("kube-system"), n.as_str()),
                (RbacKind::RoleBinding, Some("web"), n.as_str()),
            ]
        );
    }

    #[test]
    fn all_namespaces_from_either_side_wins_over_listed_namespaces() {
        let rules = [custom(RULE_A, &[ALICE])];
        let n = name(RULE_A);
        let expected =
            [(RbacKind::ClusterRole, None, n.as_str()), (RbacKind::ClusterRoleBinding, None, n.as_str())];
        let fleet_all =
            render_cluster_rbac(&rules, &[attach(RULE_A, &["default"])], &[attach(RULE_A, &["*"])]);
        assert_eq!(keys(&fleet_all), expected);
        let cluster_all =
            render_cluster_rbac(&rules, &[attach(RULE_A, &["*"])], &[attach(RULE_A, &["default"])]);
        assert_eq!(keys(&cluster_all), expected);
    }

    #[test]
    fn several_rules_render_side_by_side_in_a_deterministic_order() {
        let rules = [custom(RULE_A, &[ALICE]), rule(RULE_B, RuleType::Admin, &[BOB], vec![])];
        let cluster = [attach(RULE_A, &["default"]), attach(RULE_B, &["*"])];
        let objects = render_cluster_rbac(&rules, &cluster, &[]);
        let reversed_rules = [rules[1].clone(), rules[0].clone()];
        let reversed = [cluster[1].clone(), cluster[0].clone()];
        assert_eq!(render_cluster_rbac(&reversed_rules, &[], &reversed), objects);
        let (a, b) = (name(RULE_A), name(RULE_B));
        assert_eq!(
            keys(&objects),
            [
                (RbacKind::ClusterRole, None, b.as_str()), // 3dcd… sorts before f643…
                (RbacKind::ClusterRole, None, a.as_str()),
                (RbacKind::ClusterRoleBinding, None, b.as_str()),
                (RbacKind::RoleBinding, Some("default"), a.as_str()),
            ]
        );
    }

    #[test]
    fn predefined_types_render_their_expansion_and_wildcards_pass_through() {
        let readonly = rule(RULE_A, RuleType::Readonly, &[ALICE], vec![]);
        let objects = render_cluster_rbac(&[readonly], &[attach(RULE_A, &["default"])], &[]);
        assert_eq!(
            objects[0].rules,
            Some(vec![PolicyRule {
                api_groups: vec!["*".into()],
                resources: vec!["*".into()],
                verbs: vec!["get".into(), "list".into(), "watch".into()],
            }])
        );
        let wild = Content { verbs: vec!["*".into()], resources: vec!["*".into(), "*/scale".into()] };
        let objects = render_cluster_rbac(
            &[rule(RULE_A, RuleType::Custom, &[ALICE], vec![wild])],
            &[attach(RULE_A, &["*"])],
            &[],
        );
        assert_eq!(
            serde_json::to_value(&objects[0]).unwrap()["rules"],
            json!([{ "apiGroups": ["*"], "resources": ["*", "*/scale"], "verbs": ["*"] }])
        );
        let develop = rule(RULE_A, RuleType::Develop, &[ALICE], vec![]);
        let objects = render_cluster_rbac(&[develop], &[attach(RULE_A, &["default"])], &[]);
        assert_eq!(objects[0].rules.as_ref().unwrap().len(), 2);
    }

    #[test]
    fn removing_a_user_drops_them_from_the_subjects() {
        let before =
            render_cluster_rbac(&[custom(RULE_A, &[ALICE, BOB])], &[attach(RULE_A, &["default"])], &[]);
        let after = render_cluster_rbac(&[custom(RULE_A, &[BOB])], &[attach(RULE_A, &["default"])], &[]);
        let subject_names =
            |o: &RbacObject| o.subjects.iter().flatten().map(|s| s.name.clone()).collect::<Vec<_>>();
        assert_eq!(subject_names(&before[1]), [ALICE, BOB]);
        assert_eq!(subject_names(&after[1]), [BOB]);
        let changes = diff(&before, &after);
        assert_eq!(changes.to_apply, vec![after[1].clone()]);
        assert!(changes.to_delete.is_empty());
    }

    #[test]
    fn a_rule_without_users_renders_nothing() {
        let before =
            render_cluster_rbac(&[custom(RULE_A, &[ALICE])], &[attach(RULE_A, &["default", "web"])], &[]);
        let after = render_cluster_rbac(&[custom(RULE_A, &[])], &[attach(RULE_A, &["default", "web"])], &[]);
        assert!(after.is_empty());
        let n = name(RULE_A);
        let deleted: Vec<_> =
            diff(&before, &after).to_delete.iter().map(|k| (k.kind, k.namespace.clone())).collect();
        assert_eq!(
            deleted,
            [
                (RbacKind::RoleBinding, Some("web".to_string())),
                (RbacKind::RoleBinding, Some("default".to_string())),
                (RbacKind::ClusterRole, None),
            ]
        );
        assert!(diff(&before, &after).to_delete.iter().all(|k| k.name == n));
    }

    #[test]
    fn detaching_everything_renders_nothing_and_deletes_bindings_before_roles() {
        let rules = [custom(RULE_A, &[ALICE])];
        let before = render_cluster_rbac(&rules, &[attach(RULE_A, &["*"])], &[]);
        let after = render_cluster_rbac(&rules, &[], &[]);
        assert!(after.is_empty());
        let changes = diff(&before, &after);
        assert!(changes.to_apply.is_empty());
        let kinds: Vec<_> = changes.to_delete.iter().map(|k| k.kind).collect();
        assert_eq!(kinds, [RbacKind::ClusterRoleBinding, RbacKind::ClusterRole]);
    }

    #[test]
    fn attachments_of_deleted_rules_are_skipped() {
        let objects = render_cluster_rbac(
            &[custom(RULE_A, &[ALICE])],
            &[attach(RULE_B, &["*"])],
            &[attach(RULE_A, &["x"])],
        );
        assert!(objects.iter().all(|o| o.metadata.name == name(RULE_A)));
        assert_eq!(objects.len(), 2);
    }

    #[test]
    fn diff_applies_only_what_changed() {
        let rules = [custom(RULE_A, &[ALICE])];
        let old = render_cluster_rbac(&rules, &[attach(RULE_A, &["default"])], &[]);
        assert_eq!(diff(&old, &old), RbacChanges::default());

        let new = render_cluster_rbac(&rules, &[attach(RULE_A, &["default", "web"])], &[]);
        let changes = diff(&old, &new);
        assert_eq!(keys(&changes.to_apply), [(RbacKind::RoleBinding, Some("web"), name(RULE_A).as_str())]);
        assert!(changes.to_delete.is_empty());

        let mut changed = custom(RULE_A, &[ALICE]);
        changed.spec.contents[0].verbs.push("watch".into());
        let new = render_cluster_rbac(&[changed], &[attach(RULE_A, &["default"])], &[]);
        let changes = diff(&old, &new);
        assert_eq!(keys(&changes.to_apply), [(RbacKind::ClusterRole, None, name(RULE_A).as_str())]);

        // Moving to all namespaces creates the cluster binding first and removes the namespaced one.
        let new = render_cluster_rbac(&rules, &[attach(RULE_A, &["*"])], &[]);
        let changes = diff(&old, &new);
        assert_eq!(keys(&changes.to_apply), [(RbacKind::ClusterRoleBinding, None, name(RULE_A).as_str())]);
        assert_eq!(changes.to_delete, [old[1].key()]);
    }

    #[test]
    fn rule_id_namespaces_are_validated_with_their_path_and_merged_per_rule() {
        let entry = |ids: &[&str], ns: &[&str]| RuleIdNamespacesInput {
            rule_ids: ids.iter().map(|s| s.to_string()).collect(),
            namespaces: ns.iter().map(|s| s.to_string()).collect(),
        };
        let merged = validate_attachments(&[
            entry(&[RULE_A, RULE_B], &["default"]),
            entry(&[RULE_A], &["kube-system", "default"]),
            entry(&[RULE_B], &["*"]),
        ])
        .unwrap();
        assert_eq!(merged[0].rule_id.to_string(), RULE_B);
        assert_eq!(merged[0].scope, NamespaceScope::All);
        assert_eq!(
            merged[1].scope,
            NamespaceScope::Namespaces(["default".to_string(), "kube-system".to_string()].into())
        );
        assert!(validate_attachments(&[]).unwrap().is_empty());

        let cases = [
            (entry(&[], &["default"]), "ruleIDNamespaces[0].ruleIDs must list"),
            (entry(&[RULE_A, "xxxx"], &["default"]), "ruleIDNamespaces[0].ruleIDs[1]"),
            (entry(&[RULE_A], &[]), "ruleIDNamespaces[0].namespaces must list"),
            (entry(&[RULE_A], &["default", "Kube_System"]), "ruleIDNamespaces[0].namespaces[1]"),
            (entry(&[RULE_A], &["**"]), "ruleIDNamespaces[0].namespaces[0]"),
        ];
        for (bad, path) in cases {
            let err = validate_attachments(&[bad]).unwrap_err();
            assert_eq!(err.code(), "UCS.01000012");
            assert!(err.message().contains(path), "{}", err.message());
        }
    }

    #[test]
    fn the_list_view_is_a_kubernetes_list() {
        let objects = render_cluster_rbac(&[custom(RULE_A, &[ALICE])], &[attach(RULE_A, &["*"])], &[]);
        let list = to_list_json(&objects);
        assert_eq!(list["apiVersion"], "v1");
        assert_eq!(list["kind"], "List");
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        assert_eq!(list["items"][1]["kind"], "ClusterRoleBinding");
        assert_eq!(to_list_json(&[])["items"], json!([]));
    }

    #[test]
    fn the_yaml_view_is_one_document_per_object_and_parses_back() {
        let objects =
            render_cluster_rbac(&[custom(RULE_A, &[ALICE, BOB])], &[attach(RULE_A, &["a", "b"])], &[]);
        let yaml = to_yaml(&objects).unwrap();
        assert!(yaml.starts_with("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"), "{yaml}");
        let parsed: Vec<RbacObject> = serde_yaml_ng::Deserializer::from_str(&yaml)
            .map(|doc| RbacObject::deserialize(doc).unwrap())
            .collect();
        assert_eq!(parsed, objects);
        assert_eq!(to_yaml(&[]).unwrap(), "");
    }
    fn binding(id: &str, name: &str, namespaces: &[&str]) -> Binding {
        let scope = if namespaces.contains(&ALL_NAMESPACES) {
            NamespaceScope::All
        } else {
            NamespaceScope::Namespaces(namespaces.iter().map(|n| n.to_string()).collect())
        };
        Binding { rule: RuleRef { name: name.into(), id: id.parse().unwrap() }, scope }
    }

    #[test]
    fn rule_namespaces_group_rules_by_where_they_apply() {
        assert_eq!(rule_namespaces(&[]), vec![]);
        let a = binding(RULE_A, "readers", &["dev", "default"]);
        let b = binding(RULE_B, "admins", &["default", "dev"]);
        let grouped = rule_namespaces(&[a.clone(), b.clone()]);
        assert_eq!(grouped.len(), 1);
        assert_eq!(grouped[0].namespaces, ["default", "dev"]);
        let names: Vec<&str> = grouped[0].rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["admins", "readers"], "rules by name");
        // Bound again (through the fleet) in another namespace: the rule applies in both, on its own.
        let grouped = rule_namespaces(&[a.clone(), b, binding(RULE_A, "readers", &["prod"])]);
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped[1].namespaces, ["default", "dev", "prod"]);
        assert_eq!(grouped[1].rules, std::slice::from_ref(&a.rule));
        // Everywhere wins over a list.
        let grouped = rule_namespaces(&[a.clone(), binding(RULE_A, "readers", &["*"])]);
        assert_eq!(grouped, [RuleNamespaces { rules: vec![a.rule], namespaces: vec!["*".into()] }]);
    }

    #[test]
    fn a_fleets_namespaces_are_the_union_of_its_bindings() {
        assert!(bound_namespaces(&[]).is_empty());
        let a = binding(RULE_A, "readers", &["dev"]);
        let b = binding(RULE_B, "admins", &["default", "dev"]);
        assert_eq!(bound_namespaces(&[a.clone(), b]), ["default", "dev"]);
        assert_eq!(bound_namespaces(&[a, binding(RULE_B, "admins", &["*"])]), ["*"]);
    }
}
