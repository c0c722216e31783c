"""The calendar feed: its text (RFC 5545, the same entries as the icalendar library gave),
its window, its validators (ETag, Last-Modified, 304) and its one credential, the token."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from api.calendar import FeedCache, etag, ics, labels_in, not_modified
from application.language import deadline_in
from bench.calendar_feed import entries, reference_ics
from domain.said import as_data, said
from readmodels import calendar_feed
from readmodels.calendar_feed import WINDOW_AHEAD, WINDOW_PAST
from readmodels.queries import DeadlineRow
from tests.api.test_api import REVIEWER, submitted

NOW = datetime(2026, 12, 3, 9, 30, 15, tzinfo=UTC)
LONG = "Laboratoire international franco-japonais d'études avancées " * 3


def _row(project_id: str, title: str | None, label: str, **more) -> DeadlineRow:
    fields = {"kind": "report", "ref": "term1-year1", "due_at": NOW + timedelta(days=40)}
    return DeadlineRow(project_id=project_id, title=title, label=label, **{**fields, **more})


AWKWARD = [
    _row("IRP-2024-001", "Glaciers, climat; sociétés", "report term1-year1 due"),
    _row("IRL-2025-002", "C:\\chemins\\et\\barres", "tranche 2 of 5: 12,000 EUR"),
    _row("IEA-2026-003", "Deux\nlignes\r\net\rtrois", "label;with,every\\thing\nat once"),
    _row("IRN-2023-004", None, "term 1 ends; closure unless renewed", kind="term_end"),
    _row("IRP-2024-005", LONG, LONG, ref="term2-year3"),  # folded, accents at the cuts
    _row("IRP-2024-006", "é" * 80, "ü" * 70 + "€𝄞" * 10, kind="final_report", ref="final"),
    _row(
        "IRP-2024-007",
        "Tabs\tand  spaces ",
        "evaluation closes",
        kind="evaluation",
        ref="evaluation",
        due_at=datetime(2026, 12, 31, 22, 0, tzinfo=timezone(timedelta(hours=-5))),
    ),
    _row("IRP-2024-008", "UTC day", "due late", due_at=datetime(2026, 12, 31, 23, 59, tzinfo=UTC)),
]


def _normalised(rows: list[DeadlineRow]) -> list[DeadlineRow]:
    """What the old builder was given, with the newlines a content line can carry: a bare
    CR (which icalendar wrote raw, breaking its own line) is read as a newline by both."""

    def fix(text: str | None) -> str | None:
        return text.replace("\r\n", "\n").replace("\r", "\n") if text else text

    return [d.model_copy(update={"title": fix(d.title), "label": fix(d.label)}) for d in rows]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_text_parses_to_what_the_icalendar_library_wrote(lang):
    ours = ics("Paul Martin", AWKWARD, NOW, lang)
    before = reference_ics("Paul Martin", _normalised(AWKWARD), NOW, lang)
    assert entries(ours) == entries(before)
    assert len(entries(ours)[1]) == len(AWKWARD)


def test_the_text_is_rfc_5545_content_lines():
    body = ics("Inès Leroy, DERCI; audit", AWKWARD, NOW, "fr")
    assert body.endswith(b"END:VCALENDAR\r\n")
    text = body.decode("utf-8")  # folding never cuts a UTF-8 sequence
    lines = body.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # long lines were folded
    # each entry on its UTC day (22:00 at UTC-5 is the next day's 03:00 UTC)
    assert "evaluation closes\r\nDTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20270102" in text
    assert "due late\r\nDTSTART;VALUE=DATE:20261231\r\nDTEND;VALUE=DATE:20270101" in text
    assert "DTSTAMP:20261203T093015Z" in text
    assert "SUMMARY:IRP-2024-001 Glaciers\\, climat\\; sociétés\u00a0: report term1-year1" in text
    assert "UID:IRP-2024-001-report-term1-year1@collab-lifecycle\r\n" in text
    assert "CATEGORIES:term_end\r\n" in text
    # the calendar's name is TEXT too (icalendar left X- properties unescaped)
    unfolded = text.replace("\r\n ", "")
    assert "X-WR-CALNAME:collab-lifecycle\u00a0: Inès Leroy\\, DERCI\\; audit\r\n" in unfolded
    cal = Calendar.from_ical(body)
    summaries = [str(e["summary"]) for e in cal.walk("VEVENT")]
    assert "IEA-2026-003 Deux\nlignes\net\ntrois\u00a0: label;with,every\\thing\nat once" in (
        summaries
    )


def test_labels_are_said_in_the_feeds_language_once_each():
    message = said("tranche {year} of {of}: {amount}", year=2, of=5, amount="12,000 EUR")
    rows = [
        _row(f"IRP-2024-{i:03d}", "T", str(message), label_said=json.dumps(as_data(message)))
        for i in range(3)
    ]
    translated = [deadline_in(d, "fr") for d in rows]
    assert translated[0].label != rows[0].label
    assert ics("P", rows, NOW, "fr", labels_in("fr")) == ics("P", translated, NOW, "fr")
    assert ics("P", rows, NOW, "en", labels_in("en")) == ics("P", rows, NOW, "en")


def test_preconditions_and_the_process_cache():
    tag = etag(["pi-durand", "coordinator", "Claire", "fr", "2026-12-03", "3.41.00ff"])
    assert tag.startswith('W/"') and tag != etag(["pi-durand", "coordinator", "Claire", "en"])
    since = NOW.replace(microsecond=0)
    assert not_modified(tag, since, tag, None)
    assert not_modified(tag, since, f'"other", {tag.removeprefix("W/")}', None)
    assert not_modified(tag, since, "*", None)
    assert not not_modified(tag, since, '"other"', "Thu, 03 Dec 2026 09:30:15 GMT")
    assert not_modified(tag, since, None, "Thu, 03 Dec 2026 09:30:15 GMT")
    assert not not_modified(tag, since, None, "Thu, 03 Dec 2026 09:30:14 GMT")
    assert not not_modified(tag, since, None, "not a date")
    assert not not_modified(tag, since, None, None)

    cache = FeedCache(max_entries=2, max_bytes=10)
    cache.put("a", b"12345")
    cache.put("b", b"12345")
    assert cache.get("a") == b"12345"  # used last: kept
    cache.put("c", b"1")  # over the bytes: the least recent goes
    assert cache.get("b") is None and cache.size == (2, 6)
    cache.put("d", b"1")  # over the entries
    assert cache.get("a") is None and cache.size == (2, 2)
    cache.put("huge", b"x" * 11)
    assert cache.get("huge") is None

    first = cache.last_modified(("p", "en"), "t1", NOW)
    assert cache.last_modified(("p", "en"), "t1", NOW + timedelta(hours=1)) == first
    # a new tag in the same second still dates later: a client holding t1 never matches
    assert cache.last_modified(("p", "en"), "t2", NOW) == first + timedelta(seconds=1)


# --- through the API -------------------------------------------------------------------------


async def _feed(api, who: str = "derci_officer", **headers: str):
    await api.caught_up()
    return await api.http.get(f"/calendar/{api.calendars[who]}.ics", headers=headers)


def _uids(body: bytes) -> set[str]:
    return {str(e["uid"]) for e in Calendar.from_ical(body).walk("VEVENT")}


async def a_project_due(owner, pid: str, due: dict[str, datetime]) -> None:
    """A project's read models as the projector writes them, with those deadlines."""
    await owner.execute(
        "INSERT INTO project_states (project_id, version, state) VALUES ($1, 1, '{}')", pid
    )
    await owner.execute(
        """INSERT INTO portfolio (project_id, instrument, title, phase, coordinator_id,
               coordinator, labs, countries, requested_eur, released_eur, renewals, version,
               updated_at)
           VALUES ($1, 'IRP', 'Fenêtre', 'active', 'pi-nobody', 'Nobody', '[]', '{FR}',
               1000, 0, 0, 1, now())""",
        pid,
    )
    for ref, at in due.items():
        await owner.execute(
            "INSERT INTO deadlines (project_id, kind, ref, due_at, label) "
            "VALUES ($1, 'report', $2, $3, 'due')",
            pid,
            ref,
            at,
        )


