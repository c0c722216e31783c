"""Reading an application from a JSON or YAML file, with errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from cli.errors import USAGE, CliError
from domain.instruments import InstrumentCode


def load_application(path: Path) -> dict[str, Any]:
    """The submission's input as the file gives it: the project id and the application's
    fields (validated as any submission is, by the step's input model)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CliError(f"{path}: cannot read ({err.strerror})", USAGE) from err
    try:
        raw: Any = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise CliError(f"{path}: not valid {_format(path)}: {_first_line(err)}", USAGE) from err
    if not isinstance(raw, dict):
        raise CliError(f"{path}: expected an object with project_id and the application")
    instrument = raw.get("instrument")
    if instrument is not None and instrument not in {c.value for c in InstrumentCode}:
        known = ", ".join(c.value for c in InstrumentCode)
        raise CliError(f"instrument: unknown instrument {instrument!r}; known: {known}")
    return {
        "project_id": raw.get("project_id"),
        "application": {k: v for k, v in raw.items() if k != "project_id"},
    }


def _format(path: Path) -> str:
    return "JSON" if path.suffix.lower() == ".json" else "YAML"


def _first_line(err: Exception) -> str:
    return str(err).splitlines()[0]
