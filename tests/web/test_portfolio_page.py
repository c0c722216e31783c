"""The portfolio, trusted at a glance (issue 17), in Chromium against the real app: one colour
per state in the charts and the badges, countries by name, whole-number axes, empty charts
that say so; the year filter that says which year and finds the projects active in it; the
term shown once a decision fixes it; the export of the list on screen, as each language's
spreadsheet reads it; a phone-wide page; static files compressed and cached; a coordinator's
own list. axe-core finds nothing, in both languages and at phone size."""

from __future__ import annotations

import csv
import gzip
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from readmodels.views import PortfolioRow
from tests.api.test_api import REVIEWER, submitted
from tests.web.axe import axe_clean
from tests.web.conftest import a_page, shot
from web.pages import STATIC, STATIC_CACHE, STATIC_PREFIX, _csv

ROOT = Path(__file__).resolve().parents[2]
LANGS = pytest.mark.parametrize("lang", ["en", "fr"])
PHONE = {"width": 390, "height": 844}
TERM_2027 = "2027-03-01T00:00:00Z"


async def approved_from(api, ts_env, starts_at: str = TERM_2027) -> str:
    """An IRP approved with its term starting on `starts_at` (not started yet)."""
    pid = await submitted(api)
    await ts_env.sleep(timedelta(hours=1))
    r = await api.post("institute_officer", f"/projects/{pid}/reviewers", REVIEWER)
    assert r.status_code == 200, r.text
    r = await api.post(
        "reviewer", f"/projects/{pid}/reviews", {"scores": {"science": 5}, "recommendation": "fund"}
    )
    assert r.status_code == 200, r.text
    r = await api.post(
        "institute_officer",
        f"/projects/{pid}/decision",
        {"approve": True, "awarded_eur": 60000, "reason": "strong", "term_starts_at": starts_at},
    )
    assert r.status_code == 200 and r.json()["phase"] == "approved", r.text
    return pid


async def shown_ids(page) -> list[str]:
    return await page.locator("#portfolio tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.project)"
    )


async def charts_drawn(page) -> None:
    await page.wait_for_function("() => document.body.dataset.chartsDrawn === 'true'")


# the colour a CSS colour text computes to, as the page's own badges compute theirs
_RGB = """c => { const e = document.createElement('span'); e.style.color = c;
  document.body.appendChild(e); const v = getComputedStyle(e).color; e.remove(); return v; }"""


@LANGS
async def test_empty_charts_say_so_in_the_pages_language(site, browser, lang):
    context, page = await a_page(browser, lang)
    try:
        await site.sign_in(page, "derci_officer", lang)
        assert await page.locator("canvas").count() == 0
        said = {
            "en": ("Nothing released yet.", "No project to count yet.", "No partner country yet."),
            "fr": (
                "Rien n'a encore été versé.",
                "Aucun projet à compter pour l'instant.",
                "Aucun pays partenaire pour l'instant.",
            ),
        }[lang]
        for which, text in zip(("released", "states", "countries"), said, strict=True):
            assert await page.locator(f"#empty-{which}").inner_text() == text
        await charts_drawn(page)
        await axe_clean(page)
    finally:
        await context.close()


@LANGS
async def test_one_colour_per_state_countries_by_name_and_whole_number_axes(
    site, browser, ts_env, lang
):
    irp = await submitted(site.api)  # under evaluation within the hour
    approved = await approved_from(site.api, ts_env)
    context, page = await a_page(browser, lang)
    try:
        await site.sign_in(page, "derci_officer", lang)
        await charts_drawn(page)
        assert sorted(await shown_ids(page)) == sorted([irp, approved])

        # the doughnut's colour for each state is the state badge's, in the table and on
        # the project page alike
        drawn = await page.evaluate(
            """() => { const c = Chart.getChart('chart-states');
                 const phases = c.canvas.dataset.phases.split(' ');
                 return Object.fromEntries(phases.map((p, i) =>
                     [p, c.data.datasets[0].backgroundColor[i]])); }"""
        )
        assert set(drawn) == {"approved", "under_evaluation"}
        colours = set()
        for phase, colour in drawn.items():
            badge = page.locator(f"#portfolio .phase-{phase}").first
            computed = await badge.evaluate("e => getComputedStyle(e).backgroundColor")
            assert await page.evaluate(_RGB, colour) == computed, phase
            colours.add(computed)
        assert len(colours) == 2  # two states, two colours
        in_table = await page.locator("#portfolio .phase-approved").evaluate(
            "e => getComputedStyle(e).backgroundColor"
        )
        await page.goto(f"{site.url}/ui/projects/{approved}")
        on_its_page = await page.locator("#phase").evaluate(
            "e => getComputedStyle(e).backgroundColor"
        )
        assert on_its_page == in_table

        # every country bar by its name in the page's language; counts on whole numbers
        await page.goto(f"{site.url}/ui/portfolio")
        await charts_drawn(page)
        bars = await page.evaluate(
            """() => { const c = Chart.getChart('chart-countries');
                 return { labels: c.data.labels,
                          ticks: c.scales.x.ticks.map(t => t.value) }; }"""
        )
        assert bars["labels"] == [{"en": "Brazil", "fr": "Brésil"}[lang]]
        assert bars["ticks"] and all(float(v).is_integer() for v in bars["ticks"])
        figures = await page.locator(".chart-data table").nth(2).text_content() or ""
        assert {"en": "Brazil", "fr": "Brésil"}[lang] in figures
        await axe_clean(page)
        await shot(page, f"portfolio-desktop-{lang}")
    finally:
        await context.close()


