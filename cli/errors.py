"""Errors the CLI reports as one line, with the exit code people and scripts rely on."""

from __future__ import annotations

REFUSED = 1  # refused by a rule, or not found
USAGE = 2  # the command itself is malformed


class CliError(Exception):
    def __init__(self, message: str, code: int = REFUSED, payload: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.payload = payload  # printed on stdout with --json, beside the stderr line
