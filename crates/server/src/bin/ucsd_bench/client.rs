//! An HTTP client of a `ucsd serve` process that signs each request as the official SDK's `UcsClient`
//! does (docs/wire.md §5): `Content-Type`, `User-Agent`, `X-Domain-Id`, `X-Sdk-Date` and
//! `Host` signed with SDK-HMAC-SHA256, the body's sha256 as the payload hash.

use api::auth::signature;
use axum::http::{HeaderMap, HeaderValue, Method};

#[derive(Debug, Clone)]
pub struct Signer {
    pub access_key: String,
    pub secret_key: String,
    pub domain_id: String,
}

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    /// `127.0.0.1:PORT`, the `Host` the SDK signs.
    host: String,
    signer: Signer,
}

/// A response: the status (0 when the request failed before one) and the body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    /// The `ETag` header, if any.
    pub etag: Option<String>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Client {
    pub fn new(host: &str, signer: Signer) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1024)
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("http client");
        Self { http, host: host.to_string(), signer }
    }

    fn signed_headers(&self, method: &Method, path: &str, body: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("user-agent", HeaderValue::from_static("huaweicloud-usdk-python/3.0; ucsd-bench"));
        headers.insert("x-domain-id", HeaderValue::from_str(&self.signer.domain_id).expect("domain id"));
        let date =
            domain::clock::Clock::now(&domain::clock::SystemClock).format(signature::DATE_FORMAT).to_string();
        headers.insert(signature::DATE_HEADER, HeaderValue::from_str(&date).expect("date"));
        headers.insert("host", HeaderValue::from_str(&self.host).expect("host"));
        let mut names: Vec<String> = headers.keys().map(|k| k.as_str().to_string()).collect();
        names.sort();
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        let hash = signature::payload_hash(&headers, body);
        let canonical = signature::canonical_request(method.as_str(), path, query, &headers, &names, &hash)
            .expect("every signed header is present");
        let sig =
            signature::signature(&self.signer.secret_key, &signature::string_to_sign(&date, &canonical));
        let value = format!(
            "{} Access={}, SignedHeaders={}, Signature={sig}",
            signature::ALGORITHM,
            self.signer.access_key,
            names.join(";")
        );
        headers.insert("authorization", HeaderValue::from_str(&value).expect("authorization"));
        headers
    }

    /// A signed request; a transport error is status 0 with the error as the body.
    pub async fn send(&self, method: Method, path: &str, body: Option<&serde_json::Value>) -> Reply {
        self.send_with(method, path, body, None).await
    }

    /// [`Self::send`] with `If-None-Match: if_none_match` (unsigned, as the SDK would add it).
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        if_none_match: Option<&str>,
    ) -> Reply {
        let body = body.map(|b| serde_json::to_vec(b).expect("json")).unwrap_or_default();
        let mut headers = self.signed_headers(&method, path, &body);
        if let Some(tag) = if_none_match {
            headers.insert("if-none-match", HeaderValue::from_str(tag).expect("an entity tag"));
        }
        let url = format!("http://{}{path}", self.host);
        let result = self.http.request(method, url).headers(headers).body(body).send().await;
        let failed = |e: reqwest::Error| Reply { status: 0, body: e.to_string().into_bytes(), etag: None };
        match result {
            Ok(response) => {
                let status = response.status().as_u16();
                let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_string);
                match response.bytes().await {
                    Ok(bytes) => Reply { status, body: bytes.to_vec(), etag },
                    Err(e) => failed(e),
                }
            }
            Err(e) => failed(e),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }
}

pub const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: member
  cluster:
    server: https://10.1.2.3:6443
contexts:
- name: member
  context:
    cluster: member
    user: admin
users:
- name: admin
  user:
    token: very-secret-member-token
current-context: member
";

/// An attached cluster's registration, as the API tests register one.
pub fn attached(name: &str) -> serde_json::Value {
    serde_json::json!({
        "kind": "Cluster",
        "apiVersion": "v1",
        "metadata": { "name": name, "labels": { "env": "bench" }, "annotations": { "kubeconfig": KUBECONFIG, "team": "a" } },
        "spec": { "category": "attachedcluster", "type": "eks", "provider": "aws", "country": "CN", "city": "110000",
                  "manageType": "discrete" },
    })
}
