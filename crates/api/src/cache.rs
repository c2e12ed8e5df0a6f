//! Reads that do not recompute: list and show responses kept per tenant generation.
//!
//! Every committed transaction that changes a tenant's state raises the tenant's generation inside
//! itself (`store::Tx::commit`). A cached response is the body computed for one request (path and
//! query) of one tenant at one generation; a request reads the tenant's generation (one primary-key
//! read) and, when the generation is the one the body was computed at, answers from memory.
//!
//! Read-your-writes holds across replicas because the generation is read from the database on every
//! request, after the write that raised it committed, wherever it committed: a replica never answers
//! from a body older than the newest generation it read. (The body is computed after the generation
//! is read, so it is at least as new as its generation; a write committing in between makes the next
//! request compute again.)
//!
//! Each body carries a strong `ETag`: a hash of its bytes, so equal bodies have equal tags on every
//! replica and different bodies different ones. `If-None-Match` naming it answers `304 Not
//! Modified` (RFC 9110 §13.1.2). The cache holds at most its configured number of bytes, the least
//! recently used bodies going first.

use std::{collections::HashMap, future::Future, sync::Mutex};

use axum::{
    body::{Body, Bytes},
    http::{header, HeaderMap, HeaderValue, StatusCode, Uri},
    response::Response,
};
use domain::{ids::DomainId, Error, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::AppState;

type Key = (DomainId, String);

#[derive(Debug)]
struct Entry {
    generation: i64,
    etag: HeaderValue,
    body: Bytes,
    /// When it was last used (the cache's own counter), for eviction.
    used: u64,
}

impl Entry {
    fn size(key: &Key, body: &Bytes) -> usize {
        // The key, the body and the bookkeeping, roughly.
        key.1.len() + body.len() + 128
    }
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    bytes: usize,
    uses: u64,
}

/// The responses, at most `budget` bytes of them.
#[derive(Debug)]
pub struct ResponseCache {
    budget: usize,
    inner: Mutex<Inner>,
}

impl ResponseCache {
    /// A budget of 0 turns the cache off (every request computes; ETags and 304s still work).
    pub fn new(budget: usize) -> Self {
        Self { budget, inner: Mutex::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lookup(&self, key: &Key, generation: i64) -> Option<(HeaderValue, Bytes)> {
        let mut inner = self.lock();
        inner.uses += 1;
        let uses = inner.uses;
        let entry = inner.entries.get_mut(key).filter(|e| e.generation == generation)?;
        entry.used = uses;
        Some((entry.etag.clone(), entry.body.clone()))
    }

    fn keep(&self, key: Key, generation: i64, etag: HeaderValue, body: Bytes) {
        let size = Entry::size(&key, &body);
        // A body larger than an eighth of the budget would push out everything else: not kept.
        if size > self.budget / 8 {
            return;
        }
        let mut inner = self.lock();
        if inner.entries.get(&key).is_some_and(|e| e.generation > generation) {
            return;
        }
        inner.uses += 1;
        let used = inner.uses;
        if let Some(old) = inner.entries.insert(key.clone(), Entry { generation, etag, body, used }) {
            inner.bytes -= Entry::size(&key, &old.body);
        }
        inner.bytes += size;
        if inner.bytes > self.budget {
            // Down to three quarters, least recently used first, so eviction is not paid per insert.
            let mut by_use: Vec<(u64, Key)> =
                inner.entries.iter().map(|(k, e)| (e.used, k.clone())).collect();
            by_use.sort_unstable_by_key(|(used, _)| *used);
            for (_, key) in by_use {
                if inner.bytes <= self.budget / 4 * 3 {
                    break;
                }
                if let Some(old) = inner.entries.remove(&key) {
                    inner.bytes -= Entry::size(&key, &old.body);
                }
            }
        }
    }

    /// Bytes held (keys, bodies and bookkeeping).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A strong entity tag of `body`: 128 bits of its SHA-256, quoted.
pub fn etag_of(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..16]))).expect("hex is a valid header")
}

