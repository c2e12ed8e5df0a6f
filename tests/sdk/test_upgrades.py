"""CCE and CCE Autopilot cluster upgrades (docs/wire.md C01–C43) driven by the unmodified official SDK.

Every operation is the plain `CceClient` method (C01–C43, plus the v3 cluster create/show/list/delete it acts on, for
both flavors); responses are checked through the SDK's model attributes, so a key the server spells differently from
the SDK shows up here as `None`. The behaviour checked is the one docs/upgrades.md fixes. The version catalogue is not
hard-coded: the tests ask the upgrade paths (C02/C25) for a version with a target.

The server runs the simulated provider (200 ms a step); long operations are polled with deadlines.
"""

import datetime
import json
import secrets
import time

import pytest

import huaweicloudsdkcce.v3 as cce_sdk
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from test_clusters import expect_error

VPC_ID = "11c9fe72-5a90-4295-bcfe-774726fb9066"
SUBNET_ID = "0de91d89-1e06-4e24-b371-35d5d3d3779b"
NIL_ID = "5b6d1f1e-1f5e-4a7e-9b1a-8f0e6c1d2a3b"
TIMEOUT = 60.0
FLAVORS = ["cce", "autopilot"]
TERMINAL = ("Success", "Failed", "Error")

# CCE method -> its Autopilot twin (same request body and response keys, /autopilot paths).
AUTOPILOT_TWINS = {
    "create_cluster": "create_autopilot_cluster",
    "show_cluster": "show_autopilot_cluster",
    "list_clusters": "list_autopilot_clusters",
    "delete_cluster": "delete_autopilot_cluster",
    "show_job": "show_autopilot_job",
    "show_cluster_upgrade_info": "show_autopilot_cluster_upgrade_info",  # C01 / C24
    "list_cluster_upgrade_paths": "list_autopilot_cluster_upgrade_paths",  # C02 / C25
    "list_cluster_upgrade_feature_gates": "list_autopilot_cluster_upgrade_feature_gates",  # C03 / C26
    "show_feature_gates": "show_autopilot_feature_gates",  # C04 / C27
    "create_upgrade_work_flow": "create_autopilot_upgrade_work_flow",  # C05 / C28
    "list_upgrade_work_flows": "list_autopilot_upgrade_work_flows",  # C06 / C29
    "show_upgrade_work_flow": "show_autopilot_upgrade_work_flow",  # C07 / C30
    "upgrade_work_flow_update": "upgrade_autopilot_work_flow_update",  # C08 / C31
    "create_pre_check": "create_autopilot_pre_check",  # C09 / C32
    "list_pre_check_tasks": "list_autopilot_pre_check_tasks",  # C10 / C33
    "show_pre_check": "show_autopilot_pre_check",  # C11 / C34
    "create_cluster_master_snapshot": "create_autopilot_cluster_master_snapshot",  # C12 / C35
    "list_cluster_master_snapshot_tasks": "list_autopilot_cluster_master_snapshot_tasks",  # C13 / C36
    "upgrade_cluster": "upgrade_autopilot_cluster",  # C14 / C37
    "list_upgrade_cluster_tasks": "list_autopilot_upgrade_cluster_tasks",  # C15 / C38
    "show_upgrade_cluster_task": "show_autopilot_upgrade_cluster_task",  # C16 / C39
    "retry_upgrade_cluster_task": "retry_autopilot_upgrade_cluster_task",  # C19 / C40
    "create_post_check": "create_autopilot_post_check",  # C20 / C41
}
CCE_ONLY = ["pause_upgrade_cluster_task", "continue_upgrade_cluster_task", "upgrade_node_pool",  # C17 C18 C21
            "batch_create_addon_precheck", "list_addon_precheck_tasks"]  # C22 C23
AUTOPILOT_ONLY = ["list_autopilot_upgrade_plans", "update_autopilot_upgrade_plan"]  # C42 C43


# ---------------------------------------------------------------- helpers

def request_class(method):
    """The SDK's request model of `method` (show_cluster_upgrade_info -> ShowClusterUpgradeInfoRequest)."""
    return getattr(cce_sdk, "".join(p.capitalize() for p in method.split("_")) + "Request")


def call(client, flavor, method, **kw):
    """Call the CCE `method` or its Autopilot twin with its own request model built from kw."""
    name = method if flavor == "cce" else AUTOPILOT_TWINS.get(method, method)
    return getattr(client, name)(request_class(name)(**kw))


