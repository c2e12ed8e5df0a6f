//! `SDK-HMAC-SHA256` request signatures, verified exactly as the official SDK's `Signer` computes them
//! (docs/wire.md §5): canonical request, signed headers, the secret key as the HMAC key.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// sha256 of the empty string: the payload hash of a request without a body.
pub const EMPTY_PAYLOAD_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
pub const CONTENT_SHA256_HEADER: &str = "x-sdk-content-sha256";
pub const DATE_HEADER: &str = "x-sdk-date";
/// `X-Sdk-Date` format: basic ISO 8601 in UTC.
pub const DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// Python's `quote(s, safe='~')`: everything but `A-Z a-z 0-9 - . _ ~` is `%XX`.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The parts of an `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub algorithm: String,
    pub access_key: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Parses the header; `None` when it is not of the SDK's form.
pub fn parse_authorization(value: &str) -> Option<Authorization> {
    let (algorithm, rest) = value.trim().split_once(' ')?;
    let (mut access, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, val) = part.trim().split_once('=')?;
        match key {
            "Access" => access = Some(val.to_string()),
            "SignedHeaders" => signed = Some(val.split(';').map(str::to_string).collect::<Vec<_>>()),
            "Signature" => signature = Some(val.to_string()),
            _ => return None,
        }
    }
    Some(Authorization {
        algorithm: algorithm.to_string(),
        access_key: access.filter(|a| !a.is_empty())?,
        signed_headers: signed?,
        signature: signature?,
    })
}

fn rfc3986(bytes: &[u8]) -> String {
    percent_encode(bytes, RFC3986).to_string()
}

/// The canonical URI: the decoded path, each segment re-encoded, with a trailing `/`.
pub fn canonical_uri(raw_path: &str) -> String {
    let decoded: Vec<u8> = percent_decode_str(raw_path).collect();
    let mut uri = decoded.split(|b| *b == b'/').map(rfc3986).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The canonical query: decoded pairs (a `+` stays a `+`), sorted by key then value, re-encoded.
pub fn canonical_query(raw_query: Option<&str>) -> String {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = raw_query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode_str(k).collect(), percent_decode_str(v).collect())
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v))).collect::<Vec<_>>().join("&")
}

/// The payload hash as the signer computed it: empty body → the empty hash; else the
/// `X-Sdk-Content-Sha256` header (`UNSIGNED-PAYLOAD`) when present; else sha256 of the body.
pub fn payload_hash(headers: &HeaderMap, body: &[u8]) -> String {
    if body.is_empty() {
        return EMPTY_PAYLOAD_HASH.to_string();
    }
    if let Some(value) = headers.get(CONTENT_SHA256_HEADER).and_then(|v| v.to_str().ok()) {
        return value.to_string();
    }
    hex::encode(Sha256::digest(body))
}

/// The canonical request, or the name of a signed header the request does not carry.
pub fn canonical_request(
    method: &str,
    raw_path: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<String, String> {
    let mut canonical_headers = String::new();
    for name in signed_headers {
        let value = headers.get(name.as_str()).ok_or_else(|| name.clone())?;
        let value = String::from_utf8_lossy(value.as_bytes());
        canonical_headers.push_str(&format!("{name}:{}\n", value.trim()));
    }
    Ok(format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{}\n{payload_hash}",
        canonical_uri(raw_path),
        canonical_query(raw_query),
        signed_headers.join(";")
    ))
}

pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{sdk_date}\n{}", hex::encode(Sha256::digest(canonical_request.as_bytes())))
}

