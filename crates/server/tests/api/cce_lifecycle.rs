//! The CCE lifecycle upgrades act on, over HTTP: node pools (created, scaled, updated, deleted
//! through their job), nodes (listed, shown, deleted), their quotas under concurrent requests, node
//! pools created this way taking part in upgrades (`nodePoolOrder`, the precheck's node risks, C21),
//! and addon instances (installed, updated, removed; moved by upgrades, checked by addon prechecks).

use axum::http::Method;
use serde_json::{json, Value};

use crate::{
    harness::TestApp,
    upgrades::{assert_cce_error, check_items, s, upgrade_body, Cce, Flavor},
};

fn pool_body(name: &str, count: u64) -> Value {
    json!({
        "kind": "NodePool", "apiVersion": "v3",
        "metadata": {"name": name},
        "spec": {"initialNodeCount": count, "nodeTemplate": {
            "flavor": "c7.large.2", "az": "cn-north-4a", "os": "EulerOS 2.9",
            "login": {"sshKey": "kp-ops"},
            "rootVolume": {"size": 40, "volumetype": "SSD"},
            "dataVolumes": [{"size": 100, "volumetype": "SSD"}]}}
    })
}

fn pools(cce: &Cce<'_>, cluster: &str) -> String {
    format!("{}/nodepools", cce.cluster(cluster))
}

fn pool_path(cce: &Cce<'_>, cluster: &str, pool: &str) -> String {
    format!("{}/nodepools/{pool}", cce.cluster(cluster))
}

fn node_path(cce: &Cce<'_>, cluster: &str, node: &str) -> String {
    format!("{}/nodes/{node}", cce.cluster(cluster))
}

/// Creates a pool; asserts the 201 and returns (pool id, job id).
async fn create_pool(cce: &Cce<'_>, cluster: &str, name: &str, count: u64) -> (String, String) {
    let r = cce.post(&pools(cce, cluster), &pool_body(name, count)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.body["kind"].as_str(), r.body["metadata"]["name"].as_str()),
        (Some("NodePool"), Some(name))
    );
    assert_eq!(r.body["spec"]["initialNodeCount"], count, "{}", r.text);
    assert_eq!(r.body["spec"]["nodeTemplate"]["flavor"], "c7.large.2", "{}", r.text);
    (s(&r.body["metadata"]["uid"]).to_string(), r.body["status"]["jobId"].as_str().unwrap_or("").to_string())
}

/// Waits until `probe` answers `Some` (the harness's way: settling a driven app's jobs, or polling).
async fn until<T>(app: &TestApp, what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    app.eventually(what, async || probe().await.ok_or_else(|| "not yet".to_string())).await
}

