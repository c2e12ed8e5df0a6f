//! Permission policies (UCS "rules", API reference 3.3): which IAM users may do what (Kubernetes verbs on
//! Kubernetes resources) in the clusters and fleets a rule is attached to. Owns the model, the four policy
//! types and what the predefined ones grant, and the validation of create (3.3.1) and update (3.3.4)
//! requests. Rendering a rule into Kubernetes RBAC objects lives in [`crate::rbac`].

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    error::{Error, Result},
    ids::{DomainId, RuleId, UserId},
};

/// Reference 3.3.1 表 3-144: `metadata.name` is 1–63 characters.
pub const NAME_MAX_LEN: usize = 63;
/// Reference 表 3-145: `spec.description` is 0–255 characters.
pub const DESCRIPTION_MAX_LEN: usize = 255;
/// The reference sets no limit on these lists; ours keep one request (and the rendered RBAC) bounded.
pub const MAX_IAM_USERS: usize = 100;
pub const MAX_CONTENTS: usize = 50;
pub const MAX_VERBS_OR_RESOURCES: usize = 100;

/// The verbs a policy may grant: Kubernetes' resource verbs (Huawei's console offers get … delete) and
/// `*`. Privilege verbs (`bind`, `escalate`, `impersonate`) are refused: no policy type needs them.
pub const VERBS: &[&str] =
    &["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*"];

const READ_VERBS: &[&str] = &["get", "list", "watch"];
const WRITE_VERBS: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];

/// What the `develop` type may change: Kubernetes' built-in `edit` role without the resources Huawei
/// keeps read-only for developers (namespaces, quotas, limit ranges) and without RBAC objects.
const DEVELOP_WRITABLE_RESOURCES: &[&str] = &[
    "configmaps",
    "cronjobs",
    "daemonsets",
    "deployments",
    "deployments/rollback",
    "deployments/scale",
    "endpoints",
    "horizontalpodautoscalers",
    "ingresses",
    "jobs",
    "networkpolicies",
    "persistentvolumeclaims",
    "poddisruptionbudgets",
    "pods",
    "pods/attach",
    "pods/eviction",
    "pods/exec",
    "pods/portforward",
    "pods/proxy",
    "replicasets",
    "replicasets/scale",
    "replicationcontrollers",
    "replicationcontrollers/scale",
    "secrets",
    "serviceaccounts",
    "services",
    "services/proxy",
    "statefulsets",
    "statefulsets/scale",
];

/// The policy types; reference 表 3-145: "只允许四种类型：readonly/develop/admin/custom".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleType {
    Readonly,
    Develop,
    Admin,
    Custom,
}

impl RuleType {
    pub const ALL: [RuleType; 4] = [Self::Readonly, Self::Develop, Self::Admin, Self::Custom];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Readonly => "readonly",
            Self::Develop => "develop",
            Self::Admin => "admin",
            Self::Custom => "custom",
        }
    }

    /// What a predefined type grants, `None` for `custom`. Huawei describes the types (UCS user guide,
    /// "集群中Kubernetes资源权限"): admin = read-write on all Kubernetes resources; develop = read-write on
    /// most, read-only on namespaces, resource quotas and the like; readonly = read-only on all. The
    /// reference's list example stores admin as `verbs: ["*"], resources: ["*"]`.
    pub fn predefined_contents(self) -> Option<Vec<Content>> {
        match self {
            Self::Admin => Some(vec![Content::new(&["*"], &["*"])]),
            Self::Readonly => Some(vec![Content::new(READ_VERBS, &["*"])]),
            Self::Develop => Some(vec![
                Content::new(READ_VERBS, &["*"]),
                Content::new(WRITE_VERBS, DEVELOP_WRITABLE_RESOURCES),
            ]),
            Self::Custom => None,
        }
    }
}

impl fmt::Display for RuleType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RuleType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| {
            Error::invalid_body(format!("spec.type {s:?} must be one of readonly, develop, admin, custom"))
        })
    }
}