def same_version(a, b):
    """Equal, or one is the release of the other (v1.28 and v1.28.15-r10)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def unique_name(prefix):
    return f"{prefix}-{secrets.token_hex(4)}"


def expect_cce_error(fn, status):
    return expect_error(fn, status, prefix="CCE.")


def poll(what, probe, timeout=TIMEOUT, every=0.1):
    """probe() until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(every)


def raw(resp):
    return json.loads(resp.raw_content)


def upgrade_paths(client, flavor):
    resp = call(client, flavor, "list_cluster_upgrade_paths")
    assert resp.status_code == 200, resp.raw_content
    assert resp.upgrade_paths, resp.raw_content
    return [(p.version, list(p.target_versions or [])) for p in resp.upgrade_paths]


def hop(client, flavor):
    """A version with an upgrade path, and its first target."""
    for version, targets in upgrade_paths(client, flavor):
        if targets:
            return version, targets[0]
    pytest.fail(f"the {flavor} catalogue has no upgrade path")


def targets_of(client, flavor, version):
    for v, targets in upgrade_paths(client, flavor):
        if same_version(v, version):
            return targets
    return []


def cluster_body(flavor, name, version=None):
    if flavor == "cce":
        return cce_sdk.Cluster(
            kind="Cluster", api_version="v3",
            metadata=cce_sdk.ClusterMetadata(name=name, labels={"team": "a"}),
            spec=cce_sdk.ClusterSpec(flavor="cce.s1.small", version=version, description="sdk upgrade test",
                                     host_network=cce_sdk.HostNetwork(vpc=VPC_ID, subnet=SUBNET_ID),
                                     container_network=cce_sdk.ContainerNetwork(mode="vpc-router")))
    return cce_sdk.AutopilotCluster(
        kind="Cluster", api_version="v3",
        metadata=cce_sdk.AutopilotClusterMetadata(name=name, labels={"team": "a"}),
        spec=cce_sdk.AutopilotClusterSpec(flavor="cce.autopilot.cluster", version=version,
                                          description="sdk upgrade test",
                                          host_network=cce_sdk.AutopilotHostNetwork(vpc=VPC_ID, subnet=SUBNET_ID),
                                          container_network=cce_sdk.AutopilotContainerNetwork(mode="eni")))


def create_cluster(client, flavor, name, version=None):
    resp = call(client, flavor, "create_cluster", body=cluster_body(flavor, name, version))
    assert resp.status_code == 201, resp.raw_content
    assert resp.kind == "Cluster" and resp.api_version == "v3", resp.raw_content
    assert resp.metadata.name == name and resp.metadata.uid, resp.raw_content
    assert resp.status.phase == "Creating", resp.raw_content
    assert resp.status.job_id, resp.raw_content
    return resp.metadata.uid


def show_cluster(client, flavor, uid):
    resp = call(client, flavor, "show_cluster", cluster_id=uid)
    assert resp.status_code == 200, resp.raw_content
    return resp


def wait_cluster(client, flavor, uid, phase="Available"):
    return poll(f"cluster {uid} {phase}",
                lambda: (lambda c: c if c.status.phase == phase else None)(show_cluster(client, flavor, uid)))


def available(client, flavor, name, version):
    uid = create_cluster(client, flavor, name, version)
    wait_cluster(client, flavor, uid)
    return uid


def full_version(client, flavor, uid):
    return show_cluster(client, flavor, uid).metadata.annotations["cce.ucsd.io/version"]


def delete_and_wait(client, flavor, uid):
    resp = call(client, flavor, "delete_cluster", cluster_id=uid)
    assert resp.status_code == 200, resp.raw_content
    assert resp.status.phase == "Deleting", resp.raw_content

    def gone():
        try:
            call(client, flavor, "show_cluster", cluster_id=uid)
        except ClientRequestException as e:
            assert e.status_code == 404 and str(e.error_code).startswith("CCE."), e.error_msg
            return True
        return False
    poll(f"cluster {uid} to go", gone)


def workflow_body(uid, frm, to):
    return cce_sdk.CreateUpgradeWorkFlowRequestBody(
        kind="WorkFlowTask", api_version="v3",
        spec=cce_sdk.WorkFlowSpec(cluster_id=uid, cluster_version=frm, target_version=to))


