//! The conformance suite: the same behaviour asked of every backend. Each backend's tests expand
//! [`conformance_suite!`](crate::conformance_suite) with a function that opens a fresh, migrated store.

use domain::{
    audit::{Actor, NewAuditEvent},
    authz::actions,
    error::{iam, ucs},
    federation::{Step, Workflow},
    identity::{AccessKeyStatus, Role},
    ids::{DomainId, JobId},
    job::{JobKind, JobState, NewJob, Signal},
    Error,
};

use crate::{
    identity::NewTenant,
    testing::{AuditRetention, TenantReset},
    Store,
};

/// Expands to one `#[tokio::test]` per conformance check, each on a store from `$open` (an async fn
/// taking nothing and returning a fresh [`Store`]).
#[macro_export]
macro_rules! conformance_suite {
    ($open:path) => {
        $crate::conformance_suite!(@tests $open;
            tenant_create_makes_project_admin_and_key,
            tenant_names_are_unique_and_a_refused_create_writes_nothing,
            project_lookup_by_name_is_scoped_to_the_tenant,
            access_keys_are_found_disabled_and_deleted_within_their_tenant_only,
            user_credentials_need_an_enabled_tenant,
            a_dropped_transaction_leaves_no_change_no_job_and_no_audit_event,
            one_unfinished_job_per_exclusive_key,
            ready_reports_applied_migrations,
            a_job_is_claimed_once_and_a_lost_lease_cannot_commit,
            a_retried_job_waits_for_its_time,
            jobs_are_counted_per_kind_and_state_without_their_steps,
            a_workflow_releases_a_stage_and_runs_again_when_its_last_step_ends,
            steps_that_end_at_once_all_count_down_their_parent,
            pause_resume_and_cancel_are_signals_honoured_between_steps,
            a_reset_removes_everything_the_tenant_made_and_keeps_its_credentials,
            console_sessions_expire_and_end_at_sign_out,
            the_key_ring_adds_numbered_keys_once_and_retires_them,
            sealed_values_are_paged_by_key_counted_by_prefix_and_replaced_only_if_unchanged,
        );
    };
    (@tests $open:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let store = $open().await;
                $crate::conformance::$name(&store).await;
            }
        )*
    };
}

fn new_tenant(name: &str) -> NewTenant {
    NewTenant {
        name: name.to_string(),
        project_name: "cn-north-4".to_string(),
        admin_user_name: "admin".to_string(),
        admin_password_hash: "hash".to_string(),
        admin_role: Role::TenantAdmin,
        access_key: format!("AK{}", domain::ids::random_uuid().simple()).to_uppercase()[..20].to_string(),
        secret_sealed: "sealed".to_string(),
    }
}

fn actor(domain_id: DomainId) -> Actor {
    Actor::operator(domain_id, "req-test".to_string(), actions::CLUSTER_UPDATE)
}

pub async fn tenant_create_makes_project_admin_and_key(store: &Store) {
    let new = new_tenant("t1");
    let created = store.tenant_create(new.clone(), "req-1").await.unwrap();
    assert_eq!(created.tenant.name, "t1");
    assert_eq!(created.project.name, "cn-north-4");
    assert_eq!(created.user.roles, vec![Role::TenantAdmin]);
    assert_eq!(store.tenant_get_by_name("t1").await.unwrap().unwrap().id, created.tenant.id);
    let user = store.user_get(created.user.id).await.unwrap().unwrap();
    assert_eq!(user.roles, vec![Role::TenantAdmin]);
    let auth = store.access_key_for_auth(&new.access_key).await.unwrap().unwrap();
    assert_eq!(auth.secret_sealed, "sealed");
    assert_eq!(auth.user.id, created.user.id);
    assert_eq!(auth.tenant.id, created.tenant.id);
    assert_eq!(auth.key.status, AccessKeyStatus::Active);
    let events = store.audit_list(created.tenant.id, 10).await.unwrap();
    // One operation, one action: each row it made is audited under it.
    let audited: Vec<_> =
        events.iter().rev().map(|e| (e.action.as_str(), e.resource_type.as_str())).collect();
    let create = "iam:tenant:create";
    assert_eq!(audited, [(create, "tenant"), (create, "user"), (create, "access_key")]);
    assert!(events.iter().all(|e| e.request_id == "req-1" && e.outcome == "success"));
}

pub async fn tenant_names_are_unique_and_a_refused_create_writes_nothing(store: &Store) {
    store.tenant_create(new_tenant("dup"), "r").await.unwrap();
    let second = new_tenant("dup");
    let err = store.tenant_create(second.clone(), "r").await.unwrap_err();
    assert_eq!(err.def, iam::NAME_TAKEN);
    assert_eq!(store.tenant_count().await.unwrap(), 1);
    assert!(store.access_key_for_auth(&second.access_key).await.unwrap().is_none());
}

