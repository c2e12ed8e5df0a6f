"""Authentication as the official SDK (and a raw Keystone client) exercises it. See docs/wire.md."""

from datetime import datetime

import pytest
import requests

from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcce.v3 import ListUpgradeWorkFlowsRequest
from huaweicloudsdkucs.v1 import ShowClusterListRequest

from conftest import TENANT_KEYS, create_tenant
from sdkhelpers import (REGION_ID, RAW_TIMEOUT, cce_client, cce_client_discovering, cce_token_client,
                        issue_token, password_auth_body, post_tokens, signed_get, ucs_client, ucs_client_discovering,
                        ucs_token_client)

NIL_CLUSTER = "00000000-0000-0000-0000-000000000000"


def expect_error(call, status, prefix):
    """Run call(); require ClientRequestException(status) with an error_code starting with prefix."""
    with pytest.raises(ClientRequestException) as ei:
        call()
    e = ei.value
    detail = f"status={e.status_code} code={e.error_code!r} msg={e.error_msg!r} request_id={e.request_id!r}"
    assert e.status_code == status, detail
    assert e.error_code and str(e.error_code).startswith(prefix), detail
    assert e.error_msg, detail
    assert e.request_id, "error response without X-Request-Id: " + detail
    return e


def list_clusters(client):
    return client.show_cluster_list(ShowClusterListRequest())


def list_workflows(client, cluster_id=NIL_CLUSTER):
    return client.list_upgrade_work_flows(ListUpgradeWorkFlowsRequest(cluster_id=cluster_id))


def assert_not_auth_error(call):
    """The call must pass authentication/authorization: success, or a non-auth CCE error (e.g. 404)."""
    try:
        resp = call()
    except ClientRequestException as e:
        detail = f"status={e.status_code} code={e.error_code!r} msg={e.error_msg!r}"
        assert e.status_code not in (401, 403), "auth rejected: " + detail
        assert e.status_code == 404, detail
        assert str(e.error_code).startswith("CCE."), detail
        return None
    assert resp.status_code < 300
    return resp


def parse_time(s):
    assert isinstance(s, str) and s, s
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


# ---------------------------------------------------------------- admin / server basics

def test_readyz(server):
    r = requests.get(server.url + "/readyz", timeout=RAW_TIMEOUT)
    assert r.status_code == 200


def test_tenant_create_output(server):
    name = "sdk-shape-" + server.backend
    data = server.admin("tenant", "create", "--name", name)
    assert set(data.keys()) == TENANT_KEYS, sorted(data.keys())
    assert data["project_name"] == REGION_ID
    assert data["domain_name"] == name
    for k in TENANT_KEYS:
        assert isinstance(data[k], str) and data[k], k
    assert data["domain_id"] != data["project_id"]


# ---------------------------------------------------------------- Keystone password tokens

def check_token_body(resp, tenant):
    assert resp.status_code == 201, resp.text
    assert resp.headers.get("X-Subject-Token"), dict(resp.headers)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), dict(resp.headers)
    tok = resp.json()["token"]
    issued, expires = parse_time(tok["issued_at"]), parse_time(tok["expires_at"])
    assert expires > issued, tok
    user = tok["user"]
    assert user["id"] == tenant.user_id
    assert user["name"] == tenant.user_name
    assert user["domain"] == {"id": tenant.domain_id, "name": tenant.domain_name} or (
        user["domain"]["id"] == tenant.domain_id and user["domain"]["name"] == tenant.domain_name), user
    assert isinstance(tok["roles"], list), tok
    assert isinstance(tok["catalog"], list), tok
    return tok


def test_token_domain_scoped(server, tenant):
    resp = post_tokens(server, password_auth_body(tenant, scope="domain"))
    tok = check_token_body(resp, tenant)
    assert tok["domain"]["id"] == tenant.domain_id, tok
    assert tok["domain"]["name"] == tenant.domain_name, tok
    assert "project" not in tok, tok


@pytest.mark.parametrize("by", ["name", "id"])
def test_token_project_scoped(server, tenant, by):
    resp = post_tokens(server, password_auth_body(tenant, scope="project", by=by))
    tok = check_token_body(resp, tenant)
    proj = tok["project"]
    assert proj["id"] == tenant.project_id, tok
    assert proj["name"] == REGION_ID, tok
    assert proj["domain"]["id"] == tenant.domain_id, tok
    assert "domain" not in tok, tok


def test_token_wrong_password(server, tenant):
    resp = post_tokens(server, password_auth_body(tenant, password=tenant.password + "x"))
    assert resp.status_code == 401, resp.text
    assert "X-Subject-Token" not in resp.headers
    body = resp.json()
    assert body.get("error_code") and body.get("error_msg"), body
    assert resp.headers.get("X-Request-Id"), dict(resp.headers)


def test_token_other_tenants_domain(server, tenant, other_tenant):
    """A user's correct password does not open another tenant's domain scope."""
    body = password_auth_body(tenant)
    body["auth"]["scope"] = {"domain": {"name": other_tenant.domain_name}}
    resp = post_tokens(server, body)
    assert resp.status_code in (401, 403), resp.text
    assert "X-Subject-Token" not in resp.headers
    assert resp.json().get("error_code"), resp.text


# ---------------------------------------------------------------- id discovery (docs/wire.md §1)

def test_discovery_ucs_domain_id(server, tenant):
    client = ucs_client_discovering(server, tenant)
    assert client.get_credentials().domain_id == tenant.domain_id
    assert list_clusters(client).status_code == 200


