//! Rate limits (`[rate_limit]`): a tenant or a credential over its bucket gets 429 in the route's
//! family with `Retry-After`; a tenant that floods does not slow a quiet one; two access keys of one
//! tenant have their own buckets; a rate of 0 never throttles.
//!
//! The buckets run on the wall clock (a request rate is real time, not the test's manual clock). Where
//! a test counts requests exactly, it configures 60 replicas: each then refills one token a minute,
//! so no token comes back while the test runs, however slow the machine.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use server::admin::TenantCredentials;

use crate::harness::{spawn_with, Backend, Response, TestApp};

/// Declares each `async fn name(backend: Backend)` once and runs it on both backends.
macro_rules! limit_tests {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {
        $(async fn $name($backend: Backend) $body)*

        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::harness::Backend::Sqlite).await
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::harness::Backend::Postgres).await
                }
            )*
        }
    };
}

/// A server with these limits (rate and burst of the tenant, then of each credential, all replicas
/// together) as one of `replicas`.
async fn limited(backend: Backend, tenant: (u32, u32), credential: (u32, u32), replicas: u32) -> TestApp {
    let values = [tenant.0, tenant.1, credential.0, credential.1, replicas].map(|v| v.to_string());
    let env = [
        ("UCS_RATE_LIMIT__TENANT_PER_SECOND", values[0].as_str()),
        ("UCS_RATE_LIMIT__TENANT_BURST", values[1].as_str()),
        ("UCS_RATE_LIMIT__CREDENTIAL_PER_SECOND", values[2].as_str()),
        ("UCS_RATE_LIMIT__CREDENTIAL_BURST", values[3].as_str()),
        ("UCS_RATE_LIMIT__REPLICAS", values[4].as_str()),
    ];
    spawn_with(backend, &env).await
}

/// One token a minute per replica and a burst of `burst`: see the module's comment.
const REPLICAS: u32 = 60;

fn slow(burst: u32) -> (u32, u32) {
    (1, burst * REPLICAS)
}

fn cce_clusters(t: &TenantCredentials) -> String {
    format!("/api/v3/projects/{}/clusters", t.project_id)
}

/// Asserts a throttled answer: 429, the code, and the `Retry-After` of a bucket that refills one
/// token a minute (a few seconds went by since it was emptied, at most).
#[track_caller]
fn assert_throttled(r: &Response, code: &str) {
    r.assert_error(429, code);
    let retry_after: u64 = r.headers["retry-after"].to_str().unwrap().parse().expect("whole seconds");
    assert!((50..=60).contains(&retry_after), "Retry-After {retry_after}: {}", r.text);
}

/// `GET path` signed with `ak`/`sk`.
async fn get(app: &TestApp, path: &str, ak: &str, sk: &str) -> Response {
    app.get(path).sign_with(ak, sk).send().await
}

/// The value of `ucsd_http_throttled_total` with these labels in a scrape.
async fn throttled_count(app: &TestApp, family: &str, limit: &str) -> u64 {
    let text = app.get("/metrics").send().await.text;
    let series = format!("ucsd_http_throttled_total{{family=\"{family}\",limit=\"{limit}\"}} ");
    let line = text.lines().find(|l| l.starts_with(&series)).unwrap_or_else(|| panic!("no {series}: {text}"));
    line[series.len()..].parse().unwrap()
}

/// The quiet tenant's requests per phase, and the pause after each (at most 50 a second).
const SAMPLES: usize = 100;
const PACE: Duration = Duration::from_millis(20);
/// The flooding tenant's concurrent clients, and the pause after each of their requests.
const FLOODERS: usize = 8;
const FLOOD_PAUSE: Duration = Duration::from_millis(10);

/// The 99th percentile of `samples` (nearest rank).
fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[(samples.len() * 99).div_ceil(100) - 1]
}

