//! Node pools and nodes of a CCE cluster: validation of the create, update and scale requests, and
//! what a pool's job has to do to converge it (its plan) and what doing it changes. A pool converges
//! when it is not being deleted, has `desired` running nodes and no node waiting to be removed.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::{
    cce::{Node, NodePhase, NodePool, DEFAULT_POOL},
    error::{Error, Result},
};

/// CCE's node pool name rule: 1–50 lower-case letters, digits or `-`, starting with a letter, not
/// ending with `-`; `DefaultPool` is the cluster's own.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = (1..=50).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(Error::invalid_body(format!(
            "metadata.name {name:?} must be 1 to 50 lower-case letters, digits or '-', start with a letter \
             and not end with '-'"
        )));
    }
    if name.eq_ignore_ascii_case(DEFAULT_POOL) {
        return Err(Error::invalid_body("metadata.name DefaultPool is the cluster's default node pool"));
    }
    Ok(())
}

/// A validated `create_node_pool` request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNodePool {
    pub name: String,
    /// `spec` as sent, less `initialNodeCount` and the login password.
    pub spec: Value,
    pub desired: usize,
}

fn node_count(value: &Value, field: &str) -> Result<usize> {
    value
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| Error::invalid_body(format!("{field} must be a non-negative integer, not {value}")))
}

fn check_kind(body: &Value, kind: &str) -> Result<()> {
    if let Some(k) = body.get("kind").filter(|k| !k.is_null()) {
        if k != kind {
            return Err(Error::invalid_body(format!("kind must be {kind}, not {k}")));
        }
    }
    if let Some(v) = body.get("apiVersion").filter(|v| !v.is_null()) {
        if v != "v3" {
            return Err(Error::invalid_body(format!("apiVersion must be v3, not {v}")));
        }
    }
    Ok(())
}

/// Takes the passwords out of a node template, the login's and the initial one of `extendParam`:
/// they are never kept (CCE never returns them either).
fn drop_password(template: &mut Value) {
    if let Some(password) = template.pointer_mut("/login/userPassword").and_then(Value::as_object_mut) {
        password.remove("password");
    }
    if let Some(extend) = template.get_mut("extendParam").and_then(Value::as_object_mut) {
        extend.remove("init-node-password");
    }
}

/// Validates the node template of a create request: what every node of the pool is made from.
fn check_template(template: &Value) -> Result<()> {
    if !template.is_object() {
        return Err(Error::invalid_body("spec.nodeTemplate is required and must be an object"));
    }
    for field in ["flavor", "az"] {
        if template.get(field).and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()) {
            return Err(Error::invalid_body(format!(
                "spec.nodeTemplate.{field} is required and must be a non-empty string"
            )));
        }
    }
    let login = template.get("login");
    let has_login =
        login.and_then(|l| l.get("sshKey")).and_then(Value::as_str).is_some_and(|k| !k.is_empty())
            || login.and_then(|l| l.get("userPassword")).is_some_and(Value::is_object);
    if !has_login {
        return Err(Error::invalid_body("spec.nodeTemplate.login needs sshKey or userPassword"));
    }
    if !template.get("rootVolume").is_some_and(Value::is_object) {
        return Err(Error::invalid_body("spec.nodeTemplate.rootVolume is required"));
    }
    if template.get("dataVolumes").and_then(Value::as_array).is_none_or(Vec::is_empty) {
        return Err(Error::invalid_body("spec.nodeTemplate.dataVolumes must name at least one volume"));
    }
    Ok(())
}

/// Validates `POST …/nodepools`.
pub fn validate_create(mut body: Value) -> Result<NewNodePool> {
    if !body.is_object() {
        return Err(Error::invalid_body("the body must be a NodePool object"));
    }
    check_kind(&body, "NodePool")?;
    let name = body
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid_body("metadata.name is required and must be a string"))?
        .to_string();
    validate_name(&name)?;
    let mut spec = body["spec"].take();
    let fields = spec.as_object_mut().ok_or_else(|| Error::invalid_body("spec is required"))?;
    let desired = match fields.remove("initialNodeCount") {
        None | Some(Value::Null) => 0,
        Some(n) => node_count(&n, "spec.initialNodeCount")?,
    };
    check_template(fields.get("nodeTemplate").unwrap_or(&Value::Null))?;
    fields.entry("type").or_insert_with(|| Value::from("vm"));
    if let Some(template) = fields.get_mut("nodeTemplate") {
        drop_password(template);
    }
    Ok(NewNodePool { name, spec, desired })
}

