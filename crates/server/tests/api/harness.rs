//! The test harness: boots the real router on a fresh, migrated database (SQLite or Postgres) on a
//! free port, and speaks HTTP to it, signing requests as the official SDK does.
//!
//! A test app runs no background workers: its time is a [`ManualClock`] shared by the store, the server
//! and the request signer, and the test drives the job engine itself (`crate::driver`: `settle`,
//! `step`), so workflows, retries, backoff, leases and plan windows are tested without waiting on the
//! wall clock. Apps with real workers ([`spawn_replica`] with workers, clients of another process) keep
//! the wall clock: only they wait in real time.

use std::sync::Arc;

use api::auth::signature;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use chrono::{DateTime, Utc};
use domain::clock::{Clock, ManualClock, ShiftedClock};
use serde_json::Value;
use server::{admin::TenantCredentials, config::Config, App};
use store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares each `async fn name(app: TestApp) { … }` once and runs it on both backends, as
/// `sqlite::name` and `postgres::name`.
macro_rules! backend_tests {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(async fn $name($app: TestApp) $body)*

        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::harness::spawn_app($crate::harness::Backend::Sqlite).await).await
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::harness::spawn_app($crate::harness::Backend::Postgres).await).await
                }
            )*
        }
    };
}
pub(crate) use backend_tests;

/// A test's time.
#[derive(Debug, Clone)]
pub enum TestClock {
    /// Moves only when the test (or [`TestApp::settle`]) moves it: the clock of driven apps.
    Manual(ManualClock),
    /// The wall clock plus an offset: for real workers, which sleep and retry in real time.
    Wall(ShiftedClock),
}

impl TestClock {
    /// Moves time ahead (token, precheck and plan expiry) without waiting.
    pub fn advance(&self, by: chrono::Duration) {
        match self {
            Self::Manual(clock) => clock.advance(by),
            Self::Wall(clock) => clock.advance(by),
        }
    }
}

impl TestClock {
    /// Now as `X-Sdk-Date` writes it.
    pub fn now_sdk_date(&self) -> String {
        self.now().format(signature::DATE_FORMAT).to_string()
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        match self {
            Self::Manual(clock) => clock.now(),
            Self::Wall(clock) => clock.now(),
        }
    }
}

impl From<ManualClock> for TestClock {
    fn from(clock: ManualClock) -> Self {
        Self::Manual(clock)
    }
}

impl From<ShiftedClock> for TestClock {
    fn from(clock: ShiftedClock) -> Self {
        Self::Wall(clock)
    }
}

pub struct TestApp {
    pub url: String,
    pub host: String,
    pub store: Store,
    pub app: App,
    pub clock: TestClock,
    pub config: Config,
    client: reqwest::Client,
}

/// A fresh server on `backend`, driven by the test (no background workers, a manual clock).
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_with(backend, &[]).await
}

/// Like [`spawn_app`], with `extra_env` on top of the test configuration.
pub async fn spawn_with(backend: Backend, extra_env: &[(&str, &str)]) -> TestApp {
    let clock = ManualClock::default();
    let store = match backend {
        Backend::Sqlite => store_sqlite::testing::open_fresh(Arc::new(clock.clone())).await,
        Backend::Postgres => store_pg::testing::open_fresh(Arc::new(clock.clone())).await,
    };
    let key = secrets::MasterKey::generate().to_base64();
    spawn_replica(store, clock, &key, extra_env, 0).await
}

/// A server on `store` with `workers` background workers and extra configuration; replicas of one
/// deployment share the store's database and the master key. Real workers need the wall clock.
pub async fn spawn_replica(
    store: Store,
    clock: impl Into<TestClock>,
    key: &str,
    extra_env: &[(&str, &str)],
    workers: usize,
) -> TestApp {
    let clock = clock.into();
    let env: Vec<(&str, &str)> = match clock {
        // Driven by the test: simulated steps take no time, nothing waits on the wall clock.
        TestClock::Manual(_) => {
            assert_eq!(workers, 0, "real workers sleep and retry in real time: give them a wall clock");
            [("UCS_SIMULATOR__STEP_MILLIS", "0")].into_iter().chain(extra_env.iter().copied()).collect()
        }
        TestClock::Wall(_) => extra_env.to_vec(),
    };
    let mut app = client_of(store, clock, key, &env).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    app.host = listener.local_addr().unwrap().to_string();
    app.url = format!("http://{}", app.host);
    let router = app.app.router();
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    // The workers stop with the test's runtime.
    app.app.spawn_workers(workers, &tokio_util::sync::CancellationToken::new());
    let every = std::time::Duration::from_secs(app.config.security.key_refresh_secs);
    app.app.spawn_key_refresh(every, &tokio_util::sync::CancellationToken::new());
    app
}

