"""The Temporal Schedules: DERCI's IEA call opened every year on the policy's opening day,
and the ledger's signed digest written every day."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleHandle,
    ScheduleRange,
    ScheduleSpec,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.policy import DEFAULT_POLICY, Policy, iea_call_window
from workflows.iea_call import IeaCallOpener, IeaCallWorkflow
from workflows.ledger_digest import LedgerDigestWorkflow
from workflows.messages import IeaCallInput, iea_call_workflow_id

IEA_CALL_SCHEDULE_ID = "iea-annual-call"
DIGEST_SCHEDULE_ID = "ledger-digest"


async def ensure_digest_schedule(client: Client, task_queue: str, hour_utc: int) -> ScheduleHandle:
    """The ledger's signed digest, written every day at `hour_utc` (idempotent)."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            LedgerDigestWorkflow.run, id="ledger-digest", task_queue=task_queue
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(hour_utc)],
                    minute=[ScheduleRange(0)],
                    second=[ScheduleRange(0)],
                    comment="the ledger's daily signed digest",
                )
            ]
        ),
    )
    try:
        return await client.create_schedule(DIGEST_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return client.get_schedule_handle(DIGEST_SCHEDULE_ID)


async def ensure_iea_call_schedule(
    client: Client, task_queue: str, policy: Policy = DEFAULT_POLICY, now: datetime | None = None
) -> ScheduleHandle:
    """Create the schedule unless it exists, and open this year's call if the service was
    first started after its opening day (idempotent: every start-up may call it)."""
    await open_missed_call(client, task_queue, policy, now or datetime.now(UTC))
    cal = policy.iea_call
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            IeaCallOpener.run, id="iea-call-opener", task_queue=task_queue
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    month=[ScheduleRange(cal.opens_month)],
                    day_of_month=[ScheduleRange(cal.opens_day)],
                    hour=[ScheduleRange(0)],
                    minute=[ScheduleRange(0)],
                    second=[ScheduleRange(0)],
                    comment="DERCI's annual IEA call opens",
                )
            ]
        ),
    )
    try:
        return await client.create_schedule(IEA_CALL_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return client.get_schedule_handle(IEA_CALL_SCHEDULE_ID)


async def open_missed_call(client: Client, task_queue: str, policy: Policy, now: datetime) -> None:
    """A Schedule created after 1 June never runs that year's action: without this, a
    service installed in July would refuse every IEA application until next June."""
    if not iea_call_window(now.year, policy).is_open_at(now):
        return
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            IeaCallWorkflow.run,
            IeaCallInput(year=now.year, policy=policy),
            id=iea_call_workflow_id(now.year),
            task_queue=task_queue,
            # the year's call, once opened (by the schedule or here), is never opened again
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
