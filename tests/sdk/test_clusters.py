"""UCS clusters (docs/wire.md U01–U07, U09, U10, U13, U14) driven by the official SDK.

Registration goes through the SDK's own `register_cluster_invoker` with the Content-Type forced to JSON
(docs/wire.md §2); everything else is the unmodified `UcsClient`. Every response of the `client` fixture is
recorded, and no recorded body may ever contain the secret of a kubeconfig the test registered.
"""

import base64
import json
import secrets
import time
from datetime import timedelta

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_handler import HttpHandler
from huaweicloudsdkucs.v1 import (CreateClusterConfRequest, CreateClusterKubeconfigRequest, DeleteClusterRequest,
                                  ListManagedClustersRequest, ListRegisteredClusterVersionsRequest, RegisterCluster,
                                  RegisterClusterMetadata, RegisterClusterRequest, RegisterClusterSpec, RequiredInput,
                                  RetryClusterActivationRequest, ShowClusterAccessInfoRequest, ShowClusterListRequest,
                                  ShowClusterRequest, UpdateClusterRequest, UpdateClusterRequestBody,
                                  UpdateClusterSpec, UpdateObjectMeta)

from sdkhelpers import ucs_client

NIL_CLUSTER = "00000000-0000-0000-0000-000000000000"
ACTIVATION_TIMEOUT = 15.0

VALID_KINDS = [
    ("self", "cce", "huaweicloud"),
    ("self", "turbo", "huaweicloud"),
    ("onpremise", "baremetal", "huaweicloud"),
    ("multicloud", "aws", "huaweicloud"),
    ("attachedcluster", "ack", "aliyun"),
    ("attachedcluster", "aks", "azure"),
    ("attachedcluster", "eks", "aws"),
    ("attachedcluster", "gke", "googlecloud"),
    ("attachedcluster", "tke", "tencentcloud"),
    ("attachedcluster", "openshift", "openshift"),
    ("attachedcluster", "privatek8s", "privatek8s"),
]

# ---------------------------------------------------------------- kubeconfigs with a traceable secret

_issued_secrets = []


def make_kubeconfig(server="https://10.0.0.1:6443"):
    """A valid kubeconfig YAML whose user token is a fresh secret (remembered for the leak check)."""
    token = "sdk-secret-" + secrets.token_hex(12)
    _issued_secrets.append(token)
    return yaml.safe_dump({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "member", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [{"name": "member-ctx", "context": {"cluster": "member", "user": "admin"}}],
        "current-context": "member-ctx",
    })


class ResponseRecorder:
    """SDK response handler that keeps every response body (errors included)."""

    def __init__(self):
        self.responses = []

    def __call__(self, **kw):
        r = kw["response"]
        self.responses.append((r.request.method, r.request.url, r.status_code, r.text))


@pytest.fixture
def recorder():
    return ResponseRecorder()


@pytest.fixture
def client(server, tenant, recorder):
    _issued_secrets.clear()
    yield ucs_client(server, tenant, http_handler=HttpHandler().add_response_handler(recorder))
    leaks = [(m, u, s) for (m, u, s, text) in recorder.responses for tok in _issued_secrets if tok in text]
    _issued_secrets.clear()
    assert not leaks, f"a registered kubeconfig's secret was returned by: {leaks}"


@pytest.fixture
def other_client(server, other_tenant):
    return ucs_client(server, other_tenant)


# ---------------------------------------------------------------- helpers

_AUTO = object()


def unique_name(prefix="c"):
    return f"{prefix}-{secrets.token_hex(4)}"


def register_body(name, category="attachedcluster", type_="eks", provider="aws", kubeconfig=_AUTO, labels=None,
                  annotations=None, country="CN", city="110000", manage_type="discrete", cluster_group_id=None):
    ann = dict(annotations or {})
    if kubeconfig is _AUTO:
        kubeconfig = make_kubeconfig() if category == "attachedcluster" else None
    if kubeconfig is not None:
        ann["kubeconfig"] = kubeconfig
    return RegisterCluster(
        kind="Cluster", api_version="v1",
        metadata=RegisterClusterMetadata(name=name, labels=labels, annotations=ann or None),
        spec=RegisterClusterSpec(cluster_group_id=cluster_group_id, category=category, type=type_, provider=provider,
                                 country=country, city=city, manage_type=manage_type))


def register_json(client, body):
    """register_cluster with the Content-Type forced to JSON (docs/wire.md §2)."""
    return (client.register_cluster_invoker(RegisterClusterRequest(body=body))
            .add_header("Content-Type", "application/json").invoke())


def register(client, name=None, **kw):
    """Register a cluster (default: attached EKS with a fresh kubeconfig); returns its uid."""
    resp = register_json(client, register_body(name or unique_name(), **kw))
    assert resp.status_code == 201, resp.raw_content
    assert resp.uid, resp.raw_content
    return resp.uid


