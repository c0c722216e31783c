r"""Schemathesis hooks for tests/test_api_fuzz.py (loaded by path from its config file).

One narrow exception to `positive_data_acceptance` ("a request its schema admits is
accepted"): a 422 whose refusal says it was refused by what no JSON Schema can state.
Every other rejection of schema-valid data stays a failure, and every other check is whole.

What the schema cannot state, and why:
- a rule of the instruments or of the directory (`rule` other than "input" and "query"):
  an amount within the project's instrument's range, a country that exists (the schema
  says two capital letters), a reviewer who is registered, a criterion the policy names,
  a term start for a direct-contact instrument... They depend on the project, the policy
  or the directory, not on the request's shape.
- a cursor this list did not give (`field` "cursor"): a cursor is opaque, only a value the
  server handed out is one.
- an integer written as a whole float (`int_type`): JSON Schema's "integer" admits 60000.0,
  and the domain's amounts and scores are strict by design (domain.fields: 60000.0 is not
  an amount).
- a control character in text (`text_character`): the domain refuses them in names and
  reasons (domain.text), a rule the fields' schemas do not carry.
- U+0085 in an e-mail address: its pattern's `\s` is Unicode's White_Space to the server
  (pydantic's regex) and ECMA-262's to a JSON Schema reader, and only the first holds
  U+0085 (the second holds U+FEFF). A gap in the domain's e-mail patterns, to close there:
  `[^@\s\x00-\x1f\x7f-\x9f\ufeff]` reads the same to both.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

_UNSTATABLE_INPUT = {"int_type", "text_character"}


def _given(body: Any, loc: list[Any]) -> Any:
    for part in loc:
        try:
            body = body[part]
        except (KeyError, IndexError, TypeError):
            return None
    return body


def _whitespace_gap(error: dict[str, Any], body: Any) -> bool:
    r"""A pattern with `\s` refused a value holding U+0085 (see the module's docstring)."""
    value = _given(body, error.get("loc") or [])
    return (
        error.get("type") == "string_pattern_mismatch"
        and "\\s" in error.get("msg", "")
        and isinstance(value, str)
        and "\x85" in value
    )


def _unstatable(detail: dict[str, Any], body: Any) -> bool:
    if detail.get("rule") not in ("input", "query"):
        return True  # a rule of the instruments, the policy or the directory
    if detail.get("field") == "cursor":
        return True
    errors = detail.get("errors") or []
    return bool(errors) and all(
        e.get("type") in _UNSTATABLE_INPUT or _whitespace_gap(e, body) for e in errors
    )


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """False drops the failure."""
    if failure.code != "ST202" or response.status_code != 422:  # ST202: positive rejected
        return True
    try:
        detail = json.loads(response.content)["detail"]
    except (ValueError, KeyError, TypeError):
        return True
    return not (isinstance(detail, dict) and _unstatable(detail, case.body))
