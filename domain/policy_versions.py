"""The policy DERCI sets without a release: numbered versions, each effective from a day,
each a fact with who set it, when and why (stream `policy:cnrs`, event PolicyVersionSet).

The version in force on a day governs what starts that day: a new application (it records
its policy in ApplicationSubmitted and keeps it for its whole life, as before) and the IEA
call opened that year. Projects already running keep the policy they started with."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain import wording
from domain.actors import Actor, Role
from domain.errors import NotPermitted, RuleViolation
from domain.fields import service_stream
from domain.policy import DEFAULT_POLICY, Policy
from domain.said import said

POLICY_STREAM = service_stream("policy", "cnrs")
POLICY_SET = "PolicyVersionSet"
SETTERS = frozenset({Role.DERCI_OFFICER})


class PolicyVersionSetData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    effective_at: AwareDatetime  # midnight UTC of its first day
    policy: Policy


class PolicyVersion(BaseModel):
    """A version as recorded: its document, its day, who set it, when and why."""

    model_config = ConfigDict(frozen=True)

    version: int
    effective_at: AwareDatetime
    policy: Policy
    set_by: str | None = None  # None: the code's default, version 0
    set_at: AwareDatetime | None = None
    reason: str | None = None


DEFAULT_VERSION = PolicyVersion(
    version=0, effective_at=datetime(2000, 1, 1, tzinfo=UTC), policy=DEFAULT_POLICY
)


class PolicyBook(BaseModel):
    """Every version, oldest first; version 0 is the code's default."""

    model_config = ConfigDict(frozen=True)

    versions: tuple[PolicyVersion, ...] = (DEFAULT_VERSION,)

    @property
    def latest(self) -> PolicyVersion:
        return self.versions[-1]

    def in_force(self, at: datetime) -> PolicyVersion:
        """The version in force at `at`: the latest whose day has begun."""
        return next(v for v in reversed(self.versions) if v.effective_at <= at)

    def with_version(self, version: PolicyVersion) -> PolicyBook:
        return PolicyBook(versions=(*self.versions, version))


def book_of(recorded: Iterable[tuple[dict[str, Any], str, datetime, str | None]]) -> PolicyBook:
    """The book from the stream's PolicyVersionSet events: (data, actor id, recorded at,
    reason), oldest first."""
    book = PolicyBook()
    for data, actor_id, recorded_at, reason in recorded:
        fact = PolicyVersionSetData.model_validate(data)
        book = book.with_version(
            PolicyVersion(
                version=fact.version,
                effective_at=fact.effective_at,
                policy=fact.policy,
                set_by=actor_id,
                set_at=recorded_at,
                reason=reason,
            )
        )
    return book


def set_policy(
    book: PolicyBook, policy: Policy, effective: date, actor: Actor, reason: str, at: datetime
) -> PolicyVersionSetData:
    """A new version, or the rule it breaks: set by a DERCI officer, with a reason, effective
    from a day not yet past and after the latest version's day (a version already in force
    is never rewritten: what started under it keeps it)."""
    if actor.role not in SETTERS:
        raise NotPermitted(
            "role",
            said(
                "{role} {actor_id} may not set the policy; only a DERCI officer may",
                role=wording.role(actor.role),
                actor_id=actor.id,
            ),
        )
    if not reason.strip():
        raise RuleViolation(
            "reason.required",
            said("reason: a reason is required to {to}", to=said("set the policy")),
            "reason",
        )
    starts = datetime.combine(effective, time(), tzinfo=UTC)
    if effective < at.astimezone(UTC).date():
        raise RuleViolation(
            "policy.past",
            said(
                "effective: a policy takes effect from a day to come or today; {day} is past",
                day=wording.day(starts),
            ),
            "effective",
        )
    latest = book.latest
    if latest.version > 0 and starts <= latest.effective_at:
        raise RuleViolation(
            "policy.order",
            said(
                "effective: version {version} takes effect on {day}; a new version takes "
                "effect after it",
                version=latest.version,
                day=wording.day(latest.effective_at),
            ),
            "effective",
        )
    return PolicyVersionSetData(version=latest.version + 1, effective_at=starts, policy=policy)
