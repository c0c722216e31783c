"""What people do on the pages, in Chromium, against the real app: sign in as each role,
approve through the form, see refusals next to the field, filter and export, read French."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

from identity.people import PeopleDirectory
from tests.api.conftest import PEOPLE
from tests.api.test_api import REVIEWER, submitted
from tests.builders import application
from tests.web.conftest import shot


async def under_review(site, ts_env) -> str:
    """A submitted IRP, eligible, with a reviewer's review in: ready for a decision."""
    pid = await submitted(site.api)
    await ts_env.sleep(timedelta(hours=1))
    r = await site.api.post("institute_officer", f"/projects/{pid}/reviewers", REVIEWER)
    assert r.status_code == 200, r.text
    r = await site.api.post(
        "reviewer", f"/projects/{pid}/reviews", {"scores": {"science": 5}, "recommendation": "fund"}
    )
    assert r.status_code == 200, r.text
    return pid


async def recorded(site, pid: str) -> list[str]:
    r = await site.api.get("auditor", f"/projects/{pid}/history")
    return [e["type"] for e in r.json()["events"]]


async def test_each_role_signs_in_sees_their_name_and_signs_out(site, page):
    await page.goto(f"{site.url}/ui/portfolio")
    assert "/ui/signin" in page.url  # signed out: sent to sign in

    await page.get_by_label("Personal token").fill("not-a-token")
    await page.get_by_role("button", name="Sign in").click()
    assert await page.locator("#token-error").inner_text() == "Unknown or revoked token."

    # keyboard only: the skip link first, then the labelled token field, Enter submits
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.className") == "skip"
    await page.get_by_label("Personal token").fill(site.api.tokens["auditor"])
    await page.get_by_label("Personal token").press("Enter")
    await page.wait_for_url("**/ui/portfolio**")
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/ui/signin")

    for role in ("coordinator", "reviewer", "institute_officer", "derci_officer", "auditor"):
        await site.sign_in(page, role)
        assert PEOPLE[role].name in await page.locator(".me").inner_text()
        assert f"({role})" in await page.locator(".me").inner_text()
        cookie = next(c for c in await page.context.cookies() if c["name"] == "collab_session")
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_url("**/ui/signin")
        await page.goto(f"{site.url}/ui/deadlines")
        assert "/ui/signin" in page.url
        # a copy of the cookie kept from before signing out signs nobody in
        await page.context.add_cookies([cookie])
        await page.goto(f"{site.url}/ui/deadlines")
        assert "/ui/signin" in page.url


async def test_revoking_a_person_ends_their_open_session(site, page, event_store):
    await site.sign_in(page, "auditor")
    await page.goto(f"{site.url}/ui/deadlines")
    assert "/ui/deadlines" in page.url
    assert await PeopleDirectory(event_store).revoke(PEOPLE["auditor"].person_id, operator="test")
    await page.goto(f"{site.url}/ui/deadlines")
    assert "/ui/signin" in page.url


async def test_an_officer_approves_through_the_form_and_sees_state_and_history(site, page, ts_env):
    pid = await under_review(site, ts_env)
    await site.sign_in(page, "institute_officer")
    await page.goto(f"{site.url}/ui/projects/{pid}")
    assert await page.locator("#phase").inner_text() == "under evaluation"
    await shot(page, "project-under-evaluation")

    form = page.locator("#form-DecideApplication")
    await form.get_by_label("Yes").check()
    await form.get_by_label("Awarded amount (EUR)").fill("60000")
    starts = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    await form.get_by_label("Term starts on").fill(starts)
    await form.get_by_label("Reason").fill("strong partnership, excellent reviews")
    await form.get_by_role("button", name="Record the decision").click()
    await page.wait_for_url(
        lambda url: "/ui/projects/" + pid + "?done=DecideApplication&after=" in url
    )

    assert await page.locator("#phase").inner_text() == "approved"
    decision = page.locator("#history li[data-type=ApplicationApproved]")
    text = await decision.inner_text()
    assert "insu-dupont (institute_officer)" in text
    assert "strong partnership, excellent reviews" in text
    assert "Hash chain intact" in await page.locator("#chain").inner_text()
    assert await page.locator("#form-DecideApplication").count() == 0  # decided: not offered
    await shot(page, "project-approved")
    assert (await recorded(site, pid))[-1] == "ApplicationApproved"

    # the term starts by a timer; the live panel shows it without a reload
    await ts_env.sleep(timedelta(days=4))
    await page.wait_for_function(
        "() => document.querySelector('#phase').textContent.trim() === 'active'", timeout=30_000
    )
    assert await page.locator("#released").inner_text() == "12,000"

    # the funding chart counts the tranche in the year it was released
    r = await site.api.get("auditor", f"/projects/{pid}/history")
    paid = next(e for e in r.json()["events"] if e["type"] == "TrancheReleased")
    await page.goto(f"{site.url}/ui/portfolio")
    charts = json.loads(await page.locator("#chart-data").inner_text())["charts"]
    assert charts["released_by_year"] == {"IRP": {paid["occurred_at"][:4]: 12000}}
    assert charts["projects_by_state"] == {"active": 1}

    await page.goto(f"{site.url}/ui/deadlines?within=365")
    rows = page.locator("#deadlines tbody tr", has_text=pid)
    assert await rows.count() >= 1
    await shot(page, "deadlines")

    # the person's calendar: a new link, shown once, serving their deadlines
    await page.get_by_role("button", name="Get a new calendar link").click()
    await page.get_by_role("button", name="Replace my calendar link").click()  # confirmed
    link = await page.get_by_label("Your calendar link").input_value()
    feed = await page.request.get(link)
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert pid in await feed.text()
    old = site.api.calendars["institute_officer"]
    assert (await page.request.get(f"{site.url}/calendar/{old}.ics")).status == 404