def cce_cluster(cce, name=None, turbo=False):
    """A CCE cluster of the tenant, made through the CCE API (test_upgrades' helpers) and Available: (uid, name)."""
    from test_upgrades import call, cluster_body, create_cluster, wait_cluster  # they import this module
    name = name or unique_name("cce")
    if turbo:
        body = cluster_body("cce", name)
        body.spec.category = "Turbo"
        resp = call(cce, "cce", "create_cluster", body=body)
        assert resp.status_code == 201, resp.raw_content
        uid = resp.metadata.uid
    else:
        uid = create_cluster(cce, "cce", name)
    wait_cluster(cce, "cce", uid)
    return uid, name


def register_cce(client, cce, turbo=False, **kw):
    """Register a new CCE cluster of the tenant with UCS (by its name); returns the uid (the CCE cluster's)."""
    uid, name = cce_cluster(cce, turbo=turbo)
    assert register(client, name, category="self", type_="turbo" if turbo else "cce", provider="huaweicloud",
                    **kw) == uid
    return uid


def show(client, uid):
    return client.show_cluster(ShowClusterRequest(clusterid=uid))


def show_json(client, uid):
    resp = show(client, uid)
    assert resp.status_code == 200
    return resp.to_json_object()


def list_json(client, **query):
    resp = client.show_cluster_list(ShowClusterListRequest(**query))
    assert resp.status_code == 200
    return resp.to_json_object()


def listed_ids(client, **query):
    return [c["metadata"]["uid"] for c in list_json(client, **query)["items"]]


