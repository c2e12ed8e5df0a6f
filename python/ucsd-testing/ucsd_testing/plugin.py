"""The pytest plugin (entry point `pytest11`): a ucsd per test session, a clean tenant per test.

Fixtures:
  ucsd_server   (session) the running server: `.url`, `.credentials`, `.create_tenant(name)`
  ucsd          (test)    the tenant's testing tools (api.Ucsd), reset before the test: no fault
                          rules, nothing the tenant made, an empty journal
  ucs_client    (test)    an official `UcsClient` of the tenant
  cce_client    (test)    an official `CceClient` of the tenant
  ucsd_credentials (test) the tenant's Credentials (AK/SK, domain and project ids, password)

By default the session starts the `ucsd` binary installed with this package on a temporary SQLite
database, testing tools on, deterministic (seeded ids, simulated steps take no time), on a free port,
and stops it at the end. `--ucsd-url URL --ucsd-credentials FILE` tests a server started elsewhere.
"""

from __future__ import annotations

import os

import pytest

from ._binary import BinaryNotFound, find_ucsd
from .api import Ucsd
from .server import Credentials, RemoteServer, ServerError, UcsdServer

_SERVER_KEY = pytest.StashKey[object]()


def pytest_addoption(parser):
    group = parser.getgroup("ucsd", "ucsd: a UCS/CCE-compatible server for tests")
    group.addoption("--ucsd-bin", default=None,
                    help="the ucsd executable to start (default: $UCSD_BIN, else the one installed "
                         "with ucsd-testing)")
    group.addoption("--ucsd-url", default=None,
                    help="use the ucsd already running at this URL (default: $UCSD_URL) instead of "
                         "starting one; it must run with testing.enabled")
    group.addoption("--ucsd-credentials", default=None,
                    help="with --ucsd-url: a JSON file (or document) of the tenant's credentials, as "
                         "`ucsd admin tenant create` prints them (default: $UCSD_CREDENTIALS)")
    group.addoption("--ucsd-seed", default=None, type=int,
                    help="seed of the started server's deterministic mode (default 0)")
    group.addoption("--ucsd-keep", action="store_true", default=False,
                    help="keep the started server's directory (database, key, log) after the run")
    parser.addini("ucsd_env", type="linelist", default=[],
                  help="KEY=VALUE settings for the started server, e.g. UCS_SIMULATOR__NODES_PER_CLUSTER=1")
    parser.addini("ucsd_deterministic", type="bool", default=True,
                  help="start the server in deterministic mode (default true)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "ucsd_needs(*tools): skip the test when the server's /openapi.json does not list "
                   "these testing tools (faults, journal, clock, settle, snapshot), e.g. an older ucsd")


def pytest_report_header(config):
    url = config.getoption("ucsd_url") or os.environ.get("UCSD_URL")
    if url:
        return f"ucsd: {url} (started elsewhere)"
    try:
        return f"ucsd: {find_ucsd(config.getoption('ucsd_bin'))}"
    except BinaryNotFound as e:
        return f"ucsd: {e}"


def _ini_env(config) -> dict:
    env = {}
    for line in config.getini("ucsd_env"):
        key, sep, value = line.partition("=")
        if not sep:
            raise pytest.UsageError(f"ucsd_env: {line!r} is not KEY=VALUE")
        env[key.strip()] = value.strip()
    return env


def _make_server(config):
    url = config.getoption("ucsd_url") or os.environ.get("UCSD_URL")
    if url:
        source = config.getoption("ucsd_credentials") or os.environ.get("UCSD_CREDENTIALS")
        if not source:
            raise pytest.UsageError("--ucsd-url needs --ucsd-credentials (or $UCSD_CREDENTIALS): the "
                                    "JSON `ucsd admin tenant create --name NAME` prints")
        return RemoteServer(url, Credentials.load(source))
    env = {
        # Signed SDK calls carry the wall clock's time; keep them valid after the test advanced
        # the server's clock (by up to a year).
        "UCS_SECURITY__MAX_CLOCK_SKEW_SECS": str(366 * 86400),
    }
    env.update(_ini_env(config))
    seed = config.getoption("ucsd_seed")
    return UcsdServer(config.getoption("ucsd_bin"), seed=seed or 0, env=env,
                      deterministic=config.getini("ucsd_deterministic"),
                      keep=config.getoption("ucsd_keep"))


@pytest.fixture(scope="session")
def ucsd_server(request):
    """The session's ucsd: started on first use, stopped at the end of the session."""
    server = _make_server(request.config)
    try:
        server.start()
    except ServerError as e:
        pytest.fail(f"ucsd did not start: {e}", pytrace=False)
    request.config.stash[_SERVER_KEY] = server
    yield server
    request.config.stash[_SERVER_KEY] = None
    status = server.stop()
    if isinstance(server, UcsdServer) and server.keep:
        print(f"\nucsd: kept {server.workdir} (log: {server.log_path})")
    if status not in (None, 0):
        pytest.fail(f"ucsd exited with status {status} on SIGTERM", pytrace=False)


def _state(server) -> dict:
    """What the tests of a session learn about their server (see api.Ucsd)."""
    if not hasattr(server, "_ucsd_state"):
        server._ucsd_state = {}
    return server._ucsd_state


@pytest.fixture
def ucsd(request, ucsd_server):
    """The tenant's testing tools, on a clean slate: no fault rules, nothing the tenant made, an
    empty journal. The clock is not reset (it only moves forward); a changed step time is put back
    after the test."""
    tools = Ucsd(ucsd_server.url, ucsd_server.credentials, state=_state(ucsd_server))
    for marker in request.node.iter_markers("ucsd_needs"):
        missing = [tool for tool in marker.args if not tools.supports(tool)]
        if missing:
            pytest.skip(f"this ucsd does not serve the testing tools: {', '.join(missing)}")
    tools.isolate()
    yield tools
    tools.clock.restore_step_millis()


@pytest.fixture
def ucsd_credentials(ucsd) -> Credentials:
    return ucsd.credentials


@pytest.fixture
def ucs_client(ucsd):
    """An official `UcsClient` of the tenant (GlobalCredentials: AK/SK and domain id)."""
    return ucsd.ucs_client()


@pytest.fixture
def cce_client(ucsd):
    """An official `CceClient` of the tenant (BasicCredentials: AK/SK and project id)."""
    return ucsd.cce_client()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.when in ("setup", "call") and "ucsd_server" in item.fixturenames:
        server = item.config.stash.get(_SERVER_KEY, None)
        if server is not None:
            report.sections.append(("ucsd log (last lines)", server.log_tail(20)))
