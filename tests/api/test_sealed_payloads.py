"""People's names and e-mails in Temporal's payloads (collab.payload_sealing), on the
time-skipping server and PostgreSQL with the production data converter: a project's
history holds no readable name or e-mail of its coordinator or reviewer; once a person is
erased, the same history read again says "(erased)", and a worker that replays it from
the start (nothing cached) takes the project on."""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

import activities
import application
import domain
import workflows
from application.projects import ProjectService
from application.service import assemble
from collab import payload_sealing
from collab.payload_sealing import SEALED_MARK, KeyMissing, PersonSealingCodec, sealing
from collab.worker_build import build_worker
from domain.application import Person
from domain.personal_data import ERASED_EMAIL, ERASED_NAME
from eventstore import shredding
from identity.people import PeopleDirectory
from tests.api.conftest import PEOPLE
from tests.api.test_api import APP, active
from tests.api.test_privacy import DPO

COORDINATOR = Person.model_validate(APP["coordinator"])  # as the application names them
REVIEWER = PEOPLE["reviewer"]


@pytest.fixture
async def service(ts_env, event_store, notifier) -> AsyncIterator[ProjectService]:
    """The project service and a worker over the sealing converter, as in production; the
    worker keeps no workflow cached, so each step replays the history from its start."""
    config = ts_env.client.config()
    config["data_converter"] = sealing(pydantic_data_converter, event_store)
    client = Client(**config)
    task_queue = f"tq-{uuid.uuid4()}"
    async with build_worker(
        client,
        event_store,
        task_queue,
        notifier,
        max_cached_workflows=0,
        workflow_runner=SandboxedWorkflowRunner(),
    ):
        yield ProjectService(client, task_queue)


def payloads_of(history) -> list[Payload]:
    """Every payload of a history's events, wherever it sits."""
    found: list[Payload] = []

    def walk(message) -> None:
        if isinstance(message, Payload):
            found.append(message)
            return
        for field, value in message.ListFields():
            if field.message_type is None:
                continue
            if hasattr(value, "ListFields"):
                walk(value)
                continue
            # a repeated field, or a map (its values)
            for item in value.values() if hasattr(value, "values") else value:
                if hasattr(item, "ListFields"):
                    walk(item)

    for event in history.events:
        walk(event)
    return found


async def test_a_history_holds_no_name_and_reads_as_erased_after_an_erasure(
    api, ts_env, service, event_store
):
    pid = await active(api, ts_env)
    handle = ts_env.client.get_workflow_handle(f"project-{pid}")
    history = await handle.fetch_history()
    raw = b"".join(e.SerializeToString() for e in history.events)
    for secret in (COORDINATOR.name, COORDINATOR.email, REVIEWER.name, REVIEWER.email):
        assert secret.encode() not in raw, secret
    sealed = [p for p in payloads_of(history) if p.metadata.get(SEALED_MARK)]
    assert sealed  # the submission, the reviewer's assignment, their answers
    codec = PersonSealingCodec(event_store, key_ttl_s=0)
    opened = b"".join(p.data for p in await codec.decode(sealed))
    assert COORDINATOR.email.encode() in opened and REVIEWER.name.encode() in opened

    await PeopleDirectory(event_store).add(DPO, operator="test")
    app = assemble(event_store, service)
    done = await app.privacy.erase(
        DPO, REVIEWER.person_id, "left the field", "GDPR art. 17(1)(a)", "test"
    )
    assert done.running == [pid]

    # the history, read again: the reviewer erased, the coordinator still there
    again = b"".join(p.data for p in await codec.decode(sealed))
    assert REVIEWER.name.encode() not in again and REVIEWER.email.encode() not in again
    assert ERASED_NAME.encode() in again
    assert COORDINATOR.email.encode() in again
    # and the project goes on, each step replayed from the history's start
    r = await api.post("coordinator", f"/projects/{pid}/reports/term1-year1", {"summary": "y1"})
    assert r.status_code == 200, r.text
    state = await service.state(pid)
    assert [a.reviewer.name for a in state.assignments] == [ERASED_NAME]
    assert state.application is not None
    assert state.application.coordinator.email == COORDINATOR.email
    await ts_env.sleep(timedelta(days=30))
    assert (await service.state(pid)).phase.value == "active"


async def test_the_codec_seals_people_only_and_opens_what_it_sealed(event_store):
    codec = PersonSealingCodec(event_store, key_ttl_s=0)
    document = {
        "kind": "replace_coordinator",
        "coordinator_id": "pi-new",
        "coordinator_name": "Jeanne Martin",
        "coordinator_email": "jeanne.martin@cnrs.example.fr",
        "application": {"coordinator": {"id": "pi-old", "name": "Paul Roux", "email": "p@x.fr"}},
        "labs": [{"name": "LIG Grenoble", "country": "FR"}],
    }
    plain = Payload(
        metadata={"encoding": b"json/plain"}, data=json.dumps({"amount_eur": 60000}).encode()
    )
    named = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(document).encode())
    kept, sealed = await codec.encode([plain, named])
    assert kept is plain
    for secret in ("Jeanne Martin", "jeanne.martin@", "Paul Roux", "p@x.fr"):
        assert secret.encode() not in sealed.data
    assert json.loads(sealed.data)["labs"] == document["labs"]  # a lab's name is no person's
    (opened,) = await codec.decode([sealed])
    assert json.loads(opened.data) == document and SEALED_MARK not in opened.metadata

    async with event_store.connection() as conn:
        assert await shredding.destroy_key(conn, "pi-old")
    (erased,) = await codec.decode([sealed])
    read = json.loads(erased.data)
    assert read["application"]["coordinator"] == {
        "id": "pi-old",
        "name": ERASED_NAME,
        "email": ERASED_EMAIL,
    }
    assert read["coordinator_name"] == "Jeanne Martin"