limit_tests! {
    async fn a_tenant_over_its_limit_gets_429_with_retry_after_on_ucs_and_cce_routes(backend: Backend) {
        let app = limited(backend, slow(3), (0, 0), REPLICAS).await;
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        let (ak, sk) = (t.access_key.as_str(), t.secret_key.as_str());
        for _ in 0..3 {
            assert_eq!(get(&app, "/v1/clusters", ak, sk).await.status, 200);
        }
        let r = get(&app, "/v1/clusters", ak, sk).await;
        assert_throttled(&r, "UCS.01000002");
        assert!(r.body["error_msg"].as_str().unwrap().starts_with("The throttling threshold has been reached."));
        assert!(r.text.contains("the account"), "{}", r.text);
        // The tenant's bucket on a CCE route: the CCE family's throttling code.
        let r = get(&app, &cce_clusters(&t), ak, sk).await;
        assert_throttled(&r, "CCE.02429001");
        assert!(r.body["error_msg"].as_str().unwrap().starts_with("The maximum number of requests has been reached."));
        // A refused write is not carried out, and nothing (not even its audit event) is written.
        let domain = t.domain_id.parse().unwrap();
        let audit = app.store.audit_list(domain, 100).await.unwrap().len();
        let body = serde_json::json!({"metadata": {"name": "throttled-fleet"}});
        assert_throttled(&app.post("/v1/clustergroups").json(&body).signed(&t).send().await, "UCS.01000002");
        assert_eq!(app.store.audit_list(domain, 100).await.unwrap().len(), audit, "no audit event");
        // Token requests of the tenant share its bucket; unauthenticated routes are not limited.
        let token = app.token(&t).await;
        assert_throttled(&app.get("/v1/clusters").token(&token).send().await, "UCS.01000002");
        assert_eq!(app.get("/healthz").send().await.status, 200);
        // Another tenant has its own bucket; the refused write made nothing.
        let fleets = app.get("/v1/clustergroups").signed(&other).send().await;
        assert_eq!(fleets.status, 200, "{}", fleets.text);
        assert_eq!(throttled_count(&app, "ucs", "tenant").await, 3);
        assert_eq!(throttled_count(&app, "cce", "tenant").await, 1);
        assert_eq!(throttled_count(&app, "ucs", "credential").await, 0);
    }

    async fn a_flooding_tenant_does_not_slow_a_quiet_one(backend: Backend) {
        // 100 requests a second per tenant. The quiet tenant asks at most 50 a second, one at a time;
        // the flooder runs 8 clients that each ask every 10 ms (up to 800 a second, 8 times its
        // limit). Each client is a task of its own. The flooders pause because they share this
        // process's two worker threads with the server: clients in a tight loop would measure how
        // this process schedules, not the limits (docs/operator.md: the limits bound a tenant's work,
        // not the CPU of refusing it).
        let app = Arc::new(limited(backend, (100, 100), (0, 0), 1).await);
        let quiet = Arc::new(app.tenant("quiet").await);
        let noisy = Arc::new(app.tenant("noisy").await);
        let sample = |app: Arc<TestApp>, quiet: Arc<TenantCredentials>| async move {
            let mut latencies = Vec::with_capacity(SAMPLES);
            for _ in 0..SAMPLES {
                let started = Instant::now();
                let r = app.get("/v1/clusters").signed(&quiet).send().await;
                latencies.push(started.elapsed());
                assert_eq!(r.status, 200, "the quiet tenant is never throttled: {}", r.text);
                tokio::time::sleep(PACE).await;
            }
            p99(latencies)
        };
        // Warm up (connections, cached credentials), then the quiet baseline.
        for _ in 0..5 {
            app.get("/v1/clusters").signed(&quiet).send().await;
        }
        let alone = tokio::spawn(sample(app.clone(), quiet.clone())).await.unwrap();

        let stop = tokio_util::sync::CancellationToken::new();
        let flooders: Vec<_> = (0..FLOODERS)
            .map(|_| {
                let (app, noisy, stop) = (app.clone(), noisy.clone(), stop.clone());
                tokio::spawn(async move {
                    let (mut ok, mut throttled) = (0u32, 0u32);
                    while !stop.is_cancelled() {
                        let r = app.get("/v1/clusters").signed(&noisy).send().await;
                        match r.status.as_u16() {
                            200 => ok += 1,
                            429 => throttled += 1,
                            _ => panic!("{}", r.text),
                        }
                        tokio::time::sleep(FLOOD_PAUSE).await;
                    }
                    (ok, throttled)
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await; // the flood is under way
        let flooded = tokio::spawn(sample(app.clone(), quiet.clone())).await.unwrap();
        stop.cancel();
        let (mut ok, mut throttled) = (0, 0);
        for flooder in flooders {
            let (o, t) = flooder.await.unwrap();
            (ok, throttled) = (ok + o, throttled + t);
        }
        assert!(throttled > ok, "the flood was over its limit: {ok} answered, {throttled} throttled");
        // Within twice the quiet p99, or 20 ms above it: flooders, server and test share this
        // process's two worker threads and a machine whose cores other builds use too, so a quiet
        // p99 of a few milliseconds doubles on scheduling noise alone, which is no unfairness.
        let bound = (alone * 2).max(alone + Duration::from_millis(20));
        assert!(flooded <= bound, "quiet p99 {alone:?} alone, {flooded:?} under the flood (bound {bound:?})");
    }

    async fn two_access_keys_of_one_tenant_have_their_own_buckets(backend: Backend) {
        let app = limited(backend, (0, 0), slow(2), REPLICAS).await;
        let t = app.tenant("t1").await;
        let (store, sealer) = (&app.store, &app.app.state.sealer);
        let second = server::admin::access_key_create(store, sealer, &t.domain_name, &t.user_name).await.unwrap();
        for _ in 0..2 {
            assert_eq!(get(&app, "/v1/clusters", &t.access_key, &t.secret_key).await.status, 200);
        }
        let r = get(&app, &cce_clusters(&t), &t.access_key, &t.secret_key).await;
        assert_throttled(&r, "CCE.02429001");
        assert!(r.text.contains("this credential"), "{}", r.text);
        // The other key of the same user and tenant has its own burst of two.
        for _ in 0..2 {
            let r = get(&app, "/v1/clusters", &second.access_key, &second.secret_key).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        assert_throttled(&get(&app, "/v1/clusters", &second.access_key, &second.secret_key).await, "UCS.01000002");
        // Token requests are limited per user, apart from the user's keys.
        let token = app.token(&t).await;
        for _ in 0..2 {
            let r = app.get("/v1/clusters").token(&token).send().await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        assert_throttled(&app.get("/v1/clusters").token(&token).send().await, "UCS.01000002");
        assert_eq!(throttled_count(&app, "ucs", "credential").await, 2);
        assert_eq!(throttled_count(&app, "cce", "credential").await, 1);
        assert_eq!(throttled_count(&app, "ucs", "tenant").await, 0);
    }

    async fn a_rate_of_zero_never_throttles(backend: Backend) {
        let app = limited(backend, (0, 1), (0, 1), 1).await;
        let t = app.tenant("t1").await;
        // 300 requests, 30 at a time: past the default bursts (200 per key) in well under a second.
        for _ in 0..10 {
            let calls = (0..30).map(|_| app.get("/v1/clusters").signed(&t).send());
            for r in futures::future::join_all(calls).await {
                assert_eq!(r.status, 200, "{}", r.text);
            }
        }
        assert_eq!(throttled_count(&app, "ucs", "tenant").await, 0);
        assert_eq!(throttled_count(&app, "ucs", "credential").await, 0);
    }
}
