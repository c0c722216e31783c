"""What an application declares: the coordinator, the partner labs, the amount asked."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from domain.fields import Eur, ProjectId
from domain.institutes import Institute
from domain.instruments import InstrumentCode

FRANCE = "FR"
# an IRN gathers several labs abroad; more than this is not an application but a mistake
MAX_LABS = 100

# An application is also the payload of a recorded fact (ApplicationSubmitted), read back
# for ever: its texts are bounded here, and their characters are the decider's rule on a
# submission (domain.text, handlers.submit_application), so that a fact recorded before
# that rule still reads.
Name = Annotated[str, Field(min_length=1, max_length=200)]
LabName = Annotated[str, Field(min_length=1, max_length=300)]


class Person(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Name
    name: Name
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    lab: LabName


class Lab(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: LabName
    # the pattern here; whether it is a country (ISO 3166-1) is the decider's rule on a
    # submission (domain.countries), so that facts recorded before it still read
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")
    cnrs: StrictBool = False

    @property
    def french(self) -> bool:
        return self.country == FRANCE


class Application(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: InstrumentCode
    title: str = Field(min_length=3, max_length=500)
    coordinator: Person
    labs: tuple[Lab, ...] = Field(min_length=1, max_length=MAX_LABS)
    requested_eur: Eur
    institute: Institute | None = Field(
        default=None, description="the CNRS institute that leads the project"
    )
    prior_collaboration: str | None = Field(
        default=None, max_length=2000, description="the established collaboration (IRP)"
    )
    location: str | None = Field(
        default=None, max_length=300, description="the identified location (IRL)"
    )
    predecessor_project_id: Annotated[
        ProjectId | None, Field(description="the IEA this application follows up (IRP)")
    ] = None

    def texts(self) -> list[tuple[str, str | None, bool]]:
        """(field, text, free) of each text a person typed: `free` allows paragraphs."""
        person = self.coordinator
        return [
            ("application.title", self.title, False),
            ("application.coordinator.id", person.id, False),
            ("application.coordinator.name", person.name, False),
            ("application.coordinator.email", person.email, False),
            ("application.coordinator.lab", person.lab, False),
            *((f"application.labs.{i}.name", lab.name, False) for i, lab in enumerate(self.labs)),
            ("application.location", self.location, False),
            ("application.prior_collaboration", self.prior_collaboration, True),
        ]

    @property
    def cnrs_labs(self) -> tuple[Lab, ...]:
        return tuple(lab for lab in self.labs if lab.cnrs)

    @property
    def french_labs(self) -> tuple[Lab, ...]:
        return tuple(lab for lab in self.labs if lab.french)

    @property
    def foreign_labs(self) -> tuple[Lab, ...]:
        return tuple(lab for lab in self.labs if not lab.french)

    @property
    def foreign_countries(self) -> tuple[str, ...]:
        return tuple(sorted({lab.country for lab in self.foreign_labs}))


class Reviewer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    lab: str = Field(min_length=1, max_length=300)
    country: str = Field(pattern=r"^[A-Z]{2}$")
