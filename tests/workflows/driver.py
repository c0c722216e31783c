"""The product's life driver on Temporal (collab.lives) with the test builders' people and
applications."""

from __future__ import annotations

from typing import Any

from temporalio.testing import WorkflowEnvironment

from application.projects import ProjectService
from collab.lives import ProjectDriver as LifeDriver
from domain.instruments import InstrumentCode
from tests.builders import DERCI, INSTITUTE, application, reviewer


class ProjectDriver(LifeDriver):
    def __init__(self, env: WorkflowEnvironment, service: ProjectService, project_id: str):
        super().__init__(
            env, service, project_id, officer=INSTITUTE, derci=DERCI, reviewer=reviewer()
        )

    async def submit(self, code: InstrumentCode | str, **app: Any) -> Any:  # type: ignore[override]
        return await super().submit(application(code, **app))
