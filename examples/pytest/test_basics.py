"""The fixtures: a server per session, the official SDK clients, a clean tenant per test."""

import pytest
from huaweicloudsdkcce.v3 import ListClustersRequest, ShowClusterRequest
from huaweicloudsdkucs.v1 import ShowClusterListRequest
from ucsd_testing import UcsdServer

import mytool


def test_every_test_starts_on_an_empty_tenant(ucs_client, cce_client):
    assert ucs_client.show_cluster_list(ShowClusterListRequest()).items in (None, [])
    assert cce_client.list_clusters(ListClustersRequest()).items in (None, [])


@pytest.mark.ucsd_needs("settle")
def test_settle_runs_workflows_to_their_end(ucsd, cce_client):
    cid = mytool.create_cluster(cce_client, "settled")
    result = ucsd.settle()
    assert result.settled and result.open == []
    assert cce_client.show_cluster(ShowClusterRequest(cluster_id=cid)).status.phase == "Available"


@pytest.mark.ucsd_needs("settle", "snapshot")
def test_a_test_starts_from_a_saved_state(ucsd, cce_client):
    cid = mytool.create_cluster(cce_client, "saved")
    ucsd.settle()
    state = ucsd.export_state()
    ucsd.reset()                        # ids are kept: the exporting tenant must not have them
    assert cce_client.list_clusters(ListClustersRequest()).items in (None, [])

    assert ucsd.import_state(state).cce_clusters == 1
    assert cce_client.show_cluster(ShowClusterRequest(cluster_id=cid)).status.phase == "Available"
    assert ucsd.export_state() == state


@pytest.mark.ucsd_needs("settle")
def test_reset_removes_what_the_tenant_made(ucsd, cce_client):
    mytool.create_cluster(cce_client, "to-go")
    ucsd.settle()
    removed = ucsd.reset()
    assert removed.cce_clusters == 1
    assert cce_client.list_clusters(ListClustersRequest()).items in (None, [])


def test_a_fresh_server_with_the_same_seed_makes_the_same_ids(ucsd_server):
    if not isinstance(ucsd_server, UcsdServer):
        pytest.skip("the session's server was started elsewhere (--ucsd-url)")
    with UcsdServer(ucsd_server.binary, seed=ucsd_server.seed) as again:
        assert again.credentials.domain_id == ucsd_server.credentials.domain_id
        assert again.credentials.project_id == ucsd_server.credentials.project_id
        # Keys always come from the OS generator.
        assert again.credentials.access_key != ucsd_server.credentials.access_key


def test_another_tenant_does_not_see_my_clusters(ucsd_server, ucsd, cce_client):
    if not isinstance(ucsd_server, UcsdServer):
        pytest.skip("making a tenant needs the server's database (--ucsd-url: use `ucsd admin` there)")
    other = ucsd_server.create_tenant("other-team")
    mytool.create_cluster(cce_client, "mine")
    assert ucsd.cce_client(other).list_clusters(ListClustersRequest()).items in (None, [])
