"""UCS permission policies (docs/wire.md U30–U33) and their attachment to clusters (U08) and fleets (U21),
driven by the official SDK, plus the Kubernetes RBAC ucsd renders for each cluster.

`create_rule` goes through the SDK's own invoker with the Content-Type forced to JSON (docs/wire.md §2); the
unmodified call is checked to be refused. Everything else is the unmodified `UcsClient`. The rendered RBAC is
read from `GET /v1/clusters/{id}/rbac` (a ucsd extension the SDK does not know), signed by the SDK's own
Signer. Clusters and fleets come from the helpers of test_clusters / test_fleets.
"""

import json
import secrets
import time

import pytest
import yaml

from huaweicloudsdkucs.v1 import (Content, CreateRuleObjectMeta, CreateRuleRequest, CreateRuleRequestBody,
                                  DeleteRuleRequest, ListRuleRequest, RuleIDNamespaces, RuleSpec,
                                  ShowClusterListRequest,
                                  UpdateAssociatedRulesRequest, UpdateClusterGroupAssociatedRulesRequest,
                                  UpdateClusterRulesRequest, UpdateRuleRequest, UpdateRuleRequestBody)

from sdkhelpers import signed_get
# The `client`/`other_client` fixtures (and `recorder`, which `client` needs) are shared with test_clusters.
from test_clusters import client, other_client, recorder  # noqa: F401
from test_clusters import NIL_CLUSTER, expect_error, register, show, unique_name
from test_fleets import NIL_FLEET, create_fleet, join, leave, show_fleet

NIL_RULE = "3c1e2a4b-5d6f-4a7b-8c9d-0e1f2a3b4c5d"
RBAC_V1 = "rbac.authorization.k8s.io/v1"
RBAC_GROUP = "rbac.authorization.k8s.io"
READ = ["get", "list", "watch"]
ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]

_AUTO = object()


# ---------------------------------------------------------------- helpers

def iam_user():
    """A fresh IAM user id: 32 lower-case hex digits."""
    return secrets.token_hex(16)


def rule_name():
    return unique_name("r")


def rule_spec(users=_AUTO, type_="custom", contents=_AUTO, description=None):
    if users is _AUTO:
        users = [iam_user()]
    if contents is _AUTO:
        contents = [Content(verbs=["get", "list"], resources=["pods"])] if type_ == "custom" else None
    return RuleSpec(iam_user_i_ds=users, type=type_, contents=contents, description=description)


def rule_body(name=None, **spec):
    return CreateRuleRequestBody(metadata=CreateRuleObjectMeta(name=rule_name() if name is None else name),
                                 spec=rule_spec(**spec))


def create_rule_json(client, body):
    """create_rule with the Content-Type forced to JSON (docs/wire.md §2)."""
    return (client.create_rule_invoker(CreateRuleRequest(body=body))
            .add_header("Content-Type", "application/json").invoke())


def create_rule(client, name=None, **spec):
    """Create a rule (default: custom get/list on pods for one fresh user); returns its uid."""
    resp = create_rule_json(client, rule_body(name, **spec))
    assert resp.status_code == 201, resp.raw_content
    assert resp.uid, resp.raw_content
    return resp.uid


def list_rules(client, **query):
    resp = client.list_rule(ListRuleRequest(**query))
    assert resp.status_code == 200
    return json.loads(resp.raw_content)


def listed_rule_ids(client, **query):
    return [r["metadata"]["uid"] for r in list_rules(client, **query)["items"]]


def rule_json(client, rid):
    """The rule as the list shows it on the wire (None if absent)."""
    found = [r for r in list_rules(client, limit=-1)["items"] if r["metadata"]["uid"] == rid]
    assert len(found) <= 1, found
    return found[0] if found else None


def update_rule(client, rid, **spec):
    """update_rule sending only the given RuleSpec attributes."""
    return client.update_rule(UpdateRuleRequest(ruleid=rid, body=UpdateRuleRequestBody(spec=RuleSpec(**spec))))


def delete_rule(client, rid):
    return client.delete_rule(DeleteRuleRequest(ruleid=rid))


def attachments(entries):
    return UpdateAssociatedRulesRequest(rule_id_namespaces=[RuleIDNamespaces(rule_i_ds=list(ids),
                                                                             namespaces=list(nss))
                                                            for ids, nss in entries])


def attach_to_cluster(client, cid, *entries):
    """update_cluster_rules with entries of (rule ids, namespaces)."""
    return client.update_cluster_rules(UpdateClusterRulesRequest(clusterid=cid, body=attachments(entries)))


