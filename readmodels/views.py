"""The portfolio as one person may see it: officers and auditors see every project, a
coordinator the projects they coordinate, a reviewer the projects they were assigned.
The API, the pages and the calendar all ask here, so the rule is written once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ConfigDict

from domain.actors import OPERATOR as OPERATOR
from domain.actors import Actor, Role
from domain.authorization import SEES_ALL
from domain.institutes import Institute
from eventstore.postgres import PostgresEventStore
from readmodels.paging import BadCursor, Page, clamp, decode, encode
from readmodels.queries import DeadlineRow, ProjectRow, row_of

R = TypeVar("R")


class SortKey(StrEnum):
    PROJECT = "project_id"
    INSTRUMENT = "instrument"
    STATE = "phase"
    COORDINATOR = "coordinator"
    TERM_START = "term_starts_at"
    TERM_END = "term_ends_at"
    AWARDED = "awarded_eur"
    RELEASED = "released_eur"


class PortfolioFilter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: str | None = None
    phase: str | None = None
    institute: str | None = None
    country: str | None = None
    # the project was active during that year (UTC): its submission-to-end span overlaps
    # the year, its end being its refusal, termination or closure or, while it runs, the
    # end of its current term (an approved project's: of the term the decision fixed)
    year: int | None = None
    sort: SortKey = SortKey.PROJECT
    descending: bool = False


class PortfolioRow(ProjectRow):
    institute: Institute | None


class Totals(BaseModel):
    """What a list adds up to: awards over every term (never the current terms' awards
    added to what every term paid), paid, withheld now, still to come."""

    projects: int
    awarded_eur: int
    released_eur: int
    withheld_eur: int
    to_come_eur: int
    cofunding_eur: int  # beside CNRS's, in euros at the rates stated

    @property
    def all_funding_eur(self) -> int:
        """CNRS's awards and co-funding together."""
        return self.awarded_eur + self.cofunding_eur


# a list's totals: each of Totals' figures, added up from the cells (portfolio_cells) or
# from the portfolio's rows
_SUMS = (
    ("projects", "sum(c.projects)", "count(*)"),
    ("awarded_eur", "sum(c.awarded_eur)", "sum(p.total_awarded_eur)"),
    ("released_eur", "sum(c.released_eur)", "sum(p.released_eur)"),
    ("withheld_eur", "sum(c.withheld_eur)", "sum(p.withheld_eur)"),
    ("to_come_eur", "sum(c.to_come_eur)", "sum(p.to_come_eur)"),
    ("cofunding_eur", "sum(c.cofunding_eur)", "sum(p.cofunding_eur)"),
)


class Sql:
    """A statement's parameters as its text is put together: the text is made of fixed
    fragments chosen by the request's shape (which filters are set, the asker's role),
    every value is bound. A plan then holds only the conditions that apply: one written
    for every shape (`$4 IS NULL OR ...`) cannot use an index for the conditions that do,
    and evaluates each one on every row. Nor did PostgreSQL keep a plan for the deadlines'
    statement written for every role: it planned it anew at every call (0.3 ms of the
    0.33 a coordinator's next deadlines took)."""

    def __init__(self) -> None:
        self.args: list[Any] = []

    def bind(self, value: Any, sql_type: str) -> str:
        self.args.append(value)
        return f"${len(self.args)}::{sql_type}"


def sees(q: Sql, viewer: Actor) -> str:
    """The condition on `p` (a portfolio row) that this person sees it: the module's rule,
    written for the asker's role alone (see Sql)."""
    if viewer.role in SEES_ALL:
        return "TRUE"
    if viewer.role is Role.COORDINATOR:
        return f"p.coordinator_id = {q.bind(viewer.id, 'text')}"
    if viewer.role is Role.REVIEWER:
        reviewer = q.bind(viewer.id, "text")
        return f"""EXISTS (
            SELECT 1 FROM project_states rs, jsonb_array_elements(rs.state->'assignments') a
            WHERE rs.project_id = p.project_id AND a->'reviewer'->>'id' = {reviewer})"""
    return "FALSE"


