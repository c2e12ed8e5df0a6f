//! The `ucsd` command line as operators and scripts use it.

use std::process::Command;

fn ucsd(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ucsd"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("run ucsd")
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ucsd-cli-{}", domain::ids::random_uuid().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn tenant_create_prints_one_json_object_with_exactly_the_credentials() {
    let dir = temp_dir();
    let out = ucsd(&dir, &["admin", "tenant", "create", "--name", "t1"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let creds: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut keys: Vec<&str> = creds.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "access_key",
            "domain_id",
            "domain_name",
            "password",
            "project_id",
            "project_name",
            "secret_key",
            "user_id",
            "user_name"
        ]
    );
    assert_eq!(creds["domain_name"], "t1");
    assert_eq!(creds["project_name"], "cn-north-4");
    // The embedded default database and a generated key file, under ./data; the secret is not stored in the clear.
    assert!(dir.join("data/ucsd.key").exists());
    let secret = creds["secret_key"].as_str().unwrap();
    let password = creds["password"].as_str().unwrap();
    let mut stored = 0;
    for file in std::fs::read_dir(dir.join("data")).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        stored += bytes.len();
        for plain in [secret, password] {
            assert!(
                !bytes.windows(plain.len()).any(|w| w == plain.as_bytes()),
                "secrets are sealed or hashed at rest"
            );
        }
    }
    assert!(stored > 10_000, "the database files were read");
    let listed = ucsd(&dir, &["admin", "tenant", "list"], &[]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("\"t1\""));
    let again = ucsd(&dir, &["admin", "tenant", "create", "--name", "t1"], &[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("name is already in use"));
}

#[test]
fn invalid_configuration_exits_with_status_2_and_says_why() {
    let dir = temp_dir();
    for (env, needle) in [
        (("UCS_LISTEN", "not-an-address"), "listen"),
        (("UCS_DATABASE__URL", "mysql://x"), "database.url"),
        (("UCS_WORKER__CONCURRENCY", "0"), "worker.concurrency"),
        (("UCS_SIMULATOR__FAILURES", "nonsense"), "STEP:RESOURCE:TIMES"),
    ] {
        let out = ucsd(&dir, &["migrate"], &[env]);
        assert_eq!(out.status.code(), Some(2), "{env:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{env:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = ucsd(&dir, &["--config", "/nonexistent.toml", "migrate"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = ucsd(&dir, &["migrate"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn users_and_access_keys_are_managed_from_the_command_line() {
    let dir = temp_dir();
    assert!(ucsd(&dir, &["admin", "tenant", "create", "--name", "acme"], &[]).status.success());
    let out = ucsd(
        &dir,
        &["admin", "user", "create", "--tenant", "acme", "--name", "viewer", "--role", "UCS ReadOnlyAccess"],
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let user: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(user["roles"], serde_json::json!(["UCS ReadOnlyAccess"]));
    let ak = user["access_key"].as_str().unwrap();
    for action in ["disable", "enable", "delete"] {
        let out = ucsd(&dir, &["admin", "access-key", action, "--tenant", "acme", "--access-key", ak], &[]);
        assert!(out.status.success(), "{action}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = ucsd(&dir, &["admin", "access-key", "list", "--tenant", "acme"], &[]);
    let keys: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 1, "the admin's key remains, the viewer's is deleted");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("secret"));
    let bad =
        ucsd(&dir, &["admin", "user", "create", "--tenant", "acme", "--name", "x1", "--role", "God"], &[]);
    assert!(!bad.status.success());
}

#[test]
fn deterministic_mode_repeats_ids_but_never_secrets() {
    let env = [("UCS_TESTING__DETERMINISTIC", "true"), ("UCS_TESTING__SEED", "7")];
    let create = |env: &[(&str, &str)]| {
        let out = ucsd(&temp_dir(), &["admin", "tenant", "create", "--name", "t1"], env);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let (first, second) = (create(&env), create(&env));
    for id in ["domain_id", "project_id", "user_id"] {
        assert_eq!(first[id], second[id], "{id} comes from the seeded generator");
    }
    for secret in ["access_key", "secret_key", "password"] {
        assert_ne!(first[secret], second[secret], "{secret} comes from the OS generator");
    }
    let other = create(&[("UCS_TESTING__DETERMINISTIC", "true"), ("UCS_TESTING__SEED", "8")]);
    assert_ne!(first["domain_id"], other["domain_id"], "another seed, other ids");
    assert_ne!(first["domain_id"], create(&[])["domain_id"], "without deterministic mode, random ids");
}

#[test]
fn tenant_reset_prints_what_it_removed_and_keeps_the_tenant() {
    let dir = temp_dir();
    assert!(ucsd(&dir, &["admin", "tenant", "create", "--name", "acme"], &[]).status.success());
    let out = ucsd(&dir, &["admin", "tenant", "reset", "--tenant", "acme", "--remove-audit"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["domain_name"], "acme");
    assert_eq!(summary["removed"]["clusters"], 0);
    assert!(
        summary["removed"]["audit_events"].as_u64().unwrap() >= 3,
        "the tenant's creation events: {summary}"
    );
    let out = ucsd(&dir, &["admin", "access-key", "list", "--tenant", "acme"], &[]);
    let keys: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 1, "the admin's key stays");
    let missing = ucsd(&dir, &["admin", "tenant", "reset", "--tenant", "nobody"], &[]);
    assert!(!missing.status.success());
}

#[test]
fn admin_jobs_lists_as_json_and_refuses_a_bad_filter_saying_why() {
    let dir = temp_dir();
    assert!(ucsd(&dir, &["admin", "tenant", "create", "--name", "t1"], &[]).status.success());
    let listed = ucsd(&dir, &["admin", "jobs", "list", "--tenant", "t1", "--older-than", "1h"], &[]);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&listed.stdout).unwrap(), serde_json::json!([]));
    let bad = ucsd(&dir, &["admin", "jobs", "list", "--state", "sleeping"], &[]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("or stuck"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let missing = ucsd(&dir, &["admin", "jobs", "retry", "not-a-job"], &[]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("Job not found"));
}

#[test]
fn keys_are_listed_rotated_retired_and_rewrapped_from_the_command_line() {
    let dir = temp_dir();
    let run = |args: &[&str]| {
        let out = ucsd(&dir, args, &[]);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    run(&["admin", "tenant", "create", "--name", "t1"]);
    let listed = run(&["admin", "keys", "list"]);
    assert_eq!(listed[0]["id"], 0);
    assert_eq!(listed[0]["status"], "active");
    assert_eq!(listed[0]["values"], 1);
    let rotated = run(&["admin", "keys", "rotate", "--batch-size", "1"]);
    assert_eq!(rotated["active"], 1);
    assert_eq!(rotated["resealed"]["access_keys.secret_enc"], 1);
    assert_eq!(run(&["admin", "keys", "rotate", "--resume"])["remaining"], 0);
    // Key 0's tokens may live for a day yet: retiring it is refused, with the reason, exit status 1.
    let out = ucsd(&dir, &["admin", "keys", "retire", "0"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tokens signed with key 0"));
    let out = ucsd(&dir, &["admin", "keys", "rewrap", "--new-master-key-file", "missing"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let listed = run(&["admin", "keys", "list"]);
    let summary: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["id"].clone(), k["status"].clone(), k["values"].clone()))
        .collect();
    assert_eq!(summary, [(0.into(), "live".into(), 0.into()), (1.into(), "active".into(), 1.into())]);
}
