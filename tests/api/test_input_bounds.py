"""What a security probe sent (issue 15), answered as a refusal: the status, the field and
the rule in words, nothing recorded; never a 5xx, never the input echoed back."""

from __future__ import annotations

import uuid
from datetime import timedelta

from api.body_limit import FORM_LIMIT, JSON_LIMIT
from tests.api.test_api import APP, REVIEWER, submitted
from tests.web.http_client import csrf_of, session_cookie, sign_in
from web.identity import SESSION_COOKIE


async def events_count(api) -> int:
    """What people recorded: the service's own steps (an eligibility check after a
    submission) may land meanwhile, and are not what a refused input would have written."""
    async with api.store.connection() as conn:
        return await conn.fetchval("SELECT count(*) FROM events WHERE actor_role <> 'system'")


async def raw_post(api, who: str, path: str, body: bytes | object):
    headers = {**api.as_(who), "Content-Type": "application/json"}
    return await api.http.post(path, content=body, headers=headers)


async def under_evaluation(api, ts_env, **app) -> str:
    pid = f"IRP-{uuid.uuid4().hex[:6]}"
    r = await api.post(
        "coordinator", "/projects", {"project_id": pid, "application": {**APP, **app}}
    )
    assert r.status_code == 201, r.text
    await ts_env.sleep(timedelta(hours=1))
    r = await api.post("institute_officer", f"/projects/{pid}/reviewers", REVIEWER)
    assert r.status_code == 200, r.text
    return pid


async def test_an_id_that_could_name_no_project_is_not_found(api):
    before = await events_count(api)
    for path in ("/projects/IRP-A1%00", "/projects/IRP-A1%00/history"):
        r = await api.get("auditor", path)
        assert r.status_code == 404, r.text
        assert r.json()["detail"] == {
            "message": "project 'IRP-A1\\x00' not found",
            "rule": "project.unknown",
            "field": None,
        }
    r = await api.post(
        "institute_officer", "/projects/%00/decision", {"approve": False, "reason": "x"}
    )
    assert r.status_code == 404 and r.json()["detail"]["message"] == "project '\\x00' not found"
    assert await events_count(api) == before


async def test_nul_in_a_person_id_or_a_text_is_refused_naming_the_field(api, ts_env):
    pid = await submitted(api)
    await ts_env.sleep(timedelta(hours=1))
    before = await events_count(api)
    r = await api.post(
        "institute_officer", f"/projects/{pid}/reviewers", {"reviewer_id": "rev-1\u0000"}
    )
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert (detail["field"], detail["rule"]) == ("reviewer_id", "input")
    assert detail["message"].startswith("reviewer_id: String should match pattern")
    r = await api.post(
        "institute_officer", f"/projects/{pid}/decision", {"approve": False, "reason": "no\u0000"}
    )
    assert r.status_code == 422 and r.json()["detail"]["field"] == "reason"
    assert r.json()["detail"]["message"] == (
        "reason: a control character (U+0000) at position 3 is not allowed; "
        "only tabs and line breaks may be used besides text"
    )
    r = await api.post(
        "coordinator",
        "/projects",
        {"project_id": "IRP-NUL", "application": {**APP, "title": "Amazonian\u0000hydrology"}},
    )
    assert r.status_code == 422 and r.json()["detail"]["field"] == "application.title"
    assert (
        "application.title: a control character (U+0000) at position 10"
        in r.json()["detail"]["message"]
    )
    assert await events_count(api) == before


async def test_what_json_cannot_carry_back_is_refused_without_echoing_it(api, ts_env):
    pid = await submitted(api)
    before = await events_count(api)
    for raw, field in [
        (b'{"requested_eur": 1e309}', "requested_eur"),
        (b'{"requested_eur": NaN}', "requested_eur"),
    ]:
        r = await raw_post(api, "coordinator", f"/projects/{pid}/renewal", raw)
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert detail == {
            "message": f"{field}: Input should be a valid integer",
            "rule": "input",
            "field": field,
            "errors": [
                {"loc": [field], "msg": "Input should be a valid integer", "type": "int_type"}
            ],
        }
    r = await raw_post(
        api,
        "institute_officer",
        f"/projects/{pid}/decision",
        b'{"approve": false, "reason": "no \\ud800"}',
    )
    assert r.status_code == 422 and r.json()["detail"]["field"] == "reason"
    assert "ud800" not in r.text and "no " not in r.text
    r = await raw_post(api, "coordinator", f"/projects/{pid}/renewal", b'{"requested_eur": ')
    assert r.status_code == 422 and r.json()["detail"]["message"] == "body: JSON decode error"
    assert await events_count(api) == before