/// Hex HMAC-SHA256 of the string to sign, keyed by the secret key itself.
pub fn signature(secret_key: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time comparison of the expected and the presented signature.
pub fn signatures_match(expected: &str, presented: &str) -> bool {
    expected.len() == presented.len() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

#[cfg(test)]
mod tests {
    //! Four test vectors computed by the official SDK's own signer (docs/wire.md §5).

    use axum::http::{HeaderName, HeaderValue};

    use super::*;

    const SK: &str = "exampleSecretKey0123456789abcdefghijklmn";
    const DATE: &str = "20250101T000000Z";

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn common(id_header: (&str, &str), content_type: &str) -> HeaderMap {
        headers(&[
            ("Content-Type", content_type),
            ("User-Agent", "huaweicloud-usdk-python/3.0; ucsd-test"),
            id_header,
            ("X-Sdk-Date", DATE),
            ("Host", "127.0.0.1:8080"),
        ])
    }

    fn check(
        method: &str,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
        authorization: &str,
        canonical_hash: &str,
    ) {
        let auth = parse_authorization(authorization).unwrap();
        assert_eq!(auth.algorithm, ALGORITHM);
        assert_eq!(auth.access_key, "HPUAEXAMPLEAK0000001");
        let hash = payload_hash(headers, body);
        let canonical = canonical_request(method, path, query, headers, &auth.signed_headers, &hash).unwrap();
        assert_eq!(hex::encode(Sha256::digest(canonical.as_bytes())), canonical_hash, "{canonical}");
        let expected = signature(SK, &string_to_sign(DATE, &canonical));
        assert!(signatures_match(&expected, &auth.signature), "{expected} != {}", auth.signature);
    }

    #[test]
    fn v1_get_with_query_params() {
        check(
            "GET",
            "/v1/clusters",
            Some("category=self&clustergroupid=fleet%201%2Fx~y%2Bz&enablestatus=false&limit=10&order_by=create_at"),
            &common(("X-Domain-Id", "d0m41n1d"), "application/json"),
            b"",
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;user-agent;x-domain-id;x-sdk-date, Signature=01f1d155acf908657e8ffa853d1c1dba81f3784d166a4db93c971f6430bd58a2",
            "b19c4efd9732fab0daf60d1c6c02b311f4431d8b8fbf8634ca4dbd862564657d",
        );
    }

    #[test]
    fn v2_post_with_a_json_body() {
        let body = br#"{"kind": "WorkFlowTask", "apiVersion": "v3", "spec": {"clusterID": "c1", "clusterVersion": "v1.28", "targetVersion": "v1.29"}}"#;
        assert_eq!(body.len(), 126);
        check(
            "POST",
            "/api/v3/projects/pr0j3ct1d/clusters/c1/operation/upgradeworkflows",
            None,
            &common(("X-Project-Id", "pr0j3ct1d"), "application/json"),
            body,
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, Signature=150e2944f7f2ae4a2959efeefa7f8d73a19321b0422f51c0f469812cb08b44d6",
            "ab22b8cd5678fd77fade2a9c0b3ee1e26f2c2e1b3e961ab6b0e75f3be4b41822",
        );
    }

    #[test]
    fn v3_delete_with_and_without_trailing_slash() {
        for path in ["/v1/clusters/abc/", "/v1/clusters/abc"] {
            check(
                "DELETE",
                path,
                None,
                &common(("X-Domain-Id", "d0m41n1d"), "application/json"),
                b"",
                "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;user-agent;x-domain-id;x-sdk-date, Signature=b3ce616fadff718a59e1a53948bdbc090e186b35df24f17217f2acc6cf91a4ef",
                "97b3ff7f7612193d9ade3a123b474be9244a0bcc3b9c18faa17b29e934cb5999",
            );
        }
    }

    #[test]
    fn v4_form_encoded_post_signs_the_unsigned_payload_literal() {
        let mut h = common(("X-Domain-Id", "d0m41n1d"), "application/x-www-form-urlencoded");
        h.insert("x-sdk-content-sha256", HeaderValue::from_static("UNSIGNED-PAYLOAD"));
        check(
            "POST",
            "/v1/clusters",
            None,
            &h,
            b"kind=Cluster&apiVersion=v1&metadata=name&metadata=annotations&spec=category&spec=type&spec=provider&spec=country&spec=city&spec=manageType",
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;user-agent;x-domain-id;x-sdk-content-sha256;x-sdk-date, Signature=f9cd747aeb3c29f9953252e9bb6c5ecebedeea5ff330226e36d9a33e4832e3fd",
            "3175f30435d689dd1359121c3e5ef584586f915c0b692907949e5ec90f16e3b3",
        );
    }

    #[test]
    fn a_tampered_request_does_not_verify() {
        let h = common(("X-Domain-Id", "d0m41n1d"), "application/json");
        let auth = parse_authorization("SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;user-agent;x-domain-id;x-sdk-date, Signature=b3ce616fadff718a59e1a53948bdbc090e186b35df24f17217f2acc6cf91a4ef").unwrap();
        let canonical = canonical_request(
            "DELETE",
            "/v1/clusters/abd",
            None,
            &h,
            &auth.signed_headers,
            EMPTY_PAYLOAD_HASH,
        )
        .unwrap();
        assert!(!signatures_match(&signature(SK, &string_to_sign(DATE, &canonical)), &auth.signature));
    }

    #[test]
    fn a_missing_signed_header_is_named() {
        let err =
            canonical_request("GET", "/", None, &HeaderMap::new(), &["host".to_string()], EMPTY_PAYLOAD_HASH);
        assert_eq!(err.unwrap_err(), "host");
    }

    #[test]
    fn malformed_authorization_headers_do_not_parse() {
        for bad in [
            "",
            "SDK-HMAC-SHA256",
            "SDK-HMAC-SHA256 Access=, SignedHeaders=a, Signature=b",
            "SDK-HMAC-SHA256 Access=a, Signature=b",
            "Bearer xyz",
            "SDK-HMAC-SHA256 Foo=a, SignedHeaders=b, Signature=c",
        ] {
            assert!(parse_authorization(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn canonical_query_sorts_and_reencodes() {
        assert_eq!(canonical_query(Some("b=2&a=x%20y&a=1")), "a=1&a=x%20y&b=2");
        assert_eq!(canonical_query(Some("k=a+b")), "k=a%2Bb");
        assert_eq!(canonical_query(None), "");
    }
}
