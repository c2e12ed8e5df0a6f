//! A real `ucsd serve` process (the release binary next to this one) on a loopback port.

use std::{path::PathBuf, process::Stdio, time::Duration};

use tokio::process::{Child, Command};

pub struct Serve {
    pub child: Child,
    pub pid: u32,
    /// `127.0.0.1:PORT`.
    pub host: String,
}

/// The `ucsd` binary: `--ucsd`, else the one next to this executable.
pub fn ucsd_path(explicit: &Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.clone());
    }
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name("ucsd");
    anyhow::ensure!(
        path.exists(),
        "{} not found: build it with `cargo build --release -p server` or pass --ucsd",
        path.display()
    );
    Ok(path)
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl Serve {
    /// Starts `ucsd serve` with the given `UCS_*` settings (its output is discarded).
    pub fn start(ucsd: &PathBuf, env: &[(&str, String)]) -> anyhow::Result<Self> {
        Self::spawn(ucsd, &["serve".as_ref()], env)
    }

    /// Starts this binary's `static-body FILE` server (crate::ceiling).
    pub fn start_static(body: &std::path::Path) -> anyhow::Result<Self> {
        Self::spawn(&std::env::current_exe()?, &["static-body".as_ref(), body.as_os_str()], &[])
    }

    fn spawn(program: &PathBuf, args: &[&std::ffi::OsStr], env: &[(&str, String)]) -> anyhow::Result<Self> {
        let host = format!("127.0.0.1:{}", free_port()?);
        let mut command = Command::new(program);
        command
            .args(args)
            .env("UCS_LISTEN", &host)
            .env("UCS_LOG__FILTER", "warn")
            // The limiter runs (its cost is part of each request) but never refuses: the bench
            // measures throughput, not the limits.
            .env("UCS_RATE_LIMIT__TENANT_PER_SECOND", "1000000")
            .env("UCS_RATE_LIMIT__TENANT_BURST", "1000000")
            .env("UCS_RATE_LIMIT__CREDENTIAL_PER_SECOND", "1000000")
            .env("UCS_RATE_LIMIT__CREDENTIAL_BURST", "1000000")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn()?;
        let pid = child.id().unwrap_or_default();
        Ok(Self { child, pid, host })
    }

    /// Polls `/readyz` (a new connection each time, every 0.5 ms) until it answers 200.
    pub async fn wait_ready(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        let request = format!("GET /readyz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.host);
        while std::time::Instant::now() < deadline {
            if let Ok(status) = raw_status(&self.host, &request).await {
                if status == 200 {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        anyhow::bail!("ucsd at {} was not ready within {timeout:?}", self.host)
    }

    /// VmRSS of the process, in MB.
    pub fn rss_mb(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no VmRSS in /proc/{}/status", self.pid))?;
        Ok(kb / 1024.0)
    }

    /// CPU seconds (user + system) the process has used.
    pub fn cpu_secs(&self) -> f64 {
        cpu_secs(self.pid)
    }

    pub async fn stop(mut self) {
        // SIGTERM and a graceful stop would be nicer; the process's state is thrown away anyway.
        let _ = self.child.kill().await;
    }
}

/// The status of a one-off HTTP/1.1 request on a new connection (no pooling: a cold-start probe).
async fn raw_status(host: &str, request: &str) -> anyhow::Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut buf = [0u8; 64];
    let mut len = 0;
    while len < 12 {
        let n = stream.read(&mut buf[len..]).await?;
        anyhow::ensure!(n > 0, "closed");
        len += n;
    }
    let line = std::str::from_utf8(&buf[..len])?;
    Ok(line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0))
}

/// CPU seconds (user + system) process `pid` has used, from /proc/PID/stat (0 if unreadable).
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; 100 ticks a second.
    (ticks(11) + ticks(12)) / 100.0
}
