//! CCE and CCE Autopilot cluster upgrades over HTTP: the CCE v3 cluster basics, C01–C43 (docs/wire.md)
//! with the behaviour docs/upgrades.md fixes (task statuses, workflow phases, precheck expiry,
//! pause/continue/retry, Autopilot plans).
//!
//! The version catalogue is not hard-coded: every test asks the upgrade paths (C02/C25) which
//! version has a target and works from the answer.

use axum::http::Method;
use domain::clock::Clock;
use serde_json::{json, Value};
use server::admin::{TenantCredentials, UserCredentialsOut};

pub use crate::harness::spawn_with;
use crate::harness::{backend_tests, Response, TestApp};

const VPC: &str = "11c9fe72-5a90-4295-bcfe-774726fb9066";
const SUBNET: &str = "0de91d89-1e06-4e24-b371-35d5d3d3779b";
const NIL_ID: &str = "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b";
/// docs/upgrades.md: `upgrade.precheck_ttl_secs` defaults to 3600.
const PRECHECK_TTL_SECS: i64 = 3600;

/// Like `backend_tests!`, on a server started with extra configuration `$env` (a `&[(&str, &str)]`
/// constant of the enclosing module).
macro_rules! upgrade_tests {
    ($env:ident; $(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(async fn $name($app: TestApp) $body)*

        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::spawn_with($crate::harness::Backend::Sqlite, super::$env).await).await
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::spawn_with($crate::harness::Backend::Postgres, super::$env).await).await
                }
            )*
        }
    };
}
pub(crate) use upgrade_tests;

/// Which API a cluster lives under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Cce,
    Autopilot,
}

impl Flavor {
    pub fn v3(self) -> &'static str {
        match self {
            Flavor::Cce => "/api/v3",
            Flavor::Autopilot => "/autopilot/v3",
        }
    }

    fn v31(self) -> &'static str {
        match self {
            Flavor::Cce => "/api/v3.1",
            Flavor::Autopilot => "/autopilot/v3.1",
        }
    }

    pub fn other(self) -> Flavor {
        match self {
            Flavor::Cce => Flavor::Autopilot,
            Flavor::Autopilot => Flavor::Cce,
        }
    }

    fn cluster_flavor(self) -> &'static str {
        match self {
            Flavor::Cce => "cce.s1.small",
            Flavor::Autopilot => "cce.autopilot.cluster",
        }
    }
}

/// Who signs: an access key pair and the project id `CceClient` puts in the path and `X-Project-Id`.
#[derive(Debug, Clone)]
pub struct Caller {
    ak: String,
    sk: String,
    project: String,
}

impl Caller {
    pub fn of(t: &TenantCredentials) -> Self {
        Self { ak: t.access_key.clone(), sk: t.secret_key.clone(), project: t.project_id.clone() }
    }

    pub fn user(u: &UserCredentialsOut, project: &str) -> Self {
        Self { ak: u.access_key.clone(), sk: u.secret_key.clone(), project: project.to_string() }
    }
}

/// A `CceClient`'s view of the server: one caller, one flavor of paths.
pub struct Cce<'a> {
    app: &'a TestApp,
    who: Caller,
    f: Flavor,
}

/// Asserts a CCE error body: `{"error_code": "CCE.…", "error_msg": "…"}` with the given status.
#[track_caller]
pub fn assert_cce_error(r: &Response, status: u16) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    assert!(r.error_code().starts_with("CCE."), "a CCE error code: {}", r.text);
    assert!(r.body["error_msg"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.text);
    assert!(r.headers.contains_key("x-request-id"));
}

#[track_caller]
fn assert_ok(r: &Response) {
    assert!(r.status.is_success(), "{}", r.text);
}

/// Whether two catalogue versions name the same entry: equal, or one is the release of the other
/// (`v1.28` and `v1.28.15-r10`).
pub fn same_version(a: &str, b: &str) -> bool {
    a == b || a.starts_with(&format!("{b}.")) || b.starts_with(&format!("{a}."))
}

/// `v1.28.15-r10` → (1, 28): the release, comparable.
fn release_key(v: &str) -> (u32, u32) {
    let mut parts = v.trim_start_matches('v').split(['.', '-']);
    let mut next =
        || parts.next().and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("not a version: {v}"));
    (next(), next())
}

pub fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// The `YYYY-MM-DD` a timestamp starts with (RFC 3339 and Go's `time.String()` form both do).
fn date_of(v: &Value) -> String {
    let text = s(v);
    assert!(text.len() >= 10, "not a timestamp: {text}");
    text[..10].to_string()
}

/// Parses RFC 3339 or Go's `2023-11-25 08:21:05.518966 +0000 UTC`.
fn parse_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.to_utc());
    }
    let trimmed = text.strip_suffix(" UTC").unwrap_or(text);
    chrono::DateTime::parse_from_str(trimmed, "%Y-%m-%d %H:%M:%S%.f %z").ok().map(|t| t.to_utc())
}

/// Every check item of a precheck status, wherever it sits.
pub fn check_items(status: &Value) -> Vec<Value> {
    let mut items = Vec::new();
    for part in ["clusterCheckStatus", "addonCheckStatus"] {
        if let Some(list) = status[part]["itemsStatus"].as_array() {
            items.extend(list.iter().cloned());
        }
    }
    if let Some(nodes) = status["nodeCheckStatus"]["nodeStageStatus"].as_array() {
        for node in nodes {
            if let Some(list) = node["itemsStatus"].as_array() {
                items.extend(list.iter().cloned());
            }
        }
    }
    items
}

pub fn cluster_body(f: Flavor, name: &str, version: Option<&str>) -> Value {
    let mut body = json!({
        "kind": "Cluster",
        "apiVersion": "v3",
        "metadata": {"name": name, "labels": {"team": "a"}},
        "spec": {
            "flavor": f.cluster_flavor(),
            "hostNetwork": {"vpc": VPC, "subnet": SUBNET},
            "containerNetwork": {"mode": "vpc-router"},
            "description": "upgrade test",
        },
    });
    if let Some(v) = version {
        body["spec"]["version"] = json!(v);
    }
    body
}

fn workflow_body(id: &str, from: &str, to: &str) -> Value {
    json!({"kind": "WorkFlowTask", "apiVersion": "v3",
           "spec": {"clusterID": id, "clusterVersion": from, "targetVersion": to}})
}

fn precheck_body(id: &str, from: &str, to: &str, skipped: Option<Value>) -> Value {
    let mut body = json!({"apiVersion": "v3", "kind": "PreCheckTask",
                          "spec": {"clusterID": id, "clusterVersion": from, "targetVersion": to}});
    if let Some(skipped) = skipped {
        body["spec"]["skippedCheckItemList"] = skipped;
    }
    body
}

pub fn upgrade_body(to: &str, only_master: bool) -> Value {
    json!({"metadata": {"apiVersion": "v3", "kind": "UpgradeTask"},
           "spec": {"clusterUpgradeAction": {
               "targetVersion": to,
               "isOnlyUpgrade": only_master,
               "strategy": {"type": "inPlaceRollingUpdate", "inPlaceRollingUpdate": {"scope": "Cluster"}}}}})
}

fn postcheck_body(id: &str, from: &str, to: &str) -> Value {
    json!({"apiVersion": "v3", "kind": "PostCheckTask",
           "spec": {"clusterID": id, "clusterVersion": from, "targetVersion": to}})
}

/// The four points of every workflow, in order, with only `taskType` (before any task exists).
fn bare_points() -> Value {
    json!([{"taskType": "PreCheck"}, {"taskType": "Snapshot"}, {"taskType": "Cluster"}, {"taskType": "PostCheck"}])
}

fn line_statuses() -> Value {
    json!([
        {"startPoint": {"taskType": "PreCheck"}, "endPoint": {"taskType": "Cluster"}, "critical": false},
        {"startPoint": {"taskType": "Cluster"}, "endPoint": {"taskType": "PostCheck"}, "critical": true},
    ])
}

fn point<'v>(workflow: &'v Value, task_type: &str) -> &'v Value {
    workflow["status"]["pointStatuses"]
        .as_array()
        .unwrap_or_else(|| panic!("no pointStatuses: {workflow}"))
        .iter()
        .find(|p| p["taskType"] == task_type)
        .unwrap_or_else(|| panic!("no {task_type} point: {workflow}"))
}

const TERMINAL: &[&str] = &["Success", "Failed", "Error"];

impl<'a> Cce<'a> {
    pub fn new(app: &'a TestApp, t: &TenantCredentials, f: Flavor) -> Self {
        Self { app, who: Caller::of(t), f }
    }

