"""The same N trivial workflows, batch after batch, on ONE Java time-skipping server.

    python bench/server_age.py                  # N=300, 3 batches
    python bench/server_age.py --n 100 --batches 4

Each batch runs what the one before it ran (same N, same activities, same concurrency, a
fresh worker); only the server's past differs. On a server whose cost per operation does not
grow with the operations it has served, every batch would cost the same test-server CPU.
bench/lives.py's section explains why this one's does (`SelfAdvancingTimerImpl.lockEvents`).
Prints one line a batch; writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lives.py, trivial_workflow.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lives


async def main(args: argparse.Namespace) -> None:
    env = await lives.time_skipping_env()
    try:
        with tempfile.TemporaryDirectory(prefix="server-age-") as tmp:
            for b in range(args.batches):
                run = await lives.run_trivial(
                    args.n,
                    args.activities,
                    args,
                    "postgresql://unused",  # the trivial worker never opens it
                    Path(tmp) / f"worker-{b}.log",
                    None,  # no PostgreSQL here
                    env=env,
                )
                print(
                    f"batch {b + 1}: {run.seconds:.1f} s, test-server CPU "
                    f"{run.cpu['temporal']:.1f} s, worker CPU {run.cpu['worker']:.1f} s",
                    flush=True,
                )
    finally:
        await env.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="trivial workflows a batch")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--activities", type=int, default=42, help="a workflow's activities")
    lives.add_worker_options(parser)
    args = parser.parse_args()
    lives.resolve_worker_cache(args)
    asyncio.run(main(args))
    os._exit(0)  # the time-skipping server's client can abort a normal exit (trap #2)
