//! The operator's job administration (`ucsd admin jobs`): listings across tenants with filters, and
//! retry and cancel going through the engine, so that the resource a job works on never wedges and
//! says what happened.

use axum::http::Method;
use domain::job::{Job, JobState, Signal};
use serde_json::json;
use server::admin::{self, JobListArgs, TenantCredentials};

use crate::{
    clusters::attached,
    harness::{backend_tests, TestApp},
    testing_kit::testing_on,
};

fn args(tenant: Option<&str>, kind: Option<&str>, state: Option<&str>) -> JobListArgs {
    JobListArgs {
        tenant: tenant.map(str::to_string),
        kind: kind.map(str::to_string),
        state: state.map(str::to_string),
        limit: 100,
        ..JobListArgs::default()
    }
}

impl TestApp {
    /// Runs engine steps until the activation of cluster `id` has failed once (and waits out its
    /// backoff, pending).
    async fn failed_once(&self, id: &str) -> Job {
        for _ in 0..50 {
            let jobs = self.store.job_list_for_resource("cluster", id).await.unwrap();
            if let Some(job) = jobs.into_iter().find(|j| j.failures == 1 && j.state == JobState::Pending) {
                return job;
            }
            self.step().await;
        }
        panic!("the activation of {id} did not fail once");
    }

    async fn audited(&self, t: &TenantCredentials, action: &str, resource_id: &str) -> bool {
        let events = self.store.audit_list(t.domain_id.parse().unwrap(), 50).await.unwrap();
        events.iter().any(|e| e.action == action && e.resource_id.as_deref() == Some(resource_id))
    }
}