@LANGS
async def test_the_year_filter_names_its_year_and_finds_the_projects_active_then(
    site, browser, ts_env, lang
):
    starting = await approved_from(site.api, ts_env)  # approved now, its term from 2027
    pending = await submitted(site.api)  # submitted this year, nothing decided
    this_year = datetime.now(UTC).year
    assert this_year < 2027
    context, page = await a_page(browser, lang)
    try:
        await site.sign_in(page, "derci_officer", lang)
        await page.goto(f"{site.url}/ui/portfolio?year=2027")
        assert await shown_ids(page) == [starting]
        note = {"en": "Projects active in 2027", "fr": "Projets actifs en 2027"}[lang]
        assert await page.locator("#year-note").inner_text() == note
        label = {"en": "Active in (year)", "fr": "Actifs en (année)"}[lang]
        assert await page.get_by_label(label).input_value() == "2027"
        listed = (await site.api.get("auditor", "/projects", year="2027")).json()
        assert [p["project_id"] for p in listed["projects"]] == [starting]

        # the term the decision fixed, before it starts: its start and start + 5 years (IRP)
        term = page.locator(f"#portfolio tr[data-project='{starting}'] td.term")
        assert await term.inner_text() == "2027-03-01 → 2032-03-01"
        for year, expected in ((this_year, sorted([starting, pending])), (2032, [starting])):
            await page.goto(f"{site.url}/ui/portfolio?year={year}")
            assert await shown_ids(page) == expected, year
        await page.goto(f"{site.url}/ui/portfolio?year=2033")
        assert await shown_ids(page) == []
        await axe_clean(page)
    finally:
        await context.close()


def _filename(disposition: str) -> str:
    found = re.search(r'filename="([^"]+)"', disposition)
    assert found, disposition
    return found.group(1)


async def test_the_export_is_the_list_on_screen_as_each_spreadsheet_reads_it(site, browser, ts_env):
    irp = await submitted(site.api)
    approved = await approved_from(site.api, ts_env)
    today = datetime.now(UTC).date().isoformat()
    for lang, separator, name, header, state in (
        ("fr", ";", f"portefeuille-{today}.csv", "Projet", "approuvé"),
        ("en", ",", f"portfolio-{today}.csv", "Project", "approved"),
    ):
        context, page = await a_page(browser, lang)
        try:
            await site.sign_in(page, "derci_officer", lang)
            await page.goto(f"{site.url}/ui/portfolio?state=approved")
            assert await shown_ids(page) == [approved]
            link = page.get_by_role(
                "link", name={"fr": "Exporter en CSV", "en": "Export CSV"}[lang]
            )
            assert "state=approved" in (await link.get_attribute("href") or "")
            async with page.expect_download() as download_info:
                await link.click()
            download = await download_info.value
            assert download.suggested_filename == name
            raw = Path(await download.path()).read_bytes()
            assert raw.startswith(b"\xef\xbb\xbf"), lang  # UTF-8 with BOM: Excel reads é
            text = raw.decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text), delimiter=separator))
            assert rows[0][0] == header and len(rows[0]) == 17, rows[0]
            assert [r[0] for r in rows[1:]] == [approved]  # the filter on screen
            assert rows[1][3] == state
            assert rows[1][8:10] == ["2027-03-01", "2032-03-01"]
            response = await page.request.get(f"{site.url}/ui/portfolio.csv")
            assert _filename(response.headers["content-disposition"]) == name
            every = list(
                csv.reader(
                    io.StringIO((await response.text()).lstrip("\ufeff")), delimiter=separator
                )
            )
            assert sorted(r[0] for r in every[1:]) == sorted([irp, approved])
        finally:
            await context.close()
    french = _csv([_row('=HYPERLINK("http://x")')], "fr").lstrip("\ufeff")
    cells = next(iter(csv.reader(io.StringIO(french.splitlines()[1]), delimiter=";")))
    assert cells[2] == '\'=HYPERLINK("http://x")'  # still text to the spreadsheet


