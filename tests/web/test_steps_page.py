"""Steps that can succeed, and say so (issue 17), in Chromium against the real app, in
English and in French: a step held back by a rule says why instead of offering a form;
an amount shows its range and is read as people type it; a day is typed as YYYY-MM-DD
whatever the browser's language; ending a project is set apart and confirmed; a refusal
takes the focus, shows on a phone and its address reloads to the project; a new calendar
link is confirmed, copied and subscribed to. axe-core finds nothing on each state."""

from __future__ import annotations

import asyncio
import html
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.api.test_api import REVIEWER, submitted
from tests.web.axe import axe_clean
from tests.web.conftest import a_page, shot
from tests.web.test_pages import recorded, under_review

ROOT = Path(__file__).resolve().parents[2]
NBSP, NNBSP = "\u00a0", "\u202f"
WORDS = {
    "en": {
        "reviews_note": "Approval needs 1 more review; submitted so far: 0.",
        "no_reviewer": "No reviewer left to assign",
        "decide": "Record the decision",
        "assign": "Assign the reviewer",
        "amount_hint": "Between 50 000 and 75 000 EUR, typed as 60000 or 60 000.",
        "date_hint": "Format YYYY-MM-DD, such as {today}.",
        "date_refused": "write the date as YYYY-MM-DD",
        "amount": "60,000",
        "yes": "Yes",
        "reason": "Reason",
        "awarded": "Awarded amount (EUR)",
        "end": "End this project",
        "confirm": "I confirm ending this project",
        "danger": "Ending the project",
        "confirm_needed": "Tick “I confirm ending this project” to end it.",
        "not_allowed": "This address is not a page to visit",
        "new_link": "Get a new calendar link",
        "warning": "Your previous link will stop working",
        "replace": "Replace my calendar link",
        "link": "Your calendar link",
        "copy": "Copy the link",
        "copied": "Link copied.",
        "subscribe": "Subscribe in your calendar application",
        "errors": "This step was not recorded",
    },
    "fr": {
        "reviews_note": "L'approbation demande encore 1 évaluation ; évaluations rendues : 0.",
        "no_reviewer": "Plus personne à désigner",
        "decide": "Enregistrer la décision",
        "assign": "Désigner l'évaluateur·rice",
        "amount_hint": "Entre 50 000 et 75 000 EUR, saisi comme 60000 ou 60 000.",
        "date_hint": "Format AAAA-MM-JJ, par exemple {today}.",
        "date_refused": "écrivez la date sous la forme AAAA-MM-JJ",
        "amount": f"60{NNBSP}000",
        "yes": "Oui",
        "reason": "Motif",
        "awarded": None,  # read from the page's own label below
        "end": "Mettre fin à ce projet",
        "confirm": "Je confirme mettre fin à ce projet",
        "danger": "Fin du projet",
        "confirm_needed": "Cochez « Je confirme mettre fin à ce projet » pour y mettre fin.",
        "not_allowed": "Cette adresse n'est pas une page à consulter",
        "new_link": "Obtenir un nouveau lien d'agenda",
        "warning": "Votre lien précédent cessera de fonctionner",
        "replace": "Remplacer mon lien d'agenda",
        "link": "Votre lien d'agenda",
        "copy": "Copier le lien",
        "copied": "Lien copié.",
        "subscribe": "S'abonner dans votre application d'agenda",
        "errors": "Cette étape n'a pas été enregistrée",
    },
}
LANGS = pytest.mark.parametrize("lang", ["en", "fr"])


def text_of(value: str) -> str:
    return " ".join(value.replace(NBSP, " ").replace(NNBSP, " ").split())


@LANGS
async def test_a_step_held_back_says_why_and_buttons_say_their_step(site, browser, ts_env, lang):
    words = WORDS[lang]
    pid = await submitted(site.api)
    await ts_env.sleep(timedelta(hours=1))  # eligible: under evaluation
    context, page = await a_page(browser, lang)
    try:
        await site.sign_in(page, "institute_officer", lang)
        await page.goto(f"{site.url}/ui/projects/{pid}")
        # a rejection may be decided now; approval waits for a review, and says so
        decide = page.locator("#form-DecideApplication")
        assert text_of(await decide.locator(".note").inner_text()) == words["reviews_note"]
        assert await decide.locator("button[type=submit]").inner_text() == words["decide"]
        # the reviewer from a partner lab (a conflict of interest) is not offered
        options = page.locator("#form-AssignReviewer option")
        assert await options.evaluate_all("os => os.map(o => o.value)") == ["rev-1"]
        assign = page.locator("#form-AssignReviewer button[type=submit]")
        assert await assign.inner_text() == words["assign"]
        labels = await page.locator("#actions button").all_inner_texts()
        assert "Submit" not in labels and "Envoyer" not in labels
        await axe_clean(page)
        await shot(page, f"steps-held-{lang}")

        # the only reviewer without a conflict is assigned: the step is held, with why
        r = await site.api.post("derci_officer", f"/projects/{pid}/reviewers", REVIEWER)
        assert r.status_code == 200, r.text
        for _ in range(50):  # until the read side has the assignment
            await page.goto(f"{site.url}/ui/projects/{pid}")
            if await page.locator("#held-AssignReviewer").count():
                break
            await asyncio.sleep(0.1)
        assert await page.locator("#form-AssignReviewer").count() == 0
        held = await page.locator("#held-AssignReviewer").inner_text()
        assert words["no_reviewer"] in held
        await axe_clean(page)
    finally:
        await context.close()


