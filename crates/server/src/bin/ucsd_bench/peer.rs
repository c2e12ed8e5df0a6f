//! A peer beside ucsd's job engine: graphile-worker (a Postgres job queue for Node.js), measured by
//! bench/graphile-worker/bench.js the way crate::engine measures ucsd (same job counts, the same
//! pickup latency and backlog drain, `concurrency` = ucsd's workers) on the same Postgres, in a schema
//! of its own. The script prints its figures as one JSON object.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
};

use tokio::process::Command;

use crate::engine::{EngineFigures, Workload};

/// Where bench.js and its lockfile live: bench/graphile-worker of the source tree this was built in.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/graphile-worker")
}

#[derive(Debug, Clone, clap::Args)]
pub struct PeerArgs {
    /// ucsd's workers are graphile-worker's `concurrency`.
    #[command(flatten)]
    pub workload: Workload,
    /// The directory of bench.js and its package-lock.json (`npm ci` runs there if node_modules is
    /// missing).
    #[arg(long, default_value_os_t = default_dir())]
    pub dir: PathBuf,
}

/// What bench.js prints: which peer it measured, and its figures (`backend` is "postgres").
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PeerFigures {
    pub peer: String,
    pub version: String,
    pub node: String,
    #[serde(flatten)]
    pub figures: EngineFigures,
}

/// Why the peer cannot run here (`node` or `npm` missing), or `None` when it can.
pub async fn missing_tools() -> Option<String> {
    for tool in ["node", "npm"] {
        let ran = Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
        if !matches!(ran.await, Ok(status) if status.success()) {
            return Some(format!("`{tool}` was not found on the PATH (graphile-worker needs Node.js 20+)"));
        }
    }
    None
}

/// Installs the locked dependencies (`npm ci`) unless node_modules exists, then runs bench.js in `dir`
/// against a fresh schema of the Postgres at `database_url`.
pub async fn run(dir: &Path, load: &Workload, database_url: &str) -> anyhow::Result<PeerFigures> {
    anyhow::ensure!(dir.join("bench.js").exists(), "{} has no bench.js (pass --dir)", dir.display());
    if !dir.join("node_modules").exists() {
        println!("peer: npm ci in {}", dir.display());
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .stdout(Stdio::inherit())
            .status()
            .await?;
        anyhow::ensure!(status.success(), "npm ci in {} failed: {status}", dir.display());
    }
    let schema = format!("gw_{}", domain::ids::random_uuid().simple());
    let output = Command::new("node")
        .arg("bench.js")
        .args(["--database-url", database_url, "--schema", &schema])
        .args(["--workers", &load.workers.to_string()])
        .args(["--latency-jobs", &load.latency_jobs.to_string()])
        .args(["--throughput-jobs", &load.throughput_jobs.to_string()])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .await?;
    anyhow::ensure!(output.status.success(), "bench.js failed: {}", output.status);
    let stdout = String::from_utf8(output.stdout)?;
    let line = stdout.lines().last().unwrap_or_default();
    let figures: PeerFigures = serde_json::from_str(line)
        .map_err(|e| anyhow::anyhow!("bench.js printed {line:?}, not its figures: {e}"))?;
    let f = &figures.figures;
    f.print(&format!(
        "peer: {} {} on Node {}, concurrency {}",
        figures.peer, figures.version, figures.node, f.workers
    ));
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_of_bench_js_reads_as_the_engine_figures() {
        // As bench.js prints it (its batching settings are extra fields, ignored).
        let line = r#"{"peer":"graphile-worker","version":"0.17.3","node":"v20.20.2","backend":"postgres",
            "workers":4,"local_queue_size":-1,"complete_job_batch_delay":-1,"samples":300,"done_p50":1.5,
            "done_p99":4.25,"done_max":9,"claim_p50":0,"claim_p99":2,"jobs":5000,"secs":2.5,
            "jobs_per_sec":2000}"#;
        let peer: PeerFigures = serde_json::from_str(line).unwrap();
        assert_eq!((peer.peer.as_str(), peer.version.as_str()), ("graphile-worker", "0.17.3"));
        let f = &peer.figures;
        assert_eq!((f.backend.as_str(), f.workers, f.samples, f.jobs), ("postgres", 4, 300, 5000));
        assert_eq!((f.done_p50, f.done_p99, f.done_max, f.claim_p99), (1.5, 4.25, 9.0, 2.0));
        assert_eq!((f.secs, f.jobs_per_sec), (2.5, 2000.0));
        assert!(serde_json::from_str::<PeerFigures>(r#"{"peer":"x"}"#).is_err());
    }
}