def _row(title: str) -> PortfolioRow:
    now = datetime.now(UTC)
    return PortfolioRow(
        project_id="IRP-1",
        instrument="IRP",
        title=title,
        phase="submitted",
        coordinator_id="pi",
        coordinator="Claire; Durand",
        labs=[],
        countries=["FR"],
        call_id=None,
        requested_eur=1,
        awarded_eur=None,
        released_eur=0,
        term_number=None,
        term_starts_at=None,
        term_ends_at=None,
        renewals=0,
        successor_id=None,
        version=1,
        updated_at=now,
        institute=None,
    )


@LANGS
async def test_on_a_phone_the_table_scrolls_in_its_box_not_the_page(site, browser, ts_env, lang):
    await submitted(site.api)
    await approved_from(site.api, ts_env)
    context, page = await a_page(browser, lang, viewport=PHONE)
    try:
        await site.sign_in(page, "derci_officer", lang)
        await charts_drawn(page)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        box = page.locator(".table-scroll")
        assert await box.evaluate("e => e.scrollWidth > e.clientWidth")  # it scrolls inside
        await axe_clean(page)
        await shot(page, f"portfolio-phone-{lang}")
        await page.goto(f"{site.url}/ui/portfolio?year=2027&state=approved")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        await context.close()
    context, page = await a_page(browser, lang, viewport=PHONE)
    try:
        await site.sign_in(page, "coordinator", lang)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await axe_clean(page)
        await shot(page, f"portfolio-coordinator-phone-{lang}")
    finally:
        await context.close()


async def test_static_files_arrive_compressed_and_are_cached_for_a_year(site, page):
    await site.sign_in(page, "derci_officer")
    scripts = await page.locator("script[src]").evaluate_all("s => s.map(e => e.src)")
    chart = next(s for s in scripts if "/vendor/chart-" in s)
    assert chart.startswith(f"{site.url}{STATIC_PREFIX}/")  # versioned by the files' content
    original = (STATIC / "vendor" / chart.rsplit("/", 1)[1]).read_bytes()
    async with httpx.AsyncClient() as http:
        for path, kind in ((chart, "javascript"), (f"{site.url}{STATIC_PREFIX}/app.css", "css")):
            r = await http.get(path, headers={"Accept-Encoding": "gzip"})
            assert r.status_code == 200, path
            assert r.headers["content-encoding"] == "gzip", path
            assert (
                r.headers["cache-control"]
                == STATIC_CACHE
                == ("public, max-age=31536000, immutable")
            )
            assert kind in r.headers["content-type"]
        r = await http.get(chart, headers={"Accept-Encoding": "gzip"})
        assert r.content == original  # httpx undid the gzip: the same file
        raw = await http.get(chart, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in raw.headers and raw.content == original
        # what travels: about a third of the file
        async with http.stream("GET", chart, headers={"Accept-Encoding": "gzip"}) as streamed:
            sent = b"".join([chunk async for chunk in streamed.aiter_raw()])
        assert len(sent) < len(original) / 2 and gzip.decompress(sent) == original


@LANGS
async def test_a_coordinator_sees_their_projects_and_what_falls_due_next(
    site, browser, ts_env, lang
):
    approved = await approved_from(site.api, ts_env)
    evaluated = await submitted(site.api)
    await ts_env.sleep(timedelta(hours=1))  # eligible: its evaluation has a deadline
    context, page = await a_page(browser, lang)
    try:
        await site.sign_in(page, "coordinator", lang)
        heading = {"en": "My projects", "fr": "Mes projets"}[lang]
        assert await page.locator("h1").inner_text() == heading
        assert sorted(await shown_ids(page)) == sorted([approved, evaluated])
        # no dashboard of the whole portfolio
        for absent in ("#totals", "#chart-data", "canvas", ".charts", "form.filters"):
            assert await page.locator(absent).count() == 0, absent
        assert "chart-4" not in await page.content()
        for pid in (approved, evaluated):
            answer = await site.api.get("coordinator", f"/projects/{pid}")
            first = answer.json()["deadlines"][0]
            cell = page.locator(f"#portfolio tr[data-project='{pid}'] td.next-due")
            assert await cell.locator("time").inner_text() == first["due_at"][:10], pid
            label = await cell.locator("small").inner_text()
            # the label in the page's language (the API answered in English)
            assert (label == first["label"]) == (lang == "en"), (label, first["label"])
        assert "awaiting" not in await page.locator("#portfolio").inner_text()
        await axe_clean(page)
        await shot(page, f"portfolio-coordinator-{lang}")
    finally:
        await context.close()