def _shown(pid: str, body: bytes) -> set[str]:
    return {
        u.removeprefix(f"{pid}-report-").removesuffix("@collab-lifecycle")
        for u in _uids(body)
        if u.startswith(pid)
    }


async def test_the_feed_holds_the_window_only(api, owner):
    """From 90 days ago to two years ahead, by UTC day: older and later deadlines are left
    out (they stay in GET /deadlines and on the pages)."""
    pid = "IRP-WINDOW1"
    now = datetime.now(UTC)
    due = {
        "past-100-days": now - timedelta(days=100),
        "past-80-days": now - timedelta(days=80),
        "first-day": now - WINDOW_PAST,
        "ahead-729-days": now + timedelta(days=729),
        "last-day": now + WINDOW_AHEAD,
        "ahead-2-years-and-5-days": now + WINDOW_AHEAD + timedelta(days=5),
        "ahead-5-years": now + timedelta(days=5 * 365),
    }
    await a_project_due(owner, pid, due)
    r = await _feed(api)
    assert r.status_code == 200
    assert _shown(pid, r.content) == {"past-80-days", "first-day", "ahead-729-days", "last-day"}
    # the list of deadlines still holds them all
    listed = await api.every("derci_officer", "/deadlines", "deadlines", within_days=3650)
    assert {d["ref"] for d in listed if d["project_id"] == pid} >= {
        "past-100-days",
        "ahead-5-years",
    }


