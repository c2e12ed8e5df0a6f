//! Fleet federation over HTTP: U23–U29 as workflows on the job engine.

use axum::http::Method;
use serde_json::{json, Value};
use server::admin::TenantCredentials;

use crate::{
    clusters::attached,
    harness::{backend_tests, TestApp},
};

impl TestApp {
    /// An activated cluster.
    async fn available(&self, t: &TenantCredentials, name: &str) -> String {
        let id = self.register(t, &attached(name)).await;
        self.await_phase(t, &id, "Available").await;
        id
    }

    async fn progress(&self, t: &TenantCredentials, fleet: &str) -> Value {
        let r = self.get(&format!("/v1/clustergroups/{fleet}/federations/progress")).signed(t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    }

    /// The progress once the fleet's workflow has run, which must have ended `kind` with `phase`.
    async fn await_progress(&self, t: &TenantCredentials, fleet: &str, kind: &str, phase: &str) -> Value {
        self.eventually(&format!("{kind} {phase}"), async || {
            let p = self.progress(t, fleet).await;
            if p["spec"]["type"] == kind && p["status"]["phase"] == phase {
                Ok(p)
            } else {
                Err(p.to_string())
            }
        })
        .await
    }

    async fn federated_fleet(&self, t: &TenantCredentials, name: &str, clusters: &[&str]) -> String {
        let fleet = self.fleet(t, name, clusters).await;
        let r = self.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        self.await_progress(t, &fleet, "CreateFederationContainer", "Success").await;
        fleet
    }
}

fn step_types(progress: &Value) -> Vec<(String, String)> {
    progress["spec"]["subJobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["spec"]["type"].as_str().unwrap().to_string(),
                s["status"]["phase"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn connection_body(t: &TenantCredentials) -> Value {
    json!({"projectID": t.project_id, "vpcID": "11c9fe72-5a90-4295-bcfe-774726fb9066",
           "subnetID": "0de91d89-1e06-4e24-b371-35d5d3d3779b", "duration": 30})
}

backend_tests! {
    async fn enabling_federation_runs_every_step_once_and_federates_the_fleet(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.available(&t, "a1").await;
        let b = app.available(&t, "b1").await;
        let fleet = app.fleet(&t, "prod-fleet", &[&a, &b]).await;
        let r = app.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        let p = app.await_progress(&t, &fleet, "CreateFederationContainer", "Success").await;
        assert_eq!(p["kind"], "Job");
        let steps = step_types(&p);
        let names: Vec<&str> = steps.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(names, ["CreateCert", "CreateNode", "CreateNetworkResource", "InstallFederationChart", "JoinCluster", "JoinCluster"]);
        assert!(steps.iter().all(|s| s.1 == "Success"), "{steps:?}");
        let f = app.fleet_json(&t, &fleet).await;
        assert_eq!(f["status"]["conditions"][0]["type"], "Federation");
        assert_eq!(f["status"]["conditions"][0]["status"], "Available");
        assert_eq!(f["spec"]["federationVersion"], "v1.7.0");
        assert_eq!(p["spec"]["federationUID"], f["spec"]["federationId"]);
        assert!(p["status"]["startTime"].as_str().unwrap().ends_with("UTC"));
        // Each side effect happened exactly once.
        let effects = app.store.provider_effects(&fleet).await.unwrap();
        let effect_names: Vec<&str> = effects.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(effect_names, ["CreateCert", "CreateNode", "CreateNetworkResource", "InstallFederationChart"]);
        for member in [&a, &b] {
            let joins: Vec<_> = app.store.provider_effects(member).await.unwrap().into_iter().filter(|e| e.0 == "JoinCluster").collect();
            assert_eq!(joins.len(), 1, "{member}");
        }
        let q = app.get(&format!("/v1/maintenance/quota/{}", t.domain_id)).signed(&t).send().await;
        let used = q.body["quotas"]["resources"].as_array().unwrap().iter().find(|r| r["type"] == "federation").unwrap()["used"].clone();
        assert_eq!(used, "1");
    }

    async fn a_fleet_is_federated_once_and_only_with_available_clusters(app: TestApp) {
        let t = app.tenant("t1").await;
        let empty = app.fleet(&t, "empty-fleet", &[]).await;
        app.post(&format!("/v1/clustergroups/{empty}/federations")).signed(&t).send().await.assert_error(400, "UCS.01080004");
        let doomed = app.register(&t, &attached("doomed")).await;
        app.await_phase(&t, &doomed, "Unavailable").await;
        let bad = app.fleet(&t, "bad-fleet", &[&doomed]).await;
        let r = app.post(&format!("/v1/clustergroups/{bad}/federations")).signed(&t).send().await;
        r.assert_error(400, "UCS.01080004");
        assert!(r.body["error_msg"].as_str().unwrap().contains("doomed"));
        let a = app.available(&t, "a1").await;
        let fleet = app.federated_fleet(&t, "prod-fleet", &[&a]).await;
        app.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await.assert_error(400, "UCS.01080002");
        // While federated, neither the fleet nor its clusters can be deleted.
        app.call(Method::DELETE, &format!("/v1/clustergroups/{fleet}")).signed(&t).send().await.assert_error(400, "UCS.01080002");
        app.call(Method::DELETE, &format!("/v1/clusters/{a}")).signed(&t).send().await.assert_error(400, "UCS.01080002");
        app.get(&format!("/v1/clustergroups/{empty}/federations/progress")).signed(&t).send().await.assert_error(400, "UCS.01080001");
    }

    async fn concurrent_enables_start_one_workflow(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.available(&t, "a1").await;
        let fleet = app.fleet(&t, "prod-fleet", &[&a]).await;
        let calls = (0..16).map(|_| app.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send());
        let results = futures::future::join_all(calls).await;
        assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1);
        for r in results.iter().filter(|r| r.status != 201) {
            r.assert_error(400, "UCS.01080002");
        }
        app.await_progress(&t, &fleet, "CreateFederationContainer", "Success").await;
        let jobs = app.store.job_list_for_resource("fleet", &fleet).await.unwrap();
        assert_eq!(jobs.iter().filter(|j| j.kind.as_str() == "federation.enable").count(), 1);
    }

    async fn disabling_unjoins_and_tears_the_federation_down(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.available(&t, "a1").await;
        let fleet = app.fleet(&t, "prod-fleet", &[&a]).await;
        app.call(Method::DELETE, &format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await.assert_error(400, "UCS.01080006");
        app.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await;
        app.await_progress(&t, &fleet, "CreateFederationContainer", "Success").await;
        let r = app.call(Method::DELETE, &format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let p = app.await_progress(&t, &fleet, "DeleteFederationContainer", "Success").await;
        let names: Vec<String> = step_types(&p).into_iter().map(|s| s.0).collect();
        assert_eq!(names, ["UnjoinCluster", "UninstallFederationChart", "DeleteNetworkResource", "DeleteNode", "DeleteCert"]);
        let f = app.fleet_json(&t, &fleet).await;
        assert_eq!(f["status"]["conditions"], json!([]));
        assert_eq!(f["spec"]["federationId"], "");
        // Federation can be enabled again, and the fleet deleted once empty.
        app.post(&format!("/v1/clusters/{a}/unjoin")).signed(&t).send().await;
        assert_eq!(app.call(Method::DELETE, &format!("/v1/clustergroups/{fleet}")).signed(&t).send().await.status, 200);
    }

    async fn a_member_that_cannot_join_does_not_stop_the_federation_but_fails_the_workflow_and_is_retried(app: TestApp) {
        let t = app.tenant("t1").await;
        let good = app.available(&t, "a1").await;
        let bad = app.available(&t, "nojoin").await;
        let fleet = app.fleet(&t, "prod-fleet", &[&good, &bad]).await;
        app.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await;
        // The control plane stands and the good member joined, but the workflow did not succeed.
        let p = app.await_progress(&t, &fleet, "CreateFederationContainer", "Failed").await;
        let reason = p["status"]["reason"].as_str().unwrap();
        assert!(reason.contains("1 member cluster(s) failed to join") && reason.contains("simulated failure"), "{reason}");
        let failed: Vec<_> = p["spec"]["subJobs"].as_array().unwrap().iter().filter(|s| s["status"]["phase"] == "Failed").collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0]["spec"]["resourceID"], bad);
        assert!(failed[0]["status"]["reason"].as_str().unwrap().contains("simulated failure"));
        let f = app.fleet_json(&t, &fleet).await;
        assert_eq!(f["status"]["conditions"][0]["status"], "Available");
        assert!(f["status"]["conditions"][0]["message"].as_str().unwrap().contains("retryjoinall"));
        let r = app.post(&format!("/v1/clustergroups/{fleet}/federations?retryjoinall=true")).signed(&t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        app.settle().await;
        let joins = app.store.job_list_for_resource("fleet", &fleet).await.unwrap().into_iter().filter(|j| j.kind.as_str() == "federation.join").collect::<Vec<_>>();
        assert_eq!(joins.len(), 1, "{joins:?}");
        assert_eq!(joins[0].state, domain::job::JobState::Failed, "the retried join ended: {joins:?}");
    }

    async fn a_failed_control_plane_step_fails_the_workflow_with_its_reason(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.available(&t, "a1").await;
        let fleet = app.fleet(&t, "broken-fleet", &[&a]).await;
        app.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await;
        let p = app.await_progress(&t, &fleet, "CreateFederationContainer", "Failed").await;
        assert!(p["status"]["reason"].as_str().unwrap().starts_with("InstallFederationChart: simulated failure"), "{p}");
        let f = app.fleet_json(&t, &fleet).await;
        assert_eq!(f["status"]["conditions"][0]["status"], "Unavailable");
        // A step that fails once is retried and the workflow goes on.
        let b = app.available(&t, "b1").await;
        let flaky = app.federated_fleet(&t, "flaky-fleet", &[&b]).await;
        let nodes = app.store.provider_effects(&flaky).await.unwrap().into_iter().filter(|e| e.0 == "CreateNode").count();
        assert_eq!(nodes, 1);
    }

    async fn a_workflow_whose_every_step_fails_once_still_succeeds_with_each_effect_once(app: TestApp) {
        let t = app.tenant("t1").await;
        let member = app.available(&t, "once-member").await;
        let fleet = app.federated_fleet(&t, "once-fleet", &[&member]).await;
        let steps = app.store.job_list_for_resource("fleet", &fleet).await.unwrap();
        let enable = steps.iter().find(|j| j.kind.as_str() == "federation.enable").unwrap();
        let subjobs = app.store.job_subjobs(enable.id).await.unwrap();
        assert_eq!(subjobs.len(), 5);
        for sub in &subjobs {
            assert_eq!((sub.state, sub.attempts), (domain::job::JobState::Succeeded, 2), "{}", sub.kind);
        }
        let effects = app.store.provider_effects(&fleet).await.unwrap();
        assert!(effects.iter().all(|(_, calls)| *calls == 1), "a failed call has no effect: {effects:?}");
        assert_eq!(effects.len(), 4);
        let joins = app.store.provider_effects(&member).await.unwrap().into_iter().filter(|e| e.0 == "JoinCluster").count();
        assert_eq!(joins, 1);
    }

    async fn members_join_and_leave_a_federated_fleet(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.available(&t, "a1").await;
        let b = app.available(&t, "b1").await;
        let fleet = app.federated_fleet(&t, "prod-fleet", &[&a]).await;
        let r = app.post(&format!("/v1/clusters/{b}/join")).json(&json!({"clusterGroupID": fleet})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.post(&format!("/v1/clusters/{a}/unjoin")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        app.settle().await;
        let joined = app.store.provider_effects(&b).await.unwrap().iter().any(|e| e.0 == "JoinCluster");
        let left = app.store.provider_effects(&a).await.unwrap().iter().any(|e| e.0 == "UnjoinCluster");
        assert!(joined && left, "membership changes reach the federation: joined {joined}, left {left}");
    }

    async fn connection_cert_and_kubeconfig_give_real_artefacts_of_the_federation_ca(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.available(&t, "a1").await;
        let plain = app.fleet(&t, "plain-fleet", &[]).await;
        app.post(&format!("/v1/clustergroups/{plain}/kubeconfig")).json(&json!({"duration": 30})).signed(&t).send().await.assert_error(400, "UCS.01080006");
        let fleet = app.federated_fleet(&t, "prod-fleet", &[&a]).await;
        app.post(&format!("/v1/clustergroups/{fleet}/kubeconfig")).json(&json!({"duration": 30})).signed(&t).send().await.assert_error(400, "UCS.01080001");
        let mut bad = connection_body(&t);
        bad["projectID"] = json!("ffffffffffffffffffffffffffffffff");
        app.post(&format!("/v1/clustergroups/{fleet}/connection")).json(&bad).signed(&t).send().await.assert_error(400, "UCS.01000012");
        let r = app.post(&format!("/v1/clustergroups/{fleet}/connection")).json(&connection_body(&t)).signed(&t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        let connection = r.body["id"].as_str().unwrap().to_string();
        let again = app.post(&format!("/v1/clustergroups/{fleet}/connection")).json(&connection_body(&t)).signed(&t).send().await;
        assert_eq!(again.body["id"], connection, "one connection per federation");
        for (path, body) in [(format!("/v1/clustergroups/{fleet}/kubeconfig"), json!({"duration": 30})),
                             (format!("/v1/clustergroups/{fleet}/cert"), connection_body(&t))] {
            let r = app.post(&path).json(&body).signed(&t).send().await;
            assert_eq!(r.status, 201, "{}", r.text);
            assert_eq!(r.body["kind"], "Config");
            assert!(r.body["clusters"][0]["cluster"]["server"].as_str().unwrap().starts_with("https://"));
            assert!(r.body["users"][0]["user"]["client-certificate-data"].as_str().is_some());
            assert_eq!(r.body["current-context"], r.body["contexts"][0]["name"]);
        }
        for duration in [json!(0), json!(10951), json!("30")] {
            let r = app.post(&format!("/v1/clustergroups/{fleet}/kubeconfig")).json(&json!({"duration": duration})).signed(&t).send().await;
            r.assert_error(400, "UCS.01000012");
        }
    }

    async fn upgrading_moves_the_federation_to_the_target_version(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.available(&t, "a1").await;
        let plain = app.fleet(&t, "plain-fleet", &[]).await;
        app.post(&format!("/v1/clustergroups/{plain}/federations/upgrade")).json(&json!({"targetVersion": "v1.8.0"})).signed(&t).send().await.assert_error(400, "UCS.01080006");
        let fleet = app.federated_fleet(&t, "prod-fleet", &[&a]).await;
        app.post(&format!("/v1/clustergroups/{fleet}/federations/upgrade")).json(&json!({"targetVersion": "latest"})).signed(&t).send().await.assert_error(400, "UCS.01000012");
        let r = app.post(&format!("/v1/clustergroups/{fleet}/federations/upgrade")).json(&json!({"targetVersion": "v1.8.0"})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        app.await_progress(&t, &fleet, "UpgradeFederation", "Success").await;
        assert_eq!(app.fleet_json(&t, &fleet).await["spec"]["federationVersion"], "v1.8.0");
    }
}

/// Every provider call made twice (`simulator.replay_calls`), as a crash between each call and its
/// commit would: the workflows end the same, with each effect carried out once.
mod replayed {
    use super::*;
    use crate::{
        harness::spawn_with,
        upgrades::{Cce, Flavor},
    };

    const REPLAY_ENV: &[(&str, &str)] = &[("UCS_SIMULATOR__REPLAY_CALLS", "true")];

    async fn a_federation_and_an_upgrade_end_the_same_when_every_call_is_made_twice(app: TestApp) {
        let t = app.tenant("t1").await;
        let a = app.available(&t, "a1").await;
        let b = app.available(&t, "b1").await;
        let fleet = app.federated_fleet(&t, "prod-fleet", &[&a, &b]).await;
        let f = app.fleet_json(&t, &fleet).await;
        assert_eq!(f["status"]["conditions"][0]["status"], "Available");
        let effects = app.store.provider_effects(&fleet).await.unwrap();
        let names: Vec<&str> = effects.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(names, ["CreateCert", "CreateNode", "CreateNetworkResource", "InstallFederationChart"]);
        assert!(effects.iter().all(|(_, calls)| *calls == 2), "each asked for twice, done once: {effects:?}");
        for member in [&a, &b] {
            let effects = app.store.provider_effects(member).await.unwrap();
            assert_eq!(
                effects,
                [("ActivateCluster".to_string(), 2), ("JoinCluster".to_string(), 2)],
                "{member}"
            );
        }

        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, to) = cce.hop().await;
        let id = cce.available("replayed", &from).await;
        cce.prechecked(&id, &from, &to).await;
        let task = cce.start_upgrade(&id, &to).await;
        let done = cce.await_upgrade(&id, &task, &["Success", "Failed"]).await;
        assert_eq!(done["status"]["phase"], "Success", "{done}");
        assert_eq!(cce.show(&id).await["metadata"]["annotations"]["cce.ucsd.io/version"], to);
        let effects = app.store.provider_effects(&id).await.unwrap();
        let names: Vec<&str> = effects.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "CreateCluster",
                "LimitCheck",
                "MasterCheck",
                "NodeCheck",
                "AddonCheck",
                "UpgradeMaster",
                "UpgradeAddons",
                "UpgradeNodePool:DefaultPool",
                "Finish"
            ]
        );
        assert!(effects.iter().all(|(_, calls)| *calls == 2), "{effects:?}");
        // The node pool got the new version once, the cluster keeps its three nodes.
        let pools = app.store.cce_cluster_by_id(id.parse().unwrap()).await.unwrap().unwrap().node_pools;
        assert_eq!(pools.len(), 1);
        assert_eq!(pools[0].nodes.len(), 3);
        assert_eq!(pools[0].version, to);
    }

    mod sqlite {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_federation_and_an_upgrade_end_the_same_when_every_call_is_made_twice() {
            let app = super::spawn_with(crate::harness::Backend::Sqlite, super::REPLAY_ENV).await;
            super::a_federation_and_an_upgrade_end_the_same_when_every_call_is_made_twice(app).await
        }
    }

    mod postgres {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_federation_and_an_upgrade_end_the_same_when_every_call_is_made_twice() {
            let app = super::spawn_with(crate::harness::Backend::Postgres, super::REPLAY_ENV).await;
            super::a_federation_and_an_upgrade_end_the_same_when_every_call_is_made_twice(app).await
        }
    }
}
