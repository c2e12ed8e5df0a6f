"""One tenant on a ucsd: the official SDK clients and the testing tools under `/ucsd/testing/`.

Every call here is signed with the tenant's AK/SK, like an SDK call; the testing routes need the
tenant administrator (the user `ucsd admin tenant create` and the first start make).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Mapping
from urllib.parse import urlsplit

import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from .server import Credentials

TIMEOUT = 60
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


class UcsdError(AssertionError):
    """A testing route answered an error (`{"error_code", "error_msg"}`)."""

    def __init__(self, method: str, path: str, status: int, body: str):
        self.status = status
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        self.code = doc.get("error_code") if isinstance(doc, dict) else None
        self.message = doc.get("error_msg") if isinstance(doc, dict) else None
        super().__init__(f"{method} {path} -> {status} {self.code or ''} {self.message or body[:300]}")


class NotSettled(AssertionError):
    """Settle's timeout passed with jobs of the tenant still runnable."""

    def __init__(self, result: "Record"):
        self.result = result
        lines = [f"  {j.get('kind')} {j.get('state')} on {j.get('resourceType')} {j.get('resourceId')}"
                 f" (attempts {j.get('attempts')}; last error: {j.get('lastError')})"
                 for j in result.get("open", [])]
        super().__init__(f"not settled after {result.get('waitedMillis')} ms; still open:\n"
                         + "\n".join(lines))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class Record(dict):
    """A JSON object of the testing API; keys read as attributes too, in snake_case or camelCase
    (`entry.error_code` is `entry["errorCode"]`)."""

    def __getattr__(self, name: str) -> Any:
        for key in (name, _camel(name)):
            if key in self:
                return self[key]
        raise AttributeError(name)


def _records(items) -> list:
    return [Record(item) for item in items]


