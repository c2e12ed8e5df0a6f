"""Fixtures: a real `ucsd serve` per backend (sqlite, postgres) and a fresh tenant per test."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

import sdkhelpers

REPO = Path(__file__).resolve().parents[2]
UCSD_BIN = os.environ.get("UCSD_BIN") or str(REPO / "target" / "debug" / "ucsd")
BACKENDS = [b.strip() for b in os.environ.get("UCS_SDK_BACKENDS", "sqlite,postgres").split(",") if b.strip()]
READY_TIMEOUT = 30.0
ADMIN_TIMEOUT = 60

PG_HOST = os.environ.get("UCS_SDK_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("UCS_SDK_PG_PORT", "5432")
PG_USER = os.environ.get("UCS_SDK_PG_USER", "postgres")

TENANT_KEYS = {"domain_id", "domain_name", "project_id", "project_name", "user_id", "user_name",
               "password", "access_key", "secret_key"}


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path, lines=60):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError as e:
        return f"<no log: {e}>"


def _psql(sql):
    return subprocess.run(
        ["psql", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", "postgres",
         "-v", "ON_ERROR_STOP=1", "-X", "-q", "-c", sql],
        capture_output=True, text=True, timeout=30)


class AdminError(AssertionError):
    pass


@dataclass
class Server:
    backend: str
    url: str
    log_path: Path
    tmp: Path
    env: dict
    proc: subprocess.Popen
    # Every secret the suite handed out on this server: none may ever appear in its log.
    secrets: list = field(default_factory=list)

    def admin_raw(self, *args, check=False):
        """Run `ucsd admin ARGS...` with the server's env; returns the CompletedProcess."""
        cp = subprocess.run([UCSD_BIN, "admin", *map(str, args)], env=self.env, cwd=self.tmp,
                            capture_output=True, text=True, timeout=ADMIN_TIMEOUT)
        if check and cp.returncode != 0:
            raise AdminError(f"`ucsd admin {' '.join(map(str, args))}` exited {cp.returncode}\n"
                             f"stdout: {cp.stdout}\nstderr: {cp.stderr}")
        return cp

    def credentials_changed(self):
        """Wait out the bound on a credential change made by `ucsd admin` (another process): the
        server's credential cache forgets it within http.credential_cache_ttl_millis (1 s). On
        Postgres the change's notification usually arrives sooner, but only the bound is promised
        (a busy server may read the notification after the next request)."""
        time.sleep(1.1)

    def admin(self, *args):
        """Run `ucsd admin ARGS...`, require exit 0, return stdout parsed as JSON (None if empty)."""
        cp = self.admin_raw(*args, check=True)
        out = cp.stdout.strip()
        if not out:
            return None
        try:
            return json.loads(out)
        except json.JSONDecodeError:
            # Tolerate log lines before the JSON document: take the last line that parses.
            for line in reversed(out.splitlines()):
                try:
                    return json.loads(line)
                except json.JSONDecodeError:
                    continue
            raise AdminError(f"`ucsd admin {' '.join(map(str, args))}` printed no JSON:\n{cp.stdout}")

    def log_tail(self, lines=60):
        return _tail(self.log_path, lines)


@dataclass
class Tenant:
    domain_id: str
    domain_name: str
    project_id: str
    project_name: str
    user_id: str
    user_name: str
    password: str
    access_key: str
    secret_key: str
    raw: dict

    @property
    def name(self):
        return self.domain_name


def _server_env(tmp, db_url):
    # Hermetic: drop any UCS_* settings of the caller (UCS_SDK_* are ours, not the server's).
    env = {k: v for k, v in os.environ.items() if not k.startswith("UCS_")}
    env.update({
        "UCS_DATABASE__URL": db_url,
        "UCS_SECURITY__KEY_FILE": str(tmp / "ucsd.key"),
        "UCS_LOG__FORMAT": "json",
        # Clusters named never-active never activate (the simulator's failure injection); the master
        # upgrade of sdk-flaky-master / sdk-flaky-pilot fails more often than a task has attempts, so
        # the task fails and a retry (C19/C40) goes on (test_upgrades).
        "UCS_SIMULATOR__FAILURES": "activate:never-active:always,"
                                   "UpgradeMaster:sdk-flaky-master:12,UpgradeMaster:sdk-flaky-pilot:12",
        # Fast retries, so an injected failure is given up on within a second.
        "UCS_WORKER__RETRY_BASE_MILLIS": "10",
        "UCS_WORKER__RETRY_MAX_MILLIS": "50",
    })
    return env


