"""axe-core (the npm package) in the page tests: evaluated in the page by the test (the
pages' CSP rightly refuses inline scripts; what a test evaluates is not one). Installed on
first use with npm into node_modules/ beside the repository, as the Chromium of the page
tests is installed with apt-get where it is missing."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_VERSION = "4.10.3"
_INSTALLED = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@functools.cache
def axe_source() -> str:
    given = os.environ.get("AXE_CORE_JS", "")
    if given and os.path.exists(given):
        return Path(given).read_text(encoding="utf-8")
    if not _INSTALLED.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("the page tests need axe-core: install npm (or set AXE_CORE_JS)")
        subprocess.run(
            [npm, "install", "--no-save", "--no-audit", "--no-fund", f"axe-core@{AXE_VERSION}"],
            cwd=ROOT, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    return _INSTALLED.read_text(encoding="utf-8")


async def axe_violations(page: Any) -> list[tuple[str, str, list[Any]]]:
    """Each rule the page breaks now: (rule, impact, the elements)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(axe_source())
    result = await page.evaluate("axe.run()")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


async def axe_clean(page: Any) -> None:
    assert await axe_violations(page) == []