/// One entry of `spec.contents`: verbs on resources, like a Kubernetes RBAC PolicyRule. The reference's
/// Content (表 3-146) has no apiGroups or nonResourceURLs, so a resource name means that resource in any
/// API group, and non-resource URLs are never granted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Content {
    pub verbs: Vec<String>,
    pub resources: Vec<String>,
}

impl Content {
    fn new(verbs: &[&str], resources: &[&str]) -> Self {
        let owned = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        Self { verbs: owned(verbs), resources: owned(resources) }
    }
}

/// A rule's validated spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSpec {
    /// Distinct, in the order given.
    pub iam_user_ids: Vec<UserId>,
    pub rule_type: RuleType,
    /// For predefined types, the type's expansion (so the list view shows what is granted).
    pub contents: Vec<Content>,
    pub description: String,
}

impl RuleSpec {
    /// What a create request starts from: a custom rule with nothing in it.
    fn blank() -> Self {
        Self {
            iam_user_ids: Vec::new(),
            rule_type: RuleType::Custom,
            contents: Vec::new(),
            description: String::new(),
        }
    }

    /// What the rule grants now: a predefined type's current expansion (a stored copy may predate a
    /// change of it), else the stored contents.
    pub fn effective_contents(&self) -> Vec<Content> {
        self.rule_type.predefined_contents().unwrap_or_else(|| self.contents.clone())
    }
}

/// A stored permission policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: RuleId,
    pub domain_id: DomainId,
    pub name: String,
    pub spec: RuleSpec,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A Content as the request says it, before validation (absent lists arrive empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentInput {
    pub verbs: Vec<String>,
    pub resources: Vec<String>,
}

/// `spec` of a create or update request, before validation. Every field is optional on the wire
/// (表 3-145, 表 3-160); `None` means "not sent".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSpecInput {
    pub iam_user_ids: Option<Vec<String>>,
    pub rule_type: Option<String>,
    pub contents: Option<Vec<ContentInput>>,
    pub description: Option<String>,
}

/// A create request (3.3.1), before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRule {
    pub name: String,
    pub spec: RuleSpecInput,
}

/// A validated create request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRule {
    pub name: String,
    pub spec: RuleSpec,
}

impl NewRule {
    /// Validates the name and the spec; an absent `type` means `custom`. The first problem is the error.
    pub fn validate(self) -> Result<ValidRule> {
        validate_name(&self.name)?;
        let spec = self.spec.apply_to(&RuleSpec::blank())?;
        Ok(ValidRule { name: self.name, spec })
    }
}

impl RuleSpecInput {
    /// The spec after an update (3.3.4): fields that were sent replace the current ones, the others are
    /// kept (the reference's own example changes users, type and description without sending contents).
    /// The result is validated as a whole.
    pub fn apply_to(self, current: &RuleSpec) -> Result<RuleSpec> {
        let rule_type = match self.rule_type {
            Some(t) => t.parse()?,
            None => current.rule_type,
        };
        let iam_user_ids = match self.iam_user_ids {
            Some(ids) => validate_iam_user_ids(&ids)?,
            None => current.iam_user_ids.clone(),
        };
        let description = match self.description {
            Some(d) => validate_description(d)?,
            None => current.description.clone(),
        };
        let sent_contents = self.contents.map(|c| validate_contents(&c)).transpose()?;
        let contents = match rule_type.predefined_contents() {
            Some(expansion) => {
                // Sending back what a list returned (type and its expansion) must work; anything else
                // would be silently ignored, so it is refused.
                if let Some(sent) = sent_contents.filter(|c| !c.is_empty()) {
                    if sent != expansion {
                        return Err(Error::invalid_body(format!(
                            "spec.contents cannot be chosen for type {rule_type}; use type custom"
                        )));
                    }
                }
                expansion
            }
            None => {
                // Switching a predefined rule to custom keeps what it granted unless contents are sent.
                let contents = sent_contents.unwrap_or_else(|| current.effective_contents());
                if contents.is_empty() {
                    return Err(Error::invalid_body(
                        "spec.contents must list at least one entry for type custom",
                    ));
                }
                contents
            }
        };
        Ok(RuleSpec { iam_user_ids, rule_type, contents, description })
    }
}

