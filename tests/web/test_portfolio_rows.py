"""An officer's portfolio rows, written in Python rather than by the template
(web/portfolio_rows.py): whatever a person typed reaches the page escaped, and every cell
says what the template said, in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime

from readmodels.views import PortfolioRow
from web.i18n import translator
from web.narration import NNBSP
from web.portfolio_rows import portfolio_rows

TYPED = '<script>alert("x")</script> & Co'


def row(**changed: object) -> PortfolioRow:
    fields: dict[str, object] = {
        "project_id": "IRP-row1",
        "instrument": "IRP",
        "title": TYPED,
        "phase": "active",
        "coordinator_id": "pi-1",
        "coordinator": f"Ana {TYPED}",
        "labs": [
            {"name": f"Lab {TYPED}", "country": "FR", "cnrs": True},
            {"name": "USP", "country": "BR", "cnrs": False},
        ],
        "countries": ["BR"],
        "call_id": None,
        "requested_eur": 60000,
        "awarded_eur": 60000,
        "total_awarded_eur": 120000,
        "released_eur": 12000,
        "withheld_eur": 0,
        "to_come_eur": 48000,
        "term_number": 1,
        "term_starts_at": datetime(2026, 1, 1, tzinfo=UTC),
        "term_ends_at": datetime(2030, 12, 31, 23, 0, tzinfo=UTC),
        "renewals": 0,
        "successor_id": None,
        "version": 7,
        "updated_at": datetime(2026, 6, 1, tzinfo=UTC),
        "institute": "INSU",
    }
    return PortfolioRow.model_validate({**fields, **changed})


def cells(html: str) -> list[str]:
    return [c.split("</td>", 1)[0].split(">", 1)[1] for c in html.split("<td")[1:]]


def test_what_a_person_typed_is_escaped_in_every_cell() -> None:
    written = str(portfolio_rows([row()], "en", translator("en")))
    assert "<script>" not in written
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co"
    shown = cells(written)
    assert shown[0].endswith(f"<small>{escaped}</small>")
    assert shown[4] == f"Ana {escaped}"
    assert shown[5] == f"Lab {escaped}; USP"


def test_each_cell_says_what_the_template_said_in_the_readers_language() -> None:
    for lang, state, amount in (("en", "active", "120,000"), ("fr", "actif", f"120{NNBSP}000")):
        written = str(portfolio_rows([row()], lang, translator(lang)))
        assert written.startswith(
            '<tr data-project="IRP-row1"><td><a href="/ui/projects/IRP-row1">'
        )
        shown = cells(written)
        assert shown[1:3] == ["IRP", f'<span class="phase phase-active">{state}</span>']
        assert shown[3] == "INSU" and shown[6] == "BR"
        assert shown[7] == "2026-01-01 → 2030-12-31"
        assert shown[9] == amount, lang
    # what a row has not (yet): no term, no award, no institute
    bare = cells(
        str(
            portfolio_rows(
                [row(term_starts_at=None, term_ends_at=None, awarded_eur=None, institute=None)],
                "en",
                translator("en"),
            )
        )
    )
    assert (bare[3], bare[7], bare[8]) == ("", "", "")
