"""Text a person types: what characters it may hold.

A control character (NUL above all) is never meant in a name or a reason: PostgreSQL refuses
NUL in text, terminals and pages misrender the others, and a lone surrogate (half of a
UTF-16 pair, possible in JSON's \\uD800) cannot even be encoded to be stored. So text is
refused at the input, naming the field and the character, before anything is sent on."""

from __future__ import annotations

import re

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

# C0 controls, DEL, C1 controls and the surrogate range; free text keeps tab and line breaks
_NOT_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _refuse(found: re.Match[str], allowed: str) -> PydanticCustomError:
    char = found.group()
    kind = "an unpaired surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    return PydanticCustomError(
        "text_character",
        "{kind} (U+{code}) at position {position} is not allowed; {allowed}",
        {
            "kind": kind,
            "code": f"{ord(char):04X}",
            "position": found.start() + 1,
            "allowed": allowed,
        },
    )


def text_problem(value: str | None, *, free: bool) -> str | None:
    """What is wrong with `value` as one line (`free`: as paragraphs), or None."""
    found = (_NOT_IN_TEXT if free else _NOT_IN_LINE).search(value) if value else None
    if found is None:
        return None
    error = _refuse(found, _ALLOWED[free])
    return error.message()


_ALLOWED = {
    False: "type text on one line",
    True: "only tabs and line breaks may be used besides text",
}


def one_line(value: str | None) -> str | None:
    found = _NOT_IN_LINE.search(value) if value else None
    if found:
        raise _refuse(found, _ALLOWED[False])
    return value


def free_text(value: str | None) -> str | None:
    found = _NOT_IN_TEXT.search(value) if value else None
    if found:
        raise _refuse(found, _ALLOWED[True])
    return value


# markers for a field's Annotated[...], after its length bounds (so an overlong text is
# refused for its length before it is scanned): a name, a title, a lab, an email, a place...
ONE_LINE = AfterValidator(one_line)
# ... or a reason, a summary, a description: paragraphs
FREE_TEXT = AfterValidator(free_text)
