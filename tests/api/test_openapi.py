"""The OpenAPI spec declares what the API really answers (issue 15): every refusal a step
or a question may answer, in the refusal's own shape (never FastAPI's HTTPValidationError,
which the API never sends); the closed sets and the bounds it enforces; and the methods of
each address, which OPTIONS and 405 say whole."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from api.refusals import RefusalBody
from application.service import assemble
from collab.http import http_app
from domain.actors import Role
from domain.declarations import PERSON_STEPS
from domain.events import Recommendation
from domain.fields import PERSON_ID_PATTERN, PROJECT_ID_PATTERN, REPORT_ID_PATTERN
from domain.institutes import Institute
from domain.instruments import InstrumentCode
from domain.state import Phase
from readmodels.paging import MAX_PAGE_SIZE
from readmodels.views import SortKey

STEP_REFUSALS = {"401", "403", "404", "409", "413", "422", "503"}
REFUSAL = "#/components/schemas/RefusalBody"


@pytest.fixture
async def http():
    # the spec, OPTIONS and 405 ask nothing of the database or the workflow service
    app = http_app(assemble(None, None), secrets.token_bytes(8))  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://collab.test") as client:
        yield client


@pytest.fixture
async def spec(http) -> dict[str, Any]:
    r = await http.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def json_schema(operation: dict[str, Any], status: str) -> dict[str, Any]:
    return operation["responses"][status]["content"]["application/json"]["schema"]


def parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [p for p in operation["parameters"] if p["name"] == name]
    return found["schema"]


def branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of an optional value."""
    return [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]


def test_every_step_declares_each_refusal_it_answers_in_the_refusal_shape(spec):
    for declared in PERSON_STEPS.values():
        step = declared.person
        assert step is not None
        operation = spec["paths"][step.path]["post"]
        success = "201" if step.created else "200"
        expected = STEP_REFUSALS if step.on_project else STEP_REFUSALS - {"404"}
        assert set(operation["responses"]) == {success} | expected, step.path
        assert json_schema(operation, success) == {"$ref": "#/components/schemas/StepResult"}
        for status in expected:
            assert json_schema(operation, status) == {"$ref": REFUSAL}, (step.path, status)
        assert resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])


def test_the_refusal_schema_is_the_shape_every_refusal_has(spec):
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    body = schemas["RefusalBody"]
    assert body["required"] == ["detail"]
    detail = resolve(spec, body["properties"]["detail"])
    assert set(detail["properties"]) == {"message", "rule", "field", "errors"}
    assert set(detail["required"]) == {"message", "rule", "field"}  # errors: malformed only
    assert detail["properties"]["message"]["type"] == "string"
    assert detail["properties"]["rule"]["type"] == "string"
    assert {b["type"] for b in detail["properties"]["field"]["anyOf"]} == {"string", "null"}
    problem = resolve(spec, detail["properties"]["errors"]["items"])
    assert set(problem["required"]) == {"loc", "msg", "type"}
    # every operation: whatever 4xx it declares is a refusal, FastAPI's own shape nowhere
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status in operation["responses"]:
                if status.startswith(("4", "5")):
                    assert json_schema(operation, status) == {"$ref": REFUSAL}, (path, method)
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in operation["responses"], (path, method)
            if operation.get("security"):
                assert "401" in operation["responses"], (path, method)
            if "{project_id}" in path:
                assert "404" in operation["responses"], (path, method)


def test_the_project_list_is_a_page(spec):
    operation = spec["paths"]["/projects"]["get"]
    page = resolve(spec, json_schema(operation, "200"))
    assert set(page["properties"]) == {"projects", "next", "total"}
    assert set(page["required"]) == {"projects", "next", "total"}
    assert page["properties"]["total"]["type"] == "integer"
    assert {b["type"] for b in page["properties"]["next"]["anyOf"]} == {"string", "null"}
    row = resolve(spec, page["properties"]["projects"]["items"])
    assert resolve(spec, row["properties"]["instrument"])["enum"] == list(InstrumentCode)
    assert resolve(spec, row["properties"]["phase"])["enum"] == list(Phase)
    deadlines = resolve(spec, json_schema(spec["paths"]["/deadlines"]["get"], "200"))
    assert set(deadlines["required"]) == {"deadlines", "next", "total"}
    assert {"401", "422"} <= set(operation["responses"])