/// Waits until the pool has `count` nodes and no job converges it; the pool.
async fn await_pool(app: &TestApp, cce: &Cce<'_>, cluster: &str, pool: &str, count: u64) -> Value {
    app.eventually(&format!("pool {pool} to settle at {count} nodes"), async || {
        let r = cce.get(&pool_path(cce, cluster, pool)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let st = &r.body["status"];
        if st["currentNode"] == count && st["jobId"] == "" && st["phase"] == "" {
            Ok(r.body.clone())
        } else {
            Err(r.text)
        }
    })
    .await
}

/// The uids of a pool's nodes, as `list_nodes` shows them.
async fn nodes_of(cce: &Cce<'_>, cluster: &str, pool: &str) -> Vec<String> {
    let r = cce.get(&format!("{}/nodes", cce.cluster(cluster))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["metadata"]["ownerReferences"]["nodepoolID"] == pool)
        .map(|n| s(&n["metadata"]["uid"]).to_string())
        .collect()
}

async fn show_job(cce: &Cce<'_>, project: &str, job: &str) -> Value {
    let r = cce.get(&format!("{}/projects/{project}/jobs/{job}", Flavor::Cce.v3())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

crate::harness::backend_tests! {
    async fn a_node_pool_is_created_scaled_updated_and_deleted_through_its_job(app: TestApp) {
        let t = app.tenant("t1").await;
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, _) = cce.hop().await;
        let id = cce.available("pools", &from).await;
        let (pool, job) = create_pool(&cce, &id, "pool-a", 2).await;
        assert!(!job.is_empty(), "the create answers the job that makes the nodes");
        let j = show_job(&cce, &t.project_id, &job).await;
        assert_eq!((j["spec"]["type"].as_str(), j["spec"]["clusterUID"].as_str()), (Some("CreateNodePool"), Some(id.as_str())), "{j}");
        assert_eq!((j["spec"]["resourceID"].as_str(), j["spec"]["resourceName"].as_str()), (Some(pool.as_str()), Some("pool-a")), "{j}");
        let p = await_pool(&app, &cce, &id, &pool, 2).await;
        assert!(same_release(s(&p["metadata"]["annotations"]["cce.ucsd.io/version"]), &from), "{p}");
        assert_eq!(show_job(&cce, &t.project_id, &job).await["status"]["phase"], "Success");
        let first = nodes_of(&cce, &id, &pool).await;
        assert_eq!(first.len(), 2);
        let n = cce.get(&node_path(&cce, &id, &first[0])).await;
        assert_eq!(n.status, 200, "{}", n.text);
        assert_eq!((n.body["kind"].as_str(), n.body["status"]["phase"].as_str()), (Some("Node"), Some("Active")), "{}", n.text);
        assert_eq!(n.body["spec"]["flavor"], "c7.large.2", "{}", n.text);
        assert_eq!(n.body["metadata"]["ownerReferences"]["nodepoolName"], "pool-a", "{}", n.text);

        // The list hides the default pool unless asked; the default pool still has its nodes.
        let r = cce.get(&pools(&cce, &id)).await;
        let names: Vec<&str> = r.body["items"].as_array().unwrap().iter().map(|i| s(&i["metadata"]["name"])).collect();
        assert_eq!(names, ["pool-a"], "{}", r.text);
        let r = cce.get(&format!("{}?showDefaultNodePool=true", pools(&cce, &id))).await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 2, "{}", r.text);

        // Scale up, then paging through the nodes with limit and marker.
        let r = cce.post(&format!("{}/operation/scale", pool_path(&cce, &id, &pool)),
                         &json!({"kind": "NodePool", "apiVersion": "v3", "spec": {"desiredNodeCount": 4, "scaleGroups": ["default"]}})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        await_pool(&app, &cce, &id, &pool, 4).await;
        let all = nodes_of(&cce, &id, &pool).await;
        assert!(first.iter().all(|n| all.contains(n)), "scaling up keeps the nodes: {all:?}");
        let page = cce.get(&format!("{}/nodes?limit=2", cce.cluster(&id))).await;
        assert_eq!(page.body["items"].as_array().unwrap().len(), 2, "{}", page.text);
        let marker = s(&page.body["pageInfo"]["nextMarker"]).to_string();
        let rest = cce.get(&format!("{}/nodes?limit=100&marker={marker}", cce.cluster(&id))).await;
        let total = app.config.simulator.nodes_per_cluster + 4;
        assert_eq!(rest.body["items"].as_array().unwrap().len(), total - 2, "{}", rest.text);
        assert_eq!(rest.body["pageInfo"]["nextMarker"], "", "{}", rest.text);

        // Deleting a node shrinks the pool; with NoScaleDown the pool's job replaces it.
        let r = cce.send(Method::DELETE, &node_path(&cce, &id, &all[0]), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["status"]["phase"], "Deleting", "{}", r.text);
        let delete_job = s(&r.body["status"]["jobID"]).to_string();
        assert_eq!(show_job(&cce, &t.project_id, &delete_job).await["spec"]["type"], "DeleteNode");
        let p = await_pool(&app, &cce, &id, &pool, 3).await;
        assert_eq!(p["spec"]["initialNodeCount"], 3, "{p}");
        assert_cce_error(&cce.get(&node_path(&cce, &id, &all[0])).await, 404);
        let r = cce.send(Method::DELETE, &format!("{}?nodepoolScaleDown=NoScaleDown", node_path(&cce, &id, &all[1])), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        await_pool(&app, &cce, &id, &pool, 3).await;
        let replaced = nodes_of(&cce, &id, &pool).await;
        assert!(!replaced.contains(&all[1]) && replaced.len() == 3, "{replaced:?}");

        // Update renames, merges the template (the update's volumes are the template's) and sets the count.
        let r = cce.send(Method::PUT, &pool_path(&cce, &id, &pool), Some(&json!({
            "metadata": {"name": "pool-b"},
            "spec": {"initialNodeCount": 1, "nodeTemplate": {"k8sTags": {"team": "a"},
                     "dataVolumesUpdate": [{"size": 200, "volumetype": "SSD"}]}}}))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["metadata"]["name"], "pool-b", "{}", r.text);
        let p = await_pool(&app, &cce, &id, &pool, 1).await;
        let template = &p["spec"]["nodeTemplate"];
        assert_eq!((template["k8sTags"]["team"].as_str(), template["flavor"].as_str()), (Some("a"), Some("c7.large.2")), "{p}");
        assert_eq!(template["dataVolumes"], json!([{"size": 200, "volumetype": "SSD"}]), "{p}");

        // Delete: Deleting at once, gone with its nodes when its job ends.
        let r = cce.send(Method::DELETE, &pool_path(&cce, &id, &pool), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["status"]["phase"], "Deleting", "{}", r.text);
        let job = s(&r.body["status"]["jobId"]).to_string();
        until(&app, "the deleted pool to go", async || (cce.get(&pool_path(&cce, &id, &pool)).await.status == 404).then_some(())).await;
        assert_eq!(show_job(&cce, &t.project_id, &job).await["spec"]["type"], "DeleteNodePool");
        assert!(nodes_of(&cce, &id, &pool).await.is_empty());
        let effects = app.store.provider_effects(&id).await.unwrap();
        let scaled = effects.iter().filter(|(effect, _)| effect == "ScaleNodePool").count();
        // Create, scale up, two node deletions (one replaced), the update's scale down, the delete.
        assert!(scaled >= 6, "the provider made and removed the nodes, once per step: {effects:?}");
    }

    async fn another_tenants_ids_are_404_and_autopilot_has_no_node_pools(app: TestApp) {
        let t = app.tenant("t1").await;
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, _) = cce.hop().await;
        let id = cce.available("mine", &from).await;
        let (pool, _) = create_pool(&cce, &id, "pool-a", 1).await;
        await_pool(&app, &cce, &id, &pool, 1).await;
        let node = nodes_of(&cce, &id, &pool).await.remove(0);
        let other = app.tenant("t2").await;
        let them = Cce::new(&app, &other, Flavor::Cce);
        // Their paths (their project) with my ids.
        let mine_in = |path: String| path.replacen(&t.project_id, &other.project_id, 1);
        let scale = json!({"spec": {"desiredNodeCount": 3}});
        for (method, path, body) in [
            (Method::GET, pools(&cce, &id), None),
            (Method::POST, pools(&cce, &id), Some(pool_body("theirs", 1))),
            (Method::GET, pool_path(&cce, &id, &pool), None),
            (Method::PUT, pool_path(&cce, &id, &pool), Some(json!({"metadata": {"name": "x"}}))),
            (Method::DELETE, pool_path(&cce, &id, &pool), None),
            (Method::POST, format!("{}/operation/scale", pool_path(&cce, &id, &pool)), Some(scale.clone())),
            (Method::GET, format!("{}/nodes", cce.cluster(&id)), None),
            (Method::GET, node_path(&cce, &id, &node), None),
            (Method::DELETE, node_path(&cce, &id, &node), None),
        ] {
            let r = them.send(method.clone(), &mine_in(path.clone()), body.as_ref()).await;
            assert_cce_error(&r, 404);
        }
        // Unknown pools and nodes of my own cluster are 404 too; Autopilot paths are not routed.
        assert_cce_error(&cce.get(&pool_path(&cce, &id, "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b")).await, 404);
        assert_cce_error(&cce.send(Method::DELETE, &node_path(&cce, &id, "nope"), None).await, 404);
        let ap = cce.flavor(Flavor::Autopilot);
        assert_eq!(ap.get(&format!("{}/nodepools", ap.cluster(&id))).await.status, 404);
        // Nothing changed.
        let p = await_pool(&app, &cce, &id, &pool, 1).await;
        assert_eq!(p["metadata"]["name"], "pool-a");
        assert_eq!(nodes_of(&cce, &id, &pool).await, [node]);
    }

    async fn addons_are_installed_updated_and_removed_under_both_services(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        for f in [Flavor::Cce, Flavor::Autopilot] {
            let cce = Cce::new(&app, &t, f);
            let (from, _) = cce.hop().await;
            let id = cce.available("addons", &from).await;
            let base = format!("{}/addons", f.v3());
            // The templates come from the catalogue; metrics-server is optional, the others required.
            let r = cce.get(&format!("{}/addontemplates?addon_template_name=metrics-server", f.v3())).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let templates = r.body["items"].as_array().unwrap();
            assert_eq!(templates.len(), 1, "{}", r.text);
            assert_eq!((templates[0]["metadata"]["name"].as_str(), templates[0]["spec"]["require"].as_bool()), (Some("metrics-server"), Some(false)));
            let offered: Vec<String> = templates[0]["spec"]["versions"].as_array().unwrap().iter()
                .filter(|v| v["supportVersions"][0]["clusterVersion"].as_array().unwrap().iter().any(|r| same_release(s(r), &from)))
                .map(|v| s(&v["version"]).to_string()).collect();
            assert!(!offered.is_empty(), "{}", r.text);
            let names = |r: &crate::harness::Response| -> Vec<String> {
                assert_eq!(r.status, 200, "{}", r.text);
                let mut n: Vec<String> = r.body["items"].as_array().unwrap().iter().map(|i| s(&i["spec"]["addonTemplateName"]).to_string()).collect();
                n.sort();
                n
            };
            let built = names(&cce.get(&format!("{base}?cluster_id={id}")).await);
            assert!(built.contains(&"coredns".to_string()) && !built.contains(&"metrics-server".to_string()), "{built:?}");

            let body = |version: &str, values: Value| json!({"kind": "Addon", "apiVersion": "v3",
                "metadata": {"annotations": {"addon.install/type": "install"}},
                "spec": {"clusterID": id, "addonTemplateName": "metrics-server", "version": version, "values": values}});
            // Bad input, another tenant's cluster, the other service: refused, nothing installed.
            assert_cce_error(&cce.post(&base, &body("0.0.1", json!({}))).await, 400);
            assert_cce_error(&cce.post(&base, &json!({"spec": {"clusterID": id}})).await, 400);
            assert_cce_error(&Cce::new(&app, &other, f).post(&base, &body(&offered[0], json!({}))).await, 404);
            let twin = cce.flavor(f.other());
            let twin_base = format!("{}/addons", f.other().v3());
            assert_cce_error(&twin.post(&twin_base, &body(&offered[0], json!({}))).await, 404);
            assert_eq!(names(&cce.get(&format!("{base}?cluster_id={id}")).await), built);

            let r = cce.post(&base, &body(&offered[0], json!({"basic": {"replicas": 2}}))).await;
            assert_eq!(r.status, 201, "{}", r.text);
            let uid = s(&r.body["metadata"]["uid"]).to_string();
            assert_eq!((r.body["spec"]["version"].as_str(), r.body["status"]["status"].as_str()), (Some(offered[0].as_str()), Some("running")), "{}", r.text);
            assert_cce_error(&cce.post(&base, &body(&offered[0], json!({}))).await, 409);
            let shown = cce.get(&format!("{base}/{uid}?cluster_id={id}")).await;
            assert_eq!(shown.status, 200, "{}", shown.text);
            assert_eq!(shown.body["spec"]["values"]["basic"]["replicas"], 2, "{}", shown.text);
            assert_eq!(shown.body["status"]["targetVersions"].as_array().unwrap().len(), offered.len() - 1, "{}", shown.text);
            assert_cce_error(&Cce::new(&app, &other, f).get(&format!("{base}/{uid}?cluster_id={id}")).await, 404);
            assert_cce_error(&cce.get(&format!("{base}/{uid}")).await, 404);
            assert_cce_error(&cce.get(&base).await, 400);

            let newest = offered.last().unwrap();
            let r = cce.send(Method::PUT, &format!("{base}/{uid}"), Some(&body(newest, json!({"basic": {"replicas": 3}})))).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let shown = cce.get(&format!("{base}/{uid}?cluster_id={id}")).await;
            assert_eq!((shown.body["spec"]["version"].as_str(), &shown.body["spec"]["values"]["basic"]["replicas"]), (Some(newest.as_str()), &json!(3)), "{}", shown.text);
            let mut wrong = body(newest, json!({}));
            wrong["spec"]["addonTemplateName"] = json!("coredns");
            assert_cce_error(&cce.send(Method::PUT, &format!("{base}/{uid}"), Some(&wrong)).await, 400);

            let r = cce.send(Method::DELETE, &format!("{base}/{uid}?cluster_id={id}"), None).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_cce_error(&cce.get(&format!("{base}/{uid}?cluster_id={id}")).await, 404);
            assert_eq!(names(&cce.get(&format!("{base}?cluster_id={id}")).await), built);
        }
    }

    async fn certs_endpoints_updates_and_quotas_under_both_services(app: TestApp) {
        use base64::Engine as _;
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        for f in [Flavor::Cce, Flavor::Autopilot] {
            let cce = Cce::new(&app, &t, f);
            let them = Cce::new(&app, &other, f);
            let (from, _) = cce.hop().await;
            let id = cce.available("access", &from).await;
            let cert = format!("{}/clustercert", cce.cluster(&id));
            let r = cce.post(&cert, &json!({"duration": 30})).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!((r.body["kind"].as_str(), r.body["current-context"].as_str()), (Some("Config"), Some("internal")), "{}", r.text);
            let pem = |v: &Value| String::from_utf8(base64::engine::general_purpose::STANDARD.decode(s(v)).unwrap()).unwrap();
            assert!(pem(&r.body["users"][0]["user"]["client-certificate-data"]).contains("BEGIN CERTIFICATE"));
            assert!(pem(&r.body["users"][0]["user"]["client-key-data"]).contains("PRIVATE KEY"));
            assert!(s(&r.body["clusters"][0]["cluster"]["server"]).contains(&id), "{}", r.text);
            let again = cce.post(&cert, &json!({"duration": -1})).await;
            assert_eq!(again.body["clusters"][0]["cluster"]["certificate-authority-data"], r.body["clusters"][0]["cluster"]["certificate-authority-data"]);
            for bad in [json!({}), json!({"duration": 0}), json!({"duration": 1826}), json!({"duration": "30"})] {
                assert_cce_error(&cce.post(&cert, &bad).await, 400);
            }
            assert_cce_error(&them.post(&cert.replacen(&t.project_id, &other.project_id, 1), &json!({"duration": 30})).await, 404);

            let r = cce.get(&format!("{}/openapi", cce.cluster(&id))).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["status"]["privateEndpoint"], cce.show(&id).await["status"]["endpoints"][0]["url"], "{}", r.text);

            let update = json!({"metadata": {"alias": "the-prod"}, "spec": {"description": "changed", "deletionProtection": true,
                                "hostNetwork": {"SecurityGroup": "sg-1"}}});
            let r = cce.send(Method::PUT, &cce.cluster(&id), Some(&update)).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let c = cce.show(&id).await;
            assert_eq!((c["metadata"]["alias"].as_str(), c["spec"]["description"].as_str()), (Some("the-prod"), Some("changed")), "{c}");
            assert_eq!((c["spec"]["hostNetwork"]["SecurityGroup"].as_str(), c["spec"]["hostNetwork"]["vpc"].is_string()), (Some("sg-1"), true), "{c}");
            for bad in [json!({"spec": {"flavor": "cce.s2.large"}}), json!({"spec": {"description": 5}}), json!({"metadata": {"alias": 1}})] {
                assert_cce_error(&cce.send(Method::PUT, &cce.cluster(&id), Some(&bad)).await, 400);
            }
            assert_cce_error(&them.send(Method::PUT, &cce.cluster(&id).replacen(&t.project_id, &other.project_id, 1), Some(&update)).await, 404);
            assert_eq!(cce.show(&id).await, c, "refused updates change nothing");

            // list_autopilot_jobs: the Autopilot clusters' jobs only, v2 keys.
            let r = cce.get(&format!("/autopilot/v2/projects/{}/jobs", t.project_id)).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let created = s(&cce.show(&id).await["status"]["jobID"]).to_string();
            let mine = r.body.as_array().unwrap().iter().find(|j| j["metadata"]["uid"] == created.as_str()).cloned();
            match f {
                Flavor::Autopilot => {
                    let j = mine.unwrap_or_else(|| panic!("the create job is listed: {}", r.text));
                    assert_eq!((j["spec"]["type"].as_str(), j["spec"]["clusteruid"].as_str(), j["status"]["status"].as_str()),
                               (Some("CreateCluster"), Some(id.as_str()), Some("Success")), "{j}");
                }
                Flavor::Cce => assert!(mine.is_none(), "a CCE cluster's job is not an Autopilot job: {}", r.text),
            }
            let r = cce.get(&format!("{}/projects/{}/quotas", f.v3(), t.project_id)).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let quotas = r.body["quotas"].as_array().unwrap();
            let cluster_quota = quotas.iter().find(|q| q["quotaKey"] == "cluster").unwrap();
            assert_eq!(cluster_quota["quotaLimit"], app.config.quotas.clusters, "{}", r.text);
            assert!(cluster_quota["used"].as_u64().unwrap() >= 1, "{}", r.text);
            assert_eq!(quotas.iter().any(|q| q["quotaKey"] == "nodepool"), f == Flavor::Cce, "{}", r.text);
        }
    }

    async fn bad_node_pool_input_is_a_cce_400_and_writes_nothing(app: TestApp) {
        let t = app.tenant("t1").await;
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, _) = cce.hop().await;
        let id = cce.available("strict", &from).await;
        let (pool, _) = create_pool(&cce, &id, "pool-a", 1).await;
        let before = await_pool(&app, &cce, &id, &pool, 1).await;
        let mut bad_name = pool_body("Bad_Name", 1);
        let mut no_template = pool_body("fine", 1);
        no_template["spec"]["nodeTemplate"].as_object_mut().unwrap().remove("az");
        let mut negative = pool_body("fine", 1);
        negative["spec"]["initialNodeCount"] = json!(-1);
        for body in [bad_name.clone(), no_template, negative, json!([1]), pool_body("defaultpool", 1)] {
            assert_cce_error(&cce.post(&pools(&cce, &id), &body).await, 400);
        }
        bad_name["metadata"]["name"] = json!("pool-a");
        assert_cce_error(&cce.post(&pools(&cce, &id), &bad_name).await, 409);
        let scale = format!("{}/operation/scale", pool_path(&cce, &id, &pool));
        for body in [json!({}), json!({"spec": {"desiredNodeCount": "2"}}), json!({"spec": {"desiredNodeCount": 2, "scaleGroups": ["gpu"]}})] {
            assert_cce_error(&cce.post(&scale, &body).await, 400);
        }
        let blank_flavor = json!({"spec": {"nodeTemplate": {"flavor": ""}}});
        let no_volumes = json!({"spec": {"nodeTemplate": {"dataVolumesUpdate": []}}});
        for body in [json!({"metadata": {"name": "UPPER"}}), json!({"spec": {"initialNodeCount": -3}}), json!({"spec": "x"}), blank_flavor, no_volumes] {
            assert_cce_error(&cce.send(Method::PUT, &pool_path(&cce, &id, &pool), Some(&body)).await, 400);
        }
        assert_cce_error(&cce.send(Method::DELETE, &format!("{}?nodepoolScaleDown=maybe", node_path(&cce, &id, "x")), None).await, 400);
        // The default pool is the cluster's: not scaled, renamed or deleted here.
        let default = pool_path(&cce, &id, "DefaultPool");
        assert_cce_error(&cce.post(&format!("{default}/operation/scale"), &json!({"spec": {"desiredNodeCount": 9}})).await, 400);
        assert_cce_error(&cce.send(Method::DELETE, &default, None).await, 400);
        // Nothing was written: the same pools, the pool as it was.
        let r = cce.get(&format!("{}?showDefaultNodePool=true", pools(&cce, &id))).await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 2, "{}", r.text);
        let after = cce.get(&pool_path(&cce, &id, &pool)).await.body;
        assert_eq!(after, before);
    }
}