def create_workflow(client, flavor, uid, frm, to):
    resp = call(client, flavor, "create_upgrade_work_flow", cluster_id=uid, body=workflow_body(uid, frm, to))
    assert resp.status_code == 201, resp.raw_content
    return resp


def show_workflow(client, flavor, uid, wf):
    resp = call(client, flavor, "show_upgrade_work_flow", cluster_id=uid, upgrade_workflow_id=wf)
    assert resp.status_code == 200, resp.raw_content
    return resp


def cancel_workflow(client, flavor, uid, wf, phase="Cancel"):
    body = cce_sdk.UpgradeWorkFlowUpdateRequestBody(
        status=cce_sdk.UpgradeWorkFlowUpdateRequestBodyStatus(phase=phase))
    return call(client, flavor, "upgrade_work_flow_update", cluster_id=uid, upgrade_workflow_id=wf, body=body)


def point(workflow, task_type):
    for p in workflow.status.point_statuses:
        if p.task_type == task_type:
            return p
    pytest.fail(f"no {task_type} point in {workflow}")


def wait_point(client, flavor, uid, wf, task_type, status, task_id=None):
    def probe():
        w = show_workflow(client, flavor, uid, wf)
        p = point(w, task_type)
        ok = p.status == status and (task_id is None or p.task_id == task_id)
        return w if ok else None
    return poll(f"{task_type} point {status}", probe)


def precheck_body(uid, frm, to):
    return cce_sdk.PrecheckClusterRequestBody(
        api_version="v3", kind="PreCheckTask",
        spec=cce_sdk.PrecheckSpec(cluster_id=uid, cluster_version=frm, target_version=to))


def precheck(client, flavor, uid, frm, to):
    """C09/C32 then C11/C34 until it ends; (task id, final response)."""
    resp = call(client, flavor, "create_pre_check", cluster_id=uid, body=precheck_body(uid, frm, to))
    assert resp.status_code < 300, resp.raw_content
    assert resp.spec.cluster_id == uid, resp.raw_content
    task = resp.metadata.uid
    assert task, resp.raw_content

    def probe():
        r = call(client, flavor, "show_pre_check", cluster_id=uid, task_id=task)
        assert r.status_code == 200, r.raw_content
        return r if r.status.phase in TERMINAL else None
    return task, poll(f"precheck {task}", probe)


def upgrade_body(to, only_master=False):
    return cce_sdk.UpgradeClusterRequestBody(
        metadata=cce_sdk.UpgradeClusterRequestMetadata(api_version="v3", kind="UpgradeTask"),
        spec=cce_sdk.UpgradeSpec(cluster_upgrade_action=cce_sdk.ClusterUpgradeAction(
            target_version=to, is_only_upgrade=only_master,
            strategy=cce_sdk.UpgradeStrategy(type="inPlaceRollingUpdate",
                                              in_place_rolling_update=cce_sdk.InPlaceRollingUpdate(scope="Cluster")))))


def upgrade(client, flavor, uid, to, only_master=False):
    resp = call(client, flavor, "upgrade_cluster", cluster_id=uid, body=upgrade_body(to, only_master))
    assert resp.status_code < 300, resp.raw_content
    assert resp.metadata.uid, resp.raw_content
    assert same_version(resp.spec.cluster_upgrade_action.target_version, to), resp.raw_content
    return resp.metadata.uid


def upgrade_task(client, flavor, uid, task):
    resp = call(client, flavor, "show_upgrade_cluster_task", cluster_id=uid, task_id=task)
    assert resp.status_code == 200, resp.raw_content
    return resp


def wait_task(client, flavor, uid, task, phases=("Success", "Failed")):
    return poll(f"upgrade task {task} in {phases}",
                lambda: (lambda t: t if t.status.phase in phases else None)(upgrade_task(client, flavor, uid, task)))


def postcheck(client, flavor, uid, frm, to):
    body = cce_sdk.PostcheckClusterRequestBody(
        api_version="v3", kind="PostCheckTask",
        spec=cce_sdk.PostcheckSpec(cluster_id=uid, cluster_version=frm, target_version=to))
    resp = call(client, flavor, "create_post_check", cluster_id=uid, body=body)
    assert resp.status_code < 300, resp.raw_content
    assert resp.metadata.uid, resp.raw_content
    return resp.metadata.uid


