"""The audit: is the record as it was? Per-stream hash chains, the ledger's own leaves, and
against a signed digest an auditor kept, that the ledger still extends it; inclusion proofs
an outsider checks without the database."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from application.refusals import Kind, Refusal
from domain.actors import Actor
from domain.authorization import may_audit
from domain.errors import DomainError
from domain.said import said
from eventstore import merkle, reanchoring
from eventstore.ledger import Ledger, LedgerBreak, LedgerBroken
from eventstore.postgres import PostgresEventStore
from eventstore.records import ChainBreak
from eventstore.tree_head import TreeHead as TreeHead
from eventstore.tree_head import load_or_create_key, signature_problem


class Break(BaseModel):
    project_id: str | None
    version: int | None
    event_id: str | None
    detail: str


class NewerEvent(BaseModel):
    ledger_index: int
    event_id: str
    project_id: str | None
    version: int | None
    type: str | None


SHOWN_NEWER = 20


class Reanchored(BaseModel):
    """A re-anchoring a digest was carried across: events rewritten in place (their
    personal fields sealed), the ledger's old and new heads signed together."""

    at: datetime
    by: str
    reason: str
    rewritten: int  # ledger leaves it changed


class AuditReport(BaseModel):
    """`intact` with how much a digest covers, or the first break."""

    intact: bool
    first_break: Break | None
    ledger_size: int
    covered: int | None = None  # events the digest vouches for
    key_id: str | None = None  # the digest's signing key: compare it with the one you keep
    newer: int | None = None  # sealed after the digest: not yet covered by one
    # the first of them, to look at: an event forged after the last digest shows here
    newer_events: list[NewerEvent] = []
    # taken before these re-anchorings, the digest still verifies through them
    reanchored: list[Reanchored] = []


class InclusionProof(BaseModel):
    """Everything an auditor needs, with the digest, to check one event offline."""

    model_config = ConfigDict(extra="forbid")

    event_id: str
    leaf_index: int
    tree_size: int
    leaf_input: str  # base64 of exactly what the leaf hashes
    audit_path: list[str]  # hex, RFC 9162 2.1.3.1


def _chain_break(broken: ChainBreak) -> Break:
    return Break(
        project_id=broken.stream_id,
        version=broken.version,
        event_id=str(broken.event_id),
        detail=broken.detail,
    )


def _ledger_break(broken: LedgerBreak) -> Break:
    return Break(
        project_id=broken.stream_id,
        version=broken.version,
        event_id=str(broken.event_id) if broken.event_id else None,
        detail=broken.detail,
    )


def read_digest(text: str, where: str = "digest") -> TreeHead:
    try:
        return TreeHead.model_validate_json(text)
    except ValidationError as err:
        raise Refusal.of_input(err, f"{where}.") from err


