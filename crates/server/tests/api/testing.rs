//! ucsd's testing tools over HTTP: `POST /ucsd/testing/reset`, on only with `testing.enabled`.

use secrecy::ExposeSecret;
use serde_json::json;

use crate::{
    clusters::attached,
    harness::{backend_tests, spawn_replica, TestApp},
};

const RESET: &str = "/ucsd/testing/reset";

/// Another server on the same database with the testing tools on.
async fn with_testing(app: &TestApp) -> TestApp {
    let key = app.config.security.master_key.as_ref().expect("tests set the master key").expose_secret();
    spawn_replica(app.store.clone(), app.clock.clone(), key, &[("UCS_TESTING__ENABLED", "true")], 0).await
}

backend_tests! {
    async fn a_reset_removes_the_tenants_resources_only_and_its_credentials_still_work(app: TestApp) {
        let app = with_testing(&app).await;
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        let mine = app.register(&t, &attached("mine")).await;
        app.fleet(&t, "mine-fleet", &[&mine]).await;
        app.rule(&t, "mine-rule", &[]).await;
        let theirs = app.register(&other, &attached("theirs")).await;
        app.fleet(&other, "their-fleet", &[&theirs]).await;
        let token = app.token(&t).await;

        let r = app.post(RESET).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.body["clusters"].as_u64(), r.body["fleets"].as_u64(), r.body["rules"].as_u64()),
                   (Some(1), Some(1), Some(1)), "{}", r.text);
        assert!(r.body["jobs"].as_u64().unwrap() >= 1, "the activation job: {}", r.text);
        assert_eq!(r.body["audit_events"], 0, "kept by default");
        assert_eq!(app.cluster_count(&t).await, 0);
        let r = app.get("/v1/clustergroups").signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(!r.text.contains("mine-fleet"), "{}", r.text);
        // The other tenant keeps everything.
        assert_eq!(app.cluster_count(&other).await, 1);
        assert_eq!(app.cluster(&other, &theirs).await["metadata"]["name"], "theirs");
        // The same AK/SK, token and password work, and the names are free again.
        let r = app.get("/v1/clusters").token(&token).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        app.token(&t).await;
        app.register(&t, &attached("mine")).await;
        assert_eq!(app.cluster_count(&t).await, 1);
        // The audit log can go too; the reset is recorded either way.
        let r = app.post(&format!("{RESET}?audit=remove")).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.body["audit_events"].as_u64().unwrap() > 0, "{}", r.text);
        let events = app.store.audit_list(t.domain_id.parse().unwrap(), 10).await.unwrap();
        assert_eq!(events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["ucsd:testing:reset"]);
        app.post(&format!("{RESET}?audit=sometimes")).signed(&t).send().await.assert_error(400, "UCS.01000011");
    }

    async fn the_reset_route_is_an_unknown_route_when_testing_is_off(app: TestApp) {
        let t = app.tenant("t1").await;
        app.register(&t, &attached("mine")).await;
        let off = app.post(RESET).signed(&t).send().await;
        let unknown = app.post("/ucsd/testing/nothing").signed(&t).send().await;
        off.assert_error(404, "UCS.01000013");
        assert_eq!((off.status, &off.body["error_code"], &off.body["error_msg"]),
                   (unknown.status, &unknown.body["error_code"], &unknown.body["error_msg"]));
        // Without credentials both ask for them, as every route under an API prefix does.
        let off = app.post(RESET).send().await;
        let unknown = app.post("/ucsd/testing/nothing").send().await;
        off.assert_error(401, "UCS.01000003");
        assert_eq!((off.status, &off.body["error_code"]), (unknown.status, &unknown.body["error_code"]));
        assert_eq!(app.cluster_count(&t).await, 1, "nothing was removed");
    }

    async fn only_the_tenant_administrator_may_reset(app: TestApp) {
        let app = with_testing(&app).await;
        let t = app.tenant("t1").await;
        app.register(&t, &attached("mine")).await;
        for role in [domain::identity::Role::UcsFullAccess, domain::identity::Role::UcsReadOnlyAccess] {
            let name = format!("u{}", role.as_str().len());
            let user = server::admin::user_create(&app.store, &app.app.state.sealer, "t1", &name, &[role]).await.unwrap();
            let r = app.post(RESET).header("x-domain-id", &t.domain_id)
                .sign_with(&user.access_key, &user.secret_key).send().await;
            r.assert_error(403, "UCS.01000004");
        }
        assert_eq!(app.cluster_count(&t).await, 1, "nothing was removed");
        let r = app.post(RESET).json(&json!({})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.cluster_count(&t).await, 0);
    }
}
