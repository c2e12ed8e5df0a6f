"""UCS fleet federation (docs/wire.md U23–U29) driven by the unmodified official SDK.

Enable/disable/upgrade run as background workflows on the server's default simulated provider (200 ms a step), so
every test polls `show_federation_progress` until the root job reaches `Success`. Fleets are registered with the
Content-Type forced to JSON (docs/wire.md §2, via `test_fleets.create_fleet`); every federation call is the plain
`UcsClient` method. Kubeconfigs handed out by U27/U29 are checked with `cryptography`: the client certificate must be
issued by the CA in the same document and valid for the requested number of days.
"""

import base64
import json
import time
import uuid
from datetime import timedelta

import pytest

from huaweicloudsdkucs.v1 import (CreateFederationCertRequest, CreateFederationCertRequestBody,
                                  CreateFederationConnectionRequest, CreateFederationConnectionRequestBody,
                                  DeleteClusterRequest, DisableFederationRequest, DownloadFederationKubeconfigRequest,
                                  DownloadFederationKubeconfigRequestBody, EnableFederationRequest,
                                  ShowFederationProgressRequest, UpgradeFederationRequest,
                                  UpgradeFederationRequestBody)

# The `client`/`other_client` fixtures (and `recorder`, which `client` needs) are shared with test_clusters.
from test_clusters import client, other_client, recorder  # noqa: F401
from test_clusters import assert_signed_by, expect_error, load_cert, register, wait_phase
from test_fleets import NIL_FLEET, create_fleet, delete_fleet, fleet_json, join, members, membership

FEDERATION_TIMEOUT = 30.0
INFRA_STEPS = ["CreateCert", "CreateNode", "CreateNetworkResource", "InstallFederationChart"]
TEARDOWN_STEPS = ["UninstallFederationChart", "DeleteNetworkResource", "DeleteNode", "DeleteCert"]
VPC_ID = "11c9fe72-5a90-4295-bcfe-774726fb9066"
SUBNET_ID = "0de91d89-1e06-4e24-b371-35d5d3d3779b"


# ---------------------------------------------------------------- helpers

def available_clusters(client, n):
    ids = [register(client) for _ in range(n)]
    for uid in ids:
        wait_phase(client, uid)
    return ids


def fleet_of_available_clusters(client, n=1):
    """A fleet whose n members are all Available; returns (fleet id, member ids)."""
    ids = available_clusters(client, n)
    return create_fleet(client, cluster_ids=ids), ids


def enable(client, fid, retryjoinall=None):
    return client.enable_federation(EnableFederationRequest(clustergroupid=fid, retryjoinall=retryjoinall))


def disable(client, fid):
    return client.disable_federation(DisableFederationRequest(clustergroupid=fid))


def progress(client, fid):
    return client.show_federation_progress(ShowFederationProgressRequest(clustergroupid=fid))


def progress_json(client, fid):
    resp = progress(client, fid)
    assert resp.status_code == 200, resp.raw_content
    return json.loads(resp.raw_content)


