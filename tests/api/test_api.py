"""Every endpoint's happy path, refusals with the right status, and roles."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.builders import application

APP = application("IRP").model_dump(mode="json")
REVIEWER = {"reviewer_id": "rev-1"}  # registered: ETH Zurich, CH: no conflict


async def submitted(api, pid: str | None = None) -> str:
    pid = pid or f"IRP-{uuid.uuid4().hex[:6]}"
    r = await api.post("coordinator", "/projects", {"project_id": pid, "application": APP})
    assert r.status_code == 201, r.text
    assert r.json()["events"] == ["ApplicationSubmitted"]
    return pid


async def approved(api, ts_env) -> str:
    pid = await submitted(api)
    await ts_env.sleep(timedelta(hours=1))
    assert (
        await api.post("institute_officer", f"/projects/{pid}/reviewers", REVIEWER)
    ).status_code == 200
    r = await api.post(
        "reviewer", f"/projects/{pid}/reviews", {"scores": {"science": 5}, "recommendation": "fund"}
    )
    assert r.status_code == 200, r.text
    r = await api.post(
        "institute_officer",
        f"/projects/{pid}/decision",
        {"approve": True, "awarded_eur": 60000, "reason": "strong"},
    )
    assert r.status_code == 200 and r.json()["phase"] == "approved", r.text
    return pid


async def test_a_project_through_every_endpoint(api, ts_env):
    pid = await approved(api, ts_env)
    await ts_env.sleep(timedelta(days=1))
    project = (await api.get("auditor", f"/projects/{pid}")).json()
    assert project["project"]["phase"] == "active" and project["project"]["released_eur"] == 12000
    assert any(d["kind"] == "report" for d in project["deadlines"])

    for year in (1, 2, 3, 4):
        report = f"term1-year{year}"
        r = await api.post(
            "coordinator", f"/projects/{pid}/reports/{report}", {"summary": "workshops"}
        )
        assert r.status_code == 200, r.text
        r = await api.post(
            "derci_officer",
            f"/projects/{pid}/reports/{report}/review",
            {"accept": True, "reason": "ok"},
        )
        assert r.status_code == 200, r.text
        await ts_env.sleep(timedelta(days=365))
    r = await api.post("coordinator", f"/projects/{pid}/renewal", {"requested_eur": 65000})
    assert r.status_code == 200, r.text
    r = await api.post(
        "institute_officer",
        f"/projects/{pid}/renewal/decision",
        {"grant": False, "reason": "no more budget"},
    )
    assert r.json()["events"] == ["RenewalRefused"]
    r = await api.post(
        "derci_officer", f"/projects/{pid}/successor", {"successor_project_id": "X-1"}
    )
    assert (
        r.status_code == 422
        and "IRP is not followed up by a successor" in r.json()["detail"]["message"]
    )
    r = await api.post(
        "derci_officer", f"/projects/{pid}/termination", {"reason": "partner withdrew"}
    )
    assert r.status_code == 200 and r.json()["phase"] == "terminated"

    history = (await api.get("auditor", f"/projects/{pid}/history")).json()
    terminated = history["events"][-1]
    assert terminated["type"] == "ProjectTerminated"
    assert terminated["actor"] == {"id": "derci-martin", "role": "derci_officer"}  # from the token
    listed = (await api.get("auditor", "/projects", instrument="IRP", state="terminated")).json()
    assert [p["project_id"] for p in listed] == [pid]
    assert (await api.get("auditor", "/deadlines", within_days=3650)).status_code == 200
    assert (await api.get("auditor", "/audit/verify")).json() == {
        "intact": True,
        "first_break": None,
    }
    assert (await api.get("auditor", "/me")).json()["role"] == "auditor"
    assert len((await api.get("auditor", "/instruments")).json()) == 4


# (endpoint, body, roles refused) for steps on a project under evaluation
STEPS = [
    ("reviewers", REVIEWER, ["coordinator", "reviewer", "auditor"]),
    (
        "reviews",
        {"scores": {"s": 4}, "recommendation": "fund"},
        ["coordinator", "institute_officer", "derci_officer", "auditor"],
    ),
    ("decision", {"approve": False, "reason": "no"}, ["coordinator", "reviewer", "auditor"]),
    (
        "termination",
        {"reason": "stop"},
        ["coordinator", "reviewer", "institute_officer", "auditor"],
    ),
]


@pytest.mark.parametrize(("endpoint", "body", "refused"), STEPS, ids=[s[0] for s in STEPS])
async def test_roles_are_refused_where_they_must_be(api, ts_env, endpoint, body, refused):
    pid = await submitted(api)
    await ts_env.sleep(timedelta(hours=1))
    before = (await api.get("auditor", f"/projects/{pid}/history")).json()["events"]
    for role in refused:
        r = await api.post(role, f"/projects/{pid}/{endpoint}", body)
        assert r.status_code == 403, (role, r.text)
        assert (
            "may not" in r.json()["detail"]["message"]
            or "not assigned" in r.json()["detail"]["message"]
        )
    after = (await api.get("auditor", f"/projects/{pid}/history")).json()["events"]
    assert after == before  # nothing recorded


async def test_only_the_projects_coordinator_submits_its_reports(api, ts_env):
    pid = await approved(api, ts_env)
    await ts_env.sleep(timedelta(days=1))
    r = await api.post(
        "other_coordinator", f"/projects/{pid}/reports/term1-year1", {"summary": "x"}
    )
    assert r.status_code == 403 and "is not the coordinator" in r.json()["detail"]["message"]
    r = await api.post("auditor", f"/projects/{pid}/renewal", {"requested_eur": 60000})
    assert r.status_code == 403


async def test_conflict_of_interest_is_refused_before_assignment(api, ts_env):
    pid = await submitted(api)
    await ts_env.sleep(timedelta(hours=1))
    # the reviewer's lab is the directory's, whatever a client might claim
    r = await api.post(
        "institute_officer", f"/projects/{pid}/reviewers", {"reviewer_id": "rev-lig"}
    )
    assert r.status_code == 422
    assert r.json()["detail"]["rule"] == "reviewer.conflict_of_interest"
    assert "belongs to partner lab 'LIG Grenoble'" in r.json()["detail"]["message"]
    forged = {"reviewer_id": "rev-lig", "lab": "ETH Zurich"}
    r = await api.post("institute_officer", f"/projects/{pid}/reviewers", forged)
    assert r.status_code == 422  # no other field is taken
    r = await api.post(
        "institute_officer", f"/projects/{pid}/reviewers", {"reviewer_id": "pi-durand"}
    )
    assert r.status_code == 422 and r.json()["detail"]["rule"] == "reviewer.unknown"


async def test_refusals_carry_status_field_and_rule(api, ts_env):
    r = await api.post(
        "institute_officer", "/projects/NOPE/decision", {"approve": False, "reason": "x"}
    )
    assert r.status_code == 404 and r.json()["detail"]["message"] == "project NOPE not found"
    assert (await api.http.get("/projects")).status_code == 401
    assert (
        await api.http.get("/projects", headers={"Authorization": "Bearer forged"})
    ).status_code == 401
    bad = {**APP, "labs": [{"name": "LIG", "country": "fr", "cnrs": True}]}
    r = await api.post("coordinator", "/projects", {"project_id": "P-bad", "application": bad})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "country"
    rich = {**APP, "requested_eur": 120000}
    r = await api.post("coordinator", "/projects", {"project_id": "P-rich", "application": rich})
    assert r.status_code == 422
    assert r.json()["detail"] == {
        "message": "requested amount 120000 EUR outside IRP range 50000–75000",
        "rule": "funding.range",
    }
    pid = await submitted(api)
    again = await api.post("coordinator", "/projects", {"project_id": pid, "application": APP})
    assert again.status_code == 409 and "already exists" in again.json()["detail"]["message"]
    assert (await api.get("auditor", "/projects/P-bad/history")).status_code == 404


async def test_openapi_is_served(api):
    spec = (await api.http.get("/openapi.json")).json()
    assert "/projects/{project_id}/decision" in spec["paths"]
    assert (await api.http.get("/docs")).status_code == 200
