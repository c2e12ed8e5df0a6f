//! The job engine as the harness drives it: a retry waits for its backoff and a dead worker's job for
//! its lease, and both are crossed by moving the clock, not by waiting.

use domain::{clock::Clock, job::JobState};

use crate::{
    clusters::attached,
    harness::{backend_tests, TestApp},
};

impl TestApp {
    /// The one activation job of a cluster.
    async fn activation(&self, cluster: &str) -> domain::job::Job {
        let jobs = self.store.job_list_for_resource("cluster", cluster).await.unwrap();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        jobs.into_iter().next().unwrap()
    }
}

backend_tests! {
    async fn a_failed_step_runs_again_only_once_its_backoff_is_over(app: TestApp) {
        let t = app.tenant("t1").await;
        // flaky fails its activation twice, then activates.
        let id = app.register(&t, &attached("flaky")).await;
        assert!(app.step().await, "the first attempt runs");
        let job = app.activation(&id).await;
        assert_eq!((job.state, job.attempts), (JobState::Pending, 1), "{job:?}");
        assert!(job.last_error.as_deref().is_some_and(|e| e.contains("simulated failure")), "{job:?}");
        assert!(job.run_at > app.clock.now(), "the retry waits: {job:?}");
        assert!(!app.step().await, "nothing is due before the backoff is over");
        assert_eq!(app.activation(&id).await.attempts, 1);
        // Past the backoff it runs again.
        app.clock.advance(job.run_at - app.clock.now());
        assert!(app.step().await, "the second attempt runs once due");
        assert_eq!(app.activation(&id).await.attempts, 2);
        let c = app.await_phase(&t, &id, "Available").await;
        assert_eq!(c["status"]["kubernetesVersion"], "v1.28");
        let job = app.activation(&id).await;
        assert_eq!((job.state, job.attempts), (JobState::Succeeded, 3), "{job:?}");
    }

    async fn a_dead_workers_job_is_taken_over_once_its_lease_runs_out(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.register(&t, &attached("prod-1")).await;
        // A worker claims the activation and dies before its step commits.
        let lease = i64::try_from(app.config.engine().lease.as_millis()).unwrap();
        let claimed = app.store.job_claim("a-worker-that-died", lease).await.unwrap().expect("the activation is due");
        assert_eq!(claimed.resource_id, id);
        // While its lease holds, nobody takes the job over.
        assert!(!app.step().await, "a leased job is not claimed again");
        app.clock.advance(chrono::Duration::milliseconds(lease - 10));
        assert_eq!(app.store.job_rescue_expired().await.unwrap(), 0, "the lease still holds");
        assert!(!app.step().await);
        assert_eq!(app.cluster(&t, &id).await["status"]["phase"], "Pending");
        // Once it has run out, the job goes back to the queue and runs to its end.
        app.clock.advance(chrono::Duration::milliseconds(20));
        assert_eq!(app.store.job_rescue_expired().await.unwrap(), 1);
        let c = app.await_phase(&t, &id, "Available").await;
        assert_eq!(c["status"]["conditions"][0]["status"], "True");
        let job = app.activation(&id).await;
        assert_eq!((job.state, job.attempts), (JobState::Succeeded, 2), "claimed by the dead worker, then once more: {job:?}");
        let effects = app.store.provider_effects(&id).await.unwrap();
        assert_eq!(effects, [("ActivateCluster".to_string(), 1)], "{effects:?}");
    }

    async fn settling_takes_over_a_dead_workers_job_once_its_lease_runs_out(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.register(&t, &attached("prod-1")).await;
        let lease = i64::try_from(app.config.engine().lease.as_millis()).unwrap();
        app.store.job_claim("a-worker-that-died", lease).await.unwrap().expect("the activation is due");
        // settle moves the clock past the dead worker's lease, as workers rescue it.
        let before = app.clock.now();
        let c = app.await_phase(&t, &id, "Available").await;
        assert_eq!(c["status"]["kubernetesVersion"], "v1.28");
        assert!(app.clock.now() - before >= chrono::Duration::milliseconds(lease), "the clock crossed the lease");
        assert!(app.store.jobs_open().await.unwrap().is_empty(), "{}", app.open_jobs().await);
    }
}
