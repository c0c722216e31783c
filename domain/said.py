"""What a person reads, said once and readable in each of their languages.

A message is written in English where the rule is (`said("year: {project_id} is funded
from {first} to {last}; got {year}", ...)`): it *is* that English text (a str, so logs,
the record and every English reader see it unchanged), and it keeps its template and its
values, so an entry point that knows its reader's language says it in French from the
catalogue (application.language: a gettext .po file whose keys are these templates).
Values that depend on the language say themselves: a day, an amount, a number in words,
a list ("a, b and c" / "a, b et c"), or another message (a role, a phase).

Pure: no catalogue here. `render(message, lang, translate)` takes the lookup as a function.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

# the lookup an entry point gives: (template, language) -> that language's template, or
# None when the catalogue has none (the English is said then)
Lookup = Callable[[str, str], str | None]

ENGLISH = "en"


class Said(str):
    """English text that knows its template and values."""

    template: str
    values: Mapping[str, Any]

    def __new__(cls, template: str, values: Mapping[str, Any]) -> Said:
        text = _format(template, values, ENGLISH, _english_only)
        made = super().__new__(cls, text)
        made.template = template
        made.values = dict(values)
        return made

    def __reduce__(self) -> Any:  # copies and pickles keep what makes it translatable
        return (Said, (self.template, self.values))


def said(template: str, /, **values: Any) -> Said:
    """A message in English with its values by name; the catalogue's key is `template`."""
    return Said(template, values)


# --- values that say themselves in each language: each is its English text too, so a
# value that ends up in a plain f-string still reads right in English


class Day(str):
    """1 June 2027 / 1er juin 2027."""

    moment: date

    def __new__(cls, moment: date) -> Day:
        made = super().__new__(
            cls, f"{moment.day} {_MONTHS[ENGLISH][moment.month - 1]} {moment.year}"
        )
        made.moment = moment
        return made

    def __reduce__(self) -> Any:
        return (Day, (self.moment,))


class Eur(str):
    """12,000 EUR / 12 000 EUR."""

    amount: int

    def __new__(cls, amount: int) -> Eur:
        made = super().__new__(cls, f"{amount:,} EUR")
        made.amount = amount
        return made

    def __reduce__(self) -> Any:
        return (Eur, (self.amount,))


class Words(str):
    """A small number in words (none, one, two ...; aucun, un, deux ...), others in figures."""

    n: int

    def __new__(cls, n: int) -> Words:
        words = _WORDS[ENGLISH]
        made = super().__new__(cls, words[n] if 0 <= n < len(words) else str(n))
        made.n = n
        return made

    def __reduce__(self) -> Any:
        return (Words, (self.n,))


class Listed(str):
    """a, b and c / a, b et c (`conjunction` "and" or "or"); or each item after the other
    with a separator (`conjunction` "," or ";")."""

    items: tuple[Any, ...]
    conjunction: str

    def __new__(cls, items: Iterable[Any], conjunction: str = "and") -> Listed:
        listed = tuple(items)
        text = [str(i) for i in listed]
        if conjunction in _SEPARATORS:
            joined = f"{conjunction} ".join(text)
        elif len(text) < 2:
            joined = "".join(text)
        else:
            joined = f"{', '.join(text[:-1])} {conjunction} {text[-1]}"
        made = super().__new__(cls, joined)
        made.items, made.conjunction = listed, conjunction
        return made

    def __reduce__(self) -> Any:
        return (Listed, (self.items, self.conjunction))


_MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
        "septembre", "octobre", "novembre", "décembre",
    ),
}  # fmt: skip
_WORDS = {
    "en": ("none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    "fr": ("aucun", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix"),
}
_SEPARATORS = (",", ";")
_CONJUNCTIONS = {"en": {"and": "and", "or": "or"}, "fr": {"and": "et", "or": "ou"}}
# French groups thousands with a narrow no-break space, and puts one before "EUR"
_GROUP = {"en": ",", "fr": "\u202f"}
_BEFORE_UNIT = {"en": " ", "fr": "\u00a0"}