def attach_to_fleet(client, fid, *entries):
    return client.update_cluster_group_associated_rules(UpdateClusterGroupAssociatedRulesRequest(
        clustergroupid=fid, body=attachments(entries)))


def rbac_get(server, tenant, cid, fmt=None):
    """GET /v1/clusters/{id}/rbac signed as the SDK signs (with X-Domain-Id and the JSON Content-Type)."""
    return signed_get(server, tenant, f"/v1/clusters/{cid}/rbac", query={"format": fmt} if fmt else None,
                      headers={"Content-Type": "application/json", "X-Domain-Id": tenant.domain_id})


def rbac(server, tenant, cid):
    """The rendered RBAC objects of a cluster (items of the Kubernetes List)."""
    r = rbac_get(server, tenant, cid)
    assert r.status_code == 200, f"GET rbac -> {r.status_code}: {r.text}"
    body = r.json()
    assert body["kind"] == "List" and isinstance(body["items"], list), body
    for o in body["items"]:
        assert o["apiVersion"] == RBAC_V1, o
        assert o["kind"] in ("ClusterRole", "ClusterRoleBinding", "RoleBinding"), o
    return body["items"]


def role_name(rid):
    return f"ucs-rule-{rid}"


def summary(objects):
    """{(kind, namespace or None, name)} of the objects."""
    return {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects}


def expected_objects(rid, namespaces):
    """What one rule attached in `namespaces` (or ["*"]) renders to."""
    name = role_name(rid)
    if "*" in namespaces:
        return {("ClusterRole", None, name), ("ClusterRoleBinding", None, name)}
    return {("ClusterRole", None, name)} | {("RoleBinding", ns, name) for ns in namespaces}


def find(objects, kind, name, namespace=None):
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name
             and o["metadata"].get("namespace") == namespace]
    assert len(found) == 1, (kind, name, namespace, objects)
    return found[0]


def subject_users(binding):
    assert all(s["kind"] == "User" for s in binding["subjects"]), binding
    return sorted(s["name"] for s in binding["subjects"])


def policy_rules(role):
    return [(sorted(r["verbs"]), sorted(r["resources"]), r["apiGroups"]) for r in role["rules"]]


def assert_binding_refers_to_role(binding, rid):
    ref = binding["roleRef"]
    assert (ref["kind"], ref["name"], ref["apiGroup"]) == ("ClusterRole", role_name(rid), RBAC_GROUP), binding


# ================================================================ U30 create_rule

def test_unmodified_form_encoded_create_is_refused_with_a_json_hint_and_creates_nothing(client):
    req = CreateRuleRequest(body=rule_body())
    e = expect_error(lambda: client.create_rule(req), 400)
    assert "Content-Type: application/json" in e.error_msg, e.error_msg
    assert list_rules(client)["total"] == 0


def test_create_with_json_content_type_returns_201_and_only_a_uid(client):
    resp = create_rule_json(client, rule_body())
    assert resp.status_code == 201, resp.raw_content
    body = json.loads(resp.raw_content)
    assert set(body) == {"uid"}, body
    assert rule_json(client, body["uid"]) is not None


def test_a_custom_rule_is_listed_with_its_name_users_contents_and_description(client):
    name, alice, bob = rule_name(), iam_user(), iam_user()
    contents = [Content(verbs=["get", "list"], resources=["pods", "pods/log"]),
                Content(verbs=["*"], resources=["deployments"])]
    rid = create_rule(client, name, users=[alice, bob], contents=contents, description="dev team")
    r = rule_json(client, rid)
    assert r["kind"] == "Rule", r
    assert r["metadata"]["name"] == name
    spec = r["spec"]
    assert spec["iamUserIDs"] == [alice, bob]
    assert spec["type"] == "custom"
    assert spec["contents"] == [{"verbs": ["get", "list"], "resources": ["pods", "pods/log"]},
                                {"verbs": ["*"], "resources": ["deployments"]}]
    assert spec["description"] == "dev team"


def test_every_kubernetes_verb_and_the_star_are_accepted(client):
    rid = create_rule(client, contents=[Content(verbs=ALL_VERBS, resources=["pods"]),
                                        Content(verbs=["*"], resources=["*"])])
    assert rule_json(client, rid)["spec"]["contents"][0]["verbs"] == ALL_VERBS


def test_readonly_stores_get_list_watch_on_every_resource(client):
    rid = create_rule(client, type_="readonly")
    spec = rule_json(client, rid)["spec"]
    assert spec["type"] == "readonly"
    assert [(sorted(c["verbs"]), c["resources"]) for c in spec["contents"]] == [(sorted(READ), ["*"])], spec


