//! Permission policies and the Kubernetes RBAC they render, over HTTP: U08, U21, U30–U33 and the
//! `/v1/clusters/{id}/rbac` view.

use axum::http::Method;
use serde_json::{json, Value};
use server::admin::TenantCredentials;

use crate::{
    clusters::attached,
    harness::{backend_tests, TestApp},
};

const ALICE: &str = "0123456789abcdef0123456789abcdef";
const BOB: &str = "fedcba9876543210fedcba9876543210";

impl TestApp {
    pub async fn rule(&self, t: &TenantCredentials, name: &str, users: &[&str]) -> String {
        let body = json!({"metadata": {"name": name}, "spec": {"iamUserIDs": users, "type": "custom",
            "contents": [{"verbs": ["get", "list"], "resources": ["pods"]}], "description": "d"}});
        let r = self.post("/v1/permissions/rules").json(&body).signed(t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["uid"].as_str().unwrap().to_string()
    }

    async fn rbac(&self, t: &TenantCredentials, cluster: &str) -> Vec<Value> {
        let r = self.get(&format!("/v1/clusters/{cluster}/rbac")).signed(t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["kind"], "List");
        r.body["items"].as_array().unwrap().clone()
    }

    async fn attach(
        &self,
        t: &TenantCredentials,
        path: &str,
        rules: &[&str],
        namespaces: &[&str],
    ) -> crate::harness::Response {
        let body = json!({"ruleIDNamespaces": [{"ruleIDs": rules, "namespaces": namespaces}]});
        self.call(Method::PUT, path).json(&body).signed(t).send().await
    }
}

fn kinds(objects: &[Value]) -> Vec<(String, String)> {
    objects
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap().to_string(),
                o["metadata"]["namespace"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

backend_tests! {
    async fn a_rule_is_created_listed_updated_and_deleted(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.rule(&t, "pod-readers", &[ALICE]).await;
        let r = app.get("/v1/permissions/rules").signed(&t).send().await;
        assert_eq!(r.body["total"], 1);
        let rule = &r.body["items"][0];
        assert_eq!(rule["kind"], "Rule");
        assert_eq!(rule["metadata"]["uid"], id);
        assert_eq!(rule["spec"]["iamUserIDs"], json!([ALICE]));
        assert_eq!(rule["spec"]["type"], "custom");
        assert_eq!(rule["spec"]["contents"], json!([{"verbs": ["get", "list"], "resources": ["pods"]}]));
        let r = app.call(Method::PUT, &format!("/v1/permissions/rules/{id}")).json(&json!({"spec": {"iamUserIDs": [ALICE, BOB], "description": "more"}})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["spec"]["iamUserIDs"], json!([ALICE, BOB]));
        assert_eq!(r.body["spec"]["contents"][0]["resources"], json!(["pods"]), "fields not sent stay");
        assert_eq!(app.call(Method::DELETE, &format!("/v1/permissions/rules/{id}")).signed(&t).send().await.status, 200);
        assert_eq!(app.get("/v1/permissions/rules").signed(&t).send().await.body["total"], 0);
        app.call(Method::DELETE, &format!("/v1/permissions/rules/{id}")).signed(&t).send().await.assert_error(404, "UCS.01000013");
    }

    async fn bad_rules_are_refused_and_nothing_is_written(app: TestApp) {
        let t = app.tenant("t1").await;
        let base = || json!({"metadata": {"name": "r1"}, "spec": {"type": "custom", "contents": [{"verbs": ["get"], "resources": ["pods"]}]}});
        let mut cases = Vec::new();
        let mut b = base(); b["spec"]["type"] = json!("superuser"); cases.push(b);
        let mut b = base(); b["spec"]["contents"][0]["verbs"] = json!(["get", "fly"]); cases.push(b);
        let mut b = base(); b["spec"]["contents"] = json!([]); cases.push(b);
        let mut b = base(); b["spec"]["iamUserIDs"] = json!(["not-an-iam-id"]); cases.push(b);
        let mut b = base(); b["metadata"]["name"] = json!("Bad Name"); cases.push(b);
        let mut b = base(); b["spec"]["contents"] = json!("everything"); cases.push(b);
        for body in cases {
            app.post("/v1/permissions/rules").json(&body).signed(&t).send().await.assert_error(400, "UCS.01000012");
        }
        let r = app.post("/v1/permissions/rules").header("content-type", "application/x-www-form-urlencoded")
            .header("x-sdk-content-sha256", "UNSIGNED-PAYLOAD").raw_body(b"metadata=name&spec=iamUserIDs").signed(&t).send().await;
        r.assert_error(400, "UCS.01000012");
        assert!(r.body["error_msg"].as_str().unwrap().contains("Content-Type: application/json"));
        app.post("/v1/permissions/rules").json(&base()).signed(&t).send().await;
        app.post("/v1/permissions/rules").json(&base()).signed(&t).send().await.assert_error(400, "UCS.01000012");
        assert_eq!(app.get("/v1/permissions/rules").signed(&t).send().await.body["total"], 1);
    }

    async fn a_rule_attached_to_a_cluster_renders_a_role_and_bindings_per_namespace(app: TestApp) {
        let t = app.tenant("t1").await;
        let c = app.register(&t, &attached("a1")).await;
        let rule = app.rule(&t, "pod-readers", &[ALICE, BOB]).await;
        assert!(app.rbac(&t, &c).await.is_empty());
        let r = app.attach(&t, &format!("/v1/clusters/{c}/associatedrules"), &[&rule], &["default", "prod"]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let objects = app.rbac(&t, &c).await;
        assert_eq!(kinds(&objects), [("ClusterRole".into(), "".into()), ("RoleBinding".into(), "default".into()), ("RoleBinding".into(), "prod".into())]);
        assert_eq!(objects[0]["apiVersion"], "rbac.authorization.k8s.io/v1");
        assert_eq!(objects[0]["rules"][0]["verbs"], json!(["get", "list"]));
        let subjects: Vec<&str> = objects[1]["subjects"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(subjects.len(), 2);
        assert!(subjects.contains(&ALICE) && subjects.contains(&BOB));
        assert_eq!(objects[1]["roleRef"]["kind"], "ClusterRole");
        // All namespaces: one cluster-wide binding.
        app.attach(&t, &format!("/v1/clusters/{c}/associatedrules"), &[&rule], &["*"]).await;
        assert_eq!(kinds(&app.rbac(&t, &c).await), [("ClusterRole".into(), "".into()), ("ClusterRoleBinding".into(), "".into())]);
        let yaml = app.get(&format!("/v1/clusters/{c}/rbac?format=yaml")).signed(&t).send().await;
        assert!(yaml.text.contains("kind: ClusterRoleBinding"), "{}", yaml.text);
        // Detaching everything renders nothing.
        let r = app.call(Method::PUT, &format!("/v1/clusters/{c}/associatedrules")).json(&json!({"ruleIDNamespaces": []})).signed(&t).send().await;
        assert_eq!(r.status, 200);
        assert!(app.rbac(&t, &c).await.is_empty());
    }

    async fn fleet_rules_reach_every_member_and_follow_membership(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.register(&t, &attached("a1")).await;
        let b = app.register(&t, &attached("b1")).await;
        let fleet = app.fleet(&t, "prod-fleet", &[&a]).await;
        let rule = app.rule(&t, "fleet-readers", &[ALICE]).await;
        let r = app.attach(&t, &format!("/v1/clustergroups/{fleet}/associatedrules"), &[&rule], &["team"]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.rbac(&t, &a).await.len(), 2);
        assert!(app.rbac(&t, &b).await.is_empty());
        app.post(&format!("/v1/clusters/{b}/join")).json(&json!({"clusterGroupID": fleet})).signed(&t).send().await;
        assert_eq!(app.rbac(&t, &b).await.len(), 2, "a joining cluster gets the fleet's rules");
        // Fleet and cluster attachments of one rule merge their namespaces.
        app.attach(&t, &format!("/v1/clusters/{b}/associatedrules"), &[&rule], &["ops"]).await;
        let namespaces: Vec<String> = kinds(&app.rbac(&t, &b).await).into_iter().filter(|k| k.0 == "RoleBinding").map(|k| k.1).collect();
        assert_eq!(namespaces, ["ops", "team"]);
        app.post(&format!("/v1/clusters/{a}/unjoin")).signed(&t).send().await;
        assert!(app.rbac(&t, &a).await.is_empty(), "a leaving cluster loses them");
    }

    async fn changing_or_deleting_a_rule_renders_its_clusters_again(app: TestApp) {
        let t = app.tenant("t1").await;
        let c = app.register(&t, &attached("a1")).await;
        let rule = app.rule(&t, "pod-readers", &[ALICE, BOB]).await;
        app.attach(&t, &format!("/v1/clusters/{c}/associatedrules"), &[&rule], &["default"]).await;
        app.call(Method::PUT, &format!("/v1/permissions/rules/{rule}")).json(&json!({"spec": {"iamUserIDs": [BOB]}})).signed(&t).send().await;
        let objects = app.rbac(&t, &c).await;
        assert_eq!(objects[1]["subjects"], json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": BOB}]));
        app.call(Method::PUT, &format!("/v1/permissions/rules/{rule}")).json(&json!({"spec": {"iamUserIDs": []}})).signed(&t).send().await;
        assert!(app.rbac(&t, &c).await.is_empty(), "a rule without users grants nothing");
        app.call(Method::PUT, &format!("/v1/permissions/rules/{rule}")).json(&json!({"spec": {"iamUserIDs": [ALICE]}})).signed(&t).send().await;
        assert_eq!(app.rbac(&t, &c).await.len(), 2);
        assert_eq!(app.call(Method::DELETE, &format!("/v1/permissions/rules/{rule}")).signed(&t).send().await.status, 200);
        assert!(app.rbac(&t, &c).await.is_empty(), "deleting a rule detaches it");
    }

    async fn cluster_and_fleet_reads_show_the_rules_bound_to_them(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.register(&t, &attached("a1")).await;
        let b = app.register(&t, &attached("b1")).await;
        let fleet = app.fleet(&t, "prod-fleet", &[&a]).await;
        let readers = app.rule(&t, "readers", &[ALICE]).await;
        let admins = app.rule(&t, "admins", &[BOB]).await;
        let info = |id: &str, name: &str| json!({"ruleID": id, "ruleName": name});
        assert_eq!(app.cluster(&t, &a).await["spec"]["ruleNamespaces"], json!([]));
        assert_eq!(app.fleet_json(&t, &fleet).await["spec"]["ruleNamespaces"], json!([]));
        // U08 on b: two rules in the same namespaces share an entry.
        let body = json!({"ruleIDNamespaces": [{"ruleIDs": [readers, admins], "namespaces": ["prod", "default"]}]});
        let r = app.call(Method::PUT, &format!("/v1/clusters/{b}/associatedrules")).json(&body).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let expected = json!([{"rules": [info(&admins, "admins"), info(&readers, "readers")], "namespaces": ["default", "prod"]}]);
        assert_eq!(app.cluster(&t, &b).await["spec"]["ruleNamespaces"], expected);
        // U21 on the fleet: its namespaces, and its members (a) see the rule.
        app.attach(&t, &format!("/v1/clustergroups/{fleet}/associatedrules"), &[&readers], &["team", "ops"]).await;
        assert_eq!(app.fleet_json(&t, &fleet).await["spec"]["ruleNamespaces"], json!(["ops", "team"]));
        let list = app.get("/v1/clustergroups").signed(&t).send().await;
        assert_eq!(list.body["items"][0]["spec"]["ruleNamespaces"], json!(["ops", "team"]));
        assert_eq!(app.cluster(&t, &a).await["spec"]["ruleNamespaces"], json!([{"rules": [info(&readers, "readers")], "namespaces": ["ops", "team"]}]));
        // b joins: the fleet's binding of `readers` adds to its own, in one list read.
        app.post(&format!("/v1/clusters/{b}/join")).json(&json!({"clusterGroupID": fleet})).signed(&t).send().await;
        let list = app.get("/v1/clusters").signed(&t).send().await;
        let of = |id: &str| list.body["items"].as_array().unwrap().iter().find(|c| c["metadata"]["uid"] == id).unwrap()["spec"]["ruleNamespaces"].clone();
        assert_eq!(of(&b), json!([
            {"rules": [info(&readers, "readers")], "namespaces": ["default", "ops", "prod", "team"]},
            {"rules": [info(&admins, "admins")], "namespaces": ["default", "prod"]},
        ]));
        assert_eq!(of(&a), app.cluster(&t, &a).await["spec"]["ruleNamespaces"]);
        // a leaves: it loses the fleet's rule; the fleet keeps its namespaces.
        app.post(&format!("/v1/clusters/{a}/unjoin")).signed(&t).send().await;
        assert_eq!(app.cluster(&t, &a).await["spec"]["ruleNamespaces"], json!([]));
        // Detaching from the fleet, then deleting a rule: both reads follow at once.
        app.call(Method::PUT, &format!("/v1/clustergroups/{fleet}/associatedrules")).json(&json!({"ruleIDNamespaces": []})).signed(&t).send().await;
        assert_eq!(app.fleet_json(&t, &fleet).await["spec"]["ruleNamespaces"], json!([]));
        assert_eq!(app.cluster(&t, &b).await["spec"]["ruleNamespaces"], expected);
        app.call(Method::DELETE, &format!("/v1/permissions/rules/{admins}")).signed(&t).send().await;
        assert_eq!(app.cluster(&t, &b).await["spec"]["ruleNamespaces"], json!([{"rules": [info(&readers, "readers")], "namespaces": ["default", "prod"]}]));
        app.call(Method::PUT, &format!("/v1/clusters/{b}/associatedrules")).json(&json!({"ruleIDNamespaces": [{"ruleIDs": [readers], "namespaces": ["*"]}]})).signed(&t).send().await;
        assert_eq!(app.cluster(&t, &b).await["spec"]["ruleNamespaces"], json!([{"rules": [info(&readers, "readers")], "namespaces": ["*"]}]));
    }

    async fn attachments_must_name_the_tenants_rules(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        let c = app.register(&t, &attached("a1")).await;
        let theirs = app.rule(&other, "their-rule", &[ALICE]).await;
        let r = app.attach(&t, &format!("/v1/clusters/{c}/associatedrules"), &[&theirs], &["default"]).await;
        r.assert_error(400, "UCS.01100003");
        let r = app.attach(&t, &format!("/v1/clusters/{c}/associatedrules"), &["nope"], &["default"]).await;
        r.assert_error(400, "UCS.01000012");
        let mine = app.rule(&t, "mine", &[ALICE]).await;
        let r = app.attach(&t, &format!("/v1/clusters/{c}/associatedrules"), &[&mine], &["Bad_NS"]).await;
        r.assert_error(400, "UCS.01000012");
        assert!(app.rbac(&t, &c).await.is_empty());
    }

    async fn concurrent_rule_creation_never_exceeds_the_quota(app: TestApp) {
        let t = app.tenant("t1").await;
        let quota = app.config.quotas.rules;
        for i in 0..quota - 1 {
            app.rule(&t, &format!("rule-{i}"), &[]).await;
        }
        let calls = (0..64).map(|i| {
            let body = json!({"metadata": {"name": format!("race-{i}")}, "spec": {"type": "readonly"}});
            app.post("/v1/permissions/rules").json(&body).signed(&t).send()
        });
        let results = futures::future::join_all(calls).await;
        assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1);
        for r in results.iter().filter(|r| r.status != 201) {
            r.assert_error(400, "UCS.01000017");
        }
        assert_eq!(app.get("/v1/permissions/rules").signed(&t).send().await.body["total"], quota);
    }
}
