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
        let r = app.get("/v1/no-such-thing").send().await;
        r.assert_error(404, "UCS.01000013");
        let r = app.call(axum::http::Method::DELETE, "/v3/auth/tokens").send().await;
        r.assert_error(400, "UCS.01000011");
        let a = app.get("/healthz").send().await.headers["x-request-id"].clone();
        let b = app.get("/healthz").send().await.headers["x-request-id"].clone();
        assert_ne!(a, b);
    }

    async fn cce_routes_answer_in_the_cce_error_family(app: TestApp) {
        let r = app.get("/api/v3/projects/p/clusters/c/no-such-route").send().await;
        r.assert_error(404, "CCE.01404001");
        let r = app.get("/autopilot/v3/nothing").send().await;
        r.assert_error(404, "CCE.01404001");
    }
}
