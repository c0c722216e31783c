"""What operators see of the service at work: the Prometheus metrics (prometheus_client's
default registry, served at /metrics) and whether this process is ready to serve.

Nothing here names a person or a project: labels are step names (the declared commands),
refusal kinds and rule ids, and reminder states, all bounded sets. Counters count what this
process did (the steps it took or refused, the appends its worker made); gauges are read
from the database at each scrape, in a few statements bounded whatever the store's size
(readmodels.operations)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, generate_latest

from application.projects import ProjectService
from application.refusals import Refusal, StoreUnreachable
from eventstore.postgres import PostgresEventStore
from readmodels.operations import LAG_BOUND, database_answers, figures, projector_behind

STEPS = Counter(
    "collab_steps",
    "Steps people asked for, by command and outcome (taken, or the refusal's kind)",
    ["command", "outcome"],
)
REFUSALS = Counter("collab_step_refusals", "Steps refused, by the rule that refused", ["rule"])
PROJECTOR_LAG_EVENTS = Gauge(
    "collab_projector_lag_events",
    f"Events stored that the read models do not reflect yet (counted up to {LAG_BOUND})",
)
PROJECTOR_LAG_SECONDS = Gauge(
    "collab_projector_lag_seconds",
    "Age of the oldest event the read models do not reflect yet (0: none)",
)
UNSEALED_EVENTS = Gauge(
    "collab_ledger_unsealed_events",
    f"Events stored that the ledger has not sealed yet (counted up to {LAG_BOUND})",
)
UNSEALED_SECONDS = Gauge(
    "collab_ledger_unsealed_seconds", "Age of the oldest event not sealed yet (0: none)"
)
REMINDERS = Gauge(
    "collab_reminders",
    "Reminders in the outbox by state: queued (waiting for an attempt), sending, sent "
    f"(exact up to {LAG_BOUND}, then an estimate), failed (given up on)",
    ["state"],
)
OUTBOX_AGE = Gauge(
    "collab_outbox_oldest_unsent_seconds",
    "Age of the oldest reminder not sent yet, queued or sending (0: none)",
)
SCRAPE_ERRORS = Counter(
    "collab_metrics_read_errors", "Scrapes whose figures could not be read from the database"
)

# a rule id is a dotted name of the domain's (bounded); anything else is counted as "other"
_RULE = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_MAX_RULES = 500  # distinct rule labels ever: a bound on the series, whatever happens
_rules_seen: set[str] = set()


def _rule_label(rule: str | None) -> str:
    if rule is None:
        return "none"
    if not _RULE.fullmatch(rule):
        return "other"
    if rule not in _rules_seen:
        if len(_rules_seen) >= _MAX_RULES:
            return "other"
        _rules_seen.add(rule)
    return rule


def step_taken(command: str) -> None:
    STEPS.labels(command=command, outcome="taken").inc()


def step_refused(command: str, refusal: Refusal) -> None:
    STEPS.labels(command=command, outcome=refusal.kind.value).inc()
    REFUSALS.labels(rule=_rule_label(refusal.rule)).inc()


def step_failed(command: str) -> None:
    """A step that neither went through nor was refused: an error of the service's."""
    STEPS.labels(command=command, outcome="error").inc()


def exposition() -> tuple[bytes, str]:
    """The registry in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class Operations:
    """Readiness and the metrics read from the database, for this process's store and
    (when it has one) Temporal client."""

    def __init__(
        self, store: PostgresEventStore, projects: ProjectService | None, timeout_s: float = 2.0
    ) -> None:
        self._store = store
        self._projects = projects
        self._timeout_s = timeout_s
        self._refreshing = asyncio.Lock()
        self._refreshed_at = float("-inf")

    async def refresh_metrics(self, min_interval_s: float = 1.0) -> bool:
        """Read the gauges' figures from the database; False when it could not answer (the
        gauges then keep their last values, and SCRAPE_ERRORS counts it). One read at a
        time, and none when the last is younger than `min_interval_s`: however often and
        however many scrape, the database answers at most one read an interval."""
        async with self._refreshing:
            now = asyncio.get_running_loop().time()
            if now - self._refreshed_at < min_interval_s:
                return True
            self._refreshed_at = now
            return await self._refresh()

    async def _refresh(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout_s):
                seen = await figures(self._store, int(self._timeout_s * 1000))
        except Exception:
            SCRAPE_ERRORS.inc()
            return False
        PROJECTOR_LAG_EVENTS.set(seen.projector.events)
        PROJECTOR_LAG_SECONDS.set(seen.projector.seconds)
        UNSEALED_EVENTS.set(seen.sealer.events)
        UNSEALED_SECONDS.set(seen.sealer.seconds)
        for state in ("queued", "sending", "sent", "failed"):
            REMINDERS.labels(state=state).set(getattr(seen.outbox, state))
        OUTBOX_AGE.set(seen.outbox.oldest_unsent_seconds)
        return True

    async def not_ready(self, max_projector_lag_s: float) -> dict[str, str]:
        """What keeps this process from serving, by check (empty: ready). The reasons name
        no person and no project."""
        reasons: dict[str, str] = {}
        try:
            async with asyncio.timeout(self._timeout_s):
                await database_answers(self._store)
        except Exception as err:
            # the driver's own error says why (refused, no socket, shutting down)
            cause = err.__cause__ if isinstance(err, StoreUnreachable) and err.__cause__ else err
            reasons["database"] = f"unreachable ({type(cause).__name__})"
        if "database" not in reasons:
            try:
                async with asyncio.timeout(self._timeout_s):
                    behind = await projector_behind(self._store, int(self._timeout_s * 1000))
            except Exception as err:
                reasons["projector"] = f"lag unknown ({type(err).__name__})"
            else:
                if behind.events and behind.seconds > max_projector_lag_s:
                    reasons["projector"] = (
                        f"{behind.events} events behind, the oldest {behind.seconds:.1f} s "
                        f"ago (bound: {max_projector_lag_s:g} s)"
                    )
        if self._projects is not None:
            try:
                await self._projects.ping(timedelta(seconds=self._timeout_s))
            except Exception as err:
                reasons["temporal"] = f"unreachable ({type(err).__name__})"
        return reasons
