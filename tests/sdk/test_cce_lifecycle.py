"""The CCE lifecycle upgrades act on, through the official SDK's own methods: node pools (created,
listed, shown, updated, scaled, deleted through their job), nodes (listed, shown, deleted) and addon
instances (CCE and Autopilot). Every write is read back; another tenant's ids are 404 and bad input is
a CCE 400 that changes nothing.
"""

import base64

import huaweicloudsdkcce.v3 as cce_sdk
import pytest

from test_clusters import assert_key_matches, assert_signed_by, load_cert
from test_upgrades import (available, call, delete_and_wait, expect_cce_error, hop, poll, raw, request_class,
                           same_version, unique_name)


def node_template(flavor="c7.large.2"):
    return cce_sdk.NodeTemplate(
        flavor=flavor, az="cn-north-4a", os="EulerOS 2.9",
        login=cce_sdk.Login(ssh_key="kp-ops"),
        root_volume=cce_sdk.Volume(size=40, volumetype="SSD"),
        data_volumes=[cce_sdk.Volume(size=100, volumetype="SSD")])


def create_pool(client, uid, name, count):
    body = cce_sdk.NodePool(kind="NodePool", api_version="v3",
                            metadata=cce_sdk.NodePoolMetadata(name=name),
                            spec=cce_sdk.NodePoolSpec(initial_node_count=count, node_template=node_template()))
    resp = client.create_node_pool(cce_sdk.CreateNodePoolRequest(cluster_id=uid, body=body))
    assert resp.status_code == 201, resp.raw_content
    assert resp.kind == "NodePool" and resp.metadata.name == name and resp.metadata.uid, resp.raw_content
    assert resp.spec.initial_node_count == count, resp.raw_content
    assert resp.spec.node_template.flavor == "c7.large.2", resp.raw_content
    return resp.metadata.uid, raw(resp)["status"]["jobId"]


def show_pool(client, uid, pool):
    resp = client.show_node_pool(cce_sdk.ShowNodePoolRequest(cluster_id=uid, nodepool_id=pool))
    assert resp.status_code == 200, resp.raw_content
    return resp


def wait_pool(client, uid, pool, count):
    """The pool once it has `count` nodes and no job converges it."""
    def settled():
        p = show_pool(client, uid, pool)
        return p if (p.status.current_node == count and not p.status.job_id and not p.status.phase) else None
    return poll(f"pool {pool} at {count} nodes", settled)


def pool_nodes(client, uid, pool):
    resp = client.list_nodes(cce_sdk.ListNodesRequest(cluster_id=uid))
    assert resp.status_code == 200, resp.raw_content
    return [n for n in resp.items if n.metadata.owner_references.nodepool_id == pool]


def wait_job(client, job):
    def ended():
        j = client.show_job(cce_sdk.ShowJobRequest(job_id=job))
        return j if j.status.phase in ("Success", "Failed") else None
    return poll(f"job {job}", ended)


