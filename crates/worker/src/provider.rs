//! Providers carry out what ucsd cannot do in its own database: activating a cluster, installing the
//! federation control plane, upgrading a control plane. The [`SimulatedProvider`] is the default: it
//! does nothing outside ucsd, takes a configurable time per step and fails when told to, so workflows
//! can be exercised end to end; it is a simulation and says so in every result.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use domain::cluster::Cluster;

/// A provider's failure: its message is what the API shows as the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub message: String,
    /// Whether trying again may help.
    pub retryable: bool,
}

impl ProviderError {
    pub fn retryable(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: true }
    }
}

/// What an activation learned about the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    pub kubernetes_version: String,
}

/// Infrastructure effects. Every call carries an idempotency key (stable across retries of the same
/// step), so a call repeated after a crash does its work once.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// Connects to the member cluster and confirms its agent is up.
    async fn activate_cluster(&self, key: &str, cluster: &Cluster) -> Result<Activation, ProviderError>;
}

/// Settings of the simulated provider.
#[derive(Debug, Clone, Default)]
pub struct SimulatorConfig {
    /// How long each simulated step takes.
    pub step: Duration,
    /// The Kubernetes version simulated clusters report.
    pub kubernetes_version: String,
    /// Injected failures, `STEP:RESOURCE:TIMES` (e.g. `activate:prod-1:2` fails the activation of the
    /// cluster named prod-1 twice, then lets it succeed; `TIMES` may be `always`).
    pub failures: Vec<String>,
}

#[derive(Debug)]
struct FailureRule {
    step: String,
    resource: String,
    /// `None`: always.
    remaining: Option<u32>,
}

/// The default provider: a deterministic simulation with injected failures.
#[derive(Debug, Clone)]
pub struct SimulatedProvider {
    config: SimulatorConfig,
    rules: Arc<Mutex<Vec<FailureRule>>>,
    /// Idempotency keys already carried out, with their results.
    done: Arc<Mutex<HashMap<String, Activation>>>,
}

impl SimulatedProvider {
    /// Reads the failure rules; a malformed one is an error naming it.
    pub fn new(config: SimulatorConfig) -> Result<Self, String> {
        let rules = config
            .failures
            .iter()
            .map(|rule| {
                let parts: Vec<&str> = rule.split(':').collect();
                let [step, resource, times] = parts[..] else {
                    return Err(format!("simulator failure rule {rule:?} must be STEP:RESOURCE:TIMES"));
                };
                let remaining = match times {
                    "always" => None,
                    n => Some(n.parse().map_err(|_| format!("simulator failure rule {rule:?}: bad TIMES"))?),
                };
                Ok(FailureRule { step: step.to_string(), resource: resource.to_string(), remaining })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { config, rules: Arc::new(Mutex::new(rules)), done: Arc::default() })
    }

    /// Whether an injected failure applies to this step of this resource (and uses it up).
    fn injected_failure(&self, step: &str, resource: &str) -> bool {
        let mut rules = self.rules.lock().expect("rules lock");
        for rule in
            rules.iter_mut().filter(|r| r.step == step && (r.resource == resource || r.resource == "*"))
        {
            match &mut rule.remaining {
                None => return true,
                Some(0) => {}
                Some(n) => {
                    *n -= 1;
                    return true;
                }
            }
        }
        false
    }
}

#[async_trait::async_trait]
impl Provider for SimulatedProvider {
    async fn activate_cluster(&self, key: &str, cluster: &Cluster) -> Result<Activation, ProviderError> {
        if let Some(done) = self.done.lock().expect("done lock").get(key) {
            return Ok(done.clone());
        }
        tokio::time::sleep(self.config.step).await;
        if self.injected_failure("activate", &cluster.name) {
            return Err(ProviderError::retryable(format!(
                "simulated failure: the agent of cluster {} did not connect",
                cluster.name
            )));
        }
        let result = Activation { kubernetes_version: self.config.kubernetes_version.clone() };
        self.done.lock().expect("done lock").insert(key.to_string(), result.clone());
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_rules_parse_and_are_used_up() {
        let sim = SimulatedProvider::new(SimulatorConfig {
            failures: vec!["activate:a:2".into(), "activate:b:always".into()],
            ..Default::default()
        })
        .unwrap();
        assert!(sim.injected_failure("activate", "a"));
        assert!(sim.injected_failure("activate", "a"));
        assert!(!sim.injected_failure("activate", "a"));
        for _ in 0..5 {
            assert!(sim.injected_failure("activate", "b"));
        }
        assert!(!sim.injected_failure("activate", "c"));
        assert!(!sim.injected_failure("upgrade", "b"));
    }

    #[test]
    fn malformed_rules_are_refused() {
        for bad in ["activate", "activate:a", "activate:a:often", "a:b:c:d"] {
            let config = SimulatorConfig { failures: vec![bad.into()], ..Default::default() };
            assert!(SimulatedProvider::new(config).is_err(), "{bad}");
        }
    }
}
