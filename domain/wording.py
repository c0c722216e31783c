"""How refusals put things in words: counts, days, phases and roles as a person says them.
Each is a message (domain.said): English as it reads, and French from the catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.actors import Role
from domain.said import Day, Eur, Listed, Said, Words, phrase, said

_ROLES = {
    Role.COORDINATOR: phrase("coordinator"),
    Role.REVIEWER: phrase("reviewer"),
    Role.INSTITUTE_OFFICER: phrase("institute officer"),
    Role.DERCI_OFFICER: phrase("DERCI officer"),
    Role.AUDITOR: phrase("auditor"),
    Role.DATA_PROTECTION_OFFICER: phrase("data protection officer"),
    Role.SYSTEM: phrase("system"),
}
_A_ROLES = {
    Role.COORDINATOR: phrase("a coordinator"),
    Role.REVIEWER: phrase("a reviewer"),
    Role.INSTITUTE_OFFICER: phrase("an institute officer"),
    Role.DERCI_OFFICER: phrase("a DERCI officer"),
    Role.AUDITOR: phrase("an auditor"),
    Role.DATA_PROTECTION_OFFICER: phrase("the data protection officer"),
    Role.SYSTEM: phrase("the system"),
}
# the phases (domain.state.Phase) and the statuses of tranches, reports and renewals
_STATES = {
    "new": phrase("new"),
    "submitted": phrase("submitted"),
    "ineligible": phrase("ineligible"),
    "under_evaluation": phrase("under evaluation"),
    "approved": phrase("approved"),
    "rejected": phrase("rejected"),
    "active": phrase("active"),
    "closed": phrase("closed"),
    "terminated": phrase("terminated"),
    "planned": phrase("planned"),
    "released": phrase("released"),
    "withheld": phrase("withheld"),
    "forfeited": phrase("forfeited"),
    "due": phrase("due"),
    "accepted": phrase("accepted"),
    "requested": phrase("requested"),
    "granted": phrase("granted"),
    "refused": phrase("refused"),
}
# what is counted: (one, several)
_COUNTED = {
    "review": (phrase("one review"), phrase("{n} reviews")),
    "month": (phrase("one month"), phrase("{n} months")),
    "unpaid tranche": (phrase("one unpaid tranche"), phrase("{n} unpaid tranches")),
    "application": (phrase("one application"), phrase("{n} applications")),
}


def number(n: int) -> Words:
    """Small numbers in words (`none` for 0), larger ones in figures."""
    return Words(n)


def count(n: int, noun: str) -> Said:
    """`one review`, `two reviews`, `12 reviews`."""
    one, several = _COUNTED[noun]
    return said(one) if n == 1 else said(several, n=Words(n))


def times(n: int) -> Said:
    """`once`, `twice`, `three times`."""
    if n == 1:
        return said("once")
    if n == 2:
        return said("twice")
    return said("{n} times", n=Words(n))


def day(moment: datetime) -> Day:
    """`1 June 2027`: the month named, whatever the host's locale."""
    return Day(moment)


def phase(value: str) -> Said:
    """A phase or a status as the pages say it: `under_evaluation` is `under evaluation`."""
    template = _STATES.get(value)
    return said(template) if template else Said(value.replace("_", " "), {})


def role(value: Role) -> Said:
    return said(_ROLES[value])


def a_role(value: Role) -> Said:
    """`a coordinator`, `an institute officer`, `the system`."""
    return said(_A_ROLES[value])


def either(items: Iterable[str]) -> Listed:
    """`a`, `a or b`, `a, b or c`."""
    return Listed(items, "or")


def eur(amount: int) -> Eur:
    """`12,000 EUR`: an amount as English prose writes it, and French as French does."""
    return Eur(amount)


def every(items: Iterable[str]) -> Listed:
    """`a`, `a and b`, `a, b and c`."""
    return Listed(items, "and")
