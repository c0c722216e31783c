"""Re-anchoring statements: how a digest taken before events were rewritten in place (their
personal fields sealed, eventstore.resealing) still vouches for the record.

Rewriting an event changes its hash, the chain of its stream after it and the ledger's
leaves for all of them, so the ledger's root is no longer one an older digest can reach.
The statement, signed with the ledger's key, says: the ledger was the tree (old size, old
root) and is now the tree (new size, new root), and these leaves changed, each from its
old hash to its new one. Leaf hashes are RFC 9162 hashes: they reveal no personal data.

A verifier holding an older digest then checks, with the ledger as it is now:
- the statement's signature, and that its new head is the current ledger's prefix;
- that putting each kept old leaf back where it changed gives the old head's root (a
  kept leaf changed, or a change left out, and it does not);
- that the digest is a prefix of that old tree (an RFC 9162 consistency proof).
Whoever holds the people's keys can also check that each rewritten event, its sealed
fields opened, hashes to its kept old leaf (eventstore.resealing.differences): it
differs only by the sealing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from eventstore import merkle
from eventstore.migrations import Connection
from eventstore.postgres import PostgresEventStore
from eventstore.tree_head import (
    TreeHead,
    sign_text,
    signature_problem,
    text_signature_problem,
)

_CONTEXT = b"collab-lifecycle re-anchoring statement v1\n"
_HEX = r"^[0-9a-f]{64}$"


class Change(BaseModel):
    """One ledger leaf the rewrite changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ledger_index: int = Field(ge=0)
    event_id: str
    old_leaf: str = Field(pattern=_HEX)
    new_leaf: str = Field(pattern=_HEX)
    # its personal fields were sealed; False: it only follows one in its stream, and
    # its chain links alone changed
    sealed: bool


class Statement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    old_head: TreeHead
    new_head: TreeHead
    at: datetime
    by: str  # the person (directory id) who had it done
    operator: str  # the OS account that ran it
    reason: str
    changes: list[Change]
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    public_key: str
    signature: str

    def signed_text(self) -> bytes:
        return _text(
            self.old_head, self.new_head, self.at, self.by, self.operator, self.reason,
            self.changes,
        )  # fmt: skip

    def described(self) -> str:
        return f"the re-anchoring of {self.at:%Y-%m-%d %H:%M} UTC"


def _text(
    old: TreeHead,
    new: TreeHead,
    at: datetime,
    by: str,
    operator: str,
    reason: str,
    changes: list[Change],
) -> bytes:
    # the heads' own signed texts, then one line a field (texts JSON-quoted: a newline in
    # a reason cannot pass for a change), then one line a change
    lines = [
        old.signed_text().hex(),
        new.signed_text().hex(),
        at.astimezone(UTC).isoformat(timespec="microseconds"),
        json.dumps(by),
        json.dumps(operator),
        json.dumps(reason),
        *(
            f"{c.ledger_index} {c.event_id} {c.old_leaf} {c.new_leaf} {int(c.sealed)}"
            for c in changes
        ),
    ]
    return _CONTEXT + "\n".join(lines).encode() + b"\n"


def make(
    old: TreeHead,
    new: TreeHead,
    changes: list[Change],
    *,
    by: str,
    operator: str,
    reason: str,
    key: Ed25519PrivateKey,
    now: datetime,
) -> Statement:
    kid, public, signature = sign_text(_text(old, new, now, by, operator, reason, changes), key)
    return Statement(
        old_head=old, new_head=new, at=now, by=by, operator=operator, reason=reason,
        changes=changes, key_id=kid, public_key=public, signature=signature,
    )  # fmt: skip


@dataclass(frozen=True)
class Anchored:
    """A statement, with the ledger's leaves as they were just before it."""

    statement: Statement
    leaves_before: list[bytes]


async def recorded(store: PostgresEventStore) -> list[Statement | str]:
    """The statements in the order they were recorded; one that does not read as a
    statement is its row id's description (a break, for verify to report)."""
    async with store.connection() as conn:
        rows = await conn.fetch(
            "SELECT reanchoring_id, statement FROM ledger_reanchorings ORDER BY reanchoring_id"
        )
    found: list[Statement | str] = []
    for row in rows:
        try:
            found.append(Statement.model_validate_json(row["statement"]))
        except ValidationError:
            found.append(f"re-anchoring statement {row['reanchoring_id']} is not a statement")
    return found


async def record(conn: Connection, statement: Statement) -> None:
    await conn.execute(
        "INSERT INTO ledger_reanchorings (statement) VALUES ($1)", statement.model_dump_json()
    )


def unwind(
    statements: list[Statement | str],
    leaves: list[bytes],
    trusted: Ed25519PublicKey | None,
) -> tuple[str | None, list[Anchored]]:
    """Each statement checked against the ledger's current `leaves`, newest first, each
    one's kept old leaves put back to give the leaves before it: (the first problem, or
    None; the statements with their leaves before, newest first)."""
    unwound: list[Anchored] = []
    for statement in reversed(statements):
        if isinstance(statement, str):
            return statement + ": its row was altered", unwound
        problem = _problem(statement, leaves, trusted)
        if problem is not None:
            return f"{statement.described()}: {problem}", unwound
        before = list(leaves)
        for change in statement.changes:
            before[change.ledger_index] = bytes.fromhex(change.old_leaf)
        old = statement.old_head
        if merkle.root(before[: old.tree_size]) != old.root:
            return (
                f"{statement.described()}: its kept old leaf hashes do not hash to its old "
                f"head's root: a kept leaf hash was changed, or a change left out"
            ), unwound
        unwound.append(Anchored(statement, before))
        leaves = before
    return None, unwound


def _problem(
    statement: Statement, leaves: list[bytes], trusted: Ed25519PublicKey | None
) -> str | None:
    signed = text_signature_problem(
        statement.signed_text(),
        statement.key_id,
        statement.public_key,
        statement.signature,
        trusted,
        "statement",
    )
    if signed is not None:
        return signed
    for head in (statement.old_head, statement.new_head):
        if head.key_id != statement.key_id:
            return f"its heads are signed by key {head.key_id}, it by key {statement.key_id}"
        problem = signature_problem(head, trusted)
        if problem is not None:
            return problem
    new, old = statement.new_head, statement.old_head
    if new.tree_size != old.tree_size or new.tree_size > len(leaves):
        return f"it covers {new.tree_size} leaves; the ledger holds {len(leaves)}"
    if merkle.root(leaves[: new.tree_size]) != new.root:
        return "the ledger no longer hashes to its new head's root"
    for change in statement.changes:
        if change.ledger_index >= new.tree_size:
            return f"it changes ledger index {change.ledger_index}, beyond its heads"
        if leaves[change.ledger_index].hex() != change.new_leaf:
            return (
                f"ledger index {change.ledger_index} (event {change.event_id}) is not the "
                "leaf it states"
            )
    return None


def reaches(digest: TreeHead, anchored: Anchored) -> bool:
    """Whether `digest` is a prefix of the ledger as it was just before the statement."""
    old = anchored.statement.old_head
    if digest.tree_size > old.tree_size:
        return False
    proof = merkle.consistency_proof(anchored.leaves_before, digest.tree_size, old.tree_size)
    return merkle.verify_consistency(digest.tree_size, old.tree_size, digest.root, old.root, proof)