/// A validated `update_node_pool` request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodePoolUpdate {
    pub name: Option<String>,
    /// `spec` fields that replace the pool's (`nodeTemplate` is merged key by key).
    pub spec: Map<String, Value>,
    /// A new `initialNodeCount` (not with `ignoreInitialNodeCount`).
    pub desired: Option<usize>,
}

/// Validates `PUT …/nodepools/{id}`.
pub fn validate_update(body: Value) -> Result<NodePoolUpdate> {
    if !body.is_object() {
        return Err(Error::invalid_body("the body must be a NodePool update"));
    }
    let name = match body.pointer("/metadata/name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => {
            validate_name(name)?;
            Some(name.clone())
        }
        Some(other) => {
            return Err(Error::invalid_body(format!("metadata.name must be a string, not {other}")))
        }
    };
    let mut spec = match body.get("spec") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(spec)) => spec.clone(),
        Some(_) => return Err(Error::invalid_body("spec must be an object")),
    };
    let ignore = spec.remove("ignoreInitialNodeCount").and_then(|v| v.as_bool()).unwrap_or(false);
    let desired = match spec.remove("initialNodeCount") {
        None | Some(Value::Null) => None,
        Some(_) if ignore => None,
        Some(n) => Some(node_count(&n, "spec.initialNodeCount")?),
    };
    // The SDK names the update's node management `nodeManagementUpdate`; the pool keeps `nodeManagement`.
    if let Some(management) = spec.remove("nodeManagementUpdate") {
        spec.insert("nodeManagement".into(), management);
    }
    if let Some(template) = spec.get_mut("nodeTemplate") {
        if !template.is_object() {
            return Err(Error::invalid_body("spec.nodeTemplate must be an object"));
        }
        drop_password(template);
    }
    Ok(NodePoolUpdate { name, spec, desired })
}

