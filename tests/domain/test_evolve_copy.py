"""evolve copies the state with a shortcut of pydantic's model_copy: the same result."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from domain.evolve import _replace
from domain.state import Phase, ProjectState, Renewal, RenewalStatus, Report, Term, Tranche
from tests.builders import utc

NOW = utc(2026, 3, 2)


def _same(a: BaseModel, b: BaseModel) -> None:
    assert type(a) is type(b)
    assert a == b
    assert a.__dict__ == b.__dict__
    assert a.__pydantic_fields_set__ == b.__pydantic_fields_set__
    assert a.__pydantic_extra__ == b.__pydantic_extra__
    assert a.__pydantic_private__ == b.__pydantic_private__
    assert a.model_dump_json() == b.model_dump_json()
    assert a.model_dump_json(exclude_unset=True) == b.model_dump_json(exclude_unset=True)


@pytest.mark.parametrize(
    ("model", "changes"),
    [
        (ProjectState(), {"project_id": "P-1", "version": 1, "phase": Phase.SUBMITTED}),
        (ProjectState(project_id="P-1", version=3), {"version": 4, "last_event_at": NOW}),
        (Report(report_id="r", term_number=1, year=1, opens_at=NOW, due_at=NOW), {}),
        (Tranche(year=1, due_at=NOW, amount_eur=5), {"withheld_at": NOW, "year": 1}),
        (
            Term(number=1, starts_at=NOW, ends_at=NOW, awarded_eur=1, tranches=()),
            {"tranches": (Tranche(year=1, due_at=NOW, amount_eur=5),)},
        ),
        (
            Renewal(term_number=1, status=RenewalStatus.REQUESTED, requested_eur=9),
            {"status": RenewalStatus.GRANTED, "awarded_eur": 8},
        ),
    ],
)
def test_replace_gives_what_model_copy_gives(model: BaseModel, changes: dict[str, Any]) -> None:
    copied = _replace(model, dict(changes))
    _same(copied, model.model_copy(update=changes))
    assert copied is not model
    with pytest.raises(ValidationError):  # still frozen
        copied.version = 99  # type: ignore[attr-defined]
    # the original is untouched, its fields-set included
    assert (
        model.__pydantic_fields_set__
        == type(model).model_validate(model.model_dump(exclude_unset=True)).__pydantic_fields_set__
    )


class _Private(BaseModel):
    a: int = 0
    _seen: int = PrivateAttr(default=7)


class _Extra(BaseModel):
    model_config = ConfigDict(extra="allow")
    a: int = 0


def test_models_with_private_or_extra_fields_are_handed_to_model_copy() -> None:
    private = _Private(a=1)
    _same(_replace(private, {"a": 2}), private.model_copy(update={"a": 2}))
    assert _replace(private, {"a": 2})._seen == 7
    extra = _Extra(a=1, b=2)  # type: ignore[call-arg]
    _same(_replace(extra, {"a": 2, "c": 3}), extra.model_copy(update={"a": 2, "c": 3}))
