//! Extractors whose rejections are UCS errors, so malformed input never gets axum's plain-text bodies.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts},
};
use domain::Error;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body. A body in another content type (the SDK form-encodes four UCS operations, see
/// docs/wire.md §2) is refused with a message that says how to send JSON.
pub struct Json<T>(pub T);

/// Whether the request declares a JSON body (`application/json`, `application/*+json`) or no type.
fn declares_json(parts_headers: &axum::http::HeaderMap) -> Result<(), Error> {
    let Some(value) = parts_headers.get(header::CONTENT_TYPE) else { return Ok(()) };
    let mime = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")) {
        return Ok(());
    }
    Err(Error::invalid_body(format!(
        "the body must be JSON, sent with Content-Type: application/json (got {mime:?}). The official \
         SDK form-encodes this operation: add the header, e.g. \
         client.preset_headers = {{\"Content-Type\": \"application/json\"}}"
    )))
}

/// Parses JSON with the path of the offending field in the message.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid_body("a JSON request body is required"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            Error::invalid_body(inner.to_string())
        } else {
            Error::invalid_body(format!("{path}: {inner}"))
        }
    })
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        declares_json(req.headers())?;
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            Error::invalid_body(format!("the request body could not be read: {}", e.body_text()))
        })?;
        Ok(Json(parse_json(&bytes)?))
    }
}

/// A JSON body, or a form-encoded one (`application/x-www-form-urlencoded`) for flat bodies that
/// survive the SDK's form encoding intact (`join_group`).
pub struct JsonOrForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonOrForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !form {
            return Json::from_request(req, state).await.map(|Json(v)| JsonOrForm(v));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            Error::invalid_body(format!("the request body could not be read: {}", e.body_text()))
        })?;
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&bytes));
        serde_path_to_error::deserialize(de).map(JsonOrForm).map_err(|e| {
            let path = e.path().to_string();
            ApiError(Error::invalid_body(format!("{path}: {}", e.into_inner())))
        })
    }
}

/// Query parameters; a malformed value gets UCS.01000011.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Query).map_err(|e| {
            let path = e.path().to_string();
            ApiError(Error::bad_query(format!("{path}: {}", e.into_inner())))
        })
    }
}

/// Path parameters; a malformed one (e.g. not a UUID) gets UCS.01000011.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|e| ApiError(Error::bad_query(format!("path parameter: {}", e.body_text()))))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        metadata: Meta,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Meta {
        name: String,
    }

    #[test]
    fn json_errors_name_the_field() {
        let e = parse_json::<Body>(br#"{"metadata": {"name": 5}}"#).unwrap_err();
        assert_eq!(e.code(), "UCS.01000012");
        assert!(e.message().contains("metadata.name"), "{}", e.message());
        assert!(parse_json::<Body>(b"").unwrap_err().message().contains("required"));
        assert!(parse_json::<Body>(b"{not json").is_err());
    }

    #[test]
    fn form_bodies_are_refused_with_the_json_hint() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
        let e = declares_json(&headers).unwrap_err();
        assert!(e.message().contains("Content-Type: application/json"));
        headers.insert(header::CONTENT_TYPE, "application/json;charset=utf-8".parse().unwrap());
        declares_json(&headers).unwrap();
        declares_json(&HeaderMap::new()).unwrap();
    }
}