/// On a server whose node pool quotas are small enough to reach.
mod quotas {
    use super::*;
    use crate::{harness::spawn_with, upgrades::upgrade_tests};

    const QUOTA_ENV: &[(&str, &str)] =
        &[("UCS_QUOTAS__NODE_POOLS_PER_CLUSTER", "3"), ("UCS_QUOTAS__NODES_PER_NODE_POOL", "5")];

    upgrade_tests! {
        QUOTA_ENV;

        async fn concurrent_node_pool_creates_stop_exactly_at_the_quota(app: TestApp) {
            let t = app.tenant("t1").await;
            let cce = Cce::new(&app, &t, Flavor::Cce);
            let (from, _) = cce.hop().await;
            let id = cce.available("quota", &from).await;
            let creates = (0..8).map(|i| {
                let cce = &cce;
                let path = pools(cce, &id);
                async move { cce.post(&path, &pool_body(&format!("pool-{i}"), 1)).await }
            });
            let answers = futures::future::join_all(creates).await;
            let made = answers.iter().filter(|r| r.status == 201).count();
            assert_eq!(made, 3, "{:?}", answers.iter().map(|r| &r.text).collect::<Vec<_>>());
            for r in answers.iter().filter(|r| r.status != 201) {
                assert_cce_error(r, 400);
                assert!(r.text.contains("quota"), "{}", r.text);
            }
            let r = cce.get(&pools(&cce, &id)).await;
            assert_eq!(r.body["items"].as_array().unwrap().len(), 3, "{}", r.text);
            // Nodes per pool: over the quota is refused, and concurrent scales leave one count, converged.
            let pool = s(&r.body["items"][0]["metadata"]["uid"]).to_string();
            let scale = format!("{}/operation/scale", pool_path(&cce, &id, &pool));
            assert_cce_error(&cce.post(&scale, &json!({"spec": {"desiredNodeCount": 6}})).await, 400);
            let scales = (1..=5u64).map(|n| {
                let (cce, scale) = (&cce, &scale);
                async move { cce.post(scale, &json!({"spec": {"desiredNodeCount": n}})).await }
            });
            for r in futures::future::join_all(scales).await {
                assert_eq!(r.status, 200, "{}", r.text);
            }
            let wanted = cce.get(&pool_path(&cce, &id, &pool)).await.body["spec"]["initialNodeCount"].as_u64().unwrap();
            let p = await_pool(&app, &cce, &id, &pool, wanted).await;
            assert_eq!(nodes_of(&cce, &id, &pool).await.len() as u64, wanted, "{p}");
        }

        async fn an_installed_addon_moves_with_the_upgrade_and_is_what_addon_prechecks_check(app: TestApp) {
            let t = app.tenant("t1").await;
            let cce = Cce::new(&app, &t, Flavor::Cce);
            let (from, to) = cce.hop().await;
            let id = cce.available("addon-up", &from).await;
            let pre = json!({"kind": "AddonCheck", "apiVersion": "v3", "spec": {"clusterID": id, "addonList": [
                {"addonTemplateName": "metrics-server", "targetVersion": "1.3.60", "type": "addonUpgrade"}]}});
            let check = format!("{}/addons/precheck", cce.cluster(&id));
            // Not installed: nothing to upgrade.
            assert_cce_error(&cce.post(&check, &pre).await, 400);
            let r = cce.post("/api/v3/addons", &json!({"spec": {"clusterID": id, "addonTemplateName": "metrics-server"}})).await;
            assert_eq!(r.status, 201, "{}", r.text);
            let uid = s(&r.body["metadata"]["uid"]).to_string();
            let before = s(&r.body["spec"]["version"]).to_string();
            let r = cce.post(&check, &pre).await;
            assert!(r.status.is_success(), "{}", r.text);
            let listed = until(&app, "the addon precheck", async || {
                let r = cce.get(&format!("{check}/tasks?addon_instance_id={uid}")).await;
                assert_eq!(r.status, 200, "{}", r.text);
                (r.body["items"].as_array().is_some_and(|i| i.len() == 1)).then_some(r.body)
            })
            .await;
            assert_eq!(listed["items"][0]["metadata"]["addonInstanceID"], uid, "{listed}");
            let mut wrong = pre.clone();
            wrong["spec"]["addonList"][0]["addonInstanceID"] = json!("not-this-one");
            assert_cce_error(&cce.post(&check, &wrong).await, 400);

            cce.prechecked(&id, &from, &to).await;
            let task = s(&cce.post(&cce.op(&id, "upgrade"), &upgrade_body(&to, false)).await.body["metadata"]["uid"]).to_string();
            assert_eq!(cce.await_upgrade(&id, &task, &["Success", "Failed"]).await["status"]["phase"], "Success");
            let r = cce.get(&format!("/api/v3/addons/{uid}?cluster_id={id}")).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let now = s(&r.body["spec"]["version"]).to_string();
            let newest_on_target = s(&cce.get("/api/v3/addontemplates?addon_template_name=metrics-server").await.body["items"][0]["spec"]["versions"]
                .as_array().unwrap().iter().rev()
                .find(|v| v["supportVersions"][0]["clusterVersion"].as_array().unwrap().iter().any(|r| same_release(s(r), &to)))
                .unwrap()["version"]).to_string();
            assert_eq!(now, newest_on_target, "the upgrade moved the addon from {before}: {}", r.text);
        }

        async fn created_node_pools_take_part_in_upgrades(app: TestApp) {
            let t = app.tenant("t1").await;
            let cce = Cce::new(&app, &t, Flavor::Cce);
            let hops = cce.two_hops().await;
            let (from, to) = match &hops { Some((a, b, _)) => (a.clone(), b.clone()), None => cce.hop().await };
            let id = cce.available("upgraded", &from).await;
            let (gpu, _) = create_pool(&cce, &id, "gpu", 2).await;
            let (web, _) = create_pool(&cce, &id, "web", 1).await;
            await_pool(&app, &cce, &id, &gpu, 2).await;
            await_pool(&app, &cce, &id, &web, 1).await;
            cce.prechecked(&id, &from, &to).await;
            // nodePoolOrder names the cluster's pools, created ones included; an unknown one is refused.
            let mut body = upgrade_body(&to, false);
            body["spec"]["clusterUpgradeAction"]["nodePoolOrder"] = json!({ "nope": 1, &gpu: 2 });
            let r = cce.post(&cce.op(&id, "upgrade"), &body).await;
            assert_cce_error(&r, 400);
            assert!(r.text.contains("nodePoolOrder"), "{}", r.text);
            // A master-only upgrade leaves the created pools behind ...
            let r = cce.post(&cce.op(&id, "upgrade"), &upgrade_body(&to, true)).await;
            assert!(r.status.is_success(), "{}", r.text);
            let task = s(&r.body["metadata"]["uid"]).to_string();
            assert_eq!(cce.await_upgrade(&id, &task, &["Success", "Failed"]).await["status"]["phase"], "Success");
            let behind = cce.get(&pool_path(&cce, &id, &gpu)).await.body;
            assert!(same_release(s(&behind["metadata"]["annotations"]["cce.ucsd.io/version"]), &from), "{behind}");
            // ... so a precheck towards the next version names their nodes as node risks.
            if let Some((_, b, c)) = &hops {
                let pre = cce.start_precheck(&id, b, c, None).await;
                let p = cce.await_precheck(&id, &pre).await;
                let risky: Vec<String> = check_items(&p["status"]).iter()
                    .filter(|i| i["group"] == "NodeCheck" && i["level"] == "Fatal")
                    .filter_map(|i| i["riskSource"]["nodeRisks"][0]["NodeID"].as_str().map(str::to_string))
                    .collect();
                for node in nodes_of(&cce, &id, &gpu).await {
                    assert!(risky.contains(&node), "node {node} of the created pool is a risk: {p}");
                }
            }
            // C21 upgrades one created pool; a full upgrade with nodePoolOrder the rest, highest first.
            let r = cce.post(&format!("{}/operation/upgrade", pool_path(&cce, &id, &web)),
                             &json!({"spec": {"nodePoolID": web, "maxUnavailable": 1}})).await;
            assert!(r.status.is_success(), "{}", r.text);
            let job = s(&r.body["jobid"]).to_string();
            until(&app, "the node pool upgrade to end", async || {
                (show_job(&cce, &t.project_id, &job).await["status"]["phase"] == "Success").then_some(())
            }).await;
            let web_now = cce.get(&pool_path(&cce, &id, &web)).await.body;
            assert!(same_release(s(&web_now["metadata"]["annotations"]["cce.ucsd.io/version"]), &to), "{web_now}");
            if let Some((_, b, c)) = &hops {
                let r = cce.post(&format!("{}/operation/upgrade", pool_path(&cce, &id, &gpu)),
                                 &json!({"spec": {"nodePoolID": gpu}})).await;
                let job = s(&r.body["jobid"]).to_string();
                until(&app, "the gpu pool upgrade to end", async || {
                    (show_job(&cce, &t.project_id, &job).await["status"]["phase"] == "Success").then_some(())
                }).await;
                let r = cce.post(&format!("{}/nodepools/DefaultPool/operation/upgrade", cce.cluster(&id)), &json!({"spec": {}})).await;
                let job = s(&r.body["jobid"]).to_string();
                until(&app, "the default pool upgrade to end", async || {
                    (show_job(&cce, &t.project_id, &job).await["status"]["phase"] == "Success").then_some(())
                }).await;
                cce.prechecked(&id, b, c).await;
                let mut body = upgrade_body(c, false);
                body["spec"]["clusterUpgradeAction"]["nodePoolOrder"] = json!({ &gpu: 5, &web: 1 });
                let r = cce.post(&cce.op(&id, "upgrade"), &body).await;
                assert!(r.status.is_success(), "{}", r.text);
                let task = s(&r.body["metadata"]["uid"]).to_string();
                let done = cce.await_upgrade(&id, &task, &["Success", "Failed"]).await;
                assert_eq!(done["status"]["phase"], "Success", "{done}");
                let steps = app.store.upgrade_task_by_id(task.parse().unwrap()).await.unwrap().unwrap().steps;
                let at = |p: &str| steps.iter().position(|st| st == &format!("UpgradeNodePool:{p}")).unwrap_or_else(|| panic!("{p} in {steps:?}"));
                assert!(at(&gpu) < at(&web) && at(&web) < at("DefaultPool"), "{steps:?}");
                for pool in [&gpu, &web] {
                    let p = cce.get(&pool_path(&cce, &id, pool)).await.body;
                    assert!(same_release(s(&p["metadata"]["annotations"]["cce.ucsd.io/version"]), c), "{p}");
                }
            }
        }
    }
}

