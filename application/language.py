"""Saying a message in its reader's language: the French catalogue (a gettext .po file, read
with Babel once, at import) for the messages the domain and the application say
(domain.said). The pages, the API and the CLI ask here; nothing else needs to know.

`python -m application.language` lists what the code says and the catalogue lacks."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from domain.said import ENGLISH, from_data, say
from readmodels.queries import DeadlineRow

LANGUAGES = ("en", "fr")
CATALOGUE_DIR = Path(__file__).parent / "locale"


def _read(lang: str) -> dict[str, str]:
    path = CATALOGUE_DIR / lang / "LC_MESSAGES" / "collab.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


_CATALOGUES: dict[str, dict[str, str]] = {lang: _read(lang) for lang in LANGUAGES[1:]}


def translation(template: str, lang: str) -> str | None:
    return _CATALOGUES.get(lang, {}).get(template)


def in_language(text: Any, lang: str | None) -> str:
    """`text` as a reader of `lang` reads it: a message from the catalogue, anything else as
    it is (a name, an id, a text a person typed)."""
    return say(text, lang or ENGLISH, translation)


def deadline_in(row: DeadlineRow, lang: str | None) -> DeadlineRow:
    """A deadline with its label in `lang` (a row projected before labels were messages
    keeps its English)."""
    data = row.label_said
    if data is None or not lang or lang == ENGLISH:
        return row
    message = from_data(json.loads(data) if isinstance(data, str) else data)
    return row.model_copy(update={"label": in_language(message, lang)})


def terminal_language() -> str:
    """French for a French locale (LC_ALL, LC_MESSAGES or LANG, as gettext reads them)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def pick(accept_language: str | None) -> str:
    """The first of our languages an Accept-Language header asks for; English otherwise."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LANGUAGES:
            return tag[:2]
    return ENGLISH


# --- what the code says, for the catalogue's test and its maintainers --------------------

SOURCES = ("domain", "application")
KEYWORDS = {"said": None, "phrase": None}


def said_in_code(root: Path) -> dict[str, str]:
    """Every template the code says (said(...), phrase(...)), with where it is first said."""
    from babel.messages.extract import extract_from_dir

    found: dict[str, str] = {}
    for package in SOURCES:
        for name, line, message, _, _ in extract_from_dir(
            str(root / package), method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            text = message if isinstance(message, str) else message[0]
            found.setdefault(text, f"{package}/{name}:{line}")
    return found


def _missing() -> None:  # pragma: no cover - a maintainer's tool
    root = Path(__file__).resolve().parents[1]
    for lang, table in _CATALOGUES.items():
        for template, where in said_in_code(root).items():
            if template not in table:
                print(f'# {lang}\n#: {where}\nmsgid {template!r}\nmsgstr ""\n')


if __name__ == "__main__":  # pragma: no cover
    _missing()
