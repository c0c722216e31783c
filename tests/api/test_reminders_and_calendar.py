"""A timer's reminder reaches a real SMTP server exactly once; calendars parse."""

from __future__ import annotations

import email
import socket
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from application.audit import read_digest
from collab.mailer import DigestMailer, SmtpMailer
from collab.settings import Settings
from eventstore.ledger import Ledger
from eventstore.tree_head import load_or_create_key
from readmodels.outbox import Outbox
from readmodels.projector import Projector
from tests.api.conftest import PEOPLE
from tests.api.test_api import REVIEWER, approved, submitted


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_a_timer_reminder_arrives_by_email_exactly_once(api, ts_env, event_store, smtp):
    inbox, port = smtp
    pid = await submitted(api)
    await ts_env.sleep(timedelta(hours=1))
    r = await api.post("institute_officer", f"/projects/{pid}/reviewers", REVIEWER)
    assert r.status_code == 200
    await ts_env.sleep(timedelta(days=50))  # the 14-days-before-deadline reminder fires

    projector = Projector(event_store)
    await projector.catch_up()
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="derci@cnrs.example.fr")
    mailer = SmtpMailer(settings, event_store)
    outbox = Outbox(event_store)
    assert await outbox.deliver_due(mailer.send, datetime.now(UTC)) == 1
    assert await outbox.deliver_due(mailer.send, datetime.now(UTC)) == 0
    await projector.rebuild()  # replaying every event must not queue the reminder again
    assert await outbox.deliver_due(mailer.send, datetime.now(UTC)) == 0

    assert len(inbox.messages) == 1
    to, content = inbox.messages[0]
    assert to == ["anna.keller@ethz.example.ch"]
    assert f"Subject: [{pid}] Your review of {pid} is due on" in content
    assert await outbox.by_status() == {"sent": 1}


async def test_undeliverable_reminders_are_retried_then_recorded_failed(api, ts_env, event_store):
    pid = await submitted(api)
    await ts_env.sleep(timedelta(hours=1))
    await api.post("institute_officer", f"/projects/{pid}/reviewers", REVIEWER)
    await ts_env.sleep(timedelta(days=50))
    await Projector(event_store).catch_up()
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    mailer = SmtpMailer(Settings(smtp_host="127.0.0.1", smtp_port=dead), event_store)
    outbox = Outbox(event_store, max_attempts=3)
    now = datetime.now(UTC)
    for hour in range(6):  # backoff: each retry waits longer
        await outbox.deliver_due(mailer.send, now + timedelta(hours=hour * 24))
    assert await outbox.by_status() == {"failed": 1}


async def test_personal_calendars_hold_the_right_dates(api, ts_env):
    pid = await approved(api, ts_env)
    await ts_env.sleep(timedelta(days=1))
    await api.caught_up()
    r = await api.http.get(f"/calendar/{api.calendars['coordinator']}.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    report = events[f"{pid}-report-term1-year1@collab-lifecycle"]
    project = (await api.get("auditor", f"/projects/{pid}")).json()
    due = next(d for d in project["deadlines"] if d["ref"] == "term1-year1")
    assert report.decoded("dtstart").isoformat() == due["due_at"][:10]
    # the term ends years ahead: past the feed's window (two years), still on the project
    assert f"{pid}-term_end-term1-end@collab-lifecycle" not in events
    assert any(d["ref"] == "term1-end" for d in project["deadlines"])

    # a reviewer's calendar holds the evaluations they are assigned to, and only those
    waiting = await submitted(api)
    await ts_env.sleep(timedelta(hours=1))
    await api.post("institute_officer", f"/projects/{waiting}/reviewers", REVIEWER)
    await api.caught_up()
    body = (await api.http.get(f"/calendar/{api.calendars['reviewer']}.ics")).content
    reviewer_events = Calendar.from_ical(body).walk("VEVENT")
    assert [str(e["uid"]) for e in reviewer_events] == [
        f"{waiting}-evaluation-evaluation@collab-lifecycle"
    ]


async def test_calendar_and_api_tokens_open_only_their_own_door(api):
    assert (await api.http.get(f"/calendar/{api.tokens['coordinator']}.ics")).status_code == 404
    calendar_as_bearer = {"Authorization": f"Bearer {api.calendars['derci_officer']}"}
    assert (await api.http.get("/me", headers=calendar_as_bearer)).status_code == 401
    assert (await api.http.get("/calendar/forged.ics")).status_code == 404


async def test_the_daily_digest_reaches_every_auditor_by_email(api, event_store, smtp, tmp_path):
    """Copies of the signed digest that whoever holds the database cannot reach."""
    inbox, port = smtp
    head = await Ledger(event_store).signed_head(load_or_create_key(tmp_path / "key.pem"))
    path = tmp_path / "digest-1.json"
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="derci@cnrs.example.fr")
    await DigestMailer(settings, event_store)(head, path)
    [(to, text)] = inbox.messages
    assert to == [PEOPLE["auditor"].email]  # the directory's auditors, nobody else
    message = email.message_from_string(text)
    assert "ledger digest" in message["Subject"] and "condensat" in message["Subject"]
    [attached] = [p for p in message.walk() if p.get_filename() == "digest-1.json"]
    assert read_digest(attached.get_payload(decode=True).decode()) == head
