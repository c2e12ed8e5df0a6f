//! Configuration: one typed struct loaded in layers: built-in defaults < the config file
//! (`--config PATH`, else `ucsd.toml` if present) < `DATABASE_URL` < `UCS_*` environment variables
//! (`__` separates levels: `UCS_DATABASE__URL`, `UCS_LOG__FORMAT`). docs/ucsd.sample.toml lists every key.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    /// Address `ucsd serve` listens on.
    pub listen: String,
    /// Region id: every tenant's default project is named after it.
    pub region: String,
    /// URL clients reach this server at (for the token catalog); unset: taken from each request's Host.
    pub public_url: Option<String>,
    pub database: DatabaseConfig,
    pub security: SecurityConfig,
    pub log: LogConfig,
    pub http: HttpConfig,
    pub bootstrap: BootstrapConfig,
    pub quotas: QuotaConfig,
    pub worker: WorkerConfig,
    pub simulator: SimulatorConfig,
    pub upgrade: UpgradeConfig,
    pub metrics: MetricsConfig,
    pub testing: TestingConfig,
    pub console: ConsoleConfig,
    pub rate_limit: RateLimitConfig,
    /// Keys of the file or `UCS_*` variables that no setting reads (typos, mostly), as dotted paths;
    /// `ucsd` warns about them at start. Paths only: a value never lands here.
    #[serde(skip)]
    pub ignored_keys: Vec<String>,
}

/// Tools for teams that test their own tools against ucsd. Off by default; never for production.
#[derive(Debug, Clone, Deserialize)]
pub struct TestingConfig {
    /// Serve `POST /ucsd/testing/reset` (a tenant administrator wipes the tenant's state). Off: the
    /// route answers 404 like any unknown route.
    pub enabled: bool,
    /// Simulated steps take no time (overrides `simulator.step_millis`) and new resource ids come
    /// from a generator seeded with `seed`. Secrets always come from the OS generator.
    pub deterministic: bool,
    pub seed: u64,
    /// Request journal entries kept per tenant (the oldest go first).
    pub journal_limit: i64,
}

/// The web console (`/console`).
#[derive(Debug, Clone, Deserialize)]
pub struct ConsoleConfig {
    /// How long a console session lasts after sign-in.
    pub session_ttl_secs: i64,
    /// Mark the session cookie `Secure` always (it is whenever a proxy sends `X-Forwarded-Proto: https`).
    pub secure_cookies: bool,
}

/// `GET /metrics` (Prometheus text format).
#[derive(Debug, Clone, Deserialize)]
pub struct MetricsConfig {
    /// Serve it. It is unauthenticated, like `/healthz`: keep it off the public network.
    pub enabled: bool,
}

/// Cluster upgrades (CCE and CCE Autopilot).
#[derive(Debug, Clone, Deserialize)]
pub struct UpgradeConfig {
    /// How long a successful precheck allows an upgrade.
    pub precheck_ttl_secs: i64,
    /// How often each step of an upgrade task is tried before the task fails.
    pub step_attempts: i64,
}

/// The job engine in this process.
#[derive(Debug, Clone, Deserialize)]
pub struct WorkerConfig {
    /// Run workers in `ucsd serve` (replicas may leave it to others).
    pub enabled: bool,
    /// How many jobs this process runs at once.
    pub concurrency: usize,
    pub poll_interval_millis: u64,
    pub lease_millis: u64,
    pub retry_base_millis: u64,
    pub retry_max_millis: u64,
}

/// The simulated provider (the default): it reaches no infrastructure.
#[derive(Debug, Clone, Deserialize)]
pub struct SimulatorConfig {
    pub step_millis: u64,
    pub kubernetes_version: String,
    /// Injected failures, `STEP:RESOURCE:TIMES`, e.g. `activate:prod-1:2`.
    pub failures: Vec<String>,
    /// The federation version new federations run.
    pub federation_version: String,
    /// Nodes in the default node pool of a new CCE cluster.
    pub nodes_per_cluster: usize,
    /// API paths simulated CCE clusters call, `CLUSTER:PATH` (`*`: every cluster).
    pub api_usage: Vec<String>,
    /// Make every provider call twice (as a crash between a call and its commit would), to test
    /// that workflows are idempotent. Not for production.
    pub replay_calls: bool,
}

