//! The one conversion from [`domain::Error`] to HTTP.
//!
//! Every error body is `{"error_code": "...", "error_msg": "..."}`, the only shape both the UCS and the
//! CCE SDK handlers parse fully (docs/wire.md §4). The error also rides in the response's
//! extensions, so [`render_errors`] (which knows the route) can log it once inside the request's span
//! and re-render it in the CCE family on CCE routes.

use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use domain::error::{Error, Family};

/// A handler's error: any [`domain::Error`].
#[derive(Debug, Clone)]
pub struct ApiError(pub Error);

pub type ApiResult<T> = Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = body_of(&self.0);
        response.extensions_mut().insert(self);
        response
    }
}

/// Every error's body.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody<'a> {
    /// `UCS.…` on UCS routes, `CCE.…` on CCE routes (docs/wire.md §4).
    pub error_code: &'a str,
    pub error_msg: &'a str,
}

fn body_of(e: &Error) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = ErrorBody { error_code: e.code(), error_msg: &e.message() };
    let body = serde_json::to_string(&body).expect("strings serialize");
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The error family of a path: CCE and CCE Autopilot routes speak `CCE.…` codes.
pub fn family_of(path: &str) -> Family {
    if path.starts_with("/api/") || path.starts_with("/autopilot/") {
        Family::Cce
    } else {
        Family::Ucs
    }
}

/// Logs each error response once (server errors with their internal cause) and renders it in the
/// family of the route.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let family = family_of(request.uri().path());
    let mut response = next.run(request).await;
    let Some(ApiError(error)) = response.extensions_mut().remove::<ApiError>() else {
        return response;
    };
    if error.status() >= 500 {
        tracing::error!(
            code = error.code(),
            internal = error.internal.as_deref().unwrap_or(""),
            "request failed"
        );
    } else {
        tracing::info!(code = error.code(), msg = %error.message(), "request refused");
    }
    if family == Family::Ucs {
        return response;
    }
    let mut rendered = body_of(&error.in_family(family));
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
}
