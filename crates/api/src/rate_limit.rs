//! Request rate limits: a token bucket per tenant and one per credential (an access key for signed
//! requests, the user for token requests), checked in memory right after authentication (see
//! [`crate::auth::authenticate`]), before authorization, the handler, the audit and the journal: a
//! refused request costs no database query and writes nothing.
//!
//! The buckets are `governor`'s keyed GCRA limiters (one small atomic state per key in a sharded
//! map, no timer task) on std's monotonic clock. Each replica holds its own buckets and enforces
//! `rate / replicas` (docs/operator.md, "Rate limits", says how close to fair that is). Keys whose
//! bucket has refilled are forgotten now and then, so the maps hold only the recently busy.
//!
//! Over a limit: 429 in the route's family (`UCS.01000002`, on CCE routes `CCE.02429001`) with a
//! `Retry-After` of whole seconds (at least 1) until the refusing bucket holds a token again.

use std::{
    fmt,
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use axum::{
    http::{header::RETRY_AFTER, HeaderValue},
    response::{IntoResponse, Response},
};
use domain::{
    error::{cce, ucs, Family},
    ids::{DomainId, UserId},
    Error,
};
use governor::{
    clock::{Clock, MonotonicClock},
    state::keyed::DashMapStateStore,
    NotUntil, Quota, RateLimiter,
};

use crate::{auth::Caller, error::ApiError, AppState};

/// The limits as configured (`[rate_limit]`); a rate of 0 turns its limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Requests per second of one tenant (all its users and keys together), over all replicas.
    pub tenant_per_second: u32,
    /// How many requests a tenant may make at once after a quiet spell.
    pub tenant_burst: u32,
    /// Requests per second of one access key (signed requests) or one user (token requests).
    pub credential_per_second: u32,
    pub credential_burst: u32,
    /// How many replicas share the limits: each enforces `rate / replicas` and `burst / replicas`.
    pub replicas: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            tenant_per_second: 200,
            tenant_burst: 400,
            credential_per_second: 100,
            credential_burst: 200,
            replicas: 1,
        }
    }
}

/// Whose credential made a request: the bucket of the credential limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CredentialId {
    /// A signed request's access key (the key's id, which is no secret).
    AccessKey(String),
    /// A token request's user: all of a user's tokens share one bucket.
    User(UserId),
}

/// Which limit refused a request (the `limit` label of the throttled counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Tenant,
    Credential,
}

impl Limit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tenant => "tenant",
            Self::Credential => "credential",
        }
    }
}

/// A refusal: which limit, and how long until its bucket holds a token again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub limit: Limit,
    pub retry_after: Duration,
}

impl Throttled {
    /// `Retry-After` in whole seconds, rounded up, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        let d = self.retry_after;
        (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
    }
}

type Keyed<K> = RateLimiter<K, DashMapStateStore<K>, MonotonicClock>;

/// Every how many checks the buckets that have refilled are dropped.
const FORGET_EVERY: u64 = 4096;

/// The buckets of this process.
pub struct RateLimits {
    tenants: Option<Keyed<DomainId>>,
    credentials: Option<Keyed<CredentialId>>,
    clock: MonotonicClock,
    checks: AtomicU64,
}

impl fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimits")
            .field("tenants", &self.tenants.as_ref().map(|l| l.len()))
            .field("credentials", &self.credentials.as_ref().map(|l| l.len()))
            .finish()
    }
}

/// This replica's share of `per_second` with `burst`: `None` when the limit is off.
fn quota(per_second: u32, burst: u32, replicas: u32) -> Option<Quota> {
    if per_second == 0 {
        return None;
    }
    let replicas = replicas.max(1);
    // One token every replicas / per_second seconds; the burst split the same way (at least 1).
    let period = Duration::from_secs_f64(f64::from(replicas) / f64::from(per_second));
    let burst = NonZeroU32::new(burst.div_ceil(replicas).max(1)).expect("at least 1");
    Some(
        Quota::with_period(period.max(Duration::from_nanos(1)))
            .expect("a positive period")
            .allow_burst(burst),
    )
}

impl RateLimits {
    pub fn new(config: &RateLimitConfig) -> Self {
        Self::with_quotas(
            quota(config.tenant_per_second, config.tenant_burst, config.replicas),
            quota(config.credential_per_second, config.credential_burst, config.replicas),
        )
    }

    fn with_quotas(tenant: Option<Quota>, credential: Option<Quota>) -> Self {
        Self {
            tenants: tenant.map(|q| RateLimiter::dashmap_with_clock(q, MonotonicClock)),
            credentials: credential.map(|q| RateLimiter::dashmap_with_clock(q, MonotonicClock)),
            clock: MonotonicClock,
            checks: AtomicU64::new(0),
        }
    }