def snapshot(client, flavor, uid):
    resp = call(client, flavor, "create_cluster_master_snapshot", cluster_id=uid)
    assert resp.status_code < 300, resp.raw_content
    assert resp.uid, resp.raw_content
    assert resp.metadata.api_version == "v3.1", resp.raw_content
    snap = resp.uid

    def probe():
        r = call(client, flavor, "list_cluster_master_snapshot_tasks", cluster_id=uid)
        assert r.status_code == 200, r.raw_content
        for item in r.items or []:
            if item.metadata.uid == snap and item.status.phase in TERMINAL:
                return r, item
        return None
    listed, item = poll(f"snapshot {snap}", probe)
    assert item.status.phase == "Success", listed.raw_content
    assert listed.status.latest_backup_time, listed.raw_content
    return snap


# ---------------------------------------------------------------- tests

def test_every_operation_in_scope_is_an_sdk_method():
    ops = set(AUTOPILOT_TWINS) | set(AUTOPILOT_TWINS.values()) | set(CCE_ONLY) | set(AUTOPILOT_ONLY)
    assert len(ops) == 43 + 10  # C01–C43 plus create/show/list/delete and show_job for both flavors
    missing = [o for o in ops if not callable(getattr(cce_sdk.CceClient, o, None))]
    assert not missing, missing
    for o in ops:
        request_class(o)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_clusters_are_created_listed_hidden_from_others_and_deleted(cce, other_cce, flavor):
    frm, to = hop(cce, flavor)
    name = unique_name("sdk")
    uid = available(cce, flavor, name, frm)
    c = show_cluster(cce, flavor, uid)
    assert c.kind == "Cluster" and c.api_version == "v3"
    assert c.metadata.name == name and c.metadata.labels == {"team": "a"}
    assert c.spec.type == "VirtualMachine"
    assert c.spec.description == "sdk upgrade test"
    assert c.spec.host_network.vpc == VPC_ID and c.spec.host_network.subnet == SUBNET_ID
    assert same_version(c.spec.version, frm) and "-" not in c.spec.version, c.spec.version
    assert c.spec.platform_version
    assert same_version(c.metadata.annotations["cce.ucsd.io/version"], frm)
    job = call(cce, flavor, "show_job", job_id=c.status.job_id)
    assert (job.spec.type, job.status.phase, job.spec.cluster_uid) == ("CreateCluster", "Success", uid), job.raw_content

    listed = call(cce, flavor, "list_clusters")
    assert listed.kind == "Cluster" and listed.api_version == "v3"
    assert [i.metadata.uid for i in listed.items] == [uid]
    listed = call(cce, flavor, "list_clusters", status="Available", type="VirtualMachine", version=c.spec.version)
    assert [i.metadata.uid for i in listed.items] == [uid]
    assert call(cce, flavor, "list_clusters", status="Creating").items == []
    other = "autopilot" if flavor == "cce" else "cce"
    assert call(cce, other, "list_clusters").items == []
    expect_cce_error(lambda: call(cce, other, "show_cluster", cluster_id=uid), 404)
    expect_cce_error(lambda: call(other_cce, flavor, "show_cluster", cluster_id=uid), 404)
    expect_cce_error(lambda: call(other_cce, flavor, "show_cluster_upgrade_info", cluster_id=uid), 404)
    expect_cce_error(lambda: call(cce, flavor, "show_cluster", cluster_id=NIL_ID), 404)
    # A name is unique per tenant and flavor; bad bodies are refused.
    expect_cce_error(lambda: call(cce, flavor, "create_cluster", body=cluster_body(flavor, name)), 409)
    expect_cce_error(lambda: call(cce, flavor, "create_cluster", body=cluster_body(flavor, "Bad_Name")), 400)
    expect_cce_error(lambda: call(cce, flavor, "create_cluster", body=cluster_body(flavor, unique_name("v"), "v0.1")),
                     400)
    assert len(call(cce, flavor, "list_clusters").items) == 1

    delete_and_wait(cce, flavor, uid)
    assert call(cce, flavor, "list_clusters").items == []


