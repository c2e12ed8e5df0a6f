//! The deployment files in `deploy/` hold together: every manifest parses, the Kubernetes objects
//! reference each other correctly (Secret keys, ConfigMap, ports, labels), probes point at the health
//! routes, and every `UCS_*` variable and config file they set is loaded into [`Config`] with no key
//! left unread. (No container runtime or cluster is needed; `deploy/README.md` says what is not checked.)

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use serde_yaml_ng::Value;
use server::config::Config;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every document of every `deploy/k8s/*.yaml`, with the file it came from.
fn k8s_objects() -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(deploy_dir().join("k8s"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let mut objects = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        for doc in serde_yaml_ng::Deserializer::from_str(&read(&file)) {
            let value = serde::Deserialize::deserialize(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
            if !matches!(value, Value::Null) {
                objects.push((name.clone(), value));
            }
        }
    }
    objects
}

fn str_at<'v>(value: &'v Value, path: &str) -> &'v str {
    at(value, path).as_str().unwrap_or_else(|| panic!("{path} is not a string"))
}

/// The value at a dotted path (`spec.template.spec`; `containers.0` indexes a list).
fn at<'v>(value: &'v Value, path: &str) -> &'v Value {
    path.split('.').fold(value, |v, key| {
        let next = match key.parse::<usize>() {
            Ok(i) => v.get(i),
            Err(_) => v.get(key),
        };
        next.unwrap_or_else(|| panic!("no {key} in {path}: {v:?}"))
    })
}

