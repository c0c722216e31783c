"""The worker process's memory, kept near what its cached workflows use: glibc's free pages
returned, its mmap threshold pinned, a full collection as the heap grows, and one payload
converter for every workflow instance. Each measure says what it saved, measured."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import dataclasses
import gc
import sys

import structlog
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter
from temporalio.worker import Worker

TRIM_EVERY_S = 1.0
# glibc's default mmap threshold, pinned: see CollabWorker
MMAP_THRESHOLD = 128 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt parameter (malloc.h)
# a full garbage collection when Python's heap has grown this much since the last one,
# at a quiet moment: a second in which Python's young generation was collected at most
# GC_QUIET_YOUNG times (each is 700 new container objects; a burst makes 5-10 a second)...
GC_GROWTH = 0.10
GC_QUIET_YOUNG = 1
# ...or, however busy the worker is, once it has grown this much
GC_GROWTH_BUSY = 0.30
log = structlog.get_logger("collab.worker")


def _libc() -> ctypes.CDLL | None:
    """glibc, or None where the C library has no malloc_trim/mallopt (musl, macOS)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim  # noqa: B018 -- probe for glibc
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


class CollabWorker(Worker):
    """The SDK's worker, with the process's memory kept near what the cached workflows use.

    - glibc keeps what evicted and finished workflows freed (and what replays and
      activations used for a moment) for reuse, so the process's RSS would stay at its
      high-water mark. Every second `malloc_trim` returns the free pages (300 cached
      five-year lives: peak RSS 225 -> 196 MB, measured together with MALLOC_ARENA_MAX=2,
      which alone changed nothing measurable).
    - The mmap threshold is pinned at glibc's default (128 KiB). Otherwise glibc raises it
      past every large block freed, and the gRPC client's gzip compressor (about 371 KB,
      allocated and freed for each request the worker sends) came from the heap: requests
      sent together left tens of MB of free heap in RSS until the next trim (300 lives: peak
      about 30 MB above what the cached workflows held; pinned: about 5).
    - A finished run (each continue-as-new, each completion) leaves its workflow instance
      as cyclic garbage (its event loop, tasks and handlers; about 200 objects): Python's
      own full collection waits until the objects added since the last one are a quarter
      of the long-lived ones, a thousand dead runs with a full cache. A full collection
      runs when the Python heap has grown by GC_GROWTH since the last one (300 lives: peak
      179 -> 171 MB; 12 collections of 0.1-0.3 s over the lives' 200 s), at a quiet moment:
      a full collection holds the GIL and the event loop for its whole length (0.3-0.7 s
      with 1,000 cached projects), so during a burst of wake-ups (every term starting on
      1 January) it stopped every poll, activation and append at once, several times, for
      about a tenth of the burst (bench/burst.py, py-spy: `_tidy` 12.5 % of the worker's
      samples at N=1,000). The heap grows through a burst anyway (the woken workflows'
      new state, not garbage: no run ends then); the collection waits for a quiet second
      (few new objects), or until the heap has grown by GC_GROWTH_BUSY."""

    async def run(self) -> None:
        libc = _libc()
        if libc is not None:
            libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        housekeeper = asyncio.create_task(_keep_house(libc))
        try:
            await super().run()
        finally:
            housekeeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await housekeeper


async def _keep_house(libc: ctypes.CDLL | None) -> None:
    floor, young = sys.getallocatedblocks(), _young_collections()
    while True:
        await asyncio.sleep(TRIM_EVERY_S)
        try:
            floor, young = await _tidy(libc, floor, young)
        except Exception:
            # housekeeping only saves memory: log and go on, never stop the worker
            log.exception("memory housekeeping failed")


def _young_collections() -> int:
    return int(gc.get_stats()[0]["collections"])


async def _tidy(libc: ctypes.CDLL | None, floor: int, young: int) -> tuple[int, int]:
    """One round of housekeeping, `young` the young generation's collections counted at the
    round before; returns the heap size the next collection is measured from and the count
    now. A collection runs on the event loop: it holds the GIL either way."""
    blocks, now = sys.getallocatedblocks(), _young_collections()
    quiet = now - young <= GC_QUIET_YOUNG
    if blocks > floor * (1 + GC_GROWTH_BUSY) or (quiet and blocks > floor * (1 + GC_GROWTH)):
        gc.collect()
        floor = sys.getallocatedblocks()
        now = _young_collections()
    else:
        # a heap that shrank (evictions, runs freed without a collection) is the new base
        floor = min(floor, blocks)
    if libc is not None:
        # a few ms with a large heap: off the event loop
        await asyncio.to_thread(libc.malloc_trim, 0)
    return floor, now


# the process's one pydantic payload converter (see _SharedPydanticPayloadConverter)
_PAYLOAD_CONVERTER = PydanticPayloadConverter()


class _SharedPydanticPayloadConverter(PydanticPayloadConverter):
    """Instantiating it gives the process's one pydantic payload converter.

    The SDK builds a payload converter for each workflow instance (each run, and again after
    each eviction), and pydantic's converter keeps its own cache of TypeAdapters: every
    cached project built and held its own adapters for ProjectInput, Command, AppendOutcome,
    StepResult... (about 14 KB of malloc, 8 KB of Python objects and 1.7 ms of CPU an
    instance, measured). The converter keeps nothing of a workflow (JSON in, a model out, an
    LRU of adapters keyed by type; thread-safe), so one serves them all."""

    def __new__(cls) -> PydanticPayloadConverter:  # type: ignore[misc]
        # not an instance of cls, so Python does not run __init__ on it again
        return _PAYLOAD_CONVERTER


def worker_data_converter(converter: DataConverter) -> DataConverter:
    """`converter` with the shared payload converter, when it is the pydantic one."""
    if converter.payload_converter_class is not PydanticPayloadConverter:
        return converter
    return dataclasses.replace(converter, payload_converter_class=_SharedPydanticPayloadConverter)
