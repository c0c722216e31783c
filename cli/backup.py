"""`collab backup OUT_DIR` and `collab restore DIR [--yes]`: the record copied out with a
signed digest of its ledger, and put back, checked against that digest
(application.backup). Run on the service's host, as the operator."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from application.service import Application


def add_backup_parsers(sub: Any, common: Any) -> None:
    p = common(
        sub.add_parser(
            "backup",
            help="seal and sign the ledger, then copy the database (pg_dump) into a directory",
        )
    )
    p.add_argument("out_dir", metavar="OUT_DIR", help="a new directory, or an empty one")
    p = common(
        sub.add_parser(
            "restore",
            help="put a backup back (pg_restore) and check the ledger against its digest",
        )
    )
    p.add_argument("backup_dir", metavar="DIR", help="a directory `collab backup` wrote")
    p.add_argument("--yes", action="store_true", help="replace the events the database holds now")


async def run_backup(app: Application, args: argparse.Namespace) -> tuple[Any, str]:
    if args.command == "backup":
        made = await app.backups.backup(Path(args.out_dir))
        return made.model_dump(mode="json"), (
            f"backup of {made.events} events in {args.out_dir}: {made.dump_file} "
            f"({made.database_bytes:,} bytes of database), {made.digest_file} (ledger of "
            f"{made.ledger_size}, key {made.key_id}), manifest.json; keep it where the "
            "database cannot reach"
        )
    done = await app.backups.restore(Path(args.backup_dir), replace=args.yes)
    report = done.audit
    return done.model_dump(mode="json"), "\n".join(
        [
            f"restored {args.backup_dir} (taken {done.manifest.taken_at:%Y-%m-%d %H:%M} UTC), "
            f"replacing {done.replaced_events} events",
            f"the ledger extends the backup's digest: {report.covered} events covered, "
            f"{report.newer} newer, {report.ledger_size} in all",
            "next: `collab recover --dry-run`, then `collab recover` to start the lives again "
            "from the restored events, and `collab reconcile` to compare any workflow still "
            "running with the record; `collab projections rebuild` if a read model lags",
        ]
    )