def test_discovery_cce_project_id(server, tenant):
    client = cce_client_discovering(server, tenant)
    assert client.get_credentials().project_id == tenant.project_id
    assert_not_auth_error(lambda: list_workflows(client))


def test_discovery_raw_shapes(server, tenant):
    """The two IAM lookups answer exactly what the SDK parses (one project for the region name)."""
    r = signed_get(server, tenant, "/v3/projects", {"name": REGION_ID})
    assert r.status_code == 200, r.text
    projects = r.json()["projects"]
    assert len(projects) == 1, projects
    assert projects[0]["id"] == tenant.project_id, projects

    r = signed_get(server, tenant, "/v3/auth/domains")
    assert r.status_code == 200, r.text
    domains = r.json()["domains"]
    assert domains and domains[0]["id"] == tenant.domain_id, domains


@pytest.mark.parametrize("case", ["wrong_sk", "stale_date", "unknown_ak", "disabled_ak"])
def test_iam_lookup_rejections(server, tenant, case):
    """AK/SK rejections on an authenticated IAM route (independent of the UCS/CCE routes)."""
    kw = {}
    if case == "wrong_sk":
        kw["sk"] = tenant.secret_key + "x"
    elif case == "stale_date":
        kw["headers"] = {"X-Sdk-Date": "20200101T000000Z"}
    elif case == "unknown_ak":
        kw["ak"] = "HPUA" + "0" * 16
    else:
        assert signed_get(server, tenant, "/v3/auth/domains").status_code == 200
        server.admin("access-key", "disable", "--tenant", tenant.name, "--access-key", tenant.access_key)
        server.credentials_changed()
    r = signed_get(server, tenant, "/v3/auth/domains", **kw)
    assert r.status_code == 401, r.text
    body = r.json()
    assert body.get("error_code") and body.get("error_msg"), body
    assert r.headers.get("X-Request-Id"), dict(r.headers)


def test_discovery_unsigned_refused(server):
    r = requests.get(server.url + "/v3/auth/domains", timeout=RAW_TIMEOUT)
    assert r.status_code == 401, r.text
    assert r.json().get("error_code"), r.text
    assert r.headers.get("X-Request-Id"), dict(r.headers)


# ---------------------------------------------------------------- successful calls

def test_aksk_ucs_call(server, tenant):
    resp = list_clusters(ucs_client(server, tenant))
    assert resp.status_code == 200
    assert resp.items in (None, []), resp.items


def test_aksk_cce_call_passes_auth(server, tenant):
    assert_not_auth_error(lambda: list_workflows(cce_client(server, tenant)))


def test_token_ucs_call(server, tenant):
    token = issue_token(server, tenant, scope="domain")
    resp = list_clusters(ucs_token_client(server, tenant, token))
    assert resp.status_code == 200
    assert resp.items in (None, []), resp.items


def test_token_cce_call_passes_auth(server, tenant):
    token = issue_token(server, tenant, scope="project")
    assert_not_auth_error(lambda: list_workflows(cce_token_client(server, tenant, token)))


# ---------------------------------------------------------------- rejections

def test_reject_wrong_secret_key(server, tenant):
    client = ucs_client(server, tenant, sk=tenant.secret_key[:-1] + ("A" if tenant.secret_key[-1] != "A" else "B"))
    expect_error(lambda: list_clusters(client), 401, "UCS.")


def test_reject_stale_sdk_date(server, tenant):
    client = ucs_client(server, tenant)
    client.preset_headers = {"X-Sdk-Date": "20200101T000000Z"}
    expect_error(lambda: list_clusters(client), 401, "UCS.")


def test_reject_other_tenants_domain_id(server, tenant, other_tenant):
    client = ucs_client(server, tenant, domain_id=other_tenant.domain_id)
    expect_error(lambda: list_clusters(client), 403, "UCS.")


def test_reject_unknown_access_key(server, tenant):
    client = ucs_client(server, tenant, ak="HPUA" + "0" * 16)
    expect_error(lambda: list_clusters(client), 401, "UCS.")


def test_reject_disabled_access_key(server, tenant):
    client = ucs_client(server, tenant)
    assert list_clusters(client).status_code == 200
    server.admin("access-key", "disable", "--tenant", tenant.name, "--access-key", tenant.access_key)
    server.credentials_changed()
    expect_error(lambda: list_clusters(client), 401, "UCS.")


def test_reject_bad_token(server, tenant):
    client = ucs_token_client(server, tenant, "not-a-token")
    expect_error(lambda: list_clusters(client), 401, "UCS.")


def test_reject_token_for_other_tenants_domain(server, tenant, other_tenant):
    token = issue_token(server, tenant, scope="domain")
    client = ucs_token_client(server, tenant, token, domain_id=other_tenant.domain_id)
    expect_error(lambda: list_clusters(client), 403, "UCS.")


def test_reject_cce_other_tenants_project(server, tenant, other_tenant):
    client = cce_client(server, tenant, project_id=other_tenant.project_id)
    expect_error(lambda: list_workflows(client), 403, "CCE.")


def test_reject_cce_wrong_secret_key(server, tenant):
    client = cce_client(server, tenant, sk=tenant.secret_key + "x")
    expect_error(lambda: list_workflows(client), 401, "CCE.")


def test_tenants_are_independent(server):
    """Creating a second tenant does not disturb the first one's keys."""
    a = create_tenant(server)
    b = create_tenant(server)
    assert a.domain_id != b.domain_id and a.access_key != b.access_key
    assert list_clusters(ucs_client(server, a)).status_code == 200
    assert list_clusters(ucs_client(server, b)).status_code == 200
