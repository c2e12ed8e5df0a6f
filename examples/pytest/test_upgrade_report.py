"""My tool reports a failed upgrade (and a failed precheck, and an expired one)."""

import pytest

import mytool

pytestmark = pytest.mark.ucsd_needs("faults", "journal", "clock", "settle")


def available_cluster(ucsd, cce_client, name):
    cid = mytool.create_cluster(cce_client, name, version="v1.28")  # the newest has no upgrade
    ucsd.settle()   # the creation workflow has run: no polling in the test
    return cid


def test_the_tool_reports_a_failed_master_upgrade(ucsd, cce_client):
    cid = available_cluster(ucsd, cce_client, "prod-1")
    ucsd.faults.step("UpgradeMaster", "prod-1")   # fails every time: the task runs out of attempts

    report = mytool.upgrade(cce_client, cid)

    assert report["outcome"] == "failed" and report["stage"] == "upgrade", mytool.summary(report)
    assert "UpgradeMaster" in (report["message"] or ""), mytool.summary(report)
    steps = ucsd.journal(kind="step")
    assert steps and {s.path for s in steps} == {"UpgradeMaster"}


def test_the_tool_succeeds_when_the_step_fails_only_twice(ucsd, cce_client):
    cid = available_cluster(ucsd, cce_client, "prod-2")
    ucsd.faults.step("UpgradeMaster", "prod-2", times=2)   # the engine's retries get through

    report = mytool.upgrade(cce_client, cid)

    assert report["outcome"] == "upgraded", mytool.summary(report)
    assert len(ucsd.journal(kind="step")) == 2


def test_the_tool_reports_a_precheck_risk(ucsd, cce_client):
    cid = available_cluster(ucsd, cce_client, "prod-3")
    ucsd.faults.precheck_risk("prod-3")

    report = mytool.upgrade(cce_client, cid)

    assert (report["outcome"], report["stage"]) == ("failed", "precheck"), mytool.summary(report)
    assert "upgrade_cluster" not in ucsd.journal.operations()


def test_an_expired_precheck_is_reported_not_retried(ucsd, cce_client):
    cid = available_cluster(ucsd, cce_client, "prod-4")
    frm, to = mytool.next_version(cce_client, cid)
    assert mytool.precheck(cce_client, cid, frm, to)[0] == "Success"

    ucsd.clock.advance(hours=2)   # a precheck is good for an hour
    report = mytool.upgrade_only(cce_client, cid, to)

    assert (report["outcome"], report["status"]) == ("refused", 400), mytool.summary(report)
    assert "precheck" in report["message"].lower(), mytool.summary(report)