def wait_phase(client, uid, phase="Available", timeout=ACTIVATION_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        body = show_json(client, uid)
        if body["status"]["phase"] == phase:
            return body
        if time.monotonic() > deadline:
            pytest.fail(f"cluster {uid} not {phase} after {timeout:.0f}s: status={body['status']}")
        time.sleep(0.1)


def expect_error(call, status, code=None, prefix="UCS."):
    """call() must raise ClientRequestException(status) with a UCS error code (exactly `code` if given)."""
    with pytest.raises(ClientRequestException) as ei:
        call()
    e = ei.value
    detail = f"status={e.status_code} code={e.error_code!r} msg={e.error_msg!r} request_id={e.request_id!r}"
    assert e.status_code == status, detail
    if code is not None:
        assert e.error_code == code, detail
    assert e.error_code and str(e.error_code).startswith(prefix), detail
    assert e.error_msg, detail
    assert e.request_id, "error response without X-Request-Id: " + detail
    return e


def load_cert(pem):
    return x509.load_pem_x509_certificate(pem if isinstance(pem, bytes) else pem.encode())


def assert_signed_by(cert, ca):
    assert cert.issuer == ca.subject, (cert.issuer.rfc4514_string(), ca.subject.rfc4514_string())
    cert.verify_directly_issued_by(ca)  # raises on a bad signature


def assert_key_matches(cert, key_pem):
    key = serialization.load_pem_private_key(key_pem if isinstance(key_pem, bytes) else key_pem.encode(), None)
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert key.public_key().public_bytes(*fmt) == cert.public_key().public_bytes(*fmt)


# ================================================================ U03 register_cluster

def test_unmodified_form_encoded_register_is_refused_with_a_json_hint(client):
    req = RegisterClusterRequest(body=register_body(unique_name()))
    e = expect_error(lambda: client.register_cluster(req), 400)
    assert "Content-Type: application/json" in e.error_msg, e.error_msg
    assert list_json(client)["total"] == 0


def test_register_with_json_content_type_returns_201_and_a_uid(client):
    resp = register_json(client, register_body(unique_name()))
    assert resp.status_code == 201
    body = json.loads(resp.raw_content)
    assert set(body) == {"uid"}, body
    assert show_json(client, body["uid"])["metadata"]["uid"] == body["uid"]


def test_register_with_preset_json_header_also_works(client):
    client.preset_headers = {"Content-Type": "application/json"}
    resp = client.register_cluster(RegisterClusterRequest(body=register_body(unique_name())))
    assert resp.status_code == 201 and resp.uid


def test_every_valid_category_type_provider_combination_registers(client, cce):
    for category, type_, provider in VALID_KINDS:
        if category == "self":
            uid = register_cce(client, cce, turbo=type_ == "turbo")
        else:
            uid = register(client, category=category, type_=type_, provider=provider)
        spec = show_json(client, uid)["spec"]
        assert (spec["category"], spec["type"], spec["provider"]) == (category, type_, provider)


def test_unknown_category_is_rejected_with_01030011(client):
    body = register_body(unique_name(), category="edge", type_="cce", provider="huaweicloud")
    expect_error(lambda: register_json(client, body), 400, "UCS.01030011")


@pytest.mark.parametrize("category,type_,provider", [
    ("attachedcluster", "eks", "azure"),
    ("attachedcluster", "cce", "huaweicloud"),
    ("self", "eks", "aws"),
    ("self", "cce", "aws"),
    ("onpremise", "baremetal", "aws"),
    ("multicloud", "gke", "huaweicloud"),
])
def test_mismatched_type_and_provider_is_rejected_with_01000012(client, category, type_, provider):
    body = register_body(unique_name(), category=category, type_=type_, provider=provider)
    expect_error(lambda: register_json(client, body), 400, "UCS.01000012")


def test_attached_cluster_without_kubeconfig_is_rejected_with_01030008(client):
    body = register_body(unique_name(), kubeconfig=None)
    expect_error(lambda: register_json(client, body), 400, "UCS.01030008")


@pytest.mark.parametrize("garbage", [
    "not: [valid",
    "just a string",
    "clusters: []",
    '{"kind": "Config"}',
    "clusters:\n- name: a\n  cluster:\n    server: ftp://x.example\n",
    "clusters:\n- name: a\n  cluster:\n    server: https://a.example:1\ncurrent-context: nope\n",
])
def test_attached_cluster_with_garbage_kubeconfig_is_rejected_with_01030008(client, garbage):
    body = register_body(unique_name(), kubeconfig=garbage)
    expect_error(lambda: register_json(client, body), 400, "UCS.01030008")


@pytest.mark.parametrize("name", ["Prod", "-a", "a-", "a_b", "a.b", "a" * 64])
def test_names_that_are_not_dns1123_labels_are_rejected(client, name):
    expect_error(lambda: register_json(client, register_body(name)), 400, "UCS.01000012")


@pytest.mark.parametrize("country,city", [("usa", "Seattle"), ("cn", "110000"), ("C1", "x"), ("CN", "Beijing"),
                                          ("CN", "999999")])
def test_bad_country_or_chinese_city_is_rejected(client, country, city):
    body = register_body(unique_name(), country=country, city=city)
    expect_error(lambda: register_json(client, body), 400, "UCS.01000012")


def test_a_foreign_country_takes_a_free_form_city(client):
    uid = register(client, country="US", city="Seattle")
    spec = show_json(client, uid)["spec"]
    assert (spec["country"], spec["city"]) == ("US", "Seattle")


def test_a_duplicate_name_is_rejected_with_409_01030003(client):
    name = unique_name()
    register(client, name)
    expect_error(lambda: register_json(client, register_body(name)), 409, "UCS.01030003")


def test_the_same_name_in_another_tenant_is_allowed(client, other_client):
    name = unique_name()
    register(client, name)
    register(other_client, name)


def test_the_51st_cluster_of_a_tenant_exceeds_the_quota_with_01000017(client, other_client):
    onpremise = dict(category="onpremise", type_="baremetal", provider="huaweicloud")
    for i in range(50):
        register(client, f"q-{i}", **onpremise)
    body = register_body("q-50", **onpremise)
    expect_error(lambda: register_json(client, body), 400, "UCS.01000017")
    assert list_json(client, limit=-1)["total"] == 50
    register(other_client, "q-50", **onpremise)


def test_grouped_registration_into_an_unknown_fleet_is_404_01100005(client):
    body = register_body(unique_name(), manage_type="grouped", cluster_group_id="7f8a2c4e-1b3d-4e5f-9a6b-0c1d2e3f4a5b")
    expect_error(lambda: register_json(client, body), 404, "UCS.01100005")


def test_grouped_registration_without_a_cluster_group_id_is_rejected(client):
    body = register_body(unique_name(), manage_type="grouped")
    expect_error(lambda: register_json(client, body), 400, "UCS.01000012")


# ================================================================ activation (background job)

def test_a_new_cluster_is_activated_in_the_background_and_reports_its_version(client):
    uid = register(client)
    first = show_json(client, uid)
    # Pending until the activation job (a 200 ms simulated step) has run; a loaded machine may be slower
    # to ask than the job is to finish.
    assert first["status"]["phase"] in ("Pending", "Available"), first["status"]
    body = wait_phase(client, uid, "Available")
    assert body["status"]["kubernetesVersion"] == "v1.28", body["status"]


def test_retry_activation_returns_the_cluster_pending_and_it_becomes_available_again(client):
    uid = register(client)
    wait_phase(client, uid, "Available")
    resp = client.retry_cluster_activation(RetryClusterActivationRequest(clusterid=uid))
    assert resp.status_code == 200
    body = resp.to_json_object()
    assert body["metadata"]["uid"] == uid, body
    assert body["status"]["phase"] == "Pending", body["status"]
    wait_phase(client, uid, "Available")


# ================================================================ U02 show_cluster

def test_show_cluster_returns_the_documented_keys(client):
    uid = register(client)
    body = show_json(client, uid)
    assert body["kind"] == "Cluster" and body["apiVersion"] == "v1", body
    for key in ("uid", "name", "labels", "annotations", "creationTimestamp"):
        assert key in body["metadata"], (key, body["metadata"])
    for key in ("category", "type", "provider", "country", "city", "manageType", "IsDownloadedCert", "apiEndpoint"):
        assert key in body["spec"], (key, body["spec"])
    for key in ("phase", "conditions", "kubernetesVersion"):
        assert key in body["status"], (key, body["status"])
    assert isinstance(body["status"]["conditions"], list)
    assert body["spec"]["IsDownloadedCert"] is False


def test_show_cluster_reflects_the_registration(client):
    name = unique_name()
    uid = register(client, name, labels={"env": "prod", "example.com/tier": "web"},
                   annotations={"team": "a"}, country="CN", city="110000")
    resp = show(client, uid)
    assert resp.metadata.uid == uid
    assert resp.metadata.name == name
    assert resp.metadata.labels == {"env": "prod", "example.com/tier": "web"}
    assert resp.metadata.annotations == {"team": "a"}
    assert resp.metadata.creation_timestamp
    assert (resp.spec.category, resp.spec.type, resp.spec.provider) == ("attachedcluster", "eks", "aws")
    assert (resp.spec.country, resp.spec.city, resp.spec.manage_type) == ("CN", "110000", "discrete")
    assert resp.spec.api_endpoint == "https://10.0.0.1:6443"
    assert resp.spec.is_downloaded_cert is False


def test_the_kubeconfig_annotation_is_not_returned_by_show_or_list(client):
    uid = register(client, annotations={"team": "a"})
    assert "kubeconfig" not in (show_json(client, uid)["metadata"].get("annotations") or {})
    for item in list_json(client)["items"]:
        assert "kubeconfig" not in (item["metadata"].get("annotations") or {})


def test_show_of_an_unknown_cluster_is_404_01030001(client):
    expect_error(lambda: show(client, NIL_CLUSTER), 404, "UCS.01030001")


def test_show_of_a_malformed_cluster_id_is_400(client):
    expect_error(lambda: show(client, "abc"), 400)


# ================================================================ tenant isolation

OTHER_TENANT_OPS = {
    "show": lambda c, uid: c.show_cluster(ShowClusterRequest(clusterid=uid)),
    "update": lambda c, uid: c.update_cluster(UpdateClusterRequest(clusterid=uid, body=UpdateClusterRequestBody(
        kind="Cluster", api_version="v1", metadata=UpdateObjectMeta(annotations={"x": "y"})))),
    "delete": lambda c, uid: c.delete_cluster(DeleteClusterRequest(clusterid=uid)),
    "accessinfo": lambda c, uid: c.show_cluster_access_info(ShowClusterAccessInfoRequest(clusterid=uid)),
    "activation": lambda c, uid: c.retry_cluster_activation(RetryClusterActivationRequest(clusterid=uid)),
    "kubeconfig": lambda c, uid: c.create_cluster_kubeconfig(CreateClusterKubeconfigRequest(clusterid=uid)),
}


@pytest.mark.parametrize("op", sorted(OTHER_TENANT_OPS))
def test_another_tenants_cluster_is_404_for(client, other_client, op):
    uid = register(client, annotations={"x": "original"})
    expect_error(lambda: OTHER_TENANT_OPS[op](other_client, uid), 404, "UCS.01030001")
    body = show_json(client, uid)
    assert body["metadata"]["annotations"] == {"x": "original"}
    assert body["spec"]["IsDownloadedCert"] is False


def test_the_list_shows_only_the_callers_clusters(client, other_client):
    mine = register(client)
    theirs = register(other_client)
    assert listed_ids(client) == [mine]
    assert listed_ids(other_client) == [theirs]


# ================================================================ U01 show_cluster_list

def test_an_empty_list_has_total_zero(client):
    body = list_json(client)
    assert body["items"] == [] and body["total"] == 0, body


def test_the_list_returns_items_and_total(client):
    uids = {register(client) for _ in range(3)}
    resp = client.show_cluster_list(ShowClusterListRequest())
    assert resp.total == 3
    assert {c.metadata.uid for c in resp.items} == uids
    assert all(c.kind == "Cluster" and c.status.phase for c in resp.items)


def test_the_list_filters_by_category(client, cce):
    attached = register(client)
    cce = register_cce(client, cce)
    onprem = register(client, category="onpremise", type_="baremetal", provider="huaweicloud")
    assert listed_ids(client, category="attachedcluster") == [attached]
    assert listed_ids(client, category="self") == [cce]
    assert listed_ids(client, category="onpremise") == [onprem]
    assert list_json(client, category="multicloud")["total"] == 0


def test_enablestatus_false_leaves_status_out_of_the_items(client):
    register(client)
    items = list_json(client, enablestatus=False)["items"]
    assert items and all("status" not in item for item in items), items
    assert all("status" in item for item in list_json(client, enablestatus=True)["items"])


def test_the_list_is_newest_first_by_default_and_oldest_first_with_asc(client):
    uids = [register(client) for _ in range(3)]
    assert listed_ids(client) == uids[::-1]
    assert listed_ids(client, order="desc") == uids[::-1]
    assert listed_ids(client, order="asc") == uids
    assert listed_ids(client, order_by="create_at", order="asc") == uids


def test_order_by_update_at_puts_the_last_updated_cluster_first(client):
    uids = [register(client) for _ in range(3)]
    for uid in uids:
        wait_phase(client, uid, "Available")
    time.sleep(1.1)  # timestamps may be second-granular
    client.update_cluster(UpdateClusterRequest(clusterid=uids[0], body=UpdateClusterRequestBody(
        kind="Cluster", api_version="v1", metadata=UpdateObjectMeta(annotations={"touched": "yes"}))))
    assert listed_ids(client, order_by="update_at")[0] == uids[0]
    assert listed_ids(client, order_by="update_at", order="asc")[-1] == uids[0]


def test_limit_and_offset_page_through_the_list_while_total_counts_all(client):
    uids = [register(client) for _ in range(5)]
    newest_first = uids[::-1]
    page1 = list_json(client, limit=2, offset=0)
    page2 = list_json(client, limit=2, offset=2)
    page3 = list_json(client, limit=2, offset=4)
    assert [b["total"] for b in (page1, page2, page3)] == [5, 5, 5]
    got = [c["metadata"]["uid"] for b in (page1, page2, page3) for c in b["items"]]
    assert got == newest_first
    assert list_json(client, limit=2, offset=10)["items"] == []


def test_limit_minus_one_returns_every_cluster(client):
    uids = {register(client) for _ in range(4)}
    body = list_json(client, limit=-1)
    assert {c["metadata"]["uid"] for c in body["items"]} == uids and body["total"] == 4


def test_the_list_filters_by_comma_separated_clusterids(client):
    a, b, c = (register(client) for _ in range(3))
    assert set(listed_ids(client, clusterids=f"{a},{c}")) == {a, c}
    assert listed_ids(client, clusterids=b) == [b]
    assert list_json(client, clusterids=f"{a},{c}")["total"] == 2


def test_managetype_discrete_lists_unfleeted_clusters_and_grouped_none(client):
    uids = {register(client) for _ in range(2)}
    assert set(listed_ids(client, managetype="discrete")) == uids
    assert set(listed_ids(client, managetype="all")) == uids
    assert list_json(client, managetype="grouped")["total"] == 0


def test_a_clustergroupid_filter_without_members_lists_nothing(client):
    register(client)
    body = list_json(client, clustergroupid="7f8a2c4e-1b3d-4e5f-9a6b-0c1d2e3f4a5b")
    assert body["items"] == [] and body["total"] == 0, body


@pytest.mark.parametrize("query", [
    {"order": "up"},
    {"order_by": "name"},
    {"category": "x"},
    {"managetype": "some"},
    {"clusterids": "nope"},
    {"limit": -5},
    {"offset": -1},
])
def test_bad_list_query_values_are_rejected_with_01000011(client, query):
    expect_error(lambda: client.show_cluster_list(ShowClusterListRequest(**query)), 400, "UCS.01000011")


# ================================================================ U04 update_cluster

def update(client, uid, annotations=None, country=None, city=None):
    spec = UpdateClusterSpec(country=country, city=city) if (country or city) else None
    meta = UpdateObjectMeta(annotations=annotations) if annotations is not None else None
    return client.update_cluster(UpdateClusterRequest(clusterid=uid, body=UpdateClusterRequestBody(
        kind="Cluster", api_version="v1", metadata=meta, spec=spec)))


def test_update_merges_annotations_and_returns_the_cluster(client):
    uid = register(client, annotations={"a": "1", "b": "2"})
    resp = update(client, uid, annotations={"b": "20", "c": "3"})
    assert resp.status_code == 200
    body = resp.body
    assert isinstance(body, dict), body
    assert body["kind"] == "Cluster" and body["metadata"]["uid"] == uid, body
    assert body["metadata"]["annotations"] == {"a": "1", "b": "20", "c": "3"}, body["metadata"]
    assert show_json(client, uid)["metadata"]["annotations"] == {"a": "1", "b": "20", "c": "3"}


def test_a_kubeconfig_annotation_replaces_the_kubeconfig_and_the_api_endpoint(client):
    uid = register(client)
    assert show_json(client, uid)["spec"]["apiEndpoint"] == "https://10.0.0.1:6443"
    resp = update(client, uid, annotations={"kubeconfig": make_kubeconfig("https://172.16.5.9:8443")})
    assert resp.body["spec"]["apiEndpoint"] == "https://172.16.5.9:8443", resp.body["spec"]
    assert "kubeconfig" not in (resp.body["metadata"].get("annotations") or {})
    body = show_json(client, uid)
    assert body["spec"]["apiEndpoint"] == "https://172.16.5.9:8443"
    assert "kubeconfig" not in (body["metadata"].get("annotations") or {})


def test_a_garbage_kubeconfig_annotation_is_rejected_with_01030008(client):
    uid = register(client)
    expect_error(lambda: update(client, uid, annotations={"kubeconfig": "clusters: []"}), 400, "UCS.01030008")
    assert show_json(client, uid)["spec"]["apiEndpoint"] == "https://10.0.0.1:6443"


@pytest.mark.parametrize("category,type_,provider", [("attachedcluster", "eks", "aws"),
                                                     ("onpremise", "baremetal", "huaweicloud")])
def test_update_changes_country_and_city(client, category, type_, provider):
    uid = register(client, category=category, type_=type_, provider=provider)
    resp = update(client, uid, country="CN", city="150900")
    assert (resp.body["spec"]["country"], resp.body["spec"]["city"]) == ("CN", "150900")
    resp = update(client, uid, country="DE", city="Berlin")
    spec = show_json(client, uid)["spec"]
    assert (spec["country"], spec["city"]) == ("DE", "Berlin")


def test_update_of_the_country_of_a_self_cluster_is_rejected(client, cce):
    uid = register_cce(client, cce)
    expect_error(lambda: update(client, uid, country="DE", city="Berlin"), 400)
    spec = show_json(client, uid)["spec"]
    assert (spec["country"], spec["city"]) == ("CN", "110000")


def test_update_of_an_unknown_cluster_is_404_01030001(client):
    expect_error(lambda: update(client, NIL_CLUSTER, annotations={"a": "b"}), 404, "UCS.01030001")


# ================================================================ U05 delete_cluster

def test_delete_returns_200_and_the_cluster_is_gone(client):
    uid = register(client)
    resp = client.delete_cluster(DeleteClusterRequest(clusterid=uid))
    assert resp.status_code == 200
    expect_error(lambda: show(client, uid), 404, "UCS.01030001")
    assert uid not in listed_ids(client)


def test_a_deleted_clusters_name_can_be_registered_again(client):
    name = unique_name()
    uid = register(client, name)
    client.delete_cluster(DeleteClusterRequest(clusterid=uid))
    assert register(client, name) != uid


def test_delete_of_an_unknown_cluster_is_404_01030001(client):
    expect_error(lambda: client.delete_cluster(DeleteClusterRequest(clusterid=NIL_CLUSTER)), 404, "UCS.01030001")


def test_delete_of_a_malformed_cluster_id_is_400(client):
    expect_error(lambda: client.delete_cluster(DeleteClusterRequest(clusterid="abc")), 400)


# ================================================================ U06 show_cluster_access_info

def access_info(client, uid, **kw):
    return client.show_cluster_access_info(ShowClusterAccessInfoRequest(clusterid=uid, **kw))


def manifests_by_kind(body):
    assert isinstance(body, list) and body and all(isinstance(s, str) for s in body), body
    docs = [yaml.safe_load(s) for s in body]
    return {d["kind"]: d for d in docs}


def test_access_info_returns_secret_configmap_and_deployment_manifests(client):
    uid = register(client)
    resp = access_info(client, uid)
    assert resp.status_code == 200
    docs = manifests_by_kind(resp.body)
    assert {"Secret", "ConfigMap", "Deployment"} <= set(docs), sorted(docs)
    assert {"ca.crt", "tls.crt", "tls.key"} <= set(docs["Secret"]["data"]), docs["Secret"]
    assert uid in json.dumps(docs["ConfigMap"]), docs["ConfigMap"]


def test_the_agent_certificate_chains_to_the_ca_in_the_access_info(client):
    uid = register(client)
    data = manifests_by_kind(access_info(client, uid).body)["Secret"]["data"]
    ca = load_cert(base64.b64decode(data["ca.crt"]))
    cert = load_cert(base64.b64decode(data["tls.crt"]))
    assert_signed_by(cert, ca)
    assert_key_matches(cert, base64.b64decode(data["tls.key"]))


def test_the_second_access_info_call_says_already_downloaded(client):
    uid = register(client)
    assert len(access_info(client, uid).body) >= 3
    assert access_info(client, uid).body == ["已下载"]


def test_access_info_marks_the_cert_as_downloaded(client):
    uid = register(client)
    assert show(client, uid).spec.is_downloaded_cert is False
    access_info(client, uid)
    assert show(client, uid).spec.is_downloaded_cert is True


def test_access_info_of_a_self_cluster_is_400(client, cce):
    uid = register_cce(client, cce)
    expect_error(lambda: access_info(client, uid), 400)
    assert show(client, uid).spec.is_downloaded_cert is False


def test_access_info_with_a_vpcendpoint_but_no_region_is_400(client):
    uid = register(client)
    expect_error(lambda: access_info(client, uid, vpcendpoint="192.168.0.5"), 400)
    assert show(client, uid).spec.is_downloaded_cert is False


def test_access_info_of_an_unknown_cluster_is_404_01030001(client):
    expect_error(lambda: access_info(client, NIL_CLUSTER), 404, "UCS.01030001")


# ================================================================ U09 create_cluster_conf

def cluster_conf(client, uid, **kw):
    fields = {"username": "root", "master_1": "192.168.0.10", "network_cidr": "10.96.0.0/16", **kw}
    return client.create_cluster_conf(CreateClusterConfRequest(clusterid=uid, body=RequiredInput(**fields)))


def test_cluster_conf_of_an_onpremise_cluster_is_an_upper_snake_config(client, tenant):
    uid = register(client, category="onpremise", type_="baremetal", provider="huaweicloud")
    resp = cluster_conf(client, uid)
    assert resp.status_code == 200
    conf = resp.body
    assert isinstance(conf, dict), conf
    assert conf["CLUSTER_ID"] == uid, conf
    assert conf["MASTER-1"] == "192.168.0.10", conf
    assert conf["IAM_DOMAIN_ID"] == tenant.domain_id, conf
    assert conf["USERNAME"] == "root", conf
    assert conf["NETWORK_CIDR"] == "10.96.0.0/16", conf
    for key in conf:
        assert key == key.upper() and " " not in key, key


def test_cluster_conf_of_an_attached_cluster_is_rejected_with_01030011(client):
    uid = register(client)
    expect_error(lambda: cluster_conf(client, uid), 400, "UCS.01030011")


@pytest.mark.parametrize("field,value", [("master_1", "192.168.0.300"), ("master_2", "not-an-ip"),
                                         ("network_cidr", "10.96.0.0/40")])
def test_cluster_conf_with_a_bad_address_is_400(client, field, value):
    uid = register(client, category="onpremise", type_="baremetal", provider="huaweicloud")
    expect_error(lambda: cluster_conf(client, uid, **{field: value}), 400)


# ================================================================ U10 create_cluster_kubeconfig

def kubeconfig(client, uid):
    resp = client.create_cluster_kubeconfig(CreateClusterKubeconfigRequest(clusterid=uid))
    assert resp.status_code == 200
    return resp


def test_the_kubeconfig_uses_hyphenated_keys_and_loads_as_yaml(client):
    uid = register(client)
    resp = kubeconfig(client, uid)
    doc = yaml.safe_load(json.dumps(resp.to_json_object()))
    assert doc["kind"] == "Config" and doc["apiVersion"] == "v1", doc.keys()
    assert doc["clusters"] and doc["users"] and doc["contexts"], doc.keys()
    assert "certificate-authority-data" in doc["clusters"][0]["cluster"], doc["clusters"]
    assert doc["clusters"][0]["cluster"]["server"], doc["clusters"]
    assert {"client-certificate-data", "client-key-data"} <= set(doc["users"][0]["user"]), doc["users"]
    names = {c["name"] for c in doc["contexts"]}
    assert doc["current-context"] in names, doc
    ctx = next(c for c in doc["contexts"] if c["name"] == doc["current-context"])["context"]
    assert ctx["cluster"] in {c["name"] for c in doc["clusters"]}
    assert ctx["user"] in {u["name"] for u in doc["users"]}
    # The SDK model maps the hyphenated keys too.
    assert resp.current_context == doc["current-context"]
    assert resp.clusters[0].cluster.certificate_authority_data
    assert resp.users[0].user.client_certificate_data and resp.users[0].user.client_key_data


def test_the_kubeconfig_client_cert_is_signed_by_its_ca_and_valid_for_a_year(client):
    uid = register(client)
    doc = yaml.safe_load(json.dumps(kubeconfig(client, uid).to_json_object()))
    ca = load_cert(base64.b64decode(doc["clusters"][0]["cluster"]["certificate-authority-data"]))
    cert = load_cert(base64.b64decode(doc["users"][0]["user"]["client-certificate-data"]))
    assert_signed_by(cert, ca)
    assert_key_matches(cert, base64.b64decode(doc["users"][0]["user"]["client-key-data"]))
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=364) <= lifetime <= timedelta(days=366), lifetime


