"""UCS fleets (docs/wire.md U11, U12, U15–U20, U22) and quotas (U34) driven by the official SDK.

`register_cluster_group` goes through the SDK's own invoker with the Content-Type forced to JSON (docs/wire.md §2);
`join_group` is exercised both unmodified (its flat form body survives form encoding) and with forced JSON;
everything else is the unmodified `UcsClient`. Clusters come from `test_clusters.register`, and the `client`
fixture of test_clusters checks that no response ever carries a registered kubeconfig's secret.
"""

import json
import re
import time
from datetime import datetime, timedelta, timezone

import pytest

from huaweicloudsdkucs.v1 import (ClusterJoinGroupRequestBody, DeleteClusterGroupRequest, DeleteClusterRequest,
                                  JoinGroupRequest, LeaveGroupRequest, ListClusterGroupRequest, RegisterClusterGroup,
                                  RegisterClusterGroupObjectMeta, RegisterClusterGroupRequest,
                                  RegisterClusterGroupSpec, ShowClusterGroupRequest, ShowQuotaRequest,
                                  UpdateAssociatedZonesRequest, UpdateClusterGroupAssociatedClustersRequest,
                                  UpdateClusterGroupAssociatedClustersRequestBody,
                                  UpdateClusterGroupAssociatedZonesRequest, UpdateClusterGroupDescriptionRequest,
                                  UpdateClusterGroupRequest)

# The `client`/`other_client` fixtures (and `recorder`, which `client` needs) are shared with test_clusters.
from test_clusters import client, other_client, recorder  # noqa: F401
from test_clusters import (NIL_CLUSTER, expect_error, list_json, listed_ids, register, register_body, register_json,
                           show_json, unique_name)

NIL_FLEET = "7f8a2c4e-1b3d-4e5f-9a6b-0c1d2e3f4a5b"
GO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})? \+0000 UTC$")


# ---------------------------------------------------------------- helpers

def fleet_name():
    return unique_name("f")


def fleet_body(name=None, cluster_ids=None, description=None):
    return RegisterClusterGroup(metadata=RegisterClusterGroupObjectMeta(name=fleet_name() if name is None else name),
                                spec=RegisterClusterGroupSpec(cluster_ids=cluster_ids, description=description))


def register_fleet_json(client, body):
    """register_cluster_group with the Content-Type forced to JSON (docs/wire.md §2)."""
    return (client.register_cluster_group_invoker(RegisterClusterGroupRequest(body=body))
            .add_header("Content-Type", "application/json").invoke())


def create_fleet(client, name=None, cluster_ids=None, description=None):
    """Register a fleet; returns its uid."""
    resp = register_fleet_json(client, fleet_body(name, cluster_ids, description))
    assert resp.status_code == 201, resp.raw_content
    assert resp.uid, resp.raw_content
    return resp.uid


def show_fleet(client, fid):
    return client.show_cluster_group(ShowClusterGroupRequest(clustergroupid=fid))


def fleet_json(client, fid):
    """The fleet as it is on the wire (raw JSON, keys as the server sent them)."""
    resp = show_fleet(client, fid)
    assert resp.status_code == 200
    return json.loads(resp.raw_content)


def list_fleets(client, **query):
    resp = client.list_cluster_group(ListClusterGroupRequest(**query))
    assert resp.status_code == 200
    return json.loads(resp.raw_content)


def listed_fleet_ids(client, **query):
    return [f["metadata"]["uid"] for f in list_fleets(client, **query)["items"]]


def delete_fleet(client, fid):
    return client.delete_cluster_group(DeleteClusterGroupRequest(clustergroupid=fid))


def set_description(client, fid, description):
    return client.update_cluster_group(UpdateClusterGroupRequest(
        clustergroupid=fid, body=UpdateClusterGroupDescriptionRequest(description=description)))


def add_clusters(client, fid, cluster_ids):
    return client.update_cluster_group_associated_clusters(UpdateClusterGroupAssociatedClustersRequest(
        clustergroupid=fid, body=UpdateClusterGroupAssociatedClustersRequestBody(cluster_ids=cluster_ids)))