@pytest.mark.parametrize("flavor", FLAVORS)
def test_upgrade_info_paths_and_feature_gates(cce, flavor):
    frm, to = hop(cce, flavor)
    paths = call(cce, flavor, "list_cluster_upgrade_paths")
    for p in paths.upgrade_paths:
        assert p.version.startswith("v") and p.platform_version is not None, paths.raw_content
    uid = available(cce, flavor, unique_name("info"), frm)
    info = call(cce, flavor, "show_cluster_upgrade_info", cluster_id=uid)
    assert info.status_code == 200, info.raw_content
    vi = info.spec.version_info
    assert vi.release == show_cluster(cce, flavor, uid).spec.version, info.raw_content
    assert vi.patch is not None, info.raw_content
    assert any(same_version(v, to) for v in vi.target_versions), info.raw_content
    gates = info.spec.upgrade_feature_gates
    assert gates is None or gates.support_upgrade_page_v4 in (None, True, False), info.raw_content

    gates = call(cce, flavor, "list_cluster_upgrade_feature_gates")
    assert gates.status_code == 200, gates.raw_content
    assert isinstance(gates.upgrade_feature_gates, dict), gates.raw_content
    fg = call(cce, flavor, "show_feature_gates")
    assert fg.status_code == 200, fg.raw_content
    assert fg.kind == "Configuration" and fg.api_version == "v3.1", fg.raw_content
    assert isinstance(fg.spec, dict), fg.raw_content


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_workflow_is_created_once_and_cancelled(cce, flavor):
    frm, to = hop(cce, flavor)
    uid = available(cce, flavor, unique_name("wf"), frm)
    expect_cce_error(lambda: call(cce, flavor, "create_upgrade_work_flow", cluster_id=uid,
                                  body=workflow_body(uid, to, to)), 400)
    expect_cce_error(lambda: call(cce, flavor, "create_upgrade_work_flow", cluster_id=uid,
                                  body=workflow_body(uid, frm, "v9.99")), 400)
    resp = create_workflow(cce, flavor, uid, frm, to)
    assert resp.kind == "WorkFlowTask" and resp.api_version == "v3"
    assert resp.spec.cluster_id == uid
    assert resp.status.phase == "Init", resp.raw_content
    assert [p.task_type for p in resp.status.point_statuses] == ["PreCheck", "Snapshot", "Cluster", "PostCheck"]
    assert all(p.task_id is None and p.status is None for p in resp.status.point_statuses), resp.raw_content
    lines = [(ln.start_point.task_type, ln.end_point.task_type, ln.critical) for ln in resp.status.line_statuses]
    assert lines == [("PreCheck", "Cluster", False), ("Cluster", "PostCheck", True)], resp.raw_content
    wf = resp.metadata.uid
    expect_cce_error(lambda: call(cce, flavor, "create_upgrade_work_flow", cluster_id=uid,
                                  body=workflow_body(uid, frm, to)), 409)

    listed = call(cce, flavor, "list_upgrade_work_flows", cluster_id=uid)
    assert listed.kind == "List" and listed.api_version == "v3", listed.raw_content
    assert [w.metadata.uid for w in listed.items] == [wf]
    assert show_workflow(cce, flavor, uid, wf).status.phase == "Init"

    expect_cce_error(lambda: cancel_workflow(cce, flavor, uid, wf, phase="Running"), 400)
    resp = cancel_workflow(cce, flavor, uid, wf)
    assert resp.status_code == 200, resp.raw_content
    assert resp.status.phase == "Cancel", resp.raw_content
    assert show_workflow(cce, flavor, uid, wf).status.phase == "Cancel"
    expect_cce_error(lambda: cancel_workflow(cce, flavor, uid, wf), 400)
    create_workflow(cce, flavor, uid, frm, to)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_the_guided_walk(cce, flavor):
    """workflow → precheck → snapshot → upgrade → postcheck → workflow Success, on a cluster with an
    installed addon and (CCE) a created node pool: the upgrade moves both."""
    from test_cce_lifecycle import addon_body, addon_call, create_pool, installed, offered_on, wait_pool

    frm, to = hop(cce, flavor)
    uid = available(cce, flavor, unique_name("walk"), frm)
    addon = addon_call(cce, flavor, "create_addon_instance",
                       body=addon_body(uid, "metrics-server", offered_on(cce, flavor, "metrics-server", frm)[0]))
    assert addon.status_code == 201, addon.raw_content
    pool = None
    if flavor == "cce":
        pool, _ = create_pool(cce, uid, "walk-pool", 1)
        wait_pool(cce, uid, pool, 1)
    wf = create_workflow(cce, flavor, uid, frm, to).metadata.uid

    # No precheck yet: no upgrade.
    expect_cce_error(lambda: call(cce, flavor, "upgrade_cluster", cluster_id=uid, body=upgrade_body(to)), 400)

    pre, p = precheck(cce, flavor, uid, frm, to)
    assert p.status.phase == "Success", p.raw_content
    assert p.status.expire_time_stamp, p.raw_content
    assert p.kind == "PreCheckTask" and p.metadata.uid == pre
    listed = call(cce, flavor, "list_pre_check_tasks", cluster_id=uid)
    assert listed.api_version == "v3", listed.raw_content
    assert pre in [i.metadata.uid for i in listed.items], listed.raw_content
    w = wait_point(cce, flavor, uid, wf, "PreCheck", "Success", pre)
    assert w.status.phase == "Running", w.raw_content
    assert point(w, "PreCheck").expire_time_stamp and point(w, "PreCheck").start_time_stamp

    snap = snapshot(cce, flavor, uid)
    wait_point(cce, flavor, uid, wf, "Snapshot", "Success", snap)

    task = upgrade(cce, flavor, uid, to)
    done = wait_task(cce, flavor, uid, task)
    assert done.status.phase == "Success", done.raw_content
    assert done.status.progress == "100", done.raw_content
    assert done.kind == "UpgradeTask"
    assert same_version(done.spec.version, frm) and same_version(done.spec.target_version, to), done.raw_content
    tasks = call(cce, flavor, "list_upgrade_cluster_tasks", cluster_id=uid)
    assert [t.metadata.uid for t in tasks.items] == [task], tasks.raw_content
    assert tasks.items[0].status.phase == "Success"
    c = show_cluster(cce, flavor, uid)
    assert same_version(c.metadata.annotations["cce.ucsd.io/version"], to), c.metadata.annotations
    assert same_version(c.spec.version, to)
    # The addon moved to the newest version the target offers; the created pool runs the target.
    moved = installed(cce, flavor, uid)["metrics-server"]
    assert moved.metadata.uid == addon.metadata.uid, moved
    assert moved.spec.version == offered_on(cce, flavor, "metrics-server", to)[-1], moved
    if pool:
        p = cce.show_node_pool(cce_sdk.ShowNodePoolRequest(cluster_id=uid, nodepool_id=pool))
        assert same_version(p.metadata.annotations["cce.ucsd.io/version"], to), p.raw_content
        assert p.status.current_node == 1, p.raw_content
    wait_point(cce, flavor, uid, wf, "Cluster", "Success", task)
    # On the critical line: no cancel.
    expect_cce_error(lambda: cancel_workflow(cce, flavor, uid, wf), 400)

    post = postcheck(cce, flavor, uid, frm, to)
    wait_point(cce, flavor, uid, wf, "PostCheck", "Success", post)
    w = poll("workflow Success",
             lambda: (lambda w: w if w.status.phase == "Success" else None)(show_workflow(cce, flavor, uid, wf)))
    for task_type, task_id in [("PreCheck", pre), ("Snapshot", snap), ("Cluster", task), ("PostCheck", post)]:
        p = point(w, task_type)
        assert p.task_id == task_id and p.status == "Success", w.raw_content
        assert p.start_time_stamp and p.end_time_stamp, w.raw_content
    info = call(cce, flavor, "show_cluster_upgrade_info", cluster_id=uid)
    assert info.spec.version_info.release == c.spec.version, info.raw_content

    # Retrying a task that succeeded is refused.
    expect_cce_error(lambda: call(cce, flavor, "retry_upgrade_cluster_task", cluster_id=uid), 400)
    delete_and_wait(cce, flavor, uid)


