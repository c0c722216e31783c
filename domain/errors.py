"""Domain errors. Each names the rule it enforces so callers can map it (HTTP 422/409/403)
and users read which rule failed."""

from __future__ import annotations


class DomainError(Exception):
    """A command refused by a rule of the CNRS instruments or of the lifecycle."""

    kind = "rule"

    def __init__(self, rule: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        # the input field the refusal is about, where there is one (shown next to it)
        self.field = field

    def __str__(self) -> str:
        return self.message


class RuleViolation(DomainError):
    """The input breaks a rule (partners, amounts, dates, missing reason)."""

    kind = "validation"


class IllegalTransition(DomainError):
    """The command does not apply in the project's current phase."""

    kind = "transition"


class NotPermitted(DomainError):
    """The actor's role may not issue this command on this project."""

    kind = "permission"