async def test_a_bad_amount_shows_the_rule_next_to_the_field_and_records_nothing(
    site, page, ts_env
):
    pid = await under_review(site, ts_env)
    before = await recorded(site, pid)
    await site.sign_in(page, "derci_officer")
    await page.goto(f"{site.url}/ui/projects/{pid}")
    form = page.locator("#form-DecideApplication")
    await form.get_by_label("Yes").check()
    await form.get_by_label("Awarded amount (EUR)").fill("120000")
    await form.get_by_label("Reason").fill("too generous")
    await form.get_by_role("button", name="Record the decision").click()

    error = page.locator("#DecideApplication-awarded_eur-error")
    assert await error.inner_text() == "awarded amount 120000 EUR outside IRP range 50000–75000"
    field = page.locator("#DecideApplication-awarded_eur")
    assert await field.get_attribute("aria-invalid") == "true"
    assert await field.input_value() == "120000"  # what was typed is kept
    assert await page.locator("#phase").inner_text() == "under evaluation"
    await shot(page, "refused-amount")

    # a malformed amount is refused by the API's own body validation, named by field
    await form.get_by_label("Awarded amount (EUR)").fill("lots")
    await form.get_by_role("button", name="Record the decision").click()
    assert "awarded_eur" in await error.inner_text()
    assert await recorded(site, pid) == before


async def test_a_coordinator_is_not_offered_the_decision_and_a_forged_post_is_refused(
    site, page, ts_env
):
    pid = await under_review(site, ts_env)
    await site.sign_in(page, "coordinator")
    await page.goto(f"{site.url}/ui/projects/{pid}")
    assert await page.locator("#phase").inner_text() == "under evaluation"
    assert await page.locator("#form-DecideApplication").count() == 0
    assert await page.locator("#no-actions").count() == 1

    csrf = await page.locator("form[action='/ui/signout'] input[name=csrf]").input_value()
    url = f"{site.url}/ui/projects/{pid}/steps/DecideApplication"
    fields = {"approve": "yes", "awarded_eur": "60000", "reason": "I approve myself"}
    forged = await page.request.post(url, form={**fields, "csrf": csrf})
    assert forged.status == 403
    assert "coordinator pi-durand may not decide the application" in await forged.text()
    no_token = await page.request.post(url, form=fields)
    assert no_token.status == 403
    assert "ApplicationApproved" not in await recorded(site, pid)


async def test_filters_and_csv_export_agree_with_the_api(site, page, ts_env):
    irp = await submitted(site.api)
    irn = f"IRN-{uuid.uuid4().hex[:6]}"
    body = application("IRN", institute="INSU").model_dump(mode="json")
    r = await site.api.post("coordinator", "/projects", {"project_id": irn, "application": body})
    assert r.status_code == 201, r.text

    await site.sign_in(page, "auditor")
    for query, expected in (
        ("instrument=IRP", [irp]),
        ("institute=INSU", [irn]),
        ("country=JP", [irn]),
        ("", sorted([irp, irn])),
        ("sort=project_id&descending=true", sorted([irp, irn], reverse=True)),
        ("year=2001", []),
    ):
        await page.goto(f"{site.url}/ui/portfolio?{query}")
        shown = await page.locator("#portfolio tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.project)"
        )
        assert shown == expected, query
        api_params = dict(p.split("=") for p in query.split("&") if p)
        listed = (await site.api.get("auditor", "/projects", **api_params)).json()
        assert [p["project_id"] for p in listed["projects"]] == expected, query

        async with page.expect_download() as download_info:
            await page.get_by_role("link", name="Export CSV").click()
        download = await download_info.value
        exported = list(csv.DictReader(io.StringIO(Path_read(await download.path()))))
        assert [row["Project"] for row in exported] == shown, query
    shown = sorted([irp, irn])

    # the filter form as a person uses it: blank fields mean "any"
    await page.goto(f"{site.url}/ui/portfolio")
    await page.get_by_label("Instrument", exact=True).select_option("IRN")
    await page.get_by_role("button", name="Filter").click()
    await page.wait_for_url("**instrument=IRN**")
    assert await page.locator("#portfolio tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.project)"
    ) == [irn]
    assert irp in shown and irn in shown
    await page.goto(f"{site.url}/ui/portfolio?institute=INSU")
    assert "Totals: 1 projects" in await page.locator("#totals").inner_text()
    charts = json.loads(await page.locator("#chart-data").inner_text())["charts"]
    assert sum(charts["projects_by_state"].values()) == 1  # the charts follow the filters
    assert charts["partner_countries"] == {"BR": 1, "CA": 1, "JP": 1}
    await page.wait_for_function("() => document.body.dataset.chartsDrawn === 'true'")
    await shot(page, "portfolio")


