"""What did my tool send? The request journal, secrets redacted."""

import json

import pytest

import mytool

pytestmark = pytest.mark.ucsd_needs("faults", "journal")

SECRET = "tool-secret-7f3a9c"
KUBECONFIG = f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "https://10.0.0.9:6443"}}}}]
users: [{{name: u, user: {{token: {SECRET}}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u}}}}]
current-context: x
"""


def test_the_journal_shows_what_the_tool_sent_without_its_secrets(ucsd, ucs_client):
    cid = mytool.register_attached(ucs_client, "journal-1", KUBECONFIG)
    mytool.cluster_phase(ucs_client, cid)

    register, show = ucsd.journal()
    assert (register.operation, register.method, register.path, register.status) == \
        ("register_cluster", "POST", "/v1/clusters", 201)
    # The tool sent JSON (not the SDK's form encoding), with the name and the category it meant.
    assert register.body["metadata"]["name"] == "journal-1"
    assert register.body["spec"]["category"] == "attachedcluster"
    assert register.body["metadata"]["annotations"]["kubeconfig"] == "[redacted]"
    assert (show.operation, show.route, show.path) == \
        ("show_cluster", "/v1/clusters/{clusterid}", f"/v1/clusters/{cid}")
    assert SECRET not in json.dumps(ucsd.journal())


def test_the_journal_filters_and_clears(ucsd, ucs_client):
    cid = mytool.register_attached(ucs_client, "journal-2", KUBECONFIG)
    ucsd.faults.error("show_cluster", 500, times=1)
    mytool.cluster_phase(ucs_client, cid)

    assert [e.status for e in ucsd.journal(status="5xx")] == [500]
    assert len(ucsd.journal(operation="show_cluster")) == 2
    assert ucsd.journal.clear() == 3
    assert ucsd.journal() == []
