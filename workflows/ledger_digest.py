"""The daily digest of the ledger, started by the `ledger-digest` Schedule: one activity
that seals, signs and writes the tree head (activities.digests)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.messages import DigestWritten


@workflow.defn(name="LedgerDigest")
class LedgerDigestWorkflow:
    @workflow.run
    async def run(self) -> DigestWritten:
        result: DigestWritten = await workflow.execute_activity(
            "write_digest",
            start_to_close_timeout=timedelta(minutes=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=10)),
            result_type=DigestWritten,
        )
        return result
