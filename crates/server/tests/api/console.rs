//! The web console (`/console`): sign-in, sessions and CSRF; every page and form; and the
//! authorization sweep over the console's own route table (401 without a session, 403 for a read-only
//! user's writes, 404 for another tenant's ids), on both backends.

use axum::http::{Method, StatusCode};
use domain::identity::Role;
use server::admin::TenantCredentials;

use crate::{
    clusters::attached,
    harness::{backend_tests, TestApp},
};

/// A browser of the console: a session cookie and the CSRF token of its forms.
pub struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookie: String,
    pub csrf: String,
}

/// A console response.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect()
    }

    /// Write controls: forms that post, but for signing out.
    pub fn write_forms(&self) -> usize {
        self.body.matches("method=\"post\"").count() - self.body.matches("action=\"/console/logout\"").count()
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The value of `name="csrf"` in a page's first form.
fn csrf_of(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("a form with a CSRF token");
    let rest = &body[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn cookie_value(set_cookie: &[String], name: &str) -> Option<String> {
    set_cookie
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c[name.len() + 1..c.find(';').unwrap_or(c.len())].to_string())
}

async fn send(
    client: &reqwest::Client,
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    form: Option<&[(&str, &str)]>,
    extra: &[(&str, &str)],
) -> Page {
    let mut request = client.request(method, format!("{}{path}", app.url)).header("cookie", cookie);
    for (k, v) in extra {
        request = request.header(*k, *v);
    }
    if let Some(form) = form {
        request = request.form(form);
    }
    let r = request.send().await.expect("send");
    Page { status: r.status(), headers: r.headers().clone(), body: r.text().await.unwrap() }
}

/// Signs in through the form as `user` of `account`; the signed-in browser.
pub async fn sign_in<'a>(app: &'a TestApp, account: &str, user: &str, password: &str) -> Browser<'a> {
    try_sign_in(app, account, user, password, &[]).await.unwrap_or_else(|p| panic!("sign-in refused: {p:?}"))
}

async fn try_sign_in<'a>(
    app: &'a TestApp,
    account: &str,
    user: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> Result<Browser<'a>, Page> {
    let client = no_redirects();
    let form = send(&client, app, Method::GET, "/console/login", "", None, extra).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let login = cookie_value(&form.set_cookies(), "ucsd_console_login").expect("the sign-in cookie");
    let csrf = csrf_of(&form.body);
    assert_eq!(login, csrf, "double submit: the cookie and the field carry one token");
    let fields =
        [("account", account), ("user", user), ("password", password), ("csrf", &csrf), ("next", "/console")];
    let cookie = format!("ucsd_console_login={login}");
    let r = send(&client, app, Method::POST, "/console/login", &cookie, Some(&fields), extra).await;
    if r.status != StatusCode::SEE_OTHER {
        return Err(r);
    }
    let session = cookie_value(&r.set_cookies(), "ucsd_console").expect("the session cookie");
    let mut browser = Browser { app, client, cookie: format!("ucsd_console={session}"), csrf: String::new() };
    let mut home = browser.get("/console").await;
    if home.status.is_redirection() {
        // The platform operator's landing page is its own.
        let to = home.location().to_string();
        home = browser.get(&to).await;
    }
    assert_eq!(home.status, 200, "{}", home.body);
    browser.csrf = csrf_of(&home.body);
    browser.cookie_header_check(&r);
    Ok(browser)
}

impl Browser<'_> {
    fn cookie_header_check(&self, r: &Page) {
        let set = r.set_cookies();
        let session = set.iter().find(|c| c.starts_with("ucsd_console=")).unwrap();
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age="] {
            assert!(session.contains(attribute), "{session}");
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        send(&self.client, self.app, Method::GET, path, &self.cookie, None, &[]).await
    }

    /// Posts a form with the session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &self.csrf));
        send(&self.client, self.app, Method::POST, path, &self.cookie, Some(&all), &[]).await
    }

    /// Posts a form as it is (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        send(&self.client, self.app, Method::POST, path, &self.cookie, Some(fields), &[]).await
    }

    /// Posts and follows the redirect of a successful action; the page it lands on.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let r = self.post(path, fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {} {}", r.status, r.body);
        let to = r.location().to_string();
        assert!(!to.contains("error="), "{path} failed: {to}");
        let page = self.get(&to).await;
        assert_eq!(page.status, 200, "{to}: {}", page.body);
        page
    }
}

