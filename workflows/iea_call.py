"""DERCI's annual IEA call: a workflow per year, opened by a Temporal Schedule each June.

The call is open from its opening day to the September deadline; projects selected in it
start on 1 January of the next year (fixed in the domain's call calendar).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from domain.policy import Policy, iea_call_window
    from workflows.messages import IeaCallInput, IeaCallStatus, iea_call_workflow_id


@workflow.defn(name="IeaCall")
class IeaCallWorkflow:
    @workflow.init
    def __init__(self, inp: IeaCallInput) -> None:
        self._window = iea_call_window(inp.year, inp.policy)
        self._open = False
        self._closed = False

    @workflow.run
    async def run(self, inp: IeaCallInput) -> IeaCallStatus:
        w = self._window
        if workflow.now() < w.opens_at:
            await workflow.sleep(w.opens_at - workflow.now(), summary="call opens")
        if workflow.now() <= w.closes_at:
            self._open = True
            workflow.logger.info("IEA call open", extra={"call_id": w.call_id})
            await workflow.sleep(w.closes_at - workflow.now(), summary="submission deadline")
        self._open, self._closed = False, True
        workflow.logger.info("IEA call closed", extra={"call_id": w.call_id})
        return self.status()

    @workflow.query(name="status")
    def status(self) -> IeaCallStatus:
        return IeaCallStatus(window=self._window, open=self._open, closed=self._closed)


@workflow.defn(name="IeaCallOpener")
class IeaCallOpener:
    """The Schedule's target: starts this year's call workflow under a predictable id
    (a scheduled workflow's own id carries a timestamp) and leaves it running."""

    @workflow.run
    async def run(self) -> str:
        year = workflow.now().year
        call_id = iea_call_workflow_id(year)
        inp = IeaCallInput(year=year)
        if workflow.patched("call-policy-in-force"):
            # the year's call opens under the policy DERCI set for it (before: the default)
            policy = await workflow.execute_activity(
                "policy_in_force",
                workflow.now(),
                result_type=Policy,
                start_to_close_timeout=timedelta(seconds=30),
            )
            inp = IeaCallInput(year=year, policy=policy)
        try:
            await workflow.start_child_workflow(
                IeaCallWorkflow.run,
                inp,
                id=call_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("IEA call already running", extra={"call_id": call_id})
        return call_id
