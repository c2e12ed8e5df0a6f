//! The API references' response examples, key by key: every key path an example shows
//! (`fixtures/seed_keys.json`, under the SDK's spelling) is in ucsd's answer to the same operation, with
//! a value of the same JSON kind. The state is built through the API first, so that every optional part
//! (a CCE-backed cluster in a fleet, a federation, a finished Autopilot upgrade) is there to be shown.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    harness::{backend_tests, TestApp},
    upgrades::{Cce, Flavor},
};

#[derive(Deserialize)]
struct SeedKeys {
    /// `"U01 show_cluster_list"` → key path → JSON kind.
    operations: BTreeMap<String, BTreeMap<String, String>>,
}

fn seed_keys() -> SeedKeys {
    serde_json::from_str(include_str!("fixtures/seed_keys.json")).expect("fixtures/seed_keys.json parses")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The values at `path` (`a.b[].c`; a leading `[]` for a top-level array): one per array element passed.
fn values_at<'v>(root: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut current = vec![root];
    for segment in path.split('.') {
        let (key, each) = match segment.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (segment, false),
        };
        let mut next = Vec::new();
        for v in current {
            let Some(v) = (if key.is_empty() { Some(v) } else { v.get(key) }) else { continue };
            match (each, v) {
                (true, Value::Array(items)) => next.extend(items),
                (true, _) => {}
                (false, v) => next.push(v),
            }
        }
        current = next;
    }
    current
}

/// The paths of `expected` that `answer` lacks, or has with a value of another kind.
fn missing(answer: &Value, expected: &BTreeMap<String, String>) -> Vec<String> {
    expected
        .iter()
        .filter(|(path, want)| !values_at(answer, path).iter().any(|v| kind(v) == want.as_str()))
        .map(|(path, want)| format!("{path} ({want})"))
        .collect()
}

#[test]
fn the_path_walker_steps_into_arrays_and_checks_kinds() {
    let answer = json!({"items": [{"a": {"b": "x"}}, {"a": {"c": 1}}], "total": 2});
    let expected: BTreeMap<String, String> =
        [("items[].a.b", "string"), ("items[].a.c", "number"), ("total", "number")]
            .into_iter()
            .map(|(p, k)| (p.to_string(), k.to_string()))
            .collect();
    assert!(missing(&answer, &expected).is_empty());
    let wrong: BTreeMap<String, String> =
        [("items[].a.b".to_string(), "number".to_string()), ("items[].d".to_string(), "string".to_string())]
            .into();
    assert_eq!(missing(&answer, &wrong), ["items[].a.b (number)", "items[].d (string)"]);
    assert_eq!(values_at(&json!([{"k": true}]), "[].k"), [&json!(true)]);
    assert_eq!(seed_keys().operations.values().map(BTreeMap::len).sum::<usize>(), 260);
}

backend_tests! {
    async fn every_key_of_the_references_examples_is_in_the_answers(app: TestApp) {
        let t = app.tenant("t1").await;
        let mut answers: BTreeMap<&str, Value> = BTreeMap::new();
        // Clusters: a CCE-backed one in a fleet with an attached one; rules; a federation.
        let cce_id = app.cce_cluster(&t, "cce-keys").await;
        let register = json!({"kind": "Cluster", "apiVersion": "v1", "metadata": {"name": "cce-keys", "uid": cce_id},
            "spec": {"category": "self", "type": "cce", "provider": "huaweicloud", "country": "CN", "city": "150900",
                     "manageType": "discrete"}});
        let r = app.post("/v1/clusters").json(&register).signed(&t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        answers.insert("U03 register_cluster", r.body);
        app.await_phase(&t, &cce_id, "Available").await;
        let member = app.available(&t, "a1").await;
        let r = app.post("/v1/clustergroups").json(&json!({"metadata": {"name": "keys-fleet"},
            "spec": {"clusterIds": [cce_id, member], "description": "d"}})).signed(&t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        let fleet = r.body["uid"].as_str().unwrap().to_string();
        answers.insert("U16 register_cluster_group", r.body);
        let r = app.post("/v1/permissions/rules").json(&json!({"metadata": {"name": "readers"},
            "spec": {"iamUserIDs": ["0123456789abcdef0123456789abcdef"], "type": "custom",
                     "contents": [{"verbs": ["get"], "resources": ["pods"]}]}})).signed(&t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        answers.insert("U30 create_rule", r.body);
        let r = app.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        answers.insert("U25 show_federation_progress",
            app.await_progress(&t, &fleet, "CreateFederationContainer", "Success").await);
        let zones = json!({"dnsSuffix": ["www.oidc.com"]});
        let r = app.call(axum::http::Method::PUT, &format!("/v1/clustergroups/{fleet}/associatedzones")).json(&zones).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let connection = json!({"projectID": t.project_id, "vpcID": "11c9fe72-5a90-4295-bcfe-774726fb9066",
            "subnetID": "0de91d89-1e06-4e24-b371-35d5d3d3779b", "duration": 30});
        let r = app.post(&format!("/v1/clustergroups/{fleet}/connection")).json(&connection).signed(&t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        answers.insert("U28 create_federation_connection", r.body);
        for (op, path) in [
            ("U01 show_cluster_list", "/v1/clusters".to_string()),
            ("U02 show_cluster", format!("/v1/clusters/{cce_id}")),
            ("U13 list_managed_clusters", "/v1/managedclusters".to_string()),
            ("U14 list_registered_cluster_versions", "/v1/config/registeredclusterversions".to_string()),
            ("U15 list_cluster_group", "/v1/clustergroups".to_string()),
            ("U17 show_cluster_group", format!("/v1/clustergroups/{fleet}")),
            ("U31 list_rule", "/v1/permissions/rules".to_string()),
        ] {
            let r = app.get(&path).signed(&t).send().await;
            assert_eq!(r.status, 200, "{op}: {}", r.text);
            answers.insert(op, r.body);
        }
        // CCE: a workflow (C06); Autopilot: a workflow whose precheck ran and an upgrade that finished.
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, to) = cce.hop().await;
        let id = cce.available("cce-flow", &from).await;
        assert_eq!(cce.create_workflow(&id, &from, &to).await.status, 201);
        answers.insert("C06 list_upgrade_work_flows", cce.get(&cce.workflows(&id)).await.body);
        let ap = cce.flavor(Flavor::Autopilot);
        let (from, to) = ap.hop().await;
        let id = ap.available("pilot-flow", &from).await;
        let r = ap.create_workflow(&id, &from, &to).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let workflow = r.body["metadata"]["uid"].as_str().unwrap().to_string();
        ap.prechecked(&id, &from, &to).await;
        let task = ap.start_upgrade(&id, &to).await;
        assert_eq!(ap.await_upgrade(&id, &task, &["Success", "Failed"]).await["status"]["phase"], "Success");
        answers.insert("C30 show_autopilot_upgrade_work_flow", ap.workflow(&id, &workflow).await);
        answers.insert("C38 list_autopilot_upgrade_cluster_tasks", ap.get(&ap.op(&id, "upgrade/tasks")).await.body);

        let seeds = seed_keys();
        assert_eq!(answers.keys().collect::<Vec<_>>(), seeds.operations.keys().collect::<Vec<_>>());
        let gaps: Vec<String> = seeds
            .operations
            .iter()
            .flat_map(|(op, paths)| missing(&answers[op.as_str()], paths).into_iter().map(move |p| format!("{op}: {p}")))
            .collect();
        assert!(gaps.is_empty(), "keys of the references' examples missing from the answers:\n{}", gaps.join("\n"));
    }
}
