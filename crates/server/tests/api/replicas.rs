//! Several replicas on one Postgres database.

use std::sync::Arc;

use domain::{clock::ShiftedClock, identity::AccessKeyStatus};

use crate::{
    clusters::attached,
    harness::{spawn_replica, TestApp},
};

/// How one of [`two_replicas`] runs: its settings on top of the test configuration, its background
/// workers, and whether it listens for the other's notifications.
#[derive(Clone, Copy)]
pub(crate) struct Replica<'a> {
    pub env: &'a [(&'a str, &'a str)],
    pub workers: usize,
    pub listens: bool,
}

/// Two replicas of one fresh Postgres schema with one master key, on the wall clock. Returns once
/// the listeners (if any) have had time to connect.
pub(crate) async fn two_replicas(first: Replica<'_>, second: Replica<'_>) -> (TestApp, TestApp) {
    let url = store_pg::testing::fresh_schema_url().await;
    let clock = ShiftedClock::default();
    let key = secrets::MasterKey::generate().to_base64();
    let open = || async { store_pg::open(&url, 8, Arc::new(clock.clone())).await.unwrap() };
    let first_store = open().await;
    first_store.migrate().await.unwrap();
    let second_store = open().await;
    let a = spawn_replica(first_store.clone(), clock.clone(), &key, first.env, first.workers).await;
    let b = spawn_replica(second_store.clone(), clock, &key, second.env, second.workers).await;
    for (replica, store) in [(first, first_store), (second, second_store)] {
        if replica.listens {
            store_pg::listen(url.clone(), store);
        }
    }
    if first.listens || second.listens {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_enqueued_on_one_replica_wakes_the_workers_of_another_at_once() {
    // The first replica runs no workers; the second polls only once a minute, so only the
    // notification can make it pick the activation up within the test's patience.
    let polls_rarely = [("UCS_WORKER__POLL_INTERVAL_MILLIS", "60000")];
    let (a, b) = two_replicas(
        Replica { env: &[], workers: 0, listens: false },
        Replica { env: &polls_rarely, workers: 2, listens: true },
    )
    .await;
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
    let (a, b) = two_replicas(
        Replica { env: &[], workers: 2, listens: false },
        Replica { env: &[], workers: 2, listens: true },
    )
    .await;
    let t = a.tenant("t1").await;
    let quota = a.config.quotas.clusters;
    for i in 0..quota - 1 {
        a.register(&t, &serde_json::json!({"kind": "Cluster", "apiVersion": "v1", "metadata": {"name": format!("c{i}")},
            "spec": {"category": "onpremise", "type": "baremetal", "provider": "huaweicloud", "country": "CN", "city": "110000",
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

/// Two replicas that keep verified credentials for ten minutes: only the notification of a change
/// can make the other replica forget one in time.
async fn two_caching_replicas() -> (TestApp, TestApp) {
    let caching =
        Replica { env: &[("UCS_HTTP__CREDENTIAL_CACHE_TTL_MILLIS", "600000")], workers: 0, listens: true };
    two_replicas(caching, caching).await
}

/// Polls `app` with `t`'s key until it is refused; how long after `start` that was.
async fn refused_after(
    app: &TestApp,
    t: &server::admin::TenantCredentials,
    start: std::time::Instant,
) -> std::time::Duration {
    loop {
        let r = app.get("/v1/clusters").signed(t).send().await;
        if r.status == 401 {
            return start.elapsed();
        }
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(start.elapsed() < std::time::Duration::from_secs(5), "the key still works after 5 s");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_or_deleted_access_key_stops_working_on_every_replica_within_a_second() {
    let (a, b) = two_caching_replicas().await;
    let t = a.tenant("t1").await;
    for app in [&a, &b] {
        assert_eq!(app.get("/v1/clusters").signed(&t).send().await.status, 200);
        assert_eq!(app.app.state.credentials.len(), 1, "the key is cached");
    }
    // Disabled by the operator on the first replica's store (as `ucsd admin` would, from anywhere).
    let start = std::time::Instant::now();
    server::admin::access_key_set_status(&a.store, "t1", &t.access_key, AccessKeyStatus::Inactive)
        .await
        .unwrap();
    for app in [&a, &b] {
        let took = refused_after(app, &t, start).await;
        assert!(took < std::time::Duration::from_secs(1), "refused only after {took:?}");
    }
    server::admin::access_key_set_status(&a.store, "t1", &t.access_key, AccessKeyStatus::Active)
        .await
        .unwrap();
    for app in [&a, &b] {
        app.eventually("the key works again", async || {
            let r = app.get("/v1/clusters").signed(&t).send().await;
            if r.status == 200 {
                Ok(())
            } else {
                Err(r.text)
            }
        })
        .await;
    }
    // Deleted on the second replica's store: the first (which cached it again) refuses it too.
    let start = std::time::Instant::now();
    server::admin::access_key_delete(&b.store, "t1", &t.access_key).await.unwrap();
    for app in [&b, &a] {
        let took = refused_after(app, &t, start).await;
        assert!(took < std::time::Duration::from_secs(1), "refused only after {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_see_the_writes_of_another_replica_at_once() {
    let (a, b) = two_caching_replicas().await;
    let t = a.tenant("t1").await;
    let first = b.get("/v1/clusters").signed(&t).send().await;
    assert_eq!(first.body["total"], 0);
    let etag = first.headers["etag"].to_str().unwrap().to_string();
    // Cached on the second replica: it answers 304 to its own tag.
    let again = b.get("/v1/clusters").header("if-none-match", &etag).signed(&t).send().await;
    assert_eq!(again.status, 304);
    for i in 0..3 {
        let id = a.register(&t, &attached(&format!("prod-{i}"))).await;
        // The very next read on the other replica sees it: the write raised the tenant's generation in
        // its own commit, and every read reads the generation.
        let r = b.get("/v1/clusters").header("if-none-match", &etag).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["total"], i + 1);
        assert_ne!(r.headers["etag"].to_str().unwrap(), etag);
        let shown = b.get(&format!("/v1/clusters/{id}")).signed(&t).send().await;
        assert_eq!(shown.status, 200, "{}", shown.text);
        let r = a.call(axum::http::Method::DELETE, &format!("/v1/clusters/{id}")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let gone = b.get(&format!("/v1/clusters/{id}")).signed(&t).send().await;
        assert_eq!(gone.status, 404, "{}", gone.text);
        let id = a.register(&t, &attached(&format!("keep-{i}"))).await;
        let shown = b.get(&format!("/v1/clusters/{id}")).signed(&t).send().await;
        assert_eq!(shown.status, 200, "{}", shown.text);
    }
}