def _keyed(q: Sql, where: PortfolioFilter, on: str) -> list[str]:
    """The filter's conditions on the keys a portfolio row and a cell both carry
    (1012_portfolio_cells.sql), `on` the row's or the cell's alias; the partner country
    is kept differently by each."""
    conditions = []
    if where.instrument is not None:
        conditions.append(f"{on}.instrument = {q.bind(where.instrument, 'text')}")
    if where.phase is not None:
        conditions.append(f"{on}.phase = {q.bind(where.phase, 'text')}")
    if where.institute is not None:
        conditions.append(f"{on}.institute = {q.bind(where.institute, 'text')}")
    if where.year is not None:
        year = q.bind(where.year, "integer")
        conditions.append(f"live_in({on}.first_year, {on}.last_year, {on}.runs, {year})")
    return conditions


def _shown(q: Sql, viewer: Actor, where: PortfolioFilter) -> str:
    """FROM ... WHERE ...: the projects of the filtered list this person sees, `p` their
    portfolio rows (which carry every key a list is filtered by)."""
    conditions = [sees(q, viewer), *_keyed(q, where, "p")]
    if where.country is not None:
        conditions.append(f"{q.bind(where.country, 'text')} = ANY(p.countries)")
    return "FROM portfolio p WHERE " + "\n          AND ".join(conditions)


def _in_cells(q: Sql, where: PortfolioFilter) -> str:
    """The condition on `c`, a cell of the portfolio's, that it adds up projects of the
    filtered list: the same filter as _shown's, by the cells' keys (each project is in the
    cells of `*` and of each country it has a lab in)."""
    country = "*" if where.country is None else where.country
    conditions = [f"c.country = {q.bind(country, 'text')}", *_keyed(q, where, "c")]
    return " AND ".join(conditions)


_PORTFOLIO_COLUMNS = "SELECT p.*"

# the SQL type of each sort column, for the cursor's value (never taken from a request)
_SORT_TYPE = {
    SortKey.PROJECT: ("text", str),
    SortKey.INSTRUMENT: ("text", str),
    SortKey.STATE: ("text", str),
    SortKey.COORDINATOR: ("text", str),
    SortKey.TERM_START: ("timestamptz", str),
    SortKey.TERM_END: ("timestamptz", str),
    SortKey.AWARDED: ("integer", int),
    SortKey.RELEASED: ("integer", int),
}


def _order(where: PortfolioFilter) -> str:
    # the sort column comes from the SortKey enum, never from the request text
    direction = "DESC" if where.descending else "ASC"
    return f"p.{where.sort.value} {direction} NULLS LAST, p.project_id"


async def portfolio(
    store: PostgresEventStore, viewer: Actor, where: PortfolioFilter | None = None
) -> list[PortfolioRow]:
    """Every row this person sees (the CSV export, the charts): not for a list a person
    pages through (portfolio_page)."""
    where = where or PortfolioFilter()
    q = Sql()
    sql = f"{_PORTFOLIO_COLUMNS} {_shown(q, viewer, where)} ORDER BY {_order(where)}"
    async with store.connection() as conn:
        rows = await conn.fetch(sql, *q.args)
    return [_portfolio_row(r) for r in rows]


