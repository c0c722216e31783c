"""A personal iCalendar feed: the dates that concern one person, in the calendar they use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from readmodels.queries import DeadlineRow


def ics(person_name: str, deadlines: list[DeadlineRow], now: datetime, lang: str = "en") -> bytes:
    """Each deadline an all-day entry: the project (its id and title) and what falls due,
    in `lang` (the rows' labels are said in it already)."""
    cal = Calendar()
    cal.add("prodid", f"-//CNRS DERCI//collab-lifecycle//{lang.upper()}")
    cal.add("version", "2.0")
    colon = "\u00a0:" if lang == "fr" else ":"  # French typography
    cal.add("x-wr-calname", f"collab-lifecycle{colon} {person_name}")
    for d in deadlines:
        event = Event()
        event.add("uid", f"{d.project_id}-{d.kind}-{d.ref}@collab-lifecycle")
        project = f"{d.project_id} {d.title}" if d.title else d.project_id
        event.add("summary", f"{project}{colon} {d.label}")
        day = d.due_at.astimezone(UTC).date()
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("dtstamp", now)
        event.add("categories", [d.kind])
        cal.add_component(event)
    return bytes(cal.to_ical())
