"""Signed SDK traffic for the operations drills (scripts/failover-drill, scripts/rolling-restart-drill).

Clients spread over the given ucsd URLs register clusters (writes) and read them back (reads), with the
official SDK as a user would, for --secs seconds; every request's time and outcome is recorded. With
--federate, a fleet of two of the registered clusters gets federation enabled at --federate-at seconds
and the drill waits for its workflow to end. Prints one JSON document: the requests, the clusters whose
registration was acknowledged (2xx), and the workflow's final phase.

    target/sdk-venv/bin/python scripts/drill/traffic.py --urls http://127.0.0.1:18081,http://127.0.0.1:18082 \
        --tenant tenant.json --secs 60 --clients 4 --federate --federate-at 10
"""

import argparse
import json
import os
import random
import sys
import threading
import time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "sdk"))

from huaweicloudsdkucs.v1 import EnableFederationRequest, ShowClusterRequest, ShowFederationProgressRequest  # noqa: E402
from sdkhelpers import ucs_client  # noqa: E402
from test_clusters import register_body, register_json, unique_name  # noqa: E402
from test_fleets import fleet_body, register_fleet_json  # noqa: E402


def outcome(call):
    """(ok, status, value) of one SDK call; a refused or failed request is recorded, never raised."""
    try:
        resp = call()
        return 200 <= resp.status_code < 300, resp.status_code, resp
    except Exception as e:  # noqa: BLE001 - the drill counts every failure, whatever its kind
        return False, getattr(e, "status_code", None) or type(e).__name__, None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--urls", required=True)
    p.add_argument("--tenant", required=True, help="the JSON `ucsd admin tenant create` printed")
    p.add_argument("--secs", type=float, default=60)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--reads", type=int, default=3, help="reads of acknowledged clusters per write")
    p.add_argument("--pause", type=float, default=0.02, help="seconds each client waits between rounds")
    p.add_argument("--federate", action="store_true")
    p.add_argument("--federate-at", type=float, default=10)
    p.add_argument("--workflow-timeout", type=float, default=180)
    args = p.parse_args()

    creds = json.load(open(args.tenant))
    tenant = SimpleNamespace(access_key=creds["access_key"], secret_key=creds["secret_key"],
                             domain_id=creds["domain_id"])
    urls = args.urls.split(",")
    start = time.time()
    deadline = start + args.secs
    records, acked = [], []
    lock = threading.Lock()

    def record(op, url, t0, ok, status, uid=None):
        with lock:
            records.append({"op": op, "url": url, "start": t0, "end": time.time(), "ok": ok,
                            "status": status, "uid": uid})
            if op == "register" and ok:
                acked.append(uid)

    def client_loop(i):
        url = urls[i % len(urls)]
        client = ucs_client(SimpleNamespace(url=url), tenant)
        while time.time() < deadline:
            t0 = time.time()
            ok, status, resp = outcome(lambda: register_json(client, register_body(unique_name("drill"))))
            record("register", url, t0, ok, status, resp.uid if ok else None)
            for _ in range(args.reads if acked else 0):
                uid = random.choice(acked)
                t0 = time.time()
                ok, status, _ = outcome(lambda: client.show_cluster(ShowClusterRequest(clusterid=uid)))
                record("show", url, t0, ok, status, uid)
            time.sleep(args.pause)

    threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(args.clients)]
    for t in threads:
        t.start()

    workflow = None
    if args.federate:
        time.sleep(max(0.0, start + args.federate_at - time.time()))
        client = ucs_client(SimpleNamespace(url=urls[0]), tenant)
        used = set()
        while workflow is None and time.time() < deadline:
            # Two Available clusters not tried yet; a fleet of them; its federation enabled. Set-up
            # calls that fail (the fault may come early) are tried again with other clusters.
            members = []
            for uid in [u for u in list(acked) if u not in used]:
                ok, _, resp = outcome(lambda: client.show_cluster(ShowClusterRequest(clusterid=uid)))
                if ok and json.loads(resp.raw_content)["status"]["phase"] == "Available":
                    members.append(uid)
                if len(members) == 2:
                    break
            used.update(members)
            ok, _, fleet = outcome(lambda: register_fleet_json(client, fleet_body(unique_name("drill-fleet"), members)))
            if ok:
                ok, status, _ = outcome(lambda: client.enable_federation(EnableFederationRequest(clustergroupid=fleet.uid)))
                if ok:
                    workflow = {"fleet": fleet.uid, "members": members, "enabled_status": status,
                                "enabled_at": time.time()}
            if workflow is None:
                time.sleep(0.5)

    for t in threads:
        t.join()

    if workflow:
        # Any replica answers; the workflow must end (Success) once the database is back.
        until = time.time() + args.workflow_timeout
        phase, body = None, None
        while time.time() < until:
            for url in urls:
                client = ucs_client(SimpleNamespace(url=url), tenant)
                ok, _, resp = outcome(lambda: client.show_federation_progress(
                    ShowFederationProgressRequest(clustergroupid=workflow["fleet"])))
                if ok:
                    body = json.loads(resp.raw_content)
                    phase = body["status"]["phase"]
                    break
            if phase in ("Success", "Failed"):
                break
            time.sleep(0.5)
        workflow["phase"] = phase
        workflow["ended_at"] = time.time()
        workflow["sub_jobs"] = [(s["spec"]["type"], s["status"]["phase"])
                                for s in (body or {}).get("spec", {}).get("subJobs", [])]

    json.dump({"start": start, "records": records, "acked": acked, "workflow": workflow}, sys.stdout)


if __name__ == "__main__":
    main()
