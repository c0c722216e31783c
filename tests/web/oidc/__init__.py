"""A real OpenID Connect provider for the page tests: panva's oidc-provider (npm), run by
node on loopback (provider.mjs). Installed on first use with npm into this directory's
node_modules/ (gitignored), as tests/web/axe.py installs axe-core."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
PROVIDER_VERSION = "9.13.3"
_INSTALLED = HERE / "node_modules" / "oidc-provider" / "package.json"


def ensure_oidc_provider() -> str:
    """node, with oidc-provider installed beside provider.mjs."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or (npm is None and not _INSTALLED.exists()):
        pytest.fail("the sign-on tests need node and npm (apt-get install nodejs npm)")
    if not _INSTALLED.exists():
        assert npm is not None
        subprocess.run(
            [npm, "install", "--prefix", str(HERE), "--no-save", "--no-package-lock",
             "--no-audit", "--no-fund", f"oidc-provider@{PROVIDER_VERSION}"],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    return node


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


@contextlib.contextmanager
def running_provider(
    port: int, client: dict[str, Any], users: dict[str, dict[str, str]]
) -> Iterator[Provider]:
    node = ensure_oidc_provider()
    config = {"port": port, "client": client, "users": users}
    process = subprocess.Popen(
        [node, str(HERE / "provider.mjs")],
        cwd=HERE,
        env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout or ()], daemon=True
    )
    reader.start()
    try:
        try:
            first = lines.get(timeout=20)
        except queue.Empty:
            pytest.fail("oidc-provider did not start within 20 s")
        if not first.startswith("listening "):
            pytest.fail(f"oidc-provider said {first!r}")
        yield Provider(first.split(" ", 1)[1].strip(), client["client_id"], client["client_secret"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