pub async fn project_lookup_by_name_is_scoped_to_the_tenant(store: &Store) {
    let a = store.tenant_create(new_tenant("a"), "r").await.unwrap();
    let b = store.tenant_create(new_tenant("b"), "r").await.unwrap();
    let found = store.project_list(a.tenant.id, Some("cn-north-4")).await.unwrap();
    assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), vec![a.project.id]);
    assert!(store.project_list(a.tenant.id, Some("eu-west-0")).await.unwrap().is_empty());
    store.project_create(&actor(b.tenant.id), "eu-west-0").await.unwrap();
    assert_eq!(store.project_list(b.tenant.id, None).await.unwrap().len(), 2);
    assert_eq!(store.project_list(a.tenant.id, None).await.unwrap().len(), 1);
    let err = store.project_create(&actor(b.tenant.id), "eu-west-0").await.unwrap_err();
    assert_eq!(err.def, iam::NAME_TAKEN);
}

pub async fn access_keys_are_found_disabled_and_deleted_within_their_tenant_only(store: &Store) {
    let a_new = new_tenant("a");
    let a = store.tenant_create(a_new.clone(), "r").await.unwrap();
    let b = store.tenant_create(new_tenant("b"), "r").await.unwrap();
    let key = store
        .access_key_create(&actor(a.tenant.id), a.user.id, "AKEXTRA0000000000001", "s2", "ci")
        .await
        .unwrap();
    assert_eq!(key.description, "ci");
    assert_eq!(store.access_key_list(a.tenant.id).await.unwrap().len(), 2);
    // Another tenant can neither issue keys for a's user nor touch a's keys.
    let err = store.access_key_create(&actor(b.tenant.id), a.user.id, "AKEXTRA0000000000002", "s", "").await;
    assert_eq!(err.unwrap_err().def, iam::NOT_FOUND);
    let err =
        store.access_key_set_status(&actor(b.tenant.id), &key.access_key, AccessKeyStatus::Inactive).await;
    assert_eq!(err.unwrap_err().def, iam::NOT_FOUND);
    assert_eq!(
        store.access_key_delete(&actor(b.tenant.id), &key.access_key).await.unwrap_err().def,
        iam::NOT_FOUND
    );

    store
        .access_key_set_status(&actor(a.tenant.id), &key.access_key, AccessKeyStatus::Inactive)
        .await
        .unwrap();
    let auth = store.access_key_for_auth(&key.access_key).await.unwrap().unwrap();
    assert_eq!(auth.key.status, AccessKeyStatus::Inactive);
    store.access_key_delete(&actor(a.tenant.id), &key.access_key).await.unwrap();
    assert!(store.access_key_for_auth(&key.access_key).await.unwrap().is_none());
    assert!(store.access_key_for_auth(&a_new.access_key).await.unwrap().is_some());
}

pub async fn user_credentials_need_an_enabled_tenant(store: &Store) {
    let a = store.tenant_create(new_tenant("a"), "r").await.unwrap();
    let ro =
        store.user_create(&actor(a.tenant.id), "viewer", "h2", &[Role::UcsReadOnlyAccess]).await.unwrap();
    let creds = store.user_credentials("a", "viewer").await.unwrap().unwrap();
    assert_eq!(creds.user.id, ro.id);
    assert_eq!(creds.password_hash, "h2");
    assert_eq!(creds.user.roles, vec![Role::UcsReadOnlyAccess]);
    assert!(store.user_credentials("a", "nobody").await.unwrap().is_none());
    assert!(store.user_credentials("b", "viewer").await.unwrap().is_none());
    assert_eq!(store.user_list(a.tenant.id).await.unwrap().len(), 2);
    let err = store.user_create(&actor(a.tenant.id), "viewer", "h", &[]).await.unwrap_err();
    assert_eq!(err.def, iam::NAME_TAKEN);
}

pub async fn console_sessions_expire_and_end_at_sign_out(store: &Store) {
    let a = store.tenant_create(new_tenant("a"), "r").await.unwrap();
    let now = store.clock().now();
    let expires = now + chrono::Duration::hours(1);
    let made = store.console_session_create("h1", a.user.id, a.tenant.id, "csrf1", expires).await.unwrap();
    assert_eq!(store.console_session_get("h1").await.unwrap(), Some(made.clone()));
    assert_eq!(made.user_id, a.user.id);
    assert_eq!(store.console_session_get("h2").await.unwrap(), None);
    // Already expired: never found.
    let past = now - chrono::Duration::seconds(1);
    store.console_session_create("h2", a.user.id, a.tenant.id, "csrf2", past).await.unwrap();
    assert_eq!(store.console_session_get("h2").await.unwrap(), None);
    store.console_session_delete("h1").await.unwrap();
    assert_eq!(store.console_session_get("h1").await.unwrap(), None);
    store.console_session_delete("h1").await.unwrap();
}

