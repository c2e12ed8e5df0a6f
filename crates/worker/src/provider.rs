//! Providers carry out what ucsd cannot do in its own database: activating a cluster, installing the
//! federation control plane, upgrading a control plane. The [`SimulatedProvider`] is the default: it
//! does nothing outside ucsd, takes a configurable time per step and fails when told to, so workflows
//! can be exercised end to end; it is a simulation and says so in every result.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use domain::{
    cce::{CceCluster, Node, NodePool},
    cluster::Cluster,
    federation::Step,
    ids::{ClusterId, DomainId, FleetId, JobId},
    testing::{FaultTarget, StepTime},
};
use store::{testing::NewJournalEntry, Store};

/// A provider's failure: its message is what the API shows as the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub message: String,
    /// Whether trying again may help.
    pub retryable: bool,
    /// The provider could not be asked, or could not answer (it is out of reach, its own records
    /// failed): no verdict on the work, which is tried again after a backoff and never counted as a
    /// failure of it.
    pub unavailable: bool,
}

impl ProviderError {
    /// The work failed; trying again may help, as often as the job's attempts allow.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: true, unavailable: false }
    }

    /// The work failed for good.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: false, unavailable: false }
    }

    /// The provider gave no answer about the work.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: true, unavailable: true }
    }
}

/// What an activation learned about the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    pub kubernetes_version: String,
}

/// What a federation step acts on.
#[derive(Debug, Clone)]
pub struct StepTarget {
    /// The tenant of the fleet.
    pub domain_id: DomainId,
    pub fleet_id: FleetId,
    pub fleet_name: String,
    /// The member cluster of a join or unjoin.
    pub cluster: Option<(ClusterId, String)>,
    /// The version an upgrade goes to.
    pub version: Option<String>,
}

/// What a federation step made.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StepOutput {
    pub elb_id: Option<String>,
    pub api_endpoint: Option<String>,
    pub version: Option<String>,
}

/// What a CCE step made: the nodes of a new cluster's default node pool.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CceStepOutput {
    pub target_version: String,
    pub nodes: Vec<Node>,
}

/// What a precheck learns from a cluster: the API paths its workloads call, and risks the cluster
/// reports itself (each a Fatal finding of that name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    pub api_usage: Vec<String>,
    pub risks: Vec<String>,
}

/// Infrastructure effects. Every call carries an idempotency key (stable across retries of the same
/// step), so a call repeated after a crash does its work once.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// Connects to the member cluster and confirms its agent is up.
    async fn activate_cluster(&self, key: &str, cluster: &Cluster) -> Result<Activation, ProviderError>;

    /// Carries out one step of a federation workflow.
    async fn federation_step(
        &self,
        key: &str,
        step: Step,
        target: &StepTarget,
    ) -> Result<StepOutput, ProviderError>;

    /// Carries out one step of a CCE cluster's life: `CreateCluster`, `DeleteCluster`, or a step of
    /// an upgrade task (`UpgradeMaster`, `UpgradeNodePool:<pool>`, `BackupMaster`, `LimitCheck`, …),
    /// towards `target_version`.
    async fn cce_step(
        &self,
        key: &str,
        step: &str,
        cluster: &CceCluster,
        target_version: &str,
    ) -> Result<CceStepOutput, ProviderError>;

    /// Converges a node pool of a CCE cluster one step: makes `create` nodes for it (named after the
    /// pool) and removes `remove`; answers the nodes it made.
    async fn node_pool_step(
        &self,
        key: &str,
        cluster: &CceCluster,
        pool: &NodePool,
        create: usize,
        remove: &[Node],
    ) -> Result<Vec<Node>, ProviderError>;

    /// What a precheck learns from the cluster itself.
    async fn observe(&self, cluster: &CceCluster) -> Result<Observation, ProviderError>;
}

/// A provider that makes every call twice and answers the second: what a crash between a provider
/// call and the commit of its step does to every step. Tests (and `simulator.replay_calls`) use it to
/// prove that workflows end the same with each effect carried out once.
pub struct Replaying<P>(pub P);

#[async_trait::async_trait]
impl<P: Provider> Provider for Replaying<P> {
    async fn activate_cluster(&self, key: &str, cluster: &Cluster) -> Result<Activation, ProviderError> {
        let _ = self.0.activate_cluster(key, cluster).await;
        self.0.activate_cluster(key, cluster).await
    }