def test_the_kubeconfig_of_an_unknown_cluster_is_404_01030001(client):
    expect_error(lambda: client.create_cluster_kubeconfig(CreateClusterKubeconfigRequest(clusterid=NIL_CLUSTER)),
                 404, "UCS.01030001")


# ================================================================ U13 list_managed_clusters, U14 versions

def managed(client, **query):
    resp = client.list_managed_clusters(ListManagedClustersRequest(**query))
    assert resp.status_code == 200
    assert isinstance(json.loads(resp.raw_content), list), resp.raw_content
    return resp.body or []  # the SDK gives None for an empty array


def test_managed_clusters_are_the_tenants_cce_clusters_as_sdk_cluster_models(client, cce, tenant):
    assert managed(client) == []
    b, b_name = cce_cluster(cce)
    c, _ = cce_cluster(cce)
    register(client)  # attached: not a CCE cluster
    listed = managed(client)
    assert [m.metadata.uid for m in listed] == [c, b]
    item = listed[1]
    assert (item.spec.category, item.spec.type, item.spec.provider) == ("self", "cce", "huaweicloud")
    assert item.spec.project_id == tenant.project_id and item.spec.project_name == item.spec.region
    assert item.status.phase == "Available" and item.status.kubernetes_version.startswith("v1.")
    assert item.metadata.annotations["vpclid"] and item.metadata.labels["FeatureGates"]
    assert [m.metadata.uid for m in managed(client, unimported=True)] == [c, b]
    # Registering one (by its id in metadata.uid) takes it off the unimported list.
    body = register_body(b_name, category="self", type_="cce", provider="huaweicloud")
    body.metadata.uid = b
    resp = register_json(client, body)
    assert resp.status_code == 201 and resp.uid == b, resp.raw_content
    assert [m.metadata.uid for m in managed(client, unimported=True)] == [c]
    assert [m.metadata.uid for m in managed(client)] == [c, b]
    expect_error(lambda: register_json(client, body), 409, "UCS.01030003")
    shown = show(client, b)
    assert (shown.spec.category, shown.spec.project_id) == ("self", tenant.project_id)
    assert shown.spec.project_name == shown.spec.region and shown.spec.project_name
    assert shown.spec.operator_namespace == tenant.domain_id
    assert shown.metadata.annotations["vpclid"] == item.metadata.annotations["vpclid"]
    assert shown.metadata.labels["FeatureGates"] == item.metadata.labels["FeatureGates"]