def enum_of(spec: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """The values an optional query filter takes: its enum, besides blank (no filter)."""
    values = []
    for branch in branches(schema):
        branch = resolve(spec, branch)
        values += branch.get("enum", [])
    return values


def test_the_closed_sets_and_bounds_the_api_enforces_are_in_the_spec(spec):
    paths = spec["paths"]
    listing = paths["/projects"]["get"]
    assert enum_of(spec, parameter(listing, "instrument")) == list(InstrumentCode)
    assert enum_of(spec, parameter(listing, "state")) == list(Phase)
    assert enum_of(spec, parameter(listing, "institute")) == list(Institute)
    assert enum_of(spec, parameter(listing, "sort")) == list(SortKey)
    [country] = branches(parameter(listing, "country"))
    assert country["pattern"] == "^([A-Z]{2})?$"
    year = [b for b in branches(parameter(listing, "year")) if b.get("type") == "integer"]
    assert (year[0]["minimum"], year[0]["maximum"]) == (1900, 2200)
    for path in ("/projects", "/deadlines"):
        [limit] = branches(parameter(paths[path]["get"], "limit"))
        assert (limit["minimum"], limit["maximum"]) == (1, MAX_PAGE_SIZE)
        [cursor] = branches(parameter(paths[path]["get"], "cursor"))
        assert cursor["pattern"] == "^[A-Za-z0-9_-]*$" and cursor["maxLength"] == 600
    within = parameter(paths["/deadlines"]["get"], "within_days")
    assert (within["minimum"], within["maximum"]) == (0, 36500)

    report = paths["/projects/{project_id}/reports/{report_id}"]["post"]
    assert parameter(report, "report_id")["pattern"] == REPORT_ID_PATTERN
    assert parameter(report, "project_id")["pattern"] == PROJECT_ID_PATTERN

    schemas = spec["components"]["schemas"]
    review = schemas["ReviewInput"]["properties"]
    assert resolve(spec, review["recommendation"])["enum"] == list(Recommendation)
    assert review["scores"]["additionalProperties"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 5,
    }
    assert schemas["ReviewerInput"]["properties"]["reviewer_id"]["pattern"] == PERSON_ID_PATTERN
    assert schemas["SubmitInput"]["properties"]["project_id"]["pattern"] == PROJECT_ID_PATTERN
    [awarded] = branches(schemas["DecisionInput"]["properties"]["awarded_eur"])
    assert awarded["type"] == "integer" and awarded["exclusiveMinimum"] == 0
    assert resolve(spec, schemas["StepResult"]["properties"]["phase"])["enum"] == list(Phase)
    me = resolve(spec, json_schema(paths["/me"]["get"], "200"))
    assert resolve(spec, me["properties"]["role"])["enum"] == list(Role)
    history = resolve(spec, json_schema(paths["/projects/{project_id}/history"]["get"], "200"))
    entry = resolve(spec, history["properties"]["events"]["items"])
    actor = resolve(spec, entry["properties"]["actor"])
    assert resolve(spec, actor["properties"]["role"])["enum"] == list(Role)
    catalog = json_schema(paths["/instruments"]["get"], "200")
    assert resolve(spec, resolve(spec, catalog["items"])["properties"]["code"])["enum"] == list(
        InstrumentCode
    )


async def test_options_lists_every_method_of_an_address(http, spec):
    r = await http.options("/projects")
    assert r.status_code == 204 and r.content == b""
    assert r.headers["allow"] == "GET, POST, OPTIONS"
    for path, operations in spec["paths"].items():
        concrete = path.replace("{project_id}", "IRP-1").replace("{report_id}", "final")
        concrete = concrete.replace("{calendar_token}", "tok")
        r = await http.options(concrete)
        assert r.status_code == 204, path
        allowed = {m.strip() for m in r.headers["allow"].split(",")}
        assert allowed == {m.upper() for m in operations} | {"OPTIONS"}, path


async def test_a_method_an_address_lacks_is_a_405_naming_them_all(http):
    for method, path, allow in [
        ("DELETE", "/projects", "GET, POST, OPTIONS"),
        ("PUT", "/projects", "GET, POST, OPTIONS"),
        ("GET", "/projects/IRP-1/decision", "POST, OPTIONS"),
        ("PATCH", "/projects/IRP-1", "GET, OPTIONS"),
        ("POST", "/me", "GET, OPTIONS"),
    ]:
        r = await http.request(method, path)
        assert r.status_code == 405, (method, path)
        assert r.headers["allow"] == allow, (method, path)
        refusal = RefusalBody.model_validate(r.json())
        assert refusal.detail.rule == "http.method" and allow in refusal.detail.message


async def test_a_body_that_is_not_utf8_is_a_malformed_request(http):
    r = await http.post(
        "/projects", content=b'{"project_id": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    refusal = RefusalBody.model_validate(r.json())
    assert (refusal.detail.rule, refusal.detail.field) == ("input", "body")
    assert refusal.detail.errors[0].type == "json_invalid"


async def test_refusals_without_a_token_have_the_declared_shape(http):
    for path in ("/projects", "/me", "/deadlines", "/projects/IRP-1/history"):
        r = await http.get(path)
        assert r.status_code == 401, path
        assert RefusalBody.model_validate(r.json()).detail.rule == "auth"


def test_the_spec_names_the_bearer_token_each_question_and_step_asks_for(spec):
    """Clients generated from the spec send the token where it is asked: the scheme keeps
    its name (HTTPBearer) now that it answers with the person (api.app._BearerPerson)."""
    assert spec["components"]["securitySchemes"] == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "a personal token (collab users add)",
        }
    }
    for path, method in (("/projects", "get"), ("/me", "get"), ("/projects", "post")):
        assert spec["paths"][path][method]["security"] == [{"HTTPBearer": []}], (path, method)
    assert "security" not in spec["paths"]["/instruments"]["get"]