def test_admin_stores_every_verb_on_every_resource(client):
    rid = create_rule(client, type_="admin")
    spec = rule_json(client, rid)["spec"]
    assert spec["type"] == "admin"
    assert spec["contents"] == [{"verbs": ["*"], "resources": ["*"]}], spec


def test_develop_stores_an_expansion_that_reads_everything_and_writes_some_resources(client):
    rid = create_rule(client, type_="develop")
    spec = rule_json(client, rid)["spec"]
    assert spec["type"] == "develop"
    contents = spec["contents"]
    assert contents, spec
    assert any(set(READ) <= set(c["verbs"]) and "*" in c["resources"] for c in contents), contents
    writes = [c for c in contents if {"create", "update", "delete"} & set(c["verbs"])]
    assert writes, contents
    assert not any("*" in c["verbs"] and "*" in c["resources"] for c in contents), "develop must not be admin"


@pytest.mark.parametrize("name", ["a", "a" * 63, "1abc", "dev-team-2"])
def test_names_that_are_dns1123_labels_up_to_63_characters_are_accepted(client, name):
    rid = create_rule(client, name)
    assert rule_json(client, rid)["metadata"]["name"] == name


@pytest.mark.parametrize("name", ["", "a" * 64, "Dev", "-abc", "abc-", "a_b", "a.b", "a b"])
def test_names_that_are_not_dns1123_labels_are_rejected_with_01000012(client, name):
    expect_error(lambda: create_rule_json(client, rule_body(name)), 400, "UCS.01000012")
    assert list_rules(client)["total"] == 0


