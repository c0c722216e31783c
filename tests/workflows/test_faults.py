"""Duplicate and stale steps are refused or idempotent, never recorded twice; a step the
store must refuse ends with a clear recorded error, not a stuck workflow."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from application.projects import refusal_of
from domain.commands import DecideApplication, SubmitReview, TerminateProject
from domain.events import ProjectTerminated, ProjectTerminatedData, Recommendation
from domain.state import Phase
from eventstore.event_records import to_record
from tests.builders import DERCI, INSTITUTE, reviewer_actor
from tests.workflows.driver import ProjectDriver


async def evaluated(ts_env, service) -> ProjectDriver:
    driver = ProjectDriver(ts_env, service, f"IRP-{uuid.uuid4().hex[:6]}")
    await driver.submit("IRP")
    await driver.evaluate()
    return driver


async def test_the_same_command_sent_twice_is_recorded_once(ts_env, service, event_store):
    driver = await evaluated(ts_env, service)
    decision = DecideApplication(
        command_id=uuid.uuid4(),
        actor=INSTITUTE,
        at=datetime.now(UTC),
        approve=True,
        awarded_eur=60_000,
        reason="strong",
    )
    first = await service.execute(driver.project_id, decision)
    again = await service.execute(driver.project_id, decision)  # a client retry
    assert again == first
    await driver.wait_for(lambda s: s.released_eur > 0, "tranche 1")  # the term has started
    types = [e.type for e in await event_store.read_stream(driver.project_id)]
    assert types.count("ApplicationApproved") == 1

    # the same decision as a new command is a stale step: refused, not recorded
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await driver.act(DecideApplication, INSTITUTE, approve=True, awarded_eur=60_000, reason="x")
    assert "You cannot decide the application now: the project is" in str(err.value.cause)
    assert "not under evaluation" in str(err.value.cause)
    assert [e.type for e in await event_store.read_stream(driver.project_id)] == types


async def test_a_step_retried_after_its_run_continued_as_new_is_answered_not_decided_again(
    ts_env, service, event_store
):
    """A run continues as new right after a person's step (at a quiet moment); the client's
    retry of that step reaches the new run, which has never seen its update id."""
    from domain.commands import AssignReviewer
    from tests.builders import reviewer

    driver = ProjectDriver(ts_env, service, f"IRP-{uuid.uuid4().hex[:6]}")
    await driver.submit("IRP")
    await driver.wait_for(lambda s: s.phase is Phase.UNDER_EVALUATION, "eligibility checked")
    handle = service.handle(driver.project_id)
    run = (await handle.describe()).run_id
    for n in range(40):
        step = AssignReviewer(
            command_id=uuid.uuid4(),
            actor=INSTITUTE,
            at=datetime.now(UTC),
            reviewer=reviewer(f"rev-{n}", lab=f"Lab {n}"),
        )
        first = await service.execute(driver.project_id, step)
        if (await handle.describe()).run_id != run:
            break
    else:
        pytest.fail("the run never continued as new")
    recorded = await event_store.read_stream(driver.project_id)

    again = await service.execute(driver.project_id, step)  # the client's retry

    assert again == first
    assert await event_store.read_stream(driver.project_id) == recorded
    # a new step with the same content is a new decision, refused as it breaks a rule
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await service.execute(
            driver.project_id, step.model_copy(update={"command_id": uuid.uuid4()})
        )
    assert "already" in str(err.value.cause)


async def test_a_review_after_the_deadline_is_refused(ts_env, service, event_store):
    from domain.commands import AssignReviewer
    from tests.builders import reviewer

    driver = await evaluated(ts_env, service)
    await driver.act(AssignReviewer, INSTITUTE, reviewer=reviewer("rev-late", lab="KTH"))
    await ts_env.sleep(timedelta(days=61))
    before = await event_store.read_stream(driver.project_id)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await service.execute(
            driver.project_id,
            SubmitReview(
                command_id=uuid.uuid4(),
                actor=reviewer_actor("rev-late"),
                at=datetime.now(UTC),
                scores={"science": 4},
                recommendation=Recommendation.FUND,
            ),
        )
    assert "the evaluation deadline" in str(err.value.cause)
    assert "has passed; review refused" in str(err.value.cause)
    assert len(await event_store.read_stream(driver.project_id)) == len(before)


async def test_a_stale_write_ends_with_a_clear_recorded_error(ts_env, service, event_store):
    """Someone wrote to the project's stream behind the workflow's back: the workflow's
    next append cannot succeed, and says so, instead of retrying forever."""
    driver = await evaluated(ts_env, service)
    await driver.approve(60_000)  # the term starts now: timers are set for the year ahead
    await driver.wait_for(lambda s: s.term is not None, "term start")
    version = await event_store.stream_version(driver.project_id)
    intruder = ProjectTerminated(
        event_id=uuid.uuid4(),
        project_id=driver.project_id,
        version=version + 1,
        occurred_at=datetime.now(UTC),
        actor=DERCI,
        reason="written outside the workflow",
        data=ProjectTerminatedData(),
    )
    await event_store.append(driver.project_id, [to_record(intruder)], version)

    with pytest.raises(WorkflowUpdateFailedError) as err:
        await driver.act(TerminateProject, DERCI, reason="too late")
    refused = err.value.cause.cause  # the update failed because its activity did
    assert isinstance(refused, ApplicationError) and refused.type == "ConcurrencyError"
    assert f"stream '{driver.project_id}': expected version" in refused.message
    assert refusal_of(err.value) is refused  # what the API, pages and CLI show the person
    # the workflow is not stuck: its next automatic step fails the run with the same cause
    await ts_env.sleep(timedelta(days=366))  # past the next automatic step
    with pytest.raises(WorkflowFailureError) as failed:
        await service.handle(driver.project_id).result()
    cause = failed.value.cause.cause
    assert isinstance(cause, ApplicationError) and cause.type == "ConcurrencyError"
    assert cause.non_retryable
    stored = await event_store.read_stream(driver.project_id)
    assert [e.type for e in stored].count("ProjectTerminated") == 1  # nothing written twice


async def test_a_finished_project_is_never_submitted_afresh(ts_env, service, event_store):
    driver = await evaluated(ts_env, service)
    await driver.act(TerminateProject, DERCI, reason="withdrawn")
    await service.handle(driver.project_id).result()
    before = await event_store.read_stream(driver.project_id)
    with pytest.raises(Exception) as err:
        await driver.submit("IRP")
    assert "already" in str(err.value).lower()
    assert await event_store.read_stream(driver.project_id) == before
    assert (await service.state(driver.project_id)).phase.value == "terminated"


async def test_a_refused_submission_leaves_no_lasting_workflow_and_frees_its_id(
    ts_env, service, event_store
):
    from tests.builders import LIG, TOKYO, USP

    driver = ProjectDriver(ts_env, service, f"IEA-{uuid.uuid4().hex[:6]}")
    with pytest.raises(WorkflowUpdateFailedError):
        await driver.submit("IRP", labs=(LIG, USP, TOKYO, TOKYO))  # a rule refuses it
    await driver.submit("IRP")  # corrected within the hour: the same workflow takes it
    assert (await service.state(driver.project_id)).phase.value != "new"

    other = ProjectDriver(ts_env, service, f"IRP-{uuid.uuid4().hex[:6]}")
    with pytest.raises(WorkflowUpdateFailedError):
        await other.submit("IRP", requested_eur=1)
    await ts_env.sleep(timedelta(hours=2))
    with pytest.raises(WorkflowFailureError) as ended:  # it ended after the hour
        await service.handle(other.project_id).result()
    assert "no valid submission within 1:00:00" in str(ended.value.cause)
    assert await event_store.read_stream(other.project_id) == []
    # the id is still free: the corrected application, three days later, makes the project
    await ts_env.sleep(timedelta(days=3))
    result = await other.submit("IRP")
    assert result.version == 1 and result.phase.value == "submitted"
    # one submission on record, the project's first event (the eligibility check that
    # follows at once may already be there too)
    types = [e.type for e in await event_store.read_stream(other.project_id)]
    assert types[0] == "ApplicationSubmitted" and types.count("ApplicationSubmitted") == 1