/// A user of the tenant with one role; its password.
async fn viewer(app: &TestApp, t: &TenantCredentials, name: &str, role: Role) -> String {
    server::admin::user_create(&app.store, &app.app.state.sealer, &t.domain_name, name, &[role])
        .await
        .unwrap()
        .password
}

/// The path with its parameters filled in from `ids`.
fn concrete(path: &str, ids: &[(&str, &str)]) -> String {
    let mut out = path.to_string();
    while let Some(start) = out.find('{') {
        let end = out[start..].find('}').unwrap() + start;
        let name = &out[start + 1..end];
        let value =
            ids.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no value for {{{name}}}")).1;
        out.replace_range(start..=end, value);
    }
    out
}

/// A sample form for each console POST route, so the sweep reaches the API call.
fn sample_form(path: &str) -> Vec<(&'static str, &'static str)> {
    match path {
        "/console/clusters" => {
            vec![
                ("name", "swept"),
                ("category", "onpremise"),
                ("type", "baremetal"),
                ("provider", "huaweicloud"),
            ]
        }
        "/console/fleets" => vec![("name", "swept-fleet")],
        "/console/rules" => vec![("name", "swept-rule"), ("type", "readonly")],
        "/console/rules/{ruleid}" => vec![("type", "readonly")],
        "/console/cce" => vec![("name", "swept-cce"), ("kind", "cce"), ("vpc", "v"), ("subnet", "s")],
        p if p.ends_with("/join") || p.ends_with("/leave") => {
            vec![("cluster", "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b")]
        }
        p if p.ends_with("/zones") => vec![("zones", "a.com")],
        p if p.ends_with("/federation/upgrade") => vec![("version", "v1.8.0")],
        p if p.ends_with("/workflows") => vec![("from", "v1.28"), ("to", "v1.29")],
        _ => vec![("from", "v1.28"), ("to", "v1.29")],
    }
}

const NIL: &str = "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b";