    async fn federation_step(
        &self,
        key: &str,
        step: Step,
        target: &StepTarget,
    ) -> Result<StepOutput, ProviderError> {
        let _ = self.0.federation_step(key, step, target).await;
        self.0.federation_step(key, step, target).await
    }

    async fn cce_step(
        &self,
        key: &str,
        step: &str,
        cluster: &CceCluster,
        target_version: &str,
    ) -> Result<CceStepOutput, ProviderError> {
        let _ = self.0.cce_step(key, step, cluster, target_version).await;
        self.0.cce_step(key, step, cluster, target_version).await
    }

    async fn node_pool_step(
        &self,
        key: &str,
        cluster: &CceCluster,
        pool: &NodePool,
        create: usize,
        remove: &[Node],
    ) -> Result<Vec<Node>, ProviderError> {
        let _ = self.0.node_pool_step(key, cluster, pool, create, remove).await;
        self.0.node_pool_step(key, cluster, pool, create, remove).await
    }

    async fn observe(&self, cluster: &CceCluster) -> Result<Observation, ProviderError> {
        let _ = self.0.observe(cluster).await;
        self.0.observe(cluster).await
    }
}

/// Settings of the simulated provider.
#[derive(Debug, Clone, Default)]
pub struct SimulatorConfig {
    /// How long each simulated step takes.
    pub step: Duration,
    /// The Kubernetes version simulated clusters report.
    pub kubernetes_version: String,
    /// Injected failures, `STEP:RESOURCE:TIMES` (e.g. `activate:prod-1:2` fails the activation of the
    /// cluster named prod-1 twice, then lets it succeed; `JoinCluster:prod-1:always`;
    /// `InstallFederationChart:my-fleet:1`). `RESOURCE` is a cluster or fleet name, or `*`.
    pub failures: Vec<String>,
    /// The federation version a new federation runs.
    pub federation_version: String,
    /// How many nodes the default node pool of a new CCE cluster has.
    pub nodes_per_cluster: usize,
    /// API paths simulated CCE clusters call, `CLUSTER:PATH` (`*` for every cluster), e.g.
    /// `prod-1:/apis/policy/v1beta1/podsecuritypolicies`.
    pub api_usage: Vec<String>,
    /// The testing tools' step faults (kept in the store, per tenant) apply too, and each use is
    /// journaled keeping the newest `journal_limit` entries (`testing.enabled`).
    pub runtime_faults: bool,
    pub journal_limit: i64,
}

#[derive(Debug)]
struct FailureRule {
    step: String,
    resource: String,
    /// `None`: always.
    remaining: Option<u32>,
}

/// The default provider: a deterministic simulation with injected failures. It records every effect
/// in the store's `provider_effects` log under its idempotency key, so a repeated call (after a crash
/// or a retry) is counted there but carried out once.
#[derive(Debug, Clone)]
pub struct SimulatedProvider {
    config: SimulatorConfig,
    rules: Arc<Mutex<Vec<FailureRule>>>,
    store: Option<Store>,
    step_time: StepTime,
}

impl SimulatedProvider {
    /// Reads the failure rules; a malformed one is an error naming it.
    pub fn parse_rules(config: &SimulatorConfig) -> Result<(), String> {
        Self::rules(config).map(|_| ())
    }

    fn rules(config: &SimulatorConfig) -> Result<Vec<FailureRule>, String> {
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
        Ok(rules)
    }

    /// A simulator recording its effects in `store`.
    pub fn new(config: SimulatorConfig, store: Store) -> Result<Self, String> {
        let rules = Self::rules(&config)?;
        let step_time = StepTime::new(config.step);
        Ok(Self { config, rules: Arc::new(Mutex::new(rules)), store: Some(store), step_time })
    }

    /// Takes its step time from `step_time` (set to the configured one now), which others may
    /// change while it runs.
    pub fn with_step_time(mut self, step_time: StepTime) -> Self {
        step_time.set(self.config.step);
        self.step_time = step_time;
        self
    }

    /// Sleeps one simulated step.
    async fn sleep_step(&self) {
        let step = self.step_time.get();
        if !step.is_zero() {
            tokio::time::sleep(step).await;
        }
    }

