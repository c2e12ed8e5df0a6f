"""A `ucsd serve` of its own (temporary SQLite, testing mode, a free port), or one started elsewhere."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import zlib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Mapping

import requests

from ._binary import find_ucsd

# What `ucsd serve` prints (stderr) after creating the first-start tenant on an empty database.
_BOOTSTRAP_MARK = "Its credentials are shown this once:"


@dataclass(frozen=True)
class Credentials:
    """One tenant's credentials, as `ucsd admin tenant create` and the first start print them."""

    domain_id: str
    domain_name: str
    project_id: str
    project_name: str
    user_id: str
    user_name: str
    password: str
    access_key: str
    secret_key: str

    @classmethod
    def from_dict(cls, data: Mapping) -> "Credentials":
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"credentials lack {', '.join(missing)}")
        return cls(**{n: str(data[n]) for n in names})

    @classmethod
    def load(cls, source: str | os.PathLike) -> "Credentials":
        """From a JSON document or a file holding one (`ucsd admin tenant create > tenant.json`), or
        from a server's output with its first-start credentials (`docker logs NAME > boot.log 2>&1`)."""
        text = os.fspath(source)
        if not text.lstrip().startswith("{"):
            text = Path(text).read_text(errors="replace")
        return parse_bootstrap(text) or cls.from_dict(json.loads(text))

    def as_dict(self) -> dict:
        return asdict(self)

    def __repr__(self) -> str:  # never show the secrets in a test report
        return f"Credentials(domain_name={self.domain_name!r}, domain_id={self.domain_id!r}, " \
               f"project_id={self.project_id!r}, access_key={self.access_key!r})"


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    """Until GET {url}/readyz answers 200 (the database answers and its migrations are current)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        if process is not None and process.poll() is not None:
            raise ServerError(f"ucsd exited with status {process.returncode} before it was ready")
        try:
            r = requests.get(url.rstrip("/") + "/readyz", timeout=2)
            if r.status_code == 200:
                return
            last = f"{r.status_code} {r.text[:200]}"
        except requests.RequestException as e:
            last = repr(e)
        if time.monotonic() > deadline:
            raise ServerError(f"GET {url}/readyz did not answer 200 within {timeout:.0f}s (last: {last})")
        time.sleep(0.05)


def parse_bootstrap(output: str) -> Credentials | None:
    """The first-start tenant's credentials from the server's output, if it printed them."""
    at = output.find(_BOOTSTRAP_MARK)
    if at < 0:
        return None
    start = output.find("{", at)
    if start < 0:
        return None
    data, _ = json.JSONDecoder().raw_decode(output, start)
    return Credentials.from_dict(data)


class RemoteServer:
    """A ucsd started elsewhere (`docker run`, a binary, a shared test server): a URL and a tenant."""

    def __init__(self, url: str, credentials: Credentials):
        self.url = url.rstrip("/")
        self.credentials = credentials

    def start(self) -> "RemoteServer":
        wait_ready(self.url)
        return self

    def stop(self) -> None:
        pass

    def log_tail(self, lines: int = 40) -> str:
        return f"(ucsd runs elsewhere, at {self.url}: see its own log)"

    def create_tenant(self, name: str) -> Credentials:
        raise ServerError("create_tenant needs a server this process started (the admin command "
                          "opens its database); on a remote server run `ucsd admin tenant create` there")


class UcsdServer:
    """`ucsd serve` on a temporary SQLite database, with the testing tools on.

    Deterministic by default (`testing.deterministic`, seed `seed`): simulated steps take no time and
    ids repeat from run to run. Worker retries back off from 10 ms (at most 50 ms), so an injected
    failure is retried at once. `env` adds or overrides `UCS_*` settings (docs/ucsd.sample.toml);
    the caller's own `UCS_*` variables are not passed on.

        with UcsdServer() as server:
            print(server.url, server.credentials.access_key)
    """

    def __init__(self, binary: str | os.PathLike | None = None, *, deterministic: bool = True,
                 seed: int = 0, env: Mapping[str, str] | None = None,
                 workdir: str | os.PathLike | None = None, keep: bool = False,
                 ready_timeout: float = 30.0, tenant_name: str = "default"):
        self.binary = find_ucsd(binary)
        self.deterministic = deterministic
        self.seed = seed
        self.extra_env = dict(env or {})
        self.keep = keep
        self.ready_timeout = ready_timeout
        self.tenant_name = tenant_name
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="ucsd-testing-"))
        self.log_path = self.workdir / "ucsd.log"
        self.port: int | None = None
        self.url: str = ""
        self.process: subprocess.Popen | None = None
        self.credentials: Credentials | None = None
        self._log = None

    # ------------------------------------------------------------------ environment

    def server_env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("UCS_")}
        env.update({
            "UCS_DATABASE__URL": f"sqlite://{self.workdir}/ucsd.db?mode=rwc",
            "UCS_SECURITY__KEY_FILE": str(self.workdir / "ucsd.key"),
            "UCS_LOG__FORMAT": "json",
            "UCS_TESTING__ENABLED": "true",
            "UCS_TESTING__DETERMINISTIC": "true" if self.deterministic else "false",
            "UCS_TESTING__SEED": str(self.seed),
            "UCS_BOOTSTRAP__ENABLED": "true",
            "UCS_BOOTSTRAP__TENANT_NAME": self.tenant_name,
            "UCS_WORKER__RETRY_BASE_MILLIS": "10",
            "UCS_WORKER__RETRY_MAX_MILLIS": "50",
        })
        env.update(self.extra_env)
        return env

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "UcsdServer":
        if self.process is not None:
            return self
        env = self.server_env()
        self._log = open(self.log_path, "ab")
        # A free port can be taken between our probe and the server's bind: try another then.
        for attempt in range(3):
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.process = subprocess.Popen(
                [os.fspath(self.binary), "serve", "--listen", f"127.0.0.1:{self.port}"],
                env=env, cwd=self.workdir, stdout=self._log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
            try:
                wait_ready(self.url, self.ready_timeout, self.process)
                break
            except ServerError as e:
                lost_port = "cannot listen" in self.log_tail(5)
                self._terminate()
                if not lost_port or attempt == 2:
                    self._close_log()
                    raise ServerError(f"{e}\n--- {self.log_path} ---\n{self.log_tail(60)}") from None
        self.credentials = parse_bootstrap(self.log_path.read_text(errors="replace"))
        if self.credentials is None:
            # A reused workdir's database has its tenant already: make one more.
            self.credentials = self.create_tenant(f"{self.tenant_name}-{int(time.time())}")
        return self

    def _terminate(self) -> int | None:
        proc = self.process
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.process = None
        return proc.returncode

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> int | None:
        """SIGTERM (a graceful stop: in-flight requests finish); returns the exit status."""
        status = self._terminate()
        self._close_log()
        if self._own_workdir and not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return status

    def __enter__(self) -> "UcsdServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ admin

    def admin(self, *args: str) -> object:
        """`ucsd admin ARGS...` on this server's database; its JSON output, parsed.

        In deterministic mode the command's own process draws ids from a seed of its own (derived
        from the server's and the arguments): with the server's seed it would draw the very ids the
        server drew first, and collide with them."""
        env = self.server_env()
        if self.deterministic:
            salt = zlib.crc32(" ".join(map(str, args)).encode())
            env["UCS_TESTING__SEED"] = str((self.seed + 1 + salt) % 2**64)
        cp = subprocess.run([os.fspath(self.binary), "admin", *map(str, args)], env=env,
                            cwd=self.workdir, capture_output=True, text=True, timeout=60)
        if cp.returncode != 0:
            raise ServerError(f"`ucsd admin {' '.join(map(str, args))}` exited {cp.returncode}: "
                              f"{cp.stderr.strip()[-2000:]}")
        out = cp.stdout.strip()
        return json.loads(out) if out else None

    def create_tenant(self, name: str) -> Credentials:
        """A new tenant (`ucsd admin tenant create --name NAME`) with its administrator's credentials."""
        return Credentials.from_dict(self.admin("tenant", "create", "--name", name))

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError as e:
            return f"<no log: {e}>"
