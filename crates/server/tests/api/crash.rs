//! Durability of workflows: a real `ucsd` process is killed with SIGKILL again and again while it
//! enables federation or upgrades a cluster, restarted each time, and the workflow still finishes with
//! every side effect carried out exactly once. The jobs run in that process on the wall clock, so these
//! tests (alone) wait in real time.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use domain::clock::ShiftedClock;
use serde_json::{json, Value};

use crate::{
    clusters::attached,
    harness::{client_of, test_env, Backend, TestApp},
};

/// With the default lease and poll interval, a job whose replica was killed mid-step is taken over by
/// the other replica within 10 s (the lease, renewed every third of it while the step ran, plus at
/// most one poll interval of the survivor). The figure is printed; `docs/performance.md` records it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_replicas_job_is_taken_over_within_ten_seconds_with_the_default_lease() {
    // Steps of 20 s: the step is surely under way when its replica dies.
    let default_poll = [("UCS_WORKER__POLL_INTERVAL_MILLIS", "1000")];
    let (mut first, app) = server_and_client_with(Backend::Postgres, "20000", &default_poll).await;
    assert_eq!(app.config.worker.lease_millis, 6000, "the default lease");
    let t = app.tenant("t1").await;
    let cluster = app.register(&t, &attached("takeover")).await;
    let jobs = || app.store.job_list_for_resource("cluster", &cluster);
    // The first replica claims the activation; the second joins once it is under way.
    while jobs().await.unwrap()[0].state != domain::job::JobState::Running {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut second = first.another();
    second.start();
    second.wait_ready().await;
    // Let a heartbeat or two pass, so the lease was renewed after the claim.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let claimed_by = jobs().await.unwrap()[0].lease_owner.clone();
    first.kill_9();
    let killed = std::time::Instant::now();
    let taken_over = loop {
        let job = &jobs().await.unwrap()[0];
        if job.attempts == 2 && job.state == domain::job::JobState::Running {
            assert_ne!(job.lease_owner, claimed_by, "another worker holds it");
            break killed.elapsed();
        }
        assert!(killed.elapsed() < Duration::from_secs(30), "not taken over: {job:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!("takeover after kill -9 with the default lease: {:.2} s", taken_over.as_secs_f64());
    assert!(taken_over <= Duration::from_secs(10), "taken over after {taken_over:?}");
}

/// A `ucsd serve` child process that can be killed and started again on the same database.
struct Server {
    env: Vec<(String, String)>,
    address: String,
    log: PathBuf,
    child: Option<Child>,
}

impl Server {
    fn start(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_ucsd"))
            .args(["serve", "--listen", &self.address, "--no-bootstrap"])
            .env_clear()
            .envs(self.env.iter().cloned())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start ucsd");
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown, no lease released, whatever step is under way stops where it is.
    fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Kills the server `times` times, each while one of the workflow's `jobs` is running (so the kill
    /// lands inside a step and its lease is lost), restarting it after each; returns how many kills
    /// landed before the workflow ended.
    async fn kill_inside_steps(
        &mut self,
        times: usize,
        jobs: impl AsyncFn() -> Vec<domain::job::Job>,
    ) -> usize {
        use domain::job::JobState;
        // The claims already killed: after a restart their jobs look running until the lease runs out.
        let mut killed = Vec::new();
        for kill in 0..times {
            loop {
                let jobs = jobs().await;
                if jobs.iter().all(|j| j.state.is_terminal()) {
                    return kill;
                }
                let fresh = jobs
                    .iter()
                    .find(|j| j.state == JobState::Running && !killed.contains(&(j.id, j.attempts)));
                if let Some(claim) = fresh {
                    killed.push((claim.id, claim.attempts));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            self.kill_9();
            self.start();
            self.wait_ready().await;
        }
        times
    }

    async fn wait_ready(&self) {
        let url = format!("http://{}/readyz", self.address);
        for _ in 0..200 {
            if reqwest::get(&url).await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("ucsd did not become ready: {}", std::fs::read_to_string(&self.log).unwrap_or_default());
    }
}

impl Server {
    /// Another server of the same deployment (same database and keys; its own address and log).
    fn another(&self) -> Server {
        let log = self.log.with_extension("second.log");
        Server { env: self.env.clone(), address: free_address(), log, child: None }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill_9();
    }
}

fn free_address() -> String {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string()
}

async fn server_and_client(backend: Backend) -> (Server, TestApp) {
    // Slow steps, so the kills land inside the workflow; short leases, so a killed worker's job is
    // taken over soon after the restart.
    let worker = [("UCS_WORKER__LEASE_MILLIS", "1000"), ("UCS_WORKER__POLL_INTERVAL_MILLIS", "100")];
    server_and_client_with(backend, "250", &worker).await
}

/// A server process with `step_millis` simulated steps and these worker settings, and a client.
async fn server_and_client_with(
    backend: Backend,
    step_millis: &str,
    worker: &[(&str, &str)],
) -> (Server, TestApp) {
    let dir = std::env::temp_dir().join(format!("ucsd-crash-{}", domain::ids::random_uuid().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("ucsd.db").display()),
        Backend::Postgres => store_pg::testing::fresh_schema_url().await,
    };
    let key = secrets::MasterKey::generate().to_base64();
    let mut extra = vec![
        ("UCS_DATABASE__URL", url.as_str()),
        ("UCS_SIMULATOR__STEP_MILLIS", step_millis),
        ("UCS_LOG__FORMAT", "json"),
    ];
    extra.extend_from_slice(worker);
    let mut env = test_env(&key, &extra);
    env.push(("PATH".into(), std::env::var("PATH").unwrap_or_default()));
    let clock = ShiftedClock::default();
    let store = match backend {
        Backend::Sqlite => store_sqlite::open(&url, 4, Arc::new(clock.clone())).await.unwrap(),
        Backend::Postgres => store_pg::open(&url, 4, Arc::new(clock.clone())).await.unwrap(),
    };
    store.migrate().await.unwrap();
    let mut client = client_of(store, clock, &key, &extra).await;
    let address = free_address();
    client.url = format!("http://{address}");
    client.host = address.clone();
    let mut server = Server { env, address, log: dir.join("ucsd.log"), child: None };
    server.start();
    server.wait_ready().await;
    (server, client)
}

async fn federation_survives_repeated_kill_9(backend: Backend) {
    let (mut server, app) = server_and_client(backend).await;
    let t = app.tenant("t1").await;
    let mut clusters = Vec::new();
    for name in ["m1", "m2", "m3"] {
        clusters.push(app.register(&t, &attached(name)).await);
    }
    for id in &clusters {
        app.await_phase(&t, id, "Available").await;
    }
    let members: Vec<&str> = clusters.iter().map(String::as_str).collect();
    let fleet = app.fleet(&t, "crash-fleet", &members).await;
    let r = app.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await;
    assert_eq!(r.status, 201, "{}", r.text);

    // Seven steps of 250 ms: kill inside five of them, restarting each time.
    let kills = server
        .kill_inside_steps(5, async || {
            let jobs = app.store.job_list_for_resource("fleet", &fleet).await.unwrap();
            let enable = jobs.iter().find(|j| j.kind.as_str() == "federation.enable").unwrap();
            let mut all = app.store.job_subjobs(enable.id).await.unwrap();
            all.push(enable.clone());
            all
        })
        .await;
    assert!(kills >= 2, "only {kills} kills landed inside a step");

    let progress = await_success(&app, &t, &fleet).await;
    let steps = progress["spec"]["subJobs"].as_array().unwrap();
    assert_eq!(steps.len(), 7);
    assert!(steps.iter().all(|s| s["status"]["phase"] == "Success"), "{progress}");
    // Every effect exactly once, however often it was asked for.
    let fleet_effects: Vec<String> =
        app.store.provider_effects(&fleet).await.unwrap().into_iter().map(|e| e.0).collect();
    assert_eq!(
        fleet_effects,
        ["CreateCert", "CreateNode", "CreateNetworkResource", "InstallFederationChart"]
    );
    for id in &clusters {
        let effects: Vec<String> =
            app.store.provider_effects(id).await.unwrap().into_iter().map(|e| e.0).collect();
        assert_eq!(effects, ["ActivateCluster", "JoinCluster"], "{id}");
    }
    // The kills did land inside the workflow: a job was taken over after a lost lease.
    let claims = enable_claims(&app, &fleet).await;
    assert!(claims > UNHINDERED_ENABLE_CLAIMS, "claimed {claims} times");
    let f = app.fleet_json(&t, &fleet).await;
    assert_eq!(f["status"]["conditions"][0]["status"], "Available");
    // Nothing accepted was lost: the tenant, clusters and fleet are all there.
    assert_eq!(app.cluster_count(&t).await, 3);
}

/// How often a 3-member enable's jobs are claimed when nothing goes wrong: each of its 7 steps once,
/// and the workflow once per stage (5) and once to finish.
const UNHINDERED_ENABLE_CLAIMS: i64 = 13;

/// How often the fleet's enable workflow and its steps were claimed, all told.
async fn enable_claims(app: &TestApp, fleet: &str) -> i64 {
    let jobs = app.store.job_list_for_resource("fleet", fleet).await.unwrap();
    let enable = jobs.iter().find(|j| j.kind.as_str() == "federation.enable").unwrap();
    let steps = app.store.job_subjobs(enable.id).await.unwrap();
    enable.attempts + steps.iter().map(|s| s.attempts).sum::<i64>()
}

async fn await_success(app: &TestApp, t: &server::admin::TenantCredentials, fleet: &str) -> Value {
    await_body(app, t, &format!("/v1/clustergroups/{fleet}/federations/progress"), |p| {
        p["status"]["phase"] == "Success"
    })
    .await
}

/// GETs `path` until `done` holds for its body.
async fn await_body(
    app: &TestApp,
    t: &server::admin::TenantCredentials,
    path: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    app.eventually(path, async || {
        let r = app.get(path).signed(t).send().await;
        if r.status == 200 && done(&r.body) {
            Ok(r.body)
        } else {
            Err(r.text)
        }
    })
    .await
}

async fn upgrade_survives_repeated_kill_9(backend: Backend) {
    let (mut server, app) = server_and_client(backend).await;
    let t = app.tenant("t1").await;
    let clusters = format!("/api/v3/projects/{}/clusters", t.project_id);
    let body = json!({"metadata": {"name": "crashy"}, "spec": {"flavor": "cce.s1.small", "version": "v1.28",
        "hostNetwork": {"vpc": "v", "subnet": "s"}}});
    let r = app.post(&clusters).json(&body).signed(&t).send().await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["metadata"]["uid"].as_str().unwrap().to_string();
    let cluster = format!("{clusters}/{id}");
    await_body(&app, &t, &cluster, |c| c["status"]["phase"] == "Available").await;
    let spec = json!({"clusterID": id, "clusterVersion": "v1.28", "targetVersion": "v1.29"});
    let r = app
        .post(&format!("{cluster}/operation/precheck"))
        .json(&json!({"spec": spec}))
        .signed(&t)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let precheck = r.body["metadata"]["uid"].as_str().unwrap().to_string();
    await_body(&app, &t, &format!("{cluster}/operation/precheck/tasks/{precheck}"), |p| {
        p["status"]["phase"] == "Success"
    })
    .await;
    let upgrade = json!({"spec": {"clusterUpgradeAction": {"targetVersion": "v1.29"}}});
    let r = app.post(&format!("{cluster}/operation/upgrade")).json(&upgrade).signed(&t).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    let task = r.body["metadata"]["uid"].as_str().unwrap().to_string();

    // Steps of 250 ms: kill inside four of them, restarting each time.
    let kills = server
        .kill_inside_steps(4, async || app.store.job_list_for_resource("upgrade_task", &task).await.unwrap())
        .await;
    assert!(kills >= 2, "only {kills} kills landed inside a step");

    let done = await_body(&app, &t, &format!("{cluster}/operation/upgrade/tasks/{task}"), |t| {
        t["status"]["phase"] == "Success"
    })
    .await;
    assert_eq!(done["status"]["progress"], "100");
    let c = await_body(&app, &t, &cluster, |c| c["status"]["phase"] == "Available").await;
    assert_eq!(c["spec"]["version"], "v1.29");
    // Every effect exactly once, however often it was asked for.
    let effects: Vec<String> =
        app.store.provider_effects(&id).await.unwrap().into_iter().map(|e| e.0).collect();
    assert_eq!(
        effects,
        [
            "CreateCluster",
            "LimitCheck",
            "MasterCheck",
            "NodeCheck",
            "AddonCheck",
            "UpgradeMaster",
            "UpgradeAddons",
            "UpgradeNodePool:DefaultPool",
            "Finish"
        ]
    );
    // The kills did land inside the task: its job was claimed more often than its four steps.
    let jobs = app.store.job_list_for_resource("upgrade_task", &task).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].attempts > 5, "claimed {} times", jobs[0].attempts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrade_survives_repeated_kill_9_of_its_server() {
    upgrade_survives_repeated_kill_9(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_upgrade_survives_repeated_kill_9_of_its_server() {
    upgrade_survives_repeated_kill_9(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_federation_survives_repeated_kill_9_of_its_server() {
    federation_survives_repeated_kill_9(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_federation_survives_repeated_kill_9_of_its_server() {
    federation_survives_repeated_kill_9(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_drain_one_queue_without_running_a_job_twice() {
    let (mut first, app) = server_and_client(Backend::Postgres).await;
    let mut second = first.another();
    let t = app.tenant("t1").await;
    let domain: domain::ids::DomainId = t.domain_id.parse().unwrap();
    // Stop the first server while the queue fills, then let both loose on it at once.
    first.kill_9();
    let mut tx = app.store.begin().await.unwrap();
    for i in 0..400 {
        let job = domain::job::NewJob::new(domain::job::JobKind::Noop, domain, "bench", i);
        tx.job_enqueue(job, domain::Error::new(domain::error::ucs::SERVER_INTERNAL_ERROR)).await.unwrap();
    }
    tx.commit().await.unwrap();
    first.start();
    second.start();
    first.wait_ready().await;
    second.wait_ready().await;
    app.eventually("the two processes to drain the queue", async || {
        let done: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'noop' AND state = 'succeeded'")
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        if done == 400 {
            Ok(())
        } else {
            Err(format!("{done} of 400 done"))
        }
    })
    .await;
    let twice: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'noop' AND attempts <> 1")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(twice, 0, "no job was claimed twice");
}

/// Points the client at one replica.
fn aim(app: &mut TestApp, address: &str) {
    app.host = address.to_string();
    app.url = format!("http://{address}");
}

/// Two `ucsd` processes of one deployment on one Postgres: requests go to both, workflows started on
/// the first are finished by the second after the first is killed, and quotas hold across both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_requests_and_the_survivor_finishes_the_workflows_of_a_killed_one() {
    let (mut first, mut app) = server_and_client(Backend::Postgres).await;
    let mut second = first.another();
    second.start();
    second.wait_ready().await;
    let addresses = [first.address.clone(), second.address.clone()];
    let t = app.tenant("t1").await;
    // Requests alternate between the replicas; what one accepted the other serves.
    let mut clusters = Vec::new();
    for (i, name) in ["r1", "r2", "r3"].into_iter().enumerate() {
        aim(&mut app, &addresses[i % 2]);
        clusters.push(app.register(&t, &attached(name)).await);
    }
    for (i, id) in clusters.iter().enumerate() {
        aim(&mut app, &addresses[(i + 1) % 2]);
        app.await_phase(&t, id, "Available").await;
    }
    aim(&mut app, &addresses[0]);
    let members: Vec<&str> = clusters.iter().map(String::as_str).collect();
    let fleet = app.fleet(&t, "handoff-fleet", &members).await;
    let cce = format!("/api/v3/projects/{}/clusters", t.project_id);
    let body = json!({"metadata": {"name": "handoff"}, "spec": {"flavor": "cce.s1.small", "version": "v1.28",
        "hostNetwork": {"vpc": "v", "subnet": "s"}}});
    let r = app.post(&cce).json(&body).signed(&t).send().await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["metadata"]["uid"].as_str().unwrap().to_string();
    let cluster = format!("{cce}/{id}");
    await_body(&app, &t, &cluster, |c| c["status"]["phase"] == "Available").await;
    let spec = json!({"clusterID": id, "clusterVersion": "v1.28", "targetVersion": "v1.29"});
    let r = app
        .post(&format!("{cluster}/operation/precheck"))
        .json(&json!({"spec": spec}))
        .signed(&t)
        .send()
        .await;
    let precheck = r.body["metadata"]["uid"].as_str().unwrap().to_string();
    await_body(&app, &t, &format!("{cluster}/operation/precheck/tasks/{precheck}"), |p| {
        p["status"]["phase"] == "Success"
    })
    .await;

    // Both workflows start on the first replica (the second stops its workers meanwhile)...
    second.kill_9();
    let r = app.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await;
    assert_eq!(r.status, 201, "{}", r.text);
    let upgrade = json!({"spec": {"clusterUpgradeAction": {"targetVersion": "v1.29"}}});
    let r = app.post(&format!("{cluster}/operation/upgrade")).json(&upgrade).signed(&t).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    let task = r.body["metadata"]["uid"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(400)).await;
    // ...which dies mid-step; the second takes both over once their leases run out.
    first.kill_9();
    second.start();
    second.wait_ready().await;
    aim(&mut app, &addresses[1]);
    let progress = await_success(&app, &t, &fleet).await;
    assert!(progress["spec"]["subJobs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"]["phase"] == "Success"));
    let done = await_body(&app, &t, &format!("{cluster}/operation/upgrade/tasks/{task}"), |t| {
        t["status"]["phase"] == "Success"
    })
    .await;
    assert_eq!(done["status"]["progress"], "100");
    // Each effect of the cluster's creation, precheck and upgrade was carried out once.
    let effects: Vec<String> =
        app.store.provider_effects(&id).await.unwrap().into_iter().map(|e| e.0).collect();
    assert_eq!(
        effects,
        [
            "CreateCluster",
            "LimitCheck",
            "MasterCheck",
            "NodeCheck",
            "AddonCheck",
            "UpgradeMaster",
            "UpgradeAddons",
            "UpgradeNodePool:DefaultPool",
            "Finish"
        ]
    );
    // Both were taken over mid-step: a step of each ran again (one claim per step otherwise).
    let upgrade_jobs = app.store.job_list_for_resource("upgrade_task", &task).await.unwrap();
    assert!(upgrade_jobs[0].attempts > 4, "claimed {} times", upgrade_jobs[0].attempts);
    let claims = enable_claims(&app, &fleet).await;
    assert!(claims > UNHINDERED_ENABLE_CLAIMS, "claimed {claims} times");

    // Quotas hold across both replicas: concurrent registrations on both stop at the quota.
    first.start();
    first.wait_ready().await;
    let quota = app.config.quotas.clusters;
    let key = secrets::MasterKey::generate().to_base64();
    let mut other = client_of(app.store.clone(), app.clock.clone(), &key, &[]).await;
    aim(&mut other, &addresses[1]);
    aim(&mut app, &addresses[0]);
    let names: Vec<String> = (0..quota + 6).map(|i| format!("q{i}")).collect();
    let calls = names.iter().enumerate().map(|(i, name)| {
        let replica = if i % 2 == 0 { &app } else { &other };
        replica.post("/v1/clusters").json(&attached(name)).signed(&t).send()
    });
    let accepted = futures::future::join_all(calls).await.iter().filter(|r| r.status == 201).count() as i64;
    assert_eq!(accepted, quota - 3, "3 clusters existed");
    assert_eq!(app.cluster_count(&t).await, quota);
}