async def test_the_french_page_shows_french_labels_and_the_choice_sticks(site, browser):
    context = await browser.new_context(locale="fr-FR")
    page = await context.new_page()
    try:
        await page.goto(f"{site.url}/ui/signin")
        assert await page.locator("h1").inner_text() == "Se connecter"
        await page.get_by_label("Jeton personnel").fill(site.api.tokens["derci_officer"])
        await page.get_by_role("button", name="Se connecter").click()
        await page.wait_for_url("**/ui/portfolio**")
        assert await page.locator("h1").inner_text() == "Portefeuille"
        assert await page.get_by_role("button", name="Se déconnecter").count() == 1
        await shot(page, "portfolio-fr")
        await page.goto(f"{site.url}/ui/portfolio?instrument=IRP")
        await page.get_by_role("link", name="EN", exact=True).click()
        assert await page.locator("h1").inner_text() == "Portfolio"
        assert "instrument=IRP" in page.url  # switching keeps the filters
        await page.goto(f"{site.url}/ui/deadlines")  # the choice is remembered
        assert await page.locator("h1").inner_text() == "Deadlines"
    finally:
        await context.close()


def Path_read(path) -> str:
    with open(path, encoding="utf-8-sig") as f:  # the export starts with a BOM, for Excel
        return f.read()


async def test_a_coordinator_sees_only_their_own_projects_on_every_page(site, page, ts_env):
    mine = await submitted(site.api)
    theirs = f"IRN-{uuid.uuid4().hex[:6]}"
    other = application(
        "IRN",
        coordinator={
            "id": "pi-other",
            "name": "Omar Other",
            "email": "omar.other@cnrs.example.fr",
            "lab": "LPENS Paris",
        },
    ).model_dump(mode="json")
    r = await site.api.post(
        "other_coordinator", "/projects", {"project_id": theirs, "application": other}
    )
    assert r.status_code == 201, r.text
    await site.sign_in(page, "coordinator")
    shown = await page.locator("#portfolio tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.project)"
    )
    assert shown == [mine]
    csv_text = await (await page.request.get(f"{site.url}/ui/portfolio.csv")).text()
    assert mine in csv_text and theirs not in csv_text
    response = await page.goto(f"{site.url}/ui/projects/{theirs}")
    assert response.status == 404
    assert "does not exist or is not yours to see" in await page.locator("main").inner_text()
    live = await page.request.get(f"{site.url}/ui/projects/{theirs}/live")
    assert live.status == 404 and theirs not in await live.text()


async def test_the_steps_offered_follow_the_project_without_a_reload(site, page, ts_env):
    pid = await submitted(site.api)
    await ts_env.sleep(timedelta(hours=1))
    await site.sign_in(page, "institute_officer")
    await page.goto(f"{site.url}/ui/projects/{pid}")
    assert await page.locator("#form-AssignReviewer").count() == 1
    # another officer assigns the only registered reviewer without conflict: the form
    # offering them goes, the page is not reloaded
    r = await site.api.post("derci_officer", f"/projects/{pid}/reviewers", REVIEWER)
    assert r.status_code == 200, r.text
    await page.evaluate("window.notReloaded = true")
    await page.wait_for_function(
        "() => document.querySelectorAll('#history li[data-type=ReviewerAssigned]').length === 1",
        timeout=30_000,
    )
    options = page.locator("#form-AssignReviewer option")
    await page.wait_for_function(
        "() => ![...document.querySelectorAll('#form-AssignReviewer option')]"
        ".some(o => o.value === 'rev-1')",
        timeout=30_000,
    )
    assert "rev-1" not in await options.evaluate_all("os => os.map(o => o.value)")
    assert await page.evaluate("window.notReloaded") is True
