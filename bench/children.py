"""What the benchmarks' child processes share: a free local port, a wait until one answers,
and a stop that waits."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def stop_child(proc: subprocess.Popen[Any], timeout_s: float) -> None:
    """SIGTERM, as a service manager stops the service; killed if still there after
    `timeout_s`."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def until_answering(
    proc: subprocess.Popen[Any], log: IO[str], answers: Callable[[], Awaitable[bool]], what: str
) -> None:
    """Wait, up to 30 s, until `answers()` (a request to the child) is true; the end of the
    child's log in the error if it exits or never answers."""
    for _ in range(300):
        if await answers():
            return
        if proc.poll() is not None:
            break
        await asyncio.sleep(0.1)
    log.flush()
    raise RuntimeError(f"{what} did not start: " + Path(log.name).read_text()[-4000:])
