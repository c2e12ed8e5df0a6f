//! Driving the job engine of a test app that runs no background workers: the test runs engine steps
//! itself and moves the app's manual clock over waits (backoff, leases), so no workflow test waits on
//! the wall clock.

use std::fmt::Write as _;

use domain::clock::{Clock, ManualClock};

use crate::harness::{TestApp, TestClock};

/// How far [`TestApp::settle`] moves the clock at most: over retries' backoff and lost leases, never
/// over a schedule further out (an upgrade plan's window), which a test crosses on purpose.
const SETTLE_HORIZON: chrono::Duration = chrono::Duration::minutes(10);
/// Engine steps after which [`TestApp::settle`] calls the workflows wedged.
const SETTLE_STEPS: usize = 5000;
/// Time moves on this much before each request and each engine step, so that what happens one after
/// the other is stamped in that order, as on a real clock.
pub const TICK: chrono::Duration = chrono::Duration::milliseconds(1);

/// Driving the job engine of a driven app (one without background workers).
impl TestApp {
    pub(crate) fn manual_clock(&self) -> &ManualClock {
        match &self.clock {
            TestClock::Manual(clock) => clock,
            TestClock::Wall(_) => panic!("only an app without background workers is driven by the test"),
        }
    }

    /// Runs one engine step (claims at most one due job and runs one step of it); whether it ran one.
    pub async fn step(&self) -> bool {
        self.manual_clock().advance(TICK);
        self.app.engine.tick().await.unwrap_or_else(|e| panic!("the engine could not claim a job: {e}"))
    }

    /// Runs the jobs until none is due: when only later ones remain (a retry's backoff, a lease that
    /// runs out after a step that could not commit), the clock moves to the earliest and on it goes,
    /// up to [`SETTLE_HORIZON`]. Paused jobs and jobs scheduled further out stay. A workflow that never
    /// ends fails the test, naming the jobs still open.
    pub async fn settle(&self) {
        self.drive(false).await
    }

    /// Like [`settle`](Self::settle) while the database fails under the engine (injected faults,
    /// terminated connections): a claim or a read of the driver's own that fails is tried again.
    pub async fn settle_through_faults(&self) {
        self.drive(true).await
    }

    async fn drive(&self, faults: bool) {
        let clock = self.manual_clock();
        let horizon = clock.now() + SETTLE_HORIZON;
        for _ in 0..SETTLE_STEPS {
            clock.advance(TICK);
            match self.app.engine.tick().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(_) if faults => continue,
                Err(e) => panic!("the engine could not claim a job: {e}"),
            }
            match self.next_move(clock, horizon, faults).await {
                Ok(Some(at)) => clock.set(at),
                Ok(None) => return,
                Err(_) if faults => continue,
                Err(e) => panic!("the driver could not read the jobs: {e}"),
            }
        }
        panic!(
            "the workflows did not settle in {SETTLE_STEPS} steps; open jobs:\n{}",
            self.open_jobs().await
        );
    }

    /// Where the clock goes when no job was due: now (a rescue made one runnable), the earliest later
    /// run or lease end within `horizon`, or `None` when nothing is left to run.
    async fn next_move(
        &self,
        clock: &ManualClock,
        horizon: chrono::DateTime<chrono::Utc>,
        faults: bool,
    ) -> domain::Result<Option<chrono::DateTime<chrono::Utc>>> {
        let now = clock.now();
        // An idle worker rescues expired leases (and parents whose steps all ended) each round.
        if self.store.job_rescue_expired().await? > 0 {
            return Ok(Some(now));
        }
        let next_run = self.store.job_next_run_at().await?;
        if next_run.is_some_and(|at| at <= now) {
            // Under faults a terminated connection's transaction may still hold the job's row for a
            // moment (the claim skips locked rows): the claim is tried again.
            if faults {
                return Ok(Some(now));
            }
            panic!("a job is due but the engine claims none; open jobs:\n{}", self.open_jobs().await);
        }
        // A step that did not commit leaves its job running until its lease runs out; then any
        // worker puts it back in the queue.
        let lease_ends = self
            .store
            .jobs_open()
            .await?
            .into_iter()
            .filter(|j| j.state == domain::job::JobState::Running)
            .filter_map(|j| j.lease_expires_at)
            .min()
            .map(|at| at + TICK);
        Ok(next_run.into_iter().chain(lease_ends).min().filter(|at| *at <= horizon).map(|at| at.max(now)))
    }

    /// The jobs not yet ended, one a line, for a failing test's message.
    pub async fn open_jobs(&self) -> String {
        let mut text = String::new();
        for j in self.store.jobs_open().await.expect("open jobs") {
            let _ = writeln!(
                text,
                "  {} {} on {} {}: {} (attempt {}/{}, run at {}, parent {:?}, waiting for {}, last error {:?})",
                j.id,
                j.kind,
                j.resource_type,
                j.resource_id,
                j.state,
                j.attempts,
                j.max_attempts,
                j.run_at,
                j.parent_id,
                j.waiting_for,
                j.last_error
            );
        }
        text
    }

    /// Waits until `probe` answers `Ok`; its `Err` says what it saw instead. A driven app settles its
    /// jobs, after which the probe must hold. An app whose jobs run on real workers (another replica
    /// or process) is polled on the wall clock: the only way to wait for another process.
    pub async fn eventually<T>(&self, what: &str, mut probe: impl AsyncFnMut() -> Result<T, String>) -> T {
        if let TestClock::Manual(_) = self.clock {
            self.settle().await;
            match probe().await {
                Ok(v) => return v,
                Err(seen) => {
                    panic!(
                        "once the jobs settled, not {what}: {seen}\nopen jobs:\n{}",
                        self.open_jobs().await
                    )
                }
            }
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            match probe().await {
                Ok(v) => return v,
                Err(seen) if std::time::Instant::now() > deadline => {
                    panic!("timed out waiting for {what}: {seen}")
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(25)).await,
            }
        }
    }
}
