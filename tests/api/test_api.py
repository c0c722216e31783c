"""Every endpoint's happy path, refusals with the right status, and roles."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest

from domain import wording
from tests.api.conftest import PEOPLE
from tests.builders import application
from tests.workflows.driver import ProjectDriver

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
    assert [p["project_id"] for p in listed["projects"]] == [pid]
    assert (listed["next"], listed["total"]) == (None, 1)
    assert (await api.get("auditor", "/deadlines", within_days=3650)).status_code == 200
    verified = (await api.get("auditor", "/audit/verify")).json()
    assert verified["intact"] is True and verified["first_break"] is None
    assert (await api.get("auditor", "/me")).json()["role"] == "auditor"
    assert len((await api.get("auditor", "/instruments")).json()) == 4


# (endpoint, body, roles refused) for steps on a project under evaluation
STEPS = [
    ("reviewers", REVIEWER, ["coordinator", "reviewer", "auditor"]),
    (
        "reviews",
        {"scores": {"science": 4}, "recommendation": "fund"},
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


async def active(api, ts_env, *_) -> str:
    """An IRP in the first year of its term (it starts on the decision's day)."""
    pid = await approved(api, ts_env)
    await ts_env.sleep(timedelta(days=1))
    return pid


async def report_submitted(api, ts_env, *_) -> str:
    pid = await active(api, ts_env)
    r = await api.post("coordinator", f"/projects/{pid}/reports/term1-year1", {"summary": "x"})
    assert r.status_code == 200, r.text
    return pid


async def in_renewal_window(api, ts_env, *_) -> str:
    """An IRP in the last year of its five-year term, when renewal may be requested."""
    pid = await active(api, ts_env)
    await ts_env.sleep(timedelta(days=4 * 365 + 30))
    return pid


async def renewal_requested(api, ts_env, *_) -> str:
    pid = await in_renewal_window(api, ts_env)
    r = await api.post("coordinator", f"/projects/{pid}/renewal", {"requested_eur": 65000})
    assert r.status_code == 200 and r.json()["events"] == ["RenewalRequested"], r.text
    return pid


async def funded_iea(api, ts_env, service) -> str:
    """An IEA of next year's call, in its term (the same people as the API's tokens)."""
    driver = ProjectDriver(ts_env, service, f"IEA-{uuid.uuid4().hex[:6]}")
    await driver.enter_next_iea_call()
    await driver.submit("IEA")
    await driver.evaluate()
    await driver.approve(13_000)
    await driver.sleep_until((await driver.state()).next_term_starts_at + timedelta(hours=1))
    await driver.wait_for(lambda s: s.phase.value == "active", "term start")
    return driver.project_id


async def funded_iea_and_its_successor(api, ts_env, service) -> str:
    """A funded IEA, and the IRP that follows it up submitted as IRP-<the IEA's id>."""
    pid = await funded_iea(api, ts_env, service)
    await submitted(api, f"IRP-{pid}")
    return pid


def not_permitted(who: str, verb: str, allowed: str) -> str:
    """The domain's refusal (domain/authorization.py) for a person of the wrong role."""
    person = PEOPLE[who]
    return f"{wording.role(person.role)} {person.person_id} may not {verb}; only {allowed} may"


# steps on an active project: (endpoint, body, how the project gets where the step is
# possible, the domain's verb and allowed roles, the roles refused, one role that may act)
OFFICERS = "a DERCI officer or an institute officer"
ACTIVE_STEPS = [
    (
        "reports/term1-year1",
        {"summary": "two workshops"},
        active,
        ("submit a report", "a coordinator"),
        ["other_coordinator", "reviewer", "institute_officer", "derci_officer", "auditor"],
        "coordinator",
    ),
    (
        "reports/term1-year1/review",
        {"accept": True, "reason": "on track"},
        report_submitted,
        ("review a report", OFFICERS),
        ["coordinator", "other_coordinator", "reviewer", "auditor"],
        "derci_officer",
    ),
    (
        "renewal",
        {"requested_eur": 65000},
        in_renewal_window,
        ("request a renewal", "a coordinator"),
        ["other_coordinator", "reviewer", "institute_officer", "derci_officer", "auditor"],
        "coordinator",
    ),
    (
        "renewal/decision",
        {"grant": True, "awarded_eur": 60000, "reason": "productive"},
        renewal_requested,
        ("decide the renewal", OFFICERS),
        ["coordinator", "other_coordinator", "reviewer", "auditor"],
        "institute_officer",
    ),
    (
        "successor",
        {"successor_project_id": "IRP-{pid}"},
        funded_iea_and_its_successor,
        ("link a successor project", "a DERCI officer, an institute officer or the system"),
        ["coordinator", "other_coordinator", "reviewer", "auditor"],
        "institute_officer",
    ),
]


@pytest.mark.parametrize(
    ("endpoint", "body", "reach", "rule", "refused", "allowed"),
    ACTIVE_STEPS,
    ids=[s[0] for s in ACTIVE_STEPS],
)
async def test_roles_are_refused_on_an_active_projects_steps(
    api, ts_env, service, endpoint, body, reach, rule, refused, allowed
):
    pid = await reach(api, ts_env, service)
    body = {k: v.format(pid=pid) if isinstance(v, str) else v for k, v in body.items()}
    history = f"/projects/{pid}/history"
    before = (await api.get("auditor", history)).json()["events"]
    verb, roles = rule
    for role in refused:
        r = await api.post(role, f"/projects/{pid}/{endpoint}", body)
        if role == "other_coordinator" and "coordinator" in roles.split():
            # another coordinator's project is out of their sight: not found, as a GET says
            assert r.status_code == 404, (role, r.text)
            assert r.json()["detail"]["message"] == f"project {pid} not found"
            assert (await api.get(role, f"/projects/{pid}")).status_code == 404
            continue
        assert r.status_code == 403, (role, r.text)
        assert r.json()["detail"]["message"] == not_permitted(role, verb, roles)
    after = (await api.get("auditor", history)).json()["events"]
    # nothing recorded by the refused steps (a timer of the system's may have fired meanwhile)
    assert after[: len(before)] == before
    assert all(e["actor"]["role"] == "system" for e in after[len(before) :]), after[len(before) :]
    # the project was where the step is possible: the role the rule allows takes it
    r = await api.post(allowed, f"/projects/{pid}/{endpoint}", body)
    assert r.status_code == 200, (allowed, r.text)
    after = (await api.get("auditor", history)).json()["events"]
    # the step's events, and only those, are the allowed person's (a timer may have fired meanwhile)
    taken = [e for e in after[len(before) :] if e["actor"]["role"] != "system"]
    assert [e["type"] for e in taken] == r.json()["events"], taken
    assert all(e["actor"] == {"id": PEOPLE[allowed].person_id, "role": allowed} for e in taken)


async def test_a_renewal_granted_starts_a_second_term(api, ts_env):
    pid = await renewal_requested(api, ts_env)
    r = await api.post(
        "derci_officer",
        f"/projects/{pid}/renewal/decision",
        {"grant": True, "awarded_eur": 62000, "reason": "productive first term"},
    )
    assert r.status_code == 200 and r.json()["events"] == ["RenewalGranted"], r.text
    again = await api.post(
        "derci_officer",
        f"/projects/{pid}/renewal/decision",
        {"grant": False, "reason": "changed our mind"},
    )
    assert again.status_code == 409
    assert again.json()["detail"]["message"] == "no renewal request is pending for term 1"
    project = (await api.get("auditor", f"/projects/{pid}")).json()["project"]
    first_end = project["term_ends_at"]
    assert project["term_number"] == 1 and project["renewals"] == 1
    await ts_env.sleep(timedelta(days=365))  # past the first term's end
    project = (await api.get("auditor", f"/projects/{pid}")).json()["project"]
    assert project["phase"] == "active"
    assert (project["term_number"], project["renewals"]) == (2, 1)
    assert project["term_starts_at"] == first_end and project["awarded_eur"] == 62000
    types = [
        e["type"] for e in (await api.get("auditor", f"/projects/{pid}/history")).json()["events"]
    ]
    assert types.count("TermStarted") == 2  # the second after the grant
    assert "TermStarted" in types[types.index("RenewalGranted") :]
    assert "ProjectClosed" not in types


async def test_an_iea_is_linked_to_its_successor_once(api, ts_env, service):
    pid = await funded_iea(api, ts_env, service)
    # a link is for good: a successor that does not exist (a typo) is refused
    r = await api.post(
        "derci_officer", f"/projects/{pid}/successor", {"successor_project_id": "IRP-nxet"}
    )
    assert r.status_code == 422
    assert r.json()["detail"] == {
        "message": "successor_project_id: IRP-nxet is not a known project",
        "rule": "successor.unknown",
        "field": "successor_project_id",
    }
    successor = await submitted(api, f"IRP-next-{uuid.uuid4().hex[:4]}")
    r = await api.post(
        "derci_officer", f"/projects/{pid}/successor", {"successor_project_id": successor}
    )
    assert r.status_code == 200 and r.json()["events"] == ["SuccessorLinked"], r.text
    project = (await api.get("coordinator", f"/projects/{pid}")).json()["project"]
    assert project["successor_id"] == successor
    r = await api.post(
        "derci_officer", f"/projects/{pid}/successor", {"successor_project_id": "IRP-other"}
    )
    assert r.status_code == 409
    assert r.json()["detail"] == {
        "message": f"successor {successor} is already linked",
        "rule": "successor.already",
        "field": None,
    }
    r = await api.post(
        "derci_officer",
        f"/projects/{pid}/successor",
        {"successor_project_id": "IRL-next", "successor_instrument": "IRL"},
    )
    assert r.status_code == 422
    assert r.json()["detail"]["message"] == (
        "successor_instrument: an IEA is followed up by an IRP; got IRL"
    )
    history = (await api.get("auditor", f"/projects/{pid}/history")).json()["events"]
    assert [e["type"] for e in history].count("SuccessorLinked") == 1


async def test_only_the_projects_coordinator_submits_its_reports(api, ts_env):
    pid = await approved(api, ts_env)
    await ts_env.sleep(timedelta(days=1))
    r = await api.post(
        "other_coordinator", f"/projects/{pid}/reports/term1-year1", {"summary": "x"}
    )
    # nothing said of a project that is not theirs: who coordinates it, what state it is in
    assert r.status_code == 404 and r.json()["detail"] == {
        "message": f"project {pid} not found",
        "rule": "project.unknown",
        "field": None,
    }
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
    assert r.json()["detail"]["errors"][0]["loc"][-1] == "country"
    rich = {**APP, "requested_eur": 120000}
    r = await api.post("coordinator", "/projects", {"project_id": "P-rich", "application": rich})
    assert r.status_code == 422
    assert r.json()["detail"] == {
        "message": "requested amount 120000 EUR outside IRP range 50000–75000",
        "rule": "funding.range",
        "field": "application.requested_eur",
    }
    pid = await submitted(api)
    again = await api.post("coordinator", "/projects", {"project_id": pid, "application": APP})
    assert again.status_code == 409 and "already exists" in again.json()["detail"]["message"]
    assert (await api.get("auditor", "/projects/P-bad/history")).status_code == 404


async def test_a_lists_query_string_is_read_whole(api, ts_env):
    """GET /projects reads its query string by one model (api.query_string): a wrong value
    is a 422 naming its parameter, one the list does not know is ignored, one given twice
    is its last value (as FastAPI read them one at a time)."""
    pid = await submitted(api)
    await api.caught_up()

    async def listed(*params: tuple[str, str]) -> httpx.Response:
        return await api.http.get("/projects", params=params, headers=api.as_("auditor"))

    wrong = await listed(("instrument", "IRP"), ("year", "soon"), ("limit", "0"))
    assert wrong.status_code == 422
    assert {e["loc"][-1] for e in wrong.json()["detail"]["errors"]} >= {"limit"}
    assert "year" in str(wrong.json()["detail"]["errors"])
    for params in (
        [("instrument", "IEA"), ("instrument", "IRP")],
        [("instrument", "IRP"), ("colour", "blue")],
    ):
        r = await listed(*params)
        assert r.status_code == 200, params
        assert pid in [p["project_id"] for p in r.json()["projects"]], params
    last_iea = (await listed(("instrument", "IRP"), ("instrument", "IEA"))).json()["projects"]
    assert pid not in [p["project_id"] for p in last_iea]


async def test_openapi_is_served(api):
    spec = (await api.http.get("/openapi.json")).json()
    assert "/projects/{project_id}/decision" in spec["paths"]
    assert (await api.http.get("/docs")).status_code == 200


async def test_who_may_not_assign_learns_nothing_of_the_directory_or_the_project(api):
    """The role is checked before the reviewer or the project is looked up."""
    pid = await submitted(api)
    for reviewer in ("ghost-1", REVIEWER["reviewer_id"]):
        r = await api.post("coordinator", f"/projects/{pid}/reviewers", {"reviewer_id": reviewer})
        assert r.status_code == 403, r.json()
        assert r.json()["detail"]["rule"] == "role"
    r = await api.post("coordinator", "/projects/NOPE-1/reviewers", {"reviewer_id": "ghost-1"})
    assert r.status_code == 403
    # an officer is told which it is
    r = await api.post("institute_officer", "/projects/NOPE-1/reviewers", {"reviewer_id": "x"})
    assert r.status_code == 404
    r = await api.post(
        "institute_officer", f"/projects/{pid}/reviewers", {"reviewer_id": "ghost-1"}
    )
    assert r.status_code == 422 and r.json()["detail"]["field"] == "reviewer_id"


async def test_an_ended_project_out_of_sight_is_not_found_on_its_steps(api, ts_env):
    """A rejected project takes no more steps: its coordinator is told so; another
    coordinator is told nothing of it (neither that it exists nor that it was rejected)."""
    pid = await submitted(api)
    await ts_env.sleep(timedelta(hours=1))
    r = await api.post(
        "institute_officer", f"/projects/{pid}/decision", {"approve": False, "reason": "no"}
    )
    assert r.status_code == 200, r.text
    await ts_env.sleep(timedelta(days=1))
    renewal = {"requested_eur": 60000}
    for _ in range(50):  # the workflow completes, and the read models follow
        r = await api.post("coordinator", f"/projects/{pid}/renewal", renewal)
        if r.json()["detail"]["rule"] == "project.ended":
            break
        await asyncio.sleep(0.1)
    assert r.status_code == 409
    assert r.json()["detail"]["message"] == f"project {pid} is rejected: it takes no more steps"
    r = await api.post("other_coordinator", f"/projects/{pid}/renewal", renewal)
    assert r.status_code == 404 and r.json()["detail"]["message"] == f"project {pid} not found"


async def test_a_refusal_is_said_in_the_language_the_request_asks_for(api, ts_env):
    """A rule's refusal from the running workflow, and a role's from the application layer:
    in French for Accept-Language: fr (the rule and field stay as programs read them),
    English otherwise; nothing recorded either way."""
    pid = await active(api, ts_env)
    path = f"/projects/{pid}/amendments/budget"
    body = {"awarded_eur": 60000, "reason": "same"}
    french = {**api.as_("institute_officer"), "Accept-Language": "fr-FR,fr;q=0.9"}
    r = await api.http.post(path, json=body, headers=french)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == {
        "message": "awarded_eur\u00a0: le budget de la période 1 est déjà de 60\u202f000\u00a0EUR",
        "rule": "budget.unchanged",
        "field": "awarded_eur",
    }
    english = await api.post("institute_officer", path, body)
    assert english.json()["detail"] == {
        **r.json()["detail"],
        "message": "awarded_eur: the budget of term 1 is already 60,000 EUR",
    }
    french_coordinator = {**api.as_("coordinator"), "Accept-Language": "fr"}
    r = await api.http.post(
        f"/projects/{pid}/termination", json={"reason": "x"}, headers=french_coordinator
    )
    assert r.status_code == 403, r.text
    assert r.json()["detail"]["message"].startswith("coordinateur·rice ")
    assert r.json()["detail"]["message"].endswith(
        "ne peut pas mettre fin au projet\u00a0; seul·e un·e chargé·e de mission DERCI le peut"
    )
    history = (await api.get("auditor", f"/projects/{pid}/history")).json()["events"]
    assert not [e for e in history if e["type"] in ("BudgetAmended", "ProjectTerminated")]


async def test_deadlines_read_in_the_askers_language_with_the_projects_title(api, ts_env):
    pid = await active(api, ts_env)  # an IRP of 60,000 EUR: five tranches of 12,000
    english = (await api.get("institute_officer", f"/projects/{pid}")).json()["deadlines"]
    tranche = next(d for d in english if d["kind"] == "tranche")
    assert tranche["label"] == "tranche 2 of 5: 12,000 EUR"
    assert tranche["title"] == APP["title"]
    await api.caught_up()
    french = {**api.as_("institute_officer"), "Accept-Language": "fr"}
    r = await api.http.get(f"/projects/{pid}", headers=french)
    labels = {d["ref"]: d["label"] for d in r.json()["deadlines"]}
    assert labels[tranche["ref"]] == "tranche 2 sur 5\u00a0: 12\u202f000\u00a0EUR"
    assert labels["term1-end"] == "fin de la période 1\u00a0; clôture sauf renouvellement"
    r = await api.http.get("/deadlines", params={"within_days": 3650}, headers=french)
    mine = [d for d in r.json()["deadlines"] if d["project_id"] == pid]
    assert {d["label"] for d in mine} >= set(labels.values()) - {""}


async def test_the_forecast_says_the_money_ahead_to_those_who_may_read_it(api, ts_env):
    pid = await active(api, ts_env)  # 60,000 EUR from today: tranche 1 paid, four ahead
    r = await api.get("institute_officer", "/forecast", project=pid, years=10)
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert sum(row["paid_eur"] for row in rows) == 12_000
    assert sum(row["scheduled_eur"] + row["at_risk_eur"] for row in rows) == 48_000
    assert {row["instrument"] for row in rows} == {"IRP"}
    mine = await api.get("coordinator", "/forecast", project=pid, years=10)
    assert mine.json() == r.json()
    assert (await api.get("reviewer", "/forecast")).status_code == 403
    assert (await api.get("other_coordinator", "/forecast", project=pid)).status_code == 404
    refused = await api.get("institute_officer", "/forecast", years=11)
    assert refused.status_code == 422 and refused.json()["detail"]["field"] == "years"
