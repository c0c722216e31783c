"""What the benchmarks' child processes share: a free local port, and a stop that waits."""

from __future__ import annotations

import signal
import socket
import subprocess
from typing import Any


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
