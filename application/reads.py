"""Questions people ask, answered from the read models as the asking person may see them.

Reads never write: a read that follows a person's step names the store position the step
returned (`after`), and waits, within a bound, until the projector has passed it, instead
of folding events itself."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from application.portfolio_query import PortfolioQuery
from application.refusals import Kind, Refusal, project_not_found
from domain.actors import OPERATOR as OPERATOR
from domain.actors import Actor, Role
from domain.fields import is_project_id
from domain.open_steps import OpenStep, open_steps
from domain.said import said
from domain.state import ProjectState, policy_of
from eventstore.postgres import PostgresEventStore
from eventstore.records import ChainBreak
from identity.people import PeopleDirectory, Person
from readmodels.calendar_feed import (
    FeedRow,
    Window,
    calendar_deadlines,
    deadlines_version,
    window_on,
)
from readmodels.forecast import ForecastRow, forecast
from readmodels.freshness import reflects
from readmodels.history_views import history_for
from readmodels.paging import BadCursor, Page
from readmodels.queries import DeadlineRow, History
from readmodels.views import (
    Charts,
    PortfolioRow,
    Totals,
    charts_for,
    deadlines_for,
    deadlines_page,
    portfolio,
    portfolio_page,
    portfolio_page_documents,
    portfolio_page_due,
    portfolio_stream,
    project_for,
    project_state_json,
)

# how long a read waits for the projector to reflect the reader's own step; past it the
# read answers with what the read models hold (the projector is behind or stopped)
SETTLE_WITHIN = timedelta(seconds=5)
_POLL_S = 0.05
EVERYTHING = timedelta(days=365 * 30)
RowT = TypeVar("RowT")


@dataclass(frozen=True)
class CalendarFeed:
    owner: Person
    window: Window
    version: str  # changes whenever the deadlines the owner sees may have changed


@dataclass(frozen=True)
class ProjectView:
    project: PortfolioRow
    state: ProjectState
    deadlines: list[DeadlineRow]
    steps: list[OpenStep]
    reviewers: list[Person]  # whom an officer may still assign, when that step is open

    @property
    def steps_key(self) -> str:
        """Changes when the steps offered change: a polled page re-renders forms then."""
        offered = (
            [(s.command, s.report_id) for s in self.steps],
            [r.person_id for r in self.reviewers],
        )
        return hashlib.sha256(repr(offered).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class PortfolioView(Generic[RowT]):
    """One page of a person's portfolio, and what the whole list adds up to."""

    rows: list[RowT]  # PortfolioRow, or the JSON of one (Reads.portfolio_documents)
    totals: Totals  # of every page
    next: str | None  # the cursor of the following page, None on the last


def _bad_cursor(err: BadCursor) -> Refusal:
    return Refusal(
        Kind.INPUT,
        said("cursor: not a cursor of this list ({err}); start again from the first page", err=err),
        "query",
        "cursor",
    )


# a forecast looks this many years ahead at most (two IRL terms)
MAX_FORECAST_YEARS = 10


