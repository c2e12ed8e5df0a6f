"""My script retries when show_cluster answers 429."""

import pytest

import mytool

# Skipped (not failed) on a ucsd too old to serve these testing tools.
pytestmark = pytest.mark.ucsd_needs("faults", "journal")

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]
users: [{name: u, user: {token: example-token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


def test_the_probe_retries_through_two_429s(ucsd, ucs_client):
    cid = mytool.register_attached(ucs_client, "edge-1", KUBECONFIG)
    rule = ucsd.faults.error("show_cluster", 429, times=2)

    assert mytool.cluster_phase(ucs_client, cid) in ("Pending", "Available")

    calls = ucsd.journal(operation="show_cluster")
    assert [c.status for c in calls] == [429, 429, 200]
    assert [c.fault for c in calls] == [rule.id, rule.id, None]
    assert calls[0].error_code == "UCS.01000002"
    rule = ucsd.faults.get(rule.id)
    assert (rule.fired, rule.remaining) == (2, 0)


def test_the_probe_gives_up_after_its_attempts(ucsd, ucs_client):
    cid = mytool.register_attached(ucs_client, "edge-2", KUBECONFIG)
    ucsd.faults.error("show_cluster", 503, resource=cid)   # every time, for this cluster only

    with pytest.raises(mytool.GaveUp, match="503"):
        mytool.cluster_phase(ucs_client, cid, attempts=3)
    assert len(ucsd.journal(operation="show_cluster", status=503)) == 3


def test_a_client_error_is_not_retried(ucsd, ucs_client):
    cid = mytool.register_attached(ucs_client, "edge-3", KUBECONFIG)
    ucsd.faults.error("show_cluster", 403, code="UCS.01000004", times=1)

    with pytest.raises(Exception) as failure:
        mytool.cluster_phase(ucs_client, cid)
    assert failure.value.status_code == 403
    assert ucsd.journal.operations() == ["register_cluster", "show_cluster"]