BAD_SPECS = {
    "uppercase_user_id": dict(users=["ABCDEF0123456789ABCDEF0123456789"]),
    "short_user_id": dict(users=["abcdef0123456789abcdef012345678"]),
    "long_user_id": dict(users=["abcdef0123456789abcdef01234567890"]),
    "non_hex_user_id": dict(users=["zzcdef0123456789abcdef0123456789"]),
    "dashed_uuid_user_id": dict(users=["3c1e2a4b-5d6f-4a7b-8c9d-0e1f2a3b4c5d"]),
    "unknown_type": dict(type_="edit"),
    "capitalised_type": dict(type_="Admin"),
    "custom_without_contents": dict(type_="custom", contents=None),
    "custom_with_empty_contents": dict(type_="custom", contents=[]),
    "unknown_verb": dict(contents=[Content(verbs=["get", "bind"], resources=["pods"])]),
    "uppercase_verb": dict(contents=[Content(verbs=["GET"], resources=["pods"])]),
    "empty_verbs": dict(contents=[Content(verbs=[], resources=["pods"])]),
    "empty_resources": dict(contents=[Content(verbs=["get"], resources=[])]),
    "description_over_255": dict(description="x" * 256),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_invalid_specs_are_rejected_with_01000012_and_nothing_is_created(client, case):
    expect_error(lambda: create_rule_json(client, rule_body(**BAD_SPECS[case])), 400, "UCS.01000012")
    assert list_rules(client)["total"] == 0


def test_a_duplicate_name_is_rejected_with_01000012(client):
    name = rule_name()
    create_rule(client, name)
    expect_error(lambda: create_rule_json(client, rule_body(name)), 400, "UCS.01000012")
    assert list_rules(client)["total"] == 1


def test_the_same_name_in_another_tenant_is_allowed(client, other_client):
    name = rule_name()
    create_rule(client, name)
    create_rule(other_client, name)


def test_a_deleted_rules_name_can_be_used_again(client):
    name = rule_name()
    rid = create_rule(client, name)
    assert delete_rule(client, rid).status_code == 200
    assert create_rule(client, name) != rid


# ================================================================ U31 list_rule

def test_an_empty_rule_list_has_total_zero(client):
    body = list_rules(client)
    assert body["items"] == [] and body["total"] == 0, body


def test_the_list_returns_items_and_total_of_the_callers_rules_only(client, other_client):
    mine = {create_rule(client) for _ in range(2)}
    create_rule(other_client)
    body = list_rules(client)
    assert body["total"] == 2
    assert {r["metadata"]["uid"] for r in body["items"]} == mine
    assert all(r["kind"] == "Rule" for r in body["items"]), body


def test_the_list_items_are_parsed_by_the_sdk_model(client):
    name, user = rule_name(), iam_user()
    rid = create_rule(client, name, users=[user], description="d")
    resp = client.list_rule(ListRuleRequest())
    assert resp.total == 1
    item = resp.items[0]
    assert (item.kind, item.metadata.uid, item.metadata.name) == ("Rule", rid, name)
    assert (item.spec.iam_user_i_ds, item.spec.type, item.spec.description) == ([user], "custom", "d")
    assert [(c.verbs, c.resources) for c in item.spec.contents] == [(["get", "list"], ["pods"])]


def test_the_rule_list_is_newest_first_by_default_and_oldest_first_with_asc(client):
    rids = [create_rule(client) for _ in range(3)]
    assert listed_rule_ids(client) == rids[::-1]
    assert listed_rule_ids(client, order="desc") == rids[::-1]
    assert listed_rule_ids(client, order="asc") == rids
    assert listed_rule_ids(client, order_by="create_at", order="asc") == rids


def test_order_by_update_at_puts_the_last_updated_rule_first(client):
    rids = [create_rule(client) for _ in range(3)]
    time.sleep(1.1)  # timestamps may be second-granular
    assert update_rule(client, rids[0], description="touched").status_code == 200
    assert listed_rule_ids(client, order_by="update_at")[0] == rids[0]
    assert listed_rule_ids(client, order_by="update_at", order="asc")[-1] == rids[0]


def test_limit_and_offset_page_through_rules_while_total_counts_all(client):
    rids = [create_rule(client) for _ in range(5)]
    pages = [list_rules(client, limit=2, offset=o) for o in (0, 2, 4)]
    assert [p["total"] for p in pages] == [5, 5, 5]
    assert [r["metadata"]["uid"] for p in pages for r in p["items"]] == rids[::-1]
    assert list_rules(client, limit=2, offset=10)["items"] == []
    assert len(list_rules(client, limit=-1)["items"]) == 5


@pytest.mark.parametrize("query", [{"order": "up"}, {"order_by": "name"}, {"limit": -5}, {"offset": -1}])
def test_bad_rule_list_query_values_are_rejected_with_400(client, query):
    expect_error(lambda: client.list_rule(ListRuleRequest(**query)), 400)


# ================================================================ U32 update_rule

def test_update_returns_200_and_the_updated_rule(client):
    rid = create_rule(client)
    resp = update_rule(client, rid, description="new")
    assert resp.status_code == 200
    body = json.loads(resp.raw_content)
    assert body["metadata"]["uid"] == rid, body
    assert body["spec"]["description"] == "new", body


def test_update_of_the_description_only_keeps_users_type_and_contents(client):
    user = iam_user()
    rid = create_rule(client, users=[user], description="old")
    before = rule_json(client, rid)
    update_rule(client, rid, description="new")
    after = rule_json(client, rid)
    assert after["spec"] == {**before["spec"], "description": "new"}
    assert after["metadata"]["name"] == before["metadata"]["name"]


def test_update_of_the_users_only_replaces_them_and_keeps_the_rest(client):
    rid = create_rule(client, users=[iam_user()], description="keep")
    before = rule_json(client, rid)["spec"]
    alice, bob = iam_user(), iam_user()
    update_rule(client, rid, iam_user_i_ds=[alice, bob])
    after = rule_json(client, rid)["spec"]
    assert after == {**before, "iamUserIDs": [alice, bob]}


def test_update_of_the_contents_replaces_them(client):
    rid = create_rule(client)
    update_rule(client, rid, contents=[Content(verbs=["delete"], resources=["secrets"])])
    assert rule_json(client, rid)["spec"]["contents"] == [{"verbs": ["delete"], "resources": ["secrets"]}]


def test_update_of_the_type_to_admin_stores_the_admin_expansion(client):
    rid = create_rule(client)
    update_rule(client, rid, type="admin")
    spec = rule_json(client, rid)["spec"]
    assert (spec["type"], spec["contents"]) == ("admin", [{"verbs": ["*"], "resources": ["*"]}]), spec


@pytest.mark.parametrize("spec", [
    dict(iam_user_i_ds=["NOT-AN-IAM-ID"]),
    dict(type="edit"),
    dict(contents=[Content(verbs=["bind"], resources=["pods"])]),
    dict(contents=[]),
    dict(description="x" * 256),
], ids=["bad_user", "bad_type", "bad_verb", "empty_custom_contents", "long_description"])
def test_an_invalid_update_is_rejected_with_01000012_and_changes_nothing(client, spec):
    rid = create_rule(client, description="orig")
    before = rule_json(client, rid)
    expect_error(lambda: update_rule(client, rid, **spec), 400, "UCS.01000012")
    assert rule_json(client, rid) == before


def test_update_of_an_unknown_rule_is_404_01000013(client):
    expect_error(lambda: update_rule(client, NIL_RULE, description="x"), 404, "UCS.01000013")


def test_update_of_another_tenants_rule_is_404_and_changes_nothing(client, other_client):
    rid = create_rule(client, description="orig")
    expect_error(lambda: update_rule(other_client, rid, description="hijacked"), 404)
    assert rule_json(client, rid)["spec"]["description"] == "orig"


# ================================================================ U33 delete_rule

def test_delete_returns_200_and_the_rule_is_gone(client):
    rid = create_rule(client)
    keep = create_rule(client)
    assert delete_rule(client, rid).status_code == 200
    assert listed_rule_ids(client) == [keep]
    expect_error(lambda: update_rule(client, rid, description="x"), 404, "UCS.01000013")
    expect_error(lambda: delete_rule(client, rid), 404, "UCS.01000013")


def test_delete_of_an_unknown_rule_is_404_01000013(client):
    expect_error(lambda: delete_rule(client, NIL_RULE), 404, "UCS.01000013")


def test_delete_of_another_tenants_rule_is_404_and_keeps_it(client, other_client):
    rid = create_rule(client)
    expect_error(lambda: delete_rule(other_client, rid), 404)
    assert rule_json(client, rid) is not None


# ================================================================ U08 update_cluster_rules + rendered RBAC

def test_a_new_cluster_renders_no_rbac(client, server, tenant):
    assert rbac(server, tenant, register(client)) == []


def test_attaching_a_rule_to_namespaces_renders_a_cluster_role_and_a_role_binding_per_namespace(
        client, server, tenant):
    alice, bob = iam_user(), iam_user()
    rid = create_rule(client, users=[alice, bob],
                      contents=[Content(verbs=["get", "list"], resources=["pods", "pods/log"])])
    cid = register(client)
    resp = attach_to_cluster(client, cid, ([rid], ["default", "team-a"]))
    assert resp.status_code == 200
    objects = rbac(server, tenant, cid)
    assert summary(objects) == expected_objects(rid, ["default", "team-a"])
    role = find(objects, "ClusterRole", role_name(rid))
    assert policy_rules(role) == [(["get", "list"], ["pods", "pods/log"], ["*"])]
    for ns in ("default", "team-a"):
        binding = find(objects, "RoleBinding", role_name(rid), ns)
        assert subject_users(binding) == sorted([alice, bob])
        assert_binding_refers_to_role(binding, rid)


def test_attaching_a_rule_to_all_namespaces_renders_one_cluster_role_binding(client, server, tenant):
    user = iam_user()
    rid = create_rule(client, users=[user], type_="admin")
    cid = register(client)
    attach_to_cluster(client, cid, ([rid], ["*"]))
    objects = rbac(server, tenant, cid)
    assert summary(objects) == expected_objects(rid, ["*"])
    assert policy_rules(find(objects, "ClusterRole", role_name(rid))) == [(["*"], ["*"], ["*"])]
    binding = find(objects, "ClusterRoleBinding", role_name(rid))
    assert subject_users(binding) == [user]
    assert_binding_refers_to_role(binding, rid)


def test_a_readonly_rule_renders_get_list_watch_on_every_resource(client, server, tenant):
    rid = create_rule(client, type_="readonly")
    cid = register(client)
    attach_to_cluster(client, cid, ([rid], ["default"]))
    role = find(rbac(server, tenant, cid), "ClusterRole", role_name(rid))
    assert policy_rules(role) == [(sorted(READ), ["*"], ["*"])]


def test_several_rules_in_one_request_each_render_their_own_objects(client, server, tenant):
    a, b, c = create_rule(client), create_rule(client), create_rule(client)
    cid = register(client)
    attach_to_cluster(client, cid, ([a, b], ["default"]), ([c], ["*"]))
    assert summary(rbac(server, tenant, cid)) == (expected_objects(a, ["default"]) | expected_objects(b, ["default"])
                                                  | expected_objects(c, ["*"]))


def test_the_rbac_extension_also_speaks_multi_document_yaml(client, server, tenant):
    rid = create_rule(client)
    cid = register(client)
    attach_to_cluster(client, cid, ([rid], ["default", "kube-public"]))
    r = rbac_get(server, tenant, cid, fmt="yaml")
    assert r.status_code == 200, r.text
    docs = [d for d in yaml.safe_load_all(r.text) if d is not None]
    assert docs == rbac(server, tenant, cid)


def test_attaching_replaces_the_clusters_previous_attachments(client, server, tenant):
    a, b = create_rule(client), create_rule(client)
    cid = register(client)
    attach_to_cluster(client, cid, ([a], ["default"]))
    attach_to_cluster(client, cid, ([b], ["team-b"]))
    assert summary(rbac(server, tenant, cid)) == expected_objects(b, ["team-b"])


def test_attaching_an_empty_list_detaches_everything(client, server, tenant):
    rid = create_rule(client)
    cid = register(client)
    attach_to_cluster(client, cid, ([rid], ["*"]))
    assert attach_to_cluster(client, cid).status_code == 200
    assert rbac(server, tenant, cid) == []


def test_attachments_of_one_cluster_do_not_reach_another(client, server, tenant):
    rid = create_rule(client)
    cid, other = register(client), register(client)
    attach_to_cluster(client, cid, ([rid], ["default"]))
    assert rbac(server, tenant, other) == []


def test_an_unknown_rule_id_is_rejected_with_01100003_and_the_attachments_stay(client, server, tenant):
    rid = create_rule(client)
    cid = register(client)
    attach_to_cluster(client, cid, ([rid], ["default"]))
    expect_error(lambda: attach_to_cluster(client, cid, ([rid, NIL_RULE], ["*"])), 400, "UCS.01100003")
    assert summary(rbac(server, tenant, cid)) == expected_objects(rid, ["default"])


def test_another_tenants_rule_id_is_rejected_with_01100003(client, other_client, server, tenant):
    foreign = create_rule(other_client)
    cid = register(client)
    expect_error(lambda: attach_to_cluster(client, cid, ([foreign], ["default"])), 400, "UCS.01100003")
    assert rbac(server, tenant, cid) == []


@pytest.mark.parametrize("rule_id", ["not-a-uuid", "123", ""])
def test_a_malformed_rule_id_is_rejected_with_01000012(client, rule_id):
    cid = register(client)
    expect_error(lambda: attach_to_cluster(client, cid, ([rule_id], ["default"])), 400, "UCS.01000012")


@pytest.mark.parametrize("namespace", ["Default", "a_b", "a.b", "-ns", "ns-", "", "a" * 64])
def test_a_bad_namespace_is_rejected_with_01000012(client, server, tenant, namespace):
    rid = create_rule(client)
    cid = register(client)
    expect_error(lambda: attach_to_cluster(client, cid, ([rid], ["default", namespace])), 400, "UCS.01000012")
    assert rbac(server, tenant, cid) == []


def test_attaching_to_another_tenants_cluster_is_404_and_renders_nothing(client, other_client, server, tenant):
    cid = register(client)
    foreign_rule = create_rule(other_client)
    expect_error(lambda: attach_to_cluster(other_client, cid, ([foreign_rule], ["*"])), 404)
    assert rbac(server, tenant, cid) == []


def test_attaching_to_an_unknown_cluster_is_404(client):
    rid = create_rule(client)
    expect_error(lambda: attach_to_cluster(client, NIL_CLUSTER, ([rid], ["default"])), 404)


def test_the_rbac_of_another_tenants_cluster_is_404(client, server, other_tenant):
    r = rbac_get(server, other_tenant, register(client))
    assert r.status_code == 404, r.text
    assert str(r.json().get("error_code", "")).startswith("UCS."), r.text


# ================================================================ rule changes re-render

def test_updating_a_rules_users_changes_the_binding_subjects(client, server, tenant):
    rid = create_rule(client, users=[iam_user()])
    cid = register(client)
    attach_to_cluster(client, cid, ([rid], ["default"]))
    alice, bob = iam_user(), iam_user()
    update_rule(client, rid, iam_user_i_ds=[alice, bob])
    assert subject_users(find(rbac(server, tenant, cid), "RoleBinding", role_name(rid), "default")) == \
        sorted([alice, bob])


def test_updating_a_rules_contents_changes_the_cluster_role(client, server, tenant):
    rid = create_rule(client)
    cid = register(client)
    attach_to_cluster(client, cid, ([rid], ["*"]))
    update_rule(client, rid, contents=[Content(verbs=["delete"], resources=["secrets"])])
    assert policy_rules(find(rbac(server, tenant, cid), "ClusterRole", role_name(rid))) == \
        [(["delete"], ["secrets"], ["*"])]


def test_deleting_an_attached_rule_renders_nothing_and_detaches_it(client, server, tenant):
    rid = create_rule(client)
    cid = register(client)
    attach_to_cluster(client, cid, ([rid], ["default"]))
    assert delete_rule(client, rid).status_code == 200
    assert rbac(server, tenant, cid) == []
    expect_error(lambda: attach_to_cluster(client, cid, ([rid], ["default"])), 400, "UCS.01100003")


def test_deleting_one_rule_keeps_the_other_rules_of_the_cluster(client, server, tenant):
    gone, kept = create_rule(client), create_rule(client)
    cid = register(client)
    attach_to_cluster(client, cid, ([gone, kept], ["default"]))
    delete_rule(client, gone)
    assert summary(rbac(server, tenant, cid)) == expected_objects(kept, ["default"])


# ================================================================ U21 update_cluster_group_associated_rules

def test_fleet_attachments_reach_every_member_cluster(client, server, tenant):
    user = iam_user()
    rid = create_rule(client, users=[user])
    a, b, outsider = register(client), register(client), register(client)
    fid = create_fleet(client, cluster_ids=[a, b])
    resp = attach_to_fleet(client, fid, ([rid], ["default"]))
    assert resp.status_code == 200
    for cid in (a, b):
        objects = rbac(server, tenant, cid)
        assert summary(objects) == expected_objects(rid, ["default"]), cid
        assert subject_users(find(objects, "RoleBinding", role_name(rid), "default")) == [user]
    assert rbac(server, tenant, outsider) == []


def test_a_cluster_joining_the_fleet_gains_its_rules_and_leaving_loses_them(client, server, tenant):
    rid = create_rule(client)
    fid = create_fleet(client)
    attach_to_fleet(client, fid, ([rid], ["*"]))
    cid = register(client)
    assert rbac(server, tenant, cid) == []
    assert join(client, cid, fid).status_code == 200
    assert summary(rbac(server, tenant, cid)) == expected_objects(rid, ["*"])
    assert leave(client, cid).status_code == 200
    assert rbac(server, tenant, cid) == []


def test_a_cluster_leaving_keeps_its_own_attachments(client, server, tenant):
    own, fleet_rule = create_rule(client), create_rule(client)
    cid = register(client)
    fid = create_fleet(client, cluster_ids=[cid])
    attach_to_cluster(client, cid, ([own], ["default"]))
    attach_to_fleet(client, fid, ([fleet_rule], ["*"]))
    assert summary(rbac(server, tenant, cid)) == expected_objects(own, ["default"]) | expected_objects(fleet_rule,
                                                                                                       ["*"])
    leave(client, cid)
    assert summary(rbac(server, tenant, cid)) == expected_objects(own, ["default"])


def test_the_same_rule_on_a_cluster_and_its_fleet_binds_both_namespaces(client, server, tenant):
    rid = create_rule(client)
    cid = register(client)
    fid = create_fleet(client, cluster_ids=[cid])
    attach_to_cluster(client, cid, ([rid], ["team-a"]))
    attach_to_fleet(client, fid, ([rid], ["team-b"]))
    assert summary(rbac(server, tenant, cid)) == expected_objects(rid, ["team-a", "team-b"])


def test_fleet_attachments_replace_the_previous_ones_on_every_member(client, server, tenant):
    a, b = create_rule(client), create_rule(client)
    c1, c2 = register(client), register(client)
    fid = create_fleet(client, cluster_ids=[c1, c2])
    attach_to_fleet(client, fid, ([a], ["default"]))
    attach_to_fleet(client, fid, ([b], ["default"]))
    for cid in (c1, c2):
        assert summary(rbac(server, tenant, cid)) == expected_objects(b, ["default"])
    attach_to_fleet(client, fid)
    for cid in (c1, c2):
        assert rbac(server, tenant, cid) == []


def test_updating_a_fleet_rules_users_changes_the_subjects_on_every_member(client, server, tenant):
    rid = create_rule(client)
    c1, c2 = register(client), register(client)
    fid = create_fleet(client, cluster_ids=[c1, c2])
    attach_to_fleet(client, fid, ([rid], ["*"]))
    user = iam_user()
    update_rule(client, rid, iam_user_i_ds=[user])
    for cid in (c1, c2):
        assert subject_users(find(rbac(server, tenant, cid), "ClusterRoleBinding", role_name(rid))) == [user]


def test_deleting_a_fleet_rule_renders_nothing_on_its_members(client, server, tenant):
    rid = create_rule(client)
    c1, c2 = register(client), register(client)
    fid = create_fleet(client, cluster_ids=[c1, c2])
    attach_to_fleet(client, fid, ([rid], ["default"]))
    delete_rule(client, rid)
    for cid in (c1, c2):
        assert rbac(server, tenant, cid) == []
    expect_error(lambda: attach_to_fleet(client, fid, ([rid], ["default"])), 400, "UCS.01100003")


def test_an_unknown_rule_on_a_fleet_is_rejected_with_01100003(client, server, tenant):
    rid = create_rule(client)
    cid = register(client)
    fid = create_fleet(client, cluster_ids=[cid])
    attach_to_fleet(client, fid, ([rid], ["default"]))
    expect_error(lambda: attach_to_fleet(client, fid, ([NIL_RULE], ["default"])), 400, "UCS.01100003")
    assert summary(rbac(server, tenant, cid)) == expected_objects(rid, ["default"])


def test_another_tenants_rule_on_a_fleet_is_rejected_with_01100003(client, other_client):
    foreign = create_rule(other_client)
    fid = create_fleet(client)
    expect_error(lambda: attach_to_fleet(client, fid, ([foreign], ["default"])), 400, "UCS.01100003")


@pytest.mark.parametrize("malformed_id,namespace", [(True, "default"), (False, "Bad_NS")],
                         ids=["malformed_rule_id", "bad_namespace"])
def test_a_malformed_fleet_attachment_is_rejected_with_01000012(client, malformed_id, namespace):
    rid = "not-a-uuid" if malformed_id else create_rule(client)
    fid = create_fleet(client)
    expect_error(lambda: attach_to_fleet(client, fid, ([rid], [namespace])), 400, "UCS.01000012")


def test_attaching_to_another_tenants_fleet_is_404_and_renders_nothing(client, other_client, server, tenant):
    cid = register(client)
    fid = create_fleet(client, cluster_ids=[cid])
    foreign_rule = create_rule(other_client)
    expect_error(lambda: attach_to_fleet(other_client, fid, ([foreign_rule], ["*"])), 404)
    assert rbac(server, tenant, cid) == []


def test_attaching_to_an_unknown_fleet_is_404(client):
    rid = create_rule(client)
    expect_error(lambda: attach_to_fleet(client, NIL_FLEET, ([rid], ["default"])), 404)


# ---------------------------------------------------------------- reads that show the bindings (U08, U21)

def rule_namespaces(client, cid):
    """The cluster's spec.ruleNamespaces as the SDK's models give them: [(sorted (ruleID, ruleName)), namespaces]."""
    spec = show(client, cid).spec
    return [(sorted((r.rule_id, r.rule_name) for r in entry.rules), entry.namespaces)
            for entry in spec.rule_namespaces]


def fleet_namespaces(client, fid):
    return show_fleet(client, fid).spec.rule_namespaces


def test_cluster_and_fleet_reads_show_their_bound_rules_through_the_sdk_models(client):
    readers, admins = rule_name(), rule_name()
    rr, ra = create_rule(client, readers), create_rule(client, admins)
    a, b = register(client), register(client)
    fid = create_fleet(client, cluster_ids=[a])
    assert rule_namespaces(client, b) == [] and fleet_namespaces(client, fid) == []
    assert attach_to_cluster(client, b, ([rr, ra], ["prod", "default"])).status_code == 200
    both = [(sorted([(rr, readers), (ra, admins)]), ["default", "prod"])]
    assert rule_namespaces(client, b) == both
    assert attach_to_fleet(client, fid, ([rr], ["team"])).status_code == 200
    assert fleet_namespaces(client, fid) == ["team"]
    assert rule_namespaces(client, a) == [([(rr, readers)], ["team"])]
    # Joining adds the fleet's binding to the cluster's own, leaving removes it.
    assert join(client, b, fid).status_code == 200
    assert rule_namespaces(client, b) == [([(ra, admins)], ["default", "prod"]),
                                          ([(rr, readers)], ["default", "prod", "team"])]
    assert leave(client, a).status_code == 200
    assert rule_namespaces(client, a) == []
    # Deleting a rule takes it off every read at once.
    assert delete_rule(client, rr).status_code == 200
    assert fleet_namespaces(client, fid) == []
    assert rule_namespaces(client, b) == [([(ra, admins)], ["default", "prod"])]
    listed = client.show_cluster_list(ShowClusterListRequest()).items
    [entry] = [c for c in listed if c.metadata.uid == b][0].spec.rule_namespaces
    assert [(r.rule_id, r.rule_name) for r in entry.rules] == [(ra, admins)]