@LANGS
async def test_an_amount_shows_its_range_and_is_read_as_typed_and_a_day_is_iso(
    site, browser, ts_env, lang
):
    words = WORDS[lang]
    pid = await under_review(site, ts_env)
    context, page = await a_page(browser, lang)
    try:
        await site.sign_in(page, "institute_officer", lang)
        await page.goto(f"{site.url}/ui/projects/{pid}")
        form = page.locator("#form-DecideApplication")
        amount = form.locator("#DecideApplication-awarded_eur")
        hint = form.locator("#DecideApplication-awarded_eur-hint")
        assert text_of(await hint.inner_text()) == words["amount_hint"]
        assert "DecideApplication-awarded_eur-hint" in await amount.get_attribute(
            "aria-describedby"
        )
        # a day whatever the browser's language: a text field that says its format
        day = form.locator("#DecideApplication-term_starts_at")
        assert await day.get_attribute("type") == "text"
        assert await day.get_attribute("pattern") == "[0-9]{4}-[0-9]{2}-[0-9]{2}"
        today = datetime.now(UTC).date().isoformat()
        day_hint = await form.locator("#DecideApplication-term_starts_at-hint").inner_text()
        assert day_hint == words["date_hint"].format(today=today)
        await axe_clean(page)

        # the server reads YYYY-MM-DD only: 02/01/2027 is refused, in the page's words
        csrf = await form.locator("input[name=csrf]").input_value()
        step = f"{site.url}/ui/projects/{pid}/steps/DecideApplication"
        fields = {"approve": "yes", "awarded_eur": "60000", "reason": "r", "csrf": csrf}
        refused = await page.request.post(step, form={**fields, "term_starts_at": "02/01/2027"})
        assert refused.status == 422
        assert words["date_refused"] in await refused.text()
        assert "ApplicationApproved" not in await recorded(site, pid)

        # grouped thousands, as people write them, are the amount
        await form.get_by_label(words["yes"], exact=True).check()
        await amount.fill(words["amount"])
        starts = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
        await day.fill(starts)
        await form.locator("#DecideApplication-reason").fill("strong partnership")
        await form.get_by_role("button", name=words["decide"]).click()
        await page.wait_for_url(lambda url: "done=DecideApplication" in url)
        r = await site.api.get("auditor", f"/projects/{pid}/history")
        approved = next(e for e in r.json()["events"] if e["type"] == "ApplicationApproved")
        assert approved["data"]["awarded_eur"] == 60_000
        assert approved["data"]["term_starts_at"].startswith(starts)
    finally:
        await context.close()


@LANGS
async def test_a_refusal_takes_the_focus_shows_on_a_phone_and_its_address_reloads(
    site, browser, ts_env, lang
):
    words = WORDS[lang]
    pid = await under_review(site, ts_env)
    context, page = await a_page(browser, lang, viewport={"width": 390, "height": 844})
    try:
        await site.sign_in(page, "derci_officer", lang)
        await page.goto(f"{site.url}/ui/projects/{pid}")
        form = page.locator("#form-DecideApplication")
        await form.get_by_label(words["yes"], exact=True).check()
        await form.locator("#DecideApplication-awarded_eur").fill("120 000")
        await form.locator("#DecideApplication-reason").fill("too generous")
        await form.get_by_role("button", name=words["decide"]).click()
        await page.wait_for_load_state()

        assert page.url.endswith("/steps/DecideApplication#error")
        summary = page.locator("#error")
        assert words["errors"] in await summary.inner_text()
        await page.wait_for_function("() => document.activeElement.id === 'error'")
        box = await summary.bounding_box()
        assert box is not None and -1 <= box["y"] < 844 - 40  # in view on a 390 px phone
        field = page.locator("#DecideApplication-awarded_eur")
        assert await field.get_attribute("aria-invalid") == "true"
        assert await page.locator("#DecideApplication-awarded_eur-error").count() == 1
        # the summary links to the field it is about
        link = summary.locator("a[href='#DecideApplication-awarded_eur']")
        assert await link.count() == 1
        await axe_clean(page)
        await shot(page, f"steps-refused-phone-{lang}")

        # the address after the refusal, reloaded, is the project page, not a bare 405
        answer = await page.goto(page.url.split("#")[0])  # typed again in the address bar
        assert answer is not None and answer.status == 200
        assert page.url.split("#")[0].endswith(f"/ui/projects/{pid}")
        assert await page.locator("h1").inner_text() != ""
        assert "Method Not Allowed" not in await page.content()

        # a method a page's address does not take is answered with a page
        for method in ("PUT", "DELETE"):
            answer = await page.request.fetch(f"{site.url}/ui/portfolio", method=method)
            assert answer.status == 405
            assert answer.headers["content-type"].startswith("text/html")
            assert words["not_allowed"] in html.unescape(await answer.text())
        assert "ApplicationApproved" not in await recorded(site, pid)
    finally:
        await context.close()