def test_a_registered_cce_cluster_follows_its_upgrade_and_deletion(client, cce):
    from test_upgrades import available, delete_and_wait, hop, precheck, upgrade, wait_task
    frm, to = hop(cce, "cce")
    name = unique_name("cce")
    uid = available(cce, "cce", name, frm)
    assert register(client, name, category="self", type_="cce", provider="huaweicloud") == uid
    assert wait_phase(client, uid)["status"]["kubernetesVersion"] == ".".join(frm.split(".")[:2])
    precheck(cce, "cce", uid, frm, to)
    assert wait_task(cce, "cce", uid, upgrade(cce, "cce", uid, to)).status.phase == "Success"
    assert show(client, uid).status.kubernetes_version == ".".join(to.split(".")[:2])
    delete_and_wait(cce, "cce", uid)
    gone = show(client, uid).status
    assert (gone.phase, gone.reason) == ("Unavailable", "ClusterDeleted")
    assert managed(client) == []


def test_registered_cluster_versions_include_1_19_to_1_25(client):
    resp = client.list_registered_cluster_versions(ListRegisteredClusterVersionsRequest())
    assert resp.status_code == 200
    for minor in range(19, 26):
        assert f"v1.{minor}" in resp.versions, resp.versions


# ================================================================ the kubeconfig secret never leaves

def test_the_kubeconfig_secret_appears_in_no_response_of_any_operation(client, recorder):
    uid = register(client, annotations={"team": "a"})
    wait_phase(client, uid, "Available")
    show(client, uid)
    client.show_cluster_list(ShowClusterListRequest())
    client.show_cluster_list(ShowClusterListRequest(enablestatus=False))
    update(client, uid, annotations={"kubeconfig": make_kubeconfig("https://10.1.1.1:6443"), "b": "c"})
    update(client, uid, country="US", city="Austin")
    access_info(client, uid)
    access_info(client, uid)
    client.retry_cluster_activation(RetryClusterActivationRequest(clusterid=uid))
    kubeconfig(client, uid)
    expect_error(lambda: cluster_conf(client, uid), 400)
    client.list_managed_clusters(ListManagedClustersRequest())
    expect_error(lambda: register_json(client, register_body(show(client, uid).metadata.name)), 409)
    client.delete_cluster(DeleteClusterRequest(clusterid=uid))
    assert len(recorder.responses) >= 15
    assert len(_issued_secrets) == 3
    for method, url, status, text in recorder.responses:
        for token in _issued_secrets:
            assert token not in text, (method, url, status)
