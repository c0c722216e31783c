"""The API's pages of projects are written in JSON by PostgreSQL (portfolio_page_documents):
each row the JSON its PortfolioRow would dump, whatever the sort, the NULLs, the instants
(with or without microseconds, whatever the session's time zone) and the text; the same
cursors. The closed sets the models no longer check on the way out are the table's."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from domain.institutes import Institute
from domain.instruments import InstrumentCode
from domain.state import Phase
from eventstore.postgres import PostgresEventStore
from readmodels.projector import Projector, migrate_read_models
from readmodels.views import (
    OPERATOR,
    PortfolioFilter,
    SortKey,
    portfolio_page,
    portfolio_page_documents,
)
from tests.builders import utc
from tests.domain.life import Life
from tests.domain.test_lifecycle import funded
from tests.readmodels.test_projector import record


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[PostgresEventStore]:
    """Six projects (funded, and submitted only: NULL terms and awards), read by sessions
    whose time zone is UTC+14 (another day than UTC's)."""
    await (await PostgresEventStore.connect(database_url)).close()  # the store's schema
    await migrate_read_models(database_url)
    owner = await asyncpg.connect(database_url)
    name = await owner.fetchval("SELECT current_database()")
    await owner.execute(f"ALTER DATABASE \"{name}\" SET timezone TO 'Pacific/Kiritimati'")
    store = await PostgresEventStore.connect(database_url)  # sessions in that time zone
    try:
        for n, code in enumerate(("IRP", "IRL", "IRN", "IEA")):
            await record(store, funded(code, f"RD-{n}"))
        for n in range(2):
            life = Life(f"RD-S{n}")
            life.submit("IRP", utc(2026, 3, 2))
            await record(store, life)
        await Projector(store).catch_up()
        # instants with and without microseconds, and a title JSON must escape
        await owner.execute(
            """UPDATE portfolio SET title = $2, term_starts_at = $3, updated_at = $4
               WHERE project_id = $1""",
            "RD-0",
            'L\'ours "polaire" \\ été\n\t\u2028 ✓',
            datetime(2026, 6, 1, 0, 0, 0, 1, tzinfo=UTC),
            datetime(2026, 12, 31, 23, 59, 59, 120000, tzinfo=UTC),
        )
        yield store
    finally:
        await store.close()
        await owner.close()


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("descending", [False, True])
async def test_a_page_written_by_the_database_is_the_models_json(store, sort, descending):
    where = PortfolioFilter(sort=sort, descending=descending)
    cursor: str | None = None
    pages = 0
    while True:
        models, totals = await portfolio_page(store, OPERATOR, where, 4, cursor)
        documents, same_totals = await portfolio_page_documents(store, OPERATOR, where, 4, cursor)
        # the very text pydantic writes, row by row (the labs, a JSON column, aside: the
        # database spaces them its own way)
        for row, document in zip(models.rows, documents.rows, strict=True):
            written = json.loads(document)
            assert written == json.loads(row.model_dump_json())
            expected = row.model_dump_json(exclude={"labs"})
            assert json.dumps({k: v for k, v in written.items() if k != "labs"}) == json.dumps(
                json.loads(expected)
            )
            assert list(written) == [*type(row).model_fields, *type(row).model_computed_fields]
        assert (documents.next, documents.total, same_totals) == (models.next, models.total, totals)
        pages += 1
        if models.next is None:
            break
        cursor = models.next
    assert pages == 2 and models.total == 6


async def test_instants_are_written_as_pydantic_writes_them(store):
    page, _ = await portfolio_page_documents(store, OPERATOR, PortfolioFilter(), 1)
    row = json.loads(page.rows[0])
    assert row["project_id"] == "RD-0"
    assert row["term_starts_at"] == "2026-06-01T00:00:00.000001Z"
    assert row["updated_at"] == "2026-12-31T23:59:59.120000Z"
    assert row["title"] == 'L\'ours "polaire" \\ été\n\t\u2028 ✓'
    unfunded = await portfolio_page_documents(store, OPERATOR, PortfolioFilter(), 6)
    last = json.loads(unfunded[0].rows[-1])
    assert last["project_id"] == "RD-S1" and last["term_starts_at"] is None


@pytest.mark.parametrize(
    ("column", "members"),
    [("instrument", InstrumentCode), ("phase", Phase), ("institute", Institute)],
)
async def test_the_portfolio_refuses_a_value_outside_the_domains_closed_sets(
    store, database_url, column, members
):
    owner = await asyncpg.connect(database_url)
    try:
        definition = await owner.fetchval(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1",
            f"portfolio_{column}_known",
        )
        assert set(re.findall(r"'([^']*)'::text", definition)) == {m.value for m in members}
        with pytest.raises(asyncpg.CheckViolationError):
            await owner.execute(
                f"UPDATE portfolio SET {column} = 'unknown' WHERE project_id = 'RD-1'"
            )
    finally:
        await owner.close()
