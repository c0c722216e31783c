"""The daily digest: seal the ledger, sign its head, write it where the database cannot
reach it, and hand it to whoever keeps copies (auditors, by e-mail). Run by the
LedgerDigest workflow on a Temporal schedule."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from eventstore.ledger import Ledger, LedgerBroken
from eventstore.postgres import PostgresEventStore
from eventstore.tree_head import TreeHead, load_or_create_key
from workflows.messages import DigestWritten

log = structlog.get_logger("collab.activities.digests")

# who else keeps a copy: given the head and the file written
DeliverDigest = Callable[[TreeHead, Path], Awaitable[None]]


class DigestActivities:
    def __init__(
        self,
        store: PostgresEventStore,
        key_file: Path | None,
        out_dir: Path | None,
        deliver: DeliverDigest | None = None,
    ) -> None:
        self._ledger = Ledger(store)
        self._key_file = key_file
        self._out_dir = out_dir
        self._deliver = deliver

    @activity.defn(name="write_digest")
    async def write_digest(self) -> DigestWritten:
        if self._key_file is None or self._out_dir is None:
            raise ApplicationError(
                "no signing key or digest directory configured", non_retryable=True
            )
        key = await asyncio.to_thread(load_or_create_key, self._key_file)
        try:
            head = await self._ledger.signed_head(key)
        except LedgerBroken as err:
            # an auditor must hear of it; retrying will not mend it
            log.error("ledger broken: no digest signed", detail=str(err))
            raise ApplicationError(str(err), type="LedgerBroken", non_retryable=True) from err
        stamp = head.timestamp.strftime("%Y%m%dT%H%M%SZ")
        path = self._out_dir / f"digest-{stamp}-{head.tree_size}.json"
        await asyncio.to_thread(_write, path, head.model_dump_json(indent=2) + "\n")
        log.info("digest written", path=str(path), tree_size=head.tree_size, key_id=head.key_id)
        if self._deliver is not None:
            await self._deliver(head, path)
        return DigestWritten(path=str(path), tree_size=head.tree_size, root_hash=head.root_hash)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)  # a reader never sees half a digest