def set_zones(client, fid, dns_suffix):
    return client.update_cluster_group_associated_zones(UpdateClusterGroupAssociatedZonesRequest(
        clustergroupid=fid, body=UpdateAssociatedZonesRequest(dns_suffix=dns_suffix)))


def join_request(uid, fid):
    return JoinGroupRequest(clusterid=uid, body=ClusterJoinGroupRequestBody(cluster_group_id=fid))


def join(client, uid, fid):
    """join_group exactly as the unmodified SDK sends it (form-encoded `clusterGroupID=<id>`)."""
    return client.join_group(join_request(uid, fid))


def join_json(client, uid, fid):
    return client.join_group_invoker(join_request(uid, fid)).add_header("Content-Type", "application/json").invoke()


def leave(client, uid):
    return client.leave_group(LeaveGroupRequest(clusterid=uid))


def membership(client, uid):
    spec = show_json(client, uid)["spec"]
    return spec["manageType"], spec["clusterGroupID"]


def members(client, fid):
    return set(listed_ids(client, clustergroupid=fid))


def quota(client, domain_id):
    return client.show_quota(ShowQuotaRequest(domainid=domain_id))


def quota_resources(client, domain_id):
    resp = quota(client, domain_id)
    assert resp.status_code == 200
    body = json.loads(resp.raw_content)
    return {r["type"]: r for r in body["quotas"]["resources"]}


# ================================================================ U16 register_cluster_group

def test_register_with_json_content_type_returns_201_and_a_uid(client):
    resp = register_fleet_json(client, fleet_body())
    assert resp.status_code == 201, resp.raw_content
    assert set(json.loads(resp.raw_content)) == {"uid"}, resp.raw_content
    assert fleet_json(client, resp.uid)["metadata"]["uid"] == resp.uid


def test_unmodified_form_encoded_register_is_refused_with_a_json_hint(client):
    req = RegisterClusterGroupRequest(body=fleet_body())
    e = expect_error(lambda: client.register_cluster_group(req), 400)
    assert "Content-Type: application/json" in e.error_msg, e.error_msg
    assert list_fleets(client)["total"] == 0


def test_register_stores_the_name_and_description(client):
    name = fleet_name()
    fid = create_fleet(client, name, description="blue fleet")
    body = fleet_json(client, fid)
    assert body["metadata"]["name"] == name
    assert body["spec"]["description"] == "blue fleet"


def test_register_with_cluster_ids_puts_the_clusters_into_the_fleet(client):
    a, b = register(client), register(client)
    fid = create_fleet(client, cluster_ids=[a, b])
    assert members(client, fid) == {a, b}
    assert membership(client, a) == ("grouped", fid)
    assert membership(client, b) == ("grouped", fid)


@pytest.mark.parametrize("name", ["abcd", "a" * 64, "a-1-b", "f000"])
def test_names_of_4_to_64_lowercase_letters_digits_and_dashes_are_accepted(client, name):
    create_fleet(client, name)


@pytest.mark.parametrize("name", ["abc", "a" * 65, "Fleet", "1abc", "-abc", "abc-", "ab_cd", "ab.cd", "ab cd", ""])
def test_names_that_break_the_fleet_name_rule_are_rejected_with_01000012(client, name):
    expect_error(lambda: register_fleet_json(client, fleet_body(name)), 400, "UCS.01000012")
    assert list_fleets(client)["total"] == 0


def test_a_duplicate_name_is_rejected_with_409_01100004(client):
    name = fleet_name()
    create_fleet(client, name)
    expect_error(lambda: register_fleet_json(client, fleet_body(name)), 409, "UCS.01100004")
    assert list_fleets(client)["total"] == 1


def test_the_same_name_in_another_tenant_is_allowed(client, other_client):
    name = fleet_name()
    create_fleet(client, name)
    create_fleet(other_client, name)


def test_a_deleted_fleets_name_can_be_registered_again(client):
    name = fleet_name()
    fid = create_fleet(client, name)
    delete_fleet(client, fid)
    assert create_fleet(client, name) != fid


def test_an_unknown_cluster_id_is_rejected_with_01100007_and_nothing_is_created(client):
    a = register(client)
    body = fleet_body(cluster_ids=[a, NIL_CLUSTER])
    expect_error(lambda: register_fleet_json(client, body), 400, "UCS.01100007")
    assert list_fleets(client)["total"] == 0
    assert membership(client, a) == ("discrete", "")