def wait_job(client, fid, job_type, timeout=FEDERATION_TIMEOUT):
    """Poll the progress until the root job is `job_type` and Success (fail fast on Failed); returns the raw JSON."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        body = progress_json(client, fid)
        spec_type, phase = body["spec"]["type"], body["status"]["phase"]
        if not seen or seen[-1] != (spec_type, phase):
            seen.append((spec_type, phase))
        if spec_type == job_type:
            if phase == "Success":
                return body
            assert phase != "Failed", f"{job_type} failed: {json.dumps(body)}"
        if time.monotonic() > deadline:
            pytest.fail(f"{job_type} not Success after {timeout:.0f}s; phases seen {seen}; last {json.dumps(body)}")
        time.sleep(0.1)


def federated_fleet(client, n=1):
    """A fleet of n Available clusters with federation enabled and the enable job done; returns (fid, ids, job)."""
    fid, ids = fleet_of_available_clusters(client, n)
    resp = enable(client, fid)
    assert resp.status_code == 201, resp.raw_content
    return fid, ids, wait_job(client, fid, "CreateFederationContainer")


def sub_jobs(job):
    return [(s["spec"]["type"], s["spec"].get("resourceID"), s["status"]["phase"]) for s in job["spec"]["subJobs"]]


def upgrade(client, fid, version):
    return client.upgrade_federation(UpgradeFederationRequest(
        clustergroupid=fid, body=UpgradeFederationRequestBody(target_version=version)))


def connect(client, fid, project_id, vpc_id=VPC_ID, subnet_id=SUBNET_ID):
    return client.create_federation_connection(CreateFederationConnectionRequest(
        clustergroupid=fid, body=CreateFederationConnectionRequestBody(project_id=project_id, vpc_id=vpc_id,
                                                                       subnet_id=subnet_id)))


def download_kubeconfig(client, fid, duration=30):
    return client.download_federation_kubeconfig(DownloadFederationKubeconfigRequest(
        clustergroupid=fid, body=DownloadFederationKubeconfigRequestBody(duration=duration)))


def create_cert(client, fid, project_id, duration=30):
    return client.create_federation_cert(CreateFederationCertRequest(
        clustergroupid=fid, body=CreateFederationCertRequestBody(project_id=project_id, vpc_id=VPC_ID,
                                                                 subnet_id=SUBNET_ID, duration=duration)))


def assert_kubeconfig_with_a_client_cert_of_its_ca(resp, days):
    """A 201 kubeconfig (hyphenated keys) whose client certificate is issued by the embedded CA for ~`days` days."""
    assert resp.status_code == 201, resp.raw_content
    body = json.loads(resp.raw_content)
    assert body["kind"] == "Config", body
    assert body["apiVersion"] == "v1", body
    assert body["clusters"] and body["users"] and body["contexts"], body
    assert body["current-context"] in [c["name"] for c in body["contexts"]], body
    cluster = body["clusters"][0]["cluster"]
    assert cluster["server"].startswith("https://"), cluster
    user = body["users"][0]["user"]
    # The SDK model reads the hyphenated keys too.
    assert resp.current_context == body["current-context"]
    ca = load_cert(base64.b64decode(cluster["certificate-authority-data"]))
    cert = load_cert(base64.b64decode(user["client-certificate-data"]))
    assert user.get("client-key-data"), "kubeconfig user without client-key-data"
    assert_signed_by(cert, ca)
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=days - 1) <= lifetime <= timedelta(days=days + 1), lifetime
    return body


# ================================================================ U23 enable_federation + U25 progress

def test_progress_before_any_federation_is_400_01080001(client):
    fid, _ = fleet_of_available_clusters(client)
    expect_error(lambda: progress(client, fid), 400, "UCS.01080001")


def test_enable_returns_201_and_the_job_is_pending_or_running_at_first(client):
    fid, _ = fleet_of_available_clusters(client)
    resp = enable(client, fid)
    assert resp.status_code == 201, resp.raw_content
    first = progress_json(client, fid)
    assert first["spec"]["type"] == "CreateFederationContainer"
    assert first["status"]["phase"] in ("Pending", "Running"), first["status"]
    wait_job(client, fid, "CreateFederationContainer")


def test_the_enable_job_runs_the_infra_steps_then_one_join_per_member_and_succeeds(client):
    fid, ids, job = federated_fleet(client, 2)
    assert job["kind"] == "Job"
    assert job["apiVersion"] == "v3"
    meta = job["metadata"]
    assert meta["uid"] and meta["creationTimestamp"] and meta["updateTimestamp"], meta
    assert job["spec"]["federationUID"] == fleet_json(client, fid)["spec"]["federationId"] != ""
    steps = sub_jobs(job)
    assert [s[0] for s in steps] == INFRA_STEPS + ["JoinCluster", "JoinCluster"], steps
    assert sorted(s[1] for s in steps[4:]) == sorted(ids), steps
    assert all(s[2] == "Success" for s in steps), steps
    for sub in job["spec"]["subJobs"]:
        assert sub["status"]["startTime"] and sub["status"]["completionTime"], sub
    assert job["status"]["startTime"], job["status"]


def test_the_progress_is_parsed_by_the_sdk_model(client):
    fid, ids, _ = federated_fleet(client)
    resp = progress(client, fid)
    assert resp.kind == "Job"
    assert resp.spec.type == "CreateFederationContainer"
    assert resp.spec.federation_uid == fleet_json(client, fid)["spec"]["federationId"]
    assert [j.spec.type for j in resp.spec.sub_jobs] == INFRA_STEPS + ["JoinCluster"]
    assert resp.spec.sub_jobs[-1].spec.resource_id == ids[0]
    assert resp.status.phase == "Success"
    # The answer's time on every job, and the ELB of the network step in the SDK's string attribute.
    for job in [resp] + resp.spec.sub_jobs:
        assert job.metadata.annotations["currentTimestamp"].endswith("+0000 UTC")
    [network] = [j for j in resp.spec.sub_jobs if j.spec.type == "CreateNetworkResource"]
    elb = json.loads(network.spec.extendparam)["JobExtendParamKeyElbID"]
    assert elb and progress_json(client, fid)["spec"]["subJobs"][2]["spec"]["extendParam"] == {
        "JobExtendParamKeyElbID": elb}
    assert all(j.spec.extendparam is None for j in resp.spec.sub_jobs if j is not network)


def test_a_federated_fleet_reports_an_available_federation_condition_and_version_v1_7_0(client):
    fid, _, _ = federated_fleet(client)
    fleet = fleet_json(client, fid)
    cond = fleet["status"]["conditions"][0]
    assert (cond["type"], cond["status"]) == ("Federation", "Available"), cond
    assert fleet["spec"]["federationVersion"] == "v1.7.0"
    assert fleet["spec"]["federationId"]


def test_enable_of_an_empty_fleet_is_400_01080004(client):
    fid = create_fleet(client)
    expect_error(lambda: enable(client, fid), 400, "UCS.01080004")
    expect_error(lambda: progress(client, fid), 400, "UCS.01080001")


def test_enable_with_a_member_that_is_not_available_is_400_01080004(client):
    # The server's simulator never activates clusters named never-active (conftest).
    uid = register(client, name="never-active")
    wait_phase(client, uid, "Unavailable", timeout=60)
    fid = create_fleet(client, cluster_ids=[uid])
    expect_error(lambda: enable(client, fid), 400, "UCS.01080004")


def test_enable_while_enabling_and_once_federated_is_400_01080002(client):
    fid, _ = fleet_of_available_clusters(client)
    assert enable(client, fid).status_code == 201
    expect_error(lambda: enable(client, fid), 400, "UCS.01080002")
    wait_job(client, fid, "CreateFederationContainer")
    expect_error(lambda: enable(client, fid), 400, "UCS.01080002")


def test_retryjoinall_on_a_federated_fleet_is_accepted_and_keeps_it_federated(client):
    fid, ids, _ = federated_fleet(client)
    assert enable(client, fid, retryjoinall=True).status_code == 201
    deadline = time.monotonic() + FEDERATION_TIMEOUT
    while progress_json(client, fid)["status"]["phase"] != "Success":
        assert time.monotonic() < deadline, progress_json(client, fid)
        time.sleep(0.1)
    cond = fleet_json(client, fid)["status"]["conditions"][0]
    assert (cond["type"], cond["status"]) == ("Federation", "Available"), cond
    assert members(client, fid) == set(ids)


def test_enable_of_an_unknown_fleet_is_404_01100005(client):
    expect_error(lambda: enable(client, NIL_FLEET), 404, "UCS.01100005")


# ================================================================ U24 disable_federation, deletion guards

def test_a_federated_fleet_and_its_members_cannot_be_deleted(client):
    fid, ids, _ = federated_fleet(client)
    expect_error(lambda: delete_fleet(client, fid), 400, "UCS.01080002")
    expect_error(lambda: client.delete_cluster(DeleteClusterRequest(clusterid=ids[0])), 400, "UCS.01080002")
    assert fleet_json(client, fid)["metadata"]["uid"] == fid
    assert members(client, fid) == set(ids)


def test_disable_runs_the_teardown_job_and_clears_the_federation(client):
    fid, ids, _ = federated_fleet(client)
    resp = disable(client, fid)
    assert resp.status_code == 200, resp.raw_content
    job = wait_job(client, fid, "DeleteFederationContainer")
    steps = sub_jobs(job)
    assert [s[0] for s in steps] == ["UnjoinCluster"] + TEARDOWN_STEPS, steps
    assert steps[0][1] == ids[0], steps
    assert all(s[2] == "Success" for s in steps), steps
    assert not fleet_json(client, fid)["status"].get("conditions"), fleet_json(client, fid)["status"]
    expect_error(lambda: disable(client, fid), 400, "UCS.01080006")


def test_disable_of_a_fleet_never_federated_is_400_01080006(client):
    fid, _ = fleet_of_available_clusters(client)
    expect_error(lambda: disable(client, fid), 400, "UCS.01080006")


# ================================================================ U26 upgrade_federation

def test_upgrade_moves_the_federation_to_the_target_version(client):
    fid, _, _ = federated_fleet(client)
    expect_error(lambda: upgrade(client, fid, "latest"), 400, "UCS.01000012")
    resp = upgrade(client, fid, "v1.8.0")
    assert resp.status_code == 200, resp.raw_content
    wait_job(client, fid, "UpgradeFederation")
    assert fleet_json(client, fid)["spec"]["federationVersion"] == "v1.8.0"


def test_upgrade_of_a_fleet_not_federated_is_400_01080006(client):
    fid, _ = fleet_of_available_clusters(client)
    expect_error(lambda: upgrade(client, fid, "v1.8.0"), 400, "UCS.01080006")


# ================================================================ U28 connection, U29 kubeconfig, U27 cert

def test_connection_kubeconfig_and_cert_of_a_federated_fleet(client, tenant):
    fid, _, _ = federated_fleet(client)
    expect_error(lambda: download_kubeconfig(client, fid), 400, "UCS.01080001")
    expect_error(lambda: connect(client, fid, uuid.uuid4().hex), 400, "UCS.01000012")

    first = connect(client, fid, tenant.project_id)
    assert first.status_code == 201, first.raw_content
    assert first.id and json.loads(first.raw_content) == {"id": first.id}
    again = connect(client, fid, tenant.project_id)
    assert again.status_code == 201, again.raw_content
    assert again.id == first.id

    assert_kubeconfig_with_a_client_cert_of_its_ca(download_kubeconfig(client, fid, 30), 30)
    for bad in (0, 10951):
        expect_error(lambda: download_kubeconfig(client, fid, bad), 400)
    assert_kubeconfig_with_a_client_cert_of_its_ca(create_cert(client, fid, tenant.project_id, 30), 30)


def test_kubeconfig_of_a_fleet_not_federated_is_400_01080006(client):
    fid, _ = fleet_of_available_clusters(client)
    expect_error(lambda: download_kubeconfig(client, fid), 400, "UCS.01080006")


# ================================================================ tenant isolation, membership

FEDERATION_OPS = {
    "enable": lambda c, fid, t: enable(c, fid),
    "disable": lambda c, fid, t: disable(c, fid),
    "progress": lambda c, fid, t: progress(c, fid),
    "upgrade": lambda c, fid, t: upgrade(c, fid, "v1.8.0"),
    "connection": lambda c, fid, t: connect(c, fid, t.project_id),
    "kubeconfig": lambda c, fid, t: download_kubeconfig(c, fid),
    "cert": lambda c, fid, t: create_cert(c, fid, t.project_id),
}


def test_another_tenants_federated_fleet_is_404_on_every_federation_route(client, other_client, other_tenant):
    fid, _, job = federated_fleet(client)
    for name, op in FEDERATION_OPS.items():
        e = expect_error(lambda: op(other_client, fid, other_tenant), 404)
        assert e.error_code == "UCS.01100005", (name, e.error_code, e.error_msg)
    # Nothing the other tenant tried changed the federation.
    assert progress_json(client, fid)["metadata"]["uid"] == job["metadata"]["uid"]
    assert fleet_json(client, fid)["spec"]["federationVersion"] == "v1.7.0"


def test_a_cluster_joins_a_federated_fleet_with_the_unmodified_sdk(client):
    fid, ids, _ = federated_fleet(client)
    (newcomer,) = available_clusters(client, 1)
    resp = join(client, newcomer, fid)
    assert resp.status_code == 200, resp.raw_content
    assert membership(client, newcomer) == ("grouped", fid)
    assert members(client, fid) == {ids[0], newcomer}
    assert progress_json(client, fid)["spec"]["type"] == "CreateFederationContainer"
