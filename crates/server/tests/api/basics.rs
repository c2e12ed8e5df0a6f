//! What every route shares: health, JSON errors for unknown routes, request ids, error families.

use serde_json::json;

use crate::harness::{backend_tests, TestApp};

backend_tests! {
    async fn health_and_readiness_answer_200(app: TestApp) {
        let r = app.get("/healthz").send().await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, json!({"status": "ok"}));
        let r = app.get("/readyz").send().await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    async fn unknown_routes_and_methods_answer_json_with_a_request_id(app: TestApp) {
        // Under the API prefixes, who asks is checked first: a probe learns nothing.
        app.get("/v1/no-such-thing").send().await.assert_error(401, "UCS.01000003");
        let t = app.tenant("t1").await;
        app.get("/v1/no-such-thing").signed(&t).send().await.assert_error(404, "UCS.01000013");
        app.get("/elsewhere").send().await.assert_error(404, "UCS.01000013");
        let r = app.call(axum::http::Method::DELETE, "/v3/auth/tokens").send().await;
        r.assert_error(405, "UCS.01405001");
        assert!(r.headers.contains_key("allow"));
        let a = app.get("/healthz").send().await.headers["x-request-id"].clone();
        let b = app.get("/healthz").send().await.headers["x-request-id"].clone();
        assert_ne!(a, b);
    }

    async fn cce_routes_answer_in_the_cce_error_family(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        let r = app.get("/autopilot/v3/nothing").send().await;
        r.assert_error(401, "CCE.01401001");
        assert_eq!(r.body["error_msg"], "Authorization failed. no credentials: sign the request or send X-Auth-Token");
        let path = format!("/api/v3/projects/{}/clusters/c/no-such-route", t.project_id);
        app.get(&path).sign_with(&t.access_key, &t.secret_key).send().await.assert_error(404, "CCE.01404001");
        // The project in a CCE path must be the caller's.
        let path = format!("/api/v3/projects/{}/clusters/c/no-such-route", other.project_id);
        app.get(&path).sign_with(&t.access_key, &t.secret_key).send().await.assert_error(403, "CCE.01403001");
        let path = "/autopilot/v3.1/projects/not-a-project/clusters";
        app.get(path).sign_with(&t.access_key, &t.secret_key).send().await.assert_error(403, "CCE.01403001");
    }
}
