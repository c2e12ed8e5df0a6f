//! Rotating the key ring (`ucsd admin keys`, `server::keys`): every sealed value re-sealed with the
//! new key, tokens of every live key verified, retiring refused while anything still uses a key.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use secrets::{keyring::sealed_prefix, Keyring};
use serde_json::json;
use server::keys;
use store::{keys::SealedColumn, Store};

use crate::{
    harness::{backend_tests, TestApp},
    replicas::Replica,
    upgrades::{cluster_body, Cce, Flavor},
};

/// The ring an operator's `ucsd admin keys …` works with: its own, loaded from the database.
async fn admin_ring(app: &TestApp) -> Keyring {
    keys::keyring(&app.store, app.config.master_key().unwrap()).await.unwrap()
}

/// Every sealed value of the database, as `(column, row, value)`.
async fn sealed_values(store: &Store) -> Vec<(SealedColumn, String, String)> {
    let mut out = Vec::new();
    for column in SealedColumn::ALL {
        // No sealed value starts with "~": every one is "not made by" that prefix.
        for v in store.sealed_not_by(column, "~", "", 10_000).await.unwrap() {
            out.push((column, v.row, v.sealed));
        }
    }
    out
}

fn token_ttl(app: &TestApp) -> chrono::Duration {
    chrono::Duration::seconds(app.config.security.token_ttl_secs)
}