class Audit:
    def __init__(self, store: PostgresEventStore, key_file: Path | None) -> None:
        self._store = store
        self._ledger = Ledger(store)
        self._key_file = key_file

    async def digest(self) -> TreeHead:
        """Seal what is visible, and sign the ledger's head."""
        if self._key_file is None:
            raise Refusal(Kind.UNAVAILABLE, said("no signing key is configured"), "ledger.key")
        key = load_or_create_key(self._key_file)
        try:
            return await self._ledger.signed_head(key)
        except LedgerBroken as err:
            raise Refusal(
                Kind.CONFLICT,
                said("the ledger is broken, no digest signed: {err}", err=err),
                "ledger.broken",
            ) from err

    async def verify(
        self, viewer: Actor, digest: TreeHead | None = None, *, seal: bool = False
    ) -> AuditReport:
        """Every stream's chain, every sealed event against its leaf, and with a digest:
        its signature and that the ledger is an append-only extension of it. `seal`: first
        seal what is visible (an operator's check; a question over HTTP only reads)."""
        try:
            may_audit(viewer)
        except DomainError as err:
            raise Refusal.of_domain(err) from err
        chains = await self._store.verify()
        if seal:
            await self._ledger.seal()
        state = await self._ledger.state()
        size = len(state.leaves)
        if chains is not None:
            return AuditReport(intact=False, first_break=_chain_break(chains), ledger_size=size)
        broken = state.broken or await self._ledger.skipped()
        if broken is None and seal and self._ledger.stopped_at is not None:
            stopped = self._ledger.stopped_at
            broken = LedgerBreak(
                size, stopped.event_id, stopped.stream_id, stopped.version,
                "sealing stopped here: the event does not match its own hash",
            )  # fmt: skip
        if broken is not None:
            return AuditReport(intact=False, first_break=_ledger_break(broken), ledger_size=size)
        # every re-anchoring statement holds, whatever the digest: a statement altered, or
        # a kept old leaf hash changed, is a break of the record
        problem, unwound = reanchoring.unwind(
            await reanchoring.recorded(self._store), state.leaves, self._trusted()
        )
        if problem is not None:
            return AuditReport(intact=False, first_break=_missing(problem), ledger_size=size)
        if digest is None:
            return AuditReport(intact=True, first_break=None, ledger_size=size)
        problem = signature_problem(digest, self._trusted())
        if problem is not None:
            raise Refusal(
                Kind.RULE, said("digest: {problem}", problem=problem), "digest.signature", "digest"
            )
        if digest.tree_size > size:
            detail = (
                f"the ledger holds {size} events but the digest of {digest.timestamp:%Y-%m-%d} "
                f"covers {digest.tree_size}: ledger indexes {size}–{digest.tree_size - 1} "
                "are missing"
            )
            return AuditReport(intact=False, first_break=_missing(detail), ledger_size=size)
        proof = merkle.consistency_proof(state.leaves, digest.tree_size, size)
        current = merkle.root(state.leaves)
        crossed: list[reanchoring.Anchored] = []
        if not merkle.verify_consistency(digest.tree_size, size, digest.root, current, proof):
            crossed = _carried(digest, unwound)
            if not crossed:
                detail = (
                    f"the ledger does not extend the digest of {digest.timestamp:%Y-%m-%d}: "
                    f"its first {digest.tree_size} events no longer hash to the signed root "
                    "(events of that range were changed, removed or inserted)"
                )
                return AuditReport(intact=False, first_break=_missing(detail), ledger_size=size)
            foreign = [a.statement for a in crossed if a.statement.key_id != digest.key_id]
            if foreign:
                detail = (
                    f"{foreign[0].described()} is signed by key {foreign[0].key_id}, not by "
                    f"the digest's {digest.key_id}: it does not carry the digest"
                )
                return AuditReport(intact=False, first_break=_missing(detail), ledger_size=size)
        newer = await self._ledger.entries(digest.tree_size, SHOWN_NEWER)
        return AuditReport(
            intact=True,
            first_break=None,
            ledger_size=size,
            covered=digest.tree_size,
            key_id=digest.key_id,
            reanchored=[
                Reanchored(
                    at=a.statement.at,
                    by=a.statement.by,
                    reason=a.statement.reason,
                    rewritten=len(a.statement.changes),
                )
                for a in reversed(crossed)
            ],
            newer=size - digest.tree_size,
            newer_events=[
                NewerEvent(
                    ledger_index=e["ledger_index"],
                    event_id=str(e["event_id"]),
                    project_id=e["stream_id"],
                    version=e["version"],
                    type=e["type"],
                )
                for e in newer
            ],
        )

    async def prove(self, event_id: UUID, digest: TreeHead) -> InclusionProof:
        index = await self._ledger.locate(event_id)
        if index is None:
            raise Refusal(
                Kind.NOT_FOUND,
                said("event {event_id} is not in the ledger (yet)", event_id=event_id),
                "ledger.unsealed",
            )
        if index >= digest.tree_size:
            raise Refusal(
                Kind.RULE,
                said(
                    "event {event_id} was sealed after this digest (index {index} of "
                    "{tree_size}): prove it against a newer digest",
                    event_id=event_id,
                    index=index,
                    tree_size=digest.tree_size,
                ),
                "ledger.newer",
            )
        leaves = await self._ledger.stored_leaves(digest.tree_size)
        if len(leaves) < digest.tree_size:
            raise Refusal(
                Kind.CONFLICT,
                said(
                    "the ledger holds {n_leaves} leaves, fewer than the digest's {tree_size}: "
                    "run `collab audit verify --digest`",
                    n_leaves=len(leaves),
                    tree_size=digest.tree_size,
                ),
                "ledger.broken",
            )
        try:
            leaf_input = await self._ledger.leaf_input(index)
        except LookupError as err:
            raise Refusal(
                Kind.CONFLICT,
                said(
                    "event {event_id} was deleted from the store: run `collab audit verify`",
                    event_id=event_id,
                ),
                "ledger.broken",
            ) from err
        if merkle.leaf_hash(leaf_input) != leaves[index]:
            raise Refusal(
                Kind.CONFLICT,
                said(
                    "event {event_id} no longer matches its sealed leaf: run `collab audit "
                    "verify --digest`",
                    event_id=event_id,
                ),
                "ledger.broken",
            )
        path = merkle.inclusion_proof(leaves, index, digest.tree_size)
        return InclusionProof(
            event_id=str(event_id),
            leaf_index=index,
            tree_size=digest.tree_size,
            leaf_input=base64.b64encode(leaf_input).decode(),
            audit_path=[h.hex() for h in path],
        )

    def _trusted(self) -> Any:
        if self._key_file is None or not self._key_file.exists():
            return None
        return load_or_create_key(self._key_file).public_key()