/// Whether `If-None-Match` names `etag` (or is `*`). The comparison is the weak one, as RFC 9110
/// prescribes for `If-None-Match`: a `W/` prefix is ignored.
pub fn none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.as_bytes();
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|value| {
        value
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/").as_bytes() == etag)
    })
}

/// Answers a read of `domain_id`'s state: from the cache when the tenant's generation is the one a
/// body for this path and query was computed at, else from `compute` (kept for the next request).
/// Errors are never kept. The answer carries its `ETag`; `If-None-Match` naming it gets a `304`.
pub async fn cached<T, Fut>(
    app: &AppState,
    domain_id: DomainId,
    uri: &Uri,
    headers: &HeaderMap,
    compute: impl FnOnce() -> Fut,
) -> Result<Response>
where
    T: Serialize,
    Fut: Future<Output = Result<T>>,
{
    let generation = app.store.tenant_generation(domain_id).await?;
    let key = (domain_id, uri.path_and_query().map_or_else(|| uri.path().to_string(), |p| p.to_string()));
    let (etag, body) = match app.responses.lookup(&key, generation) {
        Some(hit) => hit,
        None => {
            let value = compute().await?;
            let body = Bytes::from(serde_json::to_vec(&value).map_err(|e| Error::internal(e.to_string()))?);
            let etag = etag_of(&body);
            app.responses.keep(key, generation, etag.clone(), body.clone());
            (etag, body)
        }
    };
    let response = if none_match(headers, &etag) {
        Response::builder().status(StatusCode::NOT_MODIFIED).header(header::ETAG, etag).body(Body::empty())
    } else {
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(header::ETAG, etag)
            .body(Body::from(body))
    };
    response.map_err(|e| Error::internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: usize) -> Key {
        (DomainId::new(), format!("/v1/clusters?n={n}"))
    }

    #[test]
    fn a_body_is_served_for_its_generation_only() {
        let cache = ResponseCache::new(1 << 20);
        let k = key(1);
        let body = Bytes::from_static(b"{\"items\":[]}");
        cache.keep(k.clone(), 3, etag_of(&body), body.clone());
        assert_eq!(cache.lookup(&k, 3).map(|(_, b)| b), Some(body.clone()));
        assert!(cache.lookup(&k, 4).is_none());
        // An older generation's body does not replace a newer one.
        cache.keep(k.clone(), 2, etag_of(b"old"), Bytes::from_static(b"old"));
        assert_eq!(cache.lookup(&k, 3).map(|(_, b)| b), Some(body));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_budget_holds_and_the_least_recently_used_go_first() {
        let cache = ResponseCache::new(64 * 1024);
        let body = Bytes::from(vec![b'x'; 4000]);
        let first = key(0);
        cache.keep(first.clone(), 1, etag_of(&body), body.clone());
        for n in 1..100 {
            // The first is used all along: it stays.
            assert!(cache.lookup(&first, 1).is_some(), "evicted at {n}");
            cache.keep(key(n), 1, etag_of(&body), body.clone());
            assert!(cache.bytes() <= 64 * 1024);
        }
        assert!(cache.len() < 20);
        // Too large for the budget: not kept at all.
        let large = Bytes::from(vec![b'x'; 9000]);
        let k = key(1000);
        cache.keep(k.clone(), 1, etag_of(&large), large);
        assert!(cache.lookup(&k, 1).is_none());
    }

    #[test]
    fn if_none_match_compares_tags_as_rfc_9110_says() {
        let etag = etag_of(b"body");
        let tag = etag.to_str().unwrap().to_string();
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
            none_match(&headers, &etag)
        };
        assert!(with(&tag));
        assert!(with(&format!("W/{tag}")));
        assert!(with(&format!("\"other\", {tag}")));
        assert!(with("*"));
        assert!(!with("\"other\""));
        assert!(!with(tag.trim_matches('"')));
        assert!(!none_match(&HeaderMap::new(), &etag));
        assert_ne!(etag_of(b"body"), etag_of(b"body2"));
    }
}
