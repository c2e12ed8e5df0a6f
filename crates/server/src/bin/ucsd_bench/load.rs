//! A bounded load test: `clients` concurrent clients for `secs` seconds of mixed signed reads and
//! writes against `ucsd serve` on Postgres; then every acknowledged write is checked.
//!
//! Each client repeats: 4 × `GET /v1/clusters`, 2 × `GET /v1/clusters/{one of its own}`,
//! 2 × `POST /v1/clusters`, 1 × `DELETE /v1/clusters/{its oldest}`, 1 × `GET /v1/clusters?limit=10`.
//! Any other status than the expected one (or a transport error) is an error. Afterwards every
//! cluster whose create got a 2xx and whose delete did not must be found (200), every cluster whose
//! delete got a 2xx must be gone (404), and the tenant's total must match.

use std::{
    collections::VecDeque,
    time::{Duration, Instant},
};

use axum::http::Method;

use crate::{
    client::{attached, Client},
    report::percentile,
};

#[derive(Debug, Default)]
pub struct LoadFigures {
    pub secs: f64,
    pub requests: u64,
    pub errors: u64,
    pub first_errors: Vec<String>,
    pub created: usize,
    pub deleted: usize,
    pub lost_creates: usize,
    pub lost_deletes: usize,
    pub total_ok: bool,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Default)]
struct ClientLog {
    requests: u64,
    errors: u64,
    first_errors: Vec<String>,
    live: VecDeque<String>,
    deleted: Vec<String>,
    created: usize,
    latencies: Vec<f64>,
}

impl ClientLog {
    fn record(&mut self, started: Instant, ok: bool, what: impl FnOnce() -> String) {
        self.requests += 1;
        self.latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        if !ok {
            self.errors += 1;
            if self.first_errors.len() < 3 {
                self.first_errors.push(what());
            }
        }
    }
}

async fn one_client(client: Client, c: usize, run: String, end: Instant) -> ClientLog {
    let mut log = ClientLog::default();
    let mut i = 0u64;
    // Bounded in time and, as a second bound, in iterations.
    while Instant::now() < end && i < 10_000_000 {
        let started = Instant::now();
        match i % 10 {
            0..=3 => {
                let r = client.get("/v1/clusters").await;
                log.record(started, r.status == 200, || format!("GET list: {} {}", r.status, r.text()));
            }
            4 | 5 => {
                if let Some(id) = log.live.get(i as usize % log.live.len().max(1)).cloned() {
                    let r = client.get(&format!("/v1/clusters/{id}")).await;
                    let ok = r.status == 200 && r.json()["metadata"]["uid"] == id.as_str();
                    log.record(started, ok, || format!("GET {id}: {} {}", r.status, r.text()));
                }
            }
            6 | 7 => {
                let name = format!("l-{run}-{c}-{i}");
                let r = client.send(Method::POST, "/v1/clusters", Some(&attached(&name))).await;
                let id = r.json()["uid"].as_str().map(str::to_string);
                log.record(started, r.status == 201 && id.is_some(), || {
                    format!("POST: {} {}", r.status, r.text())
                });
                if let (201, Some(id)) = (r.status, id) {
                    log.created += 1;
                    log.live.push_back(id);
                }
            }
            8 => {
                if let Some(id) = log.live.pop_front() {
                    let r = client.send(Method::DELETE, &format!("/v1/clusters/{id}"), None).await;
                    log.record(started, r.status == 200, || {
                        format!("DELETE {id}: {} {}", r.status, r.text())
                    });
                    if r.status == 200 {
                        log.deleted.push(id);
                    } else {
                        // Unknown outcome: neither counted as live nor as deleted.
                    }
                }
            }
            _ => {
                let r = client.get("/v1/clusters?limit=10").await;
                log.record(started, r.status == 200, || format!("GET list limit: {} {}", r.status, r.text()));
            }
        }
        i += 1;
    }
    log
}

pub async fn run(
    client: &Client,
    seeded: usize,
    clients: usize,
    secs: Duration,
) -> anyhow::Result<LoadFigures> {
    let run = domain::ids::random_uuid().simple().to_string()[..8].to_string();
    let started = Instant::now();
    let end = started + secs;
    let tasks: Vec<_> =
        (0..clients).map(|c| tokio::spawn(one_client(client.clone(), c, run.clone(), end))).collect();
    let mut logs = Vec::new();
    for t in tasks {
        logs.push(t.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();

    let mut figures = LoadFigures { secs: elapsed, ..Default::default() };
    let mut latencies = Vec::new();
    let (mut live, mut deleted) = (Vec::new(), Vec::new());
    for log in logs {
        figures.requests += log.requests;
        figures.errors += log.errors;
        figures.first_errors.extend(log.first_errors);
        figures.created += log.created;
        figures.deleted += log.deleted.len();
        latencies.extend(log.latencies);
        live.extend(log.live);
        deleted.extend(log.deleted);
    }
    latencies.sort_by(f64::total_cmp);
    figures.p50_ms = percentile(&latencies, 0.5);
    figures.p99_ms = percentile(&latencies, 0.99);

    // No lost writes: checked one by one (sequentially: bounded, and no load of its own).
    for id in &live {
        if client.get(&format!("/v1/clusters/{id}")).await.status != 200 {
            figures.lost_creates += 1;
        }
    }
    for id in &deleted {
        if client.get(&format!("/v1/clusters/{id}")).await.status != 404 {
            figures.lost_deletes += 1;
        }
    }
    let total = client.get("/v1/clusters?limit=1").await.json()["total"].as_i64();
    figures.total_ok = total == Some((seeded + live.len()) as i64);
    println!(
        "load: {} clients, {:.1} s: {} requests ({:.0}/s), {} errors, latency p50 {:.1} ms p99 {:.1} ms",
        clients,
        elapsed,
        figures.requests,
        figures.requests as f64 / elapsed,
        figures.errors,
        figures.p50_ms,
        figures.p99_ms
    );
    println!(
        "  writes: {} created, {} deleted; lost creates {}, lost deletes {}, total {:?} (expected {}): {}",
        figures.created,
        figures.deleted,
        figures.lost_creates,
        figures.lost_deletes,
        total,
        seeded + live.len(),
        if figures.total_ok { "ok" } else { "MISMATCH" }
    );
    for e in &figures.first_errors {
        println!("  error: {}", e.chars().take(300).collect::<String>());
    }
    Ok(figures)
}