def _missing(detail: str) -> Break:
    return Break(project_id=None, version=None, event_id=None, detail=detail)


def _carried(digest: TreeHead, unwound: list[reanchoring.Anchored]) -> list[reanchoring.Anchored]:
    """The re-anchorings (newest first) that carry a digest taken before them to the
    ledger as it is now: none when it was taken before none of them."""
    for crossed, anchored in enumerate(unwound, start=1):
        if reanchoring.reaches(digest, anchored):
            return unwound[:crossed]
    return []


def check_proof(proof: InclusionProof, digest: TreeHead) -> dict[str, Any]:
    """An inclusion proof checked against a digest, with no database: what an external
    auditor runs. Returns the event the proof vouches for, as its leaf states it."""
    problem = signature_problem(digest)
    if problem is not None:
        raise Refusal(
            Kind.RULE, said("digest: {problem}", problem=problem), "digest.signature", "digest"
        )
    if proof.tree_size != digest.tree_size:
        raise Refusal(
            Kind.RULE,
            said(
                "the proof is for a tree of {tree_size}, the digest of {tree_size2}",
                tree_size=proof.tree_size,
                tree_size2=digest.tree_size,
            ),
            "proof.size",
        )
    try:
        leaf_input = base64.b64decode(proof.leaf_input, validate=True)
        path = [bytes.fromhex(h) for h in proof.audit_path]
    except ValueError as err:
        raise Refusal(
            Kind.INPUT, said("proof: not a proof ({err})", err=err), "proof.format"
        ) from err
    leaf = merkle.leaf_hash(leaf_input)
    described = _described(leaf_input)
    if described["event"]["event_id"] != proof.event_id:
        raise Refusal(
            Kind.RULE,
            said(
                "the proof is for event {described}, not {event_id}",
                described=described["event"]["event_id"],
                event_id=proof.event_id,
            ),
            "proof.invalid",
        )
    if not merkle.verify_inclusion(leaf, proof.leaf_index, proof.tree_size, path, digest.root):
        raise Refusal(
            Kind.RULE,
            said(
                "the proof does not lead to the digest's root: event {event_id} is not at "
                "index {leaf_index} of the signed ledger as stated",
                event_id=proof.event_id,
                leaf_index=proof.leaf_index,
            ),
            "proof.invalid",
        )
    return {"verified": True, "key_id": digest.key_id, **described}


def _described(leaf_input: bytes) -> dict[str, Any]:
    """The event as the leaf states it (eventstore.ledger.leaf_input's layout)."""
    canonical, _, tail = leaf_input.partition(b"\n")
    fields = json.loads(canonical)
    recorded_at = tail.split(b"\n", 1)[0].decode()
    names = (
        "event_id",
        "project_id",
        "version",
        "type",
        "schema_version",
        "occurred_at",
        "actor_id",
        "actor_role",
        "reason",
        "data",
    )
    return {"event": {**dict(zip(names, fields, strict=True)), "recorded_at": recorded_at}}