backend_tests! {
    async fn jobs_are_listed_across_tenants_by_tenant_kind_state_and_age(app: TestApp) {
        let t1 = app.tenant("t1").await;
        let t2 = app.tenant("t2").await;
        let doomed = app.register(&t1, &attached("doomed")).await;
        let calm = app.register(&t2, &attached("calm")).await;
        let failing = app.failed_once(&doomed).await;

        let all = admin::jobs_list(&app.store, args(None, None, None)).await.unwrap();
        let resources: Vec<&str> = all.iter().map(|j| j.resource_id.as_str()).collect();
        assert!(resources.contains(&doomed.as_str()) && resources.contains(&calm.as_str()), "{resources:?}");
        let mine = admin::jobs_list(&app.store, args(Some("t1"), Some("cluster.activate"), Some("pending")))
            .await
            .unwrap();
        assert_eq!(mine.iter().map(|j| j.id).collect::<Vec<_>>(), [failing.id]);
        assert!(mine[0].last_error.as_deref().unwrap().contains("simulated failure"), "{:?}", mine[0]);
        assert!(admin::jobs_list(&app.store, args(Some("t2"), None, Some("failed"))).await.unwrap().is_empty());

        // Age: nothing is older than an hour yet; an hour later, both are.
        let old = JobListArgs { older_than: Some(std::time::Duration::from_secs(3600)), ..args(None, None, None) };
        assert!(admin::jobs_list(&app.store, old.clone()).await.unwrap().is_empty());
        app.manual_clock().advance(chrono::Duration::hours(2));
        assert_eq!(admin::jobs_list(&app.store, old).await.unwrap().len(), all.len());
        // Two hours past its backoff and unclaimed: stuck.
        let stuck = admin::jobs_list(&app.store, args(None, None, Some("stuck"))).await.unwrap();
        assert!(stuck.iter().any(|j| j.id == failing.id), "{stuck:?}");

        for (bad, needle) in [
            (args(Some("nobody"), None, None), "nobody"),
            (args(None, Some("cluster.explode"), None), "cluster.explode"),
            (args(None, None, Some("sleeping")), "stuck"),
        ] {
            let e = admin::jobs_list(&app.store, bad).await.unwrap_err();
            assert!(e.message().contains(needle), "{}", e.message());
        }
        let e = admin::job_retry(&app.store, &domain::ids::JobId::default().to_string()).await.unwrap_err();
        assert_eq!((e.status(), e.code()), (404, "UCS.01404002"));
    }

    async fn a_cancelled_activation_gives_up_at_once_and_its_cluster_says_why(app: TestApp) {
        let t = app.tenant("t1").await;
        let doomed = app.register(&t, &attached("doomed")).await;
        let failing = app.failed_once(&doomed).await;
        assert!(failing.run_at > app.store.clock().now(), "waits out a backoff");

        let cancelled = admin::job_cancel(&app.store, &failing.id.to_string()).await.unwrap();
        assert_eq!(cancelled.signal, Some(Signal::Cancel));
        assert!(cancelled.run_at <= app.store.clock().now(), "runs now, to give up");
        assert!(app.audited(&t, "ucsd:job:cancel", &failing.id.to_string()).await);
        assert!(app.step().await);

        let job = app.store.job_get(failing.id).await.unwrap().unwrap();
        assert_eq!((job.state, job.failures), (JobState::Failed, 1), "no more tries: {job:?}");
        let c = app.await_phase(&t, &doomed, "Unavailable").await;
        assert_eq!(c["status"]["reason"], "ActivationFailed");
        assert_eq!(c["status"]["message"], domain::job_admin::CANCELLED_BY_OPERATOR);

        let again = admin::job_cancel(&app.store, &failing.id.to_string()).await.unwrap_err();
        assert_eq!((again.status(), again.code()), (409, "UCS.01409002"));
        assert!(again.message().contains("already failed"), "{}", again.message());
    }

    async fn retry_runs_a_waiting_job_now_and_reruns_a_failed_federation_once_its_cause_is_gone(app: TestApp) {
        let app = testing_on(&app, &[]).await;
        let t = app.tenant("t1").await;

        // A job waiting out a backoff runs now.
        let doomed = app.register(&t, &attached("doomed")).await;
        let failing = app.failed_once(&doomed).await;
        let retried = admin::job_retry(&app.store, &failing.id.to_string()).await.unwrap();
        assert_eq!(retried.state, JobState::Pending);
        assert!(retried.run_at <= app.store.clock().now() && failing.run_at > retried.run_at);
        assert!(app.audited(&t, "ucsd:job:retry", &failing.id.to_string()).await);
        app.settle().await;

        // A workflow whose chart never installs fails; once the cause is gone, the operator reruns it:
        // the steps that succeeded are not made again.
        let member = app.available(&t, "a1").await;
        let fleet = app.fleet(&t, "rerun-fleet", &[&member]).await;
        let fault = app.fault(&t, json!({"step": "InstallFederationChart", "resource": fleet})).await;
        let r = app.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        app.await_progress(&t, &fleet, "CreateFederationContainer", "Failed").await;
        let failed = admin::jobs_list(&app.store, args(Some("t1"), Some("federation.enable"), Some("failed")))
            .await
            .unwrap();
        assert_eq!(failed.len(), 1);
        let workflow = failed[0].id.to_string();
        let fault_id = fault["id"].as_str().unwrap();
        let r = app.call(Method::DELETE, &format!("/ucsd/testing/faults/{fault_id}")).signed(&t).send().await;
        assert_eq!(r.status, 204, "{}", r.text);

        let rerun = admin::job_retry(&app.store, &workflow).await.unwrap();
        assert_eq!((rerun.state, rerun.attempts, rerun.failures), (JobState::Pending, 0, 0));
        let detail = app.store.job_admin_show(rerun.id).await.unwrap();
        assert!(detail.steps.iter().all(|s| s.state != JobState::Failed), "{:?}", detail.steps);
        app.await_progress(&t, &fleet, "CreateFederationContainer", "Success").await;
        let effects = app.store.provider_effects(&fleet).await.unwrap();
        assert!(effects.iter().all(|(_, calls)| *calls == 1), "each effect once: {effects:?}");

        // A job that succeeded has nothing to retry; a step is retried through its workflow.
        let e = admin::job_retry(&app.store, &workflow).await.unwrap_err();
        assert_eq!((e.status(), e.code()), (409, "UCS.01409002"));
        let step = &app.store.job_admin_show(rerun.id).await.unwrap().steps[0];
        let e = admin::job_retry(&app.store, &step.id.to_string()).await.unwrap_err();
        assert!(e.message().contains("succeeded"), "{}", e.message());
    }
}
