//! Reads that do not recompute: cached credentials, and list and show responses kept per tenant
//! generation, served with a strong `ETag` and answering `If-None-Match` with `304`.

use axum::http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    clusters::attached,
    harness::{backend_tests, TestApp},
};

fn etag(r: &crate::harness::Response) -> String {
    r.headers.get("etag").expect("an ETag").to_str().unwrap().to_string()
}

/// A request written by hand on a fresh connection: the response's head and body as sent.
async fn raw_get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(&app.host).await.unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", app.host);
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a head");
    (head.to_string(), body.to_string())
}

backend_tests! {
    async fn list_and_show_carry_a_strong_etag_and_if_none_match_answers_304(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.register(&t, &attached("prod-1")).await;
        app.settle().await;
        let first = app.get("/v1/clusters").signed(&t).send().await;
        assert_eq!(first.status, 200);
        let tag = etag(&first);
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() > 20, "a strong tag: {tag}");
        // Answered again from memory: the same bytes and tag.
        let second = app.get("/v1/clusters").signed(&t).send().await;
        assert_eq!((second.text.as_str(), etag(&second)), (first.text.as_str(), tag.clone()));
        assert!(!app.app.state.responses.is_empty());
        let not_modified = app.get("/v1/clusters").header("if-none-match", &tag).signed(&t).send().await;
        assert_eq!(not_modified.status, 304);
        assert_eq!(not_modified.text, "");
        assert_eq!(etag(&not_modified), tag);
        for matching in [format!("W/{tag}"), format!("\"nope\", {tag}"), "*".to_string()] {
            let r = app.get("/v1/clusters").header("if-none-match", &matching).signed(&t).send().await;
            assert_eq!(r.status, 304, "If-None-Match: {matching}");
        }
        let other = app.get("/v1/clusters").header("if-none-match", "\"nope\"").signed(&t).send().await;
        assert_eq!((other.status.as_u16(), other.text.as_str()), (200, first.text.as_str()));
        // Another request of the same tenant is another body with another tag.
        let paged = app.get("/v1/clusters?limit=1&offset=1").signed(&t).send().await;
        assert_eq!(paged.status, 200);
        assert_ne!(etag(&paged), tag);
        // Show, the same way.
        let shown = app.get(&format!("/v1/clusters/{id}")).signed(&t).send().await;
        assert_eq!(shown.status, 200);
        assert_eq!(shown.body["metadata"]["uid"], id.as_str());
        let shown_tag = etag(&shown);
        let r = app.get(&format!("/v1/clusters/{id}")).header("if-none-match", &shown_tag).signed(&t).send().await;
        assert_eq!(r.status, 304);
        // Errors carry no tag and are not kept.
        let missing = app.get("/v1/clusters/00000000-0000-0000-0000-000000000000").signed(&t).send().await;
        assert_eq!(missing.status, 404, "{}", missing.text);
        assert!(missing.headers.get("etag").is_none());
    }

    async fn every_write_of_the_tenant_changes_the_tag_and_no_write_of_another_does(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        let tag_now = async || {
            let r = app.get("/v1/clusters").signed(&t).send().await;
            assert_eq!(r.status, 200, "{}", r.text);
            (etag(&r), r.body)
        };
        let (empty, _) = tag_now().await;
        // A registration (the API's transaction).
        let id = app.register(&t, &attached("prod-1")).await;
        let (registered, body) = tag_now().await;
        assert_ne!(registered, empty);
        assert_eq!(body["items"][0]["status"]["phase"], "Pending");
        let r = app.get("/v1/clusters").header("if-none-match", &empty).signed(&t).send().await;
        assert_eq!(r.status, 200, "an old tag is not current");
        // The activation (a worker's transaction, with no request behind it).
        app.settle().await;
        let (activated, body) = tag_now().await;
        assert_ne!(activated, registered);
        assert_eq!(body["items"][0]["status"]["phase"], "Available");
        // Another tenant's writes leave this tenant's generation (and tag) alone.
        let domain = t.domain_id.parse().unwrap();
        let generation = app.store.tenant_generation(domain).await.unwrap();
        app.register(&other, &attached("theirs")).await;
        app.settle().await;
        assert_eq!(app.store.tenant_generation(domain).await.unwrap(), generation);
        assert_eq!(tag_now().await.0, activated);
        // An update, then an unregistration.
        let r = app.call(Method::PUT, &format!("/v1/clusters/{id}"))
            .json(&serde_json::json!({"spec": {"country": "CN", "city": "310000"}}))
            .signed(&t).send().await;
        assert!(r.status.is_success(), "{}", r.text);
        let (updated, body) = tag_now().await;
        assert_ne!(updated, activated);
        assert!(body["items"][0].to_string().contains("310000"), "{body}");
        let r = app.call(Method::DELETE, &format!("/v1/clusters/{id}")).signed(&t).send().await;
        assert!(r.status.is_success(), "{}", r.text);
        app.settle().await;
        let (deleted, body) = tag_now().await;
        assert_ne!(deleted, updated);
        assert_eq!(body["total"], 0);
        // A refused write rolls back: the generation stays.
        let generation = app.store.tenant_generation(domain).await.unwrap();
        let r = app.post("/v1/clusters").json(&serde_json::json!({"kind": "Cluster"})).signed(&t).send().await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(app.store.tenant_generation(domain).await.unwrap(), generation);
    }

    async fn a_hand_written_request_gets_a_standard_304(app: TestApp) {
        let t = app.tenant("t1").await;
        app.register(&t, &attached("prod-1")).await;
        let token = app.token(&t).await;
        let (head, body) = raw_get(&app, "/v1/clusters", &[("X-Auth-Token", &token)]).await;
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(body.contains("prod-1"));
        let tag = head
            .lines()
            .find_map(|l| l.strip_prefix("etag: ").or_else(|| l.strip_prefix("ETag: ")))
            .expect("an ETag header")
            .to_string();
        let (head, body) = raw_get(&app, "/v1/clusters", &[("X-Auth-Token", &token), ("If-None-Match", &tag)]).await;
        assert!(head.starts_with("HTTP/1.1 304 Not Modified\r\n"), "{head}");
        assert!(head.to_ascii_lowercase().contains(&format!("etag: {tag}")), "{head}");
        assert_eq!(body, "", "a 304 has no body");
    }

    async fn credentials_are_verified_from_memory_until_they_change(app: TestApp) {
        let t = app.tenant("t1").await;
        let token = app.token(&t).await;
        assert_eq!(app.get("/v1/clusters").signed(&t).send().await.status, 200);
        assert_eq!(app.get("/v1/clusters").token(&token).send().await.status, 200);
        assert_eq!(app.app.state.credentials.len(), 2, "the key and the token");
        // A change of credentials through the store empties the cache for this process at once.
        let epoch = app.store.credentials_epoch();
        server::admin::access_key_set_status(&app.store, "t1", &t.access_key, domain::identity::AccessKeyStatus::Inactive)
            .await
            .unwrap();
        assert_ne!(app.store.credentials_epoch(), epoch);
        app.get("/v1/clusters").signed(&t).send().await.assert_error(401, "UCS.01000003");
        assert_eq!(app.get("/v1/clusters").token(&token).send().await.status, 200);
        // A cluster write is no change of credentials.
        let epoch = app.store.credentials_epoch();
        let r = app.post("/v1/clusters").json(&attached("prod-1")).token(&token).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(app.store.credentials_epoch(), epoch);
        // A change the process is not told of (made behind its back) is seen once the TTL is over.
        sqlx::query("UPDATE access_keys SET status = 'active' WHERE access_key = $1")
            .bind(&t.access_key)
            .execute(app.store.pool())
            .await
            .unwrap();
        app.get("/v1/clusters").signed(&t).send().await.assert_error(401, "UCS.01000003");
        app.clock.advance(chrono::Duration::milliseconds(1000));
        assert_eq!(app.get("/v1/clusters").signed(&t).send().await.status, 200);
    }
}
