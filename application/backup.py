"""Backup and restore of the record: the ledger sealed and its head signed (the Audit's
digest), then a copy of the database; a restore puts the copy back and checks that the
restored ledger extends the digest taken at backup time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from application.audit import Audit, AuditReport, read_digest
from application.refusals import Kind, Refusal
from domain.actors import OPERATOR
from domain.said import said
from eventstore import backup_tools
from eventstore.postgres import PostgresEventStore

DUMP = "collab.dump"
DIGEST = "digest.json"
MANIFEST = "manifest.json"

OwnerUrl = Callable[[], Awaitable[str | None]]


class Manifest(BaseModel):
    taken_at: datetime
    database_bytes: int
    events: int
    ledger_size: int  # the digest's tree size
    key_id: str
    digest_file: str
    dump_file: str
    dump_sha256: str


class Restored(BaseModel):
    manifest: Manifest
    replaced_events: int  # the events the database held before
    audit: AuditReport


class Backups:
    def __init__(self, store: PostgresEventStore, audit: Audit, owner_url: OwnerUrl) -> None:
        self._store = store
        self._audit = audit
        self._owner_url = owner_url

    async def _owner(self) -> str:
        url = await self._owner_url()
        if url is None:
            raise Refusal(
                Kind.UNAVAILABLE,
                said("backup and restore need the schema owner's login: set COLLAB_DATABASE_URL"),
                "backup.owner",
            )
        return url

    async def backup(self, out_dir: Path) -> Manifest:
        """Seal and sign first: the copy holds at least what the digest covers."""
        owner = await self._owner()
        dump = out_dir / DUMP
        if await asyncio.to_thread(dump.exists):
            raise Refusal(
                Kind.CONFLICT,
                said("{dir} already holds a backup: choose another directory", dir=str(out_dir)),
                "backup.exists",
            )
        await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
        head = await self._audit.digest()
        text = head.model_dump_json(indent=2) + "\n"
        await asyncio.to_thread((out_dir / DIGEST).write_text, text, encoding="utf-8")
        await backup_tools.dump(owner, dump)
        facts = await backup_tools.facts(owner)
        manifest = Manifest(
            taken_at=datetime.now(UTC),
            database_bytes=facts.size_bytes,
            events=facts.events,
            ledger_size=head.tree_size,
            key_id=head.key_id,
            digest_file=DIGEST,
            dump_file=DUMP,
            dump_sha256=await asyncio.to_thread(backup_tools.sha256, dump),
        )
        text = manifest.model_dump_json(indent=2) + "\n"
        await asyncio.to_thread((out_dir / MANIFEST).write_text, text, encoding="utf-8")
        return manifest

    async def restore(self, backup_dir: Path, *, replace: bool) -> Restored:
        """`replace`: the operator agreed to lose the events the database holds now."""
        manifest = await _manifest(backup_dir)
        digest = read_digest(await _read(backup_dir / manifest.digest_file), "digest")
        dump = backup_dir / manifest.dump_file
        found = await asyncio.to_thread(backup_tools.sha256, dump)
        if found != manifest.dump_sha256:
            raise Refusal(
                Kind.RULE,
                said(
                    "{dump}: its SHA-256 is not the manifest's: the copy was changed or "
                    "damaged, nothing restored",
                    dump=str(dump),
                ),
                "backup.checksum",
            )
        owner = await self._owner()
        before = await backup_tools.facts(owner)
        if before.events and not replace:
            raise Refusal(
                Kind.CONFLICT,
                said(
                    "the database holds {events} events, which the restore replaces: "
                    "add --yes to replace them",
                    events=before.events,
                ),
                "backup.not_empty",
            )
        await backup_tools.restore(owner, dump)
        await self._store.forget_connections()
        report = await self._audit.verify(OPERATOR, digest, seal=True)
        if report.first_break is not None:
            raise Refusal(
                Kind.CONFLICT,
                said(
                    "restored, but the ledger does not extend the backup's digest: {detail}",
                    detail=report.first_break.detail,
                ),
                "backup.ledger",
            )
        return Restored(manifest=manifest, replaced_events=before.events, audit=report)


async def _read(path: Path) -> str:
    try:
        return await asyncio.to_thread(path.read_text, encoding="utf-8")
    except OSError as err:
        raise Refusal(
            Kind.INPUT,
            said("{path}: cannot read ({reason})", path=str(path), reason=str(err.strerror)),
            "backup.unreadable",
        ) from err


async def _manifest(backup_dir: Path) -> Manifest:
    try:
        return Manifest.model_validate_json(await _read(backup_dir / MANIFEST))
    except ValidationError as err:
        raise Refusal.of_input(err, "manifest.") from err
