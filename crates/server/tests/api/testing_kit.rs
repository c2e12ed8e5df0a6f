//! The testing kit over HTTP (docs/testing.md): fault rules at run time, the request journal, the
//! clock, settling; and that only a tenant administrator reaches them, on its own tenant.

use std::{sync::Arc, time::Instant};

use axum::http::Method;
use domain::clock::{Clock, ShiftedClock};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use server::admin::TenantCredentials;

use crate::{
    clusters::{attached, KUBECONFIG},
    harness::{backend_tests, spawn_replica, Backend, Response, TestApp},
    upgrades::{check_items, s, Cce, Flavor},
};

const FAULTS: &str = "/ucsd/testing/faults";
const REQUESTS: &str = "/ucsd/testing/requests";
const CLOCK: &str = "/ucsd/testing/clock";
const SETTLE: &str = "/ucsd/testing/settle";

/// Another server on the same database with the testing tools on (and `env` on top).
pub(crate) async fn testing_on(app: &TestApp, env: &[(&str, &str)]) -> TestApp {
    let key = app.config.security.master_key.as_ref().expect("tests set the master key").expose_secret();
    let env: Vec<(&str, &str)> =
        [("UCS_TESTING__ENABLED", "true")].into_iter().chain(env.iter().copied()).collect();
    spawn_replica(app.store.clone(), app.clock.clone(), key, &env, 0).await
}

impl TestApp {
    pub(crate) async fn fault(&self, t: &TenantCredentials, rule: Value) -> Value {
        let r = self.post(FAULTS).json(&rule).signed(t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    }

    async fn faults(&self, t: &TenantCredentials) -> Vec<Value> {
        let r = self.get(FAULTS).signed(t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["faults"].as_array().unwrap().clone()
    }

    async fn journal(&self, t: &TenantCredentials, query: &str) -> Response {
        let r = self.get(&format!("{REQUESTS}{query}")).signed(t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        r
    }
}

fn entries(r: &Response) -> Vec<Value> {
    r.body["requests"].as_array().unwrap().clone()
}

backend_tests! {
    async fn an_error_fault_answers_the_next_k_matches_then_the_route_works_again(app: TestApp) {
        let app = testing_on(&app, &[]).await;
        let t = app.tenant("t1").await;
        let id = app.register(&t, &attached("prod-1")).await;
        let other = app.register(&t, &attached("prod-2")).await;
        let fault = app.fault(&t, json!({"operation": "show_cluster", "resource": id,
            "error": {"status": 429, "message": "slow down"}, "times": 2})).await;
        assert_eq!((fault["remaining"].as_i64(), fault["fired"].as_i64()), (Some(2), Some(0)), "{fault}");
        assert_eq!(fault["error"]["status"], 429);
        let path = format!("/v1/clusters/{id}");
        for _ in 0..2 {
            let r = app.get(&path).signed(&t).send().await;
            r.assert_error(429, "UCS.01000002");
            assert!(r.body["error_msg"].as_str().unwrap().ends_with("slow down"), "{}", r.text);
        }
        // Another cluster never matched; the third call is carried out.
        assert_eq!(app.cluster(&t, &other).await["metadata"]["name"], "prod-2");
        assert_eq!(app.cluster(&t, &id).await["metadata"]["name"], "prod-1");
        let listed = app.faults(&t).await;
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0]["remaining"].as_i64(), listed[0]["fired"].as_i64()), (Some(0), Some(2)), "{listed:?}");
        // Each use is in the journal, with the rule that fired.
        let r = app.journal(&t, "?operation=show_cluster").await;
        let shown = entries(&r);
        assert_eq!(shown.len(), 4, "{}", r.text);
        let faulted: Vec<&Value> = shown.iter().filter(|e| e["fault"] == fault["id"]).collect();
        assert_eq!(faulted.len(), 2, "{}", r.text);
        assert!(faulted.iter().all(|e| e["status"] == 429 && e["errorCode"] == "UCS.01000002"), "{}", r.text);
        assert_eq!(shown[3]["status"], 200);
        assert_eq!(shown[3]["fault"], Value::Null);
    }