backend_tests! {
    async fn rotation_reseals_every_value_and_retiring_waits_for_values_and_tokens(app: TestApp) {
        let t = app.tenant("t1").await;
        let token = app.token(&t).await;
        let c = app.available(&t, "a1").await;
        // A CCE cluster with an authenticating proxy: its private key is sealed.
        let cce = Cce::new(&app, &t, Flavor::Cce);
        let mut body = cluster_body(Flavor::Cce, "cce-1", None);
        body["spec"]["authentication"] = json!({"mode": "authenticating_proxy",
            "authenticatingProxy": {"ca": "Q0E=", "cert": "Q0VSVA==", "privateKey": "S0VZ"}});
        let r = cce.post(&cce.clusters(), &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        // The tenant CA is made on the first kubeconfig.
        let r = app.post(&format!("/v1/clusters/{c}/kubeconfig")).json(&json!({"duration": 30})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let before = sealed_values(&app.store).await;
        let columns: Vec<_> = before.iter().map(|v| v.0).collect();
        for column in [SealedColumn::AccessKeySecret, SealedColumn::Kubeconfig, SealedColumn::TenantCa, SealedColumn::CceProxyKey] {
            assert!(columns.contains(&column), "{column:?} has a value: {columns:?}");
        }
        assert!(before.iter().all(|v| v.2.starts_with("v1:")), "sealed as before the ring");
        let ring = admin_ring(&app).await;
        let listed = keys::list(&app.store, &ring).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].id, listed[0].status, listed[0].values), (0, "active", Some(before.len() as i64)));
        let e = keys::retire(&app.store, &ring, 0, token_ttl(&app)).await.unwrap_err();
        assert_eq!(e.code(), "IAM.01409002", "the active key is not retired");

        // Rotate with tiny batches (several transactions per column).
        let out = keys::rotate(&app.store, &ring, false, 2).await.unwrap();
        assert_eq!((out.active, out.added, out.remaining), (1, true, 0), "{out:?}");
        assert_eq!(out.resealed.values().sum::<u64>(), before.len() as u64);
        let after = sealed_values(&app.store).await;
        assert_eq!(after.len(), before.len());
        for (column, row, sealed) in &after {
            assert!(sealed.starts_with("k1:"), "{column:?} {row}");
            let old = &before.iter().find(|v| v.0 == *column && &v.1 == row).unwrap().2;
            // Same secret, new seal: what the serving replica's ring opens (it learns key 1 on sight).
            let ctx = match column {
                SealedColumn::AccessKeySecret => secrets::Context::AccessKeySecret(row),
                SealedColumn::Kubeconfig => secrets::Context::Kubeconfig(row),
                SealedColumn::TenantCa => secrets::Context::TenantCa(row),
                SealedColumn::FederationCa => secrets::Context::FederationCa(row),
                SealedColumn::CceProxyKey => secrets::Context::CceProxyKey(row),
            };
            let served = &app.app.state.sealer;
            assert_eq!(served.open(sealed, ctx).await.unwrap(), served.open(old, ctx).await.unwrap());
        }
        // Resuming a finished rotation changes nothing.
        let again = keys::rotate(&app.store, &ring, true, 2).await.unwrap();
        assert_eq!((again.active, again.added, again.remaining), (1, false, 0));
        assert_eq!(again.resealed.values().sum::<u64>(), 0);

        // Key 0 seals nothing now, but the token it signed may live for the token TTL.
        let e = keys::retire(&app.store, &ring, 0, token_ttl(&app)).await.unwrap_err();
        assert_eq!(e.code(), "IAM.01409002");
        assert!(e.message().contains("tokens signed with key 0"), "{}", e.message());
        assert_eq!(app.get("/v1/clusters").token(&token).send().await.status, 200, "a key-0 token verifies");
        let new_token = app.token(&t).await;
        assert_eq!(app.get("/v1/clusters").token(&new_token).send().await.status, 200);
        app.clock.advance(token_ttl(&app) + chrono::Duration::seconds(1));
        let out = keys::retire(&app.store, &ring, 0, token_ttl(&app)).await.unwrap();
        assert_eq!((out.retired, out.active), (0, 1));
        assert_eq!(keys::retire(&app.store, &ring, 0, token_ttl(&app)).await.unwrap_err().code(), "IAM.01404001");
        assert_eq!(keys::retire(&app.store, &ring, 9, token_ttl(&app)).await.unwrap_err().code(), "IAM.01404001");
        let listed = keys::list(&app.store, &ring).await.unwrap();
        let summary: Vec<_> = listed.iter().map(|k| (k.id, k.status, k.values)).collect();
        assert_eq!(summary, [(0, "retired", None), (1, "active", Some(after.len() as i64))]);

        // Everything still opens: AK/SK, a new token, the tenant CA (a kubeconfig), on the serving ring.
        let new_token = app.token(&t).await;
        assert_eq!(app.get("/v1/clusters").token(&new_token).send().await.status, 200);
        assert_eq!(app.get("/v1/clusters").signed(&t).send().await.status, 200);
        let r = app.post(&format!("/v1/clusters/{c}/kubeconfig")).json(&json!({"duration": 30})).signed(&t).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        // New values are sealed with key 1, and a new access key's secret opens.
        let more = server::admin::access_key_create(&app.store, &app.app.state.sealer, "t1", "admin").await.unwrap();
        assert_eq!(app.get("/v1/clusters").sign_with(&more.access_key, &more.secret_key).header("x-domain-id", &t.domain_id).send().await.status, 200);
        assert_eq!(app.store.sealed_count_by(SealedColumn::AccessKeySecret, &sealed_prefix(1)).await.unwrap(), 2);
    }

    async fn rotating_twice_and_retiring_the_middle_key(app: TestApp) {
        let t = app.tenant("t1").await;
        let ring = admin_ring(&app).await;
        keys::rotate(&app.store, &ring, false, 100).await.unwrap();
        let out = keys::rotate(&app.store, &ring, false, 100).await.unwrap();
        assert_eq!(out.active, 2);
        assert_eq!(app.store.sealed_count_by(SealedColumn::AccessKeySecret, &sealed_prefix(2)).await.unwrap(), 1);
        app.clock.advance(token_ttl(&app) + chrono::Duration::seconds(1));
        keys::retire(&app.store, &ring, 1, token_ttl(&app)).await.unwrap();
        keys::retire(&app.store, &ring, 0, token_ttl(&app)).await.unwrap();
        assert_eq!(keys::retire(&app.store, &ring, 2, token_ttl(&app)).await.unwrap_err().code(), "IAM.01409002");
        assert_eq!(ring.ids(), vec![2]);
        assert_eq!(app.get("/v1/clusters").signed(&t).send().await.status, 200);
        // A third key gets a new number, not a retired one's.
        assert_eq!(keys::rotate(&app.store, &ring, false, 100).await.unwrap().active, 3);
    }

    async fn a_value_sealed_with_a_retiring_key_blocks_retirement_until_resumed(app: TestApp) {
        app.tenant("t1").await;
        let ring = admin_ring(&app).await;
        // A replica that has not yet learned of the rotation keeps sealing with key 0.
        let stale = Keyring::new(app.config.master_key().unwrap());
        keys::rotate(&app.store, &ring, false, 100).await.unwrap();
        server::admin::tenant_create(&app.store, &stale, "t2", &app.config.region).await.unwrap();
        app.clock.advance(token_ttl(&app) + chrono::Duration::seconds(1));
        let e = keys::retire(&app.store, &ring, 0, token_ttl(&app)).await.unwrap_err();
        assert!(e.message().contains("1 values are still sealed with key 0"), "{}", e.message());
        let out = keys::rotate(&app.store, &ring, true, 100).await.unwrap();
        assert_eq!((out.added, out.resealed[&SealedColumn::AccessKeySecret.name()], out.remaining), (false, 1, 0));
        keys::retire(&app.store, &ring, 0, token_ttl(&app)).await.unwrap();
    }

    async fn rewrapping_under_a_new_master_key_needs_key_0_retired(app: TestApp) {
        let t = app.tenant("t1").await;
        let ring = admin_ring(&app).await;
        let new_master = secrets::MasterKey::generate();
        assert_eq!(keys::rewrap(&app.store, &ring, &new_master).await.unwrap_err().code(), "IAM.01409002");
        keys::rotate(&app.store, &ring, false, 100).await.unwrap();
        assert_eq!(keys::rewrap(&app.store, &ring, &new_master).await.unwrap_err().code(), "IAM.01409002");
        app.clock.advance(token_ttl(&app) + chrono::Duration::seconds(1));
        keys::retire(&app.store, &ring, 0, token_ttl(&app)).await.unwrap();
        assert_eq!(keys::rewrap(&app.store, &ring, &new_master).await.unwrap().rewrapped, vec![1]);
        // The old master key no longer loads the ring; the new one does, and opens every secret.
        assert!(ring.refresh().await.is_err());
        assert!(keys::keyring(&app.store, app.config.master_key().unwrap()).await.is_err());
        let renewed = keys::keyring(&app.store, new_master).await.unwrap();
        let stored = app.store.access_key_for_auth(&t.access_key).await.unwrap().unwrap();
        let secret = renewed.open_string(&stored.secret_sealed, secrets::Context::AccessKeySecret(&t.access_key)).await.unwrap();
        assert_eq!(secret, t.secret_key);
    }
}