async def test_a_name_is_found_whatever_the_jsons_layout(event_store):
    # the codec passes on unparsed a payload with no key ending in name" or email": a
    # document laid out otherwise (indented, spaced) is looked into all the same
    codec = PersonSealingCodec(event_store, key_ttl_s=0)
    document = {"reviewer": {"id": "rev-1", "name": "Ana Lima", "email": "ana@usp.br"}}
    for layout in ({"indent": 2}, {"separators": (" , ", " :  ")}, {"separators": (",", ":")}):
        payload = Payload(
            metadata={"encoding": b"json/plain"}, data=json.dumps(document, **layout).encode()
        )
        (sealed,) = await codec.encode([payload])
        assert b"Ana Lima" not in sealed.data and b"ana@usp.br" not in sealed.data, layout
        (opened,) = await codec.decode([sealed])
        assert json.loads(opened.data) == document


def _payload(document: dict) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(document).encode())


async def test_keys_past_the_codecs_bound_are_still_the_peoples_own(event_store, monkeypatch):
    """More people at once than the codec holds keys for: each sealed under their own key,
    none as erased."""
    monkeypatch.setattr(payload_sealing, "MOST_KEYS_HELD", 3)
    codec = PersonSealingCodec(event_store)
    people = [{"id": f"pi-{i}", "name": f"Person {i}", "email": f"p{i}@x.fr"} for i in range(7)]
    document = {"team": people}
    (sealed,) = await codec.encode([_payload(document)])
    assert b":erased" not in sealed.data
    (opened,) = await PersonSealingCodec(event_store).decode([sealed])
    assert json.loads(opened.data) == document
    (again,) = await codec.decode([sealed])
    assert json.loads(again.data) == document


async def test_a_key_lost_is_an_error_not_an_erasure(event_store, owner):
    """A database restored to before a person's key was made: their payloads cannot be
    read, and are never read as erased."""
    codec = PersonSealingCodec(event_store, key_ttl_s=0)
    (sealed,) = await codec.encode([_payload({"id": "pi-lost", "name": "Léa Petit"})])
    await owner.execute("DELETE FROM person_keys WHERE person_id = 'pi-lost'")
    with pytest.raises(KeyMissing, match="pi-lost"):
        await codec.decode([sealed])


async def test_a_destroyed_key_leaves_the_codec_within_two_whiles(event_store):
    codec = PersonSealingCodec(event_store, key_ttl_s=0.2)
    (sealed,) = await codec.encode([_payload({"id": "pi-gone", "name": "Marc Blanc"})])
    async with event_store.connection() as conn:
        assert await shredding.destroy_key(conn, "pi-gone")
    await asyncio.sleep(0.5)
    (opened,) = await codec.decode([sealed])
    assert json.loads(opened.data)["name"] == ERASED_NAME


async def test_what_looks_sealed_is_sealed_and_comes_back_as_typed(event_store):
    codec = PersonSealingCodec(event_store)
    document = {"id": "pi-odd", "name": "enc:v1:pi-odd:erased", "email": "odd@x.fr"}
    (sealed,) = await codec.encode([_payload(document)])
    (opened,) = await codec.decode([sealed])
    assert json.loads(opened.data) == document


async def test_a_reader_without_the_codec_cannot_take_sealed_text_for_a_name(event_store):
    codec = PersonSealingCodec(event_store)
    (sealed,) = await codec.encode([_payload({"id": "pi-x", "name": "Zoé Noir"})])
    with pytest.raises(Exception, match="encoding"):
        pydantic_data_converter.payload_converter.from_payloads([sealed], [dict])


def _models() -> list[type[BaseModel]]:
    for package in (domain, workflows, application, activities):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(info.name)
    found, todo = [], [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return [
        m
        for m in found
        if m.__module__.split(".")[0] in {"domain", "workflows", "application", "activities"}
    ]


def test_the_codec_takes_for_a_person_only_what_is_one():
    """The codec seals any object with an `id` and a `name` or an `email`, and a `<who>_name`
    or `<who>_email` beside a `<who>_id`: of the models that travel in payloads, only the
    people have that shape (a new model with it would have its name sealed as a person's)."""
    shaped = set()
    for model in _models():
        fields = set(model.model_fields)
        if "id" in fields and fields & {"name", "email"}:
            shaped.add(model.__name__)
        if any(f"{f[:-3]}_name" in fields or f"{f[:-3]}_email" in fields
               for f in fields if f.endswith("_id")):  # fmt: skip
            shaped.add(model.__name__)
    assert shaped == {"Person", "Reviewer", "CoordinatorInput", "ReplaceCoordinator"}, shaped
