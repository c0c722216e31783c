"""`collab`: the console script. The service's own commands (up, worker, projector, api,
demo) run here; every other command is the CLI's (cli.commands), handed the application
this composition root wires over the configured servers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import warnings
from pathlib import Path
from typing import Any

from cli.commands import SERVICE_COMMANDS, build_parser, needs_workflows, offline, run, run_offline
from cli.errors import REFUSED, USAGE, CliError
from collab.logging_setup import configure_logging
from collab.settings import Settings
from collab.wiring import TemporalUnreachable, application
from eventstore.errors import EventStoreError


def _settings(data_dir: str | None) -> Settings:
    overrides: dict[str, Any] = {}
    if data_dir:
        overrides["data_dir"] = Path(data_dir)
    return Settings(**overrides)


async def _until_signal(main: Any) -> None:
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _service(command: str, settings: Settings, args: Any) -> int:
    from collab import runtime

    if command == "up":
        asyncio.run(_until_signal(runtime.run_service(settings)))
    elif command == "worker":
        asyncio.run(_until_signal(runtime.run_worker(settings)))
    elif command == "projector":
        asyncio.run(_until_signal(runtime.run_projector(settings)))
    elif command == "api":
        asyncio.run(_until_signal(runtime.run_api(settings)))
    elif command == "migrate":
        from collab.database import migrate_database

        asyncio.run(migrate_database(settings))
        print("collab: the database is migrated; collab_app may log in")
    else:
        from collab.demo import run_demo

        # the demo's projects live years ahead on a clock of their own, with no workflow on
        # the service's Temporal: never mix them with the service's data (nor e-mail their
        # reminders), so by default they go to a data dir of their own
        demo_dir = settings.data_dir if args.data_dir else settings.data_dir / "demo"
        demo = settings.model_copy(
            update={"data_dir": demo_dir, "database_url": None, "database_app_url": None}
        )
        return run_demo(demo, as_json=args.json)
    return 0


async def _cli(args: Any, settings: Settings) -> int:
    try:
        async with application(settings, workflows=needs_workflows(args)) as app:
            # links the CLI prints (a calendar feed) are built on the public address
            args.public_url = settings.public_base
            return await run(app, args)
    except TemporalUnreachable as err:
        raise CliError(str(err)) from err


def dispatch(args: Any) -> int:
    settings = _settings(getattr(args, "data_dir", None))
    service = args.command in SERVICE_COMMANDS
    configure_logging(settings.log_format, settings.log_level if service else "WARNING")
    if offline(args):
        return run_offline(args)
    if service:
        return _service(args.command, settings, args)
    return asyncio.run(_cli(args, settings))


def main(argv: list[str] | None = None) -> None:
    # platformdirs (under the embedded PostgreSQL) warns when XDG_RUNTIME_DIR is unset
    warnings.filterwarnings("ignore", module="platformdirs")
    args = build_parser().parse_args(argv)
    try:
        code = dispatch(args)
    except EventStoreError as err:
        print(f"collab: database: {err}", file=sys.stderr)
        code = REFUSED
    except CliError as err:
        if args.json and err.payload is not None:
            print(json.dumps(err.payload, indent=2, ensure_ascii=False, default=str))
        print(f"collab: {err.message}", file=sys.stderr)
        code = err.code
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    # Temporal's core runtime can abort the interpreter while it finalizes ("PyGILState_
    # Release"), turning a clean exit into SIGABRT: the work is done and flushed, leave now
    os._exit(code if code is not None else USAGE)


if __name__ == "__main__":
    main()
