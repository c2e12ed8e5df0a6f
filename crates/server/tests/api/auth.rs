//! Authentication: AK/SK signatures, IAM tokens and the SDK's discovery calls.

use chrono::Duration;
use domain::{clock::Clock, identity::AccessKeyStatus};
use serde_json::json;

use crate::harness::{backend_tests, TestApp};

fn password_body(user: &str, password: &str, domain: &str, scope: serde_json::Value) -> serde_json::Value {
    json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "password": password, "domain": {"name": domain}}}}, "scope": scope}})
}

backend_tests! {
    async fn a_signed_request_is_accepted_and_resolves_the_callers_domain(app: TestApp) {
        let t = app.tenant("t1").await;
        let r = app.get("/v3/auth/domains").signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["domains"][0]["id"], t.domain_id);
        assert_eq!(r.body["domains"][0]["name"], "t1");
        assert!(r.headers.contains_key("x-request-id"));
    }

    async fn discovery_without_an_id_header_finds_the_project_by_region(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        // The SDK's lookups carry no Content-Type and no id header.
        let r = app
            .get("/v3/projects?name=cn-north-4")
            .without_header("content-type")
            .sign_with(&t.access_key, &t.secret_key)
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let projects = r.body["projects"].as_array().unwrap();
        assert_eq!(projects.len(), 1);
        assert_eq!(projects[0]["id"], t.project_id);
        assert_ne!(projects[0]["id"], other.project_id);
        let r = app.get("/v3/projects?name=eu-west-0").sign_with(&t.access_key, &t.secret_key).send().await;
        assert_eq!(r.body["projects"], json!([]));
    }

    async fn a_wrong_secret_key_an_unknown_key_and_a_tampered_path_are_401(app: TestApp) {
        let t = app.tenant("t1").await;
        let wrong_sk = app.get("/v3/auth/domains").sign_with(&t.access_key, "not-the-secret").send().await;
        wrong_sk.assert_error(401, "UCS.01000003");
        let unknown = app.get("/v3/auth/domains").sign_with("AKUNKNOWN00000000000", &t.secret_key).send().await;
        unknown.assert_error(401, "UCS.01000003");
        // Same message for both: nothing says whether the key exists.
        assert_eq!(wrong_sk.body["error_msg"], unknown.body["error_msg"]);
        let mut call = app.get("/v3/projects?name=cn-north-4").signed(&t);
        call = call.header("x-sdk-date", "20000101T000000Z");
        call.send().await.assert_error(401, "UCS.01000003");
    }

    async fn a_body_that_differs_from_the_signed_one_is_401(app: TestApp) {
        let t = app.tenant("t1").await;
        let ok = app.get("/v3/auth/domains").raw_body(b"{\"a\": 1}").signed(&t).send().await;
        assert_eq!(ok.status, 200, "{}", ok.text);
        let signed = app.get("/v3/auth/domains").raw_body(b"{\"a\": 1}").signed(&t);
        signed.raw_body(b"{\"a\": 2}").send().await.assert_error(401, "UCS.01000003");
    }

    async fn a_stale_or_missing_sdk_date_is_401(app: TestApp) {
        let t = app.tenant("t1").await;
        let stale = (app.clock.now() - Duration::minutes(16)).format("%Y%m%dT%H%M%SZ").to_string();
        let r = app.get("/v3/auth/domains").header("x-domain-id", &t.domain_id)
            .sign_dated(&t.access_key, &t.secret_key, &stale).send().await;
        r.assert_error(401, "UCS.01000003");
        assert!(r.body["error_msg"].as_str().unwrap().contains("X-Sdk-Date"));
        let fresh = (app.clock.now() - Duration::minutes(14)).format("%Y%m%dT%H%M%SZ").to_string();
        let r = app.get("/v3/auth/domains").sign_dated(&t.access_key, &t.secret_key, &fresh).send().await;
        assert_eq!(r.status, 200);
        let r = app.get("/v3/auth/domains").sign_dated(&t.access_key, &t.secret_key, "yesterday").send().await;
        r.assert_error(401, "UCS.01000003");
    }

    async fn another_tenants_domain_or_project_id_is_403(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        let r = app.get("/v3/auth/domains").header("x-domain-id", &other.domain_id)
            .sign_with(&t.access_key, &t.secret_key).send().await;
        r.assert_error(403, "UCS.01000004");
        let r = app.get("/v3/auth/domains").header("x-project-id", &other.project_id)
            .sign_with(&t.access_key, &t.secret_key).send().await;
        r.assert_error(403, "UCS.01000004");
        let r = app.get("/v3/auth/domains").header("x-project-id", &t.project_id)
            .sign_with(&t.access_key, &t.secret_key).send().await;
        assert_eq!(r.status, 200);
    }

    async fn a_disabled_or_deleted_key_is_401_and_an_enabled_one_works_again(app: TestApp) {
        let t = app.tenant("t1").await;
        let actor = domain::audit::Actor::operator(t.domain_id.parse().unwrap(), "r".into(), domain::authz::operator::ACCESS_KEY_DISABLE);
        app.store.access_key_set_status(&actor, &t.access_key, AccessKeyStatus::Inactive).await.unwrap();
        app.get("/v3/auth/domains").signed(&t).send().await.assert_error(401, "UCS.01000003");
        app.store.access_key_set_status(&actor, &t.access_key, AccessKeyStatus::Active).await.unwrap();
        assert_eq!(app.get("/v3/auth/domains").signed(&t).send().await.status, 200);
        app.store.access_key_delete(&actor, &t.access_key).await.unwrap();
        app.get("/v3/auth/domains").signed(&t).send().await.assert_error(401, "UCS.01000003");
    }

    async fn no_credentials_or_an_unsupported_algorithm_is_401(app: TestApp) {
        app.get("/v3/auth/domains").send().await.assert_error(401, "UCS.01000003");
        let r = app.get("/v3/auth/domains").header("authorization", "SDK-HMAC-SM3 Access=A, SignedHeaders=host;x-sdk-date, Signature=00").send().await;
        r.assert_error(401, "UCS.01000003");
        let r = app.get("/v3/auth/domains").header("authorization", "SDK-HMAC-SHA256 garbage").send().await;
        r.assert_error(401, "UCS.01000003");
    }

    async fn a_password_token_is_issued_and_accepted(app: TestApp) {
        let t = app.tenant("t1").await;
        let body = password_body(&t.user_name, &t.password, &t.domain_name, json!({"domain": {"name": t.domain_name}}));
        let r = app.post("/v3/auth/tokens").json(&body).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        let token = r.headers["x-subject-token"].to_str().unwrap().to_string();
        let tok = &r.body["token"];
        assert_eq!(tok["user"]["id"], t.user_id);
        assert_eq!(tok["user"]["domain"]["id"], t.domain_id);
        assert_eq!(tok["domain"]["id"], t.domain_id);
        assert_eq!(tok["roles"][0]["name"], "te_admin");
        assert!(tok["expires_at"].as_str().unwrap().ends_with('Z'));
        let services: Vec<_> = tok["catalog"].as_array().unwrap().iter().map(|s| s["type"].as_str().unwrap()).collect();
        assert!(services.contains(&"ucs") && services.contains(&"cce"));
        assert_eq!(tok["catalog"][0]["endpoints"][0]["url"], app.url);

        let r = app.get("/v3/auth/domains").token(&token).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["domains"][0]["id"], t.domain_id);
    }

    async fn a_project_scoped_token_names_the_project(app: TestApp) {
        let t = app.tenant("t1").await;
        for scope in [json!({"project": {"name": "cn-north-4", "domain": {"name": t.domain_name}}}),
                      json!({"project": {"id": t.project_id}})] {
            let r = app.post("/v3/auth/tokens").json(&password_body(&t.user_name, &t.password, &t.domain_name, scope)).send().await;
            assert_eq!(r.status, 201, "{}", r.text);
            assert_eq!(r.body["token"]["project"]["id"], t.project_id);
            assert_eq!(r.body["token"]["project"]["name"], "cn-north-4");
        }
        let other = app.tenant("t2").await;
        let scope = json!({"project": {"id": other.project_id}});
        let r = app.post("/v3/auth/tokens").json(&password_body(&t.user_name, &t.password, &t.domain_name, scope)).send().await;
        r.assert_error(401, "UCS.01000003");
    }

    async fn a_wrong_password_and_an_unknown_user_get_the_same_401(app: TestApp) {
        let t = app.tenant("t1").await;
        let wrong = app.post("/v3/auth/tokens").json(&password_body("admin", "nope", "t1", json!(null))).send().await;
        wrong.assert_error(401, "UCS.01000003");
        let unknown = app.post("/v3/auth/tokens").json(&password_body("ghost", &t.password, "t1", json!(null))).send().await;
        unknown.assert_error(401, "UCS.01000003");
        assert_eq!(wrong.body["error_msg"], unknown.body["error_msg"]);
        assert!(!wrong.headers.contains_key("x-subject-token"));
    }

    async fn a_token_stops_working_when_it_expires_or_is_forged(app: TestApp) {
        let t = app.tenant("t1").await;
        let token = app.token(&t).await;
        assert_eq!(app.get("/v3/auth/domains").token(&token).send().await.status, 200);
        let mut forged = token.clone();
        forged.replace_range(forged.len() - 4.., "AAAA");
        app.get("/v3/auth/domains").token(&forged).send().await.assert_error(401, "UCS.01000003");
        app.clock.advance(Duration::hours(24) + Duration::seconds(1));
        app.get("/v3/auth/domains").token(&token).send().await.assert_error(401, "UCS.01000003");
    }

    async fn malformed_token_requests_are_400_and_issue_nothing(app: TestApp) {
        app.tenant("t1").await;
        let r = app.post("/v3/auth/tokens").raw_body(b"{not json").send().await;
        r.assert_error(400, "UCS.01000012");
        let r = app.post("/v3/auth/tokens").json(&json!({"auth": {"identity": {"methods": "password"}}})).send().await;
        r.assert_error(400, "UCS.01000012");
        assert!(r.body["error_msg"].as_str().unwrap().contains("auth.identity.methods"), "{}", r.text);
        let r = app.post("/v3/auth/tokens").json(&json!({"auth": {"identity": {"methods": ["token"]}}})).send().await;
        r.assert_error(400, "UCS.01000012");
        let r = app.post("/v3/auth/tokens").header("content-type", "application/x-www-form-urlencoded")
            .raw_body(b"auth=identity").send().await;
        r.assert_error(400, "UCS.01000012");
        assert!(r.body["error_msg"].as_str().unwrap().contains("Content-Type: application/json"));
        let big = vec![b' '; 70_000];
        let r = app.post("/v3/auth/tokens").raw_body(&big).send().await;
        r.assert_error(400, "UCS.01000012");
    }
}
