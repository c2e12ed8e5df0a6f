//! Node pools and nodes of a CCE cluster: validation of the create, update and scale requests, and
//! what a pool's job has to do to converge it (its plan) and what doing it changes. A pool converges
//! when it is not being deleted, has `desired` running nodes and no node waiting to be removed.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::{
    cce::{recorded, Node, NodePhase, NodePool, DEFAULT_POOL},
    cce_wire,
    error::{Error, Result},
    wire_rules::{check_kind, required},
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

/// The most nodes a pool may be asked to have (its quota is usually far lower).
pub const MAX_NODES: i64 = 10_000;

/// A node count of a request: 0 to [`MAX_NODES`].
fn node_count(value: i64, field: &str) -> Result<usize> {
    usize::try_from(value).ok().filter(|_| value <= MAX_NODES).ok_or_else(|| {
        Error::invalid_body(format!("{field} must be an integer from 0 to {MAX_NODES}, not {value}"))
    })
}

/// Validates the node template of a create request: what every node of the pool is made from.
fn check_template(template: Option<&cce_wire::NodeTemplate>) -> Result<()> {
    let template =
        template.ok_or_else(|| Error::invalid_body("spec.nodeTemplate is required and must be an object"))?;
    required(template.flavor.as_deref(), "spec.nodeTemplate.flavor")?;
    required(template.az.as_deref(), "spec.nodeTemplate.az")?;
    let login = template.login.as_ref();
    let has_login = login.and_then(|l| l.ssh_key.as_deref()).is_some_and(|k| !k.is_empty())
        || login.is_some_and(|l| l.user_password.is_some());
    if !has_login {
        return Err(Error::invalid_body("spec.nodeTemplate.login needs sshKey or userPassword"));
    }
    if template.root_volume.is_none() {
        return Err(Error::invalid_body("spec.nodeTemplate.rootVolume is required"));
    }
    if template.data_volumes.as_ref().is_none_or(Vec::is_empty) {
        return Err(Error::invalid_body("spec.nodeTemplate.dataVolumes must name at least one volume"));
    }
    Ok(())
}