@LANGS
async def test_ending_a_project_is_set_apart_named_and_confirmed(site, browser, ts_env, lang):
    words = WORDS[lang]
    pid = await submitted(site.api)
    await ts_env.sleep(timedelta(hours=1))
    context, page = await a_page(browser, lang)
    try:
        await site.sign_in(page, "derci_officer", lang)
        await page.goto(f"{site.url}/ui/projects/{pid}")
        # its own section, the last of the steps, named by what it does
        last = page.locator("#actions > section:last-child")
        assert await last.get_attribute("id") == "danger"
        assert await last.locator("#danger-h").inner_text() == words["danger"]
        assert await last.locator("#form-TerminateProject").count() == 1
        button = last.get_by_role("button", name=words["end"])
        confirm = last.get_by_label(words["confirm"])
        assert await confirm.get_attribute("required") is not None
        await axe_clean(page)

        # checked by the server too: a post without the confirmation ends nothing
        csrf = await last.locator("input[name=csrf]").input_value()
        step = f"{site.url}/ui/projects/{pid}/steps/TerminateProject"
        unconfirmed = await page.request.post(step, form={"csrf": csrf, "reason": "stop"})
        assert unconfirmed.status == 422
        assert "ProjectTerminated" not in await recorded(site, pid)

        # without the browser's own check, the refusal is shown beside the box, focused
        await confirm.evaluate("box => box.removeAttribute('required')")
        await last.locator("#TerminateProject-reason").fill("the partners withdrew")
        await button.click()
        await page.wait_for_function("() => document.activeElement.id === 'error'")
        error = page.locator("#TerminateProject-confirm-error")
        assert await error.inner_text() == words["confirm_needed"]
        await axe_clean(page)
        assert "ProjectTerminated" not in await recorded(site, pid)

        await page.get_by_label(words["confirm"]).check()
        await page.get_by_role("button", name=words["end"]).click()
        await page.wait_for_url(lambda url: "done=TerminateProject" in url)
        assert (await recorded(site, pid))[-1] == "ProjectTerminated"
    finally:
        await context.close()


@LANGS
async def test_a_new_calendar_link_is_confirmed_copied_and_keeps_the_view(site, browser, lang):
    words = WORDS[lang]
    context, page = await a_page(browser, lang)
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    try:
        await site.sign_in(page, "institute_officer", lang)
        await page.goto(f"{site.url}/ui/deadlines?within=30")
        await page.get_by_role("button", name=words["new_link"]).click()
        # a confirmation first: the previous link will stop working
        panel = page.locator("#calendar-confirm")
        assert words["warning"] in await panel.inner_text()
        await page.wait_for_function("() => document.activeElement.id === 'calendar-confirm'")
        old = site.api.calendars["institute_officer"]
        assert (await page.request.get(f"{site.url}/calendar/{old}.ics")).status == 200
        await axe_clean(page)

        await page.get_by_role("button", name=words["replace"]).click()
        link = await page.get_by_label(words["link"]).input_value()
        assert link.startswith(f"{site.url}/calendar/") and link.endswith(".ics")
        # the view the person was on is kept
        assert (await page.locator(".tabs a[aria-current=page]").inner_text()).startswith("30")
        subscribe = page.get_by_role("link", name=words["subscribe"])
        assert await subscribe.get_attribute("href") == "webcal://" + link.split("://", 1)[1]
        await page.get_by_role("button", name=words["copy"]).click()
        await page.wait_for_function(
            "() => document.getElementById('calendar-copied').textContent !== ''"
        )
        assert await page.locator("#calendar-copied").inner_text() == words["copied"]
        assert await page.evaluate("navigator.clipboard.readText()") == link
        await axe_clean(page)
        await shot(page, f"calendar-link-{lang}")

        assert (await page.request.get(link)).status == 200
        assert (await page.request.get(f"{site.url}/calendar/{old}.ics")).status == 404
    finally:
        await context.close()
