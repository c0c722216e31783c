"""A personal iCalendar feed: the dates that concern one person, in the calendar they use.

The feed is written as text (RFC 5545), not through an iCalendar library: an officer's feed
holds tens of thousands of entries, and building each as a library object cost about
150 µs (bench/calendar_feed.py measures both). Calendar apps poll the feed, so an answer
carries a validator (`ETag`, `Last-Modified`) and a poll with it is answered 304 without
reading or writing the feed; the bodies built last are kept in process (`FeedCache`)."""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Protocol

from application.language import deadline_in
from domain.said import ENGLISH
from readmodels.queries import DeadlineRow

# bumped when the feed's text changes for the same rows (an ETag a client holds then
# no longer matches)
FEED_FORMAT = "1"

_FOLD_AT = 75  # octets of a content line, CRLF excluded (RFC 5545 3.1)
_CRLF = "\r\n"
# TEXT values (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped; other
# control characters are not allowed in a content line, and are left out
_PLAIN = re.compile(r"[^\\;,\x00-\x08\x0a-\x1f\x7f]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _text(value: str) -> str:
    if _PLAIN.fullmatch(value):  # most values: nothing to escape
        return value
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """The line cut into lines of at most 75 octets, each after the first starting with a
    space, never inside a UTF-8 sequence."""
    if len(line) <= _FOLD_AT and line.isascii():
        return line
    raw = line.encode()
    if len(raw) <= _FOLD_AT:
        return line
    parts = []
    start, width = 0, _FOLD_AT
    while len(raw) - start > width:
        cut = start + width
        while raw[cut] & 0xC0 == 0x80:  # a continuation byte: cut before its sequence
            cut -= 1
        parts.append(raw[start:cut])
        start, width = cut, _FOLD_AT - 1  # the leading space takes one octet
    parts.append(raw[start:])
    return b"\r\n ".join(parts).decode()


class Entry(Protocol):
    """A deadline as the feed reads it (readmodels' DeadlineRow, or a calendar FeedRow)."""

    @property
    def project_id(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def ref(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def label(self) -> str: ...
    @property
    def label_said(self) -> Any: ...


def _as_is(d: Entry) -> str:
    return d.label


# labels said in a language, by (language, message): kept between feeds, since a feed built
# after a step says again almost every label the one before said (cleared when full)
SAID_LABELS: dict[tuple[str, str], str] = {}
MAX_SAID_LABELS = 100_000


def labels_in(lang: str) -> Callable[[Entry], str]:
    """Each entry's label in `lang`, as application.language.deadline_in says it, each
    distinct message said once (a feed holds thousands of entries and far fewer labels)."""
    said = SAID_LABELS

    def label(d: Entry) -> str:
        key = d.label_said
        if key is None or lang == ENGLISH:
            return d.label
        text = said.get((lang, key)) if isinstance(key, str) else None
        if text is None:
            row = DeadlineRow(
                project_id=d.project_id, title=d.title, kind=d.kind, ref=d.ref,
                due_at=d.due_at, label=d.label, label_said=key,
            )  # fmt: skip
            text = deadline_in(row, lang).label
            if isinstance(key, str):
                if len(said) >= MAX_SAID_LABELS:
                    said.clear()
                said[(lang, key)] = text
        return text

    return label


def ics(
    person_name: str,
    deadlines: Iterable[Entry],
    now: datetime,
    lang: str = "en",
    label: Callable[[Entry], str] = _as_is,
) -> bytes:
    """Each deadline an all-day entry: the project (its id and title) and what falls due,
    in `lang` (`label` says it in that language: by default the rows' labels are said in
    it already)."""
    colon = "\u00a0:" if lang == "fr" else ":"  # French typography
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        _fold("PRODID:" + _text(f"-//CNRS DERCI//collab-lifecycle//{lang.upper()}")),
        _fold("X-WR-CALNAME:" + _text(f"collab-lifecycle{colon} {person_name}")),
    ]
    # escaped once each: a project's id and title, a label, a kind, a day's dates
    days: dict[date, tuple[str, str]] = {}
    projects: dict[tuple[str, str | None], str] = {}
    labels: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for d in deadlines:
        day = d.due_at.astimezone(UTC).date()
        span = days.get(day)
        if span is None:
            after = day + timedelta(days=1)
            span = days[day] = (day.strftime("%Y%m%d"), after.strftime("%Y%m%d"))
        project = projects.get((d.project_id, d.title))
        if project is None:
            named = f"{d.project_id} {d.title}" if d.title else d.project_id
            project = projects[(d.project_id, d.title)] = _text(f"{named}{colon} ")
        said = label(d)
        what = labels.get(said)
        if what is None:
            what = labels[said] = _text(said)
        kind = kinds.get(d.kind)
        if kind is None:
            kind = kinds[d.kind] = _fold("CATEGORIES:" + _text(d.kind))
        uid = _fold("UID:" + _text(f"{d.project_id}-{d.kind}-{d.ref}@collab-lifecycle"))
        summary = _fold(f"SUMMARY:{project}{what}")
        lines.append(
            f"BEGIN:VEVENT\r\n{uid}\r\n{summary}\r\n"
            f"DTSTART;VALUE=DATE:{span[0]}\r\nDTEND;VALUE=DATE:{span[1]}\r\n"
            f"DTSTAMP:{stamp}\r\n{kind}\r\nEND:VEVENT"
        )
    lines.append("END:VCALENDAR\r\n")
    return _CRLF.join(lines).encode()


# --- conditional answers ------------------------------------------------------------------


def etag(parts: Iterable[str]) -> str:
    """A weak validator (W/): the same rows make an equivalent feed, not the same octets
    (each build stamps its own DTSTAMP)."""
    digest = hashlib.sha256("\x1f".join([FEED_FORMAT, *parts]).encode()).hexdigest()
    return f'W/"{digest[:32]}"'


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def not_modified(
    current: str, since: datetime, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """Whether a GET with these preconditions is answered 304 (RFC 9110 13.2.2): by its
    If-None-Match (weak comparison) when it has one, else by its If-Modified-Since."""
    if if_none_match is not None:
        wanted = [_opaque(t) for t in if_none_match.split(",")]
        return "*" in wanted or _opaque(current) in wanted
    if if_modified_since is not None:
        try:
            held = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False  # an invalid date is ignored
        if held.tzinfo is None:
            return False
        return since <= held
    return False


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


@dataclass(frozen=True)
class _Since:
    tag: str
    moment: datetime  # whole seconds, UTC


class FeedCache:
    """The feeds built last, by ETag (bounded in entries and in bytes), and, for each feed
    (a person in a language), the ETag it last had and since when: its Last-Modified.

    Last-Modified is when this process first answered with the feed's current ETag; a new
    ETag always gets a later second than the one before it, so a client holding an older
    feed never matches. After a restart a feed is dated anew (a 200 more, never a wrong
    304); If-None-Match, which calendar apps send, does not depend on it."""

    def __init__(
        self, max_entries: int = 64, max_bytes: int = 64 * 2**20, max_feeds: int = 10_000
    ) -> None:
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._since: OrderedDict[tuple[str, str], _Since] = OrderedDict()
        self._bytes = 0
        self.max_entries, self.max_bytes, self.max_feeds = max_entries, max_bytes, max_feeds

    def get(self, tag: str) -> bytes | None:
        body = self._bodies.get(tag)
        if body is not None:
            self._bodies.move_to_end(tag)
        return body

    def put(self, tag: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        old = self._bodies.pop(tag, None)
        if old is not None:
            self._bytes -= len(old)
        self._bodies[tag] = body
        self._bytes += len(body)
        while len(self._bodies) > self.max_entries or self._bytes > self.max_bytes:
            _, evicted = self._bodies.popitem(last=False)
            self._bytes -= len(evicted)

    @property
    def size(self) -> tuple[int, int]:
        """Entries and bytes held."""
        return len(self._bodies), self._bytes

    def last_modified(self, feed: tuple[str, str], tag: str, now: datetime) -> datetime:
        """Since when `feed` has had `tag`, as this process saw it."""
        known = self._since.get(feed)
        if known is not None and known.tag == tag:
            self._since.move_to_end(feed)
            return known.moment
        moment = now.astimezone(UTC).replace(microsecond=0)
        if known is not None and moment <= known.moment:
            moment = known.moment + timedelta(seconds=1)
        self._since[feed] = _Since(tag, moment)
        self._since.move_to_end(feed)
        while len(self._since) > self.max_feeds:
            self._since.popitem(last=False)
        return moment