@pytest.fixture(scope="session", params=BACKENDS)
def server(request):
    backend = request.param
    if not (os.path.isfile(UCSD_BIN) and os.access(UCSD_BIN, os.X_OK)):
        pytest.exit(f"ucsd binary not found: {UCSD_BIN} (build it or set UCSD_BIN)", returncode=2)

    tmp = Path(tempfile.mkdtemp(prefix=f"ucsd-sdk-{backend}-"))
    schema = None
    if backend == "sqlite":
        db_url = f"sqlite://{tmp}/ucsd.db?mode=rwc"
    elif backend == "postgres":
        if shutil.which("psql") is None:
            pytest.skip("postgres backend: psql not installed")
        schema = "sdk_" + secrets.token_hex(6)
        try:
            cp = _psql(f"CREATE SCHEMA {schema}")
        except (OSError, subprocess.TimeoutExpired) as e:
            pytest.skip(f"postgres backend: cannot run psql: {e}")
        if cp.returncode != 0:
            pytest.skip(f"postgres backend: cannot create schema on {PG_USER}@{PG_HOST}:{PG_PORT}: "
                        f"{cp.stderr.strip()}")
        db_url = (f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
                  f"?options=-c%20search_path%3D{schema}")
    else:
        pytest.fail(f"unknown backend {backend!r} in UCS_SDK_BACKENDS")

    env = _server_env(tmp, db_url)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp / "ucsd.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([UCSD_BIN, "serve", "--listen", f"127.0.0.1:{port}", "--no-bootstrap"],
                            env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    srv = Server(backend=backend, url=url, log_path=log_path, tmp=tmp, env=env, proc=proc)

    def stop():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()
        if schema is not None:
            _psql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    try:
        deadline = time.monotonic() + READY_TIMEOUT
        last = "no answer"
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"ucsd exited with {proc.returncode} before becoming ready")
            try:
                r = requests.get(url + "/readyz", timeout=2)
                if r.status_code == 200:
                    break
                last = f"{r.status_code} {r.text[:200]}"
            except requests.RequestException as e:
                last = repr(e)
            if time.monotonic() > deadline:
                raise RuntimeError(f"GET /readyz not 200 after {READY_TIMEOUT:.0f}s (last: {last})")
            time.sleep(0.1)
    except RuntimeError as e:
        stop()
        pytest.fail(f"[{backend}] {e}\n--- {log_path} ---\n{_tail(log_path, 200)}", pytrace=False)

    yield srv
    stop()
    # SIGTERM is a graceful shutdown: in-flight requests finish and the process exits 0.
    assert proc.returncode == 0, f"[{backend}] ucsd exited with {proc.returncode} on SIGTERM; log: {log_path}"
    logged = log_path.read_text(errors="replace")
    leaked = [s[:4] + "…" for s in srv.secrets if s in logged]
    assert not leaked, f"[{backend}] secrets appear in the server log {log_path}: {leaked}"
    assert "ucsd stopped" in logged, f"[{backend}] no orderly shutdown in {log_path}"
    if request.session.testsfailed == 0 and not os.environ.get("UCS_SDK_KEEP"):
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"\n[{backend}] kept server dir {tmp} (log: {log_path})")


@pytest.fixture(autouse=True)
def _sdk_isolation(request, monkeypatch):
    """No SDK id cache or HUAWEICLOUD_* env leaks between tests; STS/IAM point at our server."""
    for k in sdkhelpers.env_without_sdk_credentials():
        monkeypatch.delenv(k, raising=False)
    sdkhelpers.clear_sdk_id_cache()
    if "server" in request.fixturenames:
        srv = request.getfixturevalue("server")
        monkeypatch.setenv("HUAWEICLOUD_SDK_STS_ENDPOINT", srv.url)
        monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", srv.url)
    yield
    sdkhelpers.clear_sdk_id_cache()


def create_tenant(server, name=None):
    name = name or "sdk-" + secrets.token_hex(5)
    data = server.admin("tenant", "create", "--name", name)
    assert isinstance(data, dict), f"tenant create printed {data!r}"
    missing = TENANT_KEYS - data.keys()
    assert not missing, f"tenant create output lacks {sorted(missing)}: {data}"
    server.secrets.extend([data["secret_key"], data["password"]])
    return Tenant(raw=data, **{k: data[k] for k in TENANT_KEYS})


@pytest.fixture
def tenant(server):
    return create_tenant(server)


@pytest.fixture
def other_tenant(server):
    return create_tenant(server)


@pytest.fixture
def cce(server, tenant):
    """A CceClient of the tenant (BasicCredentials with its project id) on the server."""
    return sdkhelpers.cce_client(server, tenant)


@pytest.fixture
def other_cce(server, other_tenant):
    return sdkhelpers.cce_client(server, other_tenant)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.when in ("setup", "call"):
        srv = getattr(item, "funcargs", {}).get("server")
        if isinstance(srv, Server):
            rep.sections.append((f"ucsd log tail ({srv.backend}, {srv.log_path})", srv.log_tail(15)))
