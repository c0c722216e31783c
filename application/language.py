"""Saying a message in its reader's language: the French catalogue (a gettext .po file, read
with Babel once, at import) for the messages the domain and the application say
(domain.said). The pages, the API and the CLI ask here; nothing else needs to know.

`python -m application.language` lists what the code says and the catalogue lacks."""

from __future__ import annotations

import json
import os
import re
import string
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from domain.said import ENGLISH, Said, from_data, say
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


# A message recorded as plain English text (a reason the service gave, a finding): read
# back against the catalogue's templates, longest first, each value read back the same way.
# A template must hold words of its own to be matched, at least half the text's: "{n}" or
# "{n} reviews" would take "strong reviews" for a count.
_MIN_WORDS = 12


def _pattern(template: str) -> re.Pattern[str]:
    parts, names = [], set()
    for literal, name, _spec, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is not None:
            # the same name twice must say the same: a backreference
            parts.append(f"(?P={name})" if name in names else f"(?P<{name}>.+?)")
            names.add(name)
    return re.compile("".join(parts), re.DOTALL)


def _literal(template: str) -> int:
    return sum(len(lit) for lit, *_ in string.Formatter().parse(template))


_READABLE = sorted(
    (t for t in _CATALOGUES.get("fr", {}) if _literal(t) >= _MIN_WORDS),
    key=_literal,
    reverse=True,
)
_PATTERNS = {t: _pattern(t) for t in _READABLE}


def read_back(text: str, depth: int = 0) -> Any:
    """The message `text` says, if the catalogue knows its template: text recorded in
    English (an automatic step's reason) said again in the reader's language. Anything
    else (what a person typed) comes back as it is."""
    if depth > 3:
        return text
    for template in _READABLE:
        found = _PATTERNS[template].fullmatch(text)
        if found and 2 * _literal(template) >= len(text):
            values = {k: read_back(v, depth + 1) for k, v in found.groupdict().items()}
            return Said(template, values)
    return text


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

SOURCES = ("domain", "application", "web")
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
