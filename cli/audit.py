"""`collab audit`: is the record as it was? `digest` writes a signed tree head to keep
outside the database; `verify [--digest FILE]` checks the chains, the ledger and that the
ledger extends the digest; `prove` writes an event's inclusion proof, which `check-proof`
checks with no database (what an external auditor runs)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any
from uuid import UUID

from application.audit import AuditReport, InclusionProof, TreeHead, check_proof, read_digest
from application.service import Application
from cli.errors import USAGE, CliError
from domain.actors import OPERATOR


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise CliError(f"{what} {path}: cannot read ({err.strerror})", USAGE) from err


def _digest(args: argparse.Namespace) -> TreeHead | None:
    """The digest of --digest, held to --key-id when the auditor pinned the key they were
    given: a digest re-signed with another key (by someone who rewrote the ledger and
    made a key of their own) is refused before anything is compared with it."""
    if not args.digest:
        return None
    digest = read_digest(_read(args.digest, "--digest"))
    pinned = getattr(args, "key_id", None)
    if pinned and pinned.lower() != digest.key_id:
        raise CliError(
            f"--digest {args.digest}: signed by key {digest.key_id}, not by the key you "
            f"trust ({pinned.lower()}): this digest does not vouch for the record"
        )
    return digest


def _text(report: AuditReport) -> str:
    if report.covered is None:
        return (
            f"every hash chain is intact; the ledger's {report.ledger_size} events match "
            "their leaves"
        )
    lines = [
        f"intact up to {report.covered} events (the digest's, signed by key {report.key_id}); "
        f"{report.newer} newer events not yet covered by a digest"
    ]
    lines += [
        f"  across the re-anchoring of {r.at:%Y-%m-%d %H:%M} UTC by {r.by} ({r.reason}): "
        f"{r.rewritten} events rewritten in place, their personal data sealed"
        for r in report.reanchored
    ]
    lines += [
        f"  not yet covered: #{e.ledger_index} {e.project_id} v{e.version} {e.type} ({e.event_id})"
        for e in report.newer_events
    ]
    return "\n".join(lines)


async def run_audit(app: Application, args: argparse.Namespace) -> tuple[Any, str]:
    if args.audit_command == "digest":
        head = await app.audit.digest()
        text = head.model_dump_json(indent=2)
        if args.out:
            await asyncio.to_thread(Path(args.out).write_text, text + "\n", encoding="utf-8")
            return head.model_dump(mode="json"), (
                f"digest of {head.tree_size} events (key {head.key_id}) written to "
                f"{args.out}: keep a copy where the database cannot reach"
            )
        return head.model_dump(mode="json"), text
    if args.audit_command == "prove":
        try:
            event_id = UUID(args.event_id)
        except ValueError as err:
            raise CliError(f"EVENT_ID: not an event id: {args.event_id!r}", USAGE) from err
        digest = _digest(args)
        assert digest is not None  # --digest is required
        proof = await app.audit.prove(event_id, digest)
        return proof.model_dump(mode="json"), proof.model_dump_json(indent=2)
    report = await app.audit.verify(OPERATOR, _digest(args), seal=True)
    if report.first_break is None:
        return report.model_dump(mode="json"), _text(report)
    brk = report.first_break
    where = (
        f"hash chain broken at {brk.project_id} v{brk.version} (event {brk.event_id}): "
        if brk.project_id is not None and "ledger index" not in brk.detail
        else "ledger: "
    )
    raise CliError(where + brk.detail, payload=report.model_dump(mode="json"))


def check_proof_offline(args: argparse.Namespace) -> tuple[Any, str]:
    """`collab audit check-proof`: no database, no service, only the two files."""
    digest = _digest(args)
    assert digest is not None
    try:
        proof = InclusionProof.model_validate_json(_read(args.proof, "PROOF"))
    except ValueError as err:
        raise CliError(f"{args.proof}: not an inclusion proof ({err})", USAGE) from err
    checked = check_proof(proof, digest)
    event = checked["event"]
    return checked, (
        f"verified: {event['project_id']} v{event['version']} {event['type']} "
        f"by {event['actor_role']}:{event['actor_id']} at {event['occurred_at']} "
        f"(recorded {event['recorded_at']}) is event {proof.leaf_index} of the "
        f"{proof.tree_size} signed with key {digest.key_id}"
    )