def _millis(value: float | timedelta | None) -> int | None:
    """Seconds (or a timedelta) as whole milliseconds."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = value.total_seconds()
    return int(round(value * 1000))


class Ucsd:
    """The testing tools of one tenant on one server; what the `ucsd` fixture gives a test.

    ucsd.ucs_client() / ucsd.cce_client()    official SDK clients of the tenant
    ucsd.reset()                             remove everything the tenant made (keeps credentials)
    ucsd.faults                              inject errors, delays and failed workflow steps
    ucsd.journal(...)                        what the tenant's requests were (secrets redacted)
    ucsd.clock                               read and advance the server's clock
    ucsd.settle()                            return when no job of the tenant is runnable
    """

    def __init__(self, url: str, credentials: Credentials, *, region: str = "cn-north-4",
                 state: dict | None = None):
        self.url = url.rstrip("/")
        # What this object learns about the server (the tools it serves, its clock's offset); the
        # plugin passes one dict per server, so the tests of a session share it.
        self._state = state if state is not None else {}
        self._state.setdefault("offset", timedelta(0))
        self.credentials = credentials
        self.region = region
        self._signer = Signer(GlobalCredentials(credentials.access_key, credentials.secret_key))
        self._http = requests.Session()
        self.faults = Faults(self)
        self.journal = Journal(self)
        self.clock = Clock(self)

    def __repr__(self) -> str:
        return f"Ucsd(url={self.url!r}, tenant={self.credentials.domain_name!r})"

    @property
    def _offset(self) -> timedelta:
        """How far the server's clock is ahead of ours: signatures carry the server's time, so they
        stay valid after the clock was advanced (see Clock)."""
        return self._state["offset"]

    @_offset.setter
    def _offset(self, offset: timedelta) -> None:
        self._state["offset"] = offset

    # ------------------------------------------------------------------ SDK clients

    def http_config(self) -> HttpConfig:
        config = HttpConfig.get_default_config()
        config.timeout = (5, TIMEOUT)
        return config

    def _client(self, client_class, sdk_credentials):
        return (client_class.new_builder()
                .with_credentials(sdk_credentials)
                .with_endpoint(self.url)
                .with_http_config(self.http_config())
                .build())

    def ucs_client(self, credentials: Credentials | None = None):
        """A `UcsClient` (GlobalCredentials with the tenant's domain id) on this server."""
        from huaweicloudsdkucs.v1 import UcsClient

        c = credentials or self.credentials
        return self._client(UcsClient, GlobalCredentials(c.access_key, c.secret_key, c.domain_id))

    def cce_client(self, credentials: Credentials | None = None):
        """A `CceClient` (BasicCredentials with the tenant's project id) on this server."""
        from huaweicloudsdkcce.v3 import CceClient

        c = credentials or self.credentials
        return self._client(CceClient, BasicCredentials(c.access_key, c.secret_key, c.project_id))

    # ------------------------------------------------------------------ raw signed requests

    def request(self, method: str, path: str, *, query: Mapping[str, Any] | None = None,
                body: Any = None, expect: tuple = (200, 201, 204)) -> Any:
        """A request signed with the tenant's AK/SK; the answer's JSON (None when empty)."""
        parts = urlsplit(self.url)
        params = [(k, v if isinstance(v, str) else json.dumps(v) if isinstance(v, bool) else str(v))
                  for k, v in (query or {}).items() if v is not None]
        headers = {"User-Agent": "ucsd-testing",
                   "X-Sdk-Date": (datetime.now(timezone.utc) + self._offset).strftime(_DATE_FORMAT)}
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = SdkRequest(method=method, schema=parts.scheme, host=parts.netloc,
                         resource_path=parts.path + path, uri=parts.path + path,
                         query_params=params, header_params=headers, body=data)
        req = self._signer.sign(req)
        resp = self._http.request(method, req.url, headers=req.header_params, data=req.body or None,
                                  timeout=TIMEOUT + 5)
        if resp.status_code not in expect:
            raise UcsdError(method, path, resp.status_code, resp.text)
        if not resp.content:
            return None
        return resp.json()

    # ------------------------------------------------------------------ reset and settle

    def reset(self, *, remove_audit: bool = False) -> Record:
        """`POST /ucsd/testing/reset`: remove what the tenant made; what was removed, per kind.

        Fault rules and the journal stay (see `isolate`)."""
        return Record(self.request("POST", "/ucsd/testing/reset",
                                   query={"audit": "remove" if remove_audit else None}))

    def isolate(self) -> None:
        """A clean slate for a test: no fault rules, a reset tenant, an empty journal (of those the
        server serves)."""
        if self.supports("faults"):
            self.faults.clear()
        self.reset()
        if self.supports("journal"):
            self.journal.clear()

    # The route of each testing tool, as the server's /openapi.json lists it.
    _TOOLS = {
        "reset": "/ucsd/testing/reset",
        "faults": "/ucsd/testing/faults",
        "journal": "/ucsd/testing/requests",
        "clock": "/ucsd/testing/clock",
        "settle": "/ucsd/testing/settle",
        "snapshot": "/ucsd/testing/snapshot",
    }

    def supports(self, tool: str) -> bool:
        """Whether this server has the testing tool `tool` (faults, journal, clock, settle, snapshot,
        reset): whether its own `GET /openapi.json` lists the route (an older ucsd lacks some). A
        listed tool that then fails is a failure, not a skip. Asked once per server."""
        if tool not in self._TOOLS:
            raise ValueError(f"unknown testing tool {tool!r}; one of {', '.join(self._TOOLS)}")
        if "routes" not in self._state:
            resp = self._http.get(self.url + "/openapi.json", timeout=TIMEOUT)
            resp.raise_for_status()
            self._state["routes"] = set(resp.json().get("paths", {}))
        return self._TOOLS[tool] in self._state["routes"]

    def settle(self, timeout: float = 30.0, *, horizon: float | None = None,
               check: bool = True) -> Record:
        """`POST /ucsd/testing/settle`: wait (at most `timeout` seconds) until no job of the tenant is
        runnable. Raises NotSettled at the timeout unless `check=False`; answers
        `{"settled", "waitedMillis", "open": [...]}`."""
        result = Record(self.request("POST", "/ucsd/testing/settle",
                                     query={"timeoutMillis": _millis(timeout),
                                            "horizonMillis": _millis(horizon)}))
        result["open"] = _records(result.get("open", []))
        if check and not result.get("settled"):
            raise NotSettled(result)
        return result

    # ------------------------------------------------------------------ snapshots

    def export_state(self, *, secrets: bool = False) -> dict:
        """`GET /ucsd/testing/snapshot`: the tenant's state as one JSON document (`ucsd-snapshot/1`).
        `secrets=True` puts kubeconfigs and keys in it in the clear: keep such a document safe."""
        return self.request("GET", "/ucsd/testing/snapshot",
                            query={"secrets": "include" if secrets else None})

    def import_state(self, document: Mapping) -> Record:
        """`POST /ucsd/testing/snapshot`: replace the tenant's state with `document`; what came in,
        per table (the answer's `imported`)."""
        answer = self.request("POST", "/ucsd/testing/snapshot", body=dict(document))
        return Record(answer.get("imported", answer))


class Faults:
    """Fault rules of the tenant (`/ucsd/testing/faults`). Every helper answers the rule created.

    ucsd.faults.error("show_cluster", 429, times=2)           # the next two show_cluster: 429
    ucsd.faults.delay("list_clusters", 0.5)                   # every list_clusters: 500 ms late
    ucsd.faults.step("UpgradeMaster", "prod-1", times=3)      # a simulated step fails three times
    ucsd.faults.precheck_risk("prod-1")                       # prechecks of prod-1 report a risk
    """

    def __init__(self, ucsd: Ucsd):
        self._ucsd = ucsd

    def create(self, **rule: Any) -> Record:
        """A rule from the contract's keys (`operation`, `method`, `path`, `resource`, `error`,
        `delay`, `step`, `times`, `probability`); None values are left out."""
        body = {k: v for k, v in rule.items() if v is not None}
        return Record(self._ucsd.request("POST", "/ucsd/testing/faults", body=body, expect=(201,)))

    def error(self, operation: str | None, status: int, *, code: str | None = None,
              message: str | None = None, times: int | None = None,
              probability: float | None = None, resource: str | None = None,
              method: str | None = None, path: str | None = None,
              delay: float | None = None) -> Record:
        """Answer `status` (with catalogue `code`, default the status's own) instead of carrying out
        the request; optionally after `delay` seconds."""
        error = {k: v for k, v in {"status": status, "code": code, "message": message}.items()
                 if v is not None}
        return self.create(operation=operation, method=method, path=path, resource=resource,
                           error=error, times=times, probability=probability,
                           delay={"millis": _millis(delay)} if delay else None)

    def delay(self, operation: str | None, seconds: float, *, jitter: float = 0.0,
              times: int | None = None, probability: float | None = None,
              resource: str | None = None, method: str | None = None,
              path: str | None = None) -> Record:
        """Carry out the request `seconds` (plus up to `jitter`) late."""
        delay = {"millis": _millis(seconds)}
        if jitter:
            delay["jitterMillis"] = _millis(jitter)
        return self.create(operation=operation, method=method, path=path, resource=resource,
                           delay=delay, times=times, probability=probability)

    def step(self, step: str, resource: str | None = None, *, times: int | None = None,
             probability: float | None = None) -> Record:
        """Fail the simulated workflow step `step` (`UpgradeMaster`, `UpgradeNodePool`, `activate`,
        `CreateCluster`, `JoinCluster`, ...) of the cluster or fleet `resource` (name or id)."""
        return self.create(step=step, resource=resource, times=times, probability=probability)

    def precheck_risk(self, resource: str | None = None, *, times: int | None = None) -> Record:
        """Make prechecks of the cluster `resource` report the risk `SimulatedRisk`."""
        return self.step("precheck", resource, times=times)

    def list(self) -> list:
        return _records(self._ucsd.request("GET", "/ucsd/testing/faults")["faults"])

    def get(self, fault_id: str) -> Record:
        for rule in self.list():
            if rule["id"] == fault_id:
                return rule
        raise KeyError(fault_id)

    def delete(self, fault: str | Mapping) -> None:
        fault_id = fault["id"] if isinstance(fault, Mapping) else fault
        self._ucsd.request("DELETE", f"/ucsd/testing/faults/{fault_id}", expect=(204,))

    def clear(self) -> int:
        """Delete every rule of the tenant; how many there were."""
        return self._ucsd.request("DELETE", "/ucsd/testing/faults")["deleted"]

    def __iter__(self) -> Iterator[Record]:
        return iter(self.list())


class Journal:
    """The tenant's request journal (`/ucsd/testing/requests`), oldest first.

    ucsd.journal()                                  # every entry (all pages)
    ucsd.journal(operation="show_cluster", status="4xx")
    ucsd.journal.operations()                       # ["create_cluster", "show_cluster", ...]
    ucsd.journal.clear()
    """

    PAGE = 1000

    def __init__(self, ucsd: Ucsd):
        self._ucsd = ucsd

    def page(self, *, operation: str | None = None, status: int | str | None = None,
             since: datetime | str | None = None, limit: int | None = None,
             offset: int | None = None) -> Record:
        """One page as the server answers it: `{"total", "requests": [...]}`."""
        if isinstance(since, datetime):
            since = since.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        doc = Record(self._ucsd.request("GET", "/ucsd/testing/requests", query={
            "operation": operation, "status": status, "since": since, "limit": limit,
            "offset": offset}))
        doc["requests"] = _records(doc.get("requests", []))
        return doc

    def __call__(self, operation: str | None = None, status: int | str | None = None,
                 since: datetime | str | None = None, *, kind: str | None = None) -> list:
        """Every entry matching the filters (paged through); `kind` "request" or "step"."""
        entries: list = []
        while True:
            doc = self.page(operation=operation, status=status, since=since, limit=self.PAGE,
                            offset=len(entries))
            entries.extend(doc["requests"])
            if not doc["requests"] or len(entries) >= doc["total"]:
                break
        if kind is not None:
            entries = [e for e in entries if e.get("kind", "request") == kind]
        return entries

    def operations(self, **filters: Any) -> list:
        """The operationIds of the request entries, in order."""
        return [e["operation"] for e in self(kind="request", **filters)]

    def clear(self) -> int:
        return self._ucsd.request("DELETE", "/ucsd/testing/requests")["deleted"]


class Clock:
    """The clock the server reasons with (`/ucsd/testing/clock`); it only moves forward.

    ucsd.clock.advance(hours=2)        # a precheck from before is expired now
    ucsd.clock.now()                   # the server's time (aware datetime, UTC)
    ucsd.clock.step_millis = 200       # simulated steps take time again
    """

    def __init__(self, ucsd: Ucsd):
        self._ucsd = ucsd
        self._step_before: int | None = None

    def _note(self, doc: Mapping) -> Record:
        self._ucsd._offset = timedelta(milliseconds=doc.get("offsetMillis", 0))
        return Record(doc)

    def read(self) -> Record:
        """`{"now", "offsetMillis", "stepMillis"}`."""
        return self._note(self._ucsd.request("GET", "/ucsd/testing/clock"))

    def now(self) -> datetime:
        return _parse_time(self.read()["now"])

    def advance(self, delta: timedelta | float | None = None, *, seconds: float = 0,
                minutes: float = 0, hours: float = 0, days: float = 0) -> datetime:
        """Move the clock ahead (a timedelta, or seconds, or the keywords); the server's new time."""
        if isinstance(delta, (int, float)):
            seconds += delta
            delta = None
        total = (delta or timedelta(0)) + timedelta(seconds=seconds, minutes=minutes, hours=hours,
                                                    days=days)
        doc = self._note(self._ucsd.request("POST", "/ucsd/testing/clock",
                                            body={"advanceMillis": _millis(total)}))
        return _parse_time(doc["now"])

    @property
    def step_millis(self) -> int:
        return self.read()["stepMillis"]

    @step_millis.setter
    def step_millis(self, millis: int) -> None:
        if self._step_before is None:
            self._step_before = self.step_millis
        self._note(self._ucsd.request("POST", "/ucsd/testing/clock", body={"stepMillis": int(millis)}))


    def restore_step_millis(self) -> None:
        """Put back the step time from before the first change through `step_millis`."""
        if self._step_before is not None:
            before, self._step_before = self._step_before, None
            self._note(self._ucsd.request("POST", "/ucsd/testing/clock", body={"stepMillis": before}))


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
