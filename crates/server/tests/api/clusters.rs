//! UCS clusters over HTTP: U01–U07, U09, U10, U13, U14.

use axum::http::Method;
use serde_json::{json, Value};
use server::admin::TenantCredentials;

use crate::{
    harness::{backend_tests, TestApp},
    upgrades::{Cce, Flavor},
};

pub const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: member
  cluster:
    server: https://10.1.2.3:6443
contexts:
- name: member
  context:
    cluster: member
    user: admin
users:
- name: admin
  user:
    token: very-secret-member-token
current-context: member
";

pub fn attached(name: &str) -> Value {
    json!({
        "kind": "Cluster",
        "apiVersion": "v1",
        "metadata": { "name": name, "labels": { "env": "test" }, "annotations": { "kubeconfig": KUBECONFIG, "team": "a" } },
        "spec": { "category": "attachedcluster", "type": "eks", "provider": "aws", "country": "CN", "city": "110000",
                  "manageType": "discrete" },
    })
}

/// The registration of the tenant's CCE cluster `name` (created with [`TestApp::cce_cluster`]).
fn cce(name: &str) -> Value {
    json!({
        "kind": "Cluster", "apiVersion": "v1", "metadata": { "name": name },
        "spec": { "category": "self", "type": "cce", "provider": "huaweicloud", "country": "CN", "city": "110000",
                  "region": "cn-north-4", "manageType": "discrete" },
    })
}

fn onpremise(name: &str) -> Value {
    json!({
        "kind": "Cluster", "apiVersion": "v1", "metadata": { "name": name },
        "spec": { "category": "onpremise", "type": "baremetal", "provider": "huaweicloud", "country": "DE",
                  "manageType": "discrete" },
    })
}

impl TestApp {
    /// A CCE cluster of the tenant, made through the CCE API and Available; its id.
    pub async fn cce_cluster(&self, t: &TenantCredentials, name: &str) -> String {
        let cce = Cce::new(self, t, Flavor::Cce);
        let id = cce.create_cluster(name, None).await["metadata"]["uid"].as_str().unwrap().to_string();
        cce.await_cluster(&id, "Available").await;
        id
    }

