"""Client builders and small helpers shared by the SDK end-to-end tests.

Every client is built exactly the way an SDK user would build it against a self-hosted endpoint
(see docs/wire.md §1, §6); nothing here touches SDK internals except reading the resolved
credentials back (``client.get_credentials()``) and clearing the SDK's process-level id cache.
"""

import os

import requests

from huaweicloudsdkcore.auth.credentials import BasicCredentials, Credentials, GlobalCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.http.http_handler import HttpHandler
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkcce.v3 import CceClient
from huaweicloudsdkucs.v1 import UcsClient

REGION_ID = "cn-north-4"

# The SDK defaults to (60, 120) s; a hung server should fail a test quickly instead.
SDK_TIMEOUT = (5, 30)
RAW_TIMEOUT = 30


def http_config():
    cfg = HttpConfig.get_default_config()
    cfg.timeout = SDK_TIMEOUT
    cfg.retry_times = 0
    return cfg


def clear_sdk_id_cache():
    """The SDK caches discovered project/domain ids in a class-level dict keyed by AK (+ region)."""
    Credentials._CACHE.clear()


# ---------------------------------------------------------------- AK/SK clients

def ucs_client(server, tenant, domain_id=None, ak=None, sk=None, http_handler=None):
    """UcsClient with GlobalCredentials(ak, sk, domain_id) on server.url (no discovery)."""
    creds = GlobalCredentials(ak or tenant.access_key, sk or tenant.secret_key,
                              tenant.domain_id if domain_id is None else domain_id)
    builder = (UcsClient.new_builder()
               .with_credentials(creds)
               .with_endpoint(server.url)
               .with_http_config(http_config()))
    if http_handler is not None:
        builder = builder.with_http_handler(http_handler)
    return builder.build()


def cce_client(server, tenant, project_id=None, ak=None, sk=None, http_handler=None):
    """CceClient with BasicCredentials(ak, sk, project_id) on server.url (no discovery)."""
    creds = BasicCredentials(ak or tenant.access_key, sk or tenant.secret_key,
                             tenant.project_id if project_id is None else project_id)
    builder = (CceClient.new_builder()
               .with_credentials(creds)
               .with_endpoint(server.url)
               .with_http_config(http_config()))
    if http_handler is not None:
        builder = builder.with_http_handler(http_handler)
    return builder.build()


# ---------------------------------------------------------------- discovery clients (docs/wire.md §1)

def ucs_client_discovering(server, tenant):
    """No domain id: build() calls GET {iam}/v3/auth/domains (signed) on our server."""
    creds = GlobalCredentials(tenant.access_key, tenant.secret_key).with_iam_endpoint(server.url)
    return (UcsClient.new_builder()
            .with_credentials(creds)
            .with_region(Region(REGION_ID, server.url))
            .with_http_config(http_config())
            .build())


def cce_client_discovering(server, tenant):
    """No project id: build() calls GET {iam}/v3/projects?name=cn-north-4 (signed) on our server."""
    creds = BasicCredentials(tenant.access_key, tenant.secret_key).with_iam_endpoint(server.url)
    return (CceClient.new_builder()
            .with_credentials(creds)
            .with_region(Region(REGION_ID, server.url))
            .with_http_config(http_config())
            .build())


# ---------------------------------------------------------------- tokens (docs/wire.md §6)

def password_auth_body(tenant, scope="domain", by="name", password=None):
    """Keystone v3 password body. scope: "domain" | "project"; by: "name" | "id" (project scope)."""
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": tenant.user_name,
        "password": tenant.password if password is None else password,
        "domain": {"name": tenant.domain_name},
    }}}}}
    if scope == "domain":
        body["auth"]["scope"] = {"domain": {"name": tenant.domain_name}}
    elif by == "id":
        body["auth"]["scope"] = {"project": {"id": tenant.project_id}}
    else:
        body["auth"]["scope"] = {"project": {"name": tenant.project_name,
                                             "domain": {"name": tenant.domain_name}}}
    return body


def post_tokens(server, body):
    return requests.post(server.url + "/v3/auth/tokens", json=body, timeout=RAW_TIMEOUT)


def issue_token(server, tenant, scope="domain", by="name"):
    resp = post_tokens(server, password_auth_body(tenant, scope=scope, by=by))
    assert resp.status_code == 201, f"POST /v3/auth/tokens -> {resp.status_code}: {resp.text}"
    token = resp.headers.get("X-Subject-Token")
    assert token, f"no X-Subject-Token header in {dict(resp.headers)}"
    return token


def token_handler(token):
    """HttpHandler that turns the signed request into a plain X-Auth-Token request."""
    def to_token(**kw):
        h = kw["request"].header_params
        h.pop("Authorization", None)
        h.pop("X-Sdk-Date", None)
        h["X-Auth-Token"] = token
    return HttpHandler().add_request_handler(to_token)


def ucs_token_client(server, tenant, token, domain_id=None):
    # AK/SK must be non-empty dummies: empty ones would make the SDK query ECS metadata.
    creds = GlobalCredentials("unused", "unused", tenant.domain_id if domain_id is None else domain_id)
    return (UcsClient.new_builder()
            .with_credentials(creds)
            .with_endpoint(server.url)
            .with_http_config(http_config())
            .with_http_handler(token_handler(token))
            .build())


def cce_token_client(server, tenant, token, project_id=None):
    creds = BasicCredentials("unused", "unused", tenant.project_id if project_id is None else project_id)
    return (CceClient.new_builder()
            .with_credentials(creds)
            .with_endpoint(server.url)
            .with_http_config(http_config())
            .with_http_handler(token_handler(token))
            .build())


def signed_get(server, tenant, path, query=None, headers=None, ak=None, sk=None):
    """A GET signed by the SDK's own Signer with the tenant's AK/SK, sent with plain requests.

    A preset X-Sdk-Date in headers is used for signing (as the SDK does)."""
    from urllib.parse import urlparse
    u = urlparse(server.url)
    req = SdkRequest(method="GET", schema=u.scheme, host=u.netloc, resource_path=path, uri=path,
                     query_params=list((query or {}).items()),
                     header_params={"User-Agent": "ucsd-sdk-tests", **(headers or {})}, body="")
    req = Signer(GlobalCredentials(ak or tenant.access_key, sk or tenant.secret_key)).sign(req)
    return requests.get(req.url, headers=req.header_params, timeout=RAW_TIMEOUT)


def env_without_sdk_credentials():
    """Names of HUAWEICLOUD_* variables that would change how the SDK picks credentials/endpoints."""
    return [k for k in os.environ if k.startswith("HUAWEICLOUD_")]