def test_a_paused_upgrade_continues_to_success(cce):
    frm, to = hop(cce, "cce")
    uid = available(cce, "cce", unique_name("pause"), frm)
    expect_cce_error(lambda: cce.pause_upgrade_cluster_task(cce_sdk.PauseUpgradeClusterTaskRequest(cluster_id=uid)),
                     400)
    precheck(cce, "cce", uid, frm, to)
    task = upgrade(cce, "cce", uid, to)
    running = wait_task(cce, "cce", uid, task, phases=("Running", "Success", "Failed"))
    assert running.status.phase == "Running", running.raw_content
    resp = cce.pause_upgrade_cluster_task(cce_sdk.PauseUpgradeClusterTaskRequest(cluster_id=uid))
    assert resp.status_code == 200, resp.raw_content
    paused = wait_task(cce, "cce", uid, task, phases=("Pause", "Success", "Failed"))
    assert paused.status.phase == "Pause", paused.raw_content
    assert paused.status.progress != "100"
    expect_cce_error(lambda: call(cce, "cce", "upgrade_cluster", cluster_id=uid, body=upgrade_body(to)), 409)
    resp = cce.continue_upgrade_cluster_task(cce_sdk.ContinueUpgradeClusterTaskRequest(cluster_id=uid))
    assert resp.status_code == 200, resp.raw_content
    expect_cce_error(
        lambda: cce.continue_upgrade_cluster_task(cce_sdk.ContinueUpgradeClusterTaskRequest(cluster_id=uid)), 400)
    done = wait_task(cce, "cce", uid, task)
    assert done.status.phase == "Success" and done.status.progress == "100", done.raw_content
    assert same_version(full_version(cce, "cce", uid), to)


