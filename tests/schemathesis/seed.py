"""Seeds a fresh ucsd for the Schemathesis run and writes the run's config (scripts/schemathesis).

    seed.py URL TENANT_JSON TOKEN CONFIG_OUT

TENANT_JSON is what `ucsd admin tenant create` printed (a tenant administrator's credentials), TOKEN
a token of that administrator. Every resource a path parameter can name is made here through the
API, once for the operations to work on and, where an operation deletes it, once more for that
operation alone ("victims"), so a fuzzed DELETE does not take the other operations' resource with it.
CONFIG_OUT becomes the part of the run's schemathesis.toml that fixes each path parameter (and the
`cluster_id` query of the addon routes) to one of those ids, so generated requests name a real
resource and reach the handler's body and query validation.
"""

import json
import sys
import time

import requests

TIMEOUT = 30

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: member
  cluster:
    server: https://10.1.2.3:6443
contexts:
- name: member
  context:
    cluster: member
    user: admin
users:
- name: admin
  user:
    token: schemathesis-member-token
current-context: member
"""
VPC = "11c9fe72-5a90-4295-bcfe-774726fb9066"
SUBNET = "0de91d89-1e06-4e24-b371-35d5d3d3779b"


class Api:
    def __init__(self, url, token):
        self.url = url
        self.s = requests.Session()
        self.s.headers.update({"X-Auth-Token": token, "Content-Type": "application/json"})

    def call(self, method, path, body=None, params=None, want=(200, 201)):
        r = self.s.request(method, self.url + path, json=body, params=params, timeout=TIMEOUT)
        if r.status_code not in want:
            sys.exit(f"seed: {method} {path} -> {r.status_code}: {r.text[:500]}")
        return r.json() if r.content else None

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.call("POST", path, body, **kw)

    def poll(self, what, probe, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                sys.exit(f"seed: timed out waiting for {what}")
            time.sleep(0.1)


def attached(name):
    return {"kind": "Cluster", "apiVersion": "v1",
            "metadata": {"name": name, "labels": {"env": "fuzz"}, "annotations": {"kubeconfig": KUBECONFIG}},
            "spec": {"category": "attachedcluster", "type": "eks", "provider": "aws", "country": "CN",
                     "city": "110000", "manageType": "discrete"}}


def seed_ucs(api, t):
    ids = {}
    cluster = api.post("/v1/clusters", attached("st-attached"))["uid"]
    victim = api.post("/v1/clusters", attached("st-attached-victim"))["uid"]
    # create_cluster_conf serves on-premise clusters only.
    onprem = api.post("/v1/clusters", {"kind": "Cluster", "apiVersion": "v1", "metadata": {"name": "st-onprem"},
                                       "spec": {"category": "onpremise", "type": "baremetal",
                                                "provider": "huaweicloud", "country": "DE",
                                                "manageType": "discrete"}})["uid"]
    fleet = api.post("/v1/clustergroups", {"metadata": {"name": "st-fleet"},
                                           "spec": {"clusterIds": [cluster], "description": "fuzzed"}})["uid"]
    fleet_victim = api.post("/v1/clustergroups", {"metadata": {"name": "st-fleet-victim"},
                                                  "spec": {"clusterIds": [], "description": "deleted"}})["uid"]

    def rule(name):
        return api.post("/v1/permissions/rules", {"metadata": {"name": name}, "spec": {
            "iamUserIDs": [t["user_id"]], "type": "custom",
            "contents": [{"verbs": ["get", "list"], "resources": ["pods"]}], "description": "fuzzed"}})["uid"]
    ids.update(clusterid=[cluster], clusterid_victim=[victim], clusterid_onprem=[onprem], clustergroupid=[fleet],
               clustergroupid_victim=[fleet_victim], ruleid=[rule("st-rule")], ruleid_victim=[rule("st-rule-victim")],
               domainid=[t["domain_id"]])
    return ids


def seed_cce(api, t, service):
    """One Available cluster of the service (`api` or `autopilot`) with what hangs off it."""
    p = t["project_id"]
    base = f"/{service}/v3/projects/{p}/clusters"
    paths = api.get(f"/{service}/v3/clusterupgradepaths")["upgradePaths"]
    frm, to = next((x["version"], x["targetVersions"][0]) for x in paths if x.get("targetVersions"))
    pilot = service == "autopilot"

    def create(name):
        body = {"kind": "Cluster", "apiVersion": "v3", "metadata": {"name": name},
                "spec": {"flavor": "cce.autopilot.cluster" if pilot else "cce.s1.small", "version": frm,
                         "hostNetwork": {"vpc": VPC, "subnet": SUBNET},
                         "containerNetwork": {"mode": "eni" if pilot else "vpc-router"}}}
        c = api.post(base, body)
        return c["metadata"]["uid"], c["status"]["jobID"]

    cluster, job = create(f"st-{service}")
    victim, _ = create(f"st-{service}-victim")
    for uid in (cluster, victim):
        api.poll(f"{service} cluster {uid}", lambda: api.get(f"{base}/{uid}")["status"]["phase"] == "Available")
    ops = f"{base}/{cluster}/operation"
    spec = {"clusterID": cluster, "clusterVersion": frm, "targetVersion": to}
    workflow = api.post(f"{ops}/upgradeworkflows", {"kind": "WorkFlowTask", "apiVersion": "v3", "spec": spec})
    precheck = api.post(f"{ops}/precheck", {"kind": "PreCheckTask", "apiVersion": "v3", "spec": spec})
    ids = {"cluster_id": [cluster], "cluster_id_victim": [victim], "job_id": [job],
           "upgrade_workflow_id": [workflow["metadata"]["uid"]], "precheck_task_id": [precheck["metadata"]["uid"]]}

    addons = api.get(f"/{service}/v3/addons", params={"cluster_id": cluster})["items"]
    ids["id"] = [a["metadata"]["uid"] for a in addons]
    victim_addons = api.get(f"/{service}/v3/addons", params={"cluster_id": victim})["items"]
    ids["id_victim"] = [a["metadata"]["uid"] for a in victim_addons]
    if pilot:
        plan = api.get(f"{base}/{cluster}/upgradeplans").get("items")
        if isinstance(plan, dict) and plan.get("metadata", {}).get("uid"):
            ids["upgrade_plan_id"] = [plan["metadata"]["uid"]]
    else:
        pool_body = {"kind": "NodePool", "apiVersion": "v3", "metadata": {"name": "st-pool"},
                     "spec": {"initialNodeCount": 1, "nodeTemplate": {
                         "flavor": "c7.large.2", "az": "cn-north-4a", "os": "EulerOS 2.9",
                         "login": {"sshKey": "kp-ops"}, "rootVolume": {"size": 40, "volumetype": "SSD"},
                         "dataVolumes": [{"size": 100, "volumetype": "SSD"}]}}}
        pools = f"{base}/{cluster}/nodepools"
        pool = api.post(pools, pool_body)["metadata"]["uid"]
        pool_body["metadata"]["name"] = "st-pool-victim"
        pool_victim = api.post(pools, pool_body)["metadata"]["uid"]

        def nodes():
            items = api.get(f"{base}/{cluster}/nodes")["items"]
            return items if len(items) >= 5 else None  # 3 in the default pool, 1 in each of ours
        listed = api.poll("the node pools' nodes", nodes)
        by_pool = {}
        for n in listed:
            pool_of = n["metadata"].get("annotations", {}).get("kubernetes.io/node-pool.id", "")
            by_pool.setdefault(pool_of, []).append(n["metadata"]["uid"])
        ids["nodepool_id"] = [pool, "DefaultPool"]
        ids["nodepool_id_victim"] = [pool_victim]
        ids["node_id"] = [n for p, ns in by_pool.items() if p != pool_victim for n in ns]
        ids["node_id_victim"] = by_pool.get(pool_victim, [])
    # An upgrade task for the upgrade task routes: the cluster goes to `to` (the workflow above stays
    # as it was made), after its precheck passed.
    task = precheck["metadata"]["uid"]
    api.poll(f"{service} precheck", lambda: api.get(f"{ops}/precheck/tasks/{task}")["status"]["phase"] == "Success")
    upgrade = api.post(f"{ops}/upgrade", {"metadata": {"apiVersion": "v3", "kind": "UpgradeTask"}, "spec": {
        "clusterUpgradeAction": {"targetVersion": to, "strategy": {
            "type": "inPlaceRollingUpdate", "inPlaceRollingUpdate": {"scope": "Cluster"}}}}})
    ids["upgrade_task_id"] = [upgrade["metadata"]["uid"]]
    api.poll(f"{service} upgrade", lambda: api.get(
        f"{ops}/upgrade/tasks/{ids['upgrade_task_id'][0]}")["status"]["phase"] in ("Success", "Failed"))
    return ids


def write_config(out, ucs, cce, pilot, project_id):
    """The seeded ids as fixed values of the path parameters (and of the addon routes' `cluster_id`
    query): Schemathesis's coverage phase ignores dictionaries, so only fixed values make every
    phase reach the handlers' body and query validation instead of a 403 for a generated project."""
    values = {"project_id": project_id}
    for prefix, ids in (("ucs", ucs), ("cce", cce), ("pilot", pilot)):
        for name, ids_of in ids.items():
            if ids_of:
                values[f"{prefix}_{name}"] = ids_of[0]

    def bind(params):
        return "{ " + ", ".join(f'"{key}" = {json.dumps(values[v])}' for key, v in params.items() if v in values) + " }"

    def service_params(prefix, victims):
        def pick(name, kind):
            return f"{prefix}_{name}_victim" if victims == kind else f"{prefix}_{name}"
        return {
            "path.project_id": "project_id",
            "path.cluster_id": pick("cluster_id", "cluster"),
            "query.cluster_id": pick("cluster_id", "addon"),
            "path.nodepool_id": pick("nodepool_id", "pool"),
            "path.node_id": pick("node_id", "node"),
            "path.upgrade_workflow_id": f"{prefix}_upgrade_workflow_id",
            "path.upgrade_plan_id": f"{prefix}_upgrade_plan_id",
            "path.job_id": f"{prefix}_job_id",
            "path.id": pick("id", "addon"),
        }

    lines = ["# Generated by tests/schemathesis/seed.py for one run of scripts/schemathesis.", ""]
    # Global bindings: the UCS routes and everything else. The first [[operations]] entry matching
    # an operation decides all of its parameters, so the entries below are disjoint.
    lines.append("[parameters]")
    for key, v in {"path.project_id": "project_id", "path.clusterid": "ucs_clusterid",
                   "path.clustergroupid": "ucs_clustergroupid", "path.ruleid": "ucs_ruleid",
                   "path.domainid": "ucs_domainid"}.items():
        lines.append(f'"{key}" = {json.dumps(values[v])}')
    lines.append("")
    # (regex over the operation's name, "METHOD /path", its bindings). Include filters of one entry
    # are alternatives, so each entry has exactly one: a regex over the name.
    ops = [
        # UCS deletions work on their own resources.
        ("^DELETE /v1/clusters/\\{clusterid\\}$", {"path.clusterid": "ucs_clusterid_victim"}),
        ("^DELETE /v1/clustergroups/\\{clustergroupid\\}$", {"path.clustergroupid": "ucs_clustergroupid_victim"}),
        ("^DELETE /v1/permissions/rules/\\{ruleid\\}$", {"path.ruleid": "ucs_ruleid_victim"}),
        ("^POST /v1/clusters/\\{clusterid\\}/clusterconf$", {"path.clusterid": "ucs_clusterid_onprem"}),
    ]
    for prefix, root in (("cce", "/api/"), ("pilot", "/autopilot/")):
        ops += [
            (f"^DELETE {root}v3/projects/\\{{project_id\\}}/clusters/\\{{cluster_id\\}}$",
             service_params(prefix, "cluster")),
            (f"^DELETE {root}v3/addons/\\{{id\\}}$", service_params(prefix, "addon")),
            (f"^[A-Z]+ {root}.*/precheck/tasks/\\{{task_id\\}}$",
             dict(service_params(prefix, None), **{"path.task_id": f"{prefix}_precheck_task_id"})),
            (f"^[A-Z]+ {root}.*/upgrade/tasks/\\{{task_id\\}}$",
             dict(service_params(prefix, None), **{"path.task_id": f"{prefix}_upgrade_task_id"})),
            (f"^[A-Z]+ {root}", service_params(prefix, None)),
        ]
        if prefix == "cce":  # node pools and nodes have no Autopilot twin
            ops[-1:-1] = [
                (f"^DELETE {root}.*/nodepools/\\{{nodepool_id\\}}$", service_params(prefix, "pool")),
                (f"^DELETE {root}.*/nodes/\\{{node_id\\}}$", service_params(prefix, "node")),
            ]
    for regex, params in ops:
        lines.append("[[operations]]")
        lines.append(f"include-name-regex = {json.dumps(regex)}")
        lines.append(f"parameters = {bind(params)}")
        lines.append("")
    with open(out, "w") as f:
        f.write("\n".join(lines))


def main():
    url, tenant_json, token, out = sys.argv[1:5]
    with open(tenant_json) as f:
        t = json.load(f)
    api = Api(url, token)
    ucs = seed_ucs(api, t)
    cce = seed_cce(api, t, "api")
    pilot = seed_cce(api, t, "autopilot")
    write_config(out, ucs, cce, pilot, t["project_id"])
    print(f"seed: {sum(map(len, ucs.values())) + sum(map(len, cce.values())) + sum(map(len, pilot.values()))} "
          f"ids seeded", file=sys.stderr)


if __name__ == "__main__":
    main()