    async fn an_error_fault_on_a_write_changes_nothing_and_speaks_the_routes_family(app: TestApp) {
        let app = testing_on(&app, &[]).await;
        let t = app.tenant("t1").await;
        // Matched by the body's name: only the cluster named doomed-cce is refused.
        app.fault(&t, json!({"method": "POST", "path": "/api/v3/projects/{project_id}/clusters",
            "resource": "doomed-cce", "error": {"status": 503, "message": "maintenance"}})).await;
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let r = cce.post(&cce.clusters(), &crate::upgrades::cluster_body(Flavor::Cce, "doomed-cce", None)).await;
        r.assert_error(503, "CCE.01500001");
        let r = cce.get(&cce.clusters()).await;
        assert!(!r.text.contains("doomed-cce"), "nothing was made: {}", r.text);
        cce.create_cluster("fine-cce", None).await;
        // A CCE code on a UCS route is what was asked for; a UCS code keeps its status in CCE.
        app.fault(&t, json!({"operation": "show_cluster_list", "error": {"status": 409, "code": "CCE.01409004"}, "times": 1})).await;
        app.get("/v1/clusters").signed(&t).send().await.assert_error(409, "CCE.01409004");
        app.fault(&t, json!({"operation": "list_cce_clusters", "error": {"status": 429, "code": "UCS.01000002"}, "times": 1})).await;
        cce.get(&cce.clusters()).await.assert_error(429, "CCE.02429001");
        let r = app.journal(&t, "?status=5xx").await;
        assert_eq!(r.body["total"], 1, "{}", r.text);
        assert_eq!(entries(&r)[0]["errorCode"], "CCE.01500001", "{}", r.text);
    }

    async fn a_delay_fault_answers_late_and_rules_work_on_every_replica(app: TestApp) {
        let a = testing_on(&app, &[]).await;
        let b = testing_on(&app, &[]).await;
        let t = a.tenant("t1").await;
        a.fault(&t, json!({"operation": "show_cluster_list", "delay": {"millis": 300, "jitterMillis": 50}, "times": 1})).await;
        let started = Instant::now();
        let r = b.get("/v1/clusters").signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let took = started.elapsed().as_millis();
        assert!(took >= 300, "the other replica applied the rule: {took} ms");
        let started = Instant::now();
        b.get("/v1/clusters").signed(&t).send().await;
        assert!(started.elapsed().as_millis() < 300, "used up");
        let r = a.journal(&t, "?operation=show_cluster_list").await;
        let e = entries(&r);
        assert!(e[0]["durationMillis"].as_i64().unwrap() >= 300, "{}", r.text);
        assert!(e[0]["fault"].is_string() && e[1]["fault"].is_null(), "{}", r.text);
    }

