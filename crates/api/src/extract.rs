//! Extractors whose rejections are UCS errors, so malformed input never gets axum's plain-text bodies.
//!
//! One rule for input that names what an operation does not know (docs/wire.md §2, "Input rules"): a
//! body field or a query parameter the operation's type does not declare is refused with the family's
//! 400, naming it, before anything is read or written. The types declare every attribute of the SDK's
//! models, so what the SDK sends is always known.

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

/// Parses JSON with the path of the offending field in the message; a field `T` does not declare
/// is refused, and so is an array where `T` has a struct (serde alone would fill it field by field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid_body("a JSON request body is required"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let mut unknown = Vec::new();
    let mut note = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let strict = crate::objects_only::ObjectsOnly(&mut *de);
    let parsed = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(strict, &mut note))
        .map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." || path.is_empty() {
                Error::invalid_body(inner.to_string())
            } else {
                Error::invalid_body(format!("{path}: {inner}"))
            }
        })?;
    de.end().map_err(|e| Error::invalid_body(e.to_string()))?;
    refuse_unknown(&unknown, Error::invalid_body)?;
    Ok(parsed)
}

/// The one refusal of fields (or query parameters) an operation does not declare.
fn refuse_unknown(unknown: &[String], error: fn(String) -> Error) -> Result<(), Error> {
    match unknown {
        [] => Ok(()),
        [one] => Err(error(format!("unknown field {one:?}: this operation does not accept it"))),
        many => Err(error(format!("unknown fields {many:?}: this operation does not accept them"))),
    }
}

/// Parses a form-encoded text (a query, a form body) with the path of the offending parameter in
/// the message; a parameter `T` does not declare is refused.
fn parse_form<T: DeserializeOwned>(text: &[u8], error: fn(String) -> Error) -> Result<T, Error> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(text));
    let mut unknown = Vec::new();
    let mut note = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let parsed =
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(de, &mut note)).map_err(|e| {
            let path = e.path().to_string();
            error(format!("{path}: {}", e.into_inner()))
        })?;
    refuse_unknown(&unknown, error)?;
    Ok(parsed)
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
        Ok(JsonOrForm(parse_form(&bytes, Error::invalid_body)?))
    }
}

/// Query parameters; a malformed value or an undeclared parameter gets UCS.01000011.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        Ok(Query(parse_form(query.as_bytes(), Error::bad_query)?))
    }
}

/// A list operation that declares no query parameters: any parameter is refused (one rule for every
/// list, UCS and CCE).
pub struct NoParams;

impl<S: Send + Sync> FromRequestParts<S> for NoParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let names: Vec<String> = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .map(|(name, _)| name.into_owned())
            .collect();
        refuse_unknown(&names, Error::bad_query)?;
        Ok(NoParams)
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
    fn unknown_fields_and_parameters_are_refused_by_name() {
        let e = parse_json::<Body>(br#"{"metadata": {"name": "a", "nope": 1}, "bogus": [1]}"#).unwrap_err();
        assert_eq!(e.code(), "UCS.01000012");
        assert!(e.message().contains("metadata.nope") && e.message().contains("bogus"), "{}", e.message());
        assert!(parse_json::<Body>(br#"{"metadata": {"name": "a"}} trailing"#).is_err());
        parse_json::<Body>(br#"{"metadata": {"name": "a"}}"#).unwrap();

        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Page {
            limit: Option<i64>,
        }
        let e = parse_form::<Page>(b"limit=3&bogus=1", Error::bad_query).unwrap_err();
        assert_eq!(e.code(), "UCS.01000011");
        assert!(e.message().contains("bogus"), "{}", e.message());
        assert_eq!(parse_form::<Page>(b"limit=3", Error::bad_query).unwrap().limit, Some(3));
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