pub async fn a_dropped_transaction_leaves_no_change_no_job_and_no_audit_event(store: &Store) {
    let a = store.tenant_create(new_tenant("a"), "r").await.unwrap();
    let before = store.audit_list(a.tenant.id, 100).await.unwrap().len();
    {
        let mut tx = store.begin().await.unwrap();
        tx.job_enqueue(
            NewJob::new(JobKind::Noop, a.tenant.id, "test", "x"),
            Error::new(ucs::REQUEST_FORBIDDEN),
        )
        .await
        .unwrap();
        tx.audit(&actor(a.tenant.id), NewAuditEvent::success("test", "x")).await.unwrap();
        // dropped without commit
    }
    assert!(store.job_list_for_resource("test", "x").await.unwrap().is_empty());
    assert_eq!(store.audit_list(a.tenant.id, 100).await.unwrap().len(), before);

    let mut tx = store.begin().await.unwrap();
    let id = tx
        .job_enqueue(NewJob::new(JobKind::Noop, a.tenant.id, "test", "x"), Error::new(ucs::REQUEST_FORBIDDEN))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let job = store.job_get(id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Pending);
    assert_eq!(job.attempts, 0);
    assert!(store.job_get(JobId::new()).await.unwrap().is_none());
}

pub async fn one_unfinished_job_per_exclusive_key(store: &Store) {
    let a = store.tenant_create(new_tenant("a"), "r").await.unwrap();
    let job = || {
        let mut job = NewJob::new(JobKind::Federation(Workflow::Enable), a.tenant.id, "fleet", "f1");
        job.exclusive_key = Some("federation:f1".to_string());
        job.cursor = serde_json::json!({"step": 0});
        job
    };
    let mut tx = store.begin().await.unwrap();
    tx.job_enqueue(job(), Error::new(ucs::FLEET_ALREADY_FEDERATED)).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let err = tx.job_enqueue(job(), Error::new(ucs::FLEET_ALREADY_FEDERATED)).await.unwrap_err();
    assert_eq!(err.def, ucs::FLEET_ALREADY_FEDERATED);
    drop(tx);
    let jobs = store.job_list_for_resource("fleet", "f1").await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].cursor, serde_json::json!({"step": 0}));
}

pub async fn ready_reports_applied_migrations(store: &Store) {
    store.ready().await.unwrap();
    // Migrating again is a no-op.
    store.migrate().await.unwrap();
    store.ready().await.unwrap();
}

fn noop_job(domain_id: DomainId) -> NewJob {
    NewJob::new(JobKind::Noop, domain_id, "test", "x")
}

async fn enqueue(store: &Store, job: NewJob) -> JobId {
    let mut tx = store.begin().await.unwrap();
    let id = tx.job_enqueue(job, Error::new(ucs::REQUEST_FORBIDDEN)).await.unwrap();
    tx.commit().await.unwrap();
    id
}

pub async fn a_job_is_claimed_once_and_a_lost_lease_cannot_commit(store: &Store) {
    let a = store.tenant_create(new_tenant("a"), "r").await.unwrap();
    let id = enqueue(store, noop_job(a.tenant.id)).await;
    // A claims with a lease that is over at once; B finds nothing to claim while A holds it.
    let first = store.job_claim("worker-a", 0).await.unwrap().unwrap();
    assert_eq!((first.id, first.state, first.attempts), (id, JobState::Running, 1));
    assert_eq!(first.lease_owner.as_deref(), Some("worker-a"));
    assert!(store.job_claim("worker-b", 60_000).await.unwrap().is_none());
    // While A renews its lease, nobody takes the job.
    assert!(store.job_heartbeat(&first, 60_000).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(store.job_rescue_expired().await.unwrap(), 0);
    assert!(store.job_heartbeat(&first, 0).await.unwrap());
    // A is presumed dead: its job goes back to the queue and B takes it over.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(store.job_rescue_expired().await.unwrap(), 1);
    let second = store.job_claim("worker-b", 60_000).await.unwrap().unwrap();
    assert_eq!((second.id, second.attempts), (id, 2));
    // A wakes up: its heartbeat and its commit are fenced off, and nothing it wrote stays.
    assert!(!store.job_heartbeat(&first, 60_000).await.unwrap());
    let mut tx = store.begin().await.unwrap();
    tx.audit(&actor(a.tenant.id), NewAuditEvent::success("test", "x")).await.unwrap();
    let err = tx.job_finish(&first, JobState::Succeeded, None).await.unwrap_err();
    assert_eq!(err, crate::job::lease_lost());
    drop(tx);
    assert!(store.audit_list(a.tenant.id, 100).await.unwrap().iter().all(|e| e.resource_type != "test"));
    let mut tx = store.begin().await.unwrap();
    tx.job_finish(&second, JobState::Succeeded, None).await.unwrap();
    tx.commit().await.unwrap();
    let job = store.job_get(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts, job.lease_owner), (JobState::Succeeded, 2, None));
    assert!(store.job_claim("worker-c", 60_000).await.unwrap().is_none());
}