class Reads:
    def __init__(self, store: PostgresEventStore, people: PeopleDirectory) -> None:
        self._store = store
        self._people = people

    async def settle(self, after: int | None) -> bool:
        """Wait until the read models reflect the event at `after`; False if they still
        do not after SETTLE_WITHIN."""
        if after is None:
            return True
        deadline = asyncio.get_running_loop().time() + SETTLE_WITHIN.total_seconds()
        while not await reflects(self._store, after):
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(_POLL_S)
        return True

    async def portfolio(
        self,
        viewer: Actor,
        query: PortfolioQuery,
        after: int | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> PortfolioView[PortfolioRow]:
        """A page of the projects this person sees, in the query's order (PAGE_SIZE unless
        `limit` says fewer or more, at most MAX_PAGE_SIZE); `cursor`: the page after the
        one that gave it."""
        return await self._portfolio(portfolio_page, viewer, query, after, limit, cursor)

    async def own_portfolio(
        self,
        viewer: Actor,
        query: PortfolioQuery,
        after: int | None = None,
        *,
        cursor: str | None = None,
    ) -> PortfolioView[tuple[PortfolioRow, DeadlineRow | None]]:
        """portfolio, each project with what falls due next on it (overdue first; None:
        nothing open): a person's own list."""
        return await self._portfolio(portfolio_page_due, viewer, query, after, None, cursor)

    async def portfolio_documents(
        self,
        viewer: Actor,
        query: PortfolioQuery,
        after: int | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> PortfolioView[str]:
        """portfolio, each row the JSON of its PortfolioRow: for an answer in JSON."""
        return await self._portfolio(portfolio_page_documents, viewer, query, after, limit, cursor)

    async def _portfolio(
        self,
        paged: Callable[..., Awaitable[tuple[Page[RowT], Totals]]],
        viewer: Actor,
        query: PortfolioQuery,
        after: int | None,
        limit: int | None,
        cursor: str | None,
    ) -> PortfolioView[RowT]:
        where = query.to_filter()
        await self.settle(after)
        try:
            page, sums = await paged(self._store, viewer, where, limit, cursor)
        except BadCursor as err:
            raise _bad_cursor(err) from err
        return PortfolioView(page.rows, sums, page.next)

    async def every_project(self, viewer: Actor, query: PortfolioQuery) -> list[PortfolioRow]:
        """The whole list, every page together."""
        return await portfolio(self._store, viewer, query.to_filter())

    def export(self, viewer: Actor, query: PortfolioQuery) -> AsyncIterator[list[PortfolioRow]]:
        """The whole list a page at a time, for an export that streams it."""
        return portfolio_stream(self._store, viewer, query.to_filter())

    async def charts(self, viewer: Actor, query: PortfolioQuery) -> Charts:
        """The charts of the whole list (every page)."""
        return await charts_for(self._store, viewer, query.to_filter())

    async def forecast(
        self,
        viewer: Actor,
        first_year: int,
        years: int,
        project_id: str | None = None,
        after: int | None = None,
    ) -> list[ForecastRow]:
        """The money ahead, year by year from `first_year`, over the projects this person
        sees (`project_id`: one of them, refused as not found if it is not theirs)."""
        if viewer.role is Role.REVIEWER:  # a reviewer judges projects, not their money
            raise Refusal(Kind.PERMISSION, said("a reviewer has no forecast to read"), "role", None)
        if not 1 <= years <= MAX_FORECAST_YEARS:
            raise Refusal(
                Kind.INPUT,
                said("years: from 1 to {most}; got {years}", most=MAX_FORECAST_YEARS, years=years),
                "query",
                "years",
            )
        if project_id is not None:
            await self.project(viewer, project_id, after)  # not theirs: not found
        else:
            await self.settle(after)
        last = first_year + years - 1
        return await forecast(self._store, viewer, first_year, last, datetime.now(UTC), project_id)

    async def project(
        self, viewer: Actor, project_id: str, after: int | None = None
    ) -> PortfolioRow:
        _require_project_id(project_id)
        await self.settle(after)
        row = await project_for(self._store, viewer, project_id)
        if row is None:
            # the same answer whether it does not exist or this person may not see it
            raise project_not_found(project_id)
        return row

    async def project_view(
        self, person: Person, project_id: str, after: int | None = None
    ) -> ProjectView:
        """A project as a page shows it: the row, the folded state, what falls due, and the
        steps this person may take now (asked of the decider with the project's policy)."""
        row = await self.project(person.actor, project_id, after)
        raw = await project_state_json(self._store, project_id)
        state = ProjectState.model_validate(raw) if raw else ProjectState()
        now = datetime.now(UTC)
        steps = open_steps(state, person.actor, now, policy_of(state))
        reviewers: list[Person] = []
        if any(s.command == "AssignReviewer" for s in steps):
            assigned = set(state.reviewer_ids())
            reviewers = [
                p
                for p in await self._people.with_roles([Role.REVIEWER])
                if p.person_id not in assigned
            ]
        due = await deadlines_for(self._store, person.actor, now, EVERYTHING, project_id)
        return ProjectView(row, state, due, steps, reviewers)

    async def project_deadlines(self, viewer: Actor, project_id: str) -> list[DeadlineRow]:
        _require_project_id(project_id)
        now = datetime.now(UTC)
        return await deadlines_for(self._store, viewer, now, EVERYTHING, project_id)

    async def history(self, viewer: Actor, project_id: str, after: int | None = None) -> History:
        _require_project_id(project_id)
        await self.settle(after)
        found = await history_for(self._store, viewer, project_id)
        if found is None:
            raise project_not_found(project_id)
        return found

    async def chain(self, project_id: str) -> ChainBreak | None:
        """The project's hash chain, checked now (a page's full view, not its refreshes)."""
        _require_project_id(project_id)
        return await self._store.verify(project_id)

    async def deadlines(
        self,
        viewer: Actor,
        within: timedelta,
        after: int | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[DeadlineRow]:
        """A page of what falls due within `within` (overdue included), soonest first."""
        await self.settle(after)
        try:
            return await deadlines_page(
                self._store, viewer, datetime.now(UTC), within, limit, cursor
            )
        except BadCursor as err:
            raise _bad_cursor(err) from err

    async def calendar(self, calendar_token: str) -> CalendarFeed:
        """The feed behind a calendar token: whose it is, the days it covers today, and
        the version of what its owner sees (readmodels.calendar_feed), without its rows:
        a feed the caller holds already is not read again. The token grants nothing else."""
        who = await self._people.calendar_owner(calendar_token)
        if who is None:
            raise Refusal(Kind.NOT_FOUND, said("no such calendar"), "auth")
        window = window_on(datetime.now(UTC))
        return CalendarFeed(who, window, await deadlines_version(self._store, who.actor))

    async def calendar_rows(self, feed: CalendarFeed) -> list[FeedRow]:
        """What concerns the feed's owner within its window, soonest first."""
        return await calendar_deadlines(self._store, feed.owner.actor, feed.window)


def _require_project_id(project_id: str) -> None:
    # an id that could name no project is not looked up: the database refuses some of
    # what it may hold (NUL), and the answer would be "not found" anyway
    if not is_project_id(project_id):
        raise project_not_found(project_id)
