"""Each person reads only what their role may see: officers and auditors every project, a
coordinator their own, a reviewer the projects assigned to them; a project out of sight
answers 404 exactly as a project that does not exist."""

from __future__ import annotations

import uuid

from tests.api.test_api import APP, REVIEWER, submitted
from tests.builders import application


async def test_a_coordinator_sees_their_projects_and_a_reviewer_the_assigned_ones(api, ts_env):
    mine = await submitted(api)
    theirs = f"IRN-{uuid.uuid4().hex[:6]}"
    other_app = application(
        "IRN",
        institute="INSU",
        coordinator={
            "id": "pi-other",
            "name": "Omar Other",
            "email": "omar.other@cnrs.example.fr",
            "lab": "LPENS Paris",
        },
    ).model_dump(mode="json")
    r = await api.post(
        "other_coordinator", "/projects", {"project_id": theirs, "application": other_app}
    )
    assert r.status_code == 201, r.text

    async def ids(who: str, **where) -> set[str]:
        return {p["project_id"] for p in await api.every(who, "/projects", "projects", **where)}

    assert {mine, theirs} <= await ids("auditor")
    assert {mine, theirs} <= await ids("institute_officer")
    assert mine in await ids("coordinator")
    assert theirs not in await ids("coordinator")
    assert await ids("other_coordinator") == {theirs}
    assert mine not in await ids("reviewer")

    for path in (f"/projects/{theirs}", f"/projects/{theirs}/history"):
        hidden = await api.get("coordinator", path)
        missing = await api.get("coordinator", path.replace(theirs, "NOPE-1"))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"]["message"] == f"project {theirs} not found"

    r = await api.post("institute_officer", f"/projects/{mine}/reviewers", REVIEWER)
    assert r.status_code == 200, r.text
    assert mine in await ids("reviewer")
    assert (await api.get("reviewer", f"/projects/{mine}/history")).status_code == 200

    # filters: institute and partner country, as a portfolio page asks
    assert theirs in await ids("auditor", institute="INSU")
    assert mine not in await ids("auditor", institute="INSU")
    assert theirs in await ids("auditor", country="JP")
    assert mine not in await ids("auditor", country="JP")
    assert {lab["country"] for lab in APP["labs"]} == {"FR", "BR"}


async def test_year_filter_keeps_projects_live_that_year_and_sorting_orders_them(api, ts_env):
    first = await submitted(api)
    second = await submitted(api)
    this_year = (await ts_env.get_current_time()).year

    async def ids(**params) -> list[str]:
        r = await api.get("auditor", "/projects", **params)
        assert r.status_code == 200, r.text
        return [p["project_id"] for p in r.json()["projects"]]

    assert set(await ids(year=this_year)) == {first, second}
    assert await ids(year=this_year - 1) == []  # not yet submitted
    assert await ids(year=this_year + 1) == []  # under evaluation: live until now only
    assert await ids(sort="project_id") == sorted([first, second])
    assert await ids(sort="project_id", descending=True) == sorted([first, second], reverse=True)
    r = await api.get("auditor", "/projects", sort="title; DROP TABLE events")
    assert r.status_code == 422


async def test_only_officers_and_auditors_verify_the_whole_store(api):
    for who in ("auditor", "derci_officer", "institute_officer"):
        assert (await api.get(who, "/audit/verify")).status_code == 200
    for who in ("coordinator", "reviewer"):
        r = await api.get(who, "/audit/verify")
        assert r.status_code == 403
        assert r.json()["detail"]["message"] == f"{who} may not audit the whole store"


async def test_the_portfolio_and_deadlines_come_a_page_at_a_time(api, ts_env):
    """One shape for every list: {"projects": [...], "next", "total"}; each page in turn
    is the whole list once; a cursor that is not the list's is refused naming it."""
    made = sorted([await submitted(api) for _ in range(5)])
    first = await api.get("auditor", "/projects", limit=2, sort="project_id")
    assert first.status_code == 200
    page = first.json()
    assert page["total"] == 5 and len(page["projects"]) == 2 and page["next"]
    assert [
        p["project_id"]
        for p in await api.every("auditor", "/projects", "projects", limit=2, sort="project_id")
    ] == made
    due = await api.every("auditor", "/deadlines", "deadlines", limit=1, within_days=3650)
    assert {d["project_id"] for d in due} == set(made)
    for path in ("/projects", "/deadlines"):
        r = await api.get("auditor", path, cursor="bm90IGEgY3Vyc29y")
        assert r.status_code == 422
        assert r.json()["detail"]["field"] == "cursor"
        assert r.json()["detail"]["message"].startswith("cursor: not a cursor of this list")
        assert (await api.get("auditor", path, limit=501)).status_code == 422
        assert (await api.get("auditor", path, limit=0)).status_code == 422
