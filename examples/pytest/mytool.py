"""The tool under test: what a team writes against UCS and CCE with the official SDKs.

Nothing here knows about ucsd; the tests beside it point the SDK clients at a ucsd that the
`ucsd-testing` pytest plugin starts, and use its helpers to make the server misbehave.
"""

import json
import time

import huaweicloudsdkcce.v3 as cce_sdk
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, ServerResponseException
from huaweicloudsdkucs.v1 import (RegisterCluster, RegisterClusterMetadata, RegisterClusterRequest,
                                  RegisterClusterSpec, ShowClusterRequest)

RETRYABLE = {429, 500, 502, 503, 504}


class GaveUp(RuntimeError):
    pass


# ---------------------------------------------------------------- UCS: a status probe that retries

def cluster_phase(ucs, cluster_id, attempts=4, backoff=0.02, sleep=time.sleep):
    """The UCS cluster's phase; throttling (429) and server errors are retried with backoff."""
    for attempt in range(1, attempts + 1):
        try:
            return ucs.show_cluster(ShowClusterRequest(clusterid=cluster_id)).status.phase
        except (ClientRequestException, ServerResponseException) as e:
            if e.status_code not in RETRYABLE:
                raise
            if attempt == attempts:
                raise GaveUp(f"show_cluster {cluster_id}: {e.status_code} {e.error_code} after "
                             f"{attempts} attempts") from e
            sleep(backoff * 2 ** (attempt - 1))


def register_attached(ucs, name, kubeconfig):
    """Register an attached EKS cluster; its id. (JSON body: the SDK would form-encode it.)"""
    body = RegisterCluster(
        kind="Cluster", api_version="v1",
        metadata=RegisterClusterMetadata(name=name, annotations={"kubeconfig": kubeconfig}),
        spec=RegisterClusterSpec(category="attachedcluster", type="eks", provider="aws",
                                 country="CN", city="110000", manage_type="discrete"))
    resp = (ucs.register_cluster_invoker(RegisterClusterRequest(body=body))
            .add_header("Content-Type", "application/json").invoke())
    return resp.uid


# ---------------------------------------------------------------- CCE: create and upgrade, with a report

VPC = "11c9fe72-5a90-4295-bcfe-774726fb9066"
SUBNET = "0de91d89-1e06-4e24-b371-35d5d3d3779b"


def create_cluster(cce, name, version=None):
    body = cce_sdk.Cluster(
        kind="Cluster", api_version="v3", metadata=cce_sdk.ClusterMetadata(name=name),
        spec=cce_sdk.ClusterSpec(flavor="cce.s1.small", version=version,
                                 host_network=cce_sdk.HostNetwork(vpc=VPC, subnet=SUBNET),
                                 container_network=cce_sdk.ContainerNetwork(mode="vpc-router")))
    return cce.create_cluster(cce_sdk.CreateClusterRequest(body=body)).metadata.uid


def next_version(cce, cluster_id):
    """(the cluster's version, the first version it can be upgraded to)."""
    info = cce.show_cluster_upgrade_info(cce_sdk.ShowClusterUpgradeInfoRequest(cluster_id=cluster_id))
    return info.spec.version_info.release, info.spec.version_info.target_versions[0]


def _wait(probe, timeout, every):
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise GaveUp("timed out")
        time.sleep(every)


def precheck(cce, cluster_id, frm, to, timeout=60, every=0.05):
    """Run a precheck; (phase, message)."""
    body = cce_sdk.PrecheckClusterRequestBody(
        api_version="v3", kind="PreCheckTask",
        spec=cce_sdk.PrecheckSpec(cluster_id=cluster_id, cluster_version=frm, target_version=to))
    task = cce.create_pre_check(cce_sdk.CreatePreCheckRequest(cluster_id=cluster_id, body=body)).metadata.uid

    def done():
        t = cce.show_pre_check(cce_sdk.ShowPreCheckRequest(cluster_id=cluster_id, task_id=task))
        return (t.status.phase, t.status.message) if t.status.phase in ("Success", "Failed") else None
    return _wait(done, timeout, every)


def upgrade_only(cce, cluster_id, to, timeout=60, every=0.05):
    """Start the upgrade and wait for its task; a report dict."""
    body = cce_sdk.UpgradeClusterRequestBody(
        metadata=cce_sdk.UpgradeClusterRequestMetadata(api_version="v3", kind="UpgradeTask"),
        spec=cce_sdk.UpgradeSpec(cluster_upgrade_action=cce_sdk.ClusterUpgradeAction(
            target_version=to, strategy=cce_sdk.UpgradeStrategy(
                type="inPlaceRollingUpdate",
                in_place_rolling_update=cce_sdk.InPlaceRollingUpdate(scope="Cluster")))))
    try:
        task = cce.upgrade_cluster(cce_sdk.UpgradeClusterRequest(cluster_id=cluster_id, body=body)).metadata.uid
    except ClientRequestException as e:
        return {"outcome": "refused", "stage": "upgrade", "status": e.status_code, "message": e.error_msg}

    def done():
        t = cce.show_upgrade_cluster_task(
            cce_sdk.ShowUpgradeClusterTaskRequest(cluster_id=cluster_id, task_id=task))
        return t if t.status.phase in ("Success", "Failed") else None
    t = _wait(done, timeout, every)
    if t.status.phase == "Success":
        return {"outcome": "upgraded", "stage": "upgrade", "task": task, "message": None}
    # The SDK's UpgradeTaskStatus model has no `message`; the answer has it.
    message = json.loads(t.raw_content).get("status", {}).get("message")
    return {"outcome": "failed", "stage": "upgrade", "task": task, "message": message}


def upgrade(cce, cluster_id):
    """The team's upgrade command: precheck, then upgrade to the next version; what happened."""
    frm, to = next_version(cce, cluster_id)
    phase, message = precheck(cce, cluster_id, frm, to)
    if phase != "Success":
        return {"outcome": "failed", "stage": "precheck", "message": message}
    return upgrade_only(cce, cluster_id, to)


def summary(report):
    """The line the tool prints."""
    return json.dumps(report, sort_keys=True)