/// Two replicas of one Postgres database with real workers, each listening for the other's
/// notifications; verified credentials are not cached, so every request opens its access key's secret.
async fn two_replicas() -> (TestApp, TestApp) {
    let env = [("UCS_HTTP__CREDENTIAL_CACHE_TTL_MILLIS", "0"), ("UCS_SIMULATOR__STEP_MILLIS", "100")];
    let replica = Replica { env: &env, workers: 2, listens: true };
    crate::replicas::two_replicas(replica, replica).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_under_signed_traffic_and_a_running_federation_on_two_replicas() {
    let (a, b) = two_replicas().await;
    let a = Arc::new(a);
    let b = Arc::new(b);
    let t = Arc::new(a.tenant("t1").await);
    let old_token = a.token(&t).await;
    let c1 = a.available(&t, "a1").await;
    let c2 = b.available(&t, "b1").await;
    let fleet = a.fleet(&t, "prod-fleet", &[&c1, &c2]).await;

    // Signed AK/SK traffic (and key-0 token traffic) on both replicas until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut traffic = Vec::new();
    for (i, app) in [a.clone(), b.clone(), a.clone(), b.clone()].into_iter().enumerate() {
        let (t, stop, ok, failed, token) =
            (t.clone(), stop.clone(), ok.clone(), failed.clone(), old_token.clone());
        traffic.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let r = if i < 2 {
                    app.get("/v1/clusters").signed(&t).send().await
                } else {
                    app.get("/v1/clusters").token(&token).send().await
                };
                if r.status == 200 {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    eprintln!("request failed: {} {}", r.status, r.text);
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // A workflow that seals (the federation CA) while the rotation runs.
    let r = a.post(&format!("/v1/clustergroups/{fleet}/federations")).signed(&t).send().await;
    assert_eq!(r.status, 201, "{}", r.text);
    tokio::time::sleep(Duration::from_millis(150)).await;
    // Steps take 100 ms each: the workflow is still running as the rotation starts.
    let p = a.get(&format!("/v1/clustergroups/{fleet}/federations/progress")).signed(&t).send().await;
    assert_ne!(p.body["status"]["phase"], "Success", "{}", p.text);
    let ring = admin_ring(&a).await;
    let out = keys::rotate(&a.store, &ring, false, 1).await.unwrap();
    assert_eq!((out.active, out.added), (1, true), "{out:?}");
    b.await_progress(&t, &fleet, "CreateFederationContainer", "Success").await;
    // Whatever a replica sealed with key 0 before it heard of key 1 (none, usually) is re-sealed now.
    let resumed = keys::rotate(&a.store, &ring, true, 1).await.unwrap();
    assert_eq!(resumed.remaining, 0, "{resumed:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    for task in traffic {
        task.await.unwrap();
    }
    assert_eq!(failed.load(Ordering::Relaxed), 0, "failed requests during the rotation");
    assert!(ok.load(Ordering::Relaxed) > 20, "the traffic ran: {}", ok.load(Ordering::Relaxed));
    for app in [&a, &b] {
        assert_eq!(app.app.state.sealer.active(), 1, "every replica seals with the new key");
    }
    assert!(sealed_values(&a.store).await.iter().all(|v| v.2.starts_with("k1:")));

    // Retire key 0 once its tokens are dead.
    let ttl = token_ttl(&a);
    assert_eq!(keys::retire(&a.store, &ring, 0, ttl).await.unwrap_err().code(), "IAM.01409002");
    a.clock.advance(ttl + chrono::Duration::seconds(1));
    keys::retire(&a.store, &ring, 0, ttl).await.unwrap();
    for app in [&a, &b] {
        app.eventually("the replica drops key 0", async || {
            if app.app.state.sealer.ids() == vec![1] {
                Ok(())
            } else {
                Err(format!("{:?}", app.app.state.sealer))
            }
        })
        .await;
    }
    // Every secret still opens on both replicas: AK/SK, new tokens, the tenant CA and the federation CA.
    let r = a
        .post(&format!("/v1/clustergroups/{fleet}/connection"))
        .json(&json!({"projectID": t.project_id, "vpcID": "11c9fe72-5a90-4295-bcfe-774726fb9066",
                      "subnetID": "0de91d89-1e06-4e24-b371-35d5d3d3779b", "duration": 30}))
        .signed(&t)
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    for app in [&a, &b] {
        assert_eq!(app.get("/v1/clusters").signed(&t).send().await.status, 200);
        assert_eq!(
            app.get("/v1/clusters").token(&old_token).send().await.status,
            401,
            "expired with its key"
        );
        let token = app.token(&t).await;
        for other in [&a, &b] {
            assert_eq!(other.get("/v1/clusters").token(&token).send().await.status, 200);
        }
        let r = app
            .post(&format!("/v1/clustergroups/{fleet}/kubeconfig"))
            .json(&json!({"duration": 30}))
            .signed(&t)
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = app
            .post(&format!("/v1/clusters/{c1}/kubeconfig"))
            .json(&json!({"duration": 30}))
            .signed(&t)
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}
