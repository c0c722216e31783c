"""Bringing running projects in from a file: `collab import FILE` and the officers' page.

Each entry is checked as a new application would be, plus the consistency of its past
(domain.imports); a refused entry is reported with its place in the file and the rule's
words, and the others are created, each by one ProjectImported fact. Nothing is created on
a dry run. Importing the same file again creates nothing and says so: an entry is known by
its project id and its content."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

import yaml
from pydantic import ValidationError

from application.policies import Policies
from application.projects import ProjectService
from application.refusals import Kind, Refusal
from domain.commands import ImportProject
from domain.decider import decide
from domain.errors import DomainError
from domain.imports import ImportInput, ImportSource
from domain.policy import Policy
from domain.said import said
from domain.state import ProjectState
from eventstore.postgres import PostgresEventStore
from identity.people import Person

MAX_FILE_BYTES = 5 * 1024 * 1024  # a few thousand entries; a portfolio is a few hundred
MAX_ENTRIES = 5000
# entries name their command after their content: a retried import is the same command
_NAMESPACE = UUID("6f4c1f3e-1f0b-4b8e-9f5e-2d6c1a9b7e10")

# the columns of a CSV import (README: "Bringing running projects in")
CSV_COLUMNS = (
    "project_id", "instrument", "title", "institute", "requested_eur",
    "coordinator_id", "coordinator_name", "coordinator_email", "coordinator_lab",
    "labs", "location", "prior_collaboration",
    "awarded_eur", "term_starts_at", "term_number", "renewals", "tranches_released",
    "reports_accepted", "decided_by_id", "decided_by_role", "reason",
)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    index: int  # in the file, from 0
    line: int | None  # a CSV file's line
    raw: Any


@dataclass(frozen=True)
class RefusedEntry:
    index: int
    line: int | None
    project_id: str | None
    message: str


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[RefusedEntry] = field(default_factory=list)
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "unchanged": self.unchanged,
            "refused": [
                {"index": r.index, "line": r.line, "project_id": r.project_id, "message": r.message}
                for r in self.refused
            ],
            "dry_run": self.dry_run,
        }


def read_entries(name: str, content: bytes) -> list[Entry]:
    """The entries of a YAML or JSON list, or of a CSV file (by its name's suffix)."""
    if len(content) > MAX_FILE_BYTES:
        raise _bad_file(f"{name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise _bad_file(f"{name}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    if name.lower().endswith(".csv"):
        entries = _csv_entries(name, text)
    else:
        try:
            raw = json.loads(text) if name.lower().endswith(".json") else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as err:
            raise _bad_file(f"{name}: not valid JSON or YAML: {str(err).splitlines()[0]}") from err
        if not isinstance(raw, list):
            raise _bad_file(f"{name}: expected a list of entries")
        entries = [Entry(i, None, item) for i, item in enumerate(raw)]
    if len(entries) > MAX_ENTRIES:
        raise _bad_file(f"{name}: {len(entries)} entries; at most {MAX_ENTRIES} a file")
    return entries


def _csv_entries(name: str, text: str) -> list[Entry]:
    reader = csv.DictReader(io.StringIO(text), delimiter=_delimiter(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise _bad_file(f"{name}: columns missing: {', '.join(missing)}")
    return [Entry(i, reader.line_num, _from_row(row)) for i, row in enumerate(reader)]


def _delimiter(text: str) -> str:
    # a French spreadsheet writes ";" between cells
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _from_row(row: dict[str, str]) -> dict[str, Any]:
    """A spreadsheet's row as an entry: `labs` is `CEREGE [FR, CNRS]; USP IAG [BR]`,
    `reports_accepted` ids separated by spaces; empty cells are absent values."""

    def cell(name: str) -> str | None:
        value = (row.get(name) or "").strip()
        return value or None

    def number(name: str) -> Any:
        value = cell(name)
        return int(value) if value is not None and value.isdigit() else value

    application = {
        "instrument": cell("instrument"),
        "title": cell("title"),
        "institute": cell("institute"),
        "requested_eur": number("requested_eur"),
        "coordinator": {
            "id": cell("coordinator_id"),
            "name": cell("coordinator_name"),
            "email": cell("coordinator_email"),
            "lab": cell("coordinator_lab"),
        },
        "labs": _labs(cell("labs") or ""),
        "location": cell("location"),
        "prior_collaboration": cell("prior_collaboration"),
    }
    return {
        "project_id": cell("project_id"),
        **{k: v for k, v in application.items() if v is not None},
        "imported": {
            "awarded_eur": number("awarded_eur"),
            "term_starts_at": cell("term_starts_at"),
            "term_number": number("term_number"),
            "renewals": number("renewals"),
            "tranches_released": number("tranches_released"),
            "reports_accepted": (cell("reports_accepted") or "").split(),
            "decided_by": {"id": cell("decided_by_id"), "role": cell("decided_by_role")},
            "reason": cell("reason"),
        },
    }


def _labs(text: str) -> list[dict[str, Any]]:
    labs = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, _, rest = part.partition("[")
        tags = [t.strip() for t in rest.rstrip("]").split(",") if t.strip()]
        country = next((t for t in tags if t != "CNRS"), "")
        labs.append({"name": name.strip(), "country": country, "cnrs": "CNRS" in tags})
    return labs


def _bad_file(message: str) -> Refusal:
    return Refusal(Kind.INPUT, message, "import.file", "file")


class Imports:
    def __init__(self, store: PostgresEventStore, projects: ProjectService | None) -> None:
        self._store = store
        self._projects = projects
        self._policies = Policies(store)

    async def run(
        self, person: Person, name: str, content: bytes, *, dry_run: bool = False
    ) -> ImportReport:
        # every entry is judged, and brought in, under the policy in force now
        policy = await self._policies.in_force(datetime.now(UTC))
        entries = read_entries(name, content)
        file_sha256 = hashlib.sha256(content).hexdigest()
        report = ImportReport(dry_run=dry_run)
        seen: set[str] = set()
        for entry in entries:
            pid = entry.raw.get("project_id") if isinstance(entry.raw, dict) else None
            try:
                command = self._command(person, entry, file_sha256, policy)
                pid = command.project_id
                if pid in seen:
                    raise Refusal(
                        Kind.RULE,
                        said("project {pid} is in the file twice", pid=pid),
                        "import.twice",
                    )
                seen.add(pid)
                if await self._already_imported(command):
                    report.unchanged.append(pid)
                    continue
                if dry_run:
                    report.created.append(pid)
                    continue
                await self.projects.submit(command, policy)
                report.created.append(pid)
            except Refusal as refusal:
                shown = pid if isinstance(pid, str) else None
                report.refused.append(RefusedEntry(entry.index, entry.line, shown, refusal.message))
        return report

    @property
    def projects(self) -> ProjectService:
        if self._projects is None:
            raise Refusal(
                Kind.UNAVAILABLE, said("no workflow service: projects cannot be created here")
            )
        return self._projects

    def _command(
        self, person: Person, entry: Entry, file_sha256: str, policy: Policy
    ) -> ImportProject:
        try:
            given = ImportInput.model_validate(_as_input(entry.raw))
        except ValidationError as err:
            raise Refusal.of_input(err) from err
        content = json.dumps(given.model_dump(mode="json"), sort_keys=True).encode()
        entry_sha256 = hashlib.sha256(content).hexdigest()
        source = ImportSource(
            file_sha256=file_sha256, entry=entry.index, line=entry.line, entry_sha256=entry_sha256
        )
        command = ImportProject(
            command_id=uuid5(_NAMESPACE, f"{given.project_id}:{entry_sha256}"),
            actor=person.actor,
            at=datetime.now(UTC),
            project_id=given.project_id,
            application=given.application,
            imported=given.imported,
            source=source,
            reason=given.imported.reason,
        )
        try:  # the workflow's validator decides the same, with the same policy
            decide(command, ProjectState(), policy)
        except DomainError as err:
            raise Refusal.of_domain(err) from err
        return command

    async def _already_imported(self, command: ImportProject) -> bool:
        """True when this very entry made the project; a project made otherwise, or from
        other content, is refused."""
        first = await self._store.read_stream(command.project_id)
        if not first:
            return False
        source = first[0].data.get("source", {}) if first[0].type == "ProjectImported" else {}
        if source.get("entry_sha256") == command.source.entry_sha256:
            return True
        raise Refusal(
            Kind.CONFLICT,
            f"project {command.project_id} already exists"
            + (" with other content" if source else ""),
            "project.exists",
        )


def _as_input(raw: Any) -> Any:
    """An entry as the import's input: the application's fields beside project_id and the
    imported section, as an application file gives them."""
    if not isinstance(raw, dict):
        return raw
    outer = {"project_id", "imported"}
    return {
        "project_id": raw.get("project_id"),
        "imported": raw.get("imported"),
        "application": {k: v for k, v in raw.items() if k not in outer},
    }