/// A rule name: 1–63 characters (reference 表 3-144) of lower-case letters, digits and `-`, starting and
/// ending with a letter or digit (the reference names no charset; this is the DNS-1123 label rule the
/// other UCS names follow).
pub fn validate_name(name: &str) -> Result<()> {
    if is_dns1123_label(name) {
        Ok(())
    } else {
        Err(Error::invalid_body(format!(
            "metadata.name {name:?} must be 1-{NAME_MAX_LEN} lower-case letters, digits or '-', starting and \
             ending with a letter or digit"
        )))
    }
}

pub(crate) fn is_dns1123_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn validate_description(description: String) -> Result<String> {
    if description.chars().count() > DESCRIPTION_MAX_LEN {
        return Err(Error::invalid_body(format!(
            "spec.description is longer than {DESCRIPTION_MAX_LEN} characters"
        )));
    }
    Ok(description)
}

/// IAM user ids as IAM writes them (32 lower-case hex digits); duplicates are dropped, order kept. An
/// empty list is allowed: the reference makes `iamUserIDs` optional, and such a rule grants nothing.
fn validate_iam_user_ids(ids: &[String]) -> Result<Vec<UserId>> {
    if ids.len() > MAX_IAM_USERS {
        return Err(Error::invalid_body(format!("spec.iamUserIDs lists more than {MAX_IAM_USERS} users")));
    }
    let mut users: Vec<UserId> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let is_iam_form =
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let user = is_iam_form.then(|| id.parse::<UserId>().ok()).flatten().ok_or_else(|| {
            Error::invalid_body(format!(
                "spec.iamUserIDs[{i}] {id:?} is not an IAM user id (32 lower-case hex digits)"
            ))
        })?;
        if !users.contains(&user) {
            users.push(user);
        }
    }
    Ok(users)
}

fn validate_contents(contents: &[ContentInput]) -> Result<Vec<Content>> {
    if contents.len() > MAX_CONTENTS {
        return Err(Error::invalid_body(format!("spec.contents lists more than {MAX_CONTENTS} entries")));
    }
    contents
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let verbs = validate_list(
                &format!("spec.contents[{i}].verbs"),
                &c.verbs,
                is_verb,
                &format!("one of {}", VERBS.join(", ")),
            )?;
            let resources = validate_list(
                &format!("spec.contents[{i}].resources"),
                &c.resources,
                is_resource,
                "a lower-case resource name such as pods or deployments/scale, or *",
            )?;
            Ok(Content { verbs, resources })
        })
        .collect()
}