/// Validates `POST …/nodepools`. What the pool keeps of `spec` is the typed value written back, so
/// the passwords (the login's, the initial one of `extendParam`) are never kept: the wire types do
/// not serialize them (CCE never returns them either).
pub fn validate_create(body: cce_wire::NodePool) -> Result<NewNodePool> {
    check_kind(body.kind.as_deref(), "NodePool", body.api_version.as_deref(), &["v3"])?;
    let name = required(body.metadata.as_ref().and_then(|m| m.name.as_deref()), "metadata.name")?;
    validate_name(name)?;
    let name = name.to_string();
    let mut spec = body.spec.ok_or_else(|| Error::invalid_body("spec is required"))?;
    let desired = node_count(spec.initial_node_count.take().unwrap_or(0), "spec.initialNodeCount")?;
    check_template(spec.node_template.as_ref())?;
    spec.r#type.get_or_insert_with(|| "vm".to_string());
    Ok(NewNodePool { name, spec: recorded(&spec), desired })
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
pub fn validate_update(body: cce_wire::NodePoolUpdate) -> Result<NodePoolUpdate> {
    let name = body.metadata.and_then(|m| m.name);
    if let Some(name) = &name {
        validate_name(name)?;
    }
    let mut spec = body.spec.unwrap_or_default();
    if let Some(template) = &spec.node_template {
        // What every node is made from may change, but not to nothing.
        for (field, value) in [("flavor", &template.flavor), ("az", &template.az)] {
            if let Some(value) = value {
                required(Some(value), &format!("spec.nodeTemplate.{field}"))?;
            }
        }
    }
    let ignore = spec.ignore_initial_node_count.take().unwrap_or(false);
    let desired = match spec.initial_node_count.take() {
        Some(n) if !ignore => Some(node_count(n, "spec.initialNodeCount")?),
        _ => None,
    };
    if spec.node_template.as_ref().and_then(|t| t.data_volumes_update.as_ref()).is_some_and(Vec::is_empty) {
        return Err(Error::invalid_body("spec.nodeTemplate.dataVolumesUpdate must name at least one volume"));
    }
    let Value::Object(mut spec) = recorded(&spec) else { unreachable!("a struct serializes to an object") };
    // The SDK names some of what an update changes apart from what the pool keeps: the update's
    // `nodeManagementUpdate` is the pool's `nodeManagement`, its template's `rootVolumeUpdate` and
    // `dataVolumesUpdate` the template's `rootVolume` and `dataVolumes`.
    rename(&mut spec, "nodeManagementUpdate", "nodeManagement");
    if let Some(Value::Object(template)) = spec.get_mut("nodeTemplate") {
        rename(template, "rootVolumeUpdate", "rootVolume");
        rename(template, "dataVolumesUpdate", "dataVolumes");
    }
    Ok(NodePoolUpdate { name, spec, desired })
}

fn rename(fields: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(value) = fields.remove(from) {
        fields.insert(to.into(), value);
    }
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
pub fn validate_scale(body: &cce_wire::ScaleNodePoolRequestBody) -> Result<usize> {
    check_kind(body.kind.as_deref(), "NodePool", body.api_version.as_deref(), &["v3"])?;
    let spec = body.spec.as_ref().ok_or_else(|| Error::invalid_body("spec is required"))?;
    if spec.scale_groups.as_ref().is_some_and(|groups| groups.iter().any(|g| g != "default")) {
        return Err(Error::invalid_body("spec.scaleGroups may only name the pool's default scale group"));
    }
    let count =
        spec.desired_node_count.ok_or_else(|| Error::invalid_body("spec.desiredNodeCount is required"))?;
    node_count(count, "spec.desiredNodeCount")
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

    fn parse<T: serde::de::DeserializeOwned>(body: Value) -> T {
        serde_json::from_value(body).expect("a body of the model")
    }

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
        let p = validate_create(parse(body())).unwrap();
        assert_eq!((p.name.as_str(), p.desired), ("pool-a", 2));
        assert_eq!(p.spec["type"], "vm");
        assert!(p.spec.get("initialNodeCount").is_none());
        assert!(!p.spec.to_string().contains("SECRET"));
        assert_eq!(p.spec["nodeTemplate"]["login"]["userPassword"]["username"], "root");
        assert_eq!(p.spec["nodeTemplate"]["extendParam"]["maxPods"], 110);
    }

    #[test]
    fn bad_create_requests_name_their_field() {
        let cases: [(&str, Value, &str); 7] = [
            ("/metadata/name", json!("Bad"), "metadata.name"),
            ("/metadata/name", json!("DefaultPool"), "DefaultPool"),
            ("/metadata/name", json!("a-"), "metadata.name"),
            ("/spec/nodeTemplate/flavor", json!(""), "flavor"),
            ("/spec/nodeTemplate/login", json!({}), "login"),
            ("/spec/nodeTemplate/dataVolumes", json!([]), "dataVolumes"),
            ("/kind", json!("Node"), "kind"),
        ];
        for (pointer, value, field) in cases {
            let mut b = body();
            *b.pointer_mut(pointer).unwrap() = value;
            let e = validate_create(parse(b)).unwrap_err();
            assert_eq!(e.status(), 400);
            assert!(e.message().contains(field), "{pointer}: {}", e.message());
        }
        assert!(validate_create(parse(json!({"metadata": {"name": "abc"}}))).is_err());
        let mut negative = body();
        negative["spec"]["initialNodeCount"] = json!(-1);
        assert!(validate_create(parse(negative)).unwrap_err().message().contains("initialNodeCount"));
    }

    #[test]
    fn updates_and_scales_validate_their_counts() {
        let u = validate_update(parse(json!({"metadata": {"name": "b"}, "spec": {"initialNodeCount": 3,
            "nodeTemplate": {"k8sTags": {"a": "b"}}, "nodeManagementUpdate": {}}})))
        .unwrap();
        assert_eq!((u.name.as_deref(), u.desired), (Some("b"), Some(3)));
        assert!(u.spec.contains_key("nodeManagement"));
        let volumes = validate_update(parse(json!({"spec": {"nodeTemplate": {
            "rootVolumeUpdate": {"size": 50}, "dataVolumesUpdate": [{"size": 200}]}}})))
        .unwrap();
        assert_eq!(
            volumes.spec["nodeTemplate"],
            json!({"rootVolume": {"size": 50}, "dataVolumes": [{"size": 200}]})
        );
        assert!(validate_update(parse(json!({"spec": {"nodeTemplate": {"dataVolumesUpdate": []}}}))).is_err());
        let ignored =
            validate_update(parse(json!({"spec": {"initialNodeCount": 3, "ignoreInitialNodeCount": true}})));
        assert_eq!(ignored.unwrap().desired, None);
        for field in ["flavor", "az"] {
            let blank = json!({"spec": {"nodeTemplate": {field: " "}}});
            assert!(validate_update(parse(blank)).unwrap_err().message().contains(field));
        }
        assert!(serde_json::from_value::<cce_wire::NodePoolUpdate>(
            json!({"spec": {"initialNodeCount": "3"}})
        )
        .is_err());
        assert_eq!(
            validate_scale(&parse(json!({"spec": {"desiredNodeCount": 4, "scaleGroups": ["default"]}})))
                .unwrap(),
            4
        );
        for bad in [
            json!({}),
            json!({"spec": {"desiredNodeCount": -2}}),
            json!({"spec": {"desiredNodeCount": 1, "scaleGroups": ["x"]}}),
        ] {
            assert_eq!(validate_scale(&parse(bad.clone())).unwrap_err().status(), 400, "{bad}");
        }
    }

    #[test]
    fn merging_a_template_keeps_what_the_update_does_not_name() {
        let mut spec = json!({"nodeTemplate": {"flavor": "f", "az": "a"}, "type": "vm"});
        let update = validate_update(parse(
            json!({"spec": {"nodeTemplate": {"az": "b"}, "autoscaling": {"enable": true}}}),
        ))
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