/// The configuration every test server runs with (as `UCS_*` variables), over `key`.
pub fn test_env(key: &str, extra_env: &[(&str, &str)]) -> Vec<(String, String)> {
    let env = [
        ("UCS_SECURITY__MASTER_KEY", key),
        ("UCS_HTTP__BODY_LIMIT_BYTES", "65536"),
        ("UCS_SIMULATOR__STEP_MILLIS", "20"),
        ("UCS_QUOTAS__CLUSTERS_PER_FLEET", "10"),
        ("UCS_QUOTAS__RULES", "20"),
        // Clusters named doomed never activate; flaky fails twice, then activates; nojoin never joins a
        // federation; broken-fleet never gets its federation chart, flaky-fleet's node fails once;
        // every step of once-fleet (and the join of once-member) fails once.
        (
            "UCS_SIMULATOR__FAILURES",
            "activate:doomed:always,activate:flaky:2,JoinCluster:nojoin:always,\
             InstallFederationChart:broken-fleet:always,CreateNode:flaky-fleet:1,\
             CreateCert:once-fleet:1,CreateNode:once-fleet:1,CreateNetworkResource:once-fleet:1,\
             InstallFederationChart:once-fleet:1,JoinCluster:once-member:1",
        ),
        ("UCS_WORKER__POLL_INTERVAL_MILLIS", "50"),
        ("UCS_WORKER__RETRY_BASE_MILLIS", "10"),
        ("UCS_WORKER__RETRY_MAX_MILLIS", "50"),
    ];
    env.iter().chain(extra_env).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A client of a server that runs elsewhere (another process) on `store`'s database: requests go to
/// `url` once it is set; the store is there to look at.
pub async fn client_of(
    store: Store,
    clock: impl Into<TestClock>,
    key: &str,
    extra_env: &[(&str, &str)],
) -> TestApp {
    let clock = clock.into();
    let config = Config::load_from(None, test_env(key, extra_env)).expect("test config");
    let app = App::build(&config, store.clone()).await.expect("build app");
    TestApp {
        url: String::new(),
        host: String::new(),
        store,
        app,
        clock,
        config,
        client: reqwest::Client::new(),
    }
}

/// A response, its body parsed as JSON (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Response {
    pub fn error_code(&self) -> &str {
        self.body["error_code"].as_str().unwrap_or("")
    }

    /// Asserts an error response of the given status and code, in the standard JSON shape.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.error_code(), code, "{}", self.text);
        assert!(self.body["error_msg"].as_str().is_some_and(|m| !m.is_empty()), "{}", self.text);
        assert!(self.headers.contains_key("x-request-id"));
    }
}

/// One request to send: built up, then signed or not, then sent.
pub struct Call<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl TestApp {
    pub fn call(&self, method: Method, path: &str) -> Call<'_> {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("user-agent", HeaderValue::from_static("huaweicloud-usdk-python/3.0; ucsd-test"));
        Call { app: self, method, path: path.to_string(), headers, body: Vec::new() }
    }

    pub fn get(&self, path: &str) -> Call<'_> {
        self.call(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Call<'_> {
        self.call(Method::POST, path)
    }

    /// A new tenant, as `ucsd admin tenant create` makes it.
    pub async fn tenant(&self, name: &str) -> TenantCredentials {
        server::admin::tenant_create(&self.store, &self.app.state.sealer, name, &self.config.region)
            .await
            .expect("create tenant")
    }

    /// A password token for the tenant's admin, domain-scoped.
    pub async fn token(&self, t: &TenantCredentials) -> String {
        let body = serde_json::json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": t.user_name, "password": t.password, "domain": {"name": t.domain_name}}}}}});
        let r = self.post("/v3/auth/tokens").json(&body).send().await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.headers["x-subject-token"].to_str().unwrap().to_string()
    }
}

impl Call<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        self
    }

    pub fn without_header(mut self, name: &str) -> Self {
        self.headers.remove(name);
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.body = serde_json::to_vec(body).unwrap();
        self
    }

    pub fn raw_body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self
    }

    /// Signs with the tenant's access key and its domain id, as `UcsClient` does.
    pub fn signed(self, t: &TenantCredentials) -> Self {
        let (ak, sk, domain) = (t.access_key.clone(), t.secret_key.clone(), t.domain_id.clone());
        self.header("x-domain-id", &domain).sign_with(&ak, &sk)
    }

    /// Signs with any key pair, dated by the server's clock.
    pub fn sign_with(self, ak: &str, sk: &str) -> Self {
        let date = self.app.clock.now_sdk_date();
        self.sign_dated(ak, sk, &date)
    }

    pub fn sign_dated(mut self, ak: &str, sk: &str, date: &str) -> Self {
        let host = self.app.host.clone();
        self = self.header("x-sdk-date", date).header("host", &host);
        let mut names: Vec<String> = self.headers.keys().map(|k| k.as_str().to_string()).collect();
        names.sort();
        let (path, query) = match self.path.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (self.path.clone(), None),
        };
        let hash = signature::payload_hash(&self.headers, &self.body);
        let canonical = signature::canonical_request(
            self.method.as_str(),
            &path,
            query.as_deref(),
            &self.headers,
            &names,
            &hash,
        )
        .unwrap();
        let sig = signature::signature(sk, &signature::string_to_sign(date, &canonical));
        let value =
            format!("SDK-HMAC-SHA256 Access={ak}, SignedHeaders={}, Signature={sig}", names.join(";"));
        self.header("authorization", &value)
    }

    pub fn token(self, token: &str) -> Self {
        self.header("x-auth-token", token)
    }

    pub async fn send(self) -> Response {
        if let TestClock::Manual(clock) = &self.app.clock {
            clock.advance(crate::driver::TICK);
        }
        let mut headers = self.headers;
        headers.remove("host");
        let response = self
            .app
            .client
            .request(self.method.clone(), format!("{}{}", self.app.url, self.path))
            .headers(headers)
            .body(self.body)
            .send()
            .await
            .expect("send request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        crate::response_schemas::check(&self.method, &self.path, status, &text);
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Response { status, headers, body, text }
    }
}
