"""Errors the CLI reports as one line, with the exit code people and scripts rely on."""

from __future__ import annotations

from pydantic import ValidationError

REFUSED = 1  # refused by a rule, or not found
USAGE = 2  # the command itself is malformed


class CliError(Exception):
    def __init__(self, message: str, code: int = REFUSED, payload: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.payload = payload  # printed on stdout with --json, beside the stderr line


def describe_validation(err: ValidationError, prefix: str = "") -> str:
    """`field.path: what rule failed` for each problem, on one line."""
    parts = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-"))
        where = f"{prefix}{loc}" if loc else prefix.rstrip(".") or "input"
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)