def test_a_malformed_cluster_id_is_rejected_with_01000012(client):
    expect_error(lambda: register_fleet_json(client, fleet_body(cluster_ids=["not-a-uuid"])), 400, "UCS.01000012")
    assert list_fleets(client)["total"] == 0


def test_another_tenants_cluster_counts_as_unknown_with_01100007(client, other_client):
    theirs = register(other_client)
    expect_error(lambda: register_fleet_json(client, fleet_body(cluster_ids=[theirs])), 400, "UCS.01100007")
    assert list_fleets(client)["total"] == 0
    assert membership(other_client, theirs) == ("discrete", "")


def test_a_cluster_already_in_a_fleet_cannot_seed_a_new_one(client):
    a = register(client)
    first = create_fleet(client, cluster_ids=[a])
    expect_error(lambda: register_fleet_json(client, fleet_body(cluster_ids=[a])), 400, "UCS.01100007")
    assert listed_fleet_ids(client) == [first]
    assert membership(client, a) == ("grouped", first)


def test_the_51st_fleet_of_a_tenant_exceeds_the_quota_with_01000017(client, other_client):
    for i in range(50):
        create_fleet(client, f"quota-{i}")
    expect_error(lambda: register_fleet_json(client, fleet_body("quota-50")), 400, "UCS.01000017")
    assert list_fleets(client, limit=-1)["total"] == 50
    create_fleet(other_client, "quota-50")


def test_deleting_a_fleet_frees_its_quota_slot(client):
    fids = [create_fleet(client, f"quota-{i}") for i in range(50)]
    expect_error(lambda: register_fleet_json(client, fleet_body("quota-50")), 400, "UCS.01000017")
    delete_fleet(client, fids[0])
    create_fleet(client, "quota-50")


# ================================================================ U15 list_cluster_group

def test_an_empty_fleet_list_has_total_zero(client):
    body = list_fleets(client)
    assert body["items"] == [] and body["total"] == 0, body


def test_the_list_returns_items_and_total_of_the_callers_fleets_only(client, other_client):
    mine = {create_fleet(client) for _ in range(2)}
    create_fleet(other_client)
    body = list_fleets(client)
    assert body["total"] == 2
    assert {f["metadata"]["uid"] for f in body["items"]} == mine
    assert all(f["kind"] == "ClusterGroup" and f["apiVersion"] == "v1" for f in body["items"]), body


def test_the_list_items_are_parsed_by_the_sdk_model(client):
    name = fleet_name()
    fid = create_fleet(client, name, description="d")
    resp = client.list_cluster_group(ListClusterGroupRequest())
    assert resp.total == 1
    item = resp.items[0]
    assert (item.metadata.uid, item.metadata.name, item.spec.description) == (fid, name, "d")


def test_the_fleet_list_is_newest_first_by_default_and_oldest_first_with_asc(client):
    fids = [create_fleet(client) for _ in range(3)]
    assert listed_fleet_ids(client) == fids[::-1]
    assert listed_fleet_ids(client, order="desc") == fids[::-1]
    assert listed_fleet_ids(client, order="asc") == fids
    assert listed_fleet_ids(client, order_by="create_at", order="asc") == fids


def test_order_by_update_at_puts_the_last_updated_fleet_first(client):
    fids = [create_fleet(client) for _ in range(3)]
    time.sleep(1.1)  # timestamps may be second-granular
    set_description(client, fids[0], "touched")
    assert listed_fleet_ids(client, order_by="update_at")[0] == fids[0]
    assert listed_fleet_ids(client, order_by="update_at", order="asc")[-1] == fids[0]


def test_limit_and_offset_page_through_fleets_while_total_counts_all(client):
    fids = [create_fleet(client) for _ in range(5)]
    pages = [list_fleets(client, limit=2, offset=o) for o in (0, 2, 4)]
    assert [p["total"] for p in pages] == [5, 5, 5]
    assert [f["metadata"]["uid"] for p in pages for f in p["items"]] == fids[::-1]
    assert list_fleets(client, limit=2, offset=10)["items"] == []
    assert len(list_fleets(client, limit=-1)["items"]) == 5


