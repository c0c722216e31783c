"""What the questions answer and take, as the OpenAPI spec declares them: the read models'
rows with their closed sets named (instrument codes, phases, roles, deadline kinds), and
the portfolio's filters with the values each accepts.

The rows are the read models' own (where one keeps a `str`, a subclass narrows it to its
enum; a portfolio row names its closed sets itself), and the
filters are handed on to the application's PortfolioQuery, which stays the one judge of
them (the pages and the CLI take it too): here they are only declared, so that a client
reads them from the spec and a wrong one is refused before anything is asked."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from application.portfolio_query import PortfolioQuery
from domain.actors import Role
from domain.call_round import MAX_RANKED
from domain.deadlines import DeadlineKind
from domain.fields import ProjectId, Reason
from domain.institutes import Institute
from domain.instruments import EntryRoute, InstrumentCode, PartnerRules
from domain.state import Phase
from readmodels.forecast import ForecastRow
from readmodels.paging import MAX_PAGE_SIZE, PAGE_SIZE
from readmodels.queries import ActorOut, DeadlineRow, HistoryEntry
from readmodels.views import PortfolioRow, SortKey

# a query parameter left blank (what an HTML form sends) is no filter
Blank = Literal[""]
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"  # base64url, unpadded (readmodels.paging)

# a read made after one's own step: the position the step answered with
After = Annotated[
    int | None,
    Query(ge=0, le=2**63 - 1, description="the position a step of yours answered with"),
]
# a page of a list: how many rows, from where
Limit = Annotated[
    int | None,
    Query(ge=1, le=MAX_PAGE_SIZE, description=f"rows a page holds (default {PAGE_SIZE})"),
]
Cursor = Annotated[
    str | None,
    Query(
        max_length=600,
        pattern=CURSOR_PATTERN,
        description="the `next` of the page before (absent: the first); a cursor this "
        "list did not give is refused (422)",
    ),
]


class DeadlineOut(DeadlineRow):
    kind: DeadlineKind


class ActorShown(ActorOut):
    role: Role


class HistoryEntryOut(HistoryEntry):
    actor: ActorShown


class HistoryOut(BaseModel):
    """readmodels.queries.History, its entries' roles named."""

    project_id: str
    events: list[HistoryEntryOut]


class ProjectsPage(BaseModel):
    projects: list[PortfolioRow]
    next: str | None = Field(description="the cursor of the following page; null on the last")
    total: int = Field(description="projects in the whole list, every page")


class DeadlinesPage(BaseModel):
    deadlines: list[DeadlineOut]
    next: str | None = Field(description="the cursor of the following page; null on the last")
    total: int = Field(description="deadlines in the whole list, every page")


class ForecastAnswer(BaseModel):
    """The money ahead, one row per year, instrument and institute (GET /forecast)."""

    rows: list[ForecastRow]


class RankingBody(BaseModel):
    """An institute's ranking of its eligible applications, best first."""

    model_config = ConfigDict(extra="forbid")

    ranking: list[ProjectId] = Field(min_length=1, max_length=MAX_RANKED)
    reason: Reason


class Adjustment(BaseModel):
    """An application's award at the closing, in EUR: 0 refuses it."""

    model_config = ConfigDict(extra="forbid")

    project_id: ProjectId
    amount_eur: int = Field(ge=0, le=10_000_000)


class ClosingBody(BaseModel):
    """DERCI's closing: the proposal as it stands, or adjusted."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason
    adjustments: list[Adjustment] = Field(default_factory=list, max_length=MAX_RANKED)

    def adjusted(self) -> dict[str, int]:
        return {a.project_id: a.amount_eur for a in self.adjustments}


class ProjectAnswer(BaseModel):
    project: PortfolioRow
    deadlines: list[DeadlineOut] = Field(description="what falls due, soonest first")


class InstrumentOut(BaseModel):
    code: InstrumentCode
    name: str
    term_years: int
    funding_min_eur: int
    funding_max_eur: int
    entry: EntryRoute
    renewable: bool
    max_renewals: int
    successor: InstrumentCode | None
    partner_rules: PartnerRules


class PortfolioFilters(BaseModel):
    """GET /projects's filters, each absent or blank for none."""

    # the query string holds the page's other parameters too (after, limit, cursor), and
    # may hold what a client adds of its own
    model_config = ConfigDict(extra="ignore")

    instrument: InstrumentCode | Blank | None = None
    state: Phase | Blank | None = Field(None, description="a project state (phase)")
    institute: Institute | Blank | None = Field(None, description="the leading CNRS institute")
    country: (
        Annotated[str, Field(pattern=r"^([A-Z]{2})?$", description="ISO 3166-1 alpha-2")] | None
    ) = Field(None, description="a partner lab's country")
    year: Annotated[int, Field(ge=1900, le=2200)] | Blank | None = Field(
        None, description="live during that year (UTC): submitted to ended"
    )
    sort: SortKey | Blank | None = Field(None, description="the column to sort by")
    descending: bool = False

    def query(self) -> PortfolioQuery:
        given: dict[str, Any] = {
            name: None if value is None else str(value)
            for name, value in self.model_dump(exclude={"descending"}).items()
        }
        return PortfolioQuery(**given, descending=self.descending)


class PageAsk(BaseModel):
    """A list's page: where it starts, how long it is, and the read's position."""

    model_config = ConfigDict(extra="ignore")

    after: After = None
    limit: Limit = None
    cursor: Cursor = None


class ProjectsAsk(PageAsk, PortfolioFilters):
    """GET /projects's query string (api.query_string)."""


class DeadlinesAsk(PageAsk):
    """GET /deadlines's query string (api.query_string)."""

    within_days: int = Field(90, ge=0, le=36500, description="how far ahead, in days")
