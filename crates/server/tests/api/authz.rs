//! The route sweep: every authenticated route from the router's own table, asked without credentials,
//! by a read-only user, and with another tenant's ids.

use axum::http::Method;
use serde_json::{json, Value};
use server::admin::UserCredentialsOut;

use crate::{
    clusters::attached,
    harness::{backend_tests, Call, TestApp},
};

/// The path with its parameters filled in from `ids` (parameter name → value). A route with a
/// parameter this sweep does not know fails the test: give it a value here.
fn concrete(path: &str, ids: &[(&str, &str)]) -> String {
    let mut out = path.to_string();
    while let Some(start) = out.find('{') {
        let end = out[start..].find('}').unwrap() + start;
        let name = &out[start + 1..end];
        let value =
            ids.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no sweep value for {{{name}}}")).1;
        out.replace_range(start..=end, value);
    }
    out
}

/// A body the route's handler accepts, so the sweep reaches the resource lookup.
fn sample_body(method: &Method, path: &str) -> Value {
    match (method.as_str(), path) {
        ("POST", "/v1/clusters") => attached("swept"),
        ("PUT", "/v1/clusters/{clusterid}") => json!({"spec": {"country": "CN", "city": "110000"}}),
        ("POST", "/v1/clusters/{clusterid}/clusterconf") => json!({"MASTER-1": "10.0.0.1"}),
        ("POST", "/v1/clusters/{clusterid}/join") => {
            json!({"clusterGroupID": "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"})
        }
        ("POST", "/v1/clustergroups") => json!({"metadata": {"name": "swept-fleet"}}),
        ("PUT", "/v1/clustergroups/{clustergroupid}/description") => json!({"description": "x"}),
        ("PUT", "/v1/clustergroups/{clustergroupid}/associatedclusters") => json!({"clusterIds": []}),
        ("PUT", "/v1/clustergroups/{clustergroupid}/associatedzones") => json!({"dnsSuffix": ["a.com"]}),
        ("POST", "/v1/permissions/rules") => {
            json!({"metadata": {"name": "swept-rule"}, "spec": {"type": "readonly"}})
        }
        ("PUT", "/v1/permissions/rules/{ruleid}") => json!({"spec": {"description": "swept"}}),
        (
            "PUT",
            "/v1/clusters/{clusterid}/associatedrules" | "/v1/clustergroups/{clustergroupid}/associatedrules",
        ) => json!({"ruleIDNamespaces": []}),
        ("POST", "/v1/clustergroups/{clustergroupid}/federations/upgrade") => {
            json!({"targetVersion": "v1.8.0"})
        }
        ("POST", "/v1/clustergroups/{clustergroupid}/kubeconfig") => json!({"duration": 30}),
        (
            "POST",
            "/v1/clustergroups/{clustergroupid}/cert" | "/v1/clustergroups/{clustergroupid}/connection",
        ) => json!({
            "projectID": "0123456789abcdef0123456789abcdef", "vpcID": "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b",
            "subnetID": "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b", "duration": 30}),
        (
            "PUT",
            "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/upgradeplans/{upgrade_plan_id}",
        ) => {
            json!({"notBefore": "2030-01-01"})
        }
        ("PUT", "/api/v3/addons/{id}" | "/autopilot/v3/addons/{id}") => {
            json!({"spec": {"clusterID": "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b", "addonTemplateName": "coredns"}})
        }
        _ => json!({}),
    }
}

/// The error code of `status` in the family of `path` (CCE routes answer CCE codes).
fn code_of(path: &str, status: u16) -> &'static str {
    let cce = path.starts_with("/api/") || path.starts_with("/autopilot/");
    match (status, cce) {
        (401, false) => "UCS.01000003",
        (401, true) => "CCE.01401001",
        (403, false) => "UCS.01000004",
        (403, true) => "CCE.01403001",
        _ => unreachable!("the sweep expects 401 and 403 only"),
    }
}

/// Ids for the CCE routes' parameters that name nothing (their lookups answer 404).
const CCE_IDS: [(&str, &str); 9] = [
    ("cluster_id", "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"),
    ("upgrade_workflow_id", "6b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"),
    ("task_id", "7b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"),
    ("nodepool_id", "DefaultPool"),
    ("node_id", "ab6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"),
    ("id", "bb6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"),
    ("upgrade_plan_id", "8b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"),
    ("job_id", "9b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"),
    // The testing tools' (tests/api/testing_kit.rs sweeps them with the tools on).
    ("fault_id", "cb6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"),
];

fn with_body<'a>(call: Call<'a>, method: &Method, path: &str) -> Call<'a> {
    if *method == Method::GET || *method == Method::DELETE {
        call
    } else {
        call.json(&sample_body(method, path))
    }
}

fn signed_as<'a>(call: Call<'a>, user: &UserCredentialsOut, domain_id: &str) -> Call<'a> {
    call.header("x-domain-id", domain_id).sign_with(&user.access_key, &user.secret_key)
}