    async fn fault_rules_are_validated_listed_and_deleted_per_tenant(app: TestApp) {
        let app = testing_on(&app, &[]).await;
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        for bad in [
            json!({}),
            json!({"operation": "no_such_operation", "error": {"status": 500}}),
            json!({"operation": "reset_tenant", "error": {"status": 500}}),
            json!({"path": "/v1/nothing", "error": {"status": 500}}),
            json!({"error": {"status": 302}}),
            json!({"error": {"status": 400, "code": "UCS.12345678"}}),
            json!({"step": "UpgradeNodePool", "delay": {"millis": 1}}),
            json!({"error": {"status": 500}, "times": 0}),
            json!({"error": {"status": 500}, "probability": 2}),
            json!({"error": {"status": 500}, "colour": "red"}),
        ] {
            app.post(FAULTS).json(&bad).signed(&t).send().await.assert_error(400, "UCS.01000012");
        }
        let mine = app.fault(&t, json!({"step": "activate", "resource": "x"})).await;
        assert_eq!(mine["remaining"], Value::Null, "no times: unlimited");
        let theirs = app.fault(&other, json!({"error": {"status": 500}})).await;
        let ids = |faults: Vec<Value>| faults.iter().map(|f| f["id"].clone()).collect::<Vec<_>>();
        assert_eq!(ids(app.faults(&t).await), [mine["id"].clone()]);
        // Another tenant's rule is not found, and stays.
        let theirs_path = format!("{FAULTS}/{}", s(&theirs["id"]));
        app.call(Method::DELETE, &theirs_path).signed(&t).send().await.assert_error(404, "UCS.01000013");
        app.call(Method::DELETE, &format!("{FAULTS}/not-an-id")).signed(&t).send().await.assert_error(404, "UCS.01000013");
        assert_eq!(app.faults(&other).await.len(), 1);
        // Their rule (every request fails) never touches this tenant's requests.
        assert_eq!(app.get("/v1/clusters").signed(&t).send().await.status, 200);
        app.get("/v1/clusters").signed(&other).send().await.assert_error(500, "UCS.01000006");
        let r = app.call(Method::DELETE, &format!("{FAULTS}/{}", s(&mine["id"]))).signed(&t).send().await;
        assert_eq!(r.status, 204, "{}", r.text);
        assert!(app.faults(&t).await.is_empty());
        app.fault(&t, json!({"error": {"status": 500}, "operation": "show_quota"})).await;
        app.fault(&t, json!({"error": {"status": 500}, "operation": "show_cluster"})).await;
        let r = app.call(Method::DELETE, FAULTS).signed(&t).send().await;
        assert_eq!((r.status.as_u16(), r.body["deleted"].as_u64()), (200, Some(2)), "{}", r.text);
        // The testing routes themselves are never faulted nor journaled.
        assert_eq!(app.faults(&other).await.len(), 1, "the other tenant's testing routes still answer");
        let r = app.journal(&t, "").await;
        assert!(entries(&r).iter().all(|e| !s(&e["path"]).starts_with("/ucsd/")), "{}", r.text);
    }

    async fn a_step_fault_fails_the_named_step_k_times_and_is_journaled(app: TestApp) {
        let app = testing_on(&app, &[]).await;
        let t = app.tenant("t1").await;
        app.fault(&t, json!({"step": "activate", "resource": "stepped", "times": 2})).await;
        let id = app.register(&t, &attached("stepped")).await;
        let bystander = app.register(&t, &attached("bystander")).await;
        app.await_phase(&t, &id, "Available").await;
        app.await_phase(&t, &bystander, "Available").await;
        let f = &app.faults(&t).await[0];
        assert_eq!((f["fired"].as_i64(), f["remaining"].as_i64()), (Some(2), Some(0)), "{f}");
        let r = app.journal(&t, "").await;
        let steps: Vec<Value> = entries(&r).into_iter().filter(|e| e["kind"] == "step").collect();
        assert_eq!(steps.len(), 2, "{}", r.text);
        assert!(steps.iter().all(|e| e["path"] == "activate" && e["route"] == "stepped" && e["fault"] == f["id"]), "{}", r.text);
    }

