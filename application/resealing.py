"""Sealing the events recorded before sealing began, once, the record still provable (the
data-protection officer has it done; README, "Personal data"): the record is verified
first (resealing must never cover up a break), then rewritten as the schema owner
(eventstore.resealing), which records a re-anchoring statement signed with the ledger's
key; and the check, by whoever holds the keys, that each rewritten event differs from
what it was only by the sealing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from application.audit import Audit
from application.backup import OwnerUrl
from application.refusals import Kind, Refusal
from domain.actors import OPERATOR
from domain.said import Said, said
from eventstore import reanchoring, resealing
from eventstore.postgres import PostgresEventStore
from eventstore.tree_head import load_or_create_key


class Resealed(BaseModel):
    """What a run sealed; nothing (`rewritten` 0, no heads) when nothing was in clear."""

    rewritten: int  # ledger leaves changed: the events sealed and those after them
    projects: list[str] = []  # whose events were rewritten
    sealed: int  # events whose names and e-mails were sealed
    at: datetime
    by: str
    reason: str
    ledger_size: int
    old_root: str | None = None
    new_root: str | None = None
    key_id: str | None = None


class Unconfirmed(BaseModel):
    event_id: str
    project_id: str | None
    version: int | None
    erased: bool  # its person was erased since: it can no longer be opened
    detail: str


class SealingCheck(BaseModel):
    """Each rewritten event, opened with its people's keys, against its kept old leaf."""

    statements: int
    checked: int
    confirmed: int  # differ from what they were only by the sealing
    unconfirmed: list[Unconfirmed]

    @property
    def differing(self) -> list[Unconfirmed]:
        return [u for u in self.unconfirmed if not u.erased]


async def seal_existing(
    store: PostgresEventStore,
    key_file: Path | None,
    owner_url: OwnerUrl,
    *,
    by: str,
    reason: str,
    operator: str,
) -> Resealed:
    if key_file is None:
        raise Refusal(Kind.UNAVAILABLE, said("no signing key is configured"), "ledger.key")
    url = await owner_url()
    if url is None:
        raise Refusal(
            Kind.UNAVAILABLE,
            said("sealing existing events needs the schema owner's login: set COLLAB_DATABASE_URL"),
            "reseal.owner",
        )
    report = await Audit(store, key_file).verify(OPERATOR, seal=True)
    if report.first_break is not None:
        raise Refusal(
            Kind.CONFLICT,
            said(
                "the record does not verify, nothing sealed: {detail}",
                detail=report.first_break.detail,
            ),
            "reseal.broken",
        )
    now = datetime.now(UTC)
    try:
        rewrite = await resealing.seal_existing(
            store,
            url,
            load_or_create_key(key_file),
            by=by,
            operator=operator,
            reason=reason,
            now=now,
        )
    except resealing.ResealRefused as err:
        raise Refusal(
            Kind.CONFLICT,
            said("the record does not verify, nothing sealed: {detail}", detail=str(err)),
            "reseal.broken",
        ) from err
    if rewrite is None:
        return Resealed(
            rewritten=0, sealed=0, at=now, by=by, reason=reason, ledger_size=report.ledger_size
        )
    statement = rewrite.statement
    return Resealed(
        projects=[s for s in rewrite.streams if ":" not in s],
        rewritten=len(statement.changes),
        sealed=sum(c.sealed for c in statement.changes),
        at=statement.at,
        by=by,
        reason=reason,
        ledger_size=statement.new_head.tree_size,
        old_root=statement.old_head.root_hash,
        new_root=statement.new_head.root_hash,
        key_id=statement.key_id,
    )


def summary(done: Resealed) -> Said:
    if not done.rewritten:
        return said("no event holds a name or an e-mail in clear: nothing to seal")
    return said(
        "{sealed} events recorded before sealing began are sealed now, and {rechained} after "
        "them in their projects chained again; the ledger of {size} events was re-anchored "
        "(old root {old_root}, new root {new_root}, key {key_id}): a digest taken before "
        "still verifies",
        sealed=done.sealed,
        rechained=done.rewritten - done.sealed,
        size=done.ledger_size,
        old_root=(done.old_root or "")[:16],
        new_root=(done.new_root or "")[:16],
        key_id=done.key_id,
    )


async def check_sealing(store: PostgresEventStore) -> SealingCheck:
    statements = [s for s in await reanchoring.recorded(store) if not isinstance(s, str)]
    checked, found = await resealing.differences(store, statements)
    return SealingCheck(
        statements=len(statements),
        checked=checked,
        confirmed=checked - len(found),
        unconfirmed=[
            Unconfirmed(
                event_id=d.event_id,
                project_id=d.stream_id,
                version=d.version,
                erased=d.erased,
                detail=d.detail,
            )
            for d in found
        ],
    )


def check_summary(check: SealingCheck) -> Said:
    if not check.statements:
        return said("no event was ever sealed in place: nothing to check")
    return said(
        "{confirmed} of the {checked} events rewritten in place differ from what they were "
        "only by the sealing; {erased} belong to people erased since and can no longer be "
        "opened; {differing} differ by more",
        confirmed=check.confirmed,
        checked=check.checked,
        erased=len(check.unconfirmed) - len(check.differing),
        differing=len(check.differing),
    )
