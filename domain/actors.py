"""Who acts: every event records an actor (id and role); automatic steps act as `system`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    COORDINATOR = "coordinator"
    REVIEWER = "reviewer"
    INSTITUTE_OFFICER = "institute_officer"
    DERCI_OFFICER = "derci_officer"
    AUDITOR = "auditor"
    DATA_PROTECTION_OFFICER = "data_protection_officer"  # personal data: exports, erasure
    SYSTEM = "system"


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    role: Role


SYSTEM = Actor(id="system", role=Role.SYSTEM)
# whoever asks from the service's own host (the CLI's questions, with the database's
# rights): reads the whole portfolio, changes nothing
OPERATOR = Actor(id="operator", role=Role.SYSTEM)
