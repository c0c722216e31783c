"""A personal iCalendar feed: the dates that concern one person, in the calendar they use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from readmodels.queries import DeadlineRow


def ics(person_name: str, deadlines: list[DeadlineRow], now: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//CNRS DERCI//collab-lifecycle//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"collab-lifecycle: {person_name}")
    for d in deadlines:
        event = Event()
        event.add("uid", f"{d.project_id}-{d.kind}-{d.ref}@collab-lifecycle")
        event.add("summary", f"{d.project_id}: {d.label}")
        day = d.due_at.astimezone(UTC).date()
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("dtstamp", now)
        event.add("categories", [d.kind])
        cal.add_component(event)
    return bytes(cal.to_ical())