    /// Takes a token from the credential's bucket, then from the tenant's. A request the tenant's
    /// bucket refuses has still used its credential's token (governor has no "peek"); the narrower
    /// bucket goes first so that a credential over its own limit never drains its tenant's.
    pub fn check(&self, tenant: DomainId, credential: &CredentialId) -> Result<(), Throttled> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            self.forget_idle();
        }
        if let Some(limiter) = &self.credentials {
            limiter.check_key(credential).map_err(|n| self.throttled(Limit::Credential, &n))?;
        }
        if let Some(limiter) = &self.tenants {
            limiter.check_key(&tenant).map_err(|n| self.throttled(Limit::Tenant, &n))?;
        }
        Ok(())
    }

    fn throttled(&self, limit: Limit, not_until: &NotUntil<<MonotonicClock as Clock>::Instant>) -> Throttled {
        Throttled { limit, retry_after: not_until.wait_time_from(self.clock.now()) }
    }

    /// Drops the buckets that are full again (indistinguishable from a new one).
    fn forget_idle(&self) {
        if let Some(limiter) = &self.tenants {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.credentials {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The answer to a request of `caller` on `path` when it is over a limit: 429 in the path's family
/// with `Retry-After` (counted in the throttled metric); `None` when it may go on.
pub(crate) fn refusal(app: &AppState, caller: &Caller, path: &str) -> Option<Response> {
    let throttled = app.rate_limits.check(caller.tenant.id, &caller.credential).err()?;
    let family = crate::error::family_of(path);
    app.metrics.throttled(family, throttled.limit);
    let secs = throttled.retry_after_secs();
    let def = match family {
        Family::Ucs => ucs::THROTTLED,
        Family::Cce => cce::THROTTLED,
    };
    let whose = match throttled.limit {
        Limit::Tenant => "the account",
        Limit::Credential => "this credential",
    };
    let error = Error::new(def).with_detail(format!("Too many requests of {whose}: retry after {secs} s."));
    let mut response = ApiError(error).into_response();
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    // One token a minute: none comes back while a test runs, so the counts below do not depend on
    // how fast the machine is.
    fn per_minute(burst: u32) -> Option<Quota> {
        Some(Quota::per_minute(NonZeroU32::new(1).unwrap()).allow_burst(NonZeroU32::new(burst).unwrap()))
    }

    fn key(name: &str) -> CredentialId {
        CredentialId::AccessKey(name.to_string())
    }

    #[test]
    fn a_burst_passes_and_the_next_request_is_refused_with_a_retry_after() {
        let l = RateLimits::with_quotas(per_minute(3), None);
        let t = DomainId::derived("t1");
        for _ in 0..3 {
            l.check(t, &key("a")).unwrap();
        }
        let refused = l.check(t, &key("b")).unwrap_err();
        assert_eq!(refused.limit, Limit::Tenant);
        assert!((55..=60).contains(&refused.retry_after_secs()), "{refused:?}");
        // Another tenant has its own bucket.
        l.check(DomainId::derived("t2"), &key("a")).unwrap();
    }

    #[test]
    fn credentials_have_their_own_buckets_inside_the_tenants() {
        let l = RateLimits::with_quotas(None, per_minute(2));
        let t = DomainId::derived("t1");
        l.check(t, &key("a")).unwrap();
        l.check(t, &key("a")).unwrap();
        assert_eq!(l.check(t, &key("a")).unwrap_err().limit, Limit::Credential);
        l.check(t, &key("b")).unwrap();
        l.check(t, &CredentialId::User(UserId::derived("u1"))).unwrap();
    }

    #[test]
    fn a_credential_over_its_limit_does_not_drain_its_tenant() {
        let l = RateLimits::with_quotas(per_minute(3), per_minute(1));
        let t = DomainId::derived("t1");
        l.check(t, &key("noisy")).unwrap();
        for _ in 0..10 {
            assert_eq!(l.check(t, &key("noisy")).unwrap_err().limit, Limit::Credential);
        }
        l.check(t, &key("quiet")).unwrap();
        l.check(t, &key("other")).unwrap();
        assert_eq!(l.check(t, &key("third")).unwrap_err().limit, Limit::Tenant);
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let l = RateLimits::new(&RateLimitConfig {
            tenant_per_second: 0,
            tenant_burst: 0,
            credential_per_second: 0,
            credential_burst: 0,
            replicas: 1,
        });
        for _ in 0..10_000 {
            l.check(DomainId::derived("t1"), &key("a")).unwrap();
        }
    }

    #[test]
    fn replicas_share_the_rate_and_the_burst() {
        let q = quota(200, 400, 4).unwrap();
        assert_eq!(q.burst_size().get(), 100);
        assert_eq!(q.replenish_interval(), Duration::from_millis(20));
        let q = quota(1, 1, 3).unwrap();
        assert_eq!(q.burst_size().get(), 1, "never below one");
        assert_eq!(q.replenish_interval(), Duration::from_secs(3));
        assert!(quota(0, 10, 1).is_none());
        assert_eq!(quota(100, 200, 0), quota(100, 200, 1), "0 replicas is read as 1");
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_and_at_least_one() {
        let t = |ms| {
            Throttled { limit: Limit::Tenant, retry_after: Duration::from_millis(ms) }.retry_after_secs()
        };
        assert_eq!((t(0), t(1), t(999), t(1000), t(1001), t(2500)), (1, 1, 1, 1, 2, 3));
    }
}
