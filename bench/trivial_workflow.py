"""The trivial side of bench/lives.py: a workflow that runs, one after the other, as many
no-op activities as one project life ran.

In a module of its own: the sandbox re-imports a workflow's module for every workflow
instance it builds (at start, and again after each eviction from the worker's cache), so a
trivial instance costs what a trivial workflow costs, not the import of the whole bench.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench_noop")
async def noop(i: int) -> int:
    return i


@workflow.defn(name="BenchTrivial")
class TrivialWorkflow:
    @workflow.run
    async def run(self, activities: int) -> int:
        for i in range(activities):
            await workflow.execute_activity(noop, i, start_to_close_timeout=timedelta(seconds=30))
        return activities