fn strings(value: &Value) -> Vec<String> {
    value.as_sequence().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// A master key that passes validation, for the placeholders.
fn a_master_key() -> String {
    secrets::MasterKey::generate().to_base64()
}

/// Loads a config as `ucsd` would from this file and these variables, and insists that every key is
/// read by some setting (an unknown key would otherwise be ignored without a word).
#[track_caller]
fn load(what: &str, file: Option<&str>, env: &BTreeMap<String, String>) -> Config {
    let path = file.map(|toml| {
        let path =
            std::env::temp_dir().join(format!("ucsd-deploy-{}.toml", domain::ids::random_uuid().simple()));
        std::fs::write(&path, toml).unwrap();
        path
    });
    let config = Config::load_from(path.as_deref(), env.clone());
    if let Some(path) = path {
        std::fs::remove_file(path).unwrap();
    }
    let config = config.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(config.ignored_keys.is_empty(), "{what}: keys no setting reads: {:?}", config.ignored_keys);
    config
}

#[test]
fn the_kubernetes_manifests_are_complete_and_consistent() {
    let objects = k8s_objects();
    let kinds: BTreeSet<&str> = objects.iter().map(|(_, o)| str_at(o, "kind")).collect();
    let expected = [
        "ConfigMap",
        "Deployment",
        "Job",
        "Kustomization",
        "Namespace",
        "PodDisruptionBudget",
        "Secret",
        "Service",
    ];
    assert_eq!(kinds, expected.into_iter().collect());
    let one = |kind: &str| {
        let found: Vec<_> = objects.iter().filter(|(_, o)| str_at(o, "kind") == kind).collect();
        assert_eq!(found.len(), 1, "one {kind}");
        &found[0].1
    };

    // The kustomization applies every other file, and everything lives in the namespace.
    let listed: BTreeSet<String> = strings(at(one("Kustomization"), "resources")).into_iter().collect();
    let files: BTreeSet<String> = objects
        .iter()
        .filter(|(_, o)| str_at(o, "kind") != "Kustomization")
        .map(|(f, _)| f.clone())
        .collect();
    assert_eq!(listed, files);
    let namespace = str_at(one("Namespace"), "metadata.name");
    for (file, o) in &objects {
        if !matches!(str_at(o, "kind"), "Namespace" | "Kustomization") {
            assert_eq!(str_at(o, "metadata.namespace"), namespace, "{file}");
        }
    }

    let secret = one("Secret");
    let secret_name = str_at(secret, "metadata.name");
    let config_map = one("ConfigMap");
    let toml =
        at(config_map, "data").get("ucsd.toml").and_then(Value::as_str).expect("ucsd.toml").to_string();

    let deployment = one("Deployment");
    assert_eq!(at(deployment, "spec.replicas").as_u64(), Some(2));
    let pod_labels = at(deployment, "spec.template.metadata.labels");
    assert_eq!(at(deployment, "spec.selector.matchLabels"), pod_labels);
    let pod = at(deployment, "spec.template.spec");
    let server = at(pod, "containers.0");
    let args = strings(at(server, "args"));
    assert!(args.ends_with(&["serve".to_string(), "--no-migrate".to_string()]), "{args:?}");
    assert_eq!(str_at(server, "readinessProbe.httpGet.path"), "/readyz");
    assert_eq!(str_at(server, "livenessProbe.httpGet.path"), "/healthz");
    let port_name = str_at(server, "ports.0.name");
    let port = at(server, "ports.0.containerPort").as_u64().unwrap();
    assert_eq!(str_at(server, "readinessProbe.httpGet.port"), port_name);
    assert_eq!(str_at(server, "livenessProbe.httpGet.port"), port_name);
    for key in ["requests.cpu", "requests.memory", "limits.memory"] {
        at(at(server, "resources"), key);
    }

    let job = one("Job");
    let job_pod = at(job, "spec.template.spec");
    let migrate = at(job_pod, "containers.0");
    assert!(strings(at(migrate, "args")).ends_with(&["migrate".to_string()]));
    assert_eq!(at(migrate, "image"), at(server, "image"), "the Job migrates for the image that serves");
    assert!(matches!(str_at(job_pod, "restartPolicy"), "Never" | "OnFailure"));

    for (what, pod, container) in [("Deployment", pod, server), ("Job", job_pod, migrate)] {
        // Non-root with a read-only root filesystem, no privilege escalation, no capabilities.
        assert_eq!(at(pod, "securityContext.runAsNonRoot").as_bool(), Some(true), "{what}");
        assert_ne!(at(pod, "securityContext.runAsUser").as_u64(), Some(0), "{what}");
        let security = at(container, "securityContext");
        assert_eq!(at(security, "readOnlyRootFilesystem").as_bool(), Some(true), "{what}");
        assert_eq!(at(security, "allowPrivilegeEscalation").as_bool(), Some(false), "{what}");
        assert_eq!(strings(at(security, "capabilities.drop")), ["ALL"], "{what}");

        // The config file is the ConfigMap's, mounted where --config says.
        let args = strings(at(container, "args"));
        let config_path = &args[args.iter().position(|a| a == "--config").expect("--config") + 1];
        let mount = at(container, "volumeMounts.0");
        let volume = at(pod, "volumes.0");
        assert_eq!(str_at(mount, "name"), str_at(volume, "name"), "{what}");
        assert_eq!(str_at(volume, "configMap.name"), str_at(config_map, "metadata.name"), "{what}");
        assert_eq!(Path::new(str_at(mount, "mountPath")).join("ucsd.toml"), Path::new(config_path), "{what}");

        // Every variable comes from a key the Secret has; with them and the file, ucsd loads a
        // Postgres configuration with no key left unread.
        let mut env = BTreeMap::new();
        for var in at(container, "env").as_sequence().unwrap() {
            let name = str_at(var, "name").to_string();
            let value = match var.get("value") {
                Some(v) => v.as_str().unwrap().to_string(),
                None => {
                    let reference = at(var, "valueFrom.secretKeyRef");
                    assert_eq!(str_at(reference, "name"), secret_name, "{what} {name}");
                    let key = str_at(reference, "key");
                    let value = str_at(at(secret, "stringData"), key);
                    if name == "UCS_SECURITY__MASTER_KEY" {
                        assert_eq!(value, "CHANGE-ME", "the shipped Secret holds no real key");
                        a_master_key()
                    } else {
                        value.to_string()
                    }
                }
            };
            env.insert(name, value);
        }
        let config = load(what, Some(&toml), &env);
        assert!(!config.is_sqlite(), "{what} runs on Postgres");
        assert!(!config.bootstrap.enabled, "{what}");
        if what == "Deployment" {
            assert!(env.contains_key("UCS_SECURITY__MASTER_KEY"), "replicas share the master key");
            let listen: std::net::SocketAddr = config.listen.parse().unwrap();
            assert_eq!(u64::from(listen.port()), port);
            assert!(listen.ip().is_unspecified(), "reachable from the kubelet and the Service");
            let grace = at(pod, "terminationGracePeriodSeconds").as_u64().unwrap();
            assert!(config.http.shutdown_grace_secs < grace, "requests finish before the kill");
        }
    }
    // The placeholder master key is refused, so nobody runs on it by mistake.
    let mut env = BTreeMap::new();
    env.insert("UCS_SECURITY__MASTER_KEY".to_string(), "CHANGE-ME".to_string());
    assert!(Config::load_from(None, env).unwrap_err().to_string().contains("master_key"));

    let service = one("Service");
    assert_eq!(at(service, "spec.selector"), pod_labels);
    assert_eq!(str_at(service, "spec.ports.0.targetPort"), port_name);
    let pdb = one("PodDisruptionBudget");
    assert_eq!(at(pdb, "spec.selector.matchLabels"), pod_labels);
}

#[test]
fn the_compose_file_runs_two_replicas_behind_one_port_after_one_migration() {
    let mut compose: Value = serde_yaml_ng::from_str(&read(&deploy_dir().join("compose.yaml"))).unwrap();
    compose.apply_merge().unwrap();
    let services = at(&compose, "services").as_mapping().unwrap();
    let names: BTreeSet<&str> = services.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(names, ["lb", "migrate", "postgres", "ucsd-1", "ucsd-2"].into_iter().collect());
    let service = |name: &str| &services[name];

    assert_eq!(strings(at(service("migrate"), "command")), ["migrate"]);
    assert_eq!(str_at(service("migrate"), "depends_on.postgres.condition"), "service_healthy");
    let master_key = a_master_key();
    let mut replica_env = Vec::new();
    for name in ["migrate", "ucsd-1", "ucsd-2"] {
        let env: BTreeMap<String, String> = at(service(name), "environment")
            .as_mapping()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let value = v.as_str().unwrap();
                // Compose interpolates ${UCSD_MASTER_KEY:?…} from the operator's shell.
                let value = if value.starts_with("${UCSD_MASTER_KEY") {
                    master_key.clone()
                } else {
                    value.to_string()
                };
                (k.as_str().unwrap().to_string(), value)
            })
            .collect();
        let config = load(name, None, &env);
        assert!(!config.is_sqlite(), "{name} runs on Postgres");
        assert!(config.database.url.contains("@postgres:"), "{name} reaches the postgres service");
        if name != "migrate" {
            assert_eq!(strings(at(service(name), "command")), ["serve", "--no-migrate"]);
            assert_eq!(
                str_at(service(name), "depends_on.migrate.condition"),
                "service_completed_successfully"
            );
            replica_env.push((config.listen.clone(), env));
        }
    }
    // The replicas share the database and the master key.
    assert_eq!(replica_env[0].1, replica_env[1].1);

    // One published port, balancing over exactly the replicas, at the port they listen on.
    assert_eq!(strings(at(service("lb"), "ports")), ["8080:8080"]);
    let nginx = read(&deploy_dir().join("nginx.conf"));
    let listen_port = replica_env[0].0.rsplit(':').next().unwrap().to_string();
    let upstream = nginx.split_once("upstream ucsd {").expect("an upstream block").1;
    let upstreams: BTreeSet<String> = upstream[..upstream.find('}').unwrap()]
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("server ").and_then(|s| s.split_whitespace().next()))
        .map(|s| s.trim_end_matches(';').to_string())
        .collect();
    let expected: BTreeSet<String> =
        ["ucsd-1", "ucsd-2"].iter().map(|n| format!("{n}:{listen_port}")).collect();
    assert_eq!(upstreams, expected);
    assert!(nginx.contains("listen 8080;"));
    assert!(nginx.contains("proxy_set_header Host $http_host;"), "signed requests sign the Host header");
    let mount = strings(at(service("lb"), "volumes"));
    assert!(mount[0].starts_with("./nginx.conf:"), "{mount:?}");
}