@pytest.mark.parametrize("flavor,name", [("cce", "sdk-flaky-master"), ("autopilot", "sdk-flaky-pilot")])
def test_a_failed_upgrade_is_retried_to_success(cce, flavor, name):
    frm, to = hop(cce, flavor)
    uid = available(cce, flavor, name, frm)
    wf = create_workflow(cce, flavor, uid, frm, to).metadata.uid
    precheck(cce, flavor, uid, frm, to)
    task = upgrade(cce, flavor, uid, to)
    failures = 0
    for _ in range(30):
        t = wait_task(cce, flavor, uid, task)
        if t.status.phase == "Success":
            break
        failures += 1
        assert raw(t)["status"].get("message"), f"a failed task says why: {t.raw_content}"
        if failures == 1:
            w = wait_point(cce, flavor, uid, wf, "Cluster", "Failed", task)
            assert w.status.phase == "Pending", w.raw_content
        resp = call(cce, flavor, "retry_upgrade_cluster_task", cluster_id=uid)
        assert resp.status_code == 200, resp.raw_content
    else:
        pytest.fail("the retried task never succeeded")
    assert failures > 0, "the injected failures failed the task at least once"
    assert t.status.progress == "100"
    assert [i.metadata.uid for i in call(cce, flavor, "list_upgrade_cluster_tasks", cluster_id=uid).items] == [task]
    assert same_version(full_version(cce, flavor, uid), to)
    postcheck(cce, flavor, uid, frm, to)
    poll("workflow Success",
         lambda: show_workflow(cce, flavor, uid, wf).status.phase == "Success")


def test_node_pool_upgrade_after_a_master_only_upgrade_and_addon_precheck(cce):
    frm, to = hop(cce, "cce")
    uid = available(cce, "cce", unique_name("pool"), frm)
    wf = create_workflow(cce, "cce", uid, frm, to).metadata.uid
    precheck(cce, "cce", uid, frm, to)
    task = upgrade(cce, "cce", uid, to, only_master=True)
    assert wait_task(cce, "cce", uid, task).status.phase == "Success"
    # The pool is behind: the postcheck fails.
    post = postcheck(cce, "cce", uid, frm, to)
    w = wait_point(cce, "cce", uid, wf, "PostCheck", "Failed", post)
    assert w.status.phase == "Pending", w.raw_content

    body = cce_sdk.UpgradeNodePool(kind="NodePool", api_version="v3",
                                   metadata=cce_sdk.NodePoolMetadata(name="DefaultPool"),
                                   spec=cce_sdk.NodePoolUpgradeSpec(node_pool_id="DefaultPool", max_unavailable=1))
    resp = cce.upgrade_node_pool(cce_sdk.UpgradeNodePoolRequest(cluster_id=uid, nodepool_id="DefaultPool", body=body))
    assert resp.status_code < 300, resp.raw_content
    assert resp.jobid, resp.raw_content
    # The job can be watched through show_job until it ends.
    def job_done():
        j = cce.show_job(cce_sdk.ShowJobRequest(job_id=resp.jobid))
        return j if j.status.phase in ("Success", "Failed") else None
    job = poll(f"job {resp.jobid}", job_done)
    assert job.status.phase == "Success" and job.spec.cluster_uid == uid, job.raw_content
    assert job.spec.type == "UpgradeNodePool", job.raw_content
    expect_cce_error(lambda: cce.show_autopilot_job(cce_sdk.ShowAutopilotJobRequest(job_id=resp.jobid)), 404)

    def caught_up():
        post = postcheck(cce, "cce", uid, frm, to)

        def ended():
            w = show_workflow(cce, "cce", uid, wf)
            p = point(w, "PostCheck")
            return w if p.task_id == post and p.status in TERMINAL else None
        w = poll(f"postcheck {post}", ended)
        return w if point(w, "PostCheck").status == "Success" else None
    w = poll("a postcheck to pass after the node pool upgrade", caught_up, every=0.3)
    assert w.status.phase == "Success", w.raw_content

    # Addon precheck: a target version the catalogue does not list fails.
    check = cce_sdk.AddonCheckRequest(kind="AddonCheck", api_version="v3", spec=cce_sdk.AddonCheckSpec(
        cluster_id=uid, addon_list=[cce_sdk.AddonInfo(addon_template_name="coredns", type="addonUpgrade",
                                                      target_version="0.0.0-not-in-the-catalogue")]))
    resp = cce.batch_create_addon_precheck(cce_sdk.BatchCreateAddonPrecheckRequest(cluster_id=uid, body=check))
    assert resp.status_code < 300, resp.raw_content
    assert resp.kind == "AddonCheck" and resp.api_version == "v3", resp.raw_content

    def addon_task():
        r = cce.list_addon_precheck_tasks(cce_sdk.ListAddonPrecheckTasksRequest(cluster_id=uid))
        assert r.status_code == 200, r.raw_content
        for item in r.items or []:
            if item.metadata.addon_template_name == "coredns" and item.status.status in ("Success", "Failed"):
                return r, item
        return None
    listed, item = poll("the addon precheck", addon_task)
    assert listed.kind == "AddonCheck" and listed.page_info.current_count == len(listed.items), listed.raw_content
    assert item.status.status == "Failed", listed.raw_content
    assert item.spec.addon_target_version == "0.0.0-not-in-the-catalogue", listed.raw_content
    by_id = cce.list_addon_precheck_tasks(cce_sdk.ListAddonPrecheckTasksRequest(cluster_id=uid,
                                                                                task_id=item.metadata.task_id))
    assert [i.metadata.task_id for i in by_id.items] == [item.metadata.task_id], by_id.raw_content


