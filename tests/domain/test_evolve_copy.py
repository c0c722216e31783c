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


def test_fold_gives_what_evolving_event_by_event_gives_and_touches_no_state_given() -> None:
    from bench.lifegen import generate_life
    from domain.evolve import evolve, fold

    for n in range(24):  # every kind of life
        events = [e for unit in generate_life(n, seed=5).units for e in unit]
        steps = [ProjectState()]
        for event in events:
            steps.append(evolve(steps[-1], event))
        dumps = [s.model_dump_json() for s in steps]
        fields_sets = [set(s.__pydantic_fields_set__) for s in steps]
        for cut in (0, 1, len(events) // 2, len(events) - 1):
            given = steps[cut]
            folded = fold(events[cut:], given)
            _same(folded, steps[-1])
            assert folded is not given
            # every state handed out before is as it was
            assert [s.model_dump_json() for s in steps] == dumps
            assert [s.__pydantic_fields_set__ for s in steps] == fields_sets
        assert fold([], steps[3]) is steps[3]


def test_fold_refuses_an_event_out_of_order_like_evolve() -> None:
    from bench.lifegen import generate_life
    from domain.evolve import fold

    events = [e for unit in generate_life(0, seed=5).units for e in unit]
    with pytest.raises(ValueError, match="does not follow project version 1"):
        fold([events[0], events[2]])