    async fn a_step_fault_fails_a_node_pool_upgrade_twice_and_a_precheck_reports_a_risk(app: TestApp) {
        let app = testing_on(&app, &[]).await;
        let t = app.tenant("t1").await;
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, to) = cce.hop().await;
        let id = cce.available("pools", &from).await;
        // A precheck that reports the simulated risk once.
        app.fault(&t, json!({"step": "precheck", "resource": id, "times": 1})).await;
        let task = cce.start_precheck(&id, &from, &to, None).await;
        let p = cce.await_precheck(&id, &task).await;
        assert_eq!(p["status"]["phase"], "Failed", "{p}");
        assert!(check_items(&p["status"]).iter().any(|i| i["level"] == "Fatal"), "{p}");
        cce.prechecked(&id, &from, &to).await;
        // UpgradeNodePool fails twice; the step's attempts outlast it.
        let rule = app.fault(&t, json!({"step": "UpgradeNodePool", "resource": "pools", "times": 2})).await;
        let task = cce.start_upgrade(&id, &to).await;
        let done = cce.await_upgrade(&id, &task, &["Success", "Failed"]).await;
        assert_eq!(done["status"]["phase"], "Success", "{done}");
        let fired = app.faults(&t).await.into_iter().find(|f| f["id"] == rule["id"]).unwrap();
        assert_eq!(fired["fired"], 2, "{fired}");
        let r = app.journal(&t, "").await;
        let uses = entries(&r).into_iter().filter(|e| e["kind"] == "step" && e["path"] == "UpgradeNodePool").count();
        assert_eq!(uses, 2, "{}", r.text);
    }

    async fn the_journal_records_every_request_with_its_secrets_redacted(app: TestApp) {
        let app = testing_on(&app, &[]).await;
        let t = app.tenant("t1").await;
        let token = app.token(&t).await;
        let id = app.register(&t, &attached("prod-1")).await;
        let r = app.call(Method::PUT, &format!("/v1/clusters/{id}"))
            .json(&json!({"kind": "Cluster", "apiVersion": "v1", "metadata": {"annotations": {"kubeconfig": KUBECONFIG}},
                          "spec": {"country": "CN", "city": "150900"}}))
            .token(&token).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.post(&format!("/v1/clusters/{id}/kubeconfig")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        app.get("/v1/clusters/5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b").signed(&t).send().await.assert_error(404, "UCS.01030001");
        app.get("/v1/clusters?limit=1").token(&token).send().await;
        let r = app.journal(&t, "").await;
        for secret in [t.secret_key.as_str(), t.password.as_str(), token.as_str(), "very-secret-member-token", "BEGIN"] {
            assert!(!r.text.contains(secret), "the journal shows a secret: {}", r.text);
        }
        let e = entries(&r);
        let ops: Vec<&str> = e.iter().map(|e| s(&e["operation"])).collect();
        assert_eq!(ops, ["register_cluster", "update_cluster", "create_cluster_kubeconfig", "show_cluster", "show_cluster_list"], "{}", r.text);
        assert_eq!(r.body["total"], 5);
        let register = &e[0];
        assert_eq!((register["method"].as_str(), register["path"].as_str(), register["route"].as_str()),
                   (Some("POST"), Some("/v1/clusters"), Some("/v1/clusters")));
        assert_eq!(register["status"], 201);
        assert_eq!(register["body"]["metadata"]["name"], "prod-1");
        assert_eq!(register["body"]["metadata"]["annotations"]["kubeconfig"], "[redacted]");
        assert!(register["requestId"].as_str().is_some_and(|r| !r.is_empty()));
        assert!(register["time"].as_str().unwrap().ends_with('Z'));
        assert_eq!(e[3]["status"], 404);
        assert_eq!(e[3]["errorCode"], "UCS.01030001");
        assert_eq!(e[4]["query"], "limit=1");
        // Filters and paging.
        let r = app.journal(&t, "?status=4xx").await;
        assert_eq!(entries(&r).len(), 1);
        let r = app.journal(&t, "?status=201").await;
        assert_eq!(s(&entries(&r)[0]["operation"]), "register_cluster");
        let r = app.journal(&t, "?limit=2&offset=1").await;
        assert_eq!((r.body["total"].as_i64(), entries(&r).len()), (Some(5), 2));
        assert_eq!(s(&entries(&r)[0]["operation"]), "update_cluster");
        let since = s(&e[2]["time"]).to_string();
        let r = app.journal(&t, &format!("?since={}", since.replace('+', "%2B"))).await;
        assert_eq!(r.body["total"], 3, "{}", r.text);
        for bad in ["?status=abc", "?since=yesterday", "?limit=0", "?offset=-1", "?colour=red"] {
            app.get(&format!("{REQUESTS}{bad}")).signed(&t).send().await.assert_error(400, "UCS.01000011");
        }
        // Another tenant has a journal of its own.
        let other = app.tenant("t2").await;
        assert_eq!(app.journal(&other, "").await.body["total"], 0);
        let r = app.call(Method::DELETE, REQUESTS).signed(&t).send().await;
        assert_eq!((r.status.as_u16(), r.body["deleted"].as_u64()), (200, Some(5)), "{}", r.text);
        assert_eq!(app.journal(&t, "").await.body["total"], 0);
    }

    async fn the_journal_keeps_the_newest_entries_and_nothing_when_testing_is_off(app: TestApp) {
        let t = app.tenant("t1").await;
        app.get("/v1/clusters").signed(&t).send().await;
        let domain = t.domain_id.parse().unwrap();
        let filter = store::testing::JournalFilter { limit: 100, ..Default::default() };
        assert_eq!(app.store.journal_list(domain, &filter).await.unwrap().0, 0, "off: nothing is recorded");
        let app = testing_on(&app, &[("UCS_TESTING__JOURNAL_LIMIT", "3")]).await;
        for limit in 1..=5 {
            app.get(&format!("/v1/clusters?limit={limit}")).signed(&t).send().await;
        }
        let r = app.journal(&t, "").await;
        let listed = entries(&r);
        let queries: Vec<&str> = listed.iter().map(|e| s(&e["query"])).collect();
        assert_eq!(queries, ["limit=3", "limit=4", "limit=5"], "{}", r.text);
    }

    async fn the_clock_moves_ahead_and_the_step_time_changes(app: TestApp) {
        let app = testing_on(&app, &[]).await;
        let t = app.tenant("t1").await;
        let token = app.token(&t).await;
        let r = app.get(CLOCK).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.body["offsetMillis"].as_i64(), r.body["stepMillis"].as_i64()), (Some(0), Some(0)), "{}", r.text);
        let before = app.clock.now();
        let day = 25 * 3600 * 1000;
        let r = app.post(CLOCK).json(&json!({"advanceMillis": day, "stepMillis": 40})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.body["offsetMillis"].as_i64(), r.body["stepMillis"].as_i64()), (Some(day), Some(40)), "{}", r.text);
        assert!(app.clock.now() - before >= chrono::Duration::milliseconds(day), "the server's clock moved");
        let now = chrono::DateTime::parse_from_rfc3339(s(&r.body["now"])).unwrap();
        assert!(now >= before + chrono::Duration::milliseconds(day));
        assert_eq!(app.app.state.step_time.get(), std::time::Duration::from_millis(40));
        // A day later the token (24 h) has expired.
        app.get("/v1/clusters").token(&token).send().await.assert_error(401, "UCS.01000003");
        for bad in [json!({}), json!({"advanceMillis": -1}), json!({"stepMillis": 600001}), json!({"rewind": 1})] {
            app.post(CLOCK).json(&bad).signed(&t).send().await.assert_error(400, "UCS.01000012");
        }
    }

    // Found by Schemathesis (scripts/schemathesis): advanceMillis near i64::MAX overflowed the
    // clock, and every later request that read the time (and every worker) panicked, the handler's
    // own included: dropped connections, no answer. So did settle with a horizonMillis that large.
    async fn the_clock_stops_at_year_9999_and_settle_takes_any_horizon(app: TestApp) {
        let app = testing_on(&app, &[]).await;
        let t = app.tenant("t1").await;
        let before = app.clock.now();
        for advance in [i64::MAX, 300_000_000_000_000] {
            let r = app.post(CLOCK).json(&json!({"advanceMillis": advance})).signed(&t).send().await;
            r.assert_error(400, "UCS.01000012");
            assert!(r.body["error_msg"].as_str().unwrap().contains("9999-12-31T23:59:59.999Z"), "{}", r.text);
        }
        assert!(app.clock.now() - before < chrono::Duration::seconds(1), "the clock did not move");
        let r = app.get(CLOCK).signed(&t).send().await;
        assert_eq!((r.status.as_u16(), r.body["offsetMillis"].as_i64()), (200, Some(0)), "{}", r.text);
        // A registered cluster's activation is pending; nothing runs it here, so settle times out.
        let id = app.register(&t, &attached("a1")).await;
        for horizon in [i64::MAX, i64::MIN, 0] {
            let r = app.post(&format!("{SETTLE}?timeoutMillis=10&horizonMillis={horizon}")).signed(&t).send().await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        assert_eq!(app.cluster(&t, &id).await["metadata"]["uid"], id.as_str());
    }

    async fn only_a_tenant_administrator_reaches_the_testing_routes(app: TestApp) {
        let app = testing_on(&app, &[]).await;
        let t = app.tenant("t1").await;
        let fault = app.fault(&t, json!({"error": {"status": 500}, "operation": "show_quota"})).await;
        let routes: Vec<_> = api::routes::table().into_iter().filter(|r| r.path.starts_with("/ucsd/testing/")).collect();
        assert!(routes.len() >= 10, "{routes:?}");
        let roles = [domain::identity::Role::UcsFullAccess, domain::identity::Role::UcsReadOnlyAccess,
                     domain::identity::Role::UcsCiaOperations];
        for (i, role) in roles.into_iter().enumerate() {
            let name = format!("user-{i}");
            let user = server::admin::user_create(&app.store, &app.app.state.sealer, "t1", &name, &[role]).await.unwrap();
            for route in &routes {
                let path = route.path.replace("{fault_id}", s(&fault["id"]));
                let mut call = app.call(route.method.clone(), &path);
                if route.method == Method::POST {
                    call = call.json(&json!({"error": {"status": 500}}));
                }
                let r = call.header("x-domain-id", &t.domain_id).sign_with(&user.access_key, &user.secret_key).send().await;
                r.assert_error(403, "UCS.01000004");
            }
        }
        assert_eq!(app.faults(&t).await.len(), 1, "nothing was changed");
        // Off, every testing route is an unknown route.
        let off = testing_on(&app, &[("UCS_TESTING__ENABLED", "false")]).await;
        for route in &routes {
            let path = route.path.replace("{fault_id}", s(&fault["id"]));
            off.call(route.method.clone(), &path).signed(&t).send().await.assert_error(404, "UCS.01000013");
        }
    }
}

