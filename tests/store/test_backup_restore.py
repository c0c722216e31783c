"""`collab backup` / `collab restore` on the real embedded PostgreSQL: the copy comes back
exactly, its ledger extends the digest taken at backup time, and a changed copy is refused."""

from __future__ import annotations

import json

import asyncpg
import pytest

from application.refusals import Refusal
from application.service import assemble
from tests.domain.test_lifecycle import funded
from tests.readmodels.test_projector import record


async def _events(url: str) -> list[tuple]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT event_id, stream_id, version, hash FROM events ORDER BY 1")
    finally:
        await conn.close()
    return [tuple(r) for r in rows]


@pytest.fixture
def app(event_store, database_url, tmp_path):
    async def owner() -> str:
        return database_url

    return assemble(event_store, None, tmp_path / "keys" / "ledger.pem", owner)


async def test_restore_brings_back_the_backup_and_its_ledger_extends_the_digest(
    app, event_store, database_url, tmp_path
):
    for code, pid in (("IRP", "IRP-1"), ("IRL", "IRL-1")):
        await record(event_store, funded(code, pid))
    kept = await _events(database_url)
    out = tmp_path / "backup"

    made = await app.backups.backup(out)

    assert made.events == made.ledger_size == len(kept)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["dump_sha256"] == made.dump_sha256 and (out / "collab.dump").exists()
    assert json.loads((out / "digest.json").read_text())["tree_size"] == len(kept)

    await record(event_store, funded("IEA", "IEA-1"))  # after the backup
    await app.audit.digest()  # and sealed, so the ledger grew past the backup
    assert len(await _events(database_url)) > len(kept)

    with pytest.raises(Refusal, match="add --yes"):
        await app.backups.restore(out, replace=False)
    done = await app.backups.restore(out, replace=True)

    assert await _events(database_url) == kept
    assert done.audit.intact and done.audit.covered == len(kept) and done.audit.newer == 0
    # the store works on after the tables were replaced under it
    await record(event_store, funded("IEA", "IEA-2"))
    assert len(await _events(database_url)) > len(kept)


async def test_a_changed_dump_is_refused_before_anything_is_restored(
    app, event_store, database_url, tmp_path
):
    await record(event_store, funded("IRP", "IRP-1"))
    out = tmp_path / "backup"
    await app.backups.backup(out)
    await record(event_store, funded("IRL", "IRL-1"))
    now = await _events(database_url)
    dump = out / "collab.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))

    with pytest.raises(Refusal, match="SHA-256 is not the manifest's"):
        await app.backups.restore(out, replace=True)
    assert await _events(database_url) == now


async def test_a_restored_ledger_that_does_not_extend_the_digest_is_named(
    app, event_store, database_url, tmp_path
):
    await record(event_store, funded("IRP", "IRP-1"))
    out = tmp_path / "backup"
    await app.backups.backup(out)
    other = tmp_path / "other"
    await record(event_store, funded("IRL", "IRL-1"))
    await app.backups.backup(other)
    # the first backup's digest beside the second one's copy: its ledger starts the same,
    # so it extends; a digest of a different record does not
    await record(event_store, funded("IEA", "IEA-1"))
    third = tmp_path / "third"
    await app.backups.backup(third)
    (other / "digest.json").write_text((third / "digest.json").read_text())

    with pytest.raises(Refusal, match="does not extend the backup's digest"):
        await app.backups.restore(other, replace=True)