#[test]
fn the_image_runs_ucsd_serve_as_a_non_root_user_on_its_exposed_port() {
    let dockerfile = read(&deploy_dir().join("Dockerfile"));
    // Instructions, with continuation lines joined.
    let joined = dockerfile.replace("\\\n", " ");
    let instructions: Vec<(&str, &str)> = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once(' ').unwrap_or((l, "")))
        .collect();
    let all =
        |op: &str| instructions.iter().filter(|(o, _)| *o == op).map(|(_, a)| a.trim()).collect::<Vec<_>>();
    let froms = all("FROM");
    assert_eq!(froms.len(), 2, "a build stage and a runtime stage: {froms:?}");
    assert!(froms[0].starts_with("rust:") && froms[1].starts_with("debian:bookworm-slim"), "{froms:?}");
    assert!(all("RUN").iter().any(|r| r.contains("cargo build --release --locked")));
    let user = all("USER");
    assert_eq!(user.len(), 1);
    assert!(!user[0].starts_with('0') && !user[0].starts_with("root"), "{user:?}");
    assert_eq!(all("ENTRYPOINT"), [r#"["/usr/local/bin/ucsd"]"#]);
    assert_eq!(all("CMD"), [r#"["serve"]"#]);

    let env: BTreeMap<String, String> = all("ENV")
        .iter()
        .flat_map(|e| e.split_whitespace())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    assert!(env.keys().all(|k| k.starts_with("UCS_")), "{env:?}");
    let config = load("Dockerfile", None, &env);
    let port = config.listen.rsplit(':').next().unwrap();
    assert_eq!(all("EXPOSE"), [port]);

    // The build context is the repository root; its .dockerignore keeps the build output out.
    let ignore = read(&deploy_dir().join("../.dockerignore"));
    for entry in ["target/", ".git/", "data/"] {
        assert!(ignore.lines().any(|l| l == entry), "{entry} in .dockerignore");
    }
}