/// Applies an update's spec to a pool's.
pub fn merge_spec(spec: &mut Value, update: &Map<String, Value>) {
    if !spec.is_object() {
        *spec = Value::Object(Map::new());
    }
    let fields = spec.as_object_mut().expect("made an object");
    for (key, value) in update {
        match (fields.get_mut(key), value) {
            (Some(Value::Object(old)), Value::Object(new)) if key == "nodeTemplate" => {
                old.extend(new.clone());
            }
            _ => {
                fields.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Validates `POST …/nodepools/{id}/operation/scale`: the desired node count.
pub fn validate_scale(body: &Value) -> Result<usize> {
    check_kind(body, "NodePool")?;
    let spec =
        body.get("spec").filter(|s| s.is_object()).ok_or_else(|| Error::invalid_body("spec is required"))?;
    if let Some(groups) = spec.get("scaleGroups").filter(|g| !g.is_null()) {
        let only_default = groups.as_array().is_some_and(|g| g.iter().all(|g| g == "default"));
        if !only_default {
            return Err(Error::invalid_body("spec.scaleGroups may only name the pool's default scale group"));
        }
    }
    node_count(spec.get("desiredNodeCount").unwrap_or(&Value::Null), "spec.desiredNodeCount")
}

/// What a pool's job does next: create `create` nodes and remove `remove`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub create: usize,
    pub remove: Vec<Node>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.create == 0 && self.remove.is_empty()
    }
}

/// The pool's running nodes.
pub fn live(pool: &NodePool) -> usize {
    pool.nodes.iter().filter(|n| n.phase == NodePhase::Active).count()
}

/// The nodes the pool should have.
pub fn desired(pool: &NodePool) -> usize {
    if pool.deleting {
        0
    } else {
        pool.desired.unwrap_or_else(|| live(pool))
    }
}

/// What converges the pool: nodes marked for removal go, then the newest running nodes above the
/// desired count, or the missing nodes are created.
pub fn plan(pool: &NodePool) -> Plan {
    let want = desired(pool);
    let running: Vec<&Node> = pool.nodes.iter().filter(|n| n.phase == NodePhase::Active).collect();
    let mut remove: Vec<Node> =
        pool.nodes.iter().filter(|n| n.phase == NodePhase::Deleting).cloned().collect();
    remove.extend(running.iter().skip(want).map(|n| (*n).clone()));
    Plan { create: want.saturating_sub(running.len()), remove }
}

/// The idempotency key of a pool job's next provider call: the same while the pool is unchanged (a
/// repeat after a crash), another once a step committed or the pool changed.
pub fn step_key(job: &str, pool: &NodePool) -> String {
    let marked = pool.nodes.len() - live(pool);
    format!("{job}:{}:{}:{marked}", pool.generation, live(pool))
}

/// Commits what a step did: `removed` nodes are gone, `created` ones run (a node already there is not
/// added twice).
pub fn apply(pool: &mut NodePool, created: Vec<Node>, removed: &[Node], now: DateTime<Utc>) {
    pool.nodes.retain(|n| !removed.iter().any(|r| r.uid == n.uid));
    for mut node in created {
        if !pool.nodes.iter().any(|n| n.uid == node.uid) {
            node.phase = NodePhase::Active;
            node.created_at = Some(now);
            pool.nodes.push(node);
        }
    }
    pool.updated_at = Some(now);
}

/// `status` counts of a pool: (current, creating, deleting).
pub fn counts(pool: &NodePool) -> (usize, usize, usize) {
    let plan = plan(pool);
    (pool.nodes.len(), plan.create, plan.remove.len())
}

/// `status.phase` of a pool: empty when it is available (as CCE answers).
pub fn phase(pool: &NodePool) -> &'static str {
    if pool.deleting {
        "Deleting"
    } else if pool.error.is_some() {
        "Error"
    } else if pool.job_id.is_some() {
        "Synchronizing"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body() -> Value {
        json!({
            "kind": "NodePool", "apiVersion": "v3",
            "metadata": {"name": "pool-a"},
            "spec": {"initialNodeCount": 2, "nodeTemplate": {
                "flavor": "c7.large.2", "az": "cn-north-4a",
                "login": {"userPassword": {"username": "root", "password": "SECRET"}},
                "extendParam": {"init-node-password": "SECRET", "maxPods": 110},
                "rootVolume": {"size": 40, "volumetype": "SSD"},
                "dataVolumes": [{"size": 100, "volumetype": "SSD"}]}}
        })
    }

    fn node(uid: &str, phase: NodePhase) -> Node {
        Node { phase, ..Node::new(uid.into(), format!("n-{uid}")) }
    }

    fn pool(nodes: Vec<Node>, desired: Option<usize>) -> NodePool {
        NodePool { id: "p".into(), name: "p".into(), nodes, desired, ..NodePool::default() }
    }

    #[test]
    fn a_create_request_keeps_its_spec_less_the_count_and_password() {
        let p = validate_create(body()).unwrap();
        assert_eq!((p.name.as_str(), p.desired), ("pool-a", 2));
        assert_eq!(p.spec["type"], "vm");
        assert!(p.spec.get("initialNodeCount").is_none());
        assert!(!p.spec.to_string().contains("SECRET"));
        assert_eq!(p.spec["nodeTemplate"]["login"]["userPassword"]["username"], "root");
        assert_eq!(p.spec["nodeTemplate"]["extendParam"]["maxPods"], 110);
    }

    #[test]
    fn bad_create_requests_name_their_field() {
        let cases: [(&str, Value, &str); 8] = [
            ("/metadata/name", json!("Bad"), "metadata.name"),
            ("/metadata/name", json!("DefaultPool"), "DefaultPool"),
            ("/metadata/name", json!("a-"), "metadata.name"),
            ("/spec/initialNodeCount", json!(-1), "initialNodeCount"),
            ("/spec/nodeTemplate/flavor", json!(""), "flavor"),
            ("/spec/nodeTemplate/login", json!({}), "login"),
            ("/spec/nodeTemplate/dataVolumes", json!([]), "dataVolumes"),
            ("/kind", json!("Node"), "kind"),
        ];
        for (pointer, value, field) in cases {
            let mut b = body();
            *b.pointer_mut(pointer).unwrap() = value;
            let e = validate_create(b).unwrap_err();
            assert_eq!(e.status(), 400);
            assert!(e.message().contains(field), "{pointer}: {}", e.message());
        }
        assert!(validate_create(json!({"metadata": {"name": "abc"}})).is_err());
    }

    #[test]
    fn updates_and_scales_validate_their_counts() {
        let u = validate_update(json!({"metadata": {"name": "b"}, "spec": {"initialNodeCount": 3,
            "nodeTemplate": {"k8sTags": {"a": "b"}}, "nodeManagementUpdate": {"x": 1}}}))
        .unwrap();
        assert_eq!((u.name.as_deref(), u.desired), (Some("b"), Some(3)));
        assert!(u.spec.contains_key("nodeManagement"));
        let ignored =
            validate_update(json!({"spec": {"initialNodeCount": 3, "ignoreInitialNodeCount": true}}));
        assert_eq!(ignored.unwrap().desired, None);
        assert!(validate_update(json!({"spec": {"initialNodeCount": "3"}})).is_err());
        assert_eq!(
            validate_scale(&json!({"spec": {"desiredNodeCount": 4, "scaleGroups": ["default"]}})).unwrap(),
            4
        );
        for bad in [
            json!({}),
            json!({"spec": {"desiredNodeCount": -2}}),
            json!({"spec": {"desiredNodeCount": 1, "scaleGroups": ["x"]}}),
        ] {
            assert_eq!(validate_scale(&bad).unwrap_err().status(), 400, "{bad}");
        }
    }

    #[test]
    fn merging_a_template_keeps_what_the_update_does_not_name() {
        let mut spec = json!({"nodeTemplate": {"flavor": "f", "az": "a"}, "type": "vm"});
        let update =
            validate_update(json!({"spec": {"nodeTemplate": {"az": "b"}, "autoscaling": {"enable": true}}}))
                .unwrap();
        merge_spec(&mut spec, &update.spec);
        assert_eq!(
            spec,
            json!({"nodeTemplate": {"flavor": "f", "az": "b"}, "type": "vm", "autoscaling": {"enable": true}})
        );
    }

    #[test]
    fn a_plan_converges_the_pool_and_applying_it_twice_changes_nothing_more() {
        let mut p = pool(vec![node("a", NodePhase::Active)], Some(3));
        let plan1 = plan(&p);
        assert_eq!(plan1, Plan { create: 2, remove: vec![] });
        let made = vec![Node::new("b".into(), "n-b".into()), Node::new("c".into(), "n-c".into())];
        let now = crate::clock::Clock::now(&crate::clock::ManualClock::default());
        apply(&mut p, made.clone(), &[], now);
        apply(&mut p, made, &[], now);
        assert_eq!(p.nodes.len(), 3);
        assert!(plan(&p).is_empty());
        // Scaling down removes the newest; a node marked for removal goes whatever the count.
        p.desired = Some(1);
        p.nodes[0].phase = NodePhase::Deleting;
        let down = plan(&p);
        let gone: Vec<&str> = down.remove.iter().map(|n| n.uid.as_str()).collect();
        assert_eq!((down.create, gone), (0, vec!["a", "c"]));
        assert_eq!(counts(&p), (3, 0, 2));
        apply(&mut p, vec![], &down.remove, now);
        assert_eq!(p.nodes.iter().map(|n| n.uid.as_str()).collect::<Vec<_>>(), ["b"]);
        p.deleting = true;
        assert_eq!(plan(&p).remove.len(), 1);
        assert_eq!(phase(&p), "Deleting");
    }

    #[test]
    fn step_keys_change_with_every_commit_and_change() {
        let mut p = pool(vec![node("a", NodePhase::Active)], Some(2));
        let first = step_key("j", &p);
        assert_eq!(first, step_key("j", &p));
        apply(
            &mut p,
            vec![Node::new("b".into(), "n-b".into())],
            &[],
            crate::clock::Clock::now(&crate::clock::ManualClock::default()),
        );
        assert_ne!(first, step_key("j", &p));
        let before = step_key("j", &p);
        p.generation += 1;
        assert_ne!(before, step_key("j", &p));
    }

    #[test]
    fn the_default_pool_wants_what_it_has() {
        let p = pool(vec![node("a", NodePhase::Active), node("b", NodePhase::Deleting)], None);
        assert_eq!(desired(&p), 1);
        assert_eq!(plan(&p), Plan { create: 0, remove: vec![node("b", NodePhase::Deleting)] });
    }
}