    pub fn flavor(&self, f: Flavor) -> Cce<'a> {
        Cce { app: self.app, who: self.who.clone(), f }
    }

    pub fn as_caller(&self, who: Caller) -> Cce<'a> {
        Cce { app: self.app, who, f: self.f }
    }

    // ------------------------------------------------------------ transport

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        let mut call = self.app.call(method, path).header("x-project-id", &self.who.project);
        if let Some(body) = body {
            call = call.json(body);
        }
        call.sign_with(&self.who.ak, &self.who.sk).send().await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    /// A bodiless POST (pause, continue, retry, snapshot).
    pub async fn post_empty(&self, path: &str) -> Response {
        self.send(Method::POST, path, None).await
    }

    // ------------------------------------------------------------ paths

    pub fn clusters(&self) -> String {
        format!("{}/projects/{}/clusters", self.f.v3(), self.who.project)
    }

    pub fn cluster(&self, id: &str) -> String {
        format!("{}/{id}", self.clusters())
    }

    pub fn op(&self, id: &str, rest: &str) -> String {
        format!("{}/operation/{rest}", self.cluster(id))
    }

    pub fn snapshot_path(&self, id: &str, rest: &str) -> String {
        format!("{}/projects/{}/clusters/{id}/operation/snapshot{rest}", self.f.v31(), self.who.project)
    }

    pub fn workflows(&self, id: &str) -> String {
        self.op(id, "upgradeworkflows")
    }

    // ------------------------------------------------------------ the catalogue

    /// C02/C25: every version with its targets, in the order answered.
    pub async fn upgrade_paths(&self) -> Vec<(String, Vec<String>)> {
        let r = self.get(&format!("{}/clusterupgradepaths", self.f.v3())).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["upgradePaths"]
            .as_array()
            .unwrap_or_else(|| panic!("no upgradePaths: {}", r.text))
            .iter()
            .map(|p| {
                let targets = p["targetVersions"]
                    .as_array()
                    .map(|t| t.iter().map(|v| s(v).to_string()).collect())
                    .unwrap_or_default();
                (s(&p["version"]).to_string(), targets)
            })
            .collect()
    }

    /// The targets of `version` in the paths (matching a release to a full version).
    async fn targets_of(&self, version: &str) -> Vec<String> {
        self.upgrade_paths()
            .await
            .into_iter()
            .find(|(v, _)| same_version(v, version))
            .map(|(_, t)| t)
            .unwrap_or_default()
    }

    /// A version with an upgrade path and its first target.
    pub async fn hop(&self) -> (String, String) {
        let paths = self.upgrade_paths().await;
        paths
            .iter()
            .find(|(_, t)| !t.is_empty())
            .map(|(v, t)| (v.clone(), t[0].clone()))
            .unwrap_or_else(|| panic!("the {:?} catalogue has no upgrade path: {paths:?}", self.f))
    }

    /// `A → B → C`, if the catalogue has two hops in a row.
    pub async fn two_hops(&self) -> Option<(String, String, String)> {
        let paths = self.upgrade_paths().await;
        for (a, targets) in &paths {
            for b in targets {
                if let Some((_, next)) = paths.iter().find(|(v, t)| same_version(v, b) && !t.is_empty()) {
                    return Some((a.clone(), b.clone(), next[0].clone()));
                }
            }
        }
        None
    }

    // ------------------------------------------------------------ clusters

    /// Creates a cluster; asserts the 201 answer (phase Creating, a jobID) and returns the body.
    pub async fn create_cluster(&self, name: &str, version: Option<&str>) -> Value {
        let r = self.post(&self.clusters(), &cluster_body(self.f, name, version)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["kind"], "Cluster", "{}", r.text);
        assert_eq!(r.body["apiVersion"], "v3", "{}", r.text);
        assert_eq!(r.body["metadata"]["name"], name);
        assert!(r.body["metadata"]["uid"].as_str().is_some_and(|u| !u.is_empty()), "{}", r.text);
        assert_eq!(r.body["status"]["phase"], "Creating", "{}", r.text);
        assert!(r.body["status"]["jobID"].as_str().is_some_and(|j| !j.is_empty()), "{}", r.text);
        r.body
    }

    pub async fn show(&self, id: &str) -> Value {
        let r = self.get(&self.cluster(id)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    }

    pub async fn await_cluster(&self, id: &str, phase: &str) -> Value {
        self.app
            .eventually(&format!("cluster {id} {phase}"), async || {
                let c = self.show(id).await;
                if c["status"]["phase"] == phase {
                    Ok(c)
                } else {
                    Err(c.to_string())
                }
            })
            .await
    }

    /// A new cluster at `version`, once Available; its id.
    pub async fn available(&self, name: &str, version: &str) -> String {
        let created = self.create_cluster(name, Some(version)).await;
        let id = s(&created["metadata"]["uid"]).to_string();
        self.await_cluster(&id, "Available").await;
        id
    }

    pub async fn delete_cluster(&self, id: &str) -> Response {
        self.send(Method::DELETE, &self.cluster(id), None).await
    }

    /// Polls until a deleted cluster is gone (404).
    pub async fn await_gone(&self, id: &str) {
        self.app
            .eventually(&format!("cluster {id} to go"), async || {
                let r = self.get(&self.cluster(id)).await;
                if r.status == 404 {
                    Ok(())
                } else {
                    Err(r.text)
                }
            })
            .await
    }

    /// The full version the cluster runs (docs/upgrades.md: the annotation `cce.ucsd.io/version`).
    pub async fn version(&self, id: &str) -> String {
        let c = self.show(id).await;
        s(&c["metadata"]["annotations"]["cce.ucsd.io/version"]).to_string()
    }

    // ------------------------------------------------------------ workflows

    pub async fn create_workflow(&self, id: &str, from: &str, to: &str) -> Response {
        self.post(&self.workflows(id), &workflow_body(id, from, to)).await
    }

    pub async fn new_workflow(&self, id: &str, from: &str, to: &str) -> String {
        let r = self.create_workflow(id, from, to).await;
        assert_eq!(r.status, 201, "{}", r.text);
        s(&r.body["metadata"]["uid"]).to_string()
    }

    pub async fn workflow(&self, id: &str, wf: &str) -> Value {
        let r = self.get(&format!("{}/{wf}", self.workflows(id))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    }

    pub async fn patch_workflow(&self, id: &str, wf: &str, phase: &str) -> Response {
        let body = json!({"status": {"phase": phase}});
        self.send(Method::PATCH, &format!("{}/{wf}", self.workflows(id)), Some(&body)).await
    }

    /// The workflow once its tasks have run, which must have given its `task_type` point `status`.
    pub async fn await_point(&self, id: &str, wf: &str, task_type: &str, status: &str) -> Value {
        self.app
            .eventually(&format!("{task_type} point {status}"), async || {
                let w = self.workflow(id, wf).await;
                if point(&w, task_type)["status"] == status {
                    Ok(w)
                } else {
                    Err(w.to_string())
                }
            })
            .await
    }

    pub async fn await_workflow_phase(&self, id: &str, wf: &str, phase: &str) -> Value {
        self.app
            .eventually(&format!("workflow phase {phase}"), async || {
                let w = self.workflow(id, wf).await;
                if w["status"]["phase"] == phase {
                    Ok(w)
                } else {
                    Err(w.to_string())
                }
            })
            .await
    }

    // ------------------------------------------------------------ checks and tasks

    pub async fn start_precheck(&self, id: &str, from: &str, to: &str, skipped: Option<Value>) -> String {
        let r = self.post(&self.op(id, "precheck"), &precheck_body(id, from, to, skipped)).await;
        assert_ok(&r);
        s(&r.body["metadata"]["uid"]).to_string()
    }

    /// C11/C34 once the precheck's job has run, which must have ended it.
    pub async fn await_precheck(&self, id: &str, task: &str) -> Value {
        self.app
            .eventually(&format!("precheck {task} ended"), async || {
                let r = self.get(&self.op(id, &format!("precheck/tasks/{task}"))).await;
                assert_eq!(r.status, 200, "{}", r.text);
                if TERMINAL.iter().any(|p| r.body["status"]["phase"] == *p) {
                    Ok(r.body)
                } else {
                    Err(r.text)
                }
            })
            .await
    }

    /// A precheck that must succeed; its task id.
    pub async fn prechecked(&self, id: &str, from: &str, to: &str) -> String {
        let task = self.start_precheck(id, from, to, None).await;
        let p = self.await_precheck(id, &task).await;
        assert_eq!(p["status"]["phase"], "Success", "{p}");
        task
    }

    pub async fn start_snapshot(&self, id: &str) -> String {
        let r = self.post_empty(&self.snapshot_path(id, "")).await;
        assert_ok(&r);
        assert_eq!(r.body["metadata"]["apiVersion"], "v3.1", "{}", r.text);
        s(&r.body["uid"]).to_string()
    }

    /// C13/C36 once the snapshot task `uid` has run, which must have ended it; the list item.
    pub async fn await_snapshot(&self, id: &str, uid: &str) -> Value {
        self.app
            .eventually(&format!("snapshot {uid} ended"), async || {
                let r = self.get(&self.snapshot_path(id, "/tasks")).await;
                assert_eq!(r.status, 200, "{}", r.text);
                r.body["items"]
                    .as_array()
                    .and_then(|items| items.iter().find(|i| i["metadata"]["uid"] == uid))
                    .filter(|i| TERMINAL.iter().any(|p| i["status"]["phase"] == *p))
                    .cloned()
                    .ok_or(r.text)
            })
            .await
    }

    pub async fn upgrade(&self, id: &str, to: &str) -> Response {
        self.post(&self.op(id, "upgrade"), &upgrade_body(to, false)).await
    }

    /// Starts a Cluster task that must be accepted; its id.
    pub async fn start_upgrade(&self, id: &str, to: &str) -> String {
        let r = self.upgrade(id, to).await;
        assert_ok(&r);
        assert!(same_version(s(&r.body["spec"]["clusterUpgradeAction"]["targetVersion"]), to), "{}", r.text);
        s(&r.body["metadata"]["uid"]).to_string()
    }

    pub async fn upgrade_task(&self, id: &str, task: &str) -> Value {
        let r = self.get(&self.op(id, &format!("upgrade/tasks/{task}"))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    }

    /// C16/C39 once the task's job has run, which must have left it in one of `phases`.
    pub async fn await_upgrade(&self, id: &str, task: &str, phases: &[&str]) -> Value {
        self.app
            .eventually(&format!("upgrade task {task} in {phases:?}"), async || {
                let t = self.upgrade_task(id, task).await;
                if phases.iter().any(|p| t["status"]["phase"] == *p) {
                    Ok(t)
                } else {
                    Err(t.to_string())
                }
            })
            .await
    }

    pub async fn postcheck(&self, id: &str, from: &str, to: &str) -> Response {
        self.post(&self.op(id, "postcheck"), &postcheck_body(id, from, to)).await
    }
}

/// The parts of a cluster answer every test checks.
fn assert_cluster_shape(c: &Value, f: Flavor, name: &str) {
    assert_eq!(c["kind"], "Cluster", "{c}");
    assert_eq!(c["apiVersion"], "v3", "{c}");
    assert_eq!(c["metadata"]["name"], name, "{c}");
    assert_eq!(c["metadata"]["labels"]["team"], "a", "{c}");
    assert_eq!(c["spec"]["flavor"], f.cluster_flavor(), "{c}");
    assert_eq!(c["spec"]["type"], "VirtualMachine", "{c}");
    assert_eq!(c["spec"]["hostNetwork"]["vpc"], VPC, "{c}");
    assert_eq!(c["spec"]["hostNetwork"]["subnet"], SUBNET, "{c}");
    assert_eq!(c["spec"]["description"], "upgrade test", "kept and echoed: {c}");
    assert_eq!(c["spec"]["containerNetwork"]["mode"], "vpc-router", "kept and echoed: {c}");
}

backend_tests! {
    async fn a_cce_cluster_is_created_listed_filtered_and_deleted(app: TestApp) {
        let t = app.tenant("t1").await;
        for f in [Flavor::Cce, Flavor::Autopilot] {
            let cce = Cce::new(&app, &t, f);
            let (from, to) = cce.hop().await;
            let created = cce.create_cluster("prod-a", Some(&from)).await;
            assert_cluster_shape(&created, f, "prod-a");
            let a = s(&created["metadata"]["uid"]).to_string();
            let c = cce.await_cluster(&a, "Available").await;
            assert_cluster_shape(&c, f, "prod-a");
            assert!(same_version(s(&c["spec"]["version"]), &from), "{c}");
            assert!(!s(&c["spec"]["version"]).contains('-'), "spec.version is the release: {c}");
            assert!(c["spec"]["platformVersion"].as_str().is_some_and(|p| !p.is_empty()), "{c}");
            assert!(same_version(s(&c["metadata"]["annotations"]["cce.ucsd.io/version"]), &from), "{c}");
            let release_a = s(&c["spec"]["version"]).to_string();
            // A second cluster at the target version, so the version filter has something to tell apart.
            let b = cce.available("prod-b", &to).await;
            let release_b = s(&cce.show(&b).await["spec"]["version"]).to_string();

            let names = |r: &Response| -> Vec<String> {
                assert_eq!(r.status, 200, "{}", r.text);
                assert_eq!(r.body["kind"], "Cluster", "{}", r.text);
                assert_eq!(r.body["apiVersion"], "v3", "{}", r.text);
                let mut n: Vec<String> = r.body["items"].as_array().unwrap().iter()
                    .map(|i| s(&i["metadata"]["name"]).to_string()).collect();
                n.sort();
                n
            };
            assert_eq!(names(&cce.get(&cce.clusters()).await), ["prod-a", "prod-b"]);
            assert_eq!(names(&cce.get(&format!("{}?status=Available", cce.clusters())).await), ["prod-a", "prod-b"]);
            assert!(names(&cce.get(&format!("{}?status=Creating", cce.clusters())).await).is_empty());
            assert_eq!(names(&cce.get(&format!("{}?type=VirtualMachine", cce.clusters())).await), ["prod-a", "prod-b"]);
            assert!(names(&cce.get(&format!("{}?type=ARM64", cce.clusters())).await).is_empty());
            if release_a != release_b {
                assert_eq!(names(&cce.get(&format!("{}?version={release_a}", cce.clusters())).await), ["prod-a"]);
                let r = cce.get(&format!("{}?status=Available&type=VirtualMachine&version={release_b}", cce.clusters())).await;
                assert_eq!(names(&r), ["prod-b"]);
            }
            // The other flavor's list does not show them.
            let other = cce.flavor(f.other());
            let r = other.get(&other.clusters()).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert!(!r.text.contains("prod-a") && !r.text.contains("prod-b"), "{}", r.text);

            // Delete answers the cluster Deleting; the row goes when the job ends.
            let r = cce.delete_cluster(&b).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["status"]["phase"], "Deleting", "{}", r.text);
            app.settle().await;
            assert_cce_error(&cce.get(&cce.cluster(&b)).await, 404);
            assert_eq!(names(&cce.get(&cce.clusters()).await), ["prod-a"]);
            // The name is free again.
            cce.create_cluster("prod-b", Some(&to)).await;
            let r = cce.delete_cluster(&a).await;
            assert_eq!(r.status, 200, "{}", r.text);
            app.settle().await;
            assert_cce_error(&cce.get(&cce.cluster(&a)).await, 404);
            // Clean up so the next flavor starts from an empty tenant.
            let rest = cce.get(&cce.clusters()).await;
            for item in rest.body["items"].as_array().unwrap() {
                let id = s(&item["metadata"]["uid"]).to_string();
                cce.await_cluster(&id, "Available").await;
                assert_eq!(cce.delete_cluster(&id).await.status, 200);
                app.settle().await;
                assert_cce_error(&cce.get(&cce.cluster(&id)).await, 404);
            }
        }
    }

    async fn the_default_version_is_the_newest_and_names_are_unique_per_flavor(app: TestApp) {
        let t = app.tenant("t1").await;
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let created = cce.create_cluster("defaulted", None).await;
        let id = s(&created["metadata"]["uid"]).to_string();
        let c = cce.await_cluster(&id, "Available").await;
        // The newest version: no catalogue entry has a newer release.
        let release = s(&c["spec"]["version"]).to_string();
        for (v, _) in cce.upgrade_paths().await {
            assert!(release_key(&v) <= release_key(&release), "{v} is newer than the default {release}");
        }
        let r = cce.post(&cce.clusters(), &cluster_body(Flavor::Cce, "defaulted", None)).await;
        assert_cce_error(&r, 409);
        // The same name is free under the other flavor.
        let ap = cce.flavor(Flavor::Autopilot);
        ap.create_cluster("defaulted", None).await;
    }

    async fn invalid_cluster_bodies_are_400_and_create_nothing(app: TestApp) {
        let t = app.tenant("t1").await;
        for f in [Flavor::Cce, Flavor::Autopilot] {
            let cce = Cce::new(&app, &t, f);
            let mut cases = Vec::new();
            for name in ["Bad_Name", "abc", "9starts-with-digit", "ends-with-dash-", &"a".repeat(129)] {
                cases.push(cluster_body(f, name, None));
            }
            let mut b = cluster_body(f, "no-flavor", None);
            b["spec"].as_object_mut().unwrap().remove("flavor");
            cases.push(b);
            let mut b = cluster_body(f, "no-vpc", None);
            b["spec"]["hostNetwork"].as_object_mut().unwrap().remove("vpc");
            cases.push(b);
            let mut b = cluster_body(f, "no-subnet", None);
            b["spec"]["hostNetwork"].as_object_mut().unwrap().remove("subnet");
            cases.push(b);
            cases.push(cluster_body(f, "bad-version", Some("v0.1")));
            cases.push(cluster_body(f, "bad-version", Some("v1.28.99-r999")));
            let mut b = cluster_body(f, "wrong-kind", None);
            b["kind"] = json!("NodePool");
            cases.push(b);
            let mut b = cluster_body(f, "num-name", None);
            b["metadata"]["name"] = json!(5);
            cases.push(b);
            for body in cases {
                let r = cce.post(&cce.clusters(), &body).await;
                assert_cce_error(&r, 400);
            }
            let r = app.call(Method::POST, &cce.clusters()).header("x-project-id", &t.project_id)
                .raw_body(b"{\"kind\":").sign_with(&t.access_key, &t.secret_key).send().await;
            assert_cce_error(&r, 400);
            let r = cce.get(&cce.clusters()).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["items"], json!([]), "nothing was created: {}", r.text);
        }
    }

    async fn unknown_foreign_and_other_flavor_clusters_are_404_and_other_projects_403(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, to) = cce.hop().await;
        let mine = cce.available("mine", &from).await;
        let theirs = Cce::new(&app, &other, Flavor::Cce).available("theirs", &from).await;
        let (ap_from, _) = cce.flavor(Flavor::Autopilot).hop().await;
        let pilot = cce.flavor(Flavor::Autopilot).available("pilot", &ap_from).await;
        // Unknown, another tenant's, and the other flavor's cluster: 404 with a CCE code on every route.
        let cases = [(Flavor::Cce, NIL_ID), (Flavor::Cce, theirs.as_str()), (Flavor::Autopilot, mine.as_str()),
                     (Flavor::Cce, pilot.as_str())];
        for (f, id) in cases {
            let c = cce.flavor(f);
            let mut calls: Vec<(Method, String, Option<Value>)> = vec![
                (Method::GET, c.cluster(id), None),
                (Method::DELETE, c.cluster(id), None),
                (Method::GET, format!("{}/upgradeinfo", c.cluster(id)), None),
                (Method::GET, c.workflows(id), None),
                (Method::POST, c.workflows(id), Some(workflow_body(id, &from, &to))),
                (Method::GET, format!("{}/{NIL_ID}", c.workflows(id)), None),
                (Method::POST, c.op(id, "precheck"), Some(precheck_body(id, &from, &to, None))),
                (Method::GET, c.op(id, "precheck/tasks"), None),
                (Method::POST, c.snapshot_path(id, ""), None),
                (Method::GET, c.snapshot_path(id, "/tasks"), None),
                (Method::POST, c.op(id, "upgrade"), Some(upgrade_body(&to, false))),
                (Method::GET, c.op(id, "upgrade/tasks"), None),
                (Method::POST, c.op(id, "upgrade/retry"), None),
                (Method::POST, c.op(id, "postcheck"), Some(postcheck_body(id, &from, &to))),
            ];
            if f == Flavor::Cce {
                calls.push((Method::POST, c.op(id, "upgrade/pause"), None));
                calls.push((Method::POST, c.op(id, "upgrade/continue"), None));
                calls.push((Method::POST, format!("{}/nodepools/DefaultPool/operation/upgrade", c.cluster(id)),
                            Some(json!({"spec": {"nodePoolID": "DefaultPool"}}))));
                calls.push((Method::GET, format!("{}/addons/precheck/tasks", c.cluster(id)), None));
            } else {
                calls.push((Method::GET, format!("{}/upgradeplans", c.cluster(id)), None));
            }
            for (method, path, body) in calls {
                let r = c.send(method.clone(), &path, body.as_ref()).await;
                assert_cce_error(&r, 404);
                assert!(!r.text.contains("theirs"), "{method} {path} leaks: {}", r.text);
            }
        }
        // Their cluster is untouched.
        let theirs_view = Cce::new(&app, &other, Flavor::Cce).show(&theirs).await;
        assert_eq!(theirs_view["status"]["phase"], "Available");
        // Another tenant's project id in the path: 403.
        for f in [Flavor::Cce, Flavor::Autopilot] {
            let path = format!("{}/projects/{}/clusters", f.v3(), other.project_id);
            for (method, body) in [(Method::GET, None), (Method::POST, Some(cluster_body(f, "sneaky", None)))] {
                let r = app.call(method, &path).header("x-project-id", &other.project_id);
                let r = match &body { Some(b) => r.json(b), None => r };
                let r = r.sign_with(&t.access_key, &t.secret_key).send().await;
                assert_cce_error(&r, 403);
            }
            let path = format!("{}/projects/{}/clusters/{theirs}/upgradeinfo", f.v3(), other.project_id);
            let r = app.get(&path).header("x-project-id", &other.project_id).sign_with(&t.access_key, &t.secret_key).send().await;
            assert_cce_error(&r, 403);
        }
        let r = Cce::new(&app, &other, Flavor::Cce).get(&format!("{}?status=Available", Cce::new(&app, &other, Flavor::Cce).clusters())).await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "nothing was created in their project: {}", r.text);
    }

    async fn upgrade_info_paths_and_feature_gates_come_from_the_catalogue(app: TestApp) {
        let t = app.tenant("t1").await;
        for f in [Flavor::Cce, Flavor::Autopilot] {
            let cce = Cce::new(&app, &t, f);
            // C02/C25.
            let r = cce.get(&format!("{}/clusterupgradepaths", f.v3())).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let paths = r.body["upgradePaths"].as_array().unwrap();
            assert!(!paths.is_empty());
            for p in paths {
                assert!(p["version"].as_str().is_some_and(|v| v.starts_with('v')), "{p}");
                assert!(p["platformVersion"].as_str().is_some(), "{p}");
                assert!(p["targetVersions"].is_array(), "{p}");
            }
            let (from, to) = cce.hop().await;
            // C01/C24.
            let id = cce.available("info", &from).await;
            let c = cce.show(&id).await;
            let r = cce.get(&format!("{}/upgradeinfo", cce.cluster(&id))).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let info = &r.body["spec"]["versionInfo"];
            assert_eq!(info["release"], c["spec"]["version"], "{}", r.text);
            assert!(info["patch"].is_string(), "{}", r.text);
            let targets: Vec<&str> = info["targetVersions"].as_array().unwrap().iter().map(s).collect();
            assert!(targets.iter().any(|v| same_version(v, &to)), "{to} among {targets:?}");
            for want in cce.targets_of(&from).await {
                assert!(targets.iter().any(|v| same_version(v, &want)), "{want} among {targets:?}");
            }
            let gate = &r.body["spec"]["upgradeFeatureGates"]["supportUpgradePageV4"];
            assert!(gate.is_null() || gate.is_boolean(), "{}", r.text);
            // C03/C26.
            let r = cce.get(&format!("{}/clusterupgradefeaturegates", f.v3())).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let gates = r.body["upgradeFeatureGates"].as_object().unwrap_or_else(|| panic!("{}", r.text));
            assert!(gates.values().all(Value::is_string), "dict(str, str): {}", r.text);
            // C04/C27.
            let r = cce.get(&format!("{}/feature-gates", f.v31())).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["kind"], "Configuration", "{}", r.text);
            assert_eq!(r.body["apiVersion"], "v3.1", "{}", r.text);
            assert!(r.body["spec"].is_object(), "{}", r.text);
        }
        // Unsigned: refused.
        let r = app.get("/api/v3/clusterupgradepaths").send().await;
        assert_eq!(r.status, 401, "{}", r.text);
    }

    async fn a_workflow_is_created_once_listed_shown_and_cancelled(app: TestApp) {
        let t = app.tenant("t1").await;
        for f in [Flavor::Cce, Flavor::Autopilot] {
            let cce = Cce::new(&app, &t, f);
            let (from, to) = cce.hop().await;
            let id = cce.available("guided", &from).await;
            // Refused: a clusterVersion that is not the cluster's, a target not among its paths.
            assert_cce_error(&cce.create_workflow(&id, &to, &to).await, 400);
            assert_cce_error(&cce.create_workflow(&id, &from, &from).await, 400);
            assert_cce_error(&cce.create_workflow(&id, &from, "v9.99").await, 400);
            let r = cce.get(&cce.workflows(&id)).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["items"], json!([]), "refusals create nothing: {}", r.text);

            let r = cce.create_workflow(&id, &from, &to).await;
            assert_eq!(r.status, 201, "{}", r.text);
            assert_eq!(r.body["kind"], "WorkFlowTask");
            assert_eq!(r.body["apiVersion"], "v3");
            assert_eq!(r.body["spec"]["clusterID"], id);
            assert!(same_version(s(&r.body["spec"]["clusterVersion"]), &from), "{}", r.text);
            assert!(same_version(s(&r.body["spec"]["targetVersion"]), &to), "{}", r.text);
            assert_eq!(r.body["status"]["phase"], "Init", "{}", r.text);
            assert_eq!(r.body["status"]["pointStatuses"], bare_points(), "{}", r.text);
            assert_eq!(r.body["status"]["lineStatuses"], line_statuses(), "{}", r.text);
            let wf = s(&r.body["metadata"]["uid"]).to_string();
            // One unfinished workflow per cluster.
            assert_cce_error(&cce.create_workflow(&id, &from, &to).await, 409);

            let r = cce.get(&cce.workflows(&id)).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["kind"], "List");
            assert_eq!(r.body["apiVersion"], "v3");
            let items = r.body["items"].as_array().unwrap();
            assert_eq!(items.len(), 1, "{}", r.text);
            assert_eq!(items[0]["metadata"]["uid"], wf);
            assert_eq!(items[0]["kind"], "WorkFlowTask");
            let shown = cce.workflow(&id, &wf).await;
            assert_eq!(shown["status"]["phase"], "Init");
            assert_eq!(shown["status"]["pointStatuses"], bare_points());
            assert_eq!(shown["spec"]["clusterID"], id);
            assert_cce_error(&cce.get(&format!("{}/{NIL_ID}", cce.workflows(&id))).await, 404);

            // Only Cancel may be asked for.
            for phase in ["Running", "Success", "Pending", "Init", "Paused"] {
                assert_cce_error(&cce.patch_workflow(&id, &wf, phase).await, 400);
            }
            assert_cce_error(&cce.patch_workflow(&id, NIL_ID, "Cancel").await, 404);
            let r = cce.patch_workflow(&id, &wf, "Cancel").await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["kind"], "WorkFlowTask");
            assert_eq!(r.body["status"]["phase"], "Cancel", "{}", r.text);
            assert_eq!(cce.workflow(&id, &wf).await["status"]["phase"], "Cancel");
            // An ended workflow cannot be cancelled again.
            assert_cce_error(&cce.patch_workflow(&id, &wf, "Cancel").await, 400);
            // The cancelled one no longer counts: a new one may start.
            let second = cce.new_workflow(&id, &from, &to).await;
            assert_ne!(second, wf);
            let r = cce.get(&cce.workflows(&id)).await;
            assert_eq!(r.body["items"].as_array().unwrap().len(), 2, "{}", r.text);
        }
    }

    async fn concurrent_workflow_creates_start_one(app: TestApp) {
        let t = app.tenant("t1").await;
        for f in [Flavor::Cce, Flavor::Autopilot] {
            let cce = Cce::new(&app, &t, f);
            let (from, to) = cce.hop().await;
            let id = cce.available("racing", &from).await;
            let calls = (0..12).map(|_| cce.create_workflow(&id, &from, &to));
            let results = futures::future::join_all(calls).await;
            assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1, "{results:?}");
            for r in results.iter().filter(|r| r.status != 201) {
                assert_cce_error(r, 409);
            }
            let r = cce.get(&cce.workflows(&id)).await;
            assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
        }
    }

    async fn a_precheck_succeeds_and_its_result_expires(app: TestApp) {
        let t = app.tenant("t1").await;
        for f in [Flavor::Cce, Flavor::Autopilot] {
            let cce = Cce::new(&app, &t, f);
            let (from, to) = cce.hop().await;
            let id = cce.available("checked", &from).await;
            // No precheck yet: the upgrade is refused.
            let r = cce.upgrade(&id, &to).await;
            assert_cce_error(&r, 400);
            assert!(r.body["error_msg"].as_str().unwrap().to_lowercase().contains("check"), "says to run a precheck: {}", r.text);
            // Refused prechecks: wrong version, a target not among the paths.
            let r = cce.post(&cce.op(&id, "precheck"), &precheck_body(&id, &to, &to, None)).await;
            assert_cce_error(&r, 400);
            let r = cce.post(&cce.op(&id, "precheck"), &precheck_body(&id, &from, "v9.99", None)).await;
            assert_cce_error(&r, 400);

            let r = cce.post(&cce.op(&id, "precheck"), &precheck_body(&id, &from, &to, None)).await;
            assert_ok(&r);
            assert_eq!(r.body["spec"]["clusterID"], id, "{}", r.text);
            let task = s(&r.body["metadata"]["uid"]).to_string();
            let p = cce.await_precheck(&id, &task).await;
            assert_eq!(p["kind"], "PreCheckTask", "{p}");
            assert_eq!(p["metadata"]["uid"], task, "{p}");
            assert_eq!(p["status"]["phase"], "Success", "{p}");
            assert!(check_items(&p["status"]).iter().all(|i| i["level"] != "Fatal"), "{p}");
            let expire = s(&p["status"]["expireTimeStamp"]).to_string();
            if let Some(at) = parse_time(&expire) {
                let now = app.clock.now();
                let ttl = chrono::Duration::seconds(PRECHECK_TTL_SECS);
                assert!(at > now + ttl - chrono::Duration::seconds(120) && at <= now + ttl + chrono::Duration::seconds(5),
                        "expires precheck_ttl_secs after it ended: {expire}");
            }
            let r = cce.get(&cce.op(&id, "precheck/tasks")).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["apiVersion"], "v3");
            let items = r.body["items"].as_array().unwrap();
            assert!(items.iter().any(|i| i["metadata"]["uid"] == task && i["status"]["phase"] == "Success"), "{}", r.text);
            assert_cce_error(&cce.get(&cce.op(&id, &format!("precheck/tasks/{NIL_ID}"))).await, 404);

            // Past the TTL the result no longer allows an upgrade.
            app.clock.advance(chrono::Duration::seconds(PRECHECK_TTL_SECS + 1));
            let r = cce.upgrade(&id, &to).await;
            assert_cce_error(&r, 400);
            assert!(r.body["error_msg"].as_str().unwrap().to_lowercase().contains("check"), "{}", r.text);
            // A fresh one does.
            cce.prechecked(&id, &from, &to).await;
            let task = cce.start_upgrade(&id, &to).await;
            let done = cce.await_upgrade(&id, &task, &["Success", "Failed"]).await;
            assert_eq!(done["status"]["phase"], "Success", "{done}");
        }
    }

    async fn the_guided_walk_upgrades_a_cce_cluster(app: TestApp) {
        guided_walk(&app, Flavor::Cce).await;
    }

    async fn the_guided_walk_upgrades_an_autopilot_cluster(app: TestApp) {
        guided_walk(&app, Flavor::Autopilot).await;
    }

    async fn pause_continue_and_retry_need_a_task_in_the_right_state(app: TestApp) {
        let t = app.tenant("t1").await;
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, to) = cce.hop().await;
        let id = cce.available("idle", &from).await;
        for op in ["pause", "continue", "retry"] {
            assert_cce_error(&cce.post_empty(&cce.op(&id, &format!("upgrade/{op}"))).await, 400);
        }
        let ap = cce.flavor(Flavor::Autopilot);
        let (ap_from, _) = ap.hop().await;
        let pilot = ap.available("idle-pilot", &ap_from).await;
        assert_cce_error(&ap.post_empty(&ap.op(&pilot, "upgrade/retry")).await, 400);
        // A finished task is neither paused nor failed.
        cce.prechecked(&id, &from, &to).await;
        let task = cce.start_upgrade(&id, &to).await;
        let done = cce.await_upgrade(&id, &task, &["Success", "Failed"]).await;
        assert_eq!(done["status"]["phase"], "Success", "{done}");
        assert_eq!(done["status"]["progress"], "100", "{done}");
        for op in ["pause", "continue", "retry"] {
            assert_cce_error(&cce.post_empty(&cce.op(&id, &format!("upgrade/{op}"))).await, 400);
        }
        let r = cce.get(&cce.op(&id, "upgrade/tasks")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let items = r.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", r.text);
        assert_eq!(items[0]["kind"], "UpgradeTask");
        assert_eq!(items[0]["metadata"]["uid"], task);
        assert!(same_version(s(&items[0]["spec"]["version"]), &from), "{}", r.text);
        assert!(same_version(s(&items[0]["spec"]["targetVersion"]), &to), "{}", r.text);
        assert_cce_error(&cce.get(&cce.op(&id, &format!("upgrade/tasks/{NIL_ID}"))).await, 404);
    }

    async fn a_master_only_upgrade_leaves_the_node_pool_behind_until_it_is_upgraded(app: TestApp) {
        let t = app.tenant("t1").await;
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let hops = cce.two_hops().await;
        let (from, to) = match &hops { Some((a, b, _)) => (a.clone(), b.clone()), None => cce.hop().await };
        let id = cce.available("masters-first", &from).await;
        let wf = cce.new_workflow(&id, &from, &to).await;
        cce.prechecked(&id, &from, &to).await;
        let r = cce.post(&cce.op(&id, "upgrade"), &upgrade_body(&to, true)).await;
        assert_ok(&r);
        let task = s(&r.body["metadata"]["uid"]).to_string();
        let done = cce.await_upgrade(&id, &task, &["Success", "Failed"]).await;
        assert_eq!(done["status"]["phase"], "Success", "{done}");
        assert!(same_version(&cce.version(&id).await, &to));
        // The node pool did not catch up: the postcheck fails and the workflow waits.
        let r = cce.postcheck(&id, &from, &to).await;
        assert_ok(&r);
        assert_eq!(r.body["spec"]["clusterID"], id, "{}", r.text);
        let post = s(&r.body["metadata"]["uid"]).to_string();
        let w = cce.await_point(&id, &wf, "PostCheck", "Failed").await;
        assert_eq!(point(&w, "PostCheck")["taskID"], post);
        assert_eq!(w["status"]["phase"], "Pending", "{w}");
        // And a precheck towards the next version finds the pool behind: Fatal NodeCheck.
        if let Some((_, b, c)) = &hops {
            let pre = cce.start_precheck(&id, b, c, None).await;
            let p = cce.await_precheck(&id, &pre).await;
            assert_eq!(p["status"]["phase"], "Failed", "{p}");
            let items = check_items(&p["status"]);
            assert!(items.iter().any(|i| i["level"] == "Fatal" && i["group"] == "NodeCheck"), "{p}");
            assert_cce_error(&cce.upgrade(&id, c).await, 400);
        }
        // C21 upgrades the pool to the cluster's version.
        let body = json!({"kind": "NodePool", "apiVersion": "v3", "metadata": {"name": "DefaultPool"},
                          "spec": {"nodePoolID": "DefaultPool", "maxUnavailable": 1, "force": false}});
        let r = cce.post(&format!("{}/nodepools/DefaultPool/operation/upgrade", cce.cluster(&id)), &body).await;
        assert_ok(&r);
        assert!(r.body["jobid"].as_str().is_some_and(|j| !j.is_empty()), "jobid, all lower-case: {}", r.text);
        // The job is there to watch: it ends Success, and only its owner under its service sees it.
        let job = format!("{}/projects/{}/jobs/{}", Flavor::Cce.v3(), t.project_id, s(&r.body["jobid"]));
        app.settle().await;
        let j = cce.get(&job).await;
        assert_eq!(j.status, 200, "{}", j.text);
        assert_eq!(j.body["status"]["phase"], "Success", "{}", j.text);
        let j = j.body;
        assert_eq!(j["kind"], "Job");
        assert_eq!((j["spec"]["type"].as_str(), j["spec"]["clusterUID"].as_str()), (Some("UpgradeNodePool"), Some(id.as_str())));
        assert_cce_error(&cce.get(&job.replacen("/api/v3", "/autopilot/v3", 1)).await, 404);
        let other = app.tenant("t2").await;
        let theirs = job.replacen(&t.project_id, &other.project_id, 1);
        assert_cce_error(&Cce::new(&app, &other, Flavor::Cce).get(&theirs).await, 404);
        let created = cce.get(&format!("{}/projects/{}/jobs/{}", Flavor::Cce.v3(), t.project_id, s(&cce.show(&id).await["status"]["jobID"]))).await;
        assert_eq!((created.body["spec"]["type"].as_str(), created.body["status"]["phase"].as_str()), (Some("CreateCluster"), Some("Success")), "{}", created.text);
        let r = cce.post(&format!("{}/nodepools/{NIL_ID}/operation/upgrade", cce.cluster(&id)), &body).await;
        assert_cce_error(&r, 404);
        // Once it has, a postcheck succeeds and so does the workflow.
        let r = cce.postcheck(&id, &from, &to).await;
        assert_ok(&r);
        let post = s(&r.body["metadata"]["uid"]).to_string();
        let w = cce.await_point(&id, &wf, "PostCheck", "Success").await;
        assert_eq!(point(&w, "PostCheck")["taskID"], post, "{w}");
        assert_eq!(w["status"]["phase"], "Success", "{w}");
    }

    async fn addon_prechecks_are_listed_and_an_unknown_target_version_fails(app: TestApp) {
        let t = app.tenant("t1").await;
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let (from, _) = cce.hop().await;
        let id = cce.available("addons", &from).await;
        let body = json!({"kind": "AddonCheck", "apiVersion": "v3", "spec": {"clusterID": id, "addonList": [
            {"addonTemplateName": "coredns", "targetVersion": "0.0.0-not-in-the-catalogue", "type": "addonUpgrade"}]}});
        let r = cce.post(&format!("{}/addons/precheck", cce.cluster(&id)), &body).await;
        assert_ok(&r);
        assert_eq!(r.body["kind"], "AddonCheck", "{}", r.text);
        assert_eq!(r.body["apiVersion"], "v3", "{}", r.text);
        assert_eq!(r.body["spec"]["addonList"][0]["addonTemplateName"], "coredns", "{}", r.text);
        app.settle().await;
        let r = cce.get(&format!("{}/addons/precheck/tasks", cce.cluster(&id))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let last = r.body;
        let task = last["items"].as_array().and_then(|items| items.iter()
            .find(|i| i["metadata"]["addonTemplateName"] == "coredns"
                && ["Success", "Failed"].iter().any(|st| i["status"]["status"] == *st))
            .cloned())
            .unwrap_or_else(|| panic!("the addon check ended: {last}"));
        assert_eq!(last["kind"], "AddonCheck");
        assert_eq!(last["pageInfo"]["currentCount"], json!(last["items"].as_array().unwrap().len()), "{last}");
        assert_eq!(task["status"]["status"], "Failed", "an unknown target version fails: {task}");
        assert_eq!(task["spec"]["addonTargetVersion"], "0.0.0-not-in-the-catalogue", "{task}");
        let task_id = s(&task["metadata"]["taskID"]).to_string();
        // Filters: by task id, by type.
        let r = cce.get(&format!("{}/addons/precheck/tasks?task_id={task_id}", cce.cluster(&id))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.body["items"].as_array().unwrap().iter().all(|i| i["metadata"]["taskID"] == task_id.as_str()), "{}", r.text);
        let r = cce.get(&format!("{}/addons/precheck/tasks?task_id={NIL_ID}", cce.cluster(&id))).await;
        assert_eq!(r.body["items"], json!([]), "{}", r.text);
        let r = cce.get(&format!("{}/addons/precheck/tasks?type=addonStatic", cce.cluster(&id))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(!r.body["items"].as_array().unwrap().iter().any(|i| i["metadata"]["taskID"] == task_id.as_str()), "{}", r.text);
    }

    async fn an_autopilot_cluster_gets_an_upgrade_plan_that_can_be_delayed(app: TestApp) {
        let t = app.tenant("t1").await;
        let ap = Cce::new(&app, &t, Flavor::Autopilot);
        let (from, _) = ap.hop().await;
        let before = app.clock.now();
        let id = ap.available("planned", &from).await;
        let path = format!("{}/upgradeplans", ap.cluster(&id));
        let r = ap.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let after = app.clock.now();
        let plan = &r.body["items"];
        assert!(plan.is_object(), "items is one UpgradePlan, not a list: {}", r.text);
        assert_eq!(plan["spec"]["clusterID"], id, "{}", r.text);
        assert!(same_version(s(&plan["spec"]["clusterVersion"]), &from), "{}", r.text);
        let target = s(&plan["spec"]["targetVersion"]).to_string();
        assert!(ap.targets_of(&from).await.iter().any(|v| same_version(v, &target)), "{target} is a path of {from}");
        assert_eq!(plan["status"]["phase"], "Pending", "{}", r.text);
        let day = |t: chrono::DateTime<chrono::Utc>, days: i64| (t + chrono::Duration::days(days)).format("%Y-%m-%d").to_string();
        let within = |v: &Value, days: i64| {
            let d = date_of(v);
            assert!(d == day(before, days) || d == day(after, days), "{v} is now + {days} days");
        };
        within(&plan["spec"]["notBefore"], 7);
        within(&plan["spec"]["notBeforeDeadline"], 30);
        within(&plan["spec"]["notAfter"], 8);
        let plan_id = s(&plan["metadata"]["uid"]).to_string();

        // C43: a date from today up to the deadline; nothing outside.
        let put = |date: String| {
            let path = format!("{}/upgradeplans/{plan_id}", ap.cluster(&id));
            let ap = &ap;
            async move { ap.send(Method::PUT, &path, Some(&json!({"notBefore": date}))).await }
        };
        let now = app.clock.now();
        let later = day(now, 10);
        let r = put(later.clone()).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(date_of(&r.body["spec"]["notBefore"]), later, "{}", r.text);
        assert_eq!(r.body["spec"]["clusterID"], id);
        let deadline = date_of(&plan["spec"]["notBeforeDeadline"]);
        let past_deadline = (chrono::NaiveDate::parse_from_str(&deadline, "%Y-%m-%d").unwrap() + chrono::Duration::days(1))
            .format("%Y-%m-%d").to_string();
        for bad in [past_deadline, day(now, 60), day(now, -1), "not-a-date".to_string()] {
            assert_cce_error(&put(bad).await, 400);
        }
        assert_eq!(date_of(&ap.get(&path).await.body["items"]["spec"]["notBefore"]), later, "refusals change nothing");
        let r = ap.send(Method::PUT, &format!("{}/upgradeplans/{NIL_ID}", ap.cluster(&id)), Some(&json!({"notBefore": later}))).await;
        assert_cce_error(&r, 404);
        // Today is allowed.
        assert_eq!(put(day(app.clock.now(), 0)).await.status, 200);
        // A CCE cluster has no Autopilot plans.
        let cce = ap.flavor(Flavor::Cce);
        let (cce_from, _) = cce.hop().await;
        let plain = cce.available("plain", &cce_from).await;
        assert_cce_error(&ap.get(&format!("{}/upgradeplans", ap.cluster(&plain))).await, 404);
    }

    async fn an_autopilot_plan_upgrades_its_cluster_when_its_window_opens_and_a_delay_moves_it(app: TestApp) {
        let t = app.tenant("t1").await;
        let ap = Cce::new(&app, &t, Flavor::Autopilot);
        let (from, _) = ap.hop().await;
        let auto = ap.available("auto", &from).await;
        let later = ap.available("later", &from).await;
        let plan_of = |id: &str| {
            let path = format!("{}/upgradeplans", ap.cluster(id));
            let ap = &ap;
            async move { ap.get(&path).await.body["items"].clone() }
        };
        let plan = plan_of(&auto).await;
        let target = s(&plan["spec"]["targetVersion"]).to_string();
        // The second cluster's plan is delayed past the day the clock moves to.
        let delayed = plan_of(&later).await;
        let day20 = (app.clock.now() + chrono::Duration::days(20)).format("%Y-%m-%d").to_string();
        let r = ap.send(Method::PUT, &format!("{}/upgradeplans/{}", ap.cluster(&later), s(&delayed["metadata"]["uid"])),
                        Some(&json!({"notBefore": day20}))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let job = app.store.job_list_for_resource("upgrade_plan", s(&delayed["metadata"]["uid"])).await.unwrap();
        assert_eq!(job[0].run_at.format("%Y-%m-%d").to_string(), day20, "the plan's job moved with it");

        // Nothing happens before the window opens.
        app.settle().await;
        assert_eq!(ap.get(&ap.op(&auto, "upgrade/tasks")).await.body["items"], json!([]), "before its window");
        // A week and a day later the first plan's window is open: ucsd upgrades the cluster itself.
        app.clock.advance(chrono::Duration::days(8));
        app.settle().await;
        let r = ap.get(&ap.op(&auto, "upgrade/tasks")).await;
        let task = r.body["items"].as_array().and_then(|items| items.first().cloned())
            .unwrap_or_else(|| panic!("the plan's upgrade task: {}", r.text));
        assert!(same_version(s(&task["spec"]["targetVersion"]), &target), "{task}");
        let done = ap.await_upgrade(&auto, s(&task["metadata"]["uid"]), &["Success", "Failed"]).await;
        assert_eq!(done["status"]["phase"], "Success", "{done}");
        assert!(same_version(&ap.version(&auto).await, &target));
        // The next plan (if the catalogue goes further) waits for its own window.
        let next = plan_of(&auto).await;
        assert!(next.is_null() || (next["status"]["phase"] == "Pending" && same_version(s(&next["spec"]["clusterVersion"]), &target)), "{next}");
        // The delayed one has not moved.
        assert!(ap.get(&ap.op(&later, "upgrade/tasks")).await.body["items"].as_array().unwrap().is_empty());
        assert!(same_version(&ap.version(&later).await, &from));
        assert_eq!(plan_of(&later).await["status"]["phase"], "Pending");
    }

    async fn a_read_only_user_is_refused_every_upgrade_write(app: TestApp) {
        let t = app.tenant("t1").await;
        let viewer = server::admin::user_create(&app.store, &app.app.state.sealer, "t1", "viewer",
            &[domain::identity::Role::UcsReadOnlyAccess]).await.unwrap();
        let admin = Cce::new(&app, &t, Flavor::Cce);
        let (from, to) = admin.hop().await;
        let id = admin.available("watched", &from).await;
        let wf = admin.new_workflow(&id, &from, &to).await;
        let ap_admin = admin.flavor(Flavor::Autopilot);
        let (ap_from, ap_to) = ap_admin.hop().await;
        let pilot = ap_admin.available("watched-pilot", &ap_from).await;
        let ap_wf = ap_admin.new_workflow(&pilot, &ap_from, &ap_to).await;
        let plan = ap_admin.get(&format!("{}/upgradeplans", ap_admin.cluster(&pilot))).await;
        let plan_id = plan.body["items"]["metadata"]["uid"].as_str().unwrap_or(NIL_ID).to_string();

        for f in [Flavor::Cce, Flavor::Autopilot] {
            let me = Cce::new(&app, &t, f).as_caller(Caller::user(&viewer, &t.project_id));
            let (cid, w, v_from, v_to) = match f {
                Flavor::Cce => (id.as_str(), wf.as_str(), from.as_str(), to.as_str()),
                Flavor::Autopilot => (pilot.as_str(), ap_wf.as_str(), ap_from.as_str(), ap_to.as_str()),
            };
            let mut writes: Vec<(Method, String, Option<Value>)> = vec![
                (Method::POST, me.clusters(), Some(cluster_body(f, "viewer-made", None))),
                (Method::DELETE, me.cluster(cid), None),
                (Method::POST, me.workflows(cid), Some(workflow_body(cid, v_from, v_to))),
                (Method::PATCH, format!("{}/{w}", me.workflows(cid)), Some(json!({"status": {"phase": "Cancel"}}))),
                (Method::POST, me.op(cid, "precheck"), Some(precheck_body(cid, v_from, v_to, None))),
                (Method::POST, me.snapshot_path(cid, ""), None),
                (Method::POST, me.op(cid, "upgrade"), Some(upgrade_body(v_to, false))),
                (Method::POST, me.op(cid, "upgrade/retry"), None),
                (Method::POST, me.op(cid, "postcheck"), Some(postcheck_body(cid, v_from, v_to))),
            ];
            match f {
                Flavor::Cce => {
                    writes.push((Method::POST, me.op(cid, "upgrade/pause"), None));
                    writes.push((Method::POST, me.op(cid, "upgrade/continue"), None));
                    writes.push((Method::POST, format!("{}/nodepools/DefaultPool/operation/upgrade", me.cluster(cid)),
                                 Some(json!({"spec": {"nodePoolID": "DefaultPool"}}))));
                    writes.push((Method::POST, format!("{}/addons/precheck", me.cluster(cid)),
                                 Some(json!({"kind": "AddonCheck", "apiVersion": "v3", "spec": {"clusterID": cid, "addonList": []}}))));
                }
                Flavor::Autopilot => {
                    writes.push((Method::PUT, format!("{}/upgradeplans/{plan_id}", me.cluster(cid)),
                                 Some(json!({"notBefore": app.clock.now().format("%Y-%m-%d").to_string()}))));
                }
            }
            for (method, path, body) in writes {
                let r = me.send(method.clone(), &path, body.as_ref()).await;
                assert_cce_error(&r, 403);
            }
            // Reads are allowed.
            let mut reads = vec![me.clusters(), me.cluster(cid), format!("{}/upgradeinfo", me.cluster(cid)),
                                 me.workflows(cid), format!("{}/{w}", me.workflows(cid)), me.op(cid, "precheck/tasks"),
                                 me.snapshot_path(cid, "/tasks"), me.op(cid, "upgrade/tasks"),
                                 format!("{}/clusterupgradepaths", f.v3()), format!("{}/clusterupgradefeaturegates", f.v3()),
                                 format!("{}/feature-gates", f.v31())];
            match f {
                Flavor::Cce => reads.push(format!("{}/addons/precheck/tasks", me.cluster(cid))),
                Flavor::Autopilot => reads.push(format!("{}/upgradeplans", me.cluster(cid))),
            }
            for path in reads {
                let r = me.get(&path).await;
                assert_eq!(r.status, 200, "{path}: {}", r.text);
            }
        }
        // Nothing the viewer tried was written.
        for (c, cid, w) in [(&admin, &id, &wf), (&ap_admin, &pilot, &ap_wf)] {
            let r = c.get(&c.clusters()).await;
            assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
            assert_eq!(c.show(cid).await["status"]["phase"], "Available");
            assert_eq!(c.workflow(cid, w).await["status"]["phase"], "Init");
            assert_eq!(c.get(&c.op(cid, "precheck/tasks")).await.body["items"], json!([]));
            assert_eq!(c.get(&c.op(cid, "upgrade/tasks")).await.body["items"], json!([]));
        }
    }
}

/// workflow → precheck → snapshot → upgrade → postcheck → workflow Success, watching the points.
async fn guided_walk(app: &TestApp, f: Flavor) {
    let t = app.tenant("t1").await;
    let cce = Cce::new(app, &t, f);
    let (from, to) = cce.hop().await;
    let id = cce.available("walked", &from).await;
    let wf = cce.new_workflow(&id, &from, &to).await;

    // Precheck: the workflow starts Running and the point carries the task.
    let pre = cce.prechecked(&id, &from, &to).await;
    let w = cce.await_point(&id, &wf, "PreCheck", "Success").await;
    assert_eq!(w["status"]["phase"], "Running", "{w}");
    let p = point(&w, "PreCheck");
    assert_eq!(p["taskID"], pre, "{w}");
    for key in ["startTimeStamp", "endTimeStamp", "expireTimeStamp"] {
        assert!(p[key].as_str().is_some_and(|v| !v.is_empty()), "PreCheck {key}: {w}");
    }
    assert_eq!(point(&w, "Cluster"), &json!({"taskType": "Cluster"}), "{w}");
    assert_eq!(w["status"]["lineStatuses"], line_statuses());

    // Snapshot.
    let snap = cce.start_snapshot(&id).await;
    let item = cce.await_snapshot(&id, &snap).await;
    assert_eq!(item["status"]["phase"], "Success", "{item}");
    let r = cce.get(&cce.snapshot_path(&id, "/tasks")).await;
    assert_eq!(r.body["apiVersion"], "v3.1", "{}", r.text);
    assert!(r.body["status"]["latestBackupTime"].as_str().is_some_and(|v| !v.is_empty()), "{}", r.text);
    let w = cce.await_point(&id, &wf, "Snapshot", "Success").await;
    assert_eq!(point(&w, "Snapshot")["taskID"], snap, "{w}");

    // Upgrade: the Cluster task runs to Success and the cluster runs the target.
    let r = cce.upgrade(&id, &to).await;
    assert_ok(&r);
    assert!(same_version(s(&r.body["spec"]["clusterUpgradeAction"]["version"]), &from), "{}", r.text);
    let task = s(&r.body["metadata"]["uid"]).to_string();
    // Only one Cluster task at a time.
    // (409 while the first runs; 400 if it already finished and the cluster is at the target.)
    let again = cce.upgrade(&id, &to).await;
    assert!(again.status == 409 || again.status == 400, "{}", again.text);
    assert_cce_error(&again, again.status.as_u16());
    let done = cce.await_upgrade(&id, &task, &["Success", "Failed"]).await;
    assert_eq!(done["status"]["phase"], "Success", "{done}");
    assert_eq!(done["status"]["progress"], "100", "{done}");
    assert_eq!(done["kind"], "UpgradeTask");
    assert!(same_version(s(&done["spec"]["targetVersion"]), &to), "{done}");
    let c = cce.show(&id).await;
    assert_eq!(c["status"]["phase"], "Available", "{c}");
    assert!(same_version(s(&c["metadata"]["annotations"]["cce.ucsd.io/version"]), &to), "{c}");
    assert!(same_version(s(&c["spec"]["version"]), &to), "{c}");
    let w = cce.await_point(&id, &wf, "Cluster", "Success").await;
    assert_eq!(point(&w, "Cluster")["taskID"], task, "{w}");
    // On the critical line (the cluster upgraded, not yet checked) the workflow cannot be cancelled.
    assert_cce_error(&cce.patch_workflow(&id, &wf, "Cancel").await, 400);
    let info = cce.get(&format!("{}/upgradeinfo", cce.cluster(&id))).await;
    assert_eq!(info.body["spec"]["versionInfo"]["release"], c["spec"]["version"], "{}", info.text);

    // Postcheck: the workflow succeeds.
    let r = cce.postcheck(&id, &from, &to).await;
    assert_ok(&r);
    assert_eq!(r.body["spec"]["clusterID"], id, "{}", r.text);
    let post = s(&r.body["metadata"]["uid"]).to_string();
    let w = cce.await_point(&id, &wf, "PostCheck", "Success").await;
    assert_eq!(point(&w, "PostCheck")["taskID"], post, "{w}");
    let w = cce.await_workflow_phase(&id, &wf, "Success").await;
    for (kind, id) in [("PreCheck", &pre), ("Snapshot", &snap), ("Cluster", &task), ("PostCheck", &post)] {
        let p = point(&w, kind);
        assert_eq!(&p["taskID"], id, "{w}");
        assert_eq!(p["status"], "Success", "{w}");
        assert!(p["startTimeStamp"].as_str().is_some_and(|v| !v.is_empty()), "{kind}: {w}");
        assert!(p["endTimeStamp"].as_str().is_some_and(|v| !v.is_empty()), "{kind}: {w}");
    }
    // An ended workflow cannot be cancelled; a new one for the next hop (if any) may start.
    assert_cce_error(&cce.patch_workflow(&id, &wf, "Cancel").await, 400);
    let next = cce.targets_of(&to).await;
    if let Some(next) = next.first() {
        let version = cce.version(&id).await;
        cce.new_workflow(&id, &version, next).await;
        if f == Flavor::Autopilot {
            // A finished upgrade with a newer path records a new plan.
            let r = cce.get(&format!("{}/upgradeplans", cce.cluster(&id))).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert!(same_version(s(&r.body["items"]["spec"]["clusterVersion"]), &to), "{}", r.text);
        }
    }
}

/// Injected failures for clusters of given names (docs/upgrades.md, The simulated provider).
mod failures {
    use super::*;

    /// `broken-*` fail their master upgrade every time; `flaky-*` fail it more often than any task
    /// has attempts (so the task fails, and a retry goes on); `risky` reports precheck risks.
    const FAILURE_ENV: &[(&str, &str)] = &[(
        "UCS_SIMULATOR__FAILURES",
        "UpgradeMaster:broken-master:always,UpgradeMaster:broken-pilot:always,\
         UpgradeMaster:flaky-master:25,UpgradeMaster:flaky-pilot:25,precheck:risky:always",
    )];

    /// Retries a failing Cluster task until it succeeds (each run uses the task's attempts, whatever
    /// their number); asserts it failed at least once with a message.
    async fn retry_until_success(cce: &Cce<'_>, id: &str, task: &str) -> Value {
        for failures in 0..30 {
            let t = cce.await_upgrade(id, task, &["Success", "Failed"]).await;
            if t["status"]["phase"] == "Success" {
                assert!(failures > 0, "the injected failures failed the task at least once");
                return t;
            }
            assert!(t["status"]["message"].as_str().is_some_and(|m| !m.is_empty()), "the step's error: {t}");
            assert_ne!(t["status"]["progress"], "100", "{t}");
            let r = cce.post_empty(&cce.op(id, "upgrade/retry")).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        panic!("the task never succeeded");
    }

    upgrade_tests! {
        FAILURE_ENV;

        async fn a_step_that_keeps_failing_fails_the_task_and_the_workflow_waits(app: TestApp) {
            let t = app.tenant("t1").await;
            for (f, name) in [(Flavor::Cce, "broken-master"), (Flavor::Autopilot, "broken-pilot")] {
                let cce = Cce::new(&app, &t, f);
                let (from, to) = cce.hop().await;
                let id = cce.available(name, &from).await;
                let wf = cce.new_workflow(&id, &from, &to).await;
                cce.prechecked(&id, &from, &to).await;
                let task = cce.start_upgrade(&id, &to).await;
                let failed = cce.await_upgrade(&id, &task, &["Success", "Failed"]).await;
                assert_eq!(failed["status"]["phase"], "Failed", "{failed}");
                let message = s(&failed["status"]["message"]);
                assert!(message.contains("simulated"), "the step's error: {failed}");
                assert_ne!(failed["status"]["progress"], "100");
                let w = cce.await_point(&id, &wf, "Cluster", "Failed").await;
                assert_eq!(point(&w, "Cluster")["taskID"], task);
                assert_eq!(w["status"]["phase"], "Pending", "the newest task of a point failed: {w}");
                // Critical line: no cancel while the cluster is half upgraded.
                assert_cce_error(&cce.patch_workflow(&id, &wf, "Cancel").await, 400);
                // A retry runs the same task again, and fails again.
                assert!(same_version(&cce.version(&id).await, &from), "the cluster did not move");
                let r = cce.post_empty(&cce.op(&id, "upgrade/retry")).await;
                assert_eq!(r.status, 200, "{}", r.text);
                let again = cce.await_upgrade(&id, &task, &["Failed", "Success"]).await;
                assert_eq!(again["status"]["phase"], "Failed", "{again}");
                let r = cce.get(&cce.op(&id, "upgrade/tasks")).await;
                assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "a retry is the same task: {}", r.text);
            }
        }

        async fn a_retry_resumes_a_failed_upgrade_from_the_failed_step(app: TestApp) {
            let t = app.tenant("t1").await;
            for (f, name) in [(Flavor::Cce, "flaky-master"), (Flavor::Autopilot, "flaky-pilot")] {
                let cce = Cce::new(&app, &t, f);
                let (from, to) = cce.hop().await;
                let id = cce.available(name, &from).await;
                let wf = cce.new_workflow(&id, &from, &to).await;
                cce.prechecked(&id, &from, &to).await;
                let task = cce.start_upgrade(&id, &to).await;
                let done = retry_until_success(&cce, &id, &task).await;
                assert_eq!(done["status"]["progress"], "100", "{done}");
                assert!(same_version(&cce.version(&id).await, &to));
                let r = cce.get(&cce.op(&id, "upgrade/tasks")).await;
                assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "retries are the same task: {}", r.text);
                // Steps that succeeded were not carried out again.
                let effects = app.store.provider_effects(&id).await.unwrap();
                assert!(effects.iter().all(|(_, calls)| *calls == 1), "{effects:?}");
                // The workflow goes on: postcheck, then Success.
                cce.await_point(&id, &wf, "Cluster", "Success").await;
                assert_ok(&cce.postcheck(&id, &from, &to).await);
                cce.await_workflow_phase(&id, &wf, "Success").await;
            }
        }

        async fn injected_precheck_risks_fail_the_check_unless_skipped(app: TestApp) {
            let t = app.tenant("t1").await;
            let cce = Cce::new(&app, &t, Flavor::Cce);
            let (from, to) = cce.hop().await;
            let id = cce.available("risky", &from).await;
            let task = cce.start_precheck(&id, &from, &to, None).await;
            let p = cce.await_precheck(&id, &task).await;
            let items = check_items(&p["status"]);
            assert!(!items.is_empty(), "the injected risk is reported: {p}");
            let fatal: Vec<&Value> = items.iter().filter(|i| i["level"] == "Fatal").collect();
            if fatal.is_empty() {
                assert_eq!(p["status"]["phase"], "Success", "no Fatal finding: {p}");
            } else {
                assert_eq!(p["status"]["phase"], "Failed", "a Fatal finding fails it: {p}");
                // A failed precheck does not allow the upgrade.
                assert_cce_error(&cce.upgrade(&id, &to).await, 400);
                // Skipping the Fatal items by name lets it pass.
                let mut names: Vec<&str> = fatal.iter().map(|i| s(&i["name"])).collect();
                names.sort_unstable();
                names.dedup();
                let skipped: Vec<Value> = names.iter().map(|n| json!({"name": n})).collect();
                let task = cce.start_precheck(&id, &from, &to, Some(json!(skipped))).await;
                let p = cce.await_precheck(&id, &task).await;
                assert_eq!(p["status"]["phase"], "Success", "{p}");
                assert!(check_items(&p["status"]).iter().all(|i| !names.contains(&s(&i["name"]))), "{p}");
                cce.start_upgrade(&id, &to).await;
            }
        }
    }
}

/// The engine driven one step at a time, so a cancel or pause lands between given steps.
mod stepwise {
    use super::*;

    backend_tests! {
        async fn cancelling_a_workflow_stops_its_running_precheck(app: TestApp) {
            let t = app.tenant("t1").await;
            let cce = Cce::new(&app, &t, Flavor::Cce);
            let (from, to) = cce.hop().await;
            let id = cce.available("cancelled", &from).await;
            let wf = cce.new_workflow(&id, &from, &to).await;
            // Four checks, one a step: the cancel lands after the first.
            let task = cce.start_precheck(&id, &from, &to, None).await;
            assert!(app.step().await, "the precheck's first step runs");
            let running = cce.get(&cce.op(&id, &format!("precheck/tasks/{task}"))).await;
            assert_eq!(running.body["status"]["phase"], "Running", "{}", running.text);
            let r = cce.patch_workflow(&id, &wf, "Cancel").await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["status"]["phase"], "Cancel", "{}", r.text);
            let p = cce.await_precheck(&id, &task).await;
            assert_eq!(p["status"]["phase"], "Failed", "{p}");
            assert!(s(&p["status"]["message"]).contains("cancelled"), "{p}");
            // It stopped between steps: not every check ran, and its job ended cancelled.
            let effects = app.store.provider_effects(&id).await.unwrap();
            assert!(effects.iter().any(|(e, _)| e == "LimitCheck"), "{effects:?}");
            assert!(effects.iter().all(|(e, _)| e != "AddonCheck"), "{effects:?}");
            let jobs = app.store.job_list_for_resource("upgrade_task", &task).await.unwrap();
            assert_eq!(jobs[0].state, domain::job::JobState::Cancelled);
            // The cancelled workflow stays cancelled.
            assert_eq!(cce.workflow(&id, &wf).await["status"]["phase"], "Cancel");
        }

        async fn a_paused_upgrade_stops_at_a_step_boundary_and_continues_to_success(app: TestApp) {
            let t = app.tenant("t1").await;
            let cce = Cce::new(&app, &t, Flavor::Cce);
            let (from, to) = cce.hop().await;
            let id = cce.available("paused", &from).await;
            let wf = cce.new_workflow(&id, &from, &to).await;
            cce.prechecked(&id, &from, &to).await;
            let task = cce.start_upgrade(&id, &to).await;
            // Pause acts on a Running (or Queuing) task: one step makes it Running.
            assert!(app.step().await, "the upgrade's first step runs");
            let running = cce.upgrade_task(&id, &task).await;
            assert_eq!(running["status"]["phase"], "Running", "{running}");
            let r = cce.post_empty(&cce.op(&id, "upgrade/pause")).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body, json!({}), "{}", r.text);
            let paused = cce.await_upgrade(&id, &task, &["Pause", "Success", "Failed"]).await;
            assert_eq!(paused["status"]["phase"], "Pause", "{paused}");
            assert_ne!(paused["status"]["progress"], "100", "{paused}");
            // Paused means stopped: with every due job run, the task stays paused and the cluster keeps
            // its version.
            app.settle().await;
            let still = cce.upgrade_task(&id, &task).await;
            assert_eq!(still["status"]["phase"], "Pause", "{still}");
            assert_eq!(still["status"]["progress"], paused["status"]["progress"], "{still}");
            assert!(same_version(&cce.version(&id).await, &from));
            // While paused: no second pause, no retry, no second upgrade, no cancel on the critical line.
            assert_cce_error(&cce.post_empty(&cce.op(&id, "upgrade/pause")).await, 400);
            assert_cce_error(&cce.post_empty(&cce.op(&id, "upgrade/retry")).await, 400);
            assert_cce_error(&cce.upgrade(&id, &to).await, 409);
            assert_cce_error(&cce.patch_workflow(&id, &wf, "Cancel").await, 400);
            // Continue: on it goes, from where it stopped.
            let r = cce.post_empty(&cce.op(&id, "upgrade/continue")).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_cce_error(&cce.post_empty(&cce.op(&id, "upgrade/continue")).await, 400);
            let done = cce.await_upgrade(&id, &task, &["Success", "Failed"]).await;
            assert_eq!(done["status"]["phase"], "Success", "{done}");
            assert_eq!(done["status"]["progress"], "100", "{done}");
            assert!(same_version(&cce.version(&id).await, &to));
            let effects = app.store.provider_effects(&id).await.unwrap();
            assert!(effects.iter().all(|(_, calls)| *calls == 1), "no step ran twice: {effects:?}");
            let w = cce.await_point(&id, &wf, "Cluster", "Success").await;
            assert_eq!(point(&w, "Cluster")["taskID"], task);
        }

        async fn a_cancel_or_pause_asked_while_a_worker_holds_the_task_takes_effect_before_its_next_step(app: TestApp) {
            let t = app.tenant("t1").await;
            let cce = Cce::new(&app, &t, Flavor::Cce);
            let (from, to) = cce.hop().await;
            let id = cce.available("signalled", &from).await;
            let wf = cce.new_workflow(&id, &from, &to).await;
            let lease = i64::try_from(app.config.engine().lease.as_millis()).unwrap();
            // A worker claims the precheck and dies mid-step: the cancel can only be a signal.
            let task = cce.start_precheck(&id, &from, &to, None).await;
            app.store.job_claim("a-worker-that-died", lease).await.unwrap().expect("the precheck is due");
            let r = cce.patch_workflow(&id, &wf, "Cancel").await;
            assert_eq!(r.status, 200, "{}", r.text);
            let p = cce.get(&cce.op(&id, &format!("precheck/tasks/{task}"))).await;
            assert_ne!(p.body["status"]["phase"], "Failed", "not yet in effect: {}", p.text);
            // The worker that takes the job over honours it before running a check.
            let p = cce.await_precheck(&id, &task).await;
            assert_eq!(p["status"]["phase"], "Failed", "{p}");
            assert!(s(&p["status"]["message"]).contains("cancelled"), "{p}");
            assert!(app.store.provider_effects(&id).await.unwrap().iter().all(|(e, _)| e == "CreateCluster"), "no check ran");
            let jobs = app.store.job_list_for_resource("upgrade_task", &task).await.unwrap();
            assert_eq!(jobs[0].state, domain::job::JobState::Cancelled);

            // The same for a pause of the upgrade.
            cce.new_workflow(&id, &from, &to).await;
            cce.prechecked(&id, &from, &to).await;
            let task = cce.start_upgrade(&id, &to).await;
            app.store.job_claim("another-worker-that-died", lease).await.unwrap().expect("the upgrade is due");
            let r = cce.post_empty(&cce.op(&id, "upgrade/pause")).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let paused = cce.await_upgrade(&id, &task, &["Pause"]).await;
            assert_eq!(paused["status"]["progress"], "0", "it stopped before its first step: {paused}");
            let r = cce.post_empty(&cce.op(&id, "upgrade/continue")).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let done = cce.await_upgrade(&id, &task, &["Success"]).await;
            assert_eq!(done["status"]["progress"], "100", "{done}");
            let effects = app.store.provider_effects(&id).await.unwrap();
            assert!(effects.iter().all(|(_, calls)| *calls == 1), "no step ran twice: {effects:?}");
        }

        async fn concurrent_upgrades_start_one_cluster_task(app: TestApp) {
            let t = app.tenant("t1").await;
            for f in [Flavor::Cce, Flavor::Autopilot] {
                let cce = Cce::new(&app, &t, f);
                let (from, to) = cce.hop().await;
                let id = cce.available("racing", &from).await;
                cce.prechecked(&id, &from, &to).await;
                let calls = (0..8).map(|_| cce.upgrade(&id, &to));
                let results = futures::future::join_all(calls).await;
                assert_eq!(results.iter().filter(|r| r.status.is_success()).count(), 1, "{results:?}");
                for r in results.iter().filter(|r| !r.status.is_success()) {
                    assert_cce_error(r, 409);
                }
                let r = cce.get(&cce.op(&id, "upgrade/tasks")).await;
                assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
                let task = s(&r.body["items"][0]["metadata"]["uid"]).to_string();
                let done = cce.await_upgrade(&id, &task, &["Success", "Failed"]).await;
                assert_eq!(done["status"]["phase"], "Success", "{done}");
            }
        }
    }
}

