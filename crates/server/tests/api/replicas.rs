//! Several replicas on one Postgres database.

use std::sync::Arc;

use domain::clock::ShiftedClock;

use crate::{
    clusters::attached,
    harness::{spawn_replica, TestApp},
};

async fn two_replicas(first_workers: usize, second_env: &[(&str, &str)]) -> (TestApp, TestApp) {
    let url = store_pg::testing::fresh_schema_url().await;
    let clock = ShiftedClock::default();
    let key = secrets::MasterKey::generate().to_base64();
    let open = || async { store_pg::open(&url, 8, Arc::new(clock.clone())).await.unwrap() };
    let first = open().await;
    first.migrate().await.unwrap();
    let second = open().await;
    let a = spawn_replica(first, clock.clone(), &key, &[], first_workers).await;
    let b = spawn_replica(second.clone(), clock, &key, second_env, 2).await;
    store_pg::listen(url.clone(), second);
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_enqueued_on_one_replica_wakes_the_workers_of_another_at_once() {
    // The first replica runs no workers; the second polls only once a minute, so only the
    // notification can make it pick the activation up within the test's patience.
    let (a, b) = two_replicas(0, &[("UCS_WORKER__POLL_INTERVAL_MILLIS", "60000")]).await;
    let t = a.tenant("t1").await;
    // Let the second replica's workers go idle (and its listener connect) first: real workers, real
    // time.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let id = a.register(&t, &attached("prod-1")).await;
    // Credentials, clusters and jobs are shared: the second replica answers for the first's tenant.
    let c = b.await_phase(&t, &id, "Available").await;
    assert_eq!(c["status"]["kubernetesVersion"], "v1.28");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_hold_across_replicas() {
    let (a, b) = two_replicas(2, &[]).await;
    let t = a.tenant("t1").await;
    let quota = a.config.quotas.clusters;
    for i in 0..quota - 1 {
        a.register(&t, &serde_json::json!({"kind": "Cluster", "apiVersion": "v1", "metadata": {"name": format!("c{i}")},
            "spec": {"category": "self", "type": "cce", "provider": "huaweicloud", "country": "CN", "city": "110000",
                     "manageType": "discrete"}})).await;
    }
    let calls = (0..32).flat_map(|i| {
        [&a, &b].map(|app| {
            app.post("/v1/clusters")
                .json(&attached(&format!("race-{i}-{}", app.host.len() % 7 + i)))
                .signed(&t)
                .send()
        })
    });
    let results = futures::future::join_all(calls).await;
    assert_eq!(
        results.iter().filter(|r| r.status == 201).count(),
        1,
        "exactly one fits, whichever replica took it"
    );
    assert_eq!(a.cluster_count(&t).await, quota);
}
