//! ucsd's testing tools, the decisions without IO: fault rules (what they match, what they do, when
//! they fire), the draws that decide a probabilistic rule and a delay's jitter (seeded in deterministic
//! mode), and the redaction of secrets from what the request journal keeps.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, OnceLock, PoisonError,
    },
    time::Duration,
};

use rand_chacha::{
    rand_core::{RngCore, SeedableRng},
    ChaCha20Rng,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{cce, iam, ucs, ErrorDef, Family};
use crate::Error;

/// The longest delay a rule may ask for.
pub const MAX_DELAY_MILLIS: u64 = 60_000;

/// The methods a request fault may name.
pub const FAULT_METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// A fault rule as the API takes it and keeps it (docs/testing.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(extend("anyOf" = [
    {"required": ["error"]},
    {"required": ["delay"]},
    {"required": ["step"]}
]))]
pub struct FaultSpec {
    pub operation: Option<String>,
    #[schemars(transform = crate::wire_rules::one_of(FAULT_METHODS))]
    pub method: Option<String>,
    pub path: Option<String>,
    #[schemars(length(min = 1))]
    pub resource: Option<String>,
    pub error: Option<FaultError>,
    pub delay: Option<FaultDelay>,
    #[schemars(regex(pattern = "^[^:]+$"))]
    pub step: Option<String>,
    #[schemars(range(min = 1))]
    pub times: Option<u64>,
    #[schemars(range(max = 1.0), extend("exclusiveMinimum" = 0))]
    pub probability: Option<f64>,
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultError {
    #[schemars(range(min = 400, max = 599))]
    pub status: u16,
    pub code: Option<String>,
    pub message: Option<String>,
}

/// A delay before the answer: `millis` plus a uniform draw of `0..=jitter_millis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultDelay {
    #[schemars(range(max = MAX_DELAY_MILLIS))]
    pub millis: u64,
    #[schemars(range(max = MAX_DELAY_MILLIS))]
    #[serde(default)]
    pub jitter_millis: u64,
}

/// Where a rule applies: to requests (matched by the API) or to simulated steps (by the simulator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultTarget {
    Request,
    Step,
}

impl FaultTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Step => "step",
        }
    }
}

/// What a request is, as request rules see it.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// The route's operationId.
    pub operation: Option<&'a str>,
    pub method: &'a str,
    /// The route's path template.
    pub route: &'a str,
    /// The values of the path's parameters.
    pub params: &'a [String],
    /// The request body's `metadata.name`.
    pub body_name: Option<&'a str>,
}

impl FaultSpec {
    /// Checks the rule, except whether its operation and path name routes (the API knows those).
    pub fn validate(&self) -> Result<FaultTarget, Error> {
        let bad = |m: &str| Err(Error::invalid_body(m.to_string()));
        if self.times == Some(0) {
            return bad("times must be at least 1");
        }
        if let Some(p) = self.probability {
            if !(p > 0.0 && p <= 1.0) {
                return bad("probability must be above 0 and at most 1");
            }
        }
        if let Some(method) = &self.method {
            if !FAULT_METHODS.contains(&method.as_str()) {
                return bad("method must be GET, POST, PUT, PATCH or DELETE");
            }
        }
        if self.resource.as_deref() == Some("") {
            return bad("resource must not be empty");
        }
        if let Some(step) = &self.step {
            if step.is_empty() || step.contains(':') {
                return bad("step must be a step name without a colon, e.g. UpgradeNodePool");
            }
            if self.error.is_some() || self.delay.is_some() {
                return bad("a step fault takes neither error nor delay");
            }
            if self.operation.is_some() || self.method.is_some() || self.path.is_some() {
                return bad("a step fault is matched by step and resource, not by operation, method or path");
            }
            return Ok(FaultTarget::Step);
        }
        if self.error.is_none() && self.delay.is_none() {
            return bad("a fault needs an effect: error, delay or step");
        }
        if let Some(error) = &self.error {
            if !(400..=599).contains(&error.status) {
                return bad("error.status must be 400-599");
            }
            if let Some(code) = &error.code {
                if catalogue_entry(code).is_none() {
                    return Err(Error::invalid_body(format!(
                        "error.code {code:?} is not in the UCS, CCE or IAM error catalogue"
                    )));
                }
            }
        }
        if let Some(delay) = &self.delay {
            if delay.millis.saturating_add(delay.jitter_millis) > MAX_DELAY_MILLIS {
                return Err(Error::invalid_body(format!(
                    "delay.millis + delay.jitterMillis must be at most {MAX_DELAY_MILLIS}"
                )));
            }
        }
        Ok(FaultTarget::Request)
    }