def test_a_node_pool_lives_through_its_job(cce):
    frm, _ = hop(cce, "cce")
    uid = available(cce, "cce", unique_name("pools"), frm)
    pool, job = create_pool(cce, uid, "pool-a", 2)
    j = wait_job(cce, job)
    assert j.status.phase == "Success" and j.spec.type == "CreateNodePool", j.raw_content
    assert j.spec.cluster_uid == uid and j.spec.resource_id == pool, j.raw_content
    p = wait_pool(cce, uid, pool, 2)
    assert same_version(p.metadata.annotations["cce.ucsd.io/version"], frm), p.raw_content

    listed = cce.list_node_pools(cce_sdk.ListNodePoolsRequest(cluster_id=uid))
    assert [i.metadata.name for i in listed.items] == ["pool-a"], listed.raw_content
    with_default = cce.list_node_pools(cce_sdk.ListNodePoolsRequest(cluster_id=uid, show_default_node_pool="true"))
    assert sorted(i.metadata.name for i in with_default.items) == ["DefaultPool", "pool-a"], with_default.raw_content

    nodes = pool_nodes(cce, uid, pool)
    assert len(nodes) == 2 and all(n.status.phase == "Active" for n in nodes), [n.to_dict() for n in nodes]
    n = cce.show_node(cce_sdk.ShowNodeRequest(cluster_id=uid, node_id=nodes[0].metadata.uid))
    assert n.kind == "Node" and n.spec.flavor == "c7.large.2", n.raw_content
    assert n.metadata.owner_references.nodepool_name == "pool-a", n.raw_content

    # Scale up through the SDK's scale body; paging through the nodes.
    scale = cce_sdk.ScaleNodePoolRequestBody(kind="NodePool", api_version="v3", spec=cce_sdk.ScaleNodePoolSpec(
        desired_node_count=4, scale_groups=["default"]))
    resp = cce.scale_node_pool(cce_sdk.ScaleNodePoolRequest(cluster_id=uid, nodepool_id=pool, body=scale))
    assert resp.status_code == 200, resp.raw_content
    scaling = show_pool(cce, uid, pool)
    assert scaling.spec.initial_node_count == 4, scaling.raw_content
    wait_pool(cce, uid, pool, 4)
    page = cce.list_nodes(cce_sdk.ListNodesRequest(cluster_id=uid, limit=3))
    assert len(page.items) == 3 and page.page_info.next_marker, page.raw_content
    rest = cce.list_nodes(cce_sdk.ListNodesRequest(cluster_id=uid, limit=100, marker=page.page_info.next_marker))
    assert not {i.metadata.uid for i in rest.items} & {i.metadata.uid for i in page.items}, rest.raw_content

    # Deleting a node shrinks its pool.
    victim = pool_nodes(cce, uid, pool)[0].metadata.uid
    d = cce.delete_node(cce_sdk.DeleteNodeRequest(cluster_id=uid, node_id=victim))
    assert d.status.phase == "Deleting" and d.status.job_id, d.raw_content
    assert wait_job(cce, d.status.job_id).spec.type == "DeleteNode"
    assert wait_pool(cce, uid, pool, 3).spec.initial_node_count == 3
    expect_cce_error(lambda: cce.show_node(cce_sdk.ShowNodeRequest(cluster_id=uid, node_id=victim)), 404)

    # Update: a new name, a template change, a count.
    update = cce_sdk.NodePoolUpdate(metadata=cce_sdk.NodePoolMetadataUpdate(name="pool-b"),
                                    spec=cce_sdk.NodePoolSpecUpdate(initial_node_count=1,
                                                                    node_template=cce_sdk.NodeSpecUpdate(
                                                                        taints=[], k8s_tags={"team": "a"},
                                                                        user_tags=[])))
    u = cce.update_node_pool(cce_sdk.UpdateNodePoolRequest(cluster_id=uid, nodepool_id=pool, body=update))
    assert u.status_code == 200 and u.metadata.name == "pool-b", u.raw_content
    p = wait_pool(cce, uid, pool, 1)
    assert p.metadata.name == "pool-b" and p.spec.node_template.k8s_tags == {"team": "a"}, p.raw_content
    assert p.spec.node_template.flavor == "c7.large.2", p.raw_content

    # Delete: Deleting, then gone with its nodes.
    d = cce.delete_node_pool(cce_sdk.DeleteNodePoolRequest(cluster_id=uid, nodepool_id=pool))
    assert d.status.phase == "Deleting" and d.status.job_id, d.raw_content
    assert wait_job(cce, d.status.job_id).spec.type == "DeleteNodePool"
    expect_cce_error(lambda: show_pool(cce, uid, pool), 404)
    assert pool_nodes(cce, uid, pool) == []
    delete_and_wait(cce, "cce", uid)


