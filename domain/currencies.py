"""Currencies: the ISO 4217 codes a partner's contribution is stated in, and their names in
English and French. pycountry's list (the Debian iso-codes data), read once on import."""

from __future__ import annotations

import gettext

import pycountry

CODES: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.currencies)


def _names() -> dict[str, dict[str, str]]:
    french = gettext.translation("iso4217", pycountry.LOCALES_DIR, languages=["fr"])
    return {
        "en": {c.alpha_3: c.name for c in pycountry.currencies},
        "fr": {c.alpha_3: french.gettext(c.name) for c in pycountry.currencies},
    }


_NAMES = _names()


def is_currency(code: str) -> bool:
    return code in CODES


def currency_name(code: str, lang: str = "en") -> str:
    return _NAMES.get(lang, _NAMES["en"]).get(code, code)
