"""Countries: the ISO 3166-1 alpha-2 codes, and their names in English and French.

The partner rules count countries (an IEA has exactly one foreign country), so a code must
name a real one: `XX` would pass as a foreign country. The list is pycountry's (the Debian
iso-codes data); it is read once, when this module is imported, and never again."""

from __future__ import annotations

import gettext

import pycountry

CODES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)
LANGUAGES = ("en", "fr")


def _names() -> dict[str, dict[str, str]]:
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    names: dict[str, dict[str, str]] = {"en": {}, "fr": {}}
    for c in pycountry.countries:
        # the name people use (Bolivia, Taiwan) where the standard's is long
        english = getattr(c, "common_name", None) or c.name
        names["en"][c.alpha_2] = english
        translated = french.gettext(english)
        names["fr"][c.alpha_2] = translated if translated != english else french.gettext(c.name)
    return names


_NAMES = _names()


def is_country(code: str) -> bool:
    return code in CODES


def country_name(code: str, lang: str = "en") -> str:
    """The country's name in `lang` (en or fr; another language reads English); an unknown
    code is shown as it is, since recorded facts may hold one given before it was checked."""
    return _NAMES.get(lang, _NAMES["en"]).get(code, code)
