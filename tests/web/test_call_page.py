"""The IEA call page (/ui/calls/{year}) in Chromium against the real app: an institute
officer ranks the institute's applications, DERCI closes the call from the proposal the
page shows, and the page then shows each application's placement and the envelope used;
a coordinator is refused the page. axe-core finds nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

from application.policies import Policies
from application.projects import ProjectService
from domain.commands import AssignReviewer, SubmitReview
from domain.events import Recommendation
from domain.institutes import Institute
from domain.policy import CallCalendar, Policy
from domain.state import Phase
from tests.api.conftest import PEOPLE
from tests.builders import INSTITUTE, reviewer, reviewer_actor
from tests.web.axe import axe_violations
from tests.web.conftest import a_page, shot
from tests.workflows.driver import ProjectDriver


async def a_call_under_evaluation(site, ts_env, service, event_store) -> tuple[int, list[str]]:
    """Three IEAs of next year's call (two INSB, one INC), reviewed, and an envelope for
    two of them."""
    policy = Policy(iea_call=CallCalendar(envelope_eur=24_000))
    await Policies(event_store).set(
        PEOPLE["derci_officer"], policy.model_dump(mode="json"), date.today(), "call budget"
    )
    projects = ProjectService(ts_env.client, service.task_queue, policy)
    drivers = []
    for n, institute in enumerate(
        (Institute.CNRS_BIOLOGIE, Institute.CNRS_BIOLOGIE, Institute.CNRS_CHIMIE)
    ):
        driver = ProjectDriver(ts_env, projects, f"IEA-page-{n}")
        if n == 0:
            await driver.enter_next_iea_call()
        await driver.submit("IEA", institute=institute, requested_eur=12_000)
        drivers.append(driver)
    year = (await drivers[0].now()).year
    await drivers[0].sleep_until(datetime(year, 9, 16, 12, tzinfo=UTC))
    for n, driver in enumerate(drivers):
        await driver.wait_for(lambda s: s.phase is Phase.UNDER_EVALUATION, "eligible")
        await driver.act(AssignReviewer, INSTITUTE, reviewer=reviewer(f"rev-{n}"))
        await driver.act(
            SubmitReview, reviewer_actor(f"rev-{n}"), scores={"science": 4},
            recommendation=Recommendation.FUND,
        )  # fmt: skip
    await site.api.caught_up()
    return year, [d.project_id for d in drivers]


async def test_an_institute_ranks_and_derci_closes_the_call_from_its_page(
    site, browser, ts_env, service, event_store
):
    year, (b1, b2, c1) = await a_call_under_evaluation(site, ts_env, service, event_store)
    context, page = await a_page(browser, "en")
    try:
        await site.sign_in(page, "institute_officer")
        await page.locator("nav[aria-label=main] a[href='/ui/calls']").count()
        await page.goto(f"{site.url}/ui/calls/{year}")
        assert await page.locator("#summary h2").inner_text() == (
            "Under evaluation: rankings, then DERCI's closing"
        )
        assert await page.locator("#close-form").count() == 0  # DERCI's, not theirs
        # a ranking naming another institute's application is refused beside the form
        await page.locator("#r-institute").select_option("INSB")
        await page.locator("#r-ranking").fill(f"{b2}\n{c1}")
        await page.locator("#r-reason").fill("committee of 12 May")
        await page.locator("#rank-form button[type=submit]").click()
        assert f"{c1} not among INSB's eligible applications" in (
            await page.locator("#refusal").inner_text()
        )
        assert await page.locator("#r-ranking").input_value() == f"{b2}\n{c1}"  # kept
        await page.locator("#r-ranking").fill(f"{b2}\n{b1}")
        await page.locator("#rank-form button[type=submit]").click()
        await page.wait_for_url(f"**/ui/calls/{year}#rankings")
        await page.locator("#r-institute").select_option("INC")
        await page.locator("#r-ranking").fill(c1)
        await page.locator("#r-reason").fill("our one application")
        await page.locator("#rank-form button[type=submit]").click()
        await page.wait_for_url(f"**/ui/calls/{year}#rankings")
        insb = page.locator("#rankings li[data-institute=INSB]")
        assert f"{b2}, {b1}" in await insb.inner_text()
        assert await axe_violations(page) == []
        await context.close()

        context, page = await a_page(browser, "fr")
        await site.sign_in(page, "derci_officer", "fr")
        await page.goto(f"{site.url}/ui/calls/{year}")
        # the proposal: each institute's first within the envelope, INSB's second beyond it
        assert await page.locator(f"tr[data-project={b2}]").get_attribute("data-why") == "within"
        assert await page.locator(f"tr[data-project={c1}]").get_attribute("data-why") == "within"
        assert await page.locator(f"tr[data-project={b1}]").get_attribute("data-why") == "envelope"
        assert await page.locator("#used").inner_text() == "24\u202f000"
        await page.locator("#c-adjustments").fill(f"{b2} = lots")
        await page.locator("#c-reason").fill("as ranked")
        await page.locator("#close-form button[type=submit]").click()
        assert await page.locator("#c-adjustments").get_attribute("aria-invalid") == "true"
        await page.locator("#c-adjustments").fill("")
        await page.locator("#close-form button[type=submit]").click()
        assert await page.locator("#closed-now").inner_text() == (
            "L'appel est clos\u00a0: 2 retenues, 1 non retenues."
        )
        assert await page.locator("#summary h2").inner_text() == (
            "Clos\u00a0: toutes les demandes décidées"
        )
        assert await page.locator("#close-form").count() == 0
        await site.api.caught_up()
        await page.goto(f"{site.url}/ui/projects/{b1}")
        history = await page.locator("main").inner_text()
        assert "classé n° 2 par INSB\u00a0; au-delà de l'enveloppe 2027" in history
        assert await page.locator("#next-term").count() == 0  # refused: no term ahead
        await page.goto(f"{site.url}/ui/calls/{year}")
        assert await axe_violations(page) == []
        await shot(page, "call-fr")
        await context.close()

        context, page = await a_page(browser, "en")
        await site.sign_in(page, "coordinator")
        assert await page.locator("nav[aria-label=main] a[href='/ui/calls']").count() == 0
        refused = await page.goto(f"{site.url}/ui/calls/{year}")
        assert refused is not None and refused.status == 403
        assert "may not see the call's applications" in await page.locator("#refusal").inner_text()
    finally:
        await context.close()
