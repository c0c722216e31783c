"""How refusals put things in words: counts, days, phases and roles as a person says them
(the API and the CLI speak English; the pages translate the labels they can)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.actors import Role

_WORDS = ("none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ROLES = {
    Role.COORDINATOR: "coordinator",
    Role.REVIEWER: "reviewer",
    Role.INSTITUTE_OFFICER: "institute officer",
    Role.DERCI_OFFICER: "DERCI officer",
    Role.AUDITOR: "auditor",
    Role.SYSTEM: "system",
}


def number(n: int) -> str:
    """Small numbers in words (`none` for 0), larger ones in figures."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`one review`, `two reviews`, `12 reviews`."""
    return f"{number(n)} {noun if n == 1 else plural or noun + 's'}"


def times(n: int) -> str:
    """`once`, `twice`, `three times`."""
    return {1: "once", 2: "twice"}.get(n, f"{number(n)} times")


def day(moment: datetime) -> str:
    """`1 June 2027`: the month named, whatever the host's locale."""
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def phase(value: str) -> str:
    """A phase as the pages say it: `under_evaluation` is `under evaluation`."""
    return value.replace("_", " ")


def role(value: Role) -> str:
    return _ROLES[value]


def a_role(value: Role) -> str:
    """`a coordinator`, `an institute officer`, `the system`."""
    if value is Role.SYSTEM:
        return "the system"
    words = _ROLES[value]
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


def either(items: Iterable[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    listed = list(items)
    if len(listed) < 2:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} or {listed[-1]}"


def eur(amount: int) -> str:
    """`12,000 EUR`: an amount as English prose writes it (the pages format by language)."""
    return f"{amount:,} EUR"


def every(items: Iterable[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    listed = list(items)
    if len(listed) < 2:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} and {listed[-1]}"
