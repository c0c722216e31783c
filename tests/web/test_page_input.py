"""What a request carries that a page must not trust: the Host header is never written into
a link, a `done` message is only ever one the app wrote, and a bad filter gets a page that
names the filter and shows the input as text, never JSON or markup."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx

from tests.api.test_api import APP, submitted
from tests.web.http_client import csrf_of, signed_in

EVIL = {"Host": "evil.example"}


async def test_a_forged_host_header_appears_in_no_page_link_or_redirect(site):
    pid = await submitted(site.api)
    await site.api.caught_up()
    async with signed_in(site.url, site.api.tokens["derci_officer"]) as http:
        answers = [
            await http.get(path, headers=EVIL)
            for path in (
                "/",
                "/ui",
                "/ui/portfolio/",
                "/ui/signin?lang=fr",
                "/ui/portfolio?instrument=IRP&lang=fr",
                f"/ui/projects/{pid}",
                f"/ui/projects/{pid}?lang=en",
                "/ui/projects/NOPE-1",
                "/ui/deadlines",
                "/ui/portfolio?country=x",
                "/docs",
            )
        ]
        page = (await http.get("/ui/deadlines")).text
        answers.append(
            await http.post(
                "/ui/calendar-link",
                data={"csrf": csrf_of(page), "confirm": "yes"},  # confirmed
                headers=EVIL,
            )
        )
        for r in answers:
            assert "evil.example" not in r.text, r.url
            assert "evil.example" not in str(r.headers), (r.url, r.headers)
        assert 'href="/ui/portfolio?instrument=IRP&amp;lang=en"' in answers[4].text

        # the calendar link is built on the configured public address, and works
        link = answers[-1].text.split('id="calendar-url" readonly size="80" value="')[1]
        link = html.unescape(link.split('"')[0])
        assert link.startswith(f"{site.url}/calendar/") and link.endswith(".ics")
        feed = await http.get(link)
        assert feed.status_code == 200 and pid in feed.text


async def test_only_a_step_this_page_took_is_shown_as_recorded(site, page):
    pid = await submitted(site.api)
    await site.api.caught_up()
    await site.sign_in(page, "derci_officer")
    spoof = "Your grant was cancelled, call +33 1 00 00 00 00"
    await page.goto(f"{site.url}/ui/projects/{pid}?done={spoof}")
    assert await page.locator("[role=status]").count() == 0
    assert "cancelled" not in await page.locator("main").inner_text()
    await page.goto(f"{site.url}/ui/projects/{pid}?done=<b>bold</b>")
    assert await page.locator("[role=status]").count() == 0

    await page.goto(f"{site.url}/ui/projects/{pid}?done=TerminateProject")
    status = await page.locator("[role=status]").inner_text()
    assert status == "Recorded: Terminate the project"
    await page.goto(f"{site.url}/ui/projects/{pid}?done=TerminateProject&lang=fr")
    assert await page.locator("[role=status]").inner_text() == "Enregistré: Mettre fin au projet"


async def test_a_bad_filter_gets_a_page_naming_the_filter_with_the_input_as_text(site, page):
    await site.sign_in(page, "auditor")
    for query, shown in (
        ("country=<script>", "Country does not accept “<script>”."),  # a refused filter
        (  # too long for the filter: refused before it is read
            "country=<script>alert(1)</script>",
            "Country does not accept “<script>alert(1)</script>”.",
        ),
        ("year=<img src=x onerror=alert(1)>", "Year does not accept"),
        ("state=dreaming", "State does not accept “dreaming”."),
        ("after=-1", "The step's position does not accept “-1”."),
    ):
        response = await page.goto(f"{site.url}/ui/portfolio?{query}")
        assert response is not None
        assert response.status == 422, query
        assert response.headers["content-type"].startswith("text/html"), query
        problem = await page.locator("#bad-input li").first.inner_text()
        assert shown in problem, (query, problem)
        assert await page.locator("#bad-input script, #bad-input img").count() == 0
        assert "<script>" not in (await response.text()).split('id="bad-input"')[1]

    response = await page.goto(f"{site.url}/ui/deadlines?within=0&lang=fr")
    assert response is not None and response.status == 422
    assert (
        "La période (jours) n'accepte pas « 0 »." in await page.locator("#bad-input").inner_text()
    )
    response = await page.goto(f"{site.url}/ui/portfolio?country=<script>&lang=fr")
    assert "Pays n'accepte pas « <script> »." in await page.locator("#bad-input").inner_text()
    csv = await page.request.get(f"{site.url}/ui/portfolio.csv?institute=NOPE")
    assert csv.status == 422 and csv.headers["content-type"].startswith("text/html")

    # the API keeps its machine-readable answer
    r = await site.api.get("auditor", "/projects", country="<script>")
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"
    r = await site.api.get("auditor", "/deadlines", within_days="soon")
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"


async def test_the_portfolio_pages_on_from_a_cursor_with_the_whole_lists_totals(site):
    """A page goes on from the cursor the list gave (the API's cursor is the same list's):
    the rows after it, a link back to the first page, the totals and the charts of every
    page; a cursor that is not the list's gets a page naming it."""
    made = sorted([await submitted(site.api) for _ in range(3)])
    await site.api.caught_up()
    first = (await site.api.get("auditor", "/projects", limit=1, sort="project_id")).json()
    assert first["total"] == 3
    async with signed_in(site.url, site.api.tokens["derci_officer"]) as http:
        r = await http.get("/ui/portfolio", params={"sort": "project_id", "cursor": first["next"]})
        assert r.status_code == 200
        shown = [pid for pid in made if f'data-project="{pid}"' in r.text]
        assert shown == made[1:]
        assert "2 shown of 3" in r.text
        assert 'href="/ui/portfolio?sort=project_id">First page</a>' in r.text
        r = await http.get("/ui/portfolio", params={"cursor": "bm90IGEgY3Vyc29y", "lang": "fr"})
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
        assert "cursor" in r.text and made[0] not in r.text


