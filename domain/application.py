"""What an application declares: the coordinator, the partner labs, the amount asked."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from domain.institutes import Institute
from domain.instruments import InstrumentCode

FRANCE = "FR"


class Person(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    lab: str = Field(min_length=1, max_length=300)


class Lab(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")
    cnrs: bool = False

    @property
    def french(self) -> bool:
        return self.country == FRANCE


class Application(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: InstrumentCode
    title: str = Field(min_length=3, max_length=500)
    coordinator: Person
    labs: tuple[Lab, ...] = Field(min_length=1)
    requested_eur: int = Field(gt=0)
    institute: Institute | None = Field(
        default=None, description="the CNRS institute that leads the project"
    )
    prior_collaboration: str | None = Field(
        default=None, max_length=2000, description="the established collaboration (IRP)"
    )
    location: str | None = Field(
        default=None, max_length=300, description="the identified location (IRL)"
    )
    predecessor_project_id: str | None = Field(
        default=None, description="the IEA this application follows up (IRP)"
    )

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