    /// Whether a failure applies to this step of this resource (and uses it up): a rule of the config
    /// first, then the tenant's step faults of the testing tools (each use journaled). `resource`: the
    /// resource's name, then its id.
    async fn fails(&self, step: &str, tenant: DomainId, resource: [&str; 2]) -> bool {
        if self.injected_failure(step, resource[0]) {
            return true;
        }
        let Some(store) = self.store.as_ref().filter(|_| self.config.runtime_faults) else { return false };
        match runtime_fault(store, step, tenant, resource, self.config.journal_limit).await {
            Ok(fired) => fired,
            Err(e) => {
                tracing::warn!(error = %e, step, "could not read the testing tools' step faults");
                false
            }
        }
    }

    /// Carries out an effect once per key: the first call sleeps the step time and records `detail`;
    /// a repeat answers the recorded detail.
    async fn effect(
        &self,
        key: &str,
        effect: &str,
        resource: &str,
        detail: String,
    ) -> Result<String, ProviderError> {
        let Some(store) = &self.store else { return Ok(detail) };
        let store_err =
            |e: domain::Error| ProviderError::unavailable(format!("simulator log: {}", e.message()));
        if let Some(done) = store.provider_effect_detail(key).await.map_err(store_err)? {
            store.provider_effect_record(key, effect, resource, &done).await.map_err(store_err)?;
            return Ok(done);
        }
        self.sleep_step().await;
        if store.provider_effect_record(key, effect, resource, &detail).await.map_err(store_err)? {
            return Ok(detail);
        }
        // A concurrent call under the same key recorded first: its detail is the answer.
        Ok(store.provider_effect_detail(key).await.map_err(store_err)?.unwrap_or(detail))
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

/// Uses the first of the tenant's step faults that matches and fires; whether one did.
async fn runtime_fault(
    store: &Store,
    step: &str,
    tenant: DomainId,
    resource: [&str; 2],
    journal_limit: i64,
) -> domain::Result<bool> {
    for fault in store.faults_armed(tenant, FaultTarget::Step).await? {
        if fault.spec.matches_step(step, &resource) && fault.spec.fires() && store.fault_use(fault.id).await?
        {
            let entry = NewJournalEntry {
                kind: "step",
                path: step.to_string(),
                route: Some(resource[0].to_string()),
                fault_id: Some(fault.id),
                ..NewJournalEntry::default()
            };
            store.journal_append(tenant, entry, journal_limit).await?;
            return Ok(true);
        }
    }
    Ok(false)
}

#[async_trait::async_trait]
impl Provider for SimulatedProvider {
    async fn activate_cluster(&self, key: &str, cluster: &Cluster) -> Result<Activation, ProviderError> {
        if self.fails("activate", cluster.domain_id, [&cluster.name, &cluster.id.to_string()]).await {
            self.sleep_step().await;
            return Err(ProviderError::retryable(format!(
                "simulated failure: the agent of cluster {} did not connect",
                cluster.name
            )));
        }
        let version = self
            .effect(key, "ActivateCluster", &cluster.id.to_string(), self.config.kubernetes_version.clone())
            .await?;
        Ok(Activation { kubernetes_version: version })
    }

    async fn federation_step(
        &self,
        key: &str,
        step: Step,
        target: &StepTarget,
    ) -> Result<StepOutput, ProviderError> {
        let (resource_id, resource_name) = match &target.cluster {
            Some((id, name)) => (id.to_string(), name.clone()),
            None => (target.fleet_id.to_string(), target.fleet_name.clone()),
        };
        if self.fails(step.as_str(), target.domain_id, [&resource_name, &resource_id]).await {
            self.sleep_step().await;
            return Err(ProviderError::retryable(format!(
                "simulated failure: {} of {resource_name} failed",
                step.as_str()
            )));
        }
        let output = match step {
            Step::CreateNetworkResource => {
                // Made from the key, not drawn: the same in deterministic mode whatever order workers run in.
                StepOutput {
                    elb_id: Some(JobId::derived(&format!("{key}:elb")).to_string()),
                    ..Default::default()
                }
            }
            Step::InstallFederationChart => StepOutput {
                api_endpoint: Some(format!("https://{}.federation.ucsd.local:5443", target.fleet_id)),
                version: Some(self.config.federation_version.clone()),
                ..Default::default()
            },
            Step::UpgradeFederationChart => {
                StepOutput { version: target.version.clone(), ..Default::default() }
            }
            _ => StepOutput::default(),
        };
        let detail = serde_json::to_string(&output).expect("outputs serialize");
        let done = self.effect(key, step.as_str(), &resource_id, detail).await?;
        serde_json::from_str(&done).map_err(|e| ProviderError::retryable(format!("simulator log: {e}")))
    }

    async fn cce_step(
        &self,
        key: &str,
        step: &str,
        cluster: &CceCluster,
        target_version: &str,
    ) -> Result<CceStepOutput, ProviderError> {
        // Rules name the step without its node pool (`UpgradeNodePool`, not `UpgradeNodePool:<id>`).
        let rule_step = step.split(':').next().unwrap_or(step);
        if self.fails(rule_step, cluster.domain_id, [&cluster.name, &cluster.id.to_string()]).await {
            self.sleep_step().await;
            return Err(ProviderError::retryable(format!(
                "simulated failure: {step} of cluster {} failed",
                cluster.name
            )));
        }
        let output = CceStepOutput {
            target_version: target_version.to_string(),
            nodes: if step == "CreateCluster" {
                (1..=self.config.nodes_per_cluster)
                    .map(|i| {
                        Node::new(
                            JobId::derived(&format!("{key}:node:{i}")).to_string(),
                            format!("{}-node-{i}", cluster.name),
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            },
        };
        let detail = serde_json::to_string(&output).expect("outputs serialize");
        let done = self.effect(key, step, &cluster.id.to_string(), detail).await?;
        serde_json::from_str(&done).map_err(|e| ProviderError::retryable(format!("simulator log: {e}")))
    }

    async fn node_pool_step(
        &self,
        key: &str,
        cluster: &CceCluster,
        pool: &NodePool,
        create: usize,
        remove: &[Node],
    ) -> Result<Vec<Node>, ProviderError> {
        if self.fails("ScaleNodePool", cluster.domain_id, [&cluster.name, &cluster.id.to_string()]).await {
            self.sleep_step().await;
            return Err(ProviderError::retryable(format!(
                "simulated failure: node pool {} of cluster {} did not scale",
                pool.name, cluster.name
            )));
        }
        // Made from the key: the same nodes however often the step is repeated.
        let nodes: Vec<Node> = (1..=create)
            .map(|i| {
                let uid = JobId::derived(&format!("{key}:node:{i}")).to_string();
                let name = format!("{}-{}", pool.name, &uid[..8]);
                Node::new(uid, name)
            })
            .collect();
        let removed: Vec<&str> = remove.iter().map(|n| n.uid.as_str()).collect();
        let detail = serde_json::to_string(&serde_json::json!({ "created": nodes, "removed": removed }))
            .expect("outputs serialize");
        let done = self.effect(key, "ScaleNodePool", &cluster.id.to_string(), detail).await?;
        let done: serde_json::Value = serde_json::from_str(&done)
            .map_err(|e| ProviderError::retryable(format!("simulator log: {e}")))?;
        serde_json::from_value(done["created"].clone())
            .map_err(|e| ProviderError::retryable(format!("simulator log: {e}")))
    }

    async fn observe(&self, cluster: &CceCluster) -> Result<Observation, ProviderError> {
        let api_usage = self
            .config
            .api_usage
            .iter()
            .filter_map(|entry| entry.split_once(':'))
            .filter(|(name, _)| *name == cluster.name || *name == "*")
            .map(|(_, path)| path.to_string())
            .collect();
        // `precheck:<cluster>:<times>` rules make the cluster report a risk that blocks upgrading.
        let risks =
            if self.fails("precheck", cluster.domain_id, [&cluster.name, &cluster.id.to_string()]).await {
                vec!["SimulatedRisk".to_string()]
            } else {
                Vec::new()
            };
        Ok(Observation { api_usage, risks })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simulator(config: SimulatorConfig) -> SimulatedProvider {
        let rules = SimulatedProvider::rules(&config).unwrap();
        SimulatedProvider {
            config,
            rules: Arc::new(Mutex::new(rules)),
            store: None,
            step_time: StepTime::default(),
        }
    }

    #[test]
    fn failure_rules_parse_and_are_used_up() {
        let sim = simulator(SimulatorConfig {
            failures: vec!["activate:a:2".into(), "activate:b:always".into()],
            ..Default::default()
        });
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
            assert!(SimulatedProvider::parse_rules(&config).is_err(), "{bad}");
        }
    }
}