/// Per-tenant quotas.
#[derive(Debug, Clone, Deserialize)]
pub struct QuotaConfig {
    pub clusters: i64,
    pub fleets: i64,
    pub clusters_per_fleet: i64,
    pub rules: i64,
    pub federations: i64,
    pub node_pools_per_cluster: i64,
    pub nodes_per_node_pool: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseConfig {
    /// `sqlite://PATH?mode=rwc` (embedded, the default) or `postgres://…`.
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SecurityConfig {
    /// Base64 of 32 random bytes. Wins over `key_file`. Several replicas must share one key.
    pub master_key: Option<SecretString>,
    /// Where the master key is kept when `master_key` is unset; generated on first start.
    pub key_file: PathBuf,
    pub token_ttl_secs: i64,
    pub max_clock_skew_secs: i64,
    /// How often the key ring is loaded again from the database (besides on a notification, and
    /// when a value or token names a key this process does not know): the bound for a replica to
    /// start sealing with a key another replica's rotation made active.
    pub key_refresh_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter, e.g. `info,sqlx=warn`.
    pub filter: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpConfig {
    pub body_limit_bytes: usize,
    /// How long in-flight requests may run after a shutdown signal.
    pub shutdown_grace_secs: u64,
    /// How long a verified credential is used without reading the database; 0: never cached.
    pub credential_cache_ttl_millis: u64,
    pub credential_cache_entries: usize,
    /// Bytes of cached list and show responses; 0: off.
    pub response_cache_bytes: usize,
}

/// Request rate limits (docs/operator.md, "Rate limits"): a token bucket per tenant and one per
/// credential (access key, or user for token requests). A rate of 0 turns its limit off.
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitConfig {
    pub tenant_per_second: u32,
    pub tenant_burst: u32,
    pub credential_per_second: u32,
    pub credential_burst: u32,
    /// Replicas behind one balancer: each enforces `rate / replicas` and `burst / replicas`.
    pub replicas: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BootstrapConfig {
    /// On an empty embedded database, create one tenant and print its credentials once.
    pub enabled: bool,
    pub tenant_name: String,
}

/// A configuration that cannot be used; `ucsd` prints it and exits with status 2.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

const DEFAULTS: &str = r#"
listen = "127.0.0.1:8080"
region = "cn-north-4"

[database]
url = "sqlite://./data/ucsd.db?mode=rwc"
max_connections = 16

[security]
key_file = "./data/ucsd.key"
token_ttl_secs = 86400
max_clock_skew_secs = 900
key_refresh_secs = 60

[log]
format = "pretty"
filter = "info,sqlx=warn"

[http]
body_limit_bytes = 1048576
shutdown_grace_secs = 30
credential_cache_ttl_millis = 1000
credential_cache_entries = 10000
response_cache_bytes = 16777216

[bootstrap]
enabled = true
tenant_name = "default"

[quotas]
clusters = 50
fleets = 50
clusters_per_fleet = 50
rules = 100
federations = 5
node_pools_per_cluster = 50
nodes_per_node_pool = 100

[worker]
enabled = true
concurrency = 4
poll_interval_millis = 1000
lease_millis = 6000
retry_base_millis = 1000
retry_max_millis = 60000

[simulator]
step_millis = 200
kubernetes_version = "v1.28"
failures = []
federation_version = "v1.7.0"
nodes_per_cluster = 3
api_usage = []
replay_calls = false

[upgrade]
precheck_ttl_secs = 3600
step_attempts = 5

[metrics]
enabled = true

[testing]
enabled = false
deterministic = false
seed = 0
journal_limit = 1000

[console]
session_ttl_secs = 28800
secure_cookies = false

[rate_limit]
tenant_per_second = 200
tenant_burst = 400
credential_per_second = 100
credential_burst = 200
replicas = 1
"#;

impl Config {
    /// Loads the layers from the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// Loads the layers with `env` as the environment (tests pass their own).
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let env: std::collections::HashMap<String, String> = env.into_iter().collect();
        let mut builder =
            config::Config::builder().add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        match file {
            Some(path) => {
                if !path.exists() {
                    return Err(ConfigError(format!("config file {} does not exist", path.display())));
                }
                builder = builder.add_source(config::File::from(path.to_path_buf()).required(true));
            }
            None => builder = builder.add_source(config::File::with_name("ucsd.toml").required(false)),
        }
        // DATABASE_URL sits below UCS_DATABASE__URL (overrides always win, so only when that is unset).
        if let Some(url) = env.get("DATABASE_URL").filter(|_| !env.contains_key("UCS_DATABASE__URL")) {
            builder =
                builder.set_override("database.url", url.as_str()).map_err(|e| ConfigError(e.to_string()))?;
        }
        let ucs_env: config::Map<String, String> =
            env.into_iter().filter(|(k, _)| k.starts_with("UCS_")).collect();
        builder = builder.add_source(
            config::Environment::with_prefix("UCS")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("simulator.failures")
                .with_list_parse_key("simulator.api_usage")
                .source(Some(ucs_env)),
        );
        let layers = builder.build().map_err(|e| ConfigError(e.to_string()))?;
        let mut ignored_keys = Vec::new();
        let mut config: Config =
            serde_ignored::deserialize(layers, |path| ignored_keys.push(path.to_string()))
                .map_err(|e| ConfigError(e.to_string()))?;
        config.ignored_keys = ignored_keys;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.listen.parse::<std::net::SocketAddr>().map_err(|_| {
            ConfigError(format!("listen {:?} is not an address like 127.0.0.1:8080", self.listen))
        })?;
        let url = &self.database.url;
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(ConfigError("database.url must start with sqlite: or postgres://".to_string()));
        }
        domain::identity::validate_region(&self.region).map_err(|e| ConfigError(e.message()))?;
        if self.database.max_connections == 0 {
            return Err(ConfigError("database.max_connections must be at least 1".to_string()));
        }
        if self.worker.concurrency == 0 || self.worker.lease_millis < 1000 {
            return Err(ConfigError(
                "worker.concurrency must be at least 1 and worker.lease_millis at least 1000".into(),
            ));
        }
        worker::SimulatedProvider::parse_rules(&self.simulator()).map_err(ConfigError)?;
        let q = &self.quotas;
        let all = [
            q.clusters,
            q.fleets,
            q.clusters_per_fleet,
            q.rules,
            q.federations,
            q.node_pools_per_cluster,
            q.nodes_per_node_pool,
        ];
        if all.iter().any(|v| *v < 0) {
            return Err(ConfigError("quotas must not be negative".to_string()));
        }
        if self.upgrade.precheck_ttl_secs <= 0 || self.upgrade.step_attempts < 1 {
            return Err(ConfigError(
                "upgrade.precheck_ttl_secs must be positive and upgrade.step_attempts at least 1".into(),
            ));
        }
        if self.security.token_ttl_secs <= 0 || self.security.max_clock_skew_secs < 0 {
            return Err(ConfigError("security.token_ttl_secs must be positive".to_string()));
        }
        if self.security.key_refresh_secs == 0
            || self.security.key_refresh_secs >= self.security.token_ttl_secs.unsigned_abs()
        {
            // Retiring a key waits token_ttl_secs, trusting every replica to have reloaded by then.
            return Err(ConfigError(
                "security.key_refresh_secs must be positive and less than security.token_ttl_secs"
                    .to_string(),
            ));
        }
        let r = &self.rate_limit;
        if r.replicas == 0 {
            return Err(ConfigError("rate_limit.replicas must be at least 1".to_string()));
        }
        for (name, rate, burst) in [
            ("tenant", r.tenant_per_second, r.tenant_burst),
            ("credential", r.credential_per_second, r.credential_burst),
        ] {
            if rate > 0 && burst == 0 {
                return Err(ConfigError(format!(
                    "rate_limit.{name}_burst must be at least 1 when {name}_per_second is not 0"
                )));
            }
        }
        if let Some(key) = &self.security.master_key {
            secrets::MasterKey::from_base64(key.expose_secret())
                .map_err(|e| ConfigError(format!("security.master_key: {e}")))?;
        }
        Ok(())
    }

    pub fn is_sqlite(&self) -> bool {
        self.database.url.starts_with("sqlite:")
    }

    /// The master key: from config, else from (or newly into) the key file.
    pub fn master_key(&self) -> Result<secrets::MasterKey, ConfigError> {
        match &self.security.master_key {
            Some(key) => secrets::MasterKey::from_base64(key.expose_secret()),
            None => secrets::MasterKey::load_or_create(&self.security.key_file),
        }
        .map_err(|e| ConfigError(e.to_string()))
    }

    pub fn engine(&self) -> worker::EngineConfig {
        let ms = std::time::Duration::from_millis;
        worker::EngineConfig {
            poll_interval: ms(self.worker.poll_interval_millis),
            lease: ms(self.worker.lease_millis),
            retry_base: ms(self.worker.retry_base_millis),
            retry_max: ms(self.worker.retry_max_millis),
            precheck_ttl_secs: self.upgrade.precheck_ttl_secs,
            step_attempts: self.upgrade.step_attempts,
        }
    }

    pub fn simulator(&self) -> worker::SimulatorConfig {
        worker::SimulatorConfig {
            // Deterministic mode: no waiting, so workflows finish as fast as the database allows.
            step: if self.testing.deterministic {
                std::time::Duration::ZERO
            } else {
                std::time::Duration::from_millis(self.simulator.step_millis)
            },
            kubernetes_version: self.simulator.kubernetes_version.clone(),
            failures: self.simulator.failures.clone(),
            federation_version: self.simulator.federation_version.clone(),
            nodes_per_cluster: self.simulator.nodes_per_cluster,
            api_usage: self.simulator.api_usage.clone(),
            runtime_faults: self.testing.enabled,
            journal_limit: self.testing.journal_limit,
        }
    }

    pub fn api(&self) -> api::ApiConfig {
        api::ApiConfig {
            region: self.region.clone(),
            public_url: self.public_url.clone(),
            token_ttl_secs: self.security.token_ttl_secs,
            max_clock_skew_secs: self.security.max_clock_skew_secs,
            body_limit_bytes: self.http.body_limit_bytes,
            quotas: api::Quotas {
                clusters: self.quotas.clusters,
                fleets: self.quotas.fleets,
                clusters_per_fleet: self.quotas.clusters_per_fleet,
                rules: self.quotas.rules,
                federations: self.quotas.federations,
                node_pools_per_cluster: self.quotas.node_pools_per_cluster,
                nodes_per_node_pool: self.quotas.nodes_per_node_pool,
            },
            upgrade_step_attempts: self.upgrade.step_attempts,
            metrics_enabled: self.metrics.enabled,
            testing_enabled: self.testing.enabled,
            credential_cache_ttl_millis: self.http.credential_cache_ttl_millis,
            credential_cache_entries: self.http.credential_cache_entries,
            response_cache_bytes: self.http.response_cache_bytes,
            journal_limit: self.testing.journal_limit,
            rate_limits: api::rate_limit::RateLimitConfig {
                tenant_per_second: self.rate_limit.tenant_per_second,
                tenant_burst: self.rate_limit.tenant_burst,
                credential_per_second: self.rate_limit.credential_per_second,
                credential_burst: self.rate_limit.credential_burst,
                replicas: self.rate_limit.replicas,
            },
        }
    }

    /// The web console's settings.
    pub fn console(&self) -> console::ConsoleConfig {
        console::ConsoleConfig {
            session_ttl_secs: self.console.session_ttl_secs,
            secure_cookies: self.console.secure_cookies,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_sample_config_loads_and_documents_every_default_key() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ucsd.sample.toml");
        let c = Config::load_from(Some(&path), env(&[])).unwrap();
        assert!(c.ignored_keys.is_empty(), "the sample sets keys no setting reads: {:?}", c.ignored_keys);
        let sample = std::fs::read_to_string(&path).unwrap();
        let documented =
            |key: &str| sample.lines().any(|l| l.trim_start_matches("# ").starts_with(&format!("{key} =")));
        for line in DEFAULTS.lines() {
            if let Some((key, _)) = line.split_once(" = ") {
                assert!(documented(key.trim()), "docs/ucsd.sample.toml does not document {key}");
            }
        }
    }

    #[test]
    fn defaults_run_on_embedded_sqlite() {
        let c = Config::load_from(None, env(&[])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert!(c.is_sqlite());
        assert_eq!(c.region, "cn-north-4");
        assert_eq!(c.log.format, LogFormat::Pretty);
    }

    #[test]
    fn env_overrides_with_double_underscore_and_database_url_is_accepted() {
        let c = Config::load_from(
            None,
            env(&[
                ("DATABASE_URL", "postgres://a/b"),
                ("UCS_LISTEN", "0.0.0.0:9"),
                ("UCS_LOG__FORMAT", "json"),
            ]),
        )
        .unwrap();
        assert_eq!(c.database.url, "postgres://a/b");
        assert_eq!(c.listen, "0.0.0.0:9");
        assert_eq!(c.log.format, LogFormat::Json);
        let c = Config::load_from(
            None,
            env(&[("DATABASE_URL", "postgres://a/b"), ("UCS_DATABASE__URL", "sqlite://x.db")]),
        )
        .unwrap();
        assert_eq!(c.database.url, "sqlite://x.db", "UCS_* wins over DATABASE_URL");
    }

    #[test]
    fn a_file_layer_sits_between_defaults_and_env() {
        let path = std::env::temp_dir().join(format!("ucsd-config-{}.toml", std::process::id()));
        std::fs::write(&path, "region = \"eu-west-0\"\n[http]\nbody_limit_bytes = 10\n").unwrap();
        let c = Config::load_from(Some(&path), env(&[("UCS_REGION", "ap-southeast-1")])).unwrap();
        assert_eq!(c.region, "ap-southeast-1");
        assert_eq!(c.http.body_limit_bytes, 10);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn bad_config_is_a_clear_error() {
        for (pairs, needle) in [
            (vec![("UCS_LISTEN", "nowhere")], "listen"),
            (vec![("UCS_DATABASE__URL", "mysql://x")], "database.url"),
            (vec![("UCS_LOG__FORMAT", "xml")], "format"),
            (vec![("UCS_DATABASE__MAX_CONNECTIONS", "many")], "max_connections"),
            (vec![("UCS_SECURITY__MASTER_KEY", "short")], "master_key"),
            (vec![("UCS_REGION", "Bad Region")], "region"),
            (vec![("UCS_SECURITY__KEY_REFRESH_SECS", "0")], "key_refresh_secs"),
            (vec![("UCS_SECURITY__TOKEN_TTL_SECS", "60")], "key_refresh_secs"),
            (vec![("UCS_RATE_LIMIT__REPLICAS", "0")], "rate_limit.replicas"),
            (vec![("UCS_RATE_LIMIT__TENANT_BURST", "0")], "rate_limit.tenant_burst"),
        ] {
            let err = Config::load_from(None, env(&pairs)).unwrap_err();
            assert!(err.to_string().contains(needle), "{pairs:?}: {err}");
        }
        let err = Config::load_from(Some(Path::new("/nonexistent/ucsd.toml")), env(&[])).unwrap_err();
        assert!(err.to_string().contains("does not exist"));
    }

    #[test]
    fn keys_no_setting_reads_are_reported_without_their_values() {
        let c = Config::load_from(
            None,
            env(&[("UCS_SECURITY__MASTERKEY", "s3cr3t"), ("UCS_LOG__FORMAT", "json"), ("UCS_LISTN", "x")]),
        )
        .unwrap();
        let mut keys = c.ignored_keys.clone();
        keys.sort();
        assert_eq!(keys, ["listn", "security.masterkey"]);
        assert!(!format!("{c:?}").contains("s3cr3t"));
        let c = Config::load_from(None, env(&[("UCS_METRICS__ENABLED", "false")])).unwrap();
        assert!(c.ignored_keys.is_empty() && !c.metrics.enabled);
    }

    #[test]
    fn testing_is_off_by_default_and_deterministic_mode_forces_instant_steps() {
        let c = Config::load_from(None, env(&[])).unwrap();
        assert!(!c.testing.enabled && !c.testing.deterministic && !c.api().testing_enabled);
        assert_eq!(c.simulator().step, std::time::Duration::from_millis(200));
        let c = Config::load_from(
            None,
            env(&[
                ("UCS_TESTING__ENABLED", "true"),
                ("UCS_TESTING__DETERMINISTIC", "true"),
                ("UCS_TESTING__SEED", "42"),
                ("UCS_SIMULATOR__STEP_MILLIS", "500"),
            ]),
        )
        .unwrap();
        assert!(c.api().testing_enabled);
        assert_eq!(c.testing.seed, 42);
        assert_eq!(c.simulator().step, std::time::Duration::ZERO, "deterministic mode overrides step_millis");
        let err = Config::load_from(None, env(&[("UCS_TESTING__SEED", "-1")])).unwrap_err();
        assert!(err.to_string().contains("seed"), "{err}");
    }

    #[test]
    fn rate_limits_default_far_above_one_sdk_client_and_reach_the_api() {
        let c = Config::load_from(None, env(&[])).unwrap();
        assert_eq!(c.api().rate_limits, api::rate_limit::RateLimitConfig::default());
        let r = c.api().rate_limits;
        assert_eq!(
            (r.tenant_per_second, r.tenant_burst, r.credential_per_second, r.credential_burst),
            (200, 400, 100, 200)
        );
        let c = Config::load_from(
            None,
            env(&[("UCS_RATE_LIMIT__TENANT_PER_SECOND", "0"), ("UCS_RATE_LIMIT__REPLICAS", "3")]),
        )
        .unwrap();
        assert_eq!((c.api().rate_limits.tenant_per_second, c.api().rate_limits.replicas), (0, 3));
    }

    #[test]
    fn the_master_key_is_never_printed() {
        let key = secrets::MasterKey::generate().to_base64();
        let c = Config::load_from(None, env(&[("UCS_SECURITY__MASTER_KEY", &key)])).unwrap();
        assert!(!format!("{c:?}").contains(&key));
        c.master_key().unwrap();
    }
}
