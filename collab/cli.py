"""`collab`: run the service and ask it questions.

Exit codes: 0 ok, 1 refused by a rule or not found (message on stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Any

from collab.settings import Settings
from domain.instruments import CATALOG
from domain.policy import DEFAULT_POLICY


def instruments_catalog() -> list[dict[str, Any]]:
    rows = []
    for inst in CATALOG.values():
        funding = DEFAULT_POLICY.funding_for(inst.code)
        rows.append(
            {
                "code": inst.code.value,
                "name": inst.name,
                "term_years": inst.term_years,
                "funding_min_eur": funding.funding_min_eur,
                "funding_max_eur": funding.funding_max_eur,
                "entry": inst.entry.value,
                "renewable": inst.renewable,
                "max_renewals": funding.max_renewals,
                "successor": inst.successor.value if inst.successor else None,
                "partner_rules": inst.partners.model_dump(mode="json"),
            }
        )
    return rows


def cmd_instruments(args: argparse.Namespace) -> int:
    rows = instruments_catalog()
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    header = (
        f"{'code':<5} {'name':<34} {'term':>4}  {'CNRS funding (EUR)':<18} {'entry':<15} partners"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        funding = f"{r['funding_min_eur']:,}–{r['funding_max_eur']:,}"
        print(
            f"{r['code']:<5} {r['name']:<34} {r['term_years']:>2} y  {funding:<18} "
            f"{r['entry']:<15} {r['partner_rules']['summary']}"
        )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import worker

    worker.main()
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from collab.runtime import run_service

    settings = _settings(args)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_until_signal(run_service(settings)))
    return 0


async def _until_signal(main: Any) -> None:
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="collab", description="Lifecycle of CNRS international collaboration instruments"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("instruments", help="the four instruments and their rules")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_instruments)

    p = sub.add_parser(
        "up", help="run everything: embedded PostgreSQL and Temporal (unless configured), worker"
    )
    p.add_argument("--data-dir", help="where embedded servers keep their data (COLLAB_DATA_DIR)")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("worker", help="run only the worker, against configured servers")
    p.set_defaults(func=cmd_worker)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(args.func(args))


if __name__ == "__main__":
    main()