def test_autopilot_upgrade_plans_are_delayed_within_the_deadline(cce):
    frm, _ = hop(cce, "autopilot")
    before = datetime.datetime.now(datetime.timezone.utc).date()
    uid = available(cce, "autopilot", unique_name("plan"), frm)
    plans = cce.list_autopilot_upgrade_plans(cce_sdk.ListAutopilotUpgradePlansRequest(cluster_id=uid))
    after = datetime.datetime.now(datetime.timezone.utc).date()
    assert plans.status_code == 200, plans.raw_content
    plan = plans.items
    assert isinstance(plan, cce_sdk.UpgradePlan), plans.raw_content
    assert plan.spec.cluster_id == uid, plans.raw_content
    assert same_version(plan.spec.cluster_version, frm), plans.raw_content
    assert any(same_version(t, plan.spec.target_version) for t in targets_of(cce, "autopilot", frm)), plans.raw_content
    assert plan.status.phase == "Pending", plans.raw_content

    def days(date_text, n):
        return date_text[:10] in {str(before + datetime.timedelta(days=n)), str(after + datetime.timedelta(days=n))}
    assert days(plan.spec.not_before, 7), plans.raw_content
    assert days(plan.spec.not_before_deadline, 30), plans.raw_content
    assert days(plan.spec.not_after, 8), plans.raw_content

    def delay(date):
        return cce.update_autopilot_upgrade_plan(cce_sdk.UpdateAutopilotUpgradePlanRequest(
            cluster_id=uid, upgrade_plan_id=plan.metadata.uid,
            body=cce_sdk.DelayUpgradePlanRequestBody(not_before=date)))
    today = datetime.datetime.now(datetime.timezone.utc).date()
    later = today + datetime.timedelta(days=10)
    resp = delay(later)
    assert resp.status_code == 200, resp.raw_content
    assert resp.spec.not_before[:10] == str(later), resp.raw_content
    assert resp.spec.cluster_id == uid
    deadline = datetime.date.fromisoformat(plan.spec.not_before_deadline[:10])
    expect_cce_error(lambda: delay(deadline + datetime.timedelta(days=1)), 400)
    expect_cce_error(lambda: delay(today - datetime.timedelta(days=1)), 400)
    again = cce.list_autopilot_upgrade_plans(cce_sdk.ListAutopilotUpgradePlansRequest(cluster_id=uid))
    assert again.items.spec.not_before[:10] == str(later), again.raw_content
