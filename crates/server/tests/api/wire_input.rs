//! The input rules of docs/wire.md §2 on every family: wrong methods (405 with `Allow`), unknown body
//! fields and query parameters (400, nothing written), sets sent as lists (collapsed), and the
//! request id (the server's own, never the client's).

use axum::http::Method;
use serde_json::json;

use crate::{
    clusters::attached,
    harness::{backend_tests, TestApp},
    upgrades::{assert_cce_error, Cce, Flavor},
};

backend_tests! {
    async fn wrong_methods_answer_405_with_allow_in_the_routes_family(app: TestApp) {
        let t = app.tenant("t1").await;
        let r = app.call(Method::PATCH, "/v1/clusters").signed(&t).send().await;
        r.assert_error(405, "UCS.01405001");
        let allow = r.headers["allow"].to_str().unwrap().to_string();
        assert!(allow.contains("GET") && allow.contains("POST") && !allow.contains("PATCH"), "{allow}");
        let r = app.call(Method::DELETE, "/v3/auth/tokens").send().await;
        r.assert_error(405, "UCS.01405001");
        assert!(r.headers["allow"].to_str().unwrap().contains("POST"));
        let path = format!("/api/v3/projects/{}/clusters", t.project_id);
        let r = app.call(Method::PATCH, &path).signed(&t).send().await;
        r.assert_error(405, "CCE.01405001");
        assert!(r.headers["allow"].to_str().unwrap().contains("GET"), "{:?}", r.headers);
        assert!(r.headers.contains_key("x-request-id"));
    }

    async fn the_request_id_is_the_servers_own(app: TestApp) {
        let r = app.get("/healthz").header("x-request-id", "forged-id").send().await;
        let id = r.headers["x-request-id"].to_str().unwrap();
        assert_ne!(id, "forged-id");
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    }

    async fn ucs_bodies_with_unknown_fields_are_refused_and_change_nothing(app: TestApp) {
        let t = app.tenant("t1").await;
        let c = app.register(&t, &attached("a1")).await;
        let before = app.cluster(&t, &c).await;
        let r = app.call(Method::PUT, &format!("/v1/clusters/{c}"))
            .json(&json!({"bogus": [1], "spec": {"nope": true}})).signed(&t).send().await;
        r.assert_error(400, "UCS.01000012");
        assert!(r.body["error_msg"].as_str().unwrap().contains("bogus"), "{}", r.text);
        assert_eq!(app.cluster(&t, &c).await, before);
        let body = json!({"metadata": {"name": "f-one", "junk": 1}, "spec": {"clusterIds": []}});
        app.post("/v1/clustergroups").json(&body).signed(&t).send().await.assert_error(400, "UCS.01000012");
        let r = app.get("/v1/clustergroups").signed(&t).send().await;
        assert_eq!(r.body["total"], 0, "{}", r.text);
        // Unknown query parameters are refused on lists of both families.
        app.get("/v1/clusters?bogus=1").signed(&t).send().await.assert_error(400, "UCS.01000011");
    }

    async fn sets_sent_as_lists_are_collapsed(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.register(&t, &attached("a1")).await;
        let f = app.fleet(&t, "fleet-one", &[&a, &a]).await;
        let r = app.get(&format!("/v1/clusters?clustergroupid={f}")).signed(&t).send().await;
        assert_eq!(r.body["total"], 1, "{}", r.text);
        let b = app.register(&t, &attached("b1")).await;
        let r = app.call(Method::PUT, &format!("/v1/clustergroups/{f}/associatedclusters"))
            .json(&json!({"clusterIds": [b, b]})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.get(&format!("/v1/clusters?clustergroupid={f}")).signed(&t).send().await.body["total"], 2);
        let r = app.call(Method::PUT, &format!("/v1/clustergroups/{f}/associatedzones"))
            .json(&json!({"dnsSuffix": ["a.local", "b.local", "a.local"]})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.fleet_json(&t, &f).await["spec"]["dnsSuffix"], json!(["a.local", "b.local"]));
    }

    async fn cce_bodies_that_break_their_schema_are_refused_and_write_nothing(app: TestApp) {
        let t = app.tenant("t1").await;
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, to) = cce.hop().await;
        let id = cce.available("strict", &from).await;
        // C21: a boolean spec, a boolean pool id, an unknown key: 400, and no task, no job.
        let upgrade = format!("{}/nodepools/DefaultPool/operation/upgrade", cce.cluster(&id));
        for body in [
            json!({"spec": true}),
            json!({"spec": {"nodePoolID": true}}),
            json!({"spec": {"nodePoolID": "DefaultPool"}, "bogus": 1}),
            json!({"spec": {"nodePoolID": "DefaultPool", "nope": {}}}),
            json!({"spec": {"maxUnavailable": -1}}),
        ] {
            let r = cce.post(&upgrade, &body).await;
            assert_cce_error(&r, 400);
        }
        let cluster: domain::ids::CceClusterId = id.parse().unwrap();
        let tasks = app.store.upgrade_task_list(cluster, &[domain::upgrade::task::TaskType::NodePool]).await.unwrap();
        assert!(tasks.is_empty(), "{tasks:?}");
        // A precheck with junk is refused; nothing is stored, so nothing is listed.
        let pre = cce.op(&id, "precheck");
        let spec = json!({"clusterID": id, "clusterVersion": from, "targetVersion": to});
        assert_cce_error(&cce.post(&pre, &json!({"kind": "PreCheckTask", "apiVersion": "v3", "spec": spec, "junk": {"a": 1}})).await, 400);
        let mut junk_spec = spec.clone();
        junk_spec["junk"] = json!({"a": 1});
        assert_cce_error(&cce.post(&pre, &json!({"kind": "PreCheckTask", "apiVersion": "v3", "spec": junk_spec})).await, 400);
        let r = cce.get(&cce.op(&id, "precheck/tasks")).await;
        assert_eq!(r.body["items"], json!([]), "{}", r.text);
        // A precheck's skipped items are recorded as typed: repeats collapse.
        let skipped = json!([{"name": "NodeCheck"}, {"name": "NodeCheck"}]);
        let task = cce.start_precheck(&id, &from, &to, Some(skipped)).await;
        let r = cce.get(&cce.op(&id, &format!("precheck/tasks/{task}"))).await;
        assert_eq!(r.body["spec"]["skippedCheckItemList"], json!([{"name": "NodeCheck"}]), "{}", r.text);
        // Unknown query parameters on a CCE list are refused, as on UCS lists.
        assert_cce_error(&cce.get(&format!("{}?bogus=1", cce.op(&id, "precheck/tasks"))).await, 400);
        assert_cce_error(&cce.get(&format!("{}?bogus=1", cce.clusters())).await, 400);
    }

    // Found by Schemathesis (scripts/schemathesis): serde fills a struct from an array field by
    // field, so `[null, null]` was a valid update (200, as if `{}`), and a nested object could be
    // an array too; and `advanceStatus` took any text where the SDK sends a boolean.
    async fn arrays_where_objects_belong_and_non_booleans_are_refused(app: TestApp) {
        let t = app.tenant("t1").await;
        let c = app.register(&t, &attached("a1")).await;
        let before = app.cluster(&t, &c).await;
        for body in [json!([null, null]), json!({"kind": "Cluster", "apiVersion": "v1", "spec": ["CN", "110000"]})] {
            let r = app.call(Method::PUT, &format!("/v1/clusters/{c}")).json(&body).signed(&t).send().await;
            r.assert_error(400, "UCS.01000012");
            assert!(r.body["error_msg"].as_str().unwrap().contains("expected an object"), "{}", r.text);
        }
        assert_eq!(app.cluster(&t, &c).await, before);

        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, _) = cce.hop().await;
        let id = cce.available("strict", &from).await;
        let shown = cce.show(&id).await;
        for (method, path) in [
            (Method::PUT, cce.cluster(&id)),
            (Method::PUT, format!("{}/nodepools/DefaultPool", cce.cluster(&id))),
        ] {
            assert_cce_error(&cce.send(method.clone(), &path, Some(&json!([null, null]))).await, 400);
            assert_cce_error(&cce.send(method, &path, Some(&json!({"spec": [null]}))).await, 400);
        }
        assert_eq!(cce.show(&id).await, shown, "nothing changed");

        let pools = format!("{}/nodepools", cce.cluster(&id));
        for value in ["AAA", "null", "1"] {
            assert_cce_error(&cce.get(&format!("{pools}?advanceStatus={value}")).await, 400);
        }
        for value in ["true", "false"] {
            let r = cce.get(&format!("{pools}?advanceStatus={value}&showDefaultNodePool=true")).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    }
}
