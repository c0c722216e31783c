"""What people type as text (a page's form field, a CLI flag), read as the numbers their
step's input expects. The input models are strict (domain.fields: JSON's "60000" is not an
amount); a person at a form or a terminal can only type text, so their digits are read
here, and nothing else is: "60000.0" or "1e5" stays text and is refused as the API
refuses it."""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from domain.fields import plain_type

_DIGITS = re.compile(r"[0-9]{1,12}")
_DECIMAL_COMMA = re.compile(r"[0-9]{1,12},[0-9]{1,12}")


def _number(value: Any) -> Any:
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    return value


def _decimal(value: Any) -> Any:
    """A rate typed the French way (0,1734) is the same number as 0.1734."""
    if isinstance(value, str) and _DECIMAL_COMMA.fullmatch(value.strip()):
        return value.strip().replace(",", ".")
    return value


def _read(kind: Any, value: Any) -> Any:
    if kind is int:
        return _number(value)
    if kind is Decimal:
        return _decimal(value)
    if typing.get_origin(kind) is dict and isinstance(value, Mapping):
        values = plain_type(typing.get_args(kind)[1])
        return {k: _read(values, v) for k, v in value.items()}
    return value


def from_text(model: type[BaseModel], typed: Mapping[str, Any]) -> dict[str, Any]:
    """`typed` with each number typed as digits read as a number, for `model`'s fields
    (an amount, the scores of a review); any other value is left for the model to judge."""
    fields = model.model_fields
    return {
        name: _read(plain_type(fields[name].annotation), value) if name in fields else value
        for name, value in typed.items()
    }
