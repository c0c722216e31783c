"""An export streams the whole list a page at a time: the same rows, in the same order, as
the list read at once, whatever the page size and the order asked for."""

from __future__ import annotations

import pytest

from readmodels.projector import Projector, migrate_read_models
from readmodels.views import PortfolioFilter, SortKey, portfolio, portfolio_stream
from tests.builders import DERCI
from tests.domain.test_lifecycle import funded
from tests.readmodels.test_projector import record


@pytest.mark.parametrize(
    "where",
    [
        PortfolioFilter(),
        PortfolioFilter(sort=SortKey.AWARDED, descending=True),
        PortfolioFilter(sort=SortKey.TERM_START),
        PortfolioFilter(instrument="IRL"),
    ],
    ids=["default", "awarded-desc", "term-start", "irl-only"],
)
async def test_the_streamed_export_is_the_list_page_by_page(event_store, database_url, where):
    await migrate_read_models(database_url)
    for n, code in enumerate(["IRP", "IRL", "IRN", "IRP", "IRL", "IEA", "IRP"]):
        await record(event_store, funded(code, f"EX-{n}"))
    await Projector(event_store).catch_up()
    whole = await portfolio(event_store, DERCI, where)
    pages = [rows async for rows in portfolio_stream(event_store, DERCI, where, size=2)]
    assert [r.project_id for page in pages for r in page] == [r.project_id for r in whole]
    assert all(len(page) <= 2 for page in pages) and len(pages) == (len(whole) + 1) // 2