pub async fn a_retried_job_waits_for_its_time(store: &Store) {
    let a = store.tenant_create(new_tenant("a"), "r").await.unwrap();
    let id = enqueue(store, noop_job(a.tenant.id)).await;
    let job = store.job_claim("w", 60_000).await.unwrap().unwrap();
    let later = store.clock().now() + chrono::Duration::hours(1);
    let mut tx = store.begin().await.unwrap();
    tx.job_retry_at(&job, "try again later", later).await.unwrap();
    tx.commit().await.unwrap();
    assert!(store.job_claim("w", 60_000).await.unwrap().is_none());
    assert_eq!(
        store.job_next_run_at().await.unwrap().map(|t| t.timestamp_millis()),
        Some(later.timestamp_millis())
    );
    let job = store.job_get(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.last_error.as_deref()), (JobState::Pending, Some("try again later")));
}

pub async fn jobs_are_counted_per_kind_and_state_without_their_steps(store: &Store) {
    assert_eq!(store.job_count_by_kind_state().await.unwrap(), vec![]);
    let a = store.tenant_create(new_tenant("a"), "r").await.unwrap();
    let first = enqueue(store, noop_job(a.tenant.id)).await;
    enqueue(store, noop_job(a.tenant.id)).await;
    enqueue(store, NewJob::new(JobKind::ClusterActivation, a.tenant.id, "test", "y")).await;
    // A workflow step (a sub-job) is not claimed by workers, so it is not counted.
    enqueue(
        store,
        NewJob {
            parent_id: Some(first),
            ..NewJob::new(JobKind::FederationStep(Step::JoinCluster), a.tenant.id, "test", "x")
        },
    )
    .await;
    let claimed = store.job_claim("w", 60_000).await.unwrap().unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.job_finish(&claimed, JobState::Succeeded, None).await.unwrap();
    tx.commit().await.unwrap();
    let counts: Vec<_> = store
        .job_count_by_kind_state()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.kind, c.state, c.count))
        .collect();
    let mut expected = vec![
        (JobKind::Noop, JobState::Pending, 1),
        (JobKind::Noop, JobState::Succeeded, 1),
        (JobKind::ClusterActivation, JobState::Pending, 1),
    ];
    expected.sort_by(|a, b| (a.0.as_str(), a.1.as_str()).cmp(&(b.0.as_str(), b.1.as_str())));
    assert_eq!(counts, expected);
}

/// Runs `change` in its own transaction.
async fn in_tx<T>(store: &Store, change: impl AsyncFnOnce(&mut crate::Tx<'_>) -> domain::Result<T>) -> T {
    let mut tx = store.begin().await.unwrap();
    let out = change(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    out
}

pub async fn pause_resume_and_cancel_are_signals_honoured_between_steps(store: &Store) {
    let a = store.tenant_create(new_tenant("a"), "r").await.unwrap();
    // A waiting job is parked at once, never claimed while paused, and runnable again once resumed.
    let id = enqueue(store, noop_job(a.tenant.id)).await;
    assert!(in_tx(store, async |tx| tx.job_pause(id).await).await);
    assert_eq!(store.job_get(id).await.unwrap().unwrap().state, JobState::Paused);
    assert!(store.job_claim("w", 60_000).await.unwrap().is_none());
    assert!(in_tx(store, async |tx| tx.job_resume(id).await).await);
    assert!(!in_tx(store, async |tx| tx.job_resume(id).await).await, "nothing left to resume");
    // A running job only gets the signal; its worker reads it at the step's commit and parks it.
    let job = store.job_claim("w", 60_000).await.unwrap().unwrap();
    assert!(!in_tx(store, async |tx| tx.job_pause(id).await).await);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.job_signal(&job).await.unwrap(), Some(Signal::Pause));
    tx.job_park(&job).await.unwrap();
    tx.commit().await.unwrap();
    let parked = store.job_get(id).await.unwrap().unwrap();
    assert_eq!((parked.state, parked.signal, parked.lease_owner), (JobState::Paused, None, None));
    // A pause withdrawn before the step ended leaves the job running.
    assert!(in_tx(store, async |tx| tx.job_resume(id).await).await);
    let job = store.job_claim("w", 60_000).await.unwrap().unwrap();
    assert!(!in_tx(store, async |tx| tx.job_pause(id).await).await);
    assert!(in_tx(store, async |tx| tx.job_resume(id).await).await);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.job_signal(&job).await.unwrap(), None);
    drop(tx);
    // Cancel: a running job gets the signal (its worker ends it), a waiting one ends at once.
    assert!(!in_tx(store, async |tx| tx.job_cancel(id).await).await);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.job_signal(&job).await.unwrap(), Some(Signal::Cancel));
    tx.job_finish(&job, JobState::Cancelled, Some("cancelled")).await.unwrap();
    tx.commit().await.unwrap();
    let waiting = enqueue(store, noop_job(a.tenant.id)).await;
    assert!(in_tx(store, async |tx| tx.job_cancel(waiting).await).await);
    let cancelled = store.job_get(waiting).await.unwrap().unwrap();
    assert!(cancelled.state == JobState::Cancelled && cancelled.finished_at.is_some());
    assert!(store.job_claim("w", 60_000).await.unwrap().is_none());
    // A worker that lost its lease reads no signal: its commit is fenced off.
    assert_eq!(store.job_get(id).await.unwrap().unwrap().state, JobState::Cancelled);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.job_signal(&job).await.unwrap_err(), crate::job::lease_lost());
}

