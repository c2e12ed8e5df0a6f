//! `GET /metrics`: the Prometheus text format, HTTP series per route template, the job engine's
//! families and what the database holds, read at scrape time.

use std::collections::BTreeMap;

use crate::{
    clusters::attached,
    harness::{backend_tests, spawn_with, Backend, TestApp},
};

/// One scrape: every sample by metric name and label set.
#[derive(Debug)]
struct Scrape {
    text: String,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Scrape {
    fn parse(text: String) -> Self {
        let samples = text
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| parse_sample(line).unwrap_or_else(|| panic!("not a sample line: {line:?}")))
            .collect();
        Self { text, samples }
    }

    /// The value of the sample `name` with exactly these labels.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let wanted: BTreeMap<String, String> =
            labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.samples.iter().find(|(n, l, _)| n == name && *l == wanted).map(|(_, _, v)| *v)
    }

    fn has_type(&self, name: &str, kind: &str) -> bool {
        self.text.lines().any(|line| line == format!("# TYPE {name} {kind}"))
    }
}

/// `name{k="v",…} value` or `name value`; label values may hold braces (route templates) and escapes.
fn parse_sample(line: &str) -> Option<(String, BTreeMap<String, String>, f64)> {
    let (series, value) = line.rsplit_once(' ')?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        v => v.parse().ok()?,
    };
    let Some((name, rest)) = series.split_once('{') else {
        return Some((series.to_string(), BTreeMap::new(), value));
    };
    let mut labels = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        if chars.next()? != '"' {
            return None;
        }
        let mut value = String::new();
        loop {
            match chars.next()? {
                '\\' => value.push(chars.next()?),
                '"' => break,
                c => value.push(c),
            }
        }
        labels.insert(key, value);
        match chars.next()? {
            ',' => continue,
            '}' => break,
            _ => return None,
        }
    }
    Some((name.to_string(), labels, value))
}

impl TestApp {
    async fn scrape(&self) -> Scrape {
        let r = self.get("/metrics").send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let content_type = r.headers["content-type"].to_str().unwrap();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        Scrape::parse(r.text)
    }
}

const ACTIVATE: &str = "cluster.activate";

