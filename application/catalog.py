"""The instrument catalog as the CLI and the API print it."""

from __future__ import annotations

from typing import Any

from domain.instruments import CATALOG
from domain.policy import DEFAULT_POLICY


def instruments_catalog() -> list[dict[str, Any]]:
    rows = []
    for inst in CATALOG.values():
        funding = DEFAULT_POLICY.funding_for(inst.code)
        rows.append(
            {
                "code": inst.code.value,
                "name": inst.name,
                "term_years": inst.term_years,
                "funding_min_eur": funding.funding_min_eur,
                "funding_max_eur": funding.funding_max_eur,
                "entry": inst.entry.value,
                "renewable": inst.renewable,
                "max_renewals": funding.max_renewals,
                "successor": inst.successor.value if inst.successor else None,
                "partner_rules": inst.partners.model_dump(mode="json"),
            }
        )
    return rows