backend_tests! {
    async fn sign_in_sets_a_strict_cookie_and_sign_out_and_expiry_end_the_session(app: TestApp) {
        let t = app.tenant("t1").await;
        // Wrong password: the sign-in form again, 401, and no session.
        let r = try_sign_in(&app, &t.domain_name, &t.user_name, "wrong", &[]).await.err().expect("refused");
        assert_eq!(r.status, 401, "{}", r.body);
        assert!(r.body.contains("incorrect"), "{}", r.body);
        assert!(cookie_value(&r.set_cookies(), "ucsd_console").is_none());
        // Behind TLS the cookie is Secure.
        let client = no_redirects();
        let form = send(&client, &app, Method::GET, "/console/login", "", None, &[("x-forwarded-proto", "https")]).await;
        assert!(form.set_cookies().iter().all(|c| c.contains("; Secure")), "{:?}", form.set_cookies());
        let plain = send(&client, &app, Method::GET, "/console/login", "", None, &[]).await;
        assert!(plain.set_cookies().iter().all(|c| !c.contains("Secure")), "{:?}", plain.set_cookies());
        // A sign-in whose form token does not match its cookie is refused.
        let fields = [("account", t.domain_name.as_str()), ("user", &t.user_name), ("password", &t.password), ("csrf", "forged")];
        let r = send(&client, &app, Method::POST, "/console/login", "ucsd_console_login=other", Some(&fields), &[]).await;
        assert_eq!(r.status, 403, "{}", r.body);

        let b = sign_in(&app, &t.domain_name, &t.user_name, &t.password).await;
        let home = b.get("/console").await;
        assert!(home.body.contains(&t.user_name) && home.body.contains("Sign out"), "{}", home.body);
        assert_eq!(home.headers["x-frame-options"], "DENY");
        assert!(home.headers["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
        // The database keeps a hash, never the cookie's token.
        let token = b.cookie.trim_start_matches("ucsd_console=").to_string();
        assert!(app.store.console_session_get(&token).await.unwrap().is_none());

        // Sign-out needs the form's token, then ends the session.
        assert_eq!(b.post_raw("/console/logout", &[]).await.status, 403);
        let r = b.post("/console/logout", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.set_cookies().iter().any(|c| c.starts_with("ucsd_console=;") && c.contains("Max-Age=0")));
        assert_eq!(b.get("/console").await.status, 401);

        // Expiry: after the session's lifetime, sign in again.
        let b = sign_in(&app, &t.domain_name, &t.user_name, &t.password).await;
        app.clock.advance(chrono::Duration::seconds(app.config.console.session_ttl_secs + 1));
        let r = b.get("/console/clusters").await;
        assert_eq!(r.status, 401);
        assert!(r.body.contains("/console/login?next=%2Fconsole%2Fclusters"), "{}", r.body);
    }

    async fn every_form_needs_the_sessions_csrf_token(app: TestApp) {
        let t = app.tenant("t1").await;
        let b = sign_in(&app, &t.domain_name, &t.user_name, &t.password).await;
        let fields = [("name", "no-token"), ("category", "onpremise"), ("type", "baremetal"), ("provider", "huaweicloud")];
        assert_eq!(b.post_raw("/console/clusters", &fields).await.status, 403);
        let mut forged = fields.to_vec();
        forged.push(("csrf", "forged"));
        assert_eq!(b.post_raw("/console/clusters", &forged).await.status, 403);
        assert_eq!(app.cluster_count(&t).await, 0, "nothing was registered");
        b.submit("/console/clusters", &fields).await;
        assert_eq!(app.cluster_count(&t).await, 1);
    }

    async fn the_tenant_pages_render_and_their_forms_act_through_the_api(app: TestApp) {
        let t = app.tenant("t1").await;
        let b = sign_in(&app, &t.domain_name, &t.user_name, &t.password).await;
        // Register a cluster, make a fleet, join it.
        let page = b.submit("/console/clusters", &[("name", "web-1"), ("category", "attachedcluster"), ("type", "eks"),
            ("provider", "aws"), ("kubeconfig", crate::clusters::KUBECONFIG)]).await;
        assert!(page.body.contains("Cluster web-1") && page.body.contains("registered"), "{}", page.body);
        app.settle().await;
        let list = b.get("/console/clusters?status=Available").await;
        assert!(list.body.contains("web-1"), "{}", list.body);
        assert!(!b.get("/console/clusters?status=Unavailable").await.body.contains(">web-1<"));
        let cluster = app.store.cluster_list(t.domain_id.parse().unwrap(), &Default::default()).await.unwrap().0[0].id.to_string();
        let detail = b.get(&format!("/console/clusters/{cluster}")).await;
        assert!(detail.body.contains("Conditions") && detail.body.contains("rendered RBAC"), "{}", detail.body);
        assert!(!detail.body.contains("BEGIN") && !detail.body.contains("client-key"), "no secret rendered: {}", detail.body);
        let kubeconfig = b.post(&format!("/console/clusters/{cluster}/kubeconfig"), &[]).await;
        assert_eq!(kubeconfig.status, 200, "{}", kubeconfig.body);
        assert!(kubeconfig.headers["content-disposition"].to_str().unwrap().starts_with("attachment"));

        let fleet_page = b.submit("/console/fleets", &[("name", "prod"), ("description", "production")]).await;
        assert!(fleet_page.body.contains("Fleet prod"), "{}", fleet_page.body);
        let fleet = app.store.fleet_list(t.domain_id.parse().unwrap(), &Default::default()).await.unwrap().0[0].id.to_string();
        let page = b.submit(&format!("/console/fleets/{fleet}/join"), &[("cluster", &cluster)]).await;
        assert!(page.body.contains("web-1"), "{}", page.body);
        b.submit(&format!("/console/fleets/{fleet}/zones"), &[("zones", "a.example.com")]).await;
        // Federation, to Success, with its sub-job tree.
        b.submit(&format!("/console/fleets/{fleet}/federation"), &[]).await;
        app.settle().await;
        let page = b.get(&format!("/console/fleets/{fleet}")).await;
        assert!(page.body.contains("Available") && page.body.contains("ul class=\"tree\""), "{}", page.body);
        assert!(page.body.contains("Success"), "{}", page.body);

        // A permission policy: the API's validation error is shown beside its field, and nothing is made.
        let r = b.post("/console/rules", &[("name", "bad name!"), ("type", "readonly")]).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains("field-error"), "{}", r.body);
        b.submit("/console/rules", &[("name", "readers"), ("type", "readonly"), ("description", "read")]).await;
        let rule = app.store.rule_list(t.domain_id.parse().unwrap(), &Default::default()).await.unwrap().0[0].id.to_string();
        let r = b.post(&format!("/console/rules/{rule}"), &[("type", "custom"), ("verbs", ""), ("resources", "")]).await;
        assert_eq!(r.status, 400, "{}", r.body);
        b.submit(&format!("/console/clusters/{cluster}/rules"), &[("rule", &rule), ("namespaces", "default")]).await;
        assert!(b.get("/console/rules").await.body.contains("readers"));

        // Quotas as bars; the audit log lists what the console did, as the user.
        let home = b.get("/console").await;
        assert!(home.body.contains("<meter"), "{}", home.body);
        let audit = b.get("/console/audit").await;
        for action in ["ucs:cluster:create", "ucs:fleet:create", "ucs:fleet:enableFederation", "ucs:rule:create"] {
            assert!(audit.body.contains(action), "{action}: {}", audit.body);
        }

        // A CCE cluster, then its upgrade walked through the workflow graph.
        let r = b.post("/console/cce", &[("name", "cce-1"), ("kind", "cce"), ("version", "v1.28"), ("vpc", "v"), ("subnet", "s")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let cce = r.location().trim_start_matches("/console/cce/").split('?').next().unwrap().to_string();
        let cce = cce.as_str();
        app.settle().await;
        assert!(b.get("/console/cce").await.body.contains("cce-1"));
        let page = b.get(&format!("/console/cce/{cce}")).await;
        assert!(page.body.contains("Node pools") && page.body.contains("Create upgrade workflow"), "{}", page.body);
        let from = field_value(&page.body, "from");
        let to = option_value(&page.body, "wf-target");
        let page = b.submit(&format!("/console/cce/{cce}/workflows"), &[("from", &from), ("to", &to)]).await;
        assert!(page.body.contains("<svg") && page.body.contains("data-point=\"PreCheck\""), "{}", page.body);
        let workflow = page_workflow(&page.body);
        for (op, point) in [("precheck", "PreCheck"), ("snapshot", "Snapshot"), ("upgrade", "Cluster"), ("postcheck", "PostCheck")] {
            let page = b.submit(&format!("/console/cce/{cce}/{op}"), &[("workflow", &workflow), ("from", &from), ("to", &to)]).await;
            assert!(page.body.contains("started"), "{op}: {}", page.body);
            app.settle().await;
            let page = b.get(&format!("/console/cce/{cce}/workflows/{workflow}")).await;
            assert!(page.body.contains(&format!("class=\"node ok\" data-point=\"{point}\"")), "{op}: {}", page.body);
        }
        let page = b.get(&format!("/console/cce/{cce}/workflows/{workflow}")).await;
        assert!(page.body.contains("Workflow phase: <span class=\"badge ok\">Success"), "{}", page.body);
        assert!(page.body.contains("<progress"), "{}", page.body);
    }

    async fn a_read_only_user_sees_no_write_control_and_is_refused_if_it_posts(app: TestApp) {
        let t = app.tenant("t1").await;
        let password = viewer(&app, &t, "viewer", Role::UcsReadOnlyAccess).await;
        let id = app.register(&t, &attached("mine")).await;
        let fleet = app.fleet(&t, "mine-fleet", &[&id]).await;
        let rule = app.rule(&t, "mine-rule", &[]).await;
        let cce = app.cce_cluster(&t, "mine-cce").await;
        let b = sign_in(&app, &t.domain_name, "viewer", &password).await;
        let ids = [("clusterid", id.as_str()), ("clustergroupid", fleet.as_str()), ("ruleid", rule.as_str()),
                   ("cluster_id", cce.as_str()), ("upgrade_workflow_id", NIL), ("job_id", NIL)];
        for route in console::table() {
            let path = concrete(route.path, &ids);
            if domain::authz::platform_only(route.action) {
                let r = if route.method == Method::GET { b.get(&path).await } else { b.post(&path, &[]).await };
                assert_eq!(r.status, 403, "{path}: {}", r.body);
                continue;
            }
            if route.method == Method::GET {
                let r = b.get(&path).await;
                if route.path.contains("upgrade_workflow_id") || route.path.starts_with("/console/autopilot/") {
                    assert_eq!(r.status, 404, "{path}: {}", r.body);
                    continue;
                }
                assert_eq!(r.status, 200, "{path}: {}", r.body);
                assert_eq!(r.write_forms(), 0, "{path} shows a write control: {}", r.body);
            } else if route.action.kind == domain::authz::ActionKind::Write {
                let r = b.post(&path, &sample_form(route.path)).await;
                assert_eq!(r.status, 403, "{path}: {}", r.body);
            }
        }
        assert_eq!(app.cluster_count(&t).await, 1, "nothing the viewer posted was written");
        assert_eq!(app.store.fleet_count(t.domain_id.parse().unwrap()).await.unwrap(), 1);
    }

    async fn every_console_route_refuses_a_browser_without_a_session(app: TestApp) {
        let ids = [("clusterid", NIL), ("clustergroupid", NIL), ("ruleid", NIL), ("cluster_id", NIL), ("upgrade_workflow_id", NIL), ("job_id", NIL)];
        let client = no_redirects();
        let table = console::table();
        assert!(table.len() >= 30, "the console's table lists its routes");
        for route in &table {
            let path = concrete(route.path, &ids);
            let form = sample_form(route.path);
            let form = (route.method == Method::POST).then_some(form.as_slice());
            let r = send(&client, &app, route.method.clone(), &path, "ucsd_console=forged", form, &[]).await;
            assert_eq!(r.status, 401, "{} {path}: {}", route.method, r.body);
            assert!(r.body.contains("/console/login"), "{}", r.body);
        }
    }

    async fn another_tenants_ids_are_not_found_on_every_console_route(app: TestApp) {
        let t = app.tenant("t1").await;
        let other = app.tenant("t2").await;
        let theirs = app.register(&other, &attached("theirs")).await;
        let their_fleet = app.fleet(&other, "their-fleet", &[&theirs]).await;
        let their_rule = app.rule(&other, "their-rule", &[]).await;
        let their_cce = app.cce_cluster(&other, "their-cce").await;
        let b = sign_in(&app, &t.domain_name, &t.user_name, &t.password).await;
        let their_job = app.store.job_list_for_resource("cluster", &theirs).await.unwrap()[0].id.to_string();
        let ids = [("clusterid", theirs.as_str()), ("clustergroupid", their_fleet.as_str()), ("ruleid", their_rule.as_str()),
                   ("cluster_id", their_cce.as_str()), ("upgrade_workflow_id", NIL), ("job_id", their_job.as_str())];
        for route in console::table() {
            if !route.path.contains('{') {
                continue;
            }
            if domain::authz::platform_only(route.action) {
                // Not even a tenant's administrator sees across tenants.
                let path = concrete(route.path, &ids);
                let r = if route.method == Method::GET { b.get(&path).await } else { b.post(&path, &[]).await };
                assert_eq!(r.status, 403, "{} {path}: {}", route.method, r.body);
                continue;
            }
            let path = concrete(route.path, &ids);
            let r = if route.method == Method::GET { b.get(&path).await } else { b.post(&path, &sample_form(route.path)).await };
            // Joining names the caller's fleet first; a fleet of theirs is not found either way.
            assert_eq!(r.status, 404, "{} {path}: {}", route.method, r.body);
            for secret in ["theirs", "their-fleet", "their-rule", "their-cce"] {
                assert!(!r.body.contains(secret), "{path} leaks {secret}");
            }
        }
        let c = app.cluster(&other, &theirs).await;
        assert_eq!(c["spec"]["clusterGroupID"], their_fleet, "still in its fleet");
    }

    async fn the_platform_operator_sees_every_tenant_and_the_job_engine_and_retries_and_cancels_jobs(app: TestApp) {
        let t1 = app.tenant("t1").await;
        let t2 = app.tenant("t2").await;
        let doomed = app.register(&t1, &attached("doomed")).await;
        let calm = app.register(&t2, &attached("calm-one")).await;
        app.step().await;
        app.step().await;
        let ops = server::admin::operator_create(&app.store, &app.app.state.sealer, "ops", &app.config.region)
            .await
            .unwrap();
        assert_eq!(ops.roles, ["ucsd_platform_admin"]);
        // The reserved account takes no tenant, and its role no tenant user.
        let taken = server::admin::tenant_create(&app.store, &app.app.state.sealer, "ucsd.platform", "cn-north-4").await;
        assert_eq!(taken.unwrap_err().status(), 409);
        let role = domain::identity::Role::PlatformAdmin;
        assert!(server::admin::user_create(&app.store, &app.app.state.sealer, "t1", "sneaky", &[role]).await.is_err());

        let b = sign_in(&app, "ucsd.platform", "ops", &ops.password).await;
        let home = b.get("/console/operator").await;
        assert_eq!(home.status, 200, "{}", home.body);
        for name in ["t1", "t2", "Job engine", "Tenants"] {
            assert!(home.body.contains(name), "{name}: {}", home.body);
        }
        assert!(!home.body.contains("/console/clusters"), "no tenant sections");
        // Nothing of a tenant's: its pages are refused, whatever the id.
        for path in ["/console/clusters", &format!("/console/clusters/{calm}"), "/console/audit"] {
            assert_eq!(b.get(path).await.status, 403, "{path}");
        }

        let jobs = b.get(&format!("/console/operator/jobs?tenant={}&state=pending", t1.domain_id)).await;
        assert_eq!(jobs.status, 200, "{}", jobs.body);
        let job = app.store.job_list_for_resource("cluster", &doomed).await.unwrap().remove(0);
        assert!(jobs.body.contains(&job.id.to_string()), "{}", jobs.body);
        assert!(jobs.body.contains("simulated failure"), "the reason is shown: {}", jobs.body);
        assert!(!jobs.body.contains(&calm), "another tenant's job is filtered out");
        assert_eq!(b.get("/console/operator/jobs?state=sleeping").await.status, 400);

        let page = b.get(&format!("/console/operator/jobs/{}", job.id)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.write_forms(), 2, "retry and cancel: {}", page.body);
        let after = b.submit(&format!("/console/operator/jobs/{}/cancel", job.id), &[]).await;
        assert!(after.body.contains("asked to stop"), "{}", after.body);
        app.settle().await;
        let c = app.await_phase(&t1, &doomed, "Unavailable").await;
        assert_eq!(c["status"]["message"], domain::job_admin::CANCELLED_BY_OPERATOR);
        let page = b.get(&format!("/console/operator/jobs/{}", job.id)).await;
        assert_eq!(page.write_forms(), 1, "a failed job may only be retried: {}", page.body);
        // Its code decides again from fresh reads: the cluster settled, so the rerun ends at once.
        b.submit(&format!("/console/operator/jobs/{}/retry", job.id), &[]).await;
        app.settle().await;
        let rerun = app.store.job_get(job.id).await.unwrap().unwrap();
        assert_eq!(rerun.state, domain::job::JobState::Cancelled, "{rerun:?}");
        assert!(rerun.last_error.unwrap().contains("no longer pending"));
        let refused = b.post(&format!("/console/operator/jobs/{}/cancel", job.id), &[]).await;
        assert_eq!(refused.status, StatusCode::SEE_OTHER);
        assert!(refused.location().contains("error="), "{}", refused.location());
        assert_eq!(b.get(&format!("/console/operator/jobs/{NIL}")).await.status, 404);
    }
}

/// The value of the hidden input `name` in a page.
fn field_value(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = body.find(&marker).unwrap_or_else(|| panic!("no field {name}: {body}"));
    let rest = &body[at + marker.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// The first option of the select with id `id`.
fn option_value(body: &str, id: &str) -> String {
    let at = body.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no select {id}: {body}"));
    field_after(&body[at..], "option value=\"")
}

fn field_after(s: &str, marker: &str) -> String {
    let at = s.find(marker).unwrap();
    let rest = &s[at + marker.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// The workflow id of a workflow page's forms.
fn page_workflow(body: &str) -> String {
    field_value(body, "workflow")
}
