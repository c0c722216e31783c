"""The Temporal Schedule that opens DERCI's IEA call every year on the policy's opening day."""

from __future__ import annotations

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

from domain.policy import DEFAULT_POLICY, Policy
from workflows.iea_call import IeaCallOpener

IEA_CALL_SCHEDULE_ID = "iea-annual-call"


async def ensure_iea_call_schedule(
    client: Client, task_queue: str, policy: Policy = DEFAULT_POLICY
) -> ScheduleHandle:
    """Create the schedule unless it exists (idempotent: every start-up may call it)."""
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