async def test_a_body_over_its_bound_is_refused_before_it_is_read_whole(api, ts_env):
    pid = await submitted(api)
    before = await events_count(api)
    huge = b'{"summary": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    r = await raw_post(api, "coordinator", f"/projects/{pid}/reports/term1-year1", huge)
    assert r.status_code == 413
    assert r.json()["detail"] == {
        "message": "the request body is larger than 64 KiB (65,536 bytes): send less",
        "rule": "body.size",
        "field": None,
    }
    assert len(r.content) < 500

    async def chunks():  # no Content-Length: counted as it arrives
        yield b'{"summary": "'
        for _ in range(JSON_LIMIT // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    r = await raw_post(api, "coordinator", f"/projects/{pid}/reports/term1-year1", chunks())
    assert r.status_code == 413 and r.json()["detail"]["rule"] == "body.size"
    form = {"csrf": "x", "summary": "x" * (FORM_LIMIT + 1)}
    r = await api.http.post(f"/ui/projects/{pid}/steps/SubmitReport", data=form)
    assert r.status_code == 413 and "256 KiB" in r.json()["detail"]["message"]
    assert await events_count(api) == before


async def test_scores_are_the_policys_criteria_bounded_and_strict(api, ts_env):
    pid = await under_evaluation(api, ts_env)
    before = await events_count(api)
    for scores, status, field, message in [
        (
            {"science": 5, "novelty": 4},
            422,
            "scores",
            "scores: 'novelty' is not a criterion of this review; "
            "score science, feasibility, partnership (1 to 5)",
        ),
        (
            {f"c{i}": 3 for i in range(11)},
            422,
            "scores",
            "scores: Dictionary should have at most 10 items after validation, not more",
        ),
        ({"science": "5"}, 422, "scores", "scores.science: Input should be a valid integer"),
        ({"science": 6}, 422, "scores", "scores.science: Input should be less than or equal to 5"),
    ]:
        r = await api.post(
            "reviewer", f"/projects/{pid}/reviews", {"scores": scores, "recommendation": "fund"}
        )
        assert r.status_code == status, r.text
        assert (r.json()["detail"]["field"], r.json()["detail"]["message"]) == (field, message)
    assert await events_count(api) == before


async def test_amounts_and_verdicts_are_strict_in_json(api, ts_env):
    pid = await under_evaluation(api, ts_env)
    before = await events_count(api)
    for amount in ("60000", True, 60000.0):
        body = {"approve": True, "awarded_eur": amount, "reason": "strong"}
        r = await api.post("institute_officer", f"/projects/{pid}/decision", body)
        assert r.status_code == 422, (amount, r.text)
        assert r.json()["detail"]["message"] == "awarded_eur: Input should be a valid integer"
    r = await api.post(
        "institute_officer", f"/projects/{pid}/decision", {"approve": "yes", "reason": "x"}
    )
    assert (
        r.status_code == 422
        and r.json()["detail"]["message"] == "approve: Input should be a valid boolean"
    )
    assert await events_count(api) == before


async def test_a_lab_of_no_country_is_refused_naming_the_field_and_the_code(api):
    labs = [*APP["labs"][:1], {"name": "Nowhere University", "country": "XX"}]
    r = await api.post(
        "coordinator", "/projects", {"project_id": "IRP-XX", "application": {**APP, "labs": labs}}
    )
    assert r.status_code == 422
    assert r.json()["detail"] == {
        "message": "application.labs.1.country: XX is not a country "
        "(an ISO 3166-1 alpha-2 code, such as FR or BR)",
        "rule": "country.unknown",
        "field": "application.labs",
    }
    assert (await api.get("auditor", "/projects/IRP-XX")).status_code == 404  # nothing recorded


async def test_an_award_above_the_request_is_refused(api, ts_env):
    pid = await under_evaluation(api, ts_env, requested_eur=60_000)
    r = await api.post(
        "reviewer", f"/projects/{pid}/reviews", {"scores": {"science": 5}, "recommendation": "fund"}
    )
    assert r.status_code == 200, r.text
    before = await events_count(api)
    body = {"approve": True, "awarded_eur": 75_000, "reason": "strong"}
    r = await api.post("institute_officer", f"/projects/{pid}/decision", body)
    assert r.status_code == 422
    assert r.json()["detail"] == {
        "message": "awarded_eur: the award (75,000 EUR) exceeds the amount requested (60,000 EUR)",
        "rule": "award.above_request",
        "field": "awarded_eur",
    }
    assert await events_count(api) == before


async def test_pages_answer_an_impossible_id_with_not_found_and_read_typed_digits(api, ts_env):
    pid = await under_evaluation(api, ts_env)
    r = await api.post(
        "reviewer", f"/projects/{pid}/reviews", {"scores": {"science": 5}, "recommendation": "fund"}
    )
    assert r.status_code == 200, r.text
    signed = await sign_in(api.http, api.tokens["institute_officer"])
    assert signed.status_code == 303, signed.text
    cookie = {"Cookie": f"{SESSION_COOKIE}={session_cookie(signed)}"}
    before = await events_count(api)
    for path in ("/ui/projects/IRP-A1%00", "/ui/projects/IRP-A1%00/live"):
        r = await api.http.get(path, headers=cookie)
        assert r.status_code == 404, (path, r.status_code, r.text[:300])
    page = await api.http.get(f"/ui/projects/{pid}", headers=cookie)
    assert page.status_code == 200
    form = {
        "csrf": csrf_of(page.text),
        "approve": "yes",
        "awarded_eur": "70000",
        "reason": "strong",
    }
    r = await api.http.post("/ui/projects/%00/steps/DecideApplication", data=form, headers=cookie)
    assert r.status_code == 404
    assert await events_count(api) == before
    # a form's amount is typed text: its digits are read as the number they are
    r = await api.http.post(
        f"/ui/projects/{pid}/steps/DecideApplication", data=form, headers=cookie
    )
    assert r.status_code == 303, r.text[:500]
    assert (await api.get("auditor", f"/projects/{pid}")).json()["project"]["awarded_eur"] == 70_000