def _language(lang: str) -> str:
    return lang if lang in _MONTHS else ENGLISH


def _grouped(n: int, lang: str) -> str:
    return f"{n:,}".replace(",", _GROUP[_language(lang)])


def _english_only(template: str, lang: str) -> str | None:
    return None


def say(value: Any, lang: str, lookup: Lookup) -> str:
    """`value` as a reader of `lang` reads it."""
    lang = _language(lang)
    if isinstance(value, Said):
        template = (lookup(value.template, lang) if lang != ENGLISH else None) or value.template
        return _format(template, value.values, lang, lookup)
    if isinstance(value, Day):
        m = value.moment
        first = "1er" if lang == "fr" and m.day == 1 else str(m.day)
        return f"{first} {_MONTHS[lang][m.month - 1]} {m.year}"
    if isinstance(value, Eur):
        return f"{_grouped(value.amount, lang)}{_BEFORE_UNIT[lang]}EUR"
    if isinstance(value, Words):
        words = _WORDS[lang]
        return words[value.n] if 0 <= value.n < len(words) else str(value.n)
    if isinstance(value, Listed):
        items = [say(i, lang, lookup) for i in value.items]
        if value.conjunction in _SEPARATORS:
            # French typography: a space before ";" (a narrow no-break one)
            before = "\u202f" if lang == "fr" and value.conjunction == ";" else ""
            return f"{before}{value.conjunction} ".join(items)
        if len(items) < 2:
            return "".join(items)
        return f"{', '.join(items[:-1])} {_CONJUNCTIONS[lang][value.conjunction]} {items[-1]}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class _Formatter(string.Formatter):
    def __init__(self, lang: str, lookup: Lookup) -> None:
        self.lang, self.lookup = lang, lookup

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "," and isinstance(value, int) and not isinstance(value, bool):
            return _grouped(value, self.lang)
        if format_spec:
            return format(value, format_spec)
        return say(value, self.lang, self.lookup)


def _format(template: str, values: Mapping[str, Any], lang: str, lookup: Lookup) -> str:
    return _Formatter(lang, lookup).vformat(template, (), values)


def placeholders(template: str) -> set[str]:
    """The names a template uses: a translation must use the same."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def every(items: Iterable[Any]) -> Listed:
    return Listed(tuple(items), "and")


def either(items: Iterable[Any]) -> Listed:
    return Listed(tuple(items), "or")


def phrase(template: str) -> str:
    """Marks a template said later from a table (`said(_ROLES[role])`): the catalogue's
    extraction finds it here, where it is written."""
    return template


# --- across a boundary (a workflow's refusal, a stored label): JSON-able, and back ----------


def as_data(value: Any) -> Any:
    """`value` as JSON-able data that `from_data` makes into the same message again."""
    if isinstance(value, Said):
        return {"said": value.template, "values": {k: as_data(v) for k, v in value.values.items()}}
    if isinstance(value, Day):
        return {"day": value.moment.isoformat()}
    if isinstance(value, Eur):
        return {"eur": value.amount}
    if isinstance(value, Words):
        return {"words": value.n}
    if isinstance(value, Listed):
        return {"listed": [as_data(i) for i in value.items], "conjunction": value.conjunction}
    if isinstance(value, str | int) and not isinstance(value, bool):
        return (
            value
            if type(value) in (str, int)
            else (str(value) if isinstance(value, str) else int(value))
        )
    return str(value)


def from_data(data: Any) -> Any:
    if isinstance(data, dict):
        if "said" in data:
            values = {k: from_data(v) for k, v in (data.get("values") or {}).items()}
            return Said(str(data["said"]), values)
        if "day" in data:
            text = str(data["day"])
            return Day(datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text))
        if "eur" in data:
            return Eur(int(data["eur"]))
        if "words" in data:
            return Words(int(data["words"]))
        if "listed" in data:
            return Listed([from_data(i) for i in data["listed"]], str(data.get("conjunction")))
    return data
