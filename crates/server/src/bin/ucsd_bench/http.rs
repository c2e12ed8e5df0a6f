//! `ucsd serve` on Postgres under signed API traffic, and pgbench on the same Postgres.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::http::Method;
use domain::clock::SystemClock;
use store::Store;

use crate::{
    client::{attached, Client, Signer},
    process::Serve,
};

/// A fresh deployment: a new Postgres schema, a tenant with `clusters` attached clusters registered
/// through the API (activated by the server's workers), and `ucsd serve` on it.
pub struct Deployment {
    pub serve: Serve,
    pub store: Store,
    pub client: Client,
    /// The schema's URL (for pgbench on the same tables).
    pub url: String,
    pub signer: Signer,
    sealer: secrets::Keyring,
    /// How `serve` was started (for a replica beside it).
    env: Vec<(&'static str, String)>,
    ucsd: PathBuf,
}

impl Deployment {
    /// Another `ucsd serve` on the same database and master key, with `extra` settings, and a client
    /// of it signing as the bench's tenant.
    pub async fn replica(&self, extra: &[(&'static str, String)]) -> anyhow::Result<(Serve, Client)> {
        let env: Vec<(&str, String)> = self.env.iter().chain(extra).cloned().collect();
        let serve = Serve::start(&self.ucsd, &env)?;
        serve.wait_ready(Duration::from_secs(30)).await?;
        let client = Client::new(&serve.host, self.signer.clone());
        Ok((serve, client))
    }

    /// `n` more tenants (as `ucsd admin tenant create`), a client for each.
    pub async fn tenant_clients(&self, n: usize) -> anyhow::Result<Vec<Client>> {
        let mut clients = Vec::new();
        for i in 0..n {
            let creds =
                server::admin::tenant_create(&self.store, &self.sealer, &format!("bench-{i}"), "cn-north-4")
                    .await?;
            let signer = Signer {
                access_key: creds.access_key,
                secret_key: creds.secret_key,
                domain_id: creds.domain_id,
            };
            clients.push(Client::new(&self.serve.host, signer));
        }
        Ok(clients)
    }
}

pub async fn deploy(ucsd: &PathBuf, database_url: &str, clusters: usize) -> anyhow::Result<Deployment> {
    let url = crate::fresh_pg_schema(database_url).await;
    let store = store_pg::open(&url, 4, Arc::new(SystemClock)).await?;
    store.migrate().await?;
    let key = secrets::MasterKey::generate();
    let creds =
        server::admin::tenant_create(&store, &secrets::Keyring::new(key.clone()), "bench", "cn-north-4")
            .await?;
    let env = vec![
        ("UCS_DATABASE__URL", url.clone()),
        ("UCS_SECURITY__MASTER_KEY", key.to_base64()),
        // The write runs register and unregister clusters without end: no quota in the way.
        ("UCS_QUOTAS__CLUSTERS", "100000000".to_string()),
    ];
    let serve = Serve::start(ucsd, &env)?;
    serve.wait_ready(Duration::from_secs(30)).await?;
    let signer =
        Signer { access_key: creds.access_key, secret_key: creds.secret_key, domain_id: creds.domain_id };
    let client = Client::new(&serve.host, signer.clone());
    for i in 0..clusters {
        let r = client.send(Method::POST, "/v1/clusters", Some(&attached(&format!("seed-{i}")))).await;
        anyhow::ensure!(r.status == 201, "registering a cluster: {} {}", r.status, r.text());
    }
    // Let the activations finish so that the measurements do not share the cores with them.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let busy: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'running')")
            .fetch_one(store.pool())
            .await?;
        if busy == 0 {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "{busy} activation jobs did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Deployment {
        serve,
        store,
        client,
        url,
        signer,
        sealer: secrets::Keyring::new(key.clone()),
        env,
        ucsd: ucsd.clone(),
    })
}

/// Requests per second of `clients` concurrent loops of `op` (which returns the requests it made and
/// whether they all succeeded), after a warm-up, with the first few failures.
pub struct Throughput {
    pub requests: u64,
    pub errors: u64,
    pub secs: f64,
    pub first_errors: Vec<String>,
}

impl Throughput {
    pub fn per_sec(&self) -> f64 {
        self.requests as f64 / self.secs
    }
}

type OpFuture = std::pin::Pin<Box<dyn std::future::Future<Output = (u64, Result<(), String>)> + Send>>;

pub async fn measure(
    clients: usize,
    warmup: Duration,
    secs: Duration,
    op: Arc<dyn Fn(usize, u64) -> OpFuture + Send + Sync>,
) -> Throughput {
    let requests = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let counting = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let first_errors = Arc::new(std::sync::Mutex::new(Vec::new()));
    let end = Instant::now() + warmup + secs;
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (op, requests, errors, counting, first_errors) =
                (op.clone(), requests.clone(), errors.clone(), counting.clone(), first_errors.clone());
            tokio::spawn(async move {
                let mut i = 0u64;
                while Instant::now() < end {
                    let (n, result) = op(c, i).await;
                    i += 1;
                    if counting.load(Ordering::Relaxed) {
                        requests.fetch_add(n, Ordering::Relaxed);
                        if let Err(e) = result {
                            errors.fetch_add(1, Ordering::Relaxed);
                            let mut first = first_errors.lock().unwrap();
                            if first.len() < 5 {
                                first.push(e);
                            }
                        }
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(warmup).await;
    counting.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(secs).await;
    // Requests still in flight at the end count when they finish; their time is within the loop's.
    for t in tasks {
        let _ = t.await;
    }
    let secs = started.elapsed().as_secs_f64();
    let first_errors = first_errors.lock().unwrap().clone();
    Throughput {
        requests: requests.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        secs,
        first_errors,
    }
}

/// `GET path` (e.g. `/v1/clusters`) in a loop on every client.
pub fn reads(client: &Client, path: &str) -> Arc<dyn Fn(usize, u64) -> OpFuture + Send + Sync> {
    let client = client.clone();
    let path = path.to_string();
    Arc::new(move |_, _| {
        let (client, path) = (client.clone(), path.clone());
        Box::pin(async move {
            let r = client.get(&path).await;
            if r.status == 200 {
                (1, Ok(()))
            } else {
                (1, Err(format!("GET {path}: {} {}", r.status, r.text())))
            }
        })
    })
}

/// `GET path` with `If-None-Match: etag` in a loop on every client: each must answer `304`.
pub fn not_modified(
    client: &Client,
    path: &str,
    etag: &str,
) -> Arc<dyn Fn(usize, u64) -> OpFuture + Send + Sync> {
    let client = client.clone();
    let (path, etag) = (path.to_string(), etag.to_string());
    Arc::new(move |_, _| {
        let (client, path, etag) = (client.clone(), path.clone(), etag.clone());
        Box::pin(async move {
            let r = client.send_with(Method::GET, &path, None, Some(&etag)).await;
            if r.status == 304 {
                (1, Ok(()))
            } else {
                (1, Err(format!("GET {path} If-None-Match: {} {}", r.status, r.text())))
            }
        })
    })
}

/// Nine `GET path` and one write in every ten requests, all in `client`'s tenant: a registration in
/// one round of ten, the unregistration of that cluster in the next.
pub fn mix(client: &Client, path: &str, clients: usize) -> Arc<dyn Fn(usize, u64) -> OpFuture + Send + Sync> {
    let client = client.clone();
    let path = path.to_string();
    let run = domain::ids::random_uuid().simple().to_string()[..8].to_string();
    let created: Arc<Vec<std::sync::Mutex<Option<String>>>> =
        Arc::new((0..clients).map(|_| std::sync::Mutex::new(None)).collect());
    Arc::new(move |c, i| {
        let (client, path, created) = (client.clone(), path.clone(), created.clone());
        let name = format!("m-{run}-{c}-{i}");
        Box::pin(async move {
            if i % 10 != 9 {
                let r = client.get(&path).await;
                return if r.status == 200 {
                    (1, Ok(()))
                } else {
                    (1, Err(format!("GET {path}: {}", r.status)))
                };
            }
            let mine = created[c].lock().unwrap().take();
            let r = match mine {
                Some(id) => client.send(Method::DELETE, &format!("/v1/clusters/{id}"), None).await,
                None => {
                    let r = client.send(Method::POST, "/v1/clusters", Some(&attached(&name))).await;
                    if r.status == 201 {
                        *created[c].lock().unwrap() = r.json()["uid"].as_str().map(str::to_string);
                    }
                    r
                }
            };
            if matches!(r.status, 200 | 201) {
                (1, Ok(()))
            } else {
                (1, Err(format!("write: {} {}", r.status, r.text())))
            }
        })
    })
}

/// `POST /v1/clusters` then `DELETE /v1/clusters/{id}` in a loop on every client; client `c` writes
/// as `tenants[c % len]`.
pub fn writes(tenants: Vec<Client>) -> Arc<dyn Fn(usize, u64) -> OpFuture + Send + Sync> {
    let run = domain::ids::random_uuid().simple().to_string()[..8].to_string();
    Arc::new(move |c, i| {
        let client = tenants[c % tenants.len()].clone();
        let name = format!("w-{run}-{c}-{i}");
        Box::pin(async move {
            let r = client.send(Method::POST, "/v1/clusters", Some(&attached(&name))).await;
            if r.status != 201 {
                return (1, Err(format!("POST /v1/clusters: {} {}", r.status, r.text())));
            }
            let id = r.json()["uid"].as_str().unwrap_or_default().to_string();
            let r = client.send(Method::DELETE, &format!("/v1/clusters/{id}"), None).await;
            if r.status != 200 {
                return (2, Err(format!("DELETE /v1/clusters/{id}: {} {}", r.status, r.text())));
            }
            (2, Ok(()))
        })
    })
}

/// A pgbench database of `scale` (dropped and initialized again).
pub async fn pgbench_init(database_url: &str, scale: u32) -> anyhow::Result<String> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(database_url).await?;
    conn.execute("DROP DATABASE IF EXISTS ucsd_pgbench").await?;
    conn.execute("CREATE DATABASE ucsd_pgbench").await?;
    conn.close().await?;
    let url = with_database(database_url, "ucsd_pgbench");
    let out = tokio::process::Command::new("pgbench")
        .args(["-i", "-q", "-s", &scale.to_string(), &url])
        .output()
        .await?;
    anyhow::ensure!(out.status.success(), "pgbench -i: {}", String::from_utf8_lossy(&out.stderr));
    Ok(url)
}

/// The TPS pgbench reports (without the initial connection time) for `script`: `["-S"]`, `["-N"]`,
/// or `["-n", "-f", FILE]`.
pub async fn pgbench(url: &str, script: &[&str], clients: usize, secs: u64) -> anyhow::Result<f64> {
    let threads = clients.min(2).to_string();
    let mut args = script.to_vec();
    let (clients, secs) = (clients.to_string(), secs.to_string());
    args.extend(["-M", "prepared", "-c", &clients, "-j", &threads, "-T", &secs, url]);
    let out = tokio::process::Command::new("pgbench").args(&args).output().await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(out.status.success(), "pgbench {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no tps in pgbench's output: {stdout}"))
}

/// `postgres://…/DB?…` with another database name.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{database}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
