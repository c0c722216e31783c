"""A realistic portfolio for `collab demo`: one application per scenario, and the import
file's entry of the project already running when the service began."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.actors import Role
from domain.application import Application, Lab, Person
from domain.calendar import add_months
from identity import people

CNRS = {
    "LIG": Lab(name="LIG Grenoble (UMR 5217)", country="FR", cnrs=True),
    "IPGP": Lab(name="IPGP Paris (UMR 7154)", country="FR", cnrs=True),
    "LAAS": Lab(name="LAAS Toulouse (UPR 8001)", country="FR", cnrs=True),
    "CEREGE": Lab(name="CEREGE Aix (UMR 7330)", country="FR", cnrs=True),
    "ISEM": Lab(name="ISEM Montpellier (UMR 5554)", country="FR", cnrs=True),
    "LAM": Lab(name="LAM Marseille (UMR 7326)", country="FR", cnrs=True),
}
ABROAD = {
    "USP": Lab(name="Universidade de São Paulo, IAG", country="BR"),
    "UNICAMP": Lab(name="UNICAMP, Instituto de Geociências", country="BR"),
    "TOKYO": Lab(name="University of Tokyo, JSK Lab", country="JP"),
    "AIST": Lab(name="AIST Tsukuba, JRL", country="JP"),
    "UCT": Lab(name="University of Cape Town, Dept of Oceanography", country="ZA"),
    "UBC": Lab(name="University of British Columbia, EOAS", country="CA"),
    "IISC": Lab(name="Indian Institute of Science, CAOS", country="IN"),
    "UNAM": Lab(name="UNAM, Instituto de Geofísica", country="MX"),
    "UCHILE": Lab(name="Universidad de Chile, Departamento de Geofísica", country="CL"),
    "UCHILE_ASTRO": Lab(name="Universidad de Chile, Departamento de Astronomía", country="CL"),
}
# the lab the amended project gains, as its officer enters it
NEW_PARTNER = ABROAD["UNAM"]
# who brings the running project in: a DERCI officer of the directory
IMPORTING_OFFICER = people.Person(
    person_id="derci-officer",
    name="Élise Martin",
    email="e.martin@cnrs.example.fr",
    lab="DERCI",
    country="FR",
    role=Role.DERCI_OFFICER,
)


def _pi(pid: str, name: str, lab: Lab) -> Person:
    return Person(id=pid, name=name, email=f"{pid}@cnrs.example.fr", lab=lab.name)


def portfolio() -> dict[str, Application]:
    """Scenario name -> application."""
    return {
        "approved_and_closed": Application(
            instrument="IRP",
            institute="INSU",
            title="Amazonian hydrology under deforestation",
            coordinator=_pi("pi-moreau", "Julie Moreau", CNRS["CEREGE"]),
            labs=(CNRS["CEREGE"], CNRS["IPGP"], ABROAD["USP"], ABROAD["UNICAMP"]),
            requested_eur=70_000,
            prior_collaboration="joint field campaigns since 2018, 14 co-authored papers",
        ),
        "rejected": Application(
            instrument="IRN",
            institute="INP",
            title="Network on sub-Antarctic ocean fronts",
            coordinator=_pi("pi-bernard", "Hugo Bernard", CNRS["IPGP"]),
            labs=(CNRS["IPGP"], ABROAD["UCT"], ABROAD["UBC"]),
            requested_eur=60_000,
        ),
        "renewed": Application(
            instrument="IRL",
            institute="INS2I",
            title="Joint Robotics Laboratory",
            coordinator=_pi("pi-kheddar", "Sofia Kheddar", CNRS["LAAS"]),
            labs=(CNRS["LAAS"], ABROAD["AIST"], ABROAD["TOKYO"]),
            requested_eur=95_000,
            location="AIST Tsukuba, Japan",
        ),
        "iea_succeeded_by_irp": Application(
            instrument="IEA",
            institute="INEE",
            title="Emerging action on monsoon predictability",
            coordinator=_pi("pi-roux", "Camille Roux", CNRS["LIG"]),
            labs=(CNRS["LIG"], ABROAD["IISC"]),
            requested_eur=12_000,
        ),
        "successor_irp": Application(
            instrument="IRP",
            institute="INEE",
            title="Monsoon predictability: from emerging action to joint project",
            coordinator=_pi("pi-roux", "Camille Roux", CNRS["LIG"]),
            labs=(CNRS["LIG"], ABROAD["IISC"]),
            requested_eur=60_000,
            prior_collaboration="IEA on monsoon predictability (2 years)",
            predecessor_project_id=None,  # set by the demo once the IEA id is known
        ),
        "late_report": Application(
            instrument="IRN",
            institute="INSHS",
            title="Network on biodiversity genomics of island species",
            coordinator=_pi("pi-lefevre", "Marc Lefèvre", CNRS["ISEM"]),
            labs=(CNRS["ISEM"], ABROAD["UNAM"], ABROAD["UBC"], ABROAD["UCT"]),
            requested_eur=55_000,
        ),
        "terminated_early": Application(
            instrument="IRL",
            institute="INC",
            title="Franco-Mexican laboratory for seismic hazard",
            coordinator=_pi("pi-garcia", "Lucía García", CNRS["IPGP"]),
            labs=(CNRS["IPGP"], ABROAD["UNAM"]),
            requested_eur=80_000,
            location="UNAM, Mexico City",
        ),
        "imported": Application(
            instrument="IRL",
            institute="INSU",
            title="Franco-Chilean laboratory for astronomical instrumentation",
            coordinator=_pi("pi-vidal", "Inés Vidal", CNRS["LAM"]),
            labs=(CNRS["LAM"], ABROAD["UCHILE_ASTRO"]),
            requested_eur=90_000,
            location="Universidad de Chile, Santiago",
        ),
        "amended": Application(
            instrument="IRP",
            institute="INSU",
            title="Seismic cycle of the Chilean subduction margin",
            coordinator=_pi("pi-dupont", "Claire Dupont", CNRS["IPGP"]),
            labs=(CNRS["IPGP"], ABROAD["UCHILE"]),
            requested_eur=60_000,
            prior_collaboration="a joint GNSS network since 2015, 9 co-authored papers",
        ),
        "co_funded": Application(
            instrument="IRN",
            institute="INSU",
            title="Network on South Atlantic paleoclimate",
            coordinator=_pi("pi-martin", "Paul Martin", CNRS["CEREGE"]),
            labs=(CNRS["CEREGE"], ABROAD["USP"], ABROAD["UNICAMP"], ABROAD["UCT"]),
            requested_eur=60_000,
        ),
    }


def running_entry(project_id: str, app: Application, now: datetime) -> dict[str, Any]:
    """The import file's entry of an IRL already running at `now`: its term began on the
    first of the month 27 months earlier (it is in its third year), three tranches paid and
    the reports on its first two years accepted."""
    starts = add_months(datetime(now.year, now.month, 1, tzinfo=UTC), -27)
    return {
        "project_id": project_id,
        **app.model_dump(mode="json", exclude_none=True),
        "imported": {
            "awarded_eur": 90_000,
            "term_starts_at": starts.date().isoformat(),
            "term_number": 1,
            "renewals": 0,
            "tranches_released": 3,
            "reports_accepted": ["term1-year1", "term1-year2"],
            "decided_by": {"id": "insu-officer", "role": "institute_officer"},
            "reason": "IRL running since before the service; brought in from the DERCI register",
        },
    }
