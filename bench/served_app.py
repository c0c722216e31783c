"""The service's HTTP app served by uvicorn in a process of its own, as `collab up` serves it,
and the least client a benchmark can put in front of it.

A read measured through httpx over ASGI in the benchmark's own process pays for the client
(about 0.8 ms a request: httpx builds and parses its models) and shares the process with the
bare SQL it is compared with. Served, the app runs as in production (uvicorn, its HTTP
parser, a socket) and the benchmark's side of a read is `Wire`: a request line and headers
written on one kept-alive connection, the answer read by its length. The bare SQL's side is
the same shape: a client in the benchmark's process, a server in another.

    python bench/served_app.py --db postgresql://... --port 8123   # what ServedApp starts

With `--no-framework` it serves, instead, the limit under the coordinator's list: the same
calls of the same application (the token's person, the list's page, its JSON) in a bare
ASGI function under the same uvicorn, with no FastAPI, Starlette or middleware: what any
Python HTTP app here pays for that list at least.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

if __package__ in (None, ""):  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from application.portfolio_query import PortfolioQuery
from application.service import Application
from bench.children import free_port, stop_child, until_answering

BASE = "http://bench"


@dataclass(frozen=True)
class Answer:
    status_code: int
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


class Wire:
    """One kept-alive HTTP/1.1 connection to the served app, a request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._io: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(
        self,
        path: str,
        headers: dict[str, str] | None = None,
        params: dict[str, object] | None = None,
    ) -> Answer:
        if self._io is None:
            self._io = await asyncio.open_connection("127.0.0.1", self.port)
        target = f"{path}?{urlencode(params)}" if params else path
        lines = [f"GET {target} HTTP/1.1", "Host: bench"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        try:
            status, said, body = await self._exchange("\r\n".join(lines) + "\r\n\r\n")
        except (OSError, asyncio.IncompleteReadError):
            await self.close()  # nothing half read is taken for the next answer
            raise
        if said.get("connection") == "close":
            await self.close()
        return Answer(status, said, body)

    async def _exchange(self, request: str) -> tuple[int, dict[str, str], bytes]:
        assert self._io is not None
        reader, writer = self._io
        writer.write(request.encode("latin-1"))
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        said = {}
        for line in head[1:]:
            if line:
                name, _, value = line.partition(":")
                said[name.strip().lower()] = value.strip()
        if said.get("transfer-encoding", "").lower().endswith("chunked"):
            parts = []
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16):
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            return status, said, b"".join(parts)
        if "content-length" in said:
            return status, said, await reader.readexactly(int(said["content-length"]))
        if status in (204, 304) or 100 <= status < 200:
            return status, said, b""
        said["connection"] = "close"  # the body runs until the server closes
        return status, said, await reader.read()

    async def close(self) -> None:
        if self._io is not None:
            writer = self._io[1]
            self._io = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class ServedApp:
    """This file run as a child: the app over `db_url` on a free local port."""

    def __init__(self, db_url: str, log: Path, pool: int, framework: bool = True) -> None:
        self.port = free_port()
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [
                *(sys.executable, str(Path(__file__).resolve()), "--db", db_url),
                *("--port", str(self.port), "--pool", str(pool)),
                *(() if framework else ("--no-framework",)),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )

    async def ready(self) -> None:
        async def answers() -> bool:
            wire = Wire(self.port)
            try:
                return (await wire.get("/instruments")).status_code in (200, 404)
            except (OSError, asyncio.IncompleteReadError):
                return False
            finally:
                await wire.close()

        await until_answering(self.proc, self._log, answers, "the app")

    def stop(self) -> None:
        stop_child(self.proc, timeout_s=15)
        self._log.close()


async def serve(db_url: str, port: int, pool: int, framework: bool = True) -> None:
    import uvicorn

    from application.service import assemble
    from collab.http import http_app
    from eventstore.postgres import PostgresEventStore

    store = await PostgresEventStore.connect(db_url, max_size=pool, run_migrations=False)
    application = assemble(store, None, serving=True)
    app: Any = (
        http_app(application, secrets.token_bytes(32), False, public_url=BASE)
        if framework
        else own_list(application)
    )
    # as collab.runtime.api_server configures it, without the access log's lines
    # a connection kept however long the benchmark leaves it idle (the cold feeds)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_keep_alive=300,
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await store.close()


def own_list(application: Application) -> Callable[..., Awaitable[None]]:
    """`GET /projects` with no query string, as the API answers it (the same person from the
    token, the same page of the same statement, the same bytes), with nothing around it;
    any other request a 404."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        said = dict(scope["headers"])
        scheme, _, token = said.get(b"authorization", b"").decode().partition(" ")
        if scope["path"] != "/projects" or scheme.lower() != "bearer":
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        person = await application.identities.by_token(token)
        shown = await application.reads.portfolio_documents(person.actor, PortfolioQuery())
        after = json.dumps(
            {"next": shown.next, "total": shown.totals.projects}, separators=(",", ":")
        )
        body = f'{{"projects":[{",".join(shown.rows)}],{after[1:]}'.encode()
        length = str(len(body)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", length)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pool", type=int, default=4, help="the store's connections")
    parser.add_argument(
        "--no-framework", action="store_true", help="the coordinator's list with nothing around it"
    )
    args = parser.parse_args()
    asyncio.run(serve(args.db, args.port, args.pool, framework=not args.no_framework))


if __name__ == "__main__":
    main()