backend_tests! {
    async fn metrics_count_requests_per_route_template_and_the_jobs_that_ran(app: TestApp) {
        let t = app.tenant("t1").await;
        let ok = app.register(&t, &attached("prod-1")).await;
        // flaky fails its activation twice, then activates: three claims, two retries.
        let flaky = app.register(&t, &attached("flaky")).await;
        app.await_phase(&t, &ok, "Available").await;
        app.await_phase(&t, &flaky, "Available").await;
        for _ in 0..3 {
            assert_eq!(app.get("/v1/clusters").signed(&t).send().await.status, 200);
        }
        assert_eq!(app.get("/v1/clusters").send().await.status, 401);
        assert_eq!(app.get(&format!("/elsewhere/{ok}")).send().await.status, 404);

        let m = app.scrape().await;
        assert_eq!(m.value("ucsd_job_run_duration_seconds_count", &[("kind", ACTIVATE), ("state", "succeeded")]), Some(2.0), "{}", m.text);
        for (name, kind) in [
            ("ucsd_http_requests_total", "counter"),
            ("ucsd_http_request_duration_seconds", "histogram"),
            ("ucsd_job_pickup_latency_seconds", "histogram"),
            ("ucsd_job_step_duration_seconds", "histogram"),
            ("ucsd_job_run_duration_seconds", "histogram"),
            ("ucsd_job_retries_total", "counter"),
            ("ucsd_job_lease_rescues_total", "counter"),
            ("ucsd_jobs", "gauge"),
            ("ucsd_db_pool_connections", "gauge"),
            ("ucsd_db_pool_max_connections", "gauge"),
        ] {
            assert!(m.has_type(name, kind), "no {kind} {name} in\n{}", m.text);
        }

        // Requests, by route template, method and status.
        let list = [("route", "/v1/clusters"), ("method", "GET"), ("status", "200")];
        assert_eq!(m.value("ucsd_http_requests_total", &list), Some(3.0));
        assert_eq!(m.value("ucsd_http_request_duration_seconds_count", &list), Some(3.0));
        let mut inf = list.to_vec();
        inf.push(("le", "+Inf"));
        assert_eq!(m.value("ucsd_http_request_duration_seconds_bucket", &inf), Some(3.0));
        let denied = [("route", "/v1/clusters"), ("method", "GET"), ("status", "401")];
        assert_eq!(m.value("ucsd_http_requests_total", &denied), Some(1.0));
        let created = [("route", "/v1/clusters"), ("method", "POST"), ("status", "201")];
        assert_eq!(m.value("ucsd_http_requests_total", &created), Some(2.0));
        // Reads of each cluster by id share one series under the template; no id reaches a label.
        let one = [("route", "/v1/clusters/{clusterid}"), ("method", "GET"), ("status", "200")];
        assert!(m.value("ucsd_http_requests_total", &one).is_some_and(|n| n >= 2.0), "{}", m.text);
        let unmatched = [("route", "unmatched"), ("method", "GET"), ("status", "404")];
        assert_eq!(m.value("ucsd_http_requests_total", &unmatched), Some(1.0));
        assert!(!m.text.contains(&ok) && !m.text.contains(&flaky) && !m.text.contains(&t.domain_id));

        // The job engine: four claims (one, then three of flaky), all committed; two retries.
        let kind = [("kind", ACTIVATE)];
        assert_eq!(m.value("ucsd_job_pickup_latency_seconds_count", &kind), Some(4.0));
        let committed = [("kind", ACTIVATE), ("outcome", "committed")];
        assert_eq!(m.value("ucsd_job_step_duration_seconds_count", &committed), Some(4.0));
        assert_eq!(m.value("ucsd_job_retries_total", &kind), Some(2.0));
        assert_eq!(m.value("ucsd_job_lease_rescues_total", &[]), Some(0.0));
        assert_eq!(m.value("ucsd_job_leases_lost_total", &kind), None, "no lease was lost");

        // What the database holds, every state of the kind present.
        assert_eq!(m.value("ucsd_jobs", &[("kind", ACTIVATE), ("state", "succeeded")]), Some(2.0));
        for state in ["pending", "running", "paused", "failed", "cancelled"] {
            assert_eq!(m.value("ucsd_jobs", &[("kind", ACTIVATE), ("state", state)]), Some(0.0), "{state}");
        }
        let max = m.value("ucsd_db_pool_max_connections", &[]).unwrap();
        let in_use = m.value("ucsd_db_pool_connections", &[("state", "in_use")]).unwrap();
        let idle = m.value("ucsd_db_pool_connections", &[("state", "idle")]).unwrap();
        assert_eq!(max, 8.0, "the test stores open 8 connections at most");
        assert!(in_use + idle >= 1.0 && in_use + idle <= max, "in use {in_use}, idle {idle}");

        // The scrapes themselves are requests too.
        let again = app.scrape().await;
        let scrapes = [("route", "/metrics"), ("method", "GET"), ("status", "200")];
        assert!(again.value("ucsd_http_requests_total", &scrapes).is_some_and(|n| n >= 1.0));
    }

    async fn a_job_that_runs_out_of_attempts_is_counted_failed(app: TestApp) {
        let t = app.tenant("t1").await;
        let id = app.register(&t, &attached("doomed")).await;
        app.await_phase(&t, &id, "Unavailable").await;
        let m = app.scrape().await;
        assert_eq!(m.value("ucsd_job_run_duration_seconds_count", &[("kind", ACTIVATE), ("state", "failed")]), Some(1.0), "{}", m.text);
        assert_eq!(m.value("ucsd_jobs", &[("kind", ACTIVATE), ("state", "failed")]), Some(1.0));
        assert_eq!(m.value("ucsd_jobs", &[("kind", ACTIVATE), ("state", "succeeded")]), Some(0.0));
        let claims = m.value("ucsd_job_pickup_latency_seconds_count", &[("kind", ACTIVATE)]).unwrap();
        let retries = m.value("ucsd_job_retries_total", &[("kind", ACTIVATE)]).unwrap();
        assert!(claims >= 2.0, "{}", m.text);
        assert_eq!(retries, claims - 1.0, "every claim but the last was retried");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_turned_off() {
    let app = spawn_with(Backend::Sqlite, &[("UCS_METRICS__ENABLED", "false")]).await;
    app.get("/metrics").send().await.assert_error(404, "UCS.01000013");
    assert_eq!(app.get("/healthz").send().await.status, 200);
}