def test_other_tenants_and_bad_input_change_nothing(cce, other_cce):
    frm, _ = hop(cce, "cce")
    uid = available(cce, "cce", unique_name("strict"), frm)
    pool, _ = create_pool(cce, uid, "pool-a", 1)
    before = wait_pool(cce, uid, pool, 1)
    node = pool_nodes(cce, uid, pool)[0].metadata.uid

    scale = cce_sdk.ScaleNodePoolRequestBody(spec=cce_sdk.ScaleNodePoolSpec(desired_node_count=3))
    for fn in [
        lambda: other_cce.list_node_pools(cce_sdk.ListNodePoolsRequest(cluster_id=uid)),
        lambda: other_cce.show_node_pool(cce_sdk.ShowNodePoolRequest(cluster_id=uid, nodepool_id=pool)),
        lambda: other_cce.scale_node_pool(cce_sdk.ScaleNodePoolRequest(cluster_id=uid, nodepool_id=pool, body=scale)),
        lambda: other_cce.delete_node_pool(cce_sdk.DeleteNodePoolRequest(cluster_id=uid, nodepool_id=pool)),
        lambda: other_cce.list_nodes(cce_sdk.ListNodesRequest(cluster_id=uid)),
        lambda: other_cce.show_node(cce_sdk.ShowNodeRequest(cluster_id=uid, node_id=node)),
        lambda: other_cce.delete_node(cce_sdk.DeleteNodeRequest(cluster_id=uid, node_id=node)),
    ]:
        expect_cce_error(fn, 404)

    bad = [
        cce_sdk.NodePool(kind="NodePool", api_version="v3", metadata=cce_sdk.NodePoolMetadata(name="Bad_Name"),
                         spec=cce_sdk.NodePoolSpec(initial_node_count=1, node_template=node_template())),
        cce_sdk.NodePool(kind="NodePool", api_version="v3", metadata=cce_sdk.NodePoolMetadata(name="no-az"),
                         spec=cce_sdk.NodePoolSpec(initial_node_count=1, node_template=cce_sdk.NodeTemplate(
                             flavor="c7.large.2", login=cce_sdk.Login(ssh_key="k"),
                             root_volume=cce_sdk.Volume(size=40, volumetype="SSD"),
                             data_volumes=[cce_sdk.Volume(size=100, volumetype="SSD")]))),
    ]
    for body in bad:
        expect_cce_error(lambda: cce.create_node_pool(cce_sdk.CreateNodePoolRequest(cluster_id=uid, body=body)), 400)
    negative = cce_sdk.ScaleNodePoolRequestBody(spec=cce_sdk.ScaleNodePoolSpec(desired_node_count=-1))
    expect_cce_error(lambda: cce.scale_node_pool(
        cce_sdk.ScaleNodePoolRequest(cluster_id=uid, nodepool_id=pool, body=negative)), 400)
    rename = cce_sdk.NodePoolUpdate(metadata=cce_sdk.NodePoolMetadataUpdate(name="UPPER"),
                                    spec=cce_sdk.NodePoolSpecUpdate())
    expect_cce_error(lambda: cce.update_node_pool(
        cce_sdk.UpdateNodePoolRequest(cluster_id=uid, nodepool_id=pool, body=rename)), 400)

    listed = cce.list_node_pools(cce_sdk.ListNodePoolsRequest(cluster_id=uid, show_default_node_pool="true"))
    assert sorted(i.metadata.name for i in listed.items) == ["DefaultPool", "pool-a"], listed.raw_content
    assert raw(show_pool(cce, uid, pool)) == raw(before)
    assert [n.metadata.uid for n in pool_nodes(cce, uid, pool)] == [node]
    delete_and_wait(cce, "cce", uid)


ADDON_METHODS = {  # CCE method -> its Autopilot twin
    "list_addon_templates": "list_autopilot_addon_templates",
    "list_addon_instances": "list_autopilot_addon_instances",
    "show_addon_instance": "show_autopilot_addon_instance",
    "create_addon_instance": "create_autopilot_addon_instance",
    "update_addon_instance": "update_autopilot_addon_instance",
    "delete_addon_instance": "delete_autopilot_addon_instance",
}


def addon_call(client, flavor, method, **kw):
    return call(client, flavor, method, **kw) if flavor == "cce" else \
        getattr(client, ADDON_METHODS[method])(request_class(ADDON_METHODS[method])(**kw))