async def test_a_portfolio_row_says_its_state_labs_and_countries_in_the_readers_language(
    site, ts_env
):
    """Each row's cells as the page writes them: the state in the reader's language, the
    partner labs by name (a name's markup escaped), the partner countries."""
    app = {**APP, "labs": [{**APP["labs"][0], "name": "Lab <b>&</b> Co"}, *APP["labs"][1:]]}
    pid = "IRP-cells1"
    r = await site.api.post("coordinator", "/projects", {"project_id": pid, "application": app})
    assert r.status_code == 201, r.text
    await ts_env.sleep(timedelta(hours=1))  # its eligibility checked
    await site.api.caught_up()
    names = "; ".join(html.escape(lab["name"], quote=True) for lab in app["labs"])
    project = (await site.api.get("auditor", f"/projects/{pid}")).json()["project"]
    countries = project["countries"]
    assert countries and project["phase"] == "under_evaluation"
    async with signed_in(site.url, site.api.tokens["derci_officer"]) as http:
        for lang, state in (("en", "under evaluation"), ("fr", "en évaluation")):
            r = await http.get("/ui/portfolio", params={"lang": lang})
            assert r.status_code == 200
            row = r.text.split(f'<tr data-project="{pid}">', 1)[1].split("</tr>", 1)[0]
            cells = [c.split("</td>", 1)[0] for c in row.split("<td")[1:]]
            assert f">{state}</span>" in cells[2], cells[2]
            assert cells[5] == f">{names}", cells[5]
            assert "<b>" not in row
            assert cells[6] == ">" + " ".join(countries)


async def test_an_address_that_is_no_page_answers_a_page_in_the_readers_language(site):
    """A mistyped address under /ui, or an old one, is a page saying so, not the API's JSON."""
    words = {
        "en": "There is no page at this address",
        "fr": "Il n'y a pas de page à cette adresse",
    }
    async with httpx.AsyncClient(base_url=site.url) as anonymous:
        for lang, title in words.items():
            answer = await anonymous.get(
                "/ui/portfolo", headers={"Accept-Language": f"{lang},en;q=0.5"}
            )
            assert answer.status_code == 404
            assert answer.headers["content-type"].startswith("text/html")
            assert title in html.unescape(answer.text)
            assert '"detail"' not in answer.text
    async with signed_in(site.url, site.api.tokens["derci_officer"]) as http:
        answer = await http.get("/ui/projects/IRP-1/nothing", params={"lang": "fr"})
        assert answer.status_code == 404
        assert words["fr"] in html.unescape(answer.text)
    # the API's own addresses keep answering in JSON
    async with httpx.AsyncClient(base_url=site.url) as api:
        answer = await api.get("/nothing-here")
        assert answer.status_code == 404 and answer.json() == {"detail": "Not Found"}


async def test_a_form_opened_before_signing_in_again_is_refused_by_a_page_saying_why(site):
    token = site.api.tokens["derci_officer"]
    async with signed_in(site.url, token) as before:
        opened = csrf_of((await before.get("/ui/deadlines")).text)
    async with signed_in(site.url, token) as again:  # a new session, its own CSRF token
        refused = await again.post(
            "/ui/calendar-link",
            data={"csrf": opened, "confirm": "yes"},
            headers={"Accept-Language": "fr"},
        )
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        said = html.unescape(refused.text)
        assert "Cela ne peut pas être fait ici" in said
        assert "ce formulaire a été ouvert avant votre dernière connexion" in said
        assert "Rien n'a été enregistré." in said
        # and nothing was: the calendar link is the one that session had, none new
        assert 'id="calendar-url"' not in refused.text