/// A fresh server of the same backend as `app`, with the testing tools on.
async fn fresh_like(app: &TestApp) -> TestApp {
    let backend = match app.store.dialect() {
        store::Dialect::Sqlite => Backend::Sqlite,
        store::Dialect::Postgres => Backend::Postgres,
    };
    crate::harness::spawn_with(backend, &[("UCS_TESTING__ENABLED", "true")]).await
}

mod snapshots {
    use super::*;

    backend_tests! {
        async fn a_snapshot_imports_into_another_server_and_exports_the_same(app: TestApp) {
            let app = testing_on(&app, &[]).await;
            let t = app.tenant("t1").await;
            let id = app.register(&t, &attached("prod-1")).await;
            let fleet = app.fleet(&t, "fleet-1", &[&id]).await;
            app.rule(&t, "rule-1", &[]).await;
            let cce = Cce::new(&app, &t, Flavor::Cce);
            let cce_id = cce.create_cluster("cce-1", None).await["metadata"]["uid"].as_str().unwrap().to_string();
            app.settle().await;
            let r = app.get("/ucsd/testing/snapshot").signed(&t).send().await;
            assert_eq!(r.status, 200, "{}", r.text);
            let plain = r.body.clone();
            assert_eq!(plain["format"], "ucsd-snapshot/1");
            assert!(!r.text.contains("very-secret-member-token") && !r.text.contains("kubeconfig_sealed"), "no secrets unless asked");
            assert!(!r.text.contains(&t.domain_id) && !r.text.contains(&t.project_id), "tenant-neutral: {}", r.text);
            let r = app.get("/ucsd/testing/snapshot?secrets=include").signed(&t).send().await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert!(r.text.contains("very-secret-member-token"), "asked for: the kubeconfig in the clear");
            let exported = r.body;
            for table in ["clusters", "fleets", "rules", "cluster_rbac", "cce_clusters", "jobs"] {
                assert!(!exported["tables"][table].as_array().unwrap().is_empty(), "{table}: {exported}");
            }

            // Another server (another master key), another tenant of the same region.
            let other = fresh_like(&app).await;
            let u = other.tenant("u1").await;
            let r = other.post("/ucsd/testing/snapshot").json(&exported).signed(&u).send().await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["imported"]["clusters"], 1, "{}", r.text);
            let r = other.get("/ucsd/testing/snapshot?secrets=include").signed(&u).send().await;
            assert_eq!(r.body, exported, "export -> import -> export gives the same document");
            // What was imported is the tenant's, through the API.
            let c = other.cluster(&u, &id).await;
            assert_eq!((c["metadata"]["name"].as_str(), c["spec"]["clusterGroupID"].as_str()), (Some("prod-1"), Some(fleet.as_str())));
            let r = other.get(&format!("/api/v3/projects/{}/clusters/{cce_id}", u.project_id)).signed(&u).send().await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["metadata"]["name"], "cce-1");
            // The kubeconfig was sealed again under this server's key: it can be replaced (only an
            // attached cluster that has one can).
            let body = json!({"kind": "Cluster", "apiVersion": "v1", "metadata": {"annotations": {"kubeconfig": KUBECONFIG}},
                              "spec": {"country": "CN", "city": "150900"}});
            let r = other.call(Method::PUT, &format!("/v1/clusters/{id}")).json(&body).signed(&u).send().await;
            assert_eq!(r.status, 200, "{}", r.text);