def addon_body(uid, template, version=None, values=None):
    return cce_sdk.InstanceRequest(kind="Addon", api_version="v3",
                                   metadata=cce_sdk.AddonMetadata(annotations={"addon.install/type": "install"}),
                                   spec=cce_sdk.InstanceRequestSpec(cluster_id=uid, addon_template_name=template,
                                                                    version=version, values=values or {}))


def offered_on(client, flavor, template, version):
    """The addon versions the catalogue offers for a cluster `version`, oldest first."""
    t = addon_call(client, flavor, "list_addon_templates", addon_template_name=template)
    assert [i.metadata.name for i in t.items] == [template], t.raw_content
    return [v.version for v in t.items[0].spec.versions
            if any(same_version(r, version) for r in v.support_versions[0].cluster_version)]


def installed(client, flavor, uid):
    r = addon_call(client, flavor, "list_addon_instances", cluster_id=uid)
    assert r.status_code == 200, r.raw_content
    return {i.spec.addon_template_name: i for i in r.items}


@pytest.mark.parametrize("flavor", ["cce", "autopilot"])
def test_addons_are_installed_updated_and_removed(cce, other_cce, flavor):
    frm, _ = hop(cce, flavor)
    uid = available(cce, flavor, unique_name("addons"), frm)
    versions = offered_on(cce, flavor, "metrics-server", frm)
    assert versions
    built = installed(cce, flavor, uid)
    assert "coredns" in built and "metrics-server" not in built, list(built)

    expect_cce_error(lambda: addon_call(cce, flavor, "create_addon_instance",
                                        body=addon_body(uid, "metrics-server", "0.0.1")), 400)
    expect_cce_error(lambda: addon_call(other_cce, flavor, "create_addon_instance",
                                        body=addon_body(uid, "metrics-server")), 404)
    assert set(installed(cce, flavor, uid)) == set(built)

    made = addon_call(cce, flavor, "create_addon_instance",
                      body=addon_body(uid, "metrics-server", versions[0], {"basic": {"replicas": 2}}))
    assert made.status_code == 201 and made.spec.version == versions[0], made.raw_content
    assert made.status.status == "running" and made.metadata.uid, made.raw_content
    shown = addon_call(cce, flavor, "show_addon_instance", id=made.metadata.uid, cluster_id=uid)
    assert shown.spec.values == {"basic": {"replicas": 2}} and shown.spec.cluster_id == uid, shown.raw_content
    assert shown.status.current_version.version == versions[0], shown.raw_content
    expect_cce_error(lambda: addon_call(other_cce, flavor, "show_addon_instance", id=made.metadata.uid,
                                        cluster_id=uid), 404)

    updated = addon_call(cce, flavor, "update_addon_instance", id=made.metadata.uid,
                         body=addon_body(uid, "metrics-server", versions[-1], {"basic": {"replicas": 3}}))
    assert updated.spec.version == versions[-1], updated.raw_content
    assert installed(cce, flavor, uid)["metrics-server"].spec.values == {"basic": {"replicas": 3}}

    gone = addon_call(cce, flavor, "delete_addon_instance", id=made.metadata.uid, cluster_id=uid)
    assert gone.status_code == 200, gone.raw_content
    expect_cce_error(lambda: addon_call(cce, flavor, "show_addon_instance", id=made.metadata.uid,
                                        cluster_id=uid), 404)
    assert set(installed(cce, flavor, uid)) == set(built)
    delete_and_wait(cce, flavor, uid)


ACCESS_METHODS = {  # CCE method -> its Autopilot twin
    "create_kubernetes_cluster_cert": "create_autopilot_kubernetes_cluster_cert",
    "show_cluster_endpoints": "show_autopilot_cluster_endpoints",
    "update_cluster": "update_autopilot_cluster",
    "show_quotas": "show_autopilot_quotas",
}


def access_call(client, flavor, method, **kw):
    name = method if flavor == "cce" else ACCESS_METHODS[method]
    return getattr(client, name)(request_class(name)(**kw))


