"""Realistic applications and actors for tests: one valid application per instrument."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

from domain.actors import Actor, Role
from domain.application import Application, Lab, Person, Reviewer
from domain.instruments import InstrumentCode

NS = UUID("6f1c2c1e-8b1a-4c55-9c0e-3d2f8a9b7c10")

DERCI = Actor(id="derci-martin", role=Role.DERCI_OFFICER)
INSTITUTE = Actor(id="insu-dupont", role=Role.INSTITUTE_OFFICER)
AUDITOR = Actor(id="audit-leroy", role=Role.AUDITOR)

LIG = Lab(name="LIG Grenoble", country="FR", cnrs=True)
LPENS = Lab(name="LPENS Paris", country="FR", cnrs=True)
UNIV_LYON = Lab(name="Université Lyon 1 ICBMS", country="FR", cnrs=False)
USP = Lab(name="Universidade de São Paulo IME", country="BR")
UNICAMP = Lab(name="UNICAMP IFGW", country="BR")
TOKYO = Lab(name="University of Tokyo ISSP", country="JP")
KYOTO = Lab(name="Kyoto University RIMS", country="JP")
MCGILL = Lab(name="McGill Physics", country="CA")


def coordinator(pid: str = "pi-durand") -> Person:
    return Person(id=pid, name="Claire Durand", email=f"{pid}@cnrs.example.fr", lab=LIG.name)


def application(code: InstrumentCode | str, **overrides: Any) -> Application:
    code = InstrumentCode(code)
    # each asks its instrument's most, so that any award in range is within the request
    base: dict[str, Any] = {
        InstrumentCode.IEA: {
            "labs": (LIG, USP),
            "requested_eur": 14_000,
            "title": "Emerging action on tropical climate modelling",
        },
        InstrumentCode.IRN: {
            "labs": (LIG, UNIV_LYON, USP, TOKYO, MCGILL),
            "requested_eur": 75_000,
            "title": "Network on quantum materials",
        },
        InstrumentCode.IRP: {
            "labs": (LIG, LPENS, USP, UNICAMP),
            "requested_eur": 75_000,
            "title": "Joint project on Amazonian hydrology",
            "prior_collaboration": "joint PhD supervision and 12 co-authored papers since 2019",
        },
        InstrumentCode.IRL: {
            "labs": (LIG, TOKYO, KYOTO),
            "requested_eur": 100_000,
            "title": "Franco-Japanese laboratory for robotics",
            "location": "Tokyo, Japan",
        },
    }[code]
    fields = {"instrument": code, "coordinator": coordinator(), **base, **overrides}
    return Application.model_validate(fields)


def pi_actor(pid: str = "pi-durand") -> Actor:
    return Actor(id=pid, role=Role.COORDINATOR)


def reviewer(rid: str = "rev-1", lab: str = "ETH Zurich D-PHYS", country: str = "CH") -> Reviewer:
    return Reviewer(id=rid, name=f"Reviewer {rid}", lab=lab, country=country)


def reviewer_actor(rid: str = "rev-1") -> Actor:
    return Actor(id=rid, role=Role.REVIEWER)


def cid(*parts: object) -> UUID:
    """A deterministic command id for tests."""
    return uuid5(NS, "/".join(map(str, parts)))


def utc(year: int, month: int = 1, day: int = 1, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
