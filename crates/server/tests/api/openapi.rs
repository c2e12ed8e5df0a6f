//! `GET /openapi.json`: served without credentials, an OpenAPI 3 document that names every route of the
//! route table with its operationId and action; the public routes it documents are served as such.

use axum::http::Method;

use crate::harness::{backend_tests, TestApp};

backend_tests! {
    async fn the_openapi_document_is_public_and_names_every_route_with_its_operation_id(app: TestApp) {
        let r = app.get("/openapi.json").send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.headers["content-type"], "application/json");
        let doc = &r.body;
        assert!(doc.is_object(), "not a JSON object: {}", r.text);
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
        assert!(!doc["security"].as_array().unwrap().is_empty(), "the API requires credentials by default");
        let table = api::routes::table();
        assert!(table.len() > 80, "{} routes", table.len());
        for route in table {
            let op = &doc["paths"][route.path][route.method.as_str().to_ascii_lowercase()];
            let id = api::openapi::operation_id(route.method.as_str(), route.path);
            assert!(id.is_some_and(|id| op["operationId"] == id), "{} {}: {op}", route.method, route.path);
            assert_eq!(op["x-ucsd-action"], route.action.name, "{} {}", route.method, route.path);
            assert!(op.get("security").is_none(), "{} {} is authenticated", route.method, route.path);
        }
        assert_eq!(*doc, api::openapi::document(), "the served document is the generated one");
    }

    async fn the_documented_public_routes_answer_without_credentials(app: TestApp) {
        let doc = app.get("/openapi.json").send().await.body;
        let public = api::openapi::public_routes();
        assert!(public.contains(&("GET", "/openapi.json")) && public.contains(&("GET", "/healthz")));
        for (method, path) in public {
            let op = &doc["paths"][path][method.to_ascii_lowercase()];
            assert_eq!(op["security"], serde_json::json!([]), "{method} {path}");
            let r = app.call(Method::from_bytes(method.as_bytes()).unwrap(), path).send().await;
            // POST /v3/auth/tokens without a body is a 400; nothing public asks for credentials.
            assert!(![401, 404, 405].contains(&r.status.as_u16()), "{method} {path}: {} {}", r.status, r.text);
        }
    }
}
