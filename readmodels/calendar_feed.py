"""What a personal calendar feed holds, and a cheap sign of when that may have changed.

The window: calendar apps poll a feed every few hours, and a feed of every deadline ever
recorded grows without end (an officer's held 25,798 entries at 10,000 projects). A feed
holds the deadlines whose day (UTC) falls from `WINDOW_PAST` before the day it is asked for
to `WINDOW_AHEAD` after it, both days included: what is overdue or coming, not the archive
(`GET /deadlines` and the pages still list every overdue deadline). The window moves by whole
days, so a feed changes only with the day or with the deadlines themselves.

The bound: a feed holds at most `MOST_ENTRIES`, the ones nearest the day it is asked for:
up to `MOST_OVERDUE` of the latest overdue, then the soonest coming. At CNRS's thousand
projects an officer's window holds about 3,300 deadlines and nothing is left out; at
100,000 it held 333,000 (a feed of 90 MB that took 5 s to build, which no calendar app
reads), and a feed then stops where the bound falls (`GET /deadlines` pages through all).

The rows are `readmodels.views`' deadlines (the same visibility, the same reviewer rules),
bounded below and above through the index on `deadlines (due_at)` (migration 1001).

The version: for an officer or an auditor, who see every project, the count of writes to
the read models (any step on any project moves it). For anybody else, a digest of the
projects the person sees, each with its version and the
transaction that last wrote its read-model row. The projector rewrites a project's
portfolio row and its deadlines in one transaction whenever an event of that project is
folded (a rebuild rewrites every row), so the deadlines a person sees cannot change without
this digest changing: a step taken, a project coming into or out of sight, a rebuild. It
reads one indexed table and no deadline, and changes with nothing else anybody does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from domain.actors import Actor
from domain.authorization import SEES_ALL
from eventstore.postgres import PostgresEventStore
from readmodels.views import Sql, due_sql, sees

WINDOW_PAST = timedelta(days=90)  # overdue deadlines kept in a feed
WINDOW_AHEAD = timedelta(days=2 * 365)  # how far ahead a feed looks
MOST_ENTRIES = 5_000  # in a feed
MOST_OVERDUE = 1_000  # of them overdue


@dataclass(frozen=True)
class Window:
    """The days a feed asked for on `today` (UTC) covers: first and last included."""

    today: date

    @property
    def first(self) -> date:
        return self.today - WINDOW_PAST

    @property
    def last(self) -> date:
        return self.today + WINDOW_AHEAD

    def bounds(self) -> tuple[datetime, datetime]:
        """The instants of those days: from the first's midnight (UTC) to just before the
        midnight that follows the last."""
        start = datetime.combine(self.first, time(), UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(), UTC)
        return start, end - timedelta(microseconds=1)


class FeedRow(NamedTuple):
    """A deadline as `readmodels.queries.DeadlineRow` has it, as a plain tuple: a feed reads
    tens of thousands, and a validated model cost about 7 µs each."""

    project_id: str
    title: str | None  # the project's
    kind: str
    ref: str
    due_at: datetime
    label: str  # in English; application.language says it in the reader's language
    label_said: str | None  # the label as a message (JSON); None for a row projected before


def window_on(now: datetime) -> Window:
    return Window(now.astimezone(UTC).date())


def _due_between(
    viewer: Actor, end: datetime, start: datetime, before: datetime | None, most: int
) -> tuple[str, list[object]]:
    """The deadlines this person sees due from `start` to `before` (None: to `end`, the
    window's), at most `most`: those of a range before today the latest first (the nearest
    today kept), those from today on the soonest first."""
    q = Sql()
    due = due_sql(q, viewer, end)
    sql = f"SELECT * FROM ({due}) AS due WHERE due.due_at >= {q.bind(start, 'timestamptz')}"
    if before is None:
        order = "due.due_at, due.project_id, due.kind, due.ref"
    else:
        sql += f" AND due.due_at < {q.bind(before, 'timestamptz')}"
        order = "due.due_at DESC, due.project_id DESC, due.kind DESC, due.ref DESC"
    return f"{sql} ORDER BY {order} LIMIT {q.bind(most, 'integer')}", q.args


async def calendar_deadlines(
    store: PostgresEventStore, viewer: Actor, window: Window
) -> list[FeedRow]:
    """The deadlines this person sees whose day is in the window, in due order: those
    nearest its day, at most MOST_ENTRIES (see the module)."""
    start, end = window.bounds()
    today = datetime.combine(window.today, time(), UTC)
    async with (
        store.connection() as conn,
        # one snapshot for both: a deadline moved meanwhile is neither twice nor missing
        conn.transaction(readonly=True, isolation="repeatable_read"),
    ):
        sql, args = _due_between(viewer, end, start, today, MOST_OVERDUE)
        overdue = await conn.fetch(sql, *args)
        sql, args = _due_between(viewer, end, today, None, MOST_ENTRIES - len(overdue))
        coming = await conn.fetch(sql, *args)
    return [FeedRow(*r) for r in reversed(overdue)] + [FeedRow(*r) for r in coming]


# `sees`: the condition that the asker sees the row (readmodels.views.sees)
_VERSION = """
        SELECT count(*) AS projects,
               coalesce(sum(p.version), 0) AS versions,
               coalesce(bit_xor(hashtextextended(
                   p.project_id || ':' || p.version || ':' || p.xmin::text, 0)), 0) AS digest
        FROM portfolio p
        WHERE {sees}"""


async def deadlines_version(store: PostgresEventStore, viewer: Actor) -> str:
    """Changes whenever the deadlines this person sees may have changed (see the module).
    An officer or an auditor sees every project's: the count of writes to the read models
    (1013_read_model_changes.sql) says it without reading every project."""
    async with store.connection() as conn:
        if viewer.role in SEES_ALL:
            # and the transaction that counted last: a count taken back by a restore, then
            # counted up again, is not the same version
            row = await conn.fetchrow("SELECT changes, xmin::text AS tx FROM read_model_changes")
            assert row is not None
            return f"all.{row['changes']}.{row['tx']}"
        q = Sql()
        row = await conn.fetchrow(_VERSION.format(sees=sees(q, viewer)), *q.args)
    assert row is not None
    return f"{row['projects']}.{row['versions']}.{row['digest'] & 0xFFFFFFFFFFFFFFFF:016x}"