/// Whether two versions share their release (`v1.28.15-r10` and `v1.28`).
fn same_release(a: &str, b: &str) -> bool {
    let release = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
    release(a) == release(b)
}

/// The provider made to answer every call twice (what a crash between a step's provider call and its
/// commit does), and failing the first steps of the pool of the cluster named `flaky-pool`.
mod replayed {
    use super::*;
    use crate::{harness::spawn_with, upgrades::upgrade_tests};

    const REPLAY_ENV: &[(&str, &str)] =
        &[("UCS_SIMULATOR__REPLAY_CALLS", "true"), ("UCS_SIMULATOR__FAILURES", "ScaleNodePool:flaky-pool:2")];

    upgrade_tests! {
        REPLAY_ENV;

        async fn a_repeated_or_failed_step_makes_each_node_once(app: TestApp) {
            let t = app.tenant("t1").await;
            let cce = Cce::new(&app, &t, Flavor::Cce);
            let (from, _) = cce.hop().await;
            for name in ["replayed", "flaky-pool"] {
                let id = cce.available(name, &from).await;
                let (pool, job) = create_pool(&cce, &id, "pool-a", 3).await;
                await_pool(&app, &cce, &id, &pool, 3).await;
                let j = show_job(&cce, &t.project_id, &job).await;
                assert_eq!(j["status"]["phase"], "Success", "{j}");
                // The flaky pool's first step failed and was retried; the failure is the job's reason.
                assert_eq!(s(&j["status"]["reason"]).contains("simulated failure"), name == "flaky-pool", "{j}");
                let mut uids = nodes_of(&cce, &id, &pool).await;
                uids.sort();
                uids.dedup();
                assert_eq!(uids.len(), 3, "three distinct nodes: {uids:?}");
                let effects = app.store.provider_effects(&id).await.unwrap();
                let scaled: Vec<i64> = effects.iter().filter(|(e, _)| e == "ScaleNodePool").map(|(_, calls)| *calls).collect();
                // One step made all three nodes; the replaying provider called it twice, once in effect.
                assert_eq!(scaled, [2], "{effects:?}");
            }
        }
    }
}