/// A non-empty, bounded list whose items all pass `valid`; duplicates dropped, order kept.
fn validate_list(
    path: &str,
    items: &[String],
    valid: fn(&str) -> bool,
    expected: &str,
) -> Result<Vec<String>> {
    if items.is_empty() {
        return Err(Error::invalid_body(format!("{path} must not be empty")));
    }
    if items.len() > MAX_VERBS_OR_RESOURCES {
        return Err(Error::invalid_body(format!("{path} lists more than {MAX_VERBS_OR_RESOURCES} items")));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if !valid(item) {
            return Err(Error::invalid_body(format!("{path}[{i}] {item:?} is not {expected}")));
        }
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    Ok(out)
}

fn is_verb(verb: &str) -> bool {
    VERBS.contains(&verb)
}

/// `*`, `resource`, `resource/subresource` or `*/subresource`: the forms Kubernetes RBAC matches.
/// Names are plural resource names (lower-case DNS labels); a group suffix such as `deployments.apps`
/// would never match, so it is refused rather than granted silently.
fn is_resource(resource: &str) -> bool {
    match resource.split_once('/') {
        None => resource == "*" || is_dns1123_label(resource),
        Some((name, sub)) => (name == "*" || is_dns1123_label(name)) && is_dns1123_label(sub),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "873395a21c8d4d8ba9e37d6d32debc41";
    const BOB: &str = "978ff70ec1494a5680f6218faa3567d9";

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn content(verbs: &[&str], resources: &[&str]) -> ContentInput {
        ContentInput { verbs: strings(verbs), resources: strings(resources) }
    }

    fn custom(contents: Vec<ContentInput>) -> NewRule {
        NewRule {
            name: "dev-team".into(),
            spec: RuleSpecInput {
                iam_user_ids: Some(strings(&[ALICE])),
                rule_type: Some("custom".into()),
                contents: Some(contents),
                description: None,
            },
        }
    }

    fn typed(rule_type: &str) -> NewRule {
        NewRule {
            name: "team".into(),
            spec: RuleSpecInput {
                iam_user_ids: Some(strings(&[ALICE])),
                rule_type: Some(rule_type.into()),
                ..Default::default()
            },
        }
    }

    fn message(rule: NewRule) -> String {
        let err = rule.validate().unwrap_err();
        assert_eq!(err.code(), "UCS.01000012");
        err.message()
    }

    #[test]
    fn rule_types_are_the_four_the_reference_allows() {
        for t in RuleType::ALL {
            assert_eq!(t.as_str().parse::<RuleType>().unwrap(), t);
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        for bad in ["", "Admin", "ADMIN", "edit", "view", "read-only"] {
            assert_eq!(bad.parse::<RuleType>().unwrap_err().code(), "UCS.01000012", "{bad}");
        }
    }

    #[test]
    fn admin_expands_to_every_verb_on_every_resource_as_the_reference_lists_it() {
        let spec = typed("admin").validate().unwrap().spec;
        assert_eq!(
            serde_json::to_value(&spec.contents).unwrap(),
            serde_json::json!([{ "verbs": ["*"], "resources": ["*"] }])
        );
    }

    #[test]
    fn readonly_expands_to_read_verbs_on_every_resource() {
        let spec = typed("readonly").validate().unwrap().spec;
        assert_eq!(spec.contents, vec![Content::new(&["get", "list", "watch"], &["*"])]);
    }

    #[test]
    fn develop_reads_everything_and_writes_workloads_but_not_rbac_namespaces_or_quotas() {
        let spec = typed("develop").validate().unwrap().spec;
        assert_eq!(spec.contents[0], Content::new(&["get", "list", "watch"], &["*"]));
        let writable = &spec.contents[1];
        assert!(!writable.verbs.iter().any(|v| v == "*" || READ_VERBS.contains(&v.as_str())));
        for yes in ["deployments", "pods/exec", "services", "secrets", "configmaps", "jobs", "ingresses"] {
            assert!(writable.resources.iter().any(|r| r == yes), "{yes}");
        }
        for no in
            ["*", "namespaces", "resourcequotas", "limitranges", "roles", "rolebindings", "clusterroles"]
        {
            assert!(!writable.resources.iter().any(|r| r == no), "{no}");
        }
        assert!(writable.resources.iter().all(|r| is_resource(r)));
    }

    #[test]
    fn an_absent_type_means_custom_which_needs_contents() {
        let mut rule = custom(vec![]);
        rule.spec.rule_type = None;
        rule.spec.contents = None;
        assert!(message(rule).contains("spec.contents must list at least one entry"));
        let mut rule = custom(vec![content(&["get"], &["pods"])]);
        rule.spec.rule_type = None;
        assert_eq!(rule.validate().unwrap().spec.rule_type, RuleType::Custom);
        assert!(message(custom(vec![])).contains("spec.contents"));
    }

    #[test]
    fn custom_contents_are_kept_with_duplicates_dropped() {
        let rule = custom(vec![
            content(&["get", "list", "get"], &["pods", "pods/log", "pods"]),
            content(&["*"], &["*/scale", "*"]),
        ]);
        let spec = rule.validate().unwrap().spec;
        assert_eq!(
            spec.contents,
            vec![
                Content::new(&["get", "list"], &["pods", "pods/log"]),
                Content::new(&["*"], &["*/scale", "*"])
            ]
        );
    }

    #[test]
    fn unknown_verbs_are_refused_with_their_path() {
        for bad in ["GET", "bind", "escalate", "impersonate", "use", "", " get"] {
            let msg = message(custom(vec![content(&["get"], &["pods"]), content(&["list", bad], &["pods"])]));
            assert!(msg.contains("spec.contents[1].verbs[1]"), "{bad}: {msg}");
        }
        let msg = message(custom(vec![content(&[], &["pods"])]));
        assert!(msg.contains("spec.contents[0].verbs must not be empty"), "{msg}");
    }

    #[test]
    fn resource_names_must_be_kubernetes_resource_forms() {
        for bad in ["", "Pods", "deployments.apps", "pods/", "/log", "pods/*", "a/b/c", "pods log", "-pods"] {
            let msg = message(custom(vec![content(&["get"], &["pods", bad])]));
            assert!(msg.contains("spec.contents[0].resources[1]"), "{bad}: {msg}");
        }
        let msg = message(custom(vec![content(&["get"], &[])]));
        assert!(msg.contains("spec.contents[0].resources must not be empty"), "{msg}");
    }

    #[test]
    fn list_sizes_are_bounded() {
        let many = |n: usize| (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>();
        let rule =
            custom(vec![ContentInput { verbs: strings(&["get"]), resources: many(MAX_VERBS_OR_RESOURCES) }]);
        rule.validate().unwrap();
        let rule = custom(vec![ContentInput {
            verbs: strings(&["get"]),
            resources: many(MAX_VERBS_OR_RESOURCES + 1),
        }]);
        assert!(message(rule).contains("more than"));
        let rule = custom(vec![content(&["get"], &["pods"]); MAX_CONTENTS + 1]);
        assert!(message(rule).contains("spec.contents lists more than"));
    }

    #[test]
    fn names_are_1_to_63_dns_label_characters() {
        for good in ["a", "admin", "dev-team-2", &"a".repeat(63)] {
            let mut rule = typed("admin");
            rule.name = good.to_string();
            rule.validate().unwrap();
        }
        for bad in ["", "Admin", "-a", "a-", "a_b", "a.b", "开发", &"a".repeat(64)] {
            let mut rule = typed("admin");
            rule.name = bad.to_string();
            assert!(message(rule).contains("metadata.name"), "{bad}");
        }
    }

    #[test]
    fn descriptions_are_at_most_255_characters_not_bytes() {
        let mut rule = typed("admin");
        rule.spec.description = Some("权".repeat(255));
        assert_eq!(rule.validate().unwrap().spec.description.chars().count(), 255);
        let mut rule = typed("admin");
        rule.spec.description = Some("a".repeat(256));
        assert!(message(rule).contains("spec.description"));
    }

    #[test]
    fn iam_user_ids_are_32_lower_case_hex_digits() {
        for bad in [
            "",
            "873395A21C8D4D8BA9E37D6D32DEBC41",
            "873395a2-1c8d-4d8b-a9e3-7d6d32debc41",
            "873395a21c8d4d8ba9e37d6d32debc4",
            "873395a21c8d4d8ba9e37d6d32debc4g",
            "alice",
        ] {
            let mut rule = typed("admin");
            rule.spec.iam_user_ids = Some(strings(&[BOB, bad]));
            assert!(message(rule).contains("spec.iamUserIDs[1]"), "{bad}");
        }
    }

    #[test]
    fn iam_user_ids_are_deduplicated_in_order_and_may_be_empty() {
        let mut rule = typed("admin");
        rule.spec.iam_user_ids = Some(strings(&[BOB, ALICE, BOB]));
        let users = rule.validate().unwrap().spec.iam_user_ids;
        assert_eq!(users.iter().map(|u| u.to_string()).collect::<Vec<_>>(), [BOB, ALICE]);
        let mut rule = typed("admin");
        rule.spec.iam_user_ids = None;
        assert!(rule.validate().unwrap().spec.iam_user_ids.is_empty());
        let mut rule = typed("admin");
        rule.spec.iam_user_ids = Some(vec![ALICE.to_string(); MAX_IAM_USERS + 1]);
        assert!(message(rule).contains("more than"));
    }

    #[test]
    fn predefined_types_accept_their_own_expansion_back_but_no_other_contents() {
        let mut echo = typed("develop");
        let expansion = RuleType::Develop.predefined_contents().unwrap();
        echo.spec.contents = Some(
            expansion
                .iter()
                .map(|c| ContentInput { verbs: c.verbs.clone(), resources: c.resources.clone() })
                .collect(),
        );
        assert_eq!(echo.validate().unwrap().spec.contents, expansion);
        let mut empty = typed("readonly");
        empty.spec.contents = Some(vec![]);
        empty.validate().unwrap();
        let mut other = typed("readonly");
        other.spec.contents = Some(vec![content(&["*"], &["*"])]);
        assert!(message(other).contains("use type custom"));
    }

    fn stored(rule: NewRule) -> RuleSpec {
        rule.validate().unwrap().spec
    }

    #[test]
    fn updates_keep_what_was_not_sent() {
        let current = stored(custom(vec![content(&["get"], &["pods"])]));
        let updated = RuleSpecInput { description: Some("new".into()), ..Default::default() }
            .apply_to(&current)
            .unwrap();
        assert_eq!(updated, RuleSpec { description: "new".into(), ..current.clone() });
        assert_eq!(RuleSpecInput::default().apply_to(&current).unwrap(), current);
    }

    #[test]
    fn the_references_update_example_turns_an_admin_rule_custom_keeping_its_grant() {
        let current = stored(typed("admin"));
        let update = RuleSpecInput {
            iam_user_ids: Some(strings(&[BOB, "5acdb44b47ba4bd79783ad40e5346783"])),
            rule_type: Some("custom".into()),
            contents: None,
            description: Some("this is description".into()),
        };
        let updated = update.apply_to(&current).unwrap();
        assert_eq!(updated.rule_type, RuleType::Custom);
        assert_eq!(updated.contents, current.contents);
        assert_eq!(updated.iam_user_ids.len(), 2);
    }

    #[test]
    fn updates_change_type_contents_and_users() {
        let current = stored(custom(vec![content(&["get"], &["pods"])]));
        let to_admin = RuleSpecInput { rule_type: Some("admin".into()), ..Default::default() };
        assert_eq!(
            to_admin.apply_to(&current).unwrap().contents,
            RuleType::Admin.predefined_contents().unwrap()
        );
        let new_contents =
            RuleSpecInput { contents: Some(vec![content(&["list"], &["nodes"])]), ..Default::default() };
        assert_eq!(
            new_contents.apply_to(&current).unwrap().contents,
            vec![Content::new(&["list"], &["nodes"])]
        );
        let no_users = RuleSpecInput { iam_user_ids: Some(vec![]), ..Default::default() };
        assert!(no_users.apply_to(&current).unwrap().iam_user_ids.is_empty());
    }

    #[test]
    fn updates_refuse_contents_for_a_predefined_rule_and_empty_custom_contents() {
        let admin = stored(typed("admin"));
        let contents_only =
            RuleSpecInput { contents: Some(vec![content(&["get"], &["pods"])]), ..Default::default() };
        assert!(contents_only.apply_to(&admin).unwrap_err().message().contains("use type custom"));
        let custom_rule = stored(custom(vec![content(&["get"], &["pods"])]));
        let emptied = RuleSpecInput { contents: Some(vec![]), ..Default::default() };
        assert!(emptied.apply_to(&custom_rule).unwrap_err().message().contains("at least one"));
        let bad_type = RuleSpecInput { rule_type: Some("root".into()), ..Default::default() };
        assert!(bad_type.apply_to(&custom_rule).unwrap_err().message().contains("spec.type"));
    }

    #[test]
    fn effective_contents_follow_the_current_expansion_of_a_predefined_type() {
        let mut spec = stored(typed("readonly"));
        spec.contents = vec![Content::new(&["get"], &["pods"])]; // an outdated stored copy
        assert_eq!(spec.effective_contents(), RuleType::Readonly.predefined_contents().unwrap());
        spec.rule_type = RuleType::Custom;
        assert_eq!(spec.effective_contents(), vec![Content::new(&["get"], &["pods"])]);
    }
}
