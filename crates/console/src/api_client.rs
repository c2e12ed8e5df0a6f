//! The console's calls to the API: in-process, through the API router, as the session's user (a
//! token of a minute, minted like `POST /v3/auth/tokens` mints them). Authorization, validation,
//! tenancy, audit and the wire views are therefore the API's own.

use api::auth::token::Claims;
use axum::{
    body::{to_bytes, Body},
    http::{header, Method, Request, StatusCode},
};
use serde_json::Value;
use tower::ServiceExt;

use crate::{session::Session, ConsoleState};

/// A refusal or failure of an API call, as the API answered it.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl From<domain::Error> for Failure {
    /// A refusal of ucsd's own code (pages that read the store directly), as the API would answer it.
    fn from(e: domain::Error) -> Self {
        Self {
            status: StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: e.code().to_string(),
            message: e.message(),
        }
    }
}

impl Failure {
    fn internal(message: impl Into<String>) -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, code: String::new(), message: message.into() }
    }
}

/// The API, as one signed-in user calls it.
pub struct Api<'a> {
    state: &'a ConsoleState,
    token: String,
}

/// Seconds a console call's token lives: one request's worth.
const TOKEN_SECS: i64 = 60;

impl<'a> Api<'a> {
    pub fn new(state: &'a ConsoleState, session: &Session) -> Self {
        let now = state.app.store.clock().now();
        let claims = Claims {
            sub: session.user.id.to_string(),
            dom: session.tenant.id.to_string(),
            prj: None,
            iat: now.timestamp(),
            exp: now.timestamp() + TOKEN_SECS,
            jti: domain::ids::random_uuid().simple().to_string(),
        };
        Self { state, token: state.app.tokens.issue(&claims) }
    }

    /// Calls `method path` with a JSON body (or none); the JSON answer, or the API's error.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, Failure> {
        let raw = self.call_raw(method, path, body).await?;
        if raw.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&raw).map_err(|e| Failure::internal(format!("the API answered non-JSON: {e}")))
    }

    /// Like [`Api::call`], the body as the API sent it.
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Vec<u8>, Failure> {
        let builder = Request::builder()
            .method(method)
            .uri(path)
            .header("x-auth-token", &self.token)
            .header(header::HOST, "console.internal")
            .header("user-agent", "ucsd-console");
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(body).expect("JSON values serialize"))),
            None => builder.body(Body::empty()),
        }
        .map_err(|e| Failure::internal(format!("console request: {e}")))?;
        let response =
            self.state.api.clone().oneshot(request).await.map_err(|e| Failure::internal(e.to_string()))?;
        let status = response.status();
        let bytes =
            to_bytes(response.into_body(), usize::MAX).await.map_err(|e| Failure::internal(e.to_string()))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Err(Failure {
            status,
            code: body["error_code"].as_str().unwrap_or_default().to_string(),
            message: body["error_msg"].as_str().unwrap_or("the request failed").to_string(),
        })
    }

    pub async fn get(&self, path: &str) -> Result<Value, Failure> {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, Failure> {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Value, Failure> {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<Value, Failure> {
        self.call(Method::DELETE, path, None).await
    }
}