/// A configured precheck lifetime (`upgrade.precheck_ttl_secs`).
mod short_ttl {
    use super::*;

    const TTL_ENV: &[(&str, &str)] = &[("UCS_UPGRADE__PRECHECK_TTL_SECS", "600")];

    upgrade_tests! {
        TTL_ENV;

        async fn a_precheck_expires_after_the_configured_ttl(app: TestApp) {
            let t = app.tenant("t1").await;
            let cce = Cce::new(&app, &t, Flavor::Cce);
            let (from, to) = cce.hop().await;
            let a = cce.available("short-lived-a", &from).await;
            let b = cce.available("short-lived-b", &from).await;
            let wf = cce.new_workflow(&a, &from, &to).await;
            let task = cce.prechecked(&a, &from, &to).await;
            cce.prechecked(&b, &from, &to).await;
            let w = cce.await_point(&a, &wf, "PreCheck", "Success").await;
            let p = point(&w, "PreCheck");
            assert_eq!(p["taskID"], task);
            if let (Some(end), Some(expire)) =
                (p["endTimeStamp"].as_str().and_then(parse_time), p["expireTimeStamp"].as_str().and_then(parse_time))
            {
                let lifetime = (expire - end).num_seconds();
                assert!((599..=601).contains(&lifetime), "expires precheck_ttl_secs after it ended: {w}");
            }
            // Half way through its lifetime a precheck still allows the upgrade...
            app.clock.advance(chrono::Duration::seconds(300));
            let upgrade = cce.start_upgrade(&a, &to).await;
            cce.await_upgrade(&a, &upgrade, &["Success", "Failed"]).await;
            // ...past it, no longer.
            app.clock.advance(chrono::Duration::seconds(310));
            let r = cce.upgrade(&b, &to).await;
            assert_cce_error(&r, 400);
            assert!(r.body["error_msg"].as_str().unwrap().to_lowercase().contains("check"), "{}", r.text);
        }
    }
}