/// The tables a reset empties, with the rows of one tenant each.
const RESET_TABLES: [&str; 12] = [
    "clusters",
    "fleets",
    "rules",
    "rule_attachments",
    "cluster_rbac",
    "fleet_federations",
    "cce_clusters",
    "upgrade_workflows",
    "upgrade_tasks",
    "upgrade_plans",
    "jobs",
    "audit_events",
];

async fn rows_of(store: &Store, domain_id: DomainId) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in RESET_TABLES {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE domain_id = $1"))
            .bind(domain_id.to_string())
            .fetch_one(store.pool())
            .await
            .unwrap();
        out.push((table, n));
    }
    out
}

async fn effects_on(store: &Store, resource_id: &str) -> i64 {
    store.provider_effects(resource_id).await.unwrap().len() as i64
}

/// One of everything a tenant makes, written as the API and the workers would leave it (rows, not
/// the API's validation: this is about what a reset removes). Returns the cluster's id.
async fn seed_tenant_state(store: &Store, domain_id: DomainId, project: &str, tag: &str) -> String {
    let (d, now) = (domain_id.to_string(), 1_700_000_000_000_i64);
    let id = |kind: &str| format!("{kind}-{tag}");
    let statements = [
        format!("INSERT INTO clusters (id, domain_id, name, category, cluster_type, provider, country, city,
            region, project_id, manage_type, phase, created_at, updated_at) VALUES ('{c}', '{d}', 'c', 'attachedcluster',
            'privatek8s', 'openSource', 'CN', '110000', 'cn-north-4', '{project}', 'discrete', 'Available', {now}, {now})",
            c = id("cluster")),
        format!("INSERT INTO fleets (id, domain_id, name, created_at, updated_at)
            VALUES ('{f}', '{d}', 'f', {now}, {now})", f = id("fleet")),
        format!("INSERT INTO rules (id, domain_id, name, rule_type, created_at, updated_at)
            VALUES ('{r}', '{d}', 'r', 'readonly', {now}, {now})", r = id("rule")),
        format!("INSERT INTO rule_attachments (rule_id, target_kind, target_id, domain_id)
            VALUES ('{r}', 'cluster', '{c}', '{d}')", r = id("rule"), c = id("cluster")),
        format!("INSERT INTO cluster_rbac (cluster_id, domain_id, updated_at) VALUES ('{c}', '{d}', {now})",
            c = id("cluster")),
        format!("INSERT INTO fleet_federations (fleet_id, domain_id, created_at, updated_at)
            VALUES ('{f}', '{d}', {now}, {now})", f = id("fleet")),
        format!("INSERT INTO cce_clusters (id, domain_id, project_id, flavor, name, version, phase, created_at, updated_at)
            VALUES ('{k}', '{d}', '{project}', 'cce', 'k', 'v1.28.15-r10', 'Available', {now}, {now})", k = id("cce")),
        format!("INSERT INTO upgrade_workflows (id, domain_id, cluster_id, cluster_version, target_version, phase,
            created_at, updated_at) VALUES ('{w}', '{d}', '{k}', 'v1.28', 'v1.29', 'Init', {now}, {now})",
            w = id("workflow"), k = id("cce")),
        format!("INSERT INTO upgrade_tasks (id, domain_id, cluster_id, workflow_id, task_type, status, version,
            target_version, created_at, updated_at) VALUES ('{t}', '{d}', '{k}', '{w}', 'Cluster', 'Running', 'v1.28',
            'v1.29', {now}, {now})", t = id("task"), k = id("cce"), w = id("workflow")),
        format!("INSERT INTO upgrade_plans (id, domain_id, cluster_id, cluster_version, target_version, not_before,
            not_after, not_before_deadline, phase, created_at, updated_at) VALUES ('{p}', '{d}', '{k}', 'v1.28',
            'v1.29', {now}, {now}, {now}, 'Pending', {now}, {now})", p = id("plan"), k = id("cce")),
    ];
    for statement in statements {
        sqlx::query(&statement).execute(store.pool()).await.unwrap();
    }
    for (key, resource) in [(id("key"), id("cluster")), (format!("{}:UpgradeMaster", id("task")), id("cce"))]
    {
        assert!(store.provider_effect_record(&key, "Effect", &resource, "{}").await.unwrap());
    }
    id("cluster")
}

pub async fn a_reset_removes_everything_the_tenant_made_and_keeps_its_credentials(store: &Store) {
    let (a_new, b_new) = (new_tenant("a"), new_tenant("b"));
    let a = store.tenant_create(a_new.clone(), "r").await.unwrap();
    let b = store.tenant_create(b_new.clone(), "r").await.unwrap();
    let a_id = a.tenant.id;
    // A workflow of a with a step, claimed by a worker that is mid-step when the reset comes.
    let parent =
        enqueue(store, NewJob::new(JobKind::Federation(Workflow::Enable), a_id, "fleet", "fleet-a")).await;
    enqueue(
        store,
        NewJob {
            parent_id: Some(parent),
            ..NewJob::new(JobKind::FederationStep(Step::JoinCluster), a_id, "cluster", "cluster-a")
        },
    )
    .await;
    let running = store.job_claim("worker-a", 60_000).await.unwrap().unwrap();
    assert_eq!(running.id, parent);
    // The effect of a step of a cluster deleted long ago: found through the job that made it.
    enqueue(store, NewJob::new(JobKind::ClusterActivation, a_id, "cluster", "gone-a")).await;
    assert!(store.provider_effect_record("gone-key", "ActivateCluster", "gone-a", "{}").await.unwrap());
    let a_cluster = seed_tenant_state(store, a_id, &a.project.id.to_string(), "a").await;
    let b_job = enqueue(store, noop_job(b.tenant.id)).await;
    let b_cluster = seed_tenant_state(store, b.tenant.id, &b.project.id.to_string(), "b").await;
    let b_before = rows_of(store, b.tenant.id).await;
    let a_events = store.audit_list(a_id, 100).await.unwrap().len() as u64;

    let reset = Actor::operator(a_id, "req-reset".to_string(), actions::TESTING_RESET);
    let removed = store.tenant_reset(&reset, AuditRetention::Keep).await.unwrap();
    let expected = TenantReset {
        clusters: 1,
        fleets: 1,
        rules: 1,
        rule_attachments: 1,
        federations: 1,
        cce_clusters: 1,
        upgrade_workflows: 1,
        upgrade_tasks: 1,
        upgrade_plans: 1,
        jobs: 3,
        provider_effects: 3,
        audit_events: 0,
    };
    assert_eq!(removed, expected);
    for (table, n) in rows_of(store, a_id).await {
        let left = if table == "audit_events" { a_events as i64 + 1 } else { 0 };
        assert_eq!(n, left, "{table} of the reset tenant");
    }
    for resource in [a_cluster.as_str(), "cce-a", "gone-a"] {
        assert_eq!(effects_on(store, resource).await, 0, "effects on {resource}");
    }
    // The other tenant keeps everything.
    assert_eq!(rows_of(store, b.tenant.id).await, b_before);
    assert_eq!(effects_on(store, &b_cluster).await, 1);
    assert_eq!(effects_on(store, "cce-b").await, 1);
    // The same credentials work: tenant, project, users and keys are there.
    let auth = store.access_key_for_auth(&a_new.access_key).await.unwrap().unwrap();
    assert_eq!((auth.tenant.id, auth.user.id, auth.key.status), (a_id, a.user.id, AccessKeyStatus::Active));
    assert_eq!(
        store.project_list(a_id, None).await.unwrap().iter().map(|p| p.id).collect::<Vec<_>>(),
        [a.project.id]
    );
    assert_eq!(store.user_list(a_id).await.unwrap().len(), 1);
    // The worker mid-step finds its job gone: its heartbeat and its fenced commit fail, nothing stays.
    assert!(!store.job_heartbeat(&running, 60_000).await.unwrap());
    let mut tx = store.begin().await.unwrap();
    tx.audit(&actor(a_id), NewAuditEvent::success("test", "x")).await.unwrap();
    assert_eq!(tx.job_fence(&running).await.unwrap_err(), crate::job::lease_lost());
    assert_eq!(
        tx.job_finish(&running, JobState::Succeeded, None).await.unwrap_err(),
        crate::job::lease_lost()
    );
    drop(tx);
    assert!(store.job_get(parent).await.unwrap().is_none());
    // Nothing of a's is left to claim; b's job is.
    let next = store.job_claim("worker-b", 60_000).await.unwrap().unwrap();
    assert_eq!(next.id, b_job);
    assert!(store.job_claim("worker-b", 60_000).await.unwrap().is_none());
    // The audit log was kept, and the reset is in it.
    let events = store.audit_list(a_id, 100).await.unwrap();
    assert_eq!(events.len() as u64, a_events + 1);
    assert_eq!(events[0].action, "ucsd:testing:reset");
    assert!(events.iter().all(|e| e.resource_type != "test"));

    // Again, removing the audit log: only the reset's own event remains.
    let removed = store.tenant_reset(&reset, AuditRetention::Remove).await.unwrap();
    assert_eq!(removed, TenantReset { audit_events: a_events + 1, ..TenantReset::default() });
    let events = store.audit_list(a_id, 100).await.unwrap();
    assert_eq!(events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["ucsd:testing:reset"]);
    assert_eq!(rows_of(store, b.tenant.id).await, b_before);
    // A tenant that does not exist cannot be reset.
    let nobody = Actor { domain_id: DomainId::new(), ..reset };
    assert!(store.tenant_reset(&nobody, AuditRetention::Keep).await.is_err());
}

/// A workflow with `steps` steps at positions 0.., claimed by `owner`.
async fn claimed_workflow(store: &Store, domain: DomainId, steps: i64, owner: &str) -> domain::job::Job {
    let parent =
        enqueue(store, NewJob::new(JobKind::Federation(Workflow::Enable), domain, "fleet", "f")).await;
    for position in 0..steps {
        let step = NewJob::new(JobKind::FederationStep(Step::JoinCluster), domain, "cluster", position);
        enqueue(store, NewJob { parent_id: Some(parent), position, ..step }).await;
    }
    let claimed = store.job_claim(owner, 60_000).await.unwrap().unwrap();
    assert_eq!(claimed.id, parent, "only the workflow is runnable, its steps are held");
    claimed
}

async fn finish(store: &Store, job: &domain::job::Job, state: JobState) {
    let mut tx = store.begin().await.unwrap();
    tx.job_finish(job, state, None).await.unwrap();
    tx.commit().await.unwrap();
}

pub async fn a_workflow_releases_a_stage_and_runs_again_when_its_last_step_ends(store: &Store) {
    let a = store.tenant_create(new_tenant("a"), "r").await.unwrap();
    let parent = claimed_workflow(store, a.tenant.id, 3, "w").await;
    // Release the stage of steps 1..=2 (step 0 stays held) and wait.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.job_wait_for_steps(&parent, (1, 2)).await.unwrap(), 2);
    tx.commit().await.unwrap();
    let first = store.job_claim("w", 60_000).await.unwrap().unwrap();
    let second = store.job_claim("w", 60_000).await.unwrap().unwrap();
    assert!(store.job_claim("w", 60_000).await.unwrap().is_none(), "the parent waits, step 0 is held");
    assert_eq!([first.position, second.position].iter().sum::<i64>(), 3);
    finish(store, &first, JobState::Failed).await;
    assert!(store.job_claim("w", 60_000).await.unwrap().is_none(), "one step is still open");
    // A rescue finds nothing astray while a released step is open.
    store.job_rescue_expired().await.unwrap();
    assert!(store.job_claim("w", 60_000).await.unwrap().is_none());
    finish(store, &second, JobState::Succeeded).await;
    let again = store.job_claim("w", 60_000).await.unwrap().unwrap();
    assert_eq!((again.id, again.waiting_for), (parent.id, 0));
    // A lost lease cannot wait: the fence holds for the barrier too.
    let mut tx = store.begin().await.unwrap();
    assert!(tx.job_wait_for_steps(&parent, (0, 0)).await.is_err(), "an earlier claim's attempt");
    drop(tx);
    // Ending the workflow cancels the steps it never released.
    let mut tx = store.begin().await.unwrap();
    tx.job_cancel_held_steps(again.id, "ended").await.unwrap();
    tx.job_finish(&again, JobState::Failed, Some("a step failed")).await.unwrap();
    tx.commit().await.unwrap();
    let steps = store.job_subjobs(parent.id).await.unwrap();
    let states: Vec<JobState> = steps.iter().map(|s| s.state).collect();
    assert_eq!(states, [JobState::Cancelled, JobState::Failed, JobState::Succeeded]);
}

pub async fn steps_that_end_at_once_all_count_down_their_parent(store: &Store) {
    let a = store.tenant_create(new_tenant("a"), "r").await.unwrap();
    let parent = claimed_workflow(store, a.tenant.id, 8, "w").await;
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.job_wait_for_steps(&parent, (0, 7)).await.unwrap(), 8);
    tx.commit().await.unwrap();
    let mut steps = Vec::new();
    while let Some(step) = store.job_claim("w", 60_000).await.unwrap() {
        steps.push(step);
    }
    assert_eq!(steps.len(), 8);
    // Every step ends in its own transaction, all at once: none of the count-downs may be lost.
    let ends = steps.iter().map(|step| async move {
        let mut tx = store.begin().await.unwrap();
        tx.job_finish(step, JobState::Succeeded, None).await.unwrap();
        tx.commit().await.unwrap();
    });
    futures::future::join_all(ends).await;
    let again = store.job_claim("w", 60_000).await.unwrap().expect("the parent runs once every step ended");
    assert_eq!((again.id, again.waiting_for), (parent.id, 0));
}

pub async fn the_key_ring_adds_numbered_keys_once_and_retires_them(store: &Store) {
    assert!(store.data_keys().await.unwrap().is_empty(), "no rows: the master key alone");
    store.data_key_add(1, "wrapped-1").await.unwrap();
    let rows = store.data_keys().await.unwrap();
    let summary: Vec<_> = rows.iter().map(|r| (r.id, r.wrapped.as_str(), r.retired_at.is_some())).collect();
    assert_eq!(summary, [(0, "", false), (1, "wrapped-1", false)], "key 0's row comes with the first key");
    // A concurrent rotation that took the same number loses, and writes nothing.
    assert_eq!(store.data_key_add(1, "other").await.unwrap_err().def, iam::KEY_IN_USE);
    store.data_key_add(2, "wrapped-2").await.unwrap();
    assert_eq!(store.data_keys().await.unwrap().len(), 3);
    assert!(store.data_key_retire(1).await.unwrap());
    assert!(!store.data_key_retire(1).await.unwrap(), "retired once");
    assert!(!store.data_key_retire(7).await.unwrap(), "no such key");
    let retired = store.data_keys().await.unwrap().into_iter().find(|r| r.id == 1).unwrap();
    assert!(retired.retired_at.is_some());
    assert_eq!(retired.wrapped, "", "its material is erased");
    store.data_keys_rewrap(&[(2, "rewrapped-2".to_string()), (1, "ignored".to_string())]).await.unwrap();
    let wrapped: Vec<_> = store.data_keys().await.unwrap().into_iter().map(|r| r.wrapped).collect();
    assert_eq!(wrapped, ["", "", "rewrapped-2"], "only live keys are rewrapped");
}

pub async fn sealed_values_are_paged_by_key_counted_by_prefix_and_replaced_only_if_unchanged(store: &Store) {
    use crate::keys::{SealedColumn, SealedValue};
    let column = SealedColumn::AccessKeySecret;
    for (i, sealed) in ["v1:a", "k1:b", "v1:c", "k12:d"].into_iter().enumerate() {
        let mut new = new_tenant(&format!("t{i}"));
        new.secret_sealed = sealed.to_string();
        store.tenant_create(new, "req").await.unwrap();
    }
    assert_eq!(store.sealed_count_by(column, "v1:").await.unwrap(), 2);
    assert_eq!(store.sealed_count_by(column, "k1:").await.unwrap(), 1, "k12: is another key");
    assert_eq!(store.sealed_count_by(SealedColumn::Kubeconfig, "v1:").await.unwrap(), 0);
    // Paged in key order, skipping what the prefix made.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = store.sealed_not_by(column, "k1:", &after, 2).await.unwrap();
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = last.row.clone();
        seen.extend(page);
    }
    assert_eq!(seen.len(), 3);
    assert!(seen.windows(2).all(|w| w[0].row < w[1].row), "in key order");
    assert!(seen.iter().all(|v| !v.sealed.starts_with("k1:")));
    // A value changed since it was read is left alone.
    let stale = SealedValue { row: seen[0].row.clone(), sealed: "v1:not-what-is-stored".to_string() };
    let changes = vec![(seen[1].clone(), "k1:new-1".to_string()), (stale, "k1:lost".to_string())];
    assert_eq!(store.sealed_replace(column, &changes).await.unwrap(), 1);
    assert_eq!(store.sealed_count_by(column, "k1:").await.unwrap(), 2);
    let auth = store.access_key_for_auth(&seen[1].row).await.unwrap().unwrap();
    assert_eq!(auth.secret_sealed, "k1:new-1");
}