@pytest.mark.parametrize("flavor", ["cce", "autopilot"])
def test_certs_endpoints_updates_and_quotas(cce, other_cce, flavor):
    frm, _ = hop(cce, flavor)
    uid = available(cce, flavor, unique_name("access"), frm)

    # A kubeconfig whose client certificate the CA it names signed, valid for the days asked.
    duration = cce_sdk.ClusterCertDuration if flavor == "cce" else cce_sdk.CertDuration
    body = duration(duration=30)
    k = access_call(cce, flavor, "create_kubernetes_cluster_cert", cluster_id=uid, body=body)
    assert k.kind == "Config" and k.current_context == "internal", k.raw_content
    ca = load_cert(base64.b64decode(k.clusters[0].cluster.certificate_authority_data))
    cert = load_cert(base64.b64decode(k.users[0].user.client_certificate_data))
    assert_signed_by(cert, ca)
    assert_key_matches(cert, base64.b64decode(k.users[0].user.client_key_data))
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert 30 * 86400 <= lifetime.total_seconds() <= 30 * 86400 + 600, lifetime
    assert uid in k.clusters[0].cluster.server, k.raw_content
    for bad in [0, 1826]:
        expect_cce_error(lambda: access_call(cce, flavor, "create_kubernetes_cluster_cert", cluster_id=uid,
                                             body=duration(duration=bad)), 400)
    expect_cce_error(lambda: access_call(other_cce, flavor, "create_kubernetes_cluster_cert", cluster_id=uid,
                                         body=body), 404)

    e = access_call(cce, flavor, "show_cluster_endpoints", cluster_id=uid)
    shown = raw(call(cce, flavor, "show_cluster", cluster_id=uid))
    assert e.status.private_endpoint == shown["status"]["endpoints"][0]["url"], e.raw_content

    info = cce_sdk.ClusterInformation(
        metadata=cce_sdk.ClusterMetadataForUpdate(alias="the-prod"),
        spec=cce_sdk.ClusterInformationSpec(description="changed", deletion_protection=True,
                                            host_network=cce_sdk.ClusterInformationSpecHostNetwork(
                                                security_group="sg-1")))
    if flavor == "autopilot":
        info = cce_sdk.AutopilotClusterInformation(
            metadata=cce_sdk.AutopilotClusterMetadataForUpdate(alias="the-prod"),
            spec=cce_sdk.AutopilotClusterInformationSpec(description="changed", custom_san=["api.example.com"]))
    u = access_call(cce, flavor, "update_cluster", cluster_id=uid, body=info)
    assert u.status_code == 200, u.raw_content
    after = raw(call(cce, flavor, "show_cluster", cluster_id=uid))
    assert after["metadata"]["alias"] == "the-prod" and after["spec"]["description"] == "changed", after
    if flavor == "cce":
        assert after["spec"]["deletionProtection"] is True, after
        assert after["spec"]["hostNetwork"]["SecurityGroup"] == "sg-1", after
    else:
        assert after["spec"]["customSan"] == ["api.example.com"], after
    expect_cce_error(lambda: access_call(other_cce, flavor, "update_cluster", cluster_id=uid, body=info), 404)

    jobs = cce.list_autopilot_jobs(cce_sdk.ListAutopilotJobsRequest())
    created = raw(call(cce, flavor, "show_cluster", cluster_id=uid))["status"]["jobID"]
    listed = [j for j in jobs.body or [] if j.metadata.uid == created]  # the SDK reads [] as None
    if flavor == "autopilot":
        assert listed and listed[0].spec.clusteruid == uid and listed[0].status.status == "Success", jobs.raw_content
        assert listed[0].spec.type == "CreateCluster", jobs.raw_content
    else:
        assert not listed, jobs.raw_content

    q = access_call(cce, flavor, "show_quotas")
    by_key = {i.quota_key: i for i in q.quotas}
    assert by_key["cluster"].used >= 1 and by_key["cluster"].quota_limit >= by_key["cluster"].used, q.raw_content
    assert ("nodepool" in by_key) == (flavor == "cce"), q.raw_content
    delete_and_wait(cce, flavor, uid)