    /// Whether this request rule matches the request.
    pub fn matches_request(&self, facts: &RequestFacts<'_>) -> bool {
        self.step.is_none()
            && self.operation.as_deref().is_none_or(|o| Some(o) == facts.operation)
            && self.method.as_deref().is_none_or(|m| m == facts.method)
            && self.path.as_deref().is_none_or(|p| p == facts.route)
            && self
                .resource
                .as_deref()
                .is_none_or(|r| facts.params.iter().any(|p| p == r) || facts.body_name == Some(r))
    }

    /// Whether this step rule matches `step` (without a node pool suffix) of a resource known by
    /// these names and ids.
    pub fn matches_step(&self, step: &str, resource: &[&str]) -> bool {
        self.step.as_deref() == Some(step)
            && self.resource.as_deref().is_none_or(|r| r == "*" || resource.contains(&r))
    }

    /// The rule's delay, its jitter drawn.
    pub fn delay_millis(&self) -> Option<u64> {
        self.delay.map(|d| {
            let jitter = if d.jitter_millis == 0 { 0 } else { draw_u64() % (d.jitter_millis + 1) };
            d.millis + jitter
        })
    }

    /// Whether a match fires: always without a probability, else a draw.
    pub fn fires(&self) -> bool {
        self.probability.is_none_or(|p| p >= 1.0 || draw_unit() < p)
    }
}

/// An entry of the UCS, CCE or IAM catalogue by code.
pub fn catalogue_entry(code: &str) -> Option<ErrorDef> {
    ucs::ALL.iter().chain(cce::ALL).chain(iam::ALL).find(|d| d.code == code).copied()
}

impl FaultError {
    /// The error a route of `family` answers: the asked code (its CCE twin on a CCE route when it is
    /// not a CCE code) with the asked status, the message appended.
    pub fn to_error(&self, family: Family) -> Error {
        let asked =
            self.code.as_deref().and_then(catalogue_entry).unwrap_or_else(|| default_def(self.status));
        let def = if family == Family::Cce && !asked.code.starts_with("CCE.") {
            cce::twin_of(self.status)
        } else {
            asked
        };
        let error = Error::new(ErrorDef { status: self.status, ..def });
        match &self.message {
            Some(m) => error.with_detail(m.clone()),
            None => error,
        }
    }
}

/// The UCS code a status stands for when a rule names none.
fn default_def(status: u16) -> ErrorDef {
    match status {
        401 => ucs::AUTHORIZATION_FAILED,
        403 => ucs::REQUEST_FORBIDDEN,
        404 => ucs::NO_REQUESTED_RESOURCES_FOUND,
        429 => ucs::THROTTLED,
        500..=599 => ucs::SERVER_INTERNAL_ERROR,
        _ => ucs::INVALID_REQUEST_BODY,
    }
}

static DRAWS: OnceLock<Mutex<ChaCha20Rng>> = OnceLock::new();

/// Seeds the draws of fault rules (probability, jitter): the server's deterministic mode. Once per
/// process; whether this call seeded them.
pub fn seed_draws(seed: u64) -> bool {
    let mut fresh = false;
    DRAWS.get_or_init(|| {
        fresh = true;
        // Its own stream, so that drawing does not move the id sequence.
        Mutex::new(ChaCha20Rng::seed_from_u64(seed ^ 0x6661_756c_7473))
    });
    fresh
}

