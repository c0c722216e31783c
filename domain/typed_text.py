"""What people type as text (a page's form field, a CLI flag), read as the numbers their
step's input expects. The input models are strict (domain.fields: JSON's "60000" is not an
amount); a person at a form or a terminal can only type text, so their digits are read
here, and nothing else is.

A whole number may be typed with its thousands grouped, as people write amounts: "60 000"
(a space, a no-break space or a narrow no-break space, as French typography puts it) or
"60,000" (English grouping). Grouping is read only where it cannot be anything else: groups
of exactly three digits after the first, one separator throughout. "60.000" (60 to an
English reader, 60 000 to a French one), "6,00" (a decimal comma), "60000.5", "60000.0" or
"1e5" stay text and are refused as the API refuses them."""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from domain.fields import plain_type

# what may separate groups of three digits: a space, a no-break space, a narrow no-break
# space (French), or a comma (English)
GROUPING = (" ", "\u00a0", "\u202f", ",")
_SPACES = "[ \u00a0\u202f]"
_DIGITS = re.compile(r"[0-9]{1,12}")
_GROUPED = re.compile(r"[0-9]{1,3}(?:(?P<sep>[ \u00a0\u202f,])[0-9]{3})(?:(?P=sep)[0-9]{3}){0,3}")
# a rate typed the French way (0,1734; 1 234,5) or the English way (0.1734)
_DECIMAL_COMMA = re.compile(
    rf"[0-9]{{1,3}}(?:{_SPACES}[0-9]{{3}}){{0,3}},[0-9]{{1,12}}|[0-9]{{1,12}},[0-9]{{1,12}}"
)


def whole_number(text: str) -> int | None:
    """The whole number `text` is, typed plainly or with its thousands grouped; None when
    it is not one beyond doubt."""
    typed = text.strip()
    if _DIGITS.fullmatch(typed):
        return int(typed)
    grouped = _GROUPED.fullmatch(typed)
    if grouped:
        return int(typed.replace(grouped.group("sep"), ""))
    return None


def _number(value: Any) -> Any:
    if isinstance(value, str):
        read = whole_number(value)
        if read is not None:
            return read
    return value


def _decimal(value: Any) -> Any:
    """A rate typed the French way (0,1734) is the same number as 0.1734."""
    if isinstance(value, str) and _DECIMAL_COMMA.fullmatch(value.strip()):
        typed = re.sub(_SPACES, "", value.strip())
        return typed.replace(",", ".")
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