    pub async fn register(&self, t: &TenantCredentials, body: &Value) -> String {
        let r = self.post("/v1/clusters").json(body).signed(t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["uid"].as_str().unwrap().to_string()
    }

    pub async fn cluster(&self, t: &TenantCredentials, id: &str) -> Value {
        let r = self.get(&format!("/v1/clusters/{id}")).signed(t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    }

    /// The cluster once its activation job has run, which must have brought it to `phase`.
    pub async fn await_phase(&self, t: &TenantCredentials, id: &str, phase: &str) -> Value {
        self.eventually(&format!("cluster {id} {phase}"), async || {
            let c = self.cluster(t, id).await;
            if c["status"]["phase"] == phase {
                Ok(c)
            } else {
                Err(c.to_string())
            }
        })
        .await
    }

    pub async fn cluster_count(&self, t: &TenantCredentials) -> i64 {
        self.store.cluster_count(t.domain_id.parse().unwrap()).await.unwrap()
    }
}

backend_tests! {
    async fn register_returns_201_with_the_uid_and_the_cluster_activates(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.register(&t, &attached("prod-1")).await;
        let c = app.cluster(&t, &id).await;
        assert_eq!(c["kind"], "Cluster");
        assert_eq!(c["apiVersion"], "v1");
        assert_eq!(c["metadata"]["uid"], id);
        assert_eq!(c["metadata"]["name"], "prod-1");
        assert_eq!(c["metadata"]["labels"], json!({"env": "test"}));
        assert_eq!(c["metadata"]["annotations"], json!({"team": "a"}));
        assert_eq!(c["spec"]["category"], "attachedcluster");
        assert_eq!(c["spec"]["type"], "eks");
        assert_eq!(c["spec"]["manageType"], "discrete");
        assert_eq!(c["spec"]["apiEndpoint"], "https://10.1.2.3:6443");
        assert_eq!(c["spec"]["IsDownloadedCert"], false);
        assert!(c["metadata"]["creationTimestamp"].as_str().unwrap().ends_with('Z'));
        let c = app.await_phase(&t, &id, "Available").await;
        assert_eq!(c["status"]["kubernetesVersion"], "v1.28");
        assert_eq!(c["status"]["conditions"][0]["status"], "True");
        // Accepted and refused, a registration is audited under its route's one action.
        let r = app.post("/v1/clusters").json(&json!({"kind": "Cluster"})).signed(&t).send().await;
        assert_eq!(r.status, 400, "{}", r.text);
        let events = app.store.audit_list(t.domain_id.parse().unwrap(), 10).await.unwrap();
        assert!(events.iter().any(|e| e.action == "ucs:cluster:create" && e.resource_id.as_deref() == Some(id.as_str())));
        assert!(events.iter().any(|e| e.action == "ucs:cluster:create" && e.outcome == r.error_code()), "{events:?}");
    }

    async fn no_read_ever_returns_the_kubeconfig(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.register(&t, &attached("prod-1")).await;
        app.await_phase(&t, &id, "Available").await;
        for path in [format!("/v1/clusters/{id}"), "/v1/clusters".to_string(), "/v1/managedclusters".into()] {
            let r = app.get(&path).signed(&t).send().await;
            assert_eq!(r.status, 200);
            assert!(!r.text.contains("very-secret-member-token") && !r.text.contains("kubeconfig"), "{path}: {}", r.text);
        }
        let sealed = app.store.cluster_kubeconfig_sealed(t.domain_id.parse().unwrap(), id.parse().unwrap()).await.unwrap();
        assert!(!sealed.unwrap().contains("very-secret-member-token"), "stored sealed");
    }

    async fn bad_registrations_get_their_codes_and_write_nothing(app: TestApp) {
        let t = app.tenant("t1").await;
        let mut cases: Vec<(Value, u16, &str)> = Vec::new();
        let mut body = attached("x"); body["spec"]["category"] = json!("edge");
        cases.push((body, 400, "UCS.01030011"));
        let mut body = attached("x"); body["spec"]["provider"] = json!("azure");
        cases.push((body, 400, "UCS.01000012"));
        let mut body = attached("x"); body["metadata"]["annotations"] = json!({});
        cases.push((body, 400, "UCS.01030008"));
        let mut body = attached("x"); body["metadata"]["annotations"]["kubeconfig"] = json!("clusters: [oops");
        cases.push((body, 400, "UCS.01030008"));
        let mut body = attached("x"); body["metadata"]["name"] = json!("Bad_Name");
        cases.push((body, 400, "UCS.01000012"));
        let mut body = attached("x"); body["metadata"]["name"] = json!("a".repeat(300));
        cases.push((body, 400, "UCS.01000012"));
        let mut body = attached("x"); body["metadata"]["name"] = json!(5);
        cases.push((body, 400, "UCS.01000012"));
        let mut body = attached("x"); body["kind"] = json!("Fleet");
        cases.push((body, 400, "UCS.01000012"));
        let mut body = attached("x"); body["spec"]["city"] = json!("999999");
        cases.push((body, 400, "UCS.01000012"));
        let mut body = attached("x"); body["spec"]["manageType"] = json!("all");
        cases.push((body, 400, "UCS.01000012"));
        let mut body = attached("x"); body["spec"]["manageType"] = json!("grouped");
        cases.push((body, 400, "UCS.01000012"));
        let mut body = attached("x"); body["spec"]["manageType"] = json!("grouped");
        body["spec"]["clusterGroupID"] = json!("5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b");
        cases.push((body, 404, "UCS.01100005"));
        let mut body = attached("x"); body["spec"].as_object_mut().unwrap().remove("country");
        cases.push((body, 400, "UCS.01000012"));
        for (body, status, code) in cases {
            let r = app.post("/v1/clusters").json(&body).signed(&t).send().await;
            r.assert_error(status, code);
        }
        let r = app.post("/v1/clusters").raw_body(b"{\"kind\":").signed(&t).send().await;
        r.assert_error(400, "UCS.01000012");
        assert_eq!(app.cluster_count(&t).await, 0);
    }

    async fn a_form_encoded_registration_is_refused_with_the_json_hint(app: TestApp) {
        let t = app.tenant("t1").await;
        let form = b"kind=Cluster&apiVersion=v1&metadata=name&metadata=annotations&spec=category";
        let r = app.post("/v1/clusters").header("content-type", "application/x-www-form-urlencoded")
            .header("x-sdk-content-sha256", "UNSIGNED-PAYLOAD").raw_body(form).signed(&t).send().await;
        r.assert_error(400, "UCS.01000012");
        assert!(r.body["error_msg"].as_str().unwrap().contains("Content-Type: application/json"), "{}", r.text);
        assert_eq!(app.cluster_count(&t).await, 0);
    }

    async fn register_returns_409_when_the_name_is_taken_in_the_tenant(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        app.register(&t, &attached("prod-1")).await;
        let r = app.post("/v1/clusters").json(&attached("prod-1")).signed(&t).send().await;
        r.assert_error(409, "UCS.01030003");
        // Names are per tenant.
        app.register(&other, &attached("prod-1")).await;
        assert_eq!(app.cluster_count(&t).await, 1);
    }

    async fn concurrent_registrations_never_exceed_the_quota(app: TestApp) {
        let t = app.tenant("t1").await;
        let quota = app.config.quotas.clusters;
        for i in 0..quota - 1 {
            app.register(&t, &onpremise(&format!("c{i}"))).await;
        }
        let calls = (0..64).map(|i| app.post("/v1/clusters").json(&onpremise(&format!("race{i}"))).signed(&t).send());
        let results = futures::future::join_all(calls).await;
        let created = results.iter().filter(|r| r.status == 201).count();
        assert_eq!(created, 1, "exactly one registration fits");
        for r in results.iter().filter(|r| r.status != 201) {
            r.assert_error(400, "UCS.01000017");
        }
        assert_eq!(app.cluster_count(&t).await, quota);
    }

    async fn the_list_honours_every_filter_and_page(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        let a = app.register(&t, &attached("a1")).await;
        app.cce_cluster(&t, "cce-b1").await;
        let b = app.register(&t, &cce("cce-b1")).await;
        let c = app.register(&t, &onpremise("c1")).await;
        app.register(&other, &attached("x1")).await;
        let names = |r: &crate::harness::Response| -> Vec<String> {
            r.body["items"].as_array().unwrap().iter().map(|i| i["metadata"]["name"].as_str().unwrap().to_string()).collect()
        };
        let r = app.get("/v1/clusters").signed(&t).send().await;
        assert_eq!(r.body["total"], 3);
        assert_eq!(names(&r), ["c1", "cce-b1", "a1"], "newest first by default");
        let r = app.get("/v1/clusters?order=asc&order_by=create_at").signed(&t).send().await;
        assert_eq!(names(&r), ["a1", "cce-b1", "c1"]);
        let r = app.get("/v1/clusters?category=self").signed(&t).send().await;
        assert_eq!(names(&r), ["cce-b1"]);
        assert_eq!(r.body["total"], 1);
        let r = app.get("/v1/clusters?limit=1&offset=1&order=asc").signed(&t).send().await;
        assert_eq!(names(&r), ["cce-b1"]);
        assert_eq!(r.body["total"], 3);
        let r = app.get(&format!("/v1/clusters?clusterids={a},{c}&order=asc")).signed(&t).send().await;
        assert_eq!(names(&r), ["a1", "c1"]);
        let r = app.get("/v1/clusters?managetype=grouped").signed(&t).send().await;
        assert_eq!(r.body["total"], 0);
        let r = app.get("/v1/clusters?managetype=discrete&enablestatus=false").signed(&t).send().await;
        assert_eq!(r.body["total"], 3);
        assert!(r.body["items"][0].get("status").is_none());
        let r = app.get("/v1/clusters?enablestatus=true").signed(&t).send().await;
        assert!(r.body["items"][0].get("status").is_some());
        let r = app.get(&format!("/v1/clusters?clusterids={b}&order_by=update_at")).signed(&t).send().await;
        assert_eq!(names(&r), ["cce-b1"]);
        for bad in ["limit=abc", "limit=-2", "offset=-1", "order=up", "order_by=name", "category=edge",
                    "managetype=some", "clustergroupid=nope", "clusterids=nope", "enablestatus=maybe", "bogus=1"] {
            let r = app.get(&format!("/v1/clusters?{bad}")).signed(&t).send().await;
            r.assert_error(400, "UCS.01000011");
        }
    }

    async fn a_cluster_belongs_to_a_project_of_the_tenant(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        // None named: the tenant's project of the cluster's region (ucsd's, when it names none).
        let id = app.register(&t, &attached("a1")).await;
        let spec = &app.cluster(&t, &id).await["spec"];
        assert_eq!(spec["projectID"], t.project_id);
        assert_eq!(spec["projectName"], app.config.region);
        assert_eq!(spec["operatorNamespace"], t.domain_id);
        let mut named = attached("a2");
        named["spec"]["projectID"] = json!(t.project_id);
        let id = app.register(&t, &named).await;
        assert_eq!(app.cluster(&t, &id).await["spec"]["projectID"], t.project_id);
        // Another tenant's project is refused; a region the tenant has no project in leaves it empty.
        named["metadata"]["name"] = json!("a3");
        named["spec"]["projectID"] = json!(other.project_id);
        app.post("/v1/clusters").json(&named).signed(&t).send().await.assert_error(400, "UCS.01000012");
        let mut elsewhere = attached("a4");
        elsewhere["spec"]["region"] = json!("eu-west-0");
        let id = app.register(&t, &elsewhere).await;
        let spec = &app.cluster(&t, &id).await["spec"];
        assert_eq!((&spec["projectID"], &spec["projectName"]), (&json!(""), &json!("")));
    }

    async fn another_tenants_cluster_is_404_on_every_route(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        let id = app.register(&other, &attached("theirs")).await;
        for (method, path) in [
            (Method::GET, format!("/v1/clusters/{id}")),
            (Method::PUT, format!("/v1/clusters/{id}")),
            (Method::DELETE, format!("/v1/clusters/{id}")),
            (Method::GET, format!("/v1/clusters/{id}/accessinfo")),
            (Method::PUT, format!("/v1/clusters/{id}/activation")),
            (Method::POST, format!("/v1/clusters/{id}/kubeconfig")),
            (Method::POST, format!("/v1/clusters/{id}/clusterconf")),
        ] {
            // Bodies each operation accepts: a malformed one is refused (400) before any lookup.
            let body = json!({"kind": "Cluster", "apiVersion": "v1"});
            let body = if path.ends_with("clusterconf") { json!({"MASTER-1": "10.0.0.1"}) } else { body };
            let call = app.call(method.clone(), &path);
            let call = if method == Method::GET || method == Method::DELETE { call } else { call.json(&body) };
            let r = call.signed(&t).send().await;
            r.assert_error(404, "UCS.01030001");
            assert!(!r.text.contains("theirs"));
        }
        assert_eq!(app.cluster_count(&other).await, 1);
        app.get("/v1/clusters/not-an-id").signed(&t).send().await.assert_error(400, "UCS.01000011");
        app.get("/v1/clusters/5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b").signed(&t).send().await.assert_error(404, "UCS.01030001");
    }

    async fn update_merges_annotations_and_moves_the_cluster(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.register(&t, &attached("prod-1")).await;
        let new_kubeconfig = KUBECONFIG.replace("10.1.2.3", "10.9.9.9");
        let body = json!({"kind": "Cluster", "apiVersion": "v1",
            "metadata": {"annotations": {"owner": "ops", "kubeconfig": new_kubeconfig}},
            "spec": {"country": "CN", "city": "150900"}});
        let r = app.call(Method::PUT, &format!("/v1/clusters/{id}")).json(&body).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let c = app.cluster(&t, &id).await;
        assert_eq!(c["metadata"]["annotations"], json!({"team": "a", "owner": "ops"}));
        assert_eq!(c["spec"]["city"], "150900");
        assert_eq!(c["spec"]["apiEndpoint"], "https://10.9.9.9:6443");
        let bad = json!({"spec": {"city": "999999"}});
        app.call(Method::PUT, &format!("/v1/clusters/{id}")).json(&bad).signed(&t).send().await.assert_error(400, "UCS.01000012");
        let bad = json!({"metadata": {"annotations": {"kubeconfig": "garbage"}}});
        app.call(Method::PUT, &format!("/v1/clusters/{id}")).json(&bad).signed(&t).send().await.assert_error(400, "UCS.01030008");
        assert_eq!(app.cluster(&t, &id).await["spec"]["city"], "150900", "a refused update changes nothing");
        app.cce_cluster(&t, "cce-b1").await;
        let cce_id = app.register(&t, &cce("cce-b1")).await;
        let move_it = json!({"spec": {"country": "DE"}});
        app.call(Method::PUT, &format!("/v1/clusters/{cce_id}")).json(&move_it).signed(&t).send().await.assert_error(400, "UCS.01000012");
    }

    async fn delete_unregisters_and_a_second_delete_is_404(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.register(&t, &attached("prod-1")).await;
        let r = app.call(Method::DELETE, &format!("/v1/clusters/{id}")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        app.get(&format!("/v1/clusters/{id}")).signed(&t).send().await.assert_error(404, "UCS.01030001");
        app.call(Method::DELETE, &format!("/v1/clusters/{id}")).signed(&t).send().await.assert_error(404, "UCS.01030001");
        assert_eq!(app.cluster_count(&t).await, 0);
        // Its name is free again.
        app.register(&t, &attached("prod-1")).await;
    }

    async fn access_info_hands_out_the_agent_certificate_once(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.register(&t, &attached("prod-1")).await;
        let r = app.get(&format!("/v1/clusters/{id}/accessinfo")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let docs = r.body.as_array().unwrap();
        assert_eq!(docs.len(), 3);
        let secret: Value = serde_yaml_ng::from_str(docs[0].as_str().unwrap()).unwrap();
        assert_eq!(secret["kind"], "Secret");
        for key in ["ca.crt", "tls.crt", "tls.key"] {
            assert!(secret["data"][key].as_str().is_some_and(|v| !v.is_empty()), "{key}");
        }
        let again = app.get(&format!("/v1/clusters/{id}/accessinfo")).signed(&t).send().await;
        assert_eq!(again.body, json!(["已下载"]));
        assert_eq!(app.cluster(&t, &id).await["spec"]["IsDownloadedCert"], true);
        app.cce_cluster(&t, "cce-b1").await;
        let cce_id = app.register(&t, &cce("cce-b1")).await;
        app.get(&format!("/v1/clusters/{cce_id}/accessinfo")).signed(&t).send().await.assert_error(400, "UCS.01030002");
        let id2 = app.register(&t, &attached("prod-2")).await;
        let r = app.get(&format!("/v1/clusters/{id2}/accessinfo?vpcendpoint=10.0.0.5")).signed(&t).send().await;
        r.assert_error(400, "UCS.01000011");
        let r = app.get(&format!("/v1/clusters/{id2}/accessinfo?vpcendpoint=10.0.0.5&region=cn-north-4")).signed(&t).send().await;
        assert_eq!(r.status, 200);
        assert!(r.text.contains("https://10.0.0.5"));
    }

    async fn a_failed_activation_leaves_the_cluster_unavailable_until_retried(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.register(&t, &attached("doomed")).await;
        let c = app.await_phase(&t, &id, "Unavailable").await;
        assert_eq!(c["status"]["reason"], "ActivationFailed");
        assert!(c["status"]["message"].as_str().unwrap().contains("simulated failure"));
        let r = app.call(Method::PUT, &format!("/v1/clusters/{id}/activation")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["status"]["phase"], "Pending");
        app.await_phase(&t, &id, "Unavailable").await;

        let flaky = app.register(&t, &attached("flaky")).await;
        let c = app.await_phase(&t, &flaky, "Available").await;
        assert_eq!(c["status"]["kubernetesVersion"], "v1.28");
        let jobs = app.store.job_list_for_resource("cluster", &flaky).await.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].attempts, 3, "two injected failures, then success");
    }

    async fn cluster_conf_completes_the_on_premise_installer_config(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.register(&t, &onpremise("dc1")).await;
        let body = json!({"USERNAME": "root", "MASTER-1": "192.168.0.10", "MASTER-2": "192.168.0.11",
            "NETWORK_CIDR": "10.96.0.0/16", "ACCESS_EXTERNAL_LOAD_BALANCE": true});
        let r = app.post(&format!("/v1/clusters/{id}/clusterconf")).json(&body).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["CLUSTER_ID"], id);
        assert_eq!(r.body["MASTER-1"], "192.168.0.10");
        assert_eq!(r.body["MASTER_COUNT"], 2);
        assert_eq!(r.body["IAM_DOMAIN_ID"], t.domain_id);
        assert_eq!(r.body["ACCESS_EXTERNAL_LOAD_BALANCE"], true);
        for bad in [json!({"MASTER-1": "not-an-ip"}), json!({"MASTER-1": "10.0.0.1", "NETWORK_CIDR": "10.0.0.0/99"}),
                    json!({}), json!({"MASTER-1": "10.0.0.1", "EXTRA": 1}), json!({"MASTER-1": 7})] {
            let r = app.post(&format!("/v1/clusters/{id}/clusterconf")).json(&bad).signed(&t).send().await;
            r.assert_error(400, "UCS.01000012");
        }
        let attached_id = app.register(&t, &attached("a1")).await;
        let r = app.post(&format!("/v1/clusters/{attached_id}/clusterconf")).json(&body).signed(&t).send().await;
        r.assert_error(400, "UCS.01030011");
    }

    async fn kubeconfig_gives_a_client_certificate_of_the_tenant_ca(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.register(&t, &attached("prod-1")).await;
        let r = app.post(&format!("/v1/clusters/{id}/kubeconfig")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let k: Value = serde_yaml_ng::from_str(&r.text).unwrap();
        assert_eq!(k["kind"], "Config");
        assert_eq!(k["clusters"][0]["cluster"]["server"], "https://10.1.2.3:6443");
        assert_eq!(k["current-context"], k["contexts"][0]["name"]);
        use base64::Engine;
        let decode = |v: &Value| String::from_utf8(base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap()).unwrap();
        assert!(decode(&k["clusters"][0]["cluster"]["certificate-authority-data"]).contains("BEGIN CERTIFICATE"));
        assert!(decode(&k["users"][0]["user"]["client-certificate-data"]).contains("BEGIN CERTIFICATE"));
        assert!(decode(&k["users"][0]["user"]["client-key-data"]).contains("PRIVATE KEY"));
        // One CA per tenant: a second kubeconfig names the same one.
        let again: Value = serde_yaml_ng::from_str(&app.post(&format!("/v1/clusters/{id}/kubeconfig")).signed(&t).send().await.text).unwrap();
        assert_eq!(again["clusters"][0]["cluster"]["certificate-authority-data"], k["clusters"][0]["cluster"]["certificate-authority-data"]);
    }

    async fn managed_clusters_are_the_tenants_cce_clusters_and_registration_refers_to_them(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        let b = app.cce_cluster(&t, "cce-b1").await;
        let c = app.cce_cluster(&t, "cce-c1").await;
        app.cce_cluster(&other, "cce-x1").await;
        app.register(&t, &attached("a1")).await;
        let uids = |r: &crate::harness::Response| -> Vec<String> {
            r.body.as_array().unwrap().iter().map(|i| i["metadata"]["uid"].as_str().unwrap().to_string()).collect()
        };
        let r = app.get("/v1/managedclusters").signed(&t).send().await;
        assert_eq!(r.status, 200);
        assert_eq!(uids(&r), [c.clone(), b.clone()], "a bare array of the tenant's CCE clusters, newest first");
        let item = &r.body[1];
        assert_eq!((&item["spec"]["category"], &item["spec"]["type"], &item["spec"]["provider"]), (&json!("self"), &json!("cce"), &json!("huaweicloud")));
        assert_eq!(item["spec"]["projectID"], t.project_id);
        assert_eq!(item["spec"]["region"], item["spec"]["projectName"]);
        assert_eq!(item["status"]["phase"], "Available");
        assert!(item["status"]["kubernetesVersion"].as_str().unwrap().starts_with("v1."));
        assert_eq!(item["metadata"]["annotations"]["vpclid"], "11c9fe72-5a90-4295-bcfe-774726fb9066");
        assert!(item["metadata"]["labels"]["FeatureGates"].as_str().unwrap().contains("supportUpgradeWorkflow"));
        assert_eq!(uids(&app.get("/v1/managedclusters?unimported=true").signed(&t).send().await), [c.clone(), b.clone()]);
        // Registering b (by its id) refers to it: no kubeconfig, the CCE cluster's id, and it leaves the
        // unimported list (under either name of the query).
        let mut body = cce("cce-b1");
        body["metadata"]["uid"] = json!(b);
        assert_eq!(app.register(&t, &body).await, b);
        for query in ["unimported", "unregister"] {
            assert_eq!(uids(&app.get(&format!("/v1/managedclusters?{query}=true")).signed(&t).send().await), std::slice::from_ref(&c));
        }
        let r = app.get("/v1/managedclusters").signed(&t).send().await;
        assert_eq!(uids(&r), [c.clone(), b.clone()]);
        assert_eq!(r.body[1]["spec"]["city"], "110000", "the registered one is shown as registered");
        // Once only, by id or by name; another tenant's CCE cluster is not found; the type must match.
        app.post("/v1/clusters").json(&body).signed(&t).send().await.assert_error(409, "UCS.01030003");
        let mut theirs = cce("cce-x1");
        theirs["metadata"]["uid"] = json!(app.get("/v1/managedclusters").signed(&other).send().await.body[0]["metadata"]["uid"]);
        app.post("/v1/clusters").json(&theirs).signed(&t).send().await.assert_error(404, "UCS.01030001");
        app.post("/v1/clusters").json(&cce("cce-nope")).signed(&t).send().await.assert_error(404, "UCS.01030001");
        let mut turbo = cce("cce-c1");
        turbo["spec"]["type"] = json!("turbo");
        app.post("/v1/clusters").json(&turbo).signed(&t).send().await.assert_error(400, "UCS.01000012");
        let mut named = attached("a2");
        named["metadata"]["uid"] = json!(c);
        app.post("/v1/clusters").json(&named).signed(&t).send().await.assert_error(400, "UCS.01000012");
        assert_eq!(app.register(&t, &cce("cce-c1")).await, c, "by name");
        assert_eq!(app.get("/v1/managedclusters?unimported=true").signed(&t).send().await.body, json!([]));
        app.get("/v1/managedclusters?limit=x").signed(&t).send().await.assert_error(400, "UCS.01000011");
    }

    async fn a_registered_cce_cluster_follows_its_upgrade_and_its_deletion(app: TestApp) {
        let t = app.tenant("t1").await;
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, to) = cce.hop().await;
        let id = cce.available("cce-up1", &from).await;
        let uid = app.register(&t, &self::cce("cce-up1")).await;
        assert_eq!(uid, id);
        let shown = app.await_phase(&t, &uid, "Available").await;
        assert_eq!(shown["status"]["kubernetesVersion"], domain::upgrade::catalogue::release_of(&from));
        assert_eq!(shown["spec"]["apiEndpoint"], cce.show(&id).await["status"]["endpoints"][0]["url"]);
        cce.prechecked(&id, &from, &to).await;
        let task = cce.start_upgrade(&id, &to).await;
        assert_eq!(cce.await_upgrade(&id, &task, &["Success", "Failed"]).await["status"]["phase"], "Success");
        assert_eq!(app.cluster(&t, &uid).await["status"]["kubernetesVersion"], domain::upgrade::catalogue::release_of(&to));
        assert_eq!(cce.delete_cluster(&id).await.status, 200);
        let gone = app.await_phase(&t, &uid, "Unavailable").await;
        assert!(["ClusterDeleting", "ClusterDeleted"].contains(&gone["status"]["reason"].as_str().unwrap()), "{gone}");
        cce.await_gone(&id).await;
        let gone = app.cluster(&t, &uid).await;
        assert_eq!((&gone["status"]["phase"], &gone["status"]["reason"]), (&json!("Unavailable"), &json!("ClusterDeleted")));
        assert_eq!(app.get("/v1/managedclusters").signed(&t).send().await.body, json!([]));
    }

    async fn registered_versions_come_from_the_catalogue(app: TestApp) {
        let t = app.tenant("t1").await;
        let r = app.get("/v1/config/registeredclusterversions").signed(&t).send().await;
        assert_eq!(r.status, 200);
        let versions: Vec<&str> = r.body["versions"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert!(versions.starts_with(&["v1.19", "v1.20", "v1.21", "v1.22", "v1.23", "v1.24", "v1.25"]));
        app.get("/v1/config/registeredclusterversions").send().await.assert_error(401, "UCS.01000003");
    }
}
