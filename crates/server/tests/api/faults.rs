//! The engine under database faults: every workflow ends as it would have without them, with each
//! provider effect carried out once. Faults are injected while the workflows run: every n-th
//! transaction begin or commit fails (half of the failed commits did reach the database, their answer
//! lost), and on Postgres the pool's connections are also terminated (`pg_terminate_backend`) again
//! and again, mid-transaction. Requests are made with the faults off: it is the engine under test.

use serde_json::Value;
use server::admin::TenantCredentials;

use crate::{
    clusters::attached,
    harness::{backend_tests, TestApp},
    upgrades::{Cce, Flavor},
};

/// Every how many begins or commits one fails.
const FAULT_EVERY: u64 = 4;

impl TestApp {
    /// Drives the engine until the workflows settle while the database fails under it.
    async fn settle_under_faults(&self) {
        self.store.inject_faults(FAULT_EVERY);
        let stop = tokio_util::sync::CancellationToken::new();
        let killer = (self.store.dialect() == store::Dialect::Postgres).then(|| {
            let (store, stop) = (self.store.clone(), stop.clone());
            tokio::spawn(async move {
                // Stopped between rounds, never mid-statement: no termination lands after it.
                while !stop.is_cancelled() {
                    let _ = store_pg::testing::terminate_connections(&store).await;
                    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
                }
            })
        });
        self.settle_through_faults().await;
        stop.cancel();
        if let Some(killer) = killer {
            killer.await.unwrap();
        }
        self.store.inject_faults(0);
        // Whatever a fault left undone (a lease to run out, a retry's backoff) finishes now.
        self.settle().await;
    }

    async fn effects(&self, resource: &str) -> Vec<String> {
        self.store.provider_effects(resource).await.unwrap().into_iter().map(|(effect, _)| effect).collect()
    }

    async fn progress_of(&self, t: &TenantCredentials, fleet: &str) -> Value {
        let r = self.get(&format!("/v1/clustergroups/{fleet}/federations/progress")).signed(t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    }
}

backend_tests! {
    async fn workflows_end_as_without_faults_when_the_database_fails_under_the_engine(app: TestApp) {
        let t = app.tenant("t1").await;
        // Activations.
        let mut clusters = Vec::new();
        for i in 0..6 {
            clusters.push(app.register(&t, &attached(&format!("m{i}"))).await);
        }
        app.settle_under_faults().await;
        for id in &clusters {
            assert_eq!(app.cluster(&t, id).await["status"]["phase"], "Available", "{id}");
            assert_eq!(app.effects(id).await, ["ActivateCluster"], "{id}");
        }

        // Federation: the control plane, then every member at once.
        let members: Vec<&str> = clusters.iter().map(String::as_str).collect();
        let fleet = app.fleet(&t, "faulty-fleet", &members).await;
        let r = app.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        app.settle_under_faults().await;
        let p = app.progress_of(&t, &fleet).await;
        assert_eq!(p["status"]["phase"], "Success", "{p}");
        let steps = p["spec"]["subJobs"].as_array().unwrap();
        assert_eq!(steps.len(), 4 + clusters.len());
        assert!(steps.iter().all(|s| s["status"]["phase"] == "Success"), "{p}");
        assert_eq!(
            app.effects(&fleet).await,
            ["CreateCert", "CreateNode", "CreateNetworkResource", "InstallFederationChart"]
        );
        for id in &clusters {
            assert_eq!(app.effects(id).await, ["ActivateCluster", "JoinCluster"], "{id}");
        }
        let f = app.fleet_json(&t, &fleet).await;
        assert_eq!(f["status"]["conditions"][0]["status"], "Available", "{f}");

        // A CCE cluster built, prechecked and upgraded.
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, to) = cce.hop().await;
        let id = cce.create_cluster("faulty-cce", Some(&from)).await["metadata"]["uid"].as_str().unwrap().to_string();
        app.settle_under_faults().await;
        assert_eq!(cce.show(&id).await["status"]["phase"], "Available");
        let precheck = cce.start_precheck(&id, &from, &to, None).await;
        app.settle_under_faults().await;
        let r = cce.get(&cce.op(&id, &format!("precheck/tasks/{precheck}"))).await;
        assert_eq!(r.body["status"]["phase"], "Success", "{}", r.text);
        let task = cce.start_upgrade(&id, &to).await;
        app.settle_under_faults().await;
        let done = cce.upgrade_task(&id, &task).await;
        assert_eq!(done["status"]["phase"], "Success", "{done}");
        assert_eq!(done["status"]["progress"], "100");
        assert!(crate::upgrades::same_version(&cce.version(&id).await, &to));
        let effects = app.effects(&id).await;
        let unique: std::collections::BTreeSet<&String> = effects.iter().collect();
        assert_eq!(unique.len(), effects.len(), "each effect once: {effects:?}");
        assert!(effects.iter().any(|e| e == "UpgradeMaster") && effects.iter().any(|e| e == "Finish"), "{effects:?}");

        // Disabling: every member leaves at once, then the control plane goes.
        let r = app.call(axum::http::Method::DELETE, &format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        app.settle_under_faults().await;
        let p = app.progress_of(&t, &fleet).await;
        assert_eq!((p["spec"]["type"].as_str(), p["status"]["phase"].as_str()), (Some("DeleteFederationContainer"), Some("Success")), "{p}");
        let f = app.fleet_json(&t, &fleet).await;
        assert_eq!(f["spec"]["federationId"], "", "{f}");
        for id in &clusters {
            assert_eq!(app.effects(id).await, ["ActivateCluster", "JoinCluster", "UnjoinCluster"], "{id}");
        }
        // Nothing is left running, and every job of the tenant ended as it should have.
        assert_eq!(app.open_jobs().await, "");
        // The faults did land: jobs were run again after a store error (their last error says so).
        let retried: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE last_error = 'Database operation failed.'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        assert!(retried > 0, "no job met a fault");
    }
}