async def portfolio_page(
    store: PostgresEventStore,
    viewer: Actor,
    where: PortfolioFilter,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[Page[PortfolioRow], Totals]:
    """One page of the portfolio in the filter's order, with the totals of the whole list
    (computed by the database), in one statement: a round trip is most of what a short
    list costs."""
    return await _page_with_totals(
        store, viewer, where, limit, cursor, _PORTFOLIO_COLUMNS, _portfolio_row
    )


async def portfolio_page_due(
    store: PostgresEventStore,
    viewer: Actor,
    where: PortfolioFilter,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[Page[tuple[PortfolioRow, DeadlineRow | None]], Totals]:
    """portfolio_page with each project's next open deadline (overdue ones first: they
    fell due before any other; None for a project with nothing open): a person's own
    list, which says what each project asks of them next. Each project's first deadline
    is read through its index in the page's own statement, where a statement of its own
    was one more round trip (a coordinator's page 1.22 -> 1.14 ms)."""
    first = " AND ".join(["d.project_id = p.project_id", *_theirs(viewer)])
    due = f"""(SELECT row_to_json(n)::text FROM (
            SELECT {_due_columns(viewer)} FROM deadlines d WHERE {first}
            ORDER BY d.due_at, d.kind, d.ref LIMIT 1) n) AS next_due"""
    return await _page_with_totals(
        store, viewer, where, limit, cursor, f"{_PORTFOLIO_COLUMNS}, {due}", _row_and_due
    )


async def portfolio_page_documents(
    store: PostgresEventStore,
    viewer: Actor,
    where: PortfolioFilter,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[Page[str], Totals]:
    """portfolio_page with each row as the JSON of its PortfolioRow, written by
    PostgreSQL: for an answer that is the rows' JSON, where reading each row into a model
    and writing it out again was two thirds of a page's time (3.6-4.3 ms for 100 rows at
    10,000 projects, 1.3-1.5 ms built by the database). The closed sets a model would check
    are the table's own constraints (1014_portfolio_closed_sets.sql)."""
    return await _page_with_totals(
        store, viewer, where, limit, cursor, _document_columns(where), _row_document
    )


async def _page_with_totals(
    store: PostgresEventStore,
    viewer: Actor,
    where: PortfolioFilter,
    limit: int | None,
    cursor: str | None,
    columns: str,
    row: Callable[[Any], R],
) -> tuple[Page[R], Totals]:
    size = clamp(limit)
    q = Sql()
    if viewer.role in SEES_ALL:
        # the whole list's totals from the cells the projector keeps (a few rows read,
        # however many projects the filter matches), asked apart: joined to a page of 100
        # rows, they had PostgreSQL sort the page's rows again, at 0.83 ms where the two
        # statements take 0.57 (a filtered page at 10,000 projects)
        added = ", ".join(f"coalesce({cells}, 0) AS sum_{name}" for name, cells, _ in _SUMS)
        page_sql = _page_sql(q, viewer, where, size, cursor, columns)
        cells = Sql()
        totals_sql = f"SELECT {added} FROM portfolio_cells c WHERE {_in_cells(cells, where)}"
        async with store.connection() as conn:
            rows = await conn.fetch(page_sql, *q.args)
            sums = await conn.fetchrow(totals_sql, *cells.args)
    else:
        # a person's own list is a few rows: its totals joined to them, one statement
        added = ", ".join(f"coalesce({rows}, 0) AS sum_{name}" for name, _, rows in _SUMS)
        totals_sql = f"SELECT {added} {_shown(q, viewer, where)}"
        page_sql = _page_sql(q, viewer, where, size, cursor, columns)
        # the totals' one row joined to the page's rows: an empty page is that row alone
        sql = f"""SELECT * FROM ({totals_sql}) t LEFT JOIN LATERAL ({page_sql}) p ON TRUE
            ORDER BY {_order(where)}"""
        async with store.connection() as conn:
            rows = await conn.fetch(sql, *q.args)
        sums = rows[0]
        if sums["project_id"] is None:
            rows = []
    assert sums is not None
    shown, following = _page_of(rows, where, size, row)
    return Page(shown, following, int(sums["sum_projects"])), Totals(
        **{name: int(sums[f"sum_{name}"]) for name in Totals.model_fields}
    )


async def portfolio_stream(
    store: PostgresEventStore, viewer: Actor, where: PortfolioFilter, size: int = 1000
) -> AsyncIterator[list[PortfolioRow]]:
    """The whole list a page at a time, in the filter's order (an export streams it): each
    page one indexed keyset query on a connection held only for it, so a slow reader holds
    nothing and memory does not grow with the portfolio."""
    cursor: str | None = None
    while True:
        q = Sql()
        sql = _page_sql(q, viewer, where, size, cursor)
        async with store.connection() as conn:
            rows = await conn.fetch(sql, *q.args)
        shown, cursor = _page_of(rows, where, size, _portfolio_row)
        if shown:
            yield shown
        if cursor is None:
            return


def _page_sql(
    q: Sql,
    viewer: Actor,
    where: PortfolioFilter,
    size: int,
    cursor: str | None,
    columns: str = _PORTFOLIO_COLUMNS,
) -> str:
    """The statement of a page of `size` rows after `cursor` (the first page when None),
    and one more row, which tells there is a next page."""
    sql_type, kind = _SORT_TYPE[where.sort]
    after: list[Any] = [None, None]
    if cursor is not None:
        after = decode(cursor, (kind, str))
        if after[1] is None:
            raise BadCursor("not a key of this list")
    beyond = "<" if where.descending else ">"
    col = f"p.{where.sort.value}"
    shown_sql = _shown(q, viewer, where)
    keyset = ""
    if cursor is not None:
        value = after[0]
        if value is not None and sql_type == "timestamptz":
            value = _timestamp(value)
        last_id = q.bind(after[1], "text")
        if value is None:  # NULLs sort last: the rest are NULLs too
            keyset = f"AND ({col} IS NULL AND p.project_id > {last_id})"
        else:
            key = q.bind(value, sql_type)
            keyset = f"""AND ({col} {beyond} {key}
                      OR ({col} = {key} AND p.project_id > {last_id})
                      OR {col} IS NULL)"""
    return (
        f"{columns} {shown_sql} {keyset} ORDER BY {_order(where)} "
        f"LIMIT {q.bind(size + 1, 'integer')}"
    )


def _page_of(
    rows: list[Any], where: PortfolioFilter, size: int, row: Callable[[Any], R]
) -> tuple[list[R], str | None]:
    """A page's rows, and the cursor of the next page (None on the last)."""
    shown = [row(r) for r in rows[:size]]
    following = None
    if len(rows) > size:
        last = rows[size - 1]
        key = last[where.sort.value]
        following = encode(
            [key.isoformat() if isinstance(key, datetime) else key, last["project_id"]]
        )
    return shown, following


def _timestamp(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as err:
        raise BadCursor("not a key of this list") from err


def _portfolio_row(record: Any) -> PortfolioRow:
    return row_of(PortfolioRow, record)


def _row_and_due(record: Any) -> tuple[PortfolioRow, DeadlineRow | None]:
    due = record["next_due"]
    return _portfolio_row(record), None if due is None else DeadlineRow.model_validate_json(due)


def _row_document(record: Any) -> str:
    document: str = record["document"]
    return document


# An instant as pydantic writes an aware UTC datetime in JSON: seconds, the microseconds
# only when there are some, and Z.
_UTC_TEXT = """(to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN extract(microseconds FROM {c})::int % 1000000 = 0 THEN ''
            ELSE to_char({c} AT TIME ZONE 'UTC', '.US') END || 'Z')"""
# what PortfolioRow computes from its fields, computed here from the columns
_COMPUTED_CELLS = {"all_funding_eur": "p.total_awarded_eur + p.cofunding_eur"}


def _document_sql() -> str:
    """The JSON of a PortfolioRow from `p`, the row's columns: every field of the model, in
    its order, the computed ones after (row_to_json keeps the order and writes no spaces)."""
    assert set(PortfolioRow.model_computed_fields) == set(_COMPUTED_CELLS)
    cells = []
    for name, field in PortfolioRow.model_fields.items():
        instant = datetime in get_args(field.annotation) or field.annotation is datetime
        cells.append(f"{_UTC_TEXT.format(c='p.' + name)} AS {name}" if instant else f"p.{name}")
    cells += [f"{sql} AS {name}" for name, sql in _COMPUTED_CELLS.items()]
    return f"(SELECT row_to_json(d)::text FROM (SELECT {', '.join(cells)}) d) AS document"


_DOCUMENT = _document_sql()


def _document_columns(where: PortfolioFilter) -> str:
    # the keys a page is ordered and continued by (_order, _page_of), and the document
    keys = dict.fromkeys(("project_id", where.sort.value))
    return "SELECT " + ", ".join(f"p.{k}" for k in keys) + f", {_DOCUMENT}"


async def project_for(
    store: PostgresEventStore, viewer: Actor, project_id: str
) -> PortfolioRow | None:
    """The project if it exists and this person may see it; None tells neither apart."""
    q = Sql()
    wanted = q.bind(project_id, "text")
    sql = f"SELECT p.* FROM portfolio p WHERE p.project_id = {wanted} AND {sees(q, viewer)}"
    async with store.connection() as conn:
        row = await conn.fetchrow(sql, *q.args)
    return _portfolio_row(row) if row else None


async def project_state_json(store: PostgresEventStore, project_id: str) -> dict[str, Any] | None:
    """The folded domain state, as the projector stored it."""
    async with store.connection() as conn:
        row = await conn.fetchrow(
            "SELECT state FROM project_states WHERE project_id = $1", project_id
        )
    if row is None:
        return None
    state = row["state"]
    return json.loads(state) if isinstance(state, str) else dict(state)


# what a reviewer's evaluation deadline says to anyone but the officers (see deadlines_for)
_CONFIDENTIAL_LABELS = """
               CASE WHEN d.kind = 'evaluation' THEN split_part(d.label, ';', 1)
                    ELSE d.label END AS label,
               CASE WHEN d.kind = 'evaluation' THEN '{"said": "evaluation closes"}'::jsonb
                    ELSE d.label_said END AS label_said"""


def due_sql(q: Sql, viewer: Actor, horizon: datetime, project_id: str | None = None) -> str:
    """SELECT the deadlines this person sees due before `horizon` (of one project, or of
    all): `d` a deadline, `p` its project's portfolio row."""
    conditions = [sees(q, viewer), f"d.due_at <= {q.bind(horizon, 'timestamptz')}"]
    if project_id is not None:
        conditions.append(f"d.project_id = {q.bind(project_id, 'text')}")
    conditions += _theirs(viewer)
    return f"""
        SELECT {_due_columns(viewer)}
        FROM deadlines d JOIN portfolio p USING (project_id)
        WHERE {" AND ".join(conditions)}"""


def _due_columns(viewer: Actor) -> str:
    """A deadline's columns, as DeadlineRow reads them: the reviewers late with an
    evaluation are named to the officers alone."""
    labels = "d.label, d.label_said" if viewer.role in SEES_ALL else _CONFIDENTIAL_LABELS
    return f"d.project_id, p.title, d.kind, d.ref, d.due_at, {labels}"


def _theirs(viewer: Actor) -> list[str]:
    """The condition on `d` that it is a deadline of this person's: a reviewer's are their
    evaluations."""
    return ["d.kind = 'evaluation'"] if viewer.role is Role.REVIEWER else []


_DEADLINE_ORDER = "ORDER BY d.due_at, d.project_id, d.kind, d.ref"


async def deadlines_for(
    store: PostgresEventStore,
    viewer: Actor,
    now: datetime,
    within: timedelta,
    project_id: str | None = None,
) -> list[DeadlineRow]:
    """What falls due before now + within on the projects this person sees, overdue included.
    A reviewer's deadlines are their evaluations. Who is late with a review (the label's
    "; awaiting <reviewer ids>") is for the officers' eyes only, reviews being confidential
    towards the coordinator and among reviewers."""
    q = Sql()
    sql = f"{due_sql(q, viewer, now + within, project_id)} {_DEADLINE_ORDER}"
    async with store.connection() as conn:
        rows = await conn.fetch(sql, *q.args)
    return [DeadlineRow.model_validate(dict(r)) for r in rows]


async def deadlines_page(
    store: PostgresEventStore,
    viewer: Actor,
    now: datetime,
    within: timedelta,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[DeadlineRow]:
    """One page of deadlines_for (every project), in due order, and how many in all."""
    size = clamp(limit)
    horizon = now + within
    q = Sql()
    sql = due_sql(q, viewer, horizon)
    if cursor is not None:
        after = decode(cursor, (str, str, str, str))
        if None in after:
            raise BadCursor("not a key of this list")
        key = [q.bind(_timestamp(after[0]), "timestamptz")]
        key += [q.bind(value, "text") for value in after[1:]]
        sql += f" AND (d.due_at, d.project_id, d.kind, d.ref) > ({', '.join(key)})"
    sql += f" {_DEADLINE_ORDER} LIMIT {q.bind(size + 1, 'integer')}"
    async with store.connection() as conn:
        rows = await conn.fetch(sql, *q.args)
        if viewer.role in SEES_ALL:
            # every deadline's project has its portfolio row (the projector writes a
            # project's deadlines with its row, in one transaction): counted from the index
            # on due_at alone, not joined with every project it names
            total = await conn.fetchval(
                "SELECT count(*) FROM deadlines WHERE due_at <= $1", horizon
            )
        else:
            counted = Sql()
            total = await conn.fetchval(
                f"SELECT count(*) FROM ({due_sql(counted, viewer, horizon)}) AS due",
                *counted.args,
            )
    shown = [DeadlineRow.model_validate(dict(r)) for r in rows[:size]]
    following = None
    if len(rows) > size:
        last = rows[size - 1]
        following = encode(
            [last["due_at"].isoformat(), last["project_id"], last["kind"], last["ref"]]
        )
    return Page(shown, following, int(total))


class Charts(BaseModel):
    released_by_year: dict[str, dict[int, int]]  # instrument -> year -> EUR released
    projects_by_state: dict[str, int]
    partner_countries: dict[str, int]  # foreign country -> projects with a lab there


async def charts_for(
    store: PostgresEventStore, viewer: Actor, where: PortfolioFilter | None = None
) -> Charts:
    """The charts of every project of a filtered list (all its pages), aggregated by the
    database from the read models: never from the events stored. A list of every project
    (an officer's, an auditor's), whatever its filter, reads the cells the projector keeps
    (_charts_kept); a person who sees some projects only counts their rows."""
    where = where or PortfolioFilter()
    if viewer.role in SEES_ALL:
        return await _charts_kept(store, where)
    return await _charts_counted(store, viewer, where)


async def _charts_counted(
    store: PostgresEventStore, viewer: Actor, where: PortfolioFilter
) -> Charts:
    """The charts counted from the list's own rows: a person who sees some projects only
    (the coordinator's few, through an index), or a filter the kept sums have no key for."""
    columns = "p.project_id, p.instrument, p.phase, p.countries"
    q = Sql()
    sql = _charts_sql(
        f"WITH shown AS (SELECT {columns} {_shown(q, viewer, where)})",
        """SELECT s.instrument, r.year, sum(r.amount_eur)::bigint AS eur
           FROM shown s JOIN releases r USING (project_id) GROUP BY 1, 2""",
        "SELECT phase, count(*) AS n FROM shown GROUP BY phase",
        """SELECT c.country, count(*) AS n
           FROM shown s, unnest(s.countries) AS c(country)
           WHERE c.country <> 'FR' GROUP BY c.country""",
    )
    async with store.connection() as conn:
        found = await conn.fetchrow(sql, *q.args)
    return _charts(found)


def _charts_sql(shown: str, released: str, states: str, countries: str) -> str:
    """One statement for the three charts (`shown`: what they are counted from, or
    nothing), each one's rows as JSON in its order: one round trip and one snapshot,
    where three statements in a read-only transaction were five round trips (0.8 ms of a
    filtered page's 5 at 10,000 projects)."""
    charts = {
        "released": (released, "x.instrument, x.year"),
        "states": (states, "x.n DESC, x.phase"),
        "countries": (countries, "x.n DESC, x.country"),
    }
    rows = ", ".join(
        f"(SELECT coalesce(json_agg(x ORDER BY {order}), '[]')::text FROM ({sql}) x) AS {name}"
        for name, (sql, order) in charts.items()
    )
    return f"{shown} SELECT {rows}"


def _charts(found: Any) -> Charts:
    """The charts from their statement's three lists of rows (_charts_sql), however they
    were counted."""
    by_year: dict[str, dict[int, int]] = {}
    for r in json.loads(found["released"]):
        by_year.setdefault(r["instrument"], {})[r["year"]] = int(r["eur"])
    return Charts(
        released_by_year=by_year,
        projects_by_state={r["phase"]: int(r["n"]) for r in json.loads(found["states"])},
        partner_countries={r["country"]: int(r["n"]) for r in json.loads(found["countries"])},
    )


async def _charts_kept(store: PostgresEventStore, where: PortfolioFilter) -> Charts:
    """The charts of every project matching the filter, from the cells the projector keeps
    (1012_portfolio_cells.sql): a few rows read, however many projects and releases they
    add up. The same figures as charts_for's from the rows
    (tests/readmodels/test_chart_sums.py)."""
    q = Sql()
    kept = _in_cells(q, where)
    sql = _charts_sql(
        "",
        f"""SELECT c.instrument, c.year, sum(c.amount_eur)::bigint AS eur
            FROM released_cells c WHERE {kept} GROUP BY 1, 2""",
        f"""SELECT c.phase, sum(c.projects)::bigint AS n
            FROM portfolio_cells c WHERE {kept} GROUP BY c.phase""",
        f"""SELECT c.partner AS country, sum(c.projects)::bigint AS n
            FROM partner_cells c WHERE {kept} AND c.partner <> 'FR' GROUP BY c.partner""",
    )
    async with store.connection() as conn:
        found = await conn.fetchrow(sql, *q.args)
    return _charts(found)