            // On the same server the ids are taken by the exporting tenant: refused, nothing changes.
            let v = app.tenant("v1").await;
            let r = app.post("/ucsd/testing/snapshot").json(&plain).signed(&v).send().await;
            r.assert_error(400, "UCS.01000012");
            assert_eq!(app.cluster_count(&v).await, 0);
            // After a reset the exporting tenant takes its own snapshot back.
            assert_eq!(app.post("/ucsd/testing/reset").signed(&t).send().await.status, 200);
            let r = app.post("/ucsd/testing/snapshot").json(&plain).signed(&t).send().await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(app.cluster(&t, &id).await["metadata"]["name"], "prod-1");
            for bad in [json!({}), json!({"format": "other", "tables": {}}), json!({"format": "ucsd-snapshot/1", "tables": {"domains": []}})] {
                app.post("/ucsd/testing/snapshot").json(&bad).signed(&t).send().await.assert_error(400, "UCS.01000012");
            }
        }
    }
}

/// A server with real workers on the wall clock (settle waits for them).
async fn with_workers(backend: Backend) -> TestApp {
    let clock = ShiftedClock::default();
    let store = match backend {
        Backend::Sqlite => store_sqlite::testing::open_fresh(Arc::new(clock.clone())).await,
        Backend::Postgres => store_pg::testing::open_fresh(Arc::new(clock.clone())).await,
    };
    let key = secrets::MasterKey::generate().to_base64();
    spawn_replica(store, clock, &key, &[("UCS_TESTING__ENABLED", "true")], 2).await
}

