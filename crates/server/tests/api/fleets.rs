//! Fleets (cluster groups) and membership over HTTP: U11, U12, U15–U20, U22, and quotas (U34).

use axum::http::Method;
use serde_json::{json, Value};
use server::admin::TenantCredentials;

use crate::{
    clusters::attached,
    harness::{backend_tests, TestApp},
};

impl TestApp {
    pub async fn fleet(&self, t: &TenantCredentials, name: &str, clusters: &[&str]) -> String {
        let body = json!({"metadata": {"name": name}, "spec": {"clusterIds": clusters, "description": "d"}});
        let r = self.post("/v1/clustergroups").json(&body).signed(t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["uid"].as_str().unwrap().to_string()
    }

    pub async fn fleet_json(&self, t: &TenantCredentials, id: &str) -> Value {
        let r = self.get(&format!("/v1/clustergroups/{id}")).signed(t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    }
}

backend_tests! {
    async fn a_fleet_is_registered_with_clusters_and_shown(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.register(&t, &attached("a1")).await;
        let id = app.fleet(&t, "prod-fleet", &[&a]).await;
        let f = app.fleet_json(&t, &id).await;
        assert_eq!(f["kind"], "ClusterGroup");
        assert_eq!(f["apiVersion"], "v1");
        assert_eq!(f["metadata"]["uid"], id);
        assert_eq!(f["metadata"]["name"], "prod-fleet");
        assert!(f["metadata"]["creationTimestamp"].as_str().unwrap().ends_with("+0000 UTC"));
        assert_eq!(f["spec"]["description"], "d");
        assert_eq!(f["status"]["conditions"], json!([]));
        let c = app.cluster(&t, &a).await;
        assert_eq!(c["spec"]["clusterGroupID"], id);
        assert_eq!(c["spec"]["manageType"], "grouped");
        let r = app.get(&format!("/v1/clusters?clustergroupid={id}")).signed(&t).send().await;
        assert_eq!(r.body["total"], 1);
        let r = app.get("/v1/clusters?managetype=grouped").signed(&t).send().await;
        assert_eq!(r.body["total"], 1);
    }

    async fn fleet_names_are_unique_and_bad_input_writes_nothing(app: TestApp) {
        let t = app.tenant("t1").await;
        app.fleet(&t, "prod-fleet", &[]).await;
        let r = app.post("/v1/clustergroups").json(&json!({"metadata": {"name": "prod-fleet"}})).signed(&t).send().await;
        r.assert_error(409, "UCS.01100004");
        for bad in [json!({"metadata": {"name": "X"}}), json!({"metadata": {}}), json!({"metadata": {"name": 1}}),
                    json!({"metadata": {"name": "okay-name"}, "spec": {"clusterIds": ["nope"]}}),
                    json!({"metadata": {"name": "okay-name"}, "spec": {"description": "x".repeat(300)}})] {
            let r = app.post("/v1/clustergroups").json(&bad).signed(&t).send().await;
            r.assert_error(400, "UCS.01000012");
        }
        let unknown = json!({"metadata": {"name": "okay-name"}, "spec": {"clusterIds": ["5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"]}});
        app.post("/v1/clustergroups").json(&unknown).signed(&t).send().await.assert_error(400, "UCS.01100007");
        assert_eq!(app.store.fleet_count(t.domain_id.parse().unwrap()).await.unwrap(), 1);
        let r = app.post("/v1/clustergroups").header("content-type", "application/x-www-form-urlencoded")
            .raw_body(b"metadata=name&spec=clusterIds").header("x-sdk-content-sha256", "UNSIGNED-PAYLOAD").signed(&t).send().await;
        r.assert_error(400, "UCS.01000012");
    }

    async fn join_and_leave_move_a_cluster_between_fleets(app: TestApp) {
        let t = app.tenant("t1").await;
        let c = app.register(&t, &attached("a1")).await;
        let f1 = app.fleet(&t, "fleet-one", &[]).await;
        let f2 = app.fleet(&t, "fleet-two", &[]).await;
        // The SDK form-encodes join_group; its flat body arrives intact.
        let r = app.post(&format!("/v1/clusters/{c}/join")).header("content-type", "application/x-www-form-urlencoded")
            .header("x-sdk-content-sha256", "UNSIGNED-PAYLOAD").raw_body(format!("clusterGroupID={f1}").as_bytes())
            .signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.cluster(&t, &c).await["spec"]["clusterGroupID"], f1);
        // In one fleet at a time.
        let r = app.post(&format!("/v1/clusters/{c}/join")).json(&json!({"clusterGroupID": f2})).signed(&t).send().await;
        r.assert_error(400, "UCS.01100002");
        let r = app.post(&format!("/v1/clusters/{c}/unjoin")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let cluster = app.cluster(&t, &c).await;
        assert_eq!(cluster["spec"]["clusterGroupID"], "");
        assert_eq!(cluster["spec"]["manageType"], "discrete");
        app.post(&format!("/v1/clusters/{c}/unjoin")).signed(&t).send().await.assert_error(400, "UCS.01100002");
        let r = app.post(&format!("/v1/clusters/{c}/join")).json(&json!({"clustergroupID": f2})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.post(&format!("/v1/clusters/{c}/join")).json(&json!({"clusterGroupID": "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"})).signed(&t).send().await;
        r.assert_error(404, "UCS.01100005");
        app.post(&format!("/v1/clusters/{c}/join")).json(&json!({})).signed(&t).send().await.assert_error(400, "UCS.01000012");
    }

    async fn associated_clusters_are_added_never_removed_and_validated(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.register(&t, &attached("a1")).await;
        let b = app.register(&t, &attached("b1")).await;
        let f1 = app.fleet(&t, "fleet-one", &[&a]).await;
        let f2 = app.fleet(&t, "fleet-two", &[]).await;
        let r = app.call(Method::PUT, &format!("/v1/clustergroups/{f1}/associatedclusters")).json(&json!({"clusterIds": [b]})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.get(&format!("/v1/clusters?clustergroupid={f1}")).signed(&t).send().await;
        assert_eq!(r.body["total"], 2);
        // An empty list removes nothing.
        app.call(Method::PUT, &format!("/v1/clustergroups/{f1}/associatedclusters")).json(&json!({"clusterIds": []})).signed(&t).send().await;
        assert_eq!(app.get(&format!("/v1/clusters?clustergroupid={f1}")).signed(&t).send().await.body["total"], 2);
        let r = app.call(Method::PUT, &format!("/v1/clustergroups/{f2}/associatedclusters")).json(&json!({"clusterIds": [a]})).signed(&t).send().await;
        r.assert_error(400, "UCS.01100007");
        assert_eq!(app.cluster(&t, &a).await["spec"]["clusterGroupID"], f1);
    }

    async fn a_fleet_never_exceeds_its_cluster_limit_under_concurrent_joins(app: TestApp) {
        let t = app.tenant("t1").await;
        let limit = app.config.quotas.clusters_per_fleet;
        let mut ids = Vec::new();
        for i in 0..limit + 4 {
            ids.push(app.register(&t, &json!({"kind": "Cluster", "apiVersion": "v1", "metadata": {"name": format!("c{i}")},
                "spec": {"category": "onpremise", "type": "baremetal", "provider": "huaweicloud", "country": "CN", "city": "110000", "manageType": "discrete"}})).await);
        }
        let fleet = app.fleet(&t, "big-fleet", &ids[..(limit as usize - 1)].iter().map(String::as_str).collect::<Vec<_>>()).await;
        let calls = ids[(limit as usize - 1)..].iter().map(|c| {
            app.post(&format!("/v1/clusters/{c}/join")).json(&json!({"clusterGroupID": fleet})).signed(&t).send()
        });
        let results = futures::future::join_all(calls).await;
        assert_eq!(results.iter().filter(|r| r.status == 200).count(), 1);
        for r in results.iter().filter(|r| r.status != 200) {
            r.assert_error(400, "UCS.01100006");
        }
        let r = app.get(&format!("/v1/clusters?clustergroupid={fleet}")).signed(&t).send().await;
        assert_eq!(r.body["total"], limit);
    }

    // Registrations that name a fleet check its limit under the tenant lock: racing ones stop exactly
    // at the limit, and the refused ones leave nothing behind.
    async fn concurrent_registrations_into_a_fleet_stop_at_its_limit(app: TestApp) {
        let t = app.tenant("t1").await;
        let limit = app.config.quotas.clusters_per_fleet;
        let mut ids = Vec::new();
        for i in 0..limit - 1 {
            ids.push(app.register(&t, &attached(&format!("c{i}"))).await);
        }
        let fleet = app.fleet(&t, "big-fleet", &ids.iter().map(String::as_str).collect::<Vec<_>>()).await;
        let calls = (0..16).map(|i| {
            let mut body = attached(&format!("race-{i}"));
            body["spec"]["manageType"] = json!("grouped");
            body["spec"]["clusterGroupID"] = json!(fleet);
            app.post("/v1/clusters").json(&body).signed(&t).send()
        });
        let results = futures::future::join_all(calls).await;
        assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1);
        for r in results.iter().filter(|r| r.status != 201) {
            r.assert_error(400, "UCS.01100006");
        }
        let r = app.get(&format!("/v1/clusters?clustergroupid={fleet}")).signed(&t).send().await;
        assert_eq!(r.body["total"], limit, "the fleet is full, not over");
        assert_eq!(app.cluster_count(&t).await, limit, "refused registrations wrote no cluster");
    }

    async fn concurrent_fleet_registrations_never_exceed_the_quota(app: TestApp) {
        let t = app.tenant("t1").await;
        let quota = app.config.quotas.fleets;
        for i in 0..quota - 1 {
            app.fleet(&t, &format!("fleet-{i}"), &[]).await;
        }
        let calls = (0..64).map(|i| app.post("/v1/clustergroups").json(&json!({"metadata": {"name": format!("race-{i}")}})).signed(&t).send());
        let results = futures::future::join_all(calls).await;
        assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1);
        for r in results.iter().filter(|r| r.status != 201) {
            r.assert_error(400, "UCS.01000017");
        }
        assert_eq!(app.store.fleet_count(t.domain_id.parse().unwrap()).await.unwrap(), quota);
    }

    async fn only_an_empty_fleet_can_be_deleted(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.register(&t, &attached("a1")).await;
        let f = app.fleet(&t, "prod-fleet", &[&a]).await;
        app.call(Method::DELETE, &format!("/v1/clustergroups/{f}")).signed(&t).send().await.assert_error(400, "UCS.01100002");
        app.post(&format!("/v1/clusters/{a}/unjoin")).signed(&t).send().await;
        let r = app.call(Method::DELETE, &format!("/v1/clustergroups/{f}")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        app.get(&format!("/v1/clustergroups/{f}")).signed(&t).send().await.assert_error(404, "UCS.01100005");
        app.call(Method::DELETE, &format!("/v1/clustergroups/{f}")).signed(&t).send().await.assert_error(404, "UCS.01100005");
        app.get("/v1/clustergroups/nope").signed(&t).send().await.assert_error(400, "UCS.01000011");
    }

    async fn description_and_zones_are_updated_and_validated(app: TestApp) {
        let t = app.tenant("t1").await;
        let f = app.fleet(&t, "prod-fleet", &[]).await;
        let r = app.call(Method::PUT, &format!("/v1/clustergroups/{f}/description")).json(&json!({"description": "new"})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.call(Method::PUT, &format!("/v1/clustergroups/{f}/associatedzones")).json(&json!({"dnsSuffix": ["example.com"]})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let fleet = app.fleet_json(&t, &f).await;
        assert_eq!(fleet["spec"]["description"], "new");
        assert_eq!(fleet["spec"]["dnsSuffix"], json!(["example.com"]));
        app.call(Method::PUT, &format!("/v1/clustergroups/{f}/associatedzones")).json(&json!({"dnsSuffix": ["bad_domain"]})).signed(&t).send().await.assert_error(400, "UCS.01000012");
        app.call(Method::PUT, &format!("/v1/clustergroups/{f}/description")).json(&json!({"description": 5})).signed(&t).send().await.assert_error(400, "UCS.01000012");
        assert_eq!(app.fleet_json(&t, &f).await["spec"]["dnsSuffix"], json!(["example.com"]));
    }

    async fn the_fleet_list_pages_and_orders(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        for name in ["fleet-a", "fleet-b", "fleet-c"] {
            app.fleet(&t, name, &[]).await;
        }
        app.fleet(&other, "fleet-x", &[]).await;
        let names = |v: &Value| -> Vec<String> { v["items"].as_array().unwrap().iter().map(|i| i["metadata"]["name"].as_str().unwrap().to_string()).collect() };
        let r = app.get("/v1/clustergroups").signed(&t).send().await;
        assert_eq!(r.body["total"], 3);
        assert_eq!(names(&r.body), ["fleet-c", "fleet-b", "fleet-a"]);
        let r = app.get("/v1/clustergroups?order=asc&limit=1&offset=1").signed(&t).send().await;
        assert_eq!(names(&r.body), ["fleet-b"]);
        app.get("/v1/clustergroups?order=sideways").signed(&t).send().await.assert_error(400, "UCS.01000011");
    }

    async fn quotas_report_limits_and_use_as_strings_for_the_own_domain_only(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        app.register(&t, &attached("a1")).await;
        app.fleet(&t, "prod-fleet", &[]).await;
        let r = app.get(&format!("/v1/maintenance/quota/{}", t.domain_id)).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let resources = r.body["quotas"]["resources"].as_array().unwrap();
        let find = |kind: &str| resources.iter().find(|q| q["type"] == kind).unwrap().clone();
        assert_eq!(find("cluster")["quota"], "50");
        assert_eq!(find("cluster")["used"], "1");
        assert_eq!(find("clustergroup")["used"], "1");
        assert_eq!(find("rule")["used"], "0");
        assert_eq!(find("federation")["used"], "0");
        assert_eq!(find("cluster")["min"], "0");
        app.get(&format!("/v1/maintenance/quota/{}", other.domain_id)).signed(&t).send().await.assert_error(404, "UCS.01000013");
    }

    async fn deleting_a_cluster_takes_it_out_of_its_fleet(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.register(&t, &attached("a1")).await;
        let f = app.fleet(&t, "prod-fleet", &[&a]).await;
        assert_eq!(app.call(Method::DELETE, &format!("/v1/clusters/{a}")).signed(&t).send().await.status, 200);
        let r = app.call(Method::DELETE, &format!("/v1/clustergroups/{f}")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}