async def test_a_feed_holds_the_deadlines_nearest_today_up_to_its_bound(api, owner, monkeypatch):
    """Past its bound a feed keeps the latest overdue (up to their share) and the soonest
    coming, in due order; the rest stay in GET /deadlines."""
    monkeypatch.setattr(calendar_feed, "MOST_ENTRIES", 5)
    monkeypatch.setattr(calendar_feed, "MOST_OVERDUE", 2)
    pid = "IRP-BOUND1"
    now = datetime.now(UTC)
    days = (-60, -30, -3, 1, 2, 3, 40, 400)
    await a_project_due(owner, pid, {f"d{d}": now + timedelta(days=d) for d in days})
    r = await _feed(api)
    assert r.status_code == 200
    assert _shown(pid, r.content) == {"d-30", "d-3", "d1", "d2", "d3"}
    starts = [str(e["dtstart"].dt) for e in Calendar.from_ical(r.content).walk("VEVENT")]
    assert starts == sorted(starts)
    # fewer overdue than their share: the coming fill the feed
    monkeypatch.setattr(calendar_feed, "MOST_OVERDUE", 4)
    monkeypatch.setattr(calendar_feed, "MOST_ENTRIES", 6)
    # (in French: the process keeps the English feed built for the same rows)
    r = await api.http.get(f"/calendar/{api.calendars['derci_officer']}.ics?lang=fr")
    assert _shown(pid, r.content) == {"d-60", "d-30", "d-3", "d1", "d2", "d3"}
    listed = await api.every("derci_officer", "/deadlines", "deadlines", within_days=3650)
    assert {d["ref"] for d in listed if d["project_id"] == pid} == {f"d{d}" for d in days}


async def test_a_poll_with_its_validators_is_answered_304(api):
    await submitted(api)
    first = await _feed(api)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/calendar")
    tag, modified = first.headers["etag"], first.headers["last-modified"]
    assert tag.startswith('W/"') and first.headers["cache-control"] == "private, no-cache"

    again = await _feed(api, **{"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    since = await _feed(api, **{"If-Modified-Since": modified})
    assert since.status_code == 304 and since.content == b""
    # nothing changed: the same feed (from the process cache), and the same validators
    repeat = await _feed(api)
    assert repeat.status_code == 200 and repeat.headers["etag"] == tag
    assert entries(repeat.content) == entries(first.content)

    # another language is another feed; another person's validator is not this feed's
    french = await api.http.get(
        f"/calendar/{api.calendars['derci_officer']}.ics",
        params={"lang": "fr"},
        headers={"If-None-Match": tag},
    )
    assert french.status_code == 200 and french.headers["etag"] != tag
    theirs = await _feed(api, "coordinator", **{"If-None-Match": tag})
    assert theirs.status_code == 200 and theirs.headers["etag"] != tag


def _summaries(body: bytes) -> dict[str, str]:
    return {str(e["uid"]): str(e["summary"]) for e in Calendar.from_ical(body).walk("VEVENT")}


async def test_a_step_that_changes_deadlines_changes_the_feed(api, ts_env):
    pid = await submitted(api)
    await ts_env.sleep(timedelta(hours=1))  # eligible: under evaluation, its deadline set
    evaluation = f"{pid}-evaluation-evaluation@collab-lifecycle"
    before = await _feed(api)
    tag = before.headers["etag"]
    assert _summaries(before.content)[evaluation].endswith(": evaluation closes")
    reviewer_before = await _feed(api, "reviewer")
    assert evaluation not in _uids(reviewer_before.content)
    assert (await _feed(api, **{"If-None-Match": tag})).status_code == 304

    r = await api.post("institute_officer", f"/projects/{pid}/reviewers", REVIEWER)
    assert r.status_code == 200, r.text

    after = await _feed(api, **{"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert _summaries(after.content)[evaluation].endswith(
        ": evaluation closes; awaiting Anna Keller"
    )
    # the reviewer now sees the project: a new entry in their feed
    reviewer_after = await _feed(
        api, "reviewer", **{"If-None-Match": reviewer_before.headers["etag"]}
    )
    assert reviewer_after.status_code == 200
    assert reviewer_after.headers["etag"] != reviewer_before.headers["etag"]
    assert evaluation in _uids(reviewer_after.content)
    # and a poll with the new validator is 304 again
    assert (await _feed(api, **{"If-None-Match": after.headers["etag"]})).status_code == 304


async def test_the_token_stays_the_only_credential(api):
    await submitted(api)
    ours = await _feed(api)
    for token in ("forged", api.tokens["derci_officer"], api.calendars["derci_officer"][:-1]):
        for headers in ({}, {"If-None-Match": "*"}, {"If-None-Match": ours.headers["etag"]}):
            r = await api.http.get(f"/calendar/{token}.ics", headers=headers)
            assert r.status_code == 404, (token, headers)
            assert "etag" not in r.headers and "last-modified" not in r.headers
            assert b"VCALENDAR" not in r.content and b"IRP-" not in r.content
    bearer = {"Authorization": f"Bearer {api.calendars['derci_officer']}"}
    assert (await api.http.get("/me", headers=bearer)).status_code == 401