@pytest.mark.parametrize("query", [{"order": "up"}, {"order_by": "name"}, {"limit": -5}, {"offset": -1}])
def test_bad_fleet_list_query_values_are_rejected_with_01000011(client, query):
    expect_error(lambda: client.list_cluster_group(ListClusterGroupRequest(**query)), 400, "UCS.01000011")


# ================================================================ U17 show_cluster_group

def test_show_returns_a_cluster_group_with_the_documented_keys(client):
    name = fleet_name()
    fid = create_fleet(client, name, description="desc")
    body = fleet_json(client, fid)
    assert body["kind"] == "ClusterGroup" and body["apiVersion"] == "v1", body
    assert (body["metadata"]["uid"], body["metadata"]["name"]) == (fid, name)
    for key in ("description", "dnsSuffix", "federationId", "federationVersion", "ruleNamespaces"):
        assert key in body["spec"], (key, body["spec"])
    assert body["status"]["conditions"] == [], body["status"]


def test_the_creation_timestamp_is_in_go_time_format_and_recent(client):
    fid = create_fleet(client)
    ts = fleet_json(client, fid)["metadata"]["creationTimestamp"]
    assert GO_TIME.match(ts), ts
    created = datetime.strptime(ts[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - created) < timedelta(minutes=5), ts


def test_show_is_parsed_by_the_sdk_model(client):
    name = fleet_name()
    fid = create_fleet(client, name)
    resp = show_fleet(client, fid)
    assert resp.kind == "ClusterGroup" and resp.api_version == "v1"
    assert (resp.metadata.uid, resp.metadata.name) == (fid, name)
    assert resp.status.conditions == []


def test_show_of_an_unknown_fleet_is_404_01100005(client):
    expect_error(lambda: show_fleet(client, NIL_FLEET), 404, "UCS.01100005")


def test_show_of_a_malformed_fleet_id_is_400(client):
    expect_error(lambda: show_fleet(client, "abc"), 400)


# ================================================================ tenant isolation

OTHER_TENANT_FLEET_OPS = {
    "show": lambda c, fid: show_fleet(c, fid),
    "delete": lambda c, fid: delete_fleet(c, fid),
    "description": lambda c, fid: set_description(c, fid, "hijacked"),
    "associatedclusters": lambda c, fid: add_clusters(c, fid, []),
    "associatedzones": lambda c, fid: set_zones(c, fid, ["evil.example.com"]),
    "join": lambda c, fid: join(c, register(c), fid),
    "join_json": lambda c, fid: join_json(c, register(c), fid),
    "register_grouped": lambda c, fid: register_json(
        c, register_body(unique_name(), manage_type="grouped", cluster_group_id=fid)),
}


@pytest.mark.parametrize("op", sorted(OTHER_TENANT_FLEET_OPS))
def test_another_tenants_fleet_is_404_for(client, other_client, op):
    fid = create_fleet(client, description="original")
    expect_error(lambda: OTHER_TENANT_FLEET_OPS[op](other_client, fid), 404, "UCS.01100005")
    body = fleet_json(client, fid)
    assert body["spec"]["description"] == "original"
    assert not body["spec"]["dnsSuffix"], body["spec"]
    assert members(client, fid) == set()
    assert list_json(other_client, managetype="grouped")["total"] == 0


def test_another_tenant_cannot_add_its_clusters_to_my_fleet(client, other_client):
    fid = create_fleet(client)
    theirs = register(other_client)
    expect_error(lambda: add_clusters(other_client, fid, [theirs]), 404, "UCS.01100005")
    assert membership(other_client, theirs) == ("discrete", "")


def test_a_fleet_cannot_take_another_tenants_cluster(client, other_client):
    fid = create_fleet(client)
    theirs = register(other_client)
    expect_error(lambda: add_clusters(client, fid, [theirs]), 400, "UCS.01100007")
    assert membership(other_client, theirs) == ("discrete", "")
    assert members(client, fid) == set()


# ================================================================ U18 delete_cluster_group

def test_delete_of_an_empty_fleet_returns_200_and_the_fleet_is_gone(client):
    fid = create_fleet(client)
    assert delete_fleet(client, fid).status_code == 200
    expect_error(lambda: show_fleet(client, fid), 404, "UCS.01100005")
    assert list_fleets(client)["total"] == 0


def test_delete_of_a_fleet_with_clusters_is_rejected_with_01100002(client):
    a = register(client)
    fid = create_fleet(client, cluster_ids=[a])
    expect_error(lambda: delete_fleet(client, fid), 400, "UCS.01100002")
    assert fleet_json(client, fid)["metadata"]["uid"] == fid
    assert membership(client, a) == ("grouped", fid)


def test_a_fleet_can_be_deleted_once_its_clusters_have_left(client):
    a = register(client)
    fid = create_fleet(client, cluster_ids=[a])
    leave(client, a)
    assert delete_fleet(client, fid).status_code == 200
    expect_error(lambda: show_fleet(client, fid), 404, "UCS.01100005")


def test_delete_of_an_unknown_fleet_is_404_01100005(client):
    expect_error(lambda: delete_fleet(client, NIL_FLEET), 404, "UCS.01100005")


def test_delete_of_a_malformed_fleet_id_is_400(client):
    expect_error(lambda: delete_fleet(client, "abc"), 400)


# ================================================================ U19 update_cluster_group (description)

def test_update_description_returns_200_and_is_shown(client):
    fid = create_fleet(client, description="before")
    assert set_description(client, fid, "after").status_code == 200
    assert fleet_json(client, fid)["spec"]["description"] == "after"


def test_update_description_to_empty_clears_it(client):
    fid = create_fleet(client, description="before")
    set_description(client, fid, "")
    assert fleet_json(client, fid)["spec"]["description"] == ""


def test_update_description_of_an_unknown_fleet_is_404_01100005(client):
    expect_error(lambda: set_description(client, NIL_FLEET, "x"), 404, "UCS.01100005")


# ================================================================ U20 update_cluster_group_associated_clusters

def test_associated_clusters_adds_clusters_to_the_fleet(client):
    a, b = register(client), register(client)
    fid = create_fleet(client)
    assert add_clusters(client, fid, [a, b]).status_code == 200
    assert members(client, fid) == {a, b}
    assert membership(client, a) == ("grouped", fid)


def test_associated_clusters_never_removes_a_member(client):
    a, b = register(client), register(client)
    fid = create_fleet(client, cluster_ids=[a])
    add_clusters(client, fid, [b])
    assert members(client, fid) == {a, b}


def test_associated_clusters_with_an_empty_list_changes_nothing(client):
    a = register(client)
    fid = create_fleet(client, cluster_ids=[a])
    assert add_clusters(client, fid, []).status_code == 200
    assert members(client, fid) == {a}


def test_associated_clusters_repeating_a_member_is_harmless(client):
    a = register(client)
    fid = create_fleet(client, cluster_ids=[a])
    add_clusters(client, fid, [a])
    assert members(client, fid) == {a}
    assert membership(client, a) == ("grouped", fid)


def test_a_cluster_of_another_fleet_is_rejected_with_01100007_and_nothing_changes(client):
    a, b = register(client), register(client)
    first = create_fleet(client, cluster_ids=[a])
    second = create_fleet(client)
    expect_error(lambda: add_clusters(client, second, [b, a]), 400, "UCS.01100007")
    assert members(client, second) == set()
    assert membership(client, a) == ("grouped", first)
    assert membership(client, b) == ("discrete", "")


def test_an_unknown_cluster_in_associated_clusters_is_rejected_with_01100007(client):
    a = register(client)
    fid = create_fleet(client)
    expect_error(lambda: add_clusters(client, fid, [a, NIL_CLUSTER]), 400, "UCS.01100007")
    assert members(client, fid) == set()


def test_a_malformed_cluster_id_in_associated_clusters_is_400(client):
    fid = create_fleet(client)
    expect_error(lambda: add_clusters(client, fid, ["nope"]), 400, "UCS.01000012")


def test_associated_clusters_of_an_unknown_fleet_is_404_01100005(client):
    a = register(client)
    expect_error(lambda: add_clusters(client, NIL_FLEET, [a]), 404, "UCS.01100005")
    assert membership(client, a) == ("discrete", "")


# ================================================================ U22 update_cluster_group_associated_zones

def test_associated_zones_sets_the_dns_suffix(client):
    fid = create_fleet(client)
    assert set_zones(client, fid, ["example.com"]).status_code == 200
    assert fleet_json(client, fid)["spec"]["dnsSuffix"] == ["example.com"]


def test_associated_zones_replaces_the_previous_suffixes(client):
    fid = create_fleet(client)
    set_zones(client, fid, ["example.com", "corp.example.org"])
    assert fleet_json(client, fid)["spec"]["dnsSuffix"] == ["example.com", "corp.example.org"]
    set_zones(client, fid, ["other.example.net"])
    assert fleet_json(client, fid)["spec"]["dnsSuffix"] == ["other.example.net"]


@pytest.mark.parametrize("suffix", ["bad_domain", "example", "-bad.example.com", "Example.com"])
def test_a_bad_dns_suffix_is_rejected_with_01000012(client, suffix):
    fid = create_fleet(client)
    set_zones(client, fid, ["example.com"])
    expect_error(lambda: set_zones(client, fid, [suffix]), 400, "UCS.01000012")
    assert fleet_json(client, fid)["spec"]["dnsSuffix"] == ["example.com"]


def test_associated_zones_of_an_unknown_fleet_is_404_01100005(client):
    expect_error(lambda: set_zones(client, NIL_FLEET, ["example.com"]), 404, "UCS.01100005")


# ================================================================ U11 join_group

def test_join_with_the_unmodified_form_encoded_sdk_call_returns_200(client):
    uid = register(client)
    fid = create_fleet(client)
    assert join(client, uid, fid).status_code == 200
    assert membership(client, uid) == ("grouped", fid)


def test_join_with_a_forced_json_body_also_works(client):
    uid = register(client)
    fid = create_fleet(client)
    assert join_json(client, uid, fid).status_code == 200
    assert membership(client, uid) == ("grouped", fid)


def test_a_joined_cluster_is_listed_by_the_clustergroupid_filter_and_as_grouped(client):
    uid, other = register(client), register(client)
    fid = create_fleet(client)
    join(client, uid, fid)
    assert listed_ids(client, clustergroupid=fid) == [uid]
    assert listed_ids(client, managetype="grouped") == [uid]
    assert listed_ids(client, managetype="discrete") == [other]


def test_joining_while_already_in_a_fleet_is_rejected_with_01100002(client):
    uid = register(client)
    first, second = create_fleet(client), create_fleet(client)
    join(client, uid, first)
    expect_error(lambda: join(client, uid, second), 400, "UCS.01100002")
    assert membership(client, uid) == ("grouped", first)


def test_joining_the_same_fleet_twice_is_rejected_with_01100002(client):
    uid = register(client)
    fid = create_fleet(client)
    join(client, uid, fid)
    expect_error(lambda: join_json(client, uid, fid), 400, "UCS.01100002")
    assert membership(client, uid) == ("grouped", fid)


def test_joining_an_unknown_fleet_is_404_01100005(client):
    uid = register(client)
    expect_error(lambda: join(client, uid, NIL_FLEET), 404, "UCS.01100005")
    assert membership(client, uid) == ("discrete", "")


def test_joining_a_malformed_fleet_id_is_400(client):
    uid = register(client)
    expect_error(lambda: join(client, uid, "abc"), 400)
    assert membership(client, uid) == ("discrete", "")


def test_joining_with_an_unknown_cluster_is_404_01030001(client):
    fid = create_fleet(client)
    expect_error(lambda: join(client, NIL_CLUSTER, fid), 404, "UCS.01030001")


def test_another_tenants_cluster_cannot_join_my_fleet(client, other_client):
    fid = create_fleet(client)
    theirs = register(other_client)
    expect_error(lambda: join(client, theirs, fid), 404, "UCS.01030001")
    assert membership(other_client, theirs) == ("discrete", "")


# ================================================================ U12 leave_group

def test_leave_returns_200_and_the_cluster_is_discrete_again(client):
    uid = register(client)
    fid = create_fleet(client, cluster_ids=[uid])
    assert leave(client, uid).status_code == 200
    assert membership(client, uid) == ("discrete", "")
    assert members(client, fid) == set()


def test_leaving_when_in_no_fleet_is_rejected_with_01100002(client):
    uid = register(client)
    expect_error(lambda: leave(client, uid), 400, "UCS.01100002")


def test_leave_of_an_unknown_cluster_is_404_01030001(client):
    expect_error(lambda: leave(client, NIL_CLUSTER), 404, "UCS.01030001")


def test_a_cluster_that_left_can_join_another_fleet(client):
    uid = register(client)
    first = create_fleet(client, cluster_ids=[uid])
    second = create_fleet(client)
    leave(client, uid)
    join(client, uid, second)
    assert membership(client, uid) == ("grouped", second)
    assert members(client, first) == set()


# ================================================================ registration into a fleet, cluster deletion

def test_registering_a_grouped_cluster_puts_it_into_the_fleet(client):
    fid = create_fleet(client)
    resp = register_json(client, register_body(unique_name(), manage_type="grouped", cluster_group_id=fid))
    assert resp.status_code == 201, resp.raw_content
    assert membership(client, resp.uid) == ("grouped", fid)
    assert members(client, fid) == {resp.uid}


def test_registering_a_grouped_cluster_into_an_unknown_fleet_is_404_and_creates_nothing(client):
    body = register_body(unique_name(), manage_type="grouped", cluster_group_id=NIL_FLEET)
    expect_error(lambda: register_json(client, body), 404, "UCS.01100005")
    assert list_json(client)["total"] == 0


def test_deleting_a_cluster_in_a_fleet_removes_it_from_the_fleet(client):
    a, b = register(client), register(client)
    fid = create_fleet(client, cluster_ids=[a, b])
    assert client.delete_cluster(DeleteClusterRequest(clusterid=a)).status_code == 200
    assert members(client, fid) == {b}
    client.delete_cluster(DeleteClusterRequest(clusterid=b))
    assert members(client, fid) == set()
    assert delete_fleet(client, fid).status_code == 200


# ================================================================ U34 show_quota

def test_quota_lists_cluster_clustergroup_rule_and_federation(client, tenant):
    resources = quota_resources(client, tenant.domain_id)
    assert set(resources) == {"cluster", "clustergroup", "rule", "federation"}, resources


def test_quota_numbers_are_strings(client, tenant):
    for r in quota_resources(client, tenant.domain_id).values():
        for key in ("quota", "used", "min", "max"):
            assert isinstance(r[key], str) and r[key].isdigit(), (key, r)
        assert int(r["min"]) <= int(r["quota"]) <= int(r["max"]), r


def test_quota_of_a_fresh_tenant_is_50_clusters_and_50_fleets_none_used(client, tenant):
    resources = quota_resources(client, tenant.domain_id)
    assert (resources["cluster"]["quota"], resources["cluster"]["used"]) == ("50", "0"), resources["cluster"]
    assert (resources["clustergroup"]["quota"], resources["clustergroup"]["used"]) == ("50", "0"), \
        resources["clustergroup"]
    assert all(r["used"] == "0" for r in resources.values()), resources


def test_quota_used_reflects_registered_clusters_and_fleets(client, tenant):
    a = register(client)
    register(client)
    create_fleet(client, cluster_ids=[a])
    resources = quota_resources(client, tenant.domain_id)
    assert resources["cluster"]["used"] == "2", resources["cluster"]
    assert resources["clustergroup"]["used"] == "1", resources["clustergroup"]
    client.delete_cluster(DeleteClusterRequest(clusterid=a))
    assert quota_resources(client, tenant.domain_id)["cluster"]["used"] == "1"


def test_quota_is_parsed_by_the_sdk_model(client, tenant):
    register(client)
    resp = quota(client, tenant.domain_id)
    by_type = {r.type: r for r in resp.quotas.resources}
    assert by_type["cluster"].quota == "50" and by_type["cluster"].used == "1"


def test_quota_of_another_tenants_domain_is_404(client, other_tenant):
    expect_error(lambda: quota(client, other_tenant.domain_id), 404)