backend_tests! {
    async fn every_route_refuses_callers_without_credentials(app: TestApp) {
        let table = api::routes::table();
        assert!(table.len() >= 14, "the table lists the API");
        let ids = [("clusterid", "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"), ("clustergroupid", "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"),
                   ("domainid", "0123456789abcdef0123456789abcdef"),
                   ("ruleid", "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"),
                   ("project_id", "0123456789abcdef0123456789abcdef")];
        let ids: Vec<(&str, &str)> = ids.into_iter().chain(CCE_IDS).collect();
        for route in &table {
            let path = concrete(route.path, &ids);
            let r = with_body(app.call(route.method.clone(), &path), &route.method, route.path).send().await;
            r.assert_error(401, code_of(route.path, 401));
        }
    }

    async fn a_read_only_user_may_read_but_never_write(app: TestApp) {
        let t = app.tenant("t1").await;
        let viewer = server::admin::user_create(&app.store, &app.app.state.sealer, "t1", "viewer",
            &[domain::identity::Role::UcsReadOnlyAccess]).await.unwrap();
        let id = app.register(&t, &attached("mine")).await;
        let fleet = app.fleet(&t, "mine-fleet", &[]).await;
        let rule = app.rule(&t, "mine-rule", &[]).await;
        let ids = [("clusterid", id.as_str()), ("clustergroupid", fleet.as_str()), ("domainid", t.domain_id.as_str()),
                   ("ruleid", rule.as_str()), ("project_id", t.project_id.as_str())];
        let ids: Vec<(&str, &str)> = ids.into_iter().chain(CCE_IDS).collect();
        for route in api::routes::table() {
            let path = concrete(route.path, &ids);
            let call = with_body(app.call(route.method.clone(), &path), &route.method, route.path);
            // CCE routes are project-scoped: the SDK sends X-Project-Id, not X-Domain-Id.
            let call = if route.path.contains("{project_id}") {
                call.sign_with(&viewer.access_key, &viewer.secret_key)
            } else {
                signed_as(call, &viewer, &t.domain_id)
            };
            let r = call.send().await;
            if route.path.starts_with("/ucsd/testing/") {
                // Off by default: an unknown route for every caller (tests/api/testing.rs turns it on).
                r.assert_error(404, "UCS.01000013");
            } else if route.action.kind == domain::authz::ActionKind::Write {
                r.assert_error(403, code_of(route.path, 403));
            } else {
                // Allowed: anything but a refusal (a fleet without federation has no progress: 400).
                assert!(r.status != 401 && r.status != 403, "{} {}: {}", route.method, route.path, r.text);
            }
        }
        // Nothing the viewer tried was written.
        assert_eq!(app.cluster_count(&t).await, 1);
        assert_eq!(app.store.fleet_count(t.domain_id.parse().unwrap()).await.unwrap(), 1);
        let c = app.cluster(&t, &id).await;
        assert_eq!(c["spec"]["IsDownloadedCert"], false);
    }

    async fn another_tenants_ids_are_not_found_on_every_route(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        let theirs = app.register(&other, &attached("theirs")).await;
        let their_fleet = app.fleet(&other, "their-fleet", &[&theirs]).await;
        let their_rule = app.rule(&other, "their-rule", &[]).await;
        // Their CCE cluster, asked for under the caller's own project.
        let r = app.post(&format!("/api/v3/projects/{}/clusters", other.project_id))
            .json(&json!({"metadata": {"name": "their-cce"},
                          "spec": {"flavor": "cce.s1.small", "hostNetwork": {"vpc": "v", "subnet": "s"}}}))
            .signed(&other).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
        let their_cce = r.body["metadata"]["uid"].as_str().unwrap().to_string();
        let their_job = r.body["status"]["jobID"].as_str().unwrap().to_string();
        let ids = [("clusterid", theirs.as_str()), ("clustergroupid", their_fleet.as_str()),
                   ("domainid", other.domain_id.as_str()), ("ruleid", their_rule.as_str()),
                   ("project_id", t.project_id.as_str()), ("cluster_id", their_cce.as_str()),
                   ("job_id", their_job.as_str())];
        let theirs_named = |name: &str| ids.iter().any(|(n, _)| *n == name);
        let ids: Vec<(&str, &str)> =
            ids.iter().copied().chain(CCE_IDS.iter().copied().filter(|(n, _)| !theirs_named(n))).collect();
        for route in api::routes::table() {
            let path = concrete(route.path, &ids);
            let r = with_body(app.call(route.method.clone(), &path), &route.method, route.path).signed(&t).send().await;
            // Routes whose only parameter is the caller's own project list the caller's own things.
            let own = route.path.matches('{').count() == 1 && route.path.contains("{project_id}");
            if route.path.contains('{') && !own {
                assert_eq!(r.status, 404, "{} {}: {}", route.method, route.path, r.text);
            }
            for secret in [theirs.as_str(), "theirs", their_fleet.as_str(), "their-fleet", their_rule.as_str(), "their-rule",
                           their_cce.as_str(), "their-cce"] {
                assert!(!r.text.contains(secret), "{} {} leaks {secret}: {}", route.method, route.path, r.text);
            }
        }
        let c = app.cluster(&other, &theirs).await;
        assert_eq!(c["metadata"]["name"], "theirs");
        assert_eq!(c["spec"]["IsDownloadedCert"], false);
        assert_eq!(c["spec"]["clusterGroupID"], their_fleet, "still in its fleet");
    }

    async fn a_cia_operations_user_may_download_kubeconfigs_but_not_change_clusters(app: TestApp) {
        let t = app.tenant("t1").await;
        let ops = server::admin::user_create(&app.store, &app.app.state.sealer, "t1", "ops",
            &[domain::identity::Role::UcsCiaOperations]).await.unwrap();
        let id = app.register(&t, &attached("mine")).await;
        let r = signed_as(app.post(&format!("/v1/clusters/{id}/kubeconfig")), &ops, &t.domain_id).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = signed_as(app.call(Method::DELETE, &format!("/v1/clusters/{id}")), &ops, &t.domain_id).send().await;
        r.assert_error(403, "UCS.01000004");
        let events = app.store.audit_list(t.domain_id.parse().unwrap(), 5).await.unwrap();
        assert!(events.iter().any(|e| e.action == "ucs:cluster:delete" && e.outcome == "UCS.01000004"), "{events:?}");
    }
}