fn draw_u64() -> u64 {
    match DRAWS.get() {
        Some(rng) => rng.lock().unwrap_or_else(PoisonError::into_inner).next_u64(),
        // Not seeded: the OS generator, through a v4 UUID's random bits. The low half's top two
        // bits are the fixed variant, so they are shifted out and two random bits of the high half
        // (below its version nibble) take their place.
        None => {
            let (high, low) = crate::ids::random_uuid().as_u64_pair();
            (low << 2) | (high & 0b11)
        }
    }
}

/// A uniform draw in `[0, 1)`.
fn draw_unit() -> f64 {
    (draw_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// How long a simulated step takes, changeable while the server runs (the testing tools' clock
/// endpoint); shared by clones.
#[derive(Debug, Clone, Default)]
pub struct StepTime(Arc<AtomicU64>);

impl StepTime {
    pub fn new(step: Duration) -> Self {
        let time = Self::default();
        time.set(step);
        time
    }

    pub fn get(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::Relaxed))
    }

    pub fn set(&self, step: Duration) {
        self.0.store(u64::try_from(step.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

/// What the journal writes instead of a secret.
pub const REDACTED: &str = "[redacted]";

/// Whether a key (of a JSON body, a form or a query) names a secret.
pub fn is_secret_key(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["password", "secret", "token", "kubeconfig", "key", "cert", "credential", "authorization", "passwd"]
        .iter()
        .any(|s| name.contains(s))
}

/// Whether a value is a secret whatever its key: a PEM block or a kubeconfig.
pub fn looks_secret(value: &str) -> bool {
    value.contains("-----BEGIN")
        || (value.contains("apiVersion") && value.contains("clusters") && value.contains("users"))
        || value.contains("client-key-data")
        || value.contains("client-certificate-data")
}

/// Replaces every secret in a JSON document by [`REDACTED`].
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let secret_key =
                    is_secret_key(key) && matches!(v, Value::String(_) | Value::Object(_) | Value::Array(_));
                if secret_key {
                    *v = Value::String(REDACTED.to_string());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::String(s) if looks_secret(s) => *s = REDACTED.to_string(),
        _ => {}
    }
}

/// A query string with the values of secret-named parameters (and secret-looking values) redacted.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if is_secret_key(k) || looks_secret(v) => format!("{k}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(v: Value) -> FaultSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn rules_are_validated() {
        assert_eq!(spec(json!({"error": {"status": 429}})).validate(), Ok(FaultTarget::Request));
        assert_eq!(
            spec(json!({"step": "UpgradeNodePool", "resource": "x", "times": 2})).validate(),
            Ok(FaultTarget::Step)
        );
        for bad in [
            json!({}),
            json!({"operation": "show_cluster"}),
            json!({"error": {"status": 200}}),
            json!({"error": {"status": 400, "code": "UCS.99"}}),
            json!({"error": {"status": 400}, "times": 0}),
            json!({"error": {"status": 400}, "probability": 0.0}),
            json!({"error": {"status": 400}, "probability": 1.5}),
            json!({"error": {"status": 400}, "method": "TRACE"}),
            json!({"delay": {"millis": 60000, "jitterMillis": 1}}),
            json!({"step": "UpgradeNodePool", "error": {"status": 500}}),
            json!({"step": "UpgradeNodePool", "operation": "upgrade_cluster"}),
            json!({"step": "UpgradeNodePool:pool"}),
        ] {
            let e = spec(bad.clone()).validate().unwrap_err();
            assert_eq!(e.code(), "UCS.01000012", "{bad}");
        }
        assert!(
            serde_json::from_value::<FaultSpec>(json!({"errors": {}})).is_err(),
            "unknown keys are refused"
        );
    }

    #[test]
    fn request_rules_match_every_key_they_name() {
        let params = vec!["c1".to_string()];
        let facts = RequestFacts {
            operation: Some("show_cluster"),
            method: "GET",
            route: "/v1/clusters/{clusterid}",
            params: &params,
            body_name: None,
        };
        assert!(spec(json!({"error": {"status": 500}})).matches_request(&facts));
        assert!(spec(
            json!({"operation": "show_cluster", "method": "GET", "path": "/v1/clusters/{clusterid}",
                            "resource": "c1", "error": {"status": 500}})
        )
        .matches_request(&facts));
        assert!(
            !spec(json!({"operation": "delete_cluster", "error": {"status": 500}})).matches_request(&facts)
        );
        assert!(!spec(json!({"method": "PUT", "error": {"status": 500}})).matches_request(&facts));
        assert!(!spec(json!({"resource": "c2", "error": {"status": 500}})).matches_request(&facts));
        let named = RequestFacts { body_name: Some("prod"), ..facts };
        assert!(spec(json!({"resource": "prod", "error": {"status": 500}})).matches_request(&named));
        assert!(
            !spec(json!({"step": "activate"})).matches_request(&facts),
            "a step rule never matches a request"
        );
    }

    #[test]
    fn step_rules_match_by_step_and_resource() {
        let rule = spec(json!({"step": "UpgradeNodePool", "resource": "prod"}));
        assert!(rule.matches_step("UpgradeNodePool", &["prod", "id-1"]));
        assert!(!rule.matches_step("UpgradeMaster", &["prod"]));
        assert!(!rule.matches_step("UpgradeNodePool", &["dev"]));
        assert!(spec(json!({"step": "activate", "resource": "*"})).matches_step("activate", &["any"]));
        assert!(spec(json!({"step": "activate"})).matches_step("activate", &["any"]));
    }

    #[test]
    fn an_error_keeps_its_status_in_both_families() {
        let e = FaultError { status: 429, code: None, message: Some("slow down".into()) };
        let ucs_e = e.to_error(Family::Ucs);
        assert_eq!((ucs_e.status(), ucs_e.code()), (429, "UCS.01000002"));
        assert!(ucs_e.message().ends_with("slow down"));
        let cce_e = e.to_error(Family::Cce);
        assert_eq!((cce_e.status(), cce_e.code()), (429, "CCE.02429001"));
        assert_eq!(cce_e.clone().in_family(Family::Cce), cce_e, "rendering keeps it");
        let e = FaultError { status: 503, code: Some("CCE.01500001".into()), message: None };
        assert_eq!((e.to_error(Family::Cce).status(), e.to_error(Family::Cce).code()), (503, "CCE.01500001"));
        let e = FaultError { status: 409, code: None, message: None };
        assert_eq!(e.to_error(Family::Cce).code(), "CCE.01409001");
    }

    #[test]
    fn probabilities_fire_about_as_often_as_asked() {
        let rule = spec(json!({"error": {"status": 500}, "probability": 0.25}));
        let fired = (0..4000).filter(|_| rule.fires()).count();
        assert!((800..1200).contains(&fired), "{fired}");
        let rule = spec(json!({"delay": {"millis": 10, "jitterMillis": 5}}));
        for _ in 0..100 {
            assert!((10..=15).contains(&rule.delay_millis().unwrap()));
        }
    }

    #[test]
    fn secrets_are_redacted_wherever_they_are() {
        let mut body = json!({
            "kind": "Cluster",
            "metadata": {"name": "prod", "annotations": {"kubeconfig": "apiVersion: v1\nclusters: []\nusers: []"}},
            "spec": {"password": "hunter2", "accessKey": "AK", "IsDownloadedCert": false, "nested": [{"token": "t"}],
                     "note": "-----BEGIN PRIVATE KEY-----abc", "count": 3},
        });
        redact(&mut body);
        let text = body.to_string();
        for secret in ["hunter2", "\"AK\"", "\"t\"", "BEGIN", "clusters: []"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(body["metadata"]["name"], "prod");
        assert_eq!(body["spec"]["IsDownloadedCert"], false);
        assert_eq!(body["spec"]["count"], 3);
        assert_eq!(redact_query("limit=10&token=abc&x=1"), "limit=10&token=[redacted]&x=1");
    }
}
