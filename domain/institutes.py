"""The ten CNRS institutes: the one that leads a project is whose officers follow it."""

from __future__ import annotations

from enum import StrEnum


class Institute(StrEnum):
    CNRS_BIOLOGIE = "INSB"
    CNRS_CHIMIE = "INC"
    CNRS_ECOLOGIE_ENVIRONNEMENT = "INEE"
    CNRS_SCIENCES_HUMAINES_SOCIALES = "INSHS"
    CNRS_INFORMATIQUE = "INS2I"
    CNRS_INGENIERIE = "INSIS"
    CNRS_MATHEMATIQUES = "INSMI"
    CNRS_PHYSIQUE = "INP"
    CNRS_NUCLEAIRE_PARTICULES = "IN2P3"
    CNRS_TERRE_UNIVERS = "INSU"
