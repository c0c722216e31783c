"""A realistic portfolio for `collab demo`: one application per scenario."""

from __future__ import annotations

from domain.application import Application, Lab, Person

CNRS = {
    "LIG": Lab(name="LIG Grenoble (UMR 5217)", country="FR", cnrs=True),
    "IPGP": Lab(name="IPGP Paris (UMR 7154)", country="FR", cnrs=True),
    "LAAS": Lab(name="LAAS Toulouse (UPR 8001)", country="FR", cnrs=True),
    "CEREGE": Lab(name="CEREGE Aix (UMR 7330)", country="FR", cnrs=True),
    "ISEM": Lab(name="ISEM Montpellier (UMR 5554)", country="FR", cnrs=True),
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
}


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
    }