async fn settle_waits_for_the_tenants_jobs(backend: Backend) {
    let app = with_workers(backend).await;
    let t = app.tenant("t1").await;
    // flaky fails its activation twice (the config's failures), then activates.
    let id = app.register(&t, &attached("flaky")).await;
    let r = app.post(&format!("{SETTLE}?timeoutMillis=30000")).signed(&t).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["settled"].as_bool(), r.body["open"].as_array().map(Vec::len)),
        (Some(true), Some(0)),
        "{}",
        r.text
    );
    assert_eq!(app.cluster(&t, &id).await["status"]["phase"], "Available");
    // A slow step: settle answers at its timeout with what still runs.
    let r = app.post(CLOCK).json(&json!({"stepMillis": 2000})).signed(&t).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    let slow = app.register(&t, &attached("slow")).await;
    let r = app.post(&format!("{SETTLE}?timeoutMillis=200")).signed(&t).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["settled"], false, "{}", r.text);
    let open = r.body["open"].as_array().unwrap();
    assert!(open.iter().any(|j| j["resourceId"] == slow.as_str()), "{}", r.text);
    assert!(r.body["waitedMillis"].as_u64().unwrap() >= 200);
    app.post(&format!("{SETTLE}?timeoutMillis=300001"))
        .signed(&t)
        .send()
        .await
        .assert_error(400, "UCS.01000011");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settle_waits_for_the_tenants_jobs_sqlite() {
    settle_waits_for_the_tenants_jobs(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settle_waits_for_the_tenants_jobs_postgres() {
    settle_waits_for_the_tenants_jobs(Backend::Postgres).await
}
