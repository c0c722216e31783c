"""The app served over a real socket (uvicorn) on the test's database and time-skipping
Temporal, driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.async_api import async_playwright

from application.service import assemble
from collab.http import http_app
from tests.api.conftest import Api, api  # noqa: F401  (the fixture, reused)
from web import i18n

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = "/usr/bin/chromium"


def ensure_chromium() -> str:
    """Debian's Chromium (Playwright's own browser download cannot work here). Installed
    on first use where we may: root with apt-get, as on CI and these machines."""
    found = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
        return CHROMIUM
    pytest.fail("the page tests need Debian's Chromium: apt-get install chromium")


@dataclass
class Site:
    url: str
    api: Api

    async def sign_in(self, page, who: str, lang: str | None = None) -> None:
        """Signed in as `who` (in `lang`, when given: the pages then speak it)."""
        await page.goto(f"{self.url}/ui/signin" + (f"?lang={lang}" if lang else ""))
        # by name, not by label: the label is in the page's language
        await page.locator("input[name=token]").fill(self.api.tokens[who])
        await page.locator("main form button[type=submit]").click()
        await page.wait_for_url("**/ui/portfolio**")


async def a_page(browser, lang: str, **options):
    """A fresh browser context in the language's locale, and its page."""
    context = await browser.new_context(
        locale="fr-FR" if lang == "fr" else "en-GB", accept_downloads=True, **options
    )
    return context, await context.new_page()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(app: Any, port: int) -> AsyncIterator[None]:
    """`app` served by uvicorn on 127.0.0.1:`port` until the block ends."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def a_site(api: Api, event_store, service, **options: Any) -> AsyncIterator[Site]:  # noqa: F811
    port = free_port()
    # "localhost": a secure context, where Chromium keeps Secure cookies over plain HTTP
    url = f"http://localhost:{port}"
    app = http_app(
        assemble(event_store, service),
        secrets.token_bytes(32),
        cookie_secure=True,
        public_url=url,
        **options,
    )
    async with serving(app, port):
        yield Site(url, api)


@pytest.fixture
async def site(api, event_store, service) -> AsyncIterator[Site]:  # noqa: F811
    async with a_site(api, event_store, service) as served:
        yield served


@pytest.fixture(autouse=True)
def missing_labels_marked(monkeypatch):
    """A label no catalogue has shows as ⟦key⟧ on the pages these tests read (web.i18n)."""
    monkeypatch.setattr(i18n, "MARK_MISSING", True)


@pytest.fixture(scope="session")
async def browser():
    executable = ensure_chromium()
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser):
    context = await browser.new_context(locale="en-GB", accept_downloads=True)
    page = await context.new_page()
    yield page
    await context.close()


async def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
