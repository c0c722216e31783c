"""The API against its own OpenAPI spec, fuzzed by schemathesis with every check it has
(issue 15), on a running `collab up`: status codes, content types, response schemas and
headers as the spec declares them; schema-invalid requests refused, schema-valid ones
accepted; a missing token a 401; an undeclared method a 405 with `Allow`, OPTIONS listing
the declared ones; and never a 5xx. Strings may hold NUL.

Who asks: a DERCI officer, on a project submitted for the run (and the calendar feed of
that officer's token); the steps only a project's coordinator takes (a report, a renewal
request) are asked by that project's coordinator, so that they reach the rules instead of
stopping at a 403.

The one narrow exception, `positive_data_acceptance` for what no JSON Schema can state,
is tests/schemathesis_hooks.py, which says each case and why."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests import test_cli_service
from tests.test_cli_service import Service, write_app

# `collab up` as tests/test_cli_service.py starts it (one for this module)
service = test_cli_service.service

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
HOOKS = Path(__file__).parent / "schemathesis_hooks.py"


def fuzz(service: Service, tmp_path: Path, *options: str) -> tuple[int, float, str]:
    """One schemathesis run with every check; (test cases passed, seconds, its output)."""
    name = f"fuzz-{uuid.uuid4().hex[:6]}"
    officer = service.ok(
        "users", "add", name, "--name", "Fuzz", "--email", f"{name}@cnrs.example.fr",
        "--lab", "DERCI", "--country", "FR", "--role", "derci_officer",
    )  # fmt: skip
    pid = f"IRP-FUZZ-{uuid.uuid4().hex[:4]}"
    service.ok("submit", str(write_app(tmp_path, pid)))  # coordinated by pi-moreau
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f"""hooks = "{HOOKS}"

[parameters]
"project_id" = "{pid}"
"calendar_token" = "{officer["calendar_token"]}"

[generation]
allow-x00 = true

[checks]
enabled = true

[[operations]]
include-path-regex = "/(renewal|reports/\\\\{{report_id\\\\}})$"
headers = {{ Authorization = "Bearer {service.tokens["pi-moreau"]}" }}
"""
    )
    started = time.monotonic()
    done = subprocess.run(
        [
            SCHEMATHESIS, "--config-file", str(config), "run", f"{service.base}/openapi.json",
            "--checks", "all", "--header", f"Authorization: Bearer {officer['token']}",
            "--no-color", *options,
        ],
        capture_output=True, text=True, timeout=1800,
        cwd=tmp_path,  # schemathesis keeps its example database in the working directory
    )  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-6000:]
    summary = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    assert summary and summary[1] == summary[2], done.stdout[-3000:]
    return int(summary[2]), took, done.stdout


def test_the_api_keeps_its_contract_under_fuzzing(service, tmp_path):
    """Deterministic and bounded: the default suite's run (about 20 s of fuzzing)."""
    passed, _, out = fuzz(service, tmp_path, "--max-examples", "40", "--generation-deterministic")
    assert passed > 1000, out[-1500:]
    selected = re.search(r"Selected: (\d+)/(\d+)", out)
    assert selected and selected[1] == selected[2], out[-1500:]


@pytest.mark.slow
def test_the_api_keeps_its_contract_under_long_fuzzing(service, tmp_path):
    """Random (the seed is printed on failure), 250 examples an operation."""
    passed, _, out = fuzz(service, tmp_path, "--max-examples", "250")
    assert passed > 5000, out[-1500:]
