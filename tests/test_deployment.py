"""The production container setup, checked by reading it (no Docker engine needed):
docker-compose.yml, Dockerfile, .dockerignore and deploy/.

Compose values are interpolated as `docker compose` does, with an empty environment, so
the checks see the local defaults (`${POSTGRES_COLLAB_PASSWORD:-collab}` -> `collab`).
The last test runs deploy/postgres's init SQL on the embedded PostgreSQL and starts the
store as the role it creates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import socket
import tomllib
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import yaml
from structlog.testing import capture_logs
from temporalio.service import RPCError

from collab.database import migrate_database, open_store
from collab.settings import WORKER_MAX_CACHED_WORKFLOWS, Settings
from eventstore.embedded import start_embedded_postgres
from eventstore.errors import EventStoreError

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
INITDB_TARGET = "/docker-entrypoint-initdb.d"

PREFIX = str(Settings.model_config.get("env_prefix", ""))
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


# -- reading the files ------------------------------------------------------------------

_VAR = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_]\w*))")
_BRACED = re.compile(r"(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<arg>.*))?", re.S)


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's variable interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
    ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt}."""

    def replace(m: re.Match[str]) -> str:
        if m["escaped"]:
            return "$"
        if m["named"]:
            return env.get(m["named"], "")
        braced = _BRACED.fullmatch(m["braced"])
        if braced is None:
            raise ValueError(f"invalid interpolation ${{{m['braced']}}} in {value!r}")
        name, op, arg = braced["name"], braced["op"], braced["arg"]
        current = env.get(name)
        if op is None:
            return current or ""
        if op == ":-":
            return current or arg
        if op == "-":
            return arg if current is None else current
        if op in (":?", "?"):
            if (op == ":?" and not current) or current is None:
                raise ValueError(f"{name} is required: {arg}")
            return current
        if op == ":+":
            return arg if current else ""
        return "" if current is None else arg  # "+"

    return _VAR.sub(replace, value)


def interpolated(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolated(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolated(item, env) for key, item in node.items()}
    return node


def load_compose() -> dict[str, Any]:
    return interpolated(yaml.safe_load(COMPOSE_FILE.read_text()), {})


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment(service: Mapping[str, Any]) -> dict[str, str | None]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) if "=" in item else (item, None) for item in env)
        return {key: value for key, value in pairs}
    return {key: None if value is None else str(value) for key, value in env.items()}


def depends_on(service: Mapping[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def image_parts(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference."""
    image, _, digest = image.partition("@")
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :], digest or None
    return image, None, digest or None


def bind_mounts(service: Mapping[str, Any]) -> dict[str, Path]:
    """Container path -> host path of the service's bind mounts (short syntax)."""
    mounts = {}
    for volume in service.get("volumes") or []:
        source, target = str(volume).split(":")[:2]
        if source.startswith((".", "/")):
            mounts[target] = (ROOT / source).resolve()
    return mounts


def host_path(service: Mapping[str, Any], container_path: str) -> Path | None:
    """The host file behind a container path, through the service's bind mounts."""
    for target, source in bind_mounts(service).items():
        if container_path == target:
            return source
        if container_path.startswith(target.rstrip("/") + "/"):
            return source / container_path[len(target.rstrip("/")) + 1 :]
    return None


def words(value: Any) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else shlex.split(str(value))


def mounted_scripts(service: Mapping[str, Any]) -> list[Path]:
    """Host files of the bind-mounted scripts the service's entrypoint or command runs."""
    args = words(service.get("entrypoint")) + words(service.get("command"))
    found = [host_path(service, arg) for arg in args if arg.startswith("/")]
    return [path for path in found if path is not None]


def service_running(services: Mapping[str, Any], script_name: str) -> tuple[str, dict[str, Any]]:
    matches = [
        (name, svc)
        for name, svc in services.items()
        if any(path.name == script_name for path in mounted_scripts(svc))
    ]
    assert len(matches) == 1, f"expected one service running {script_name}, found {matches}"
    return matches[0]


def the_temporal_server(services: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    servers = [
        (name, svc)
        for name, svc in services.items()
        if image_parts(svc.get("image", ""))[0] == "temporalio/server"
    ]
    assert len(servers) == 1, servers
    return servers[0]


def init_scripts(services: Mapping[str, Any]) -> list[Path]:
    postgres = services["postgresql"]
    initdb = host_path(postgres, INITDB_TARGET)
    assert initdb is not None, f"nothing mounted at {INITDB_TARGET}"
    assert initdb.is_dir(), initdb
    return sorted(p for p in initdb.iterdir() if p.suffix in (".sh", ".sql"))


def init_text(services: Mapping[str, Any]) -> str:
    return "\n".join(path.read_text() for path in init_scripts(services))


def role_password(services: Mapping[str, Any], role: str) -> str:
    """The password the init script gives ``role``: a psql variable set from an environment
    variable of the postgresql service."""
    text = init_text(services)
    created = re.search(rf"CREATE ROLE {role} WITH ([^;]*?)PASSWORD :'(\w+)'", text)
    assert created, f"the init script creates no role {role} with a password"
    assert "LOGIN" in created[1].split(), f"role {role} cannot log in"
    variable = re.search(rf"-v {created[2]}=\"\$(\w+)\"", text)
    assert variable, f"psql variable {created[2]} is not set from the environment"
    value = environment(services["postgresql"]).get(variable[1])
    assert value, f"postgresql service does not set {variable[1]}"
    return value


def role_attributes(services: Mapping[str, Any], role: str) -> list[str]:
    created = re.search(rf"CREATE ROLE {role} WITH ([^;]*?)PASSWORD", init_text(services))
    assert created, f"the init script creates no role {role}"
    return created[1].split()


# -- compose: images --------------------------------------------------------------------

# major.minor[.patch][-suffix], with the leading "v" some projects tag with (prom/prometheus:
# v3.5.0); never latest, a major alone (v3, 17) or a wildcard (v3.x)
EXACT_VERSION = re.compile(r"v?\d+\.\d+(\.\d+)?(-[\w.-]+)?")


@pytest.mark.parametrize(
    ("tag", "exact"),
    [
        ("v3.5.0", True),
        ("12.1.1", True),
        ("17.9", True),
        ("1.31.2", True),
        ("2.52.0", True),
        ("12.1.1-ubuntu", True),
        ("latest", False),
        ("v3", False),
        ("17", False),
        ("v3.x", False),
        ("3.x", False),
        ("main", False),
        ("v3.5.0.", False),
    ],
)
def test_the_version_pattern_takes_exact_versions_only(tag, exact):
    assert bool(EXACT_VERSION.fullmatch(tag)) is exact


def test_every_image_is_pinned_to_an_exact_version(services):
    for name, svc in services.items():
        if "image" not in svc:
            assert "build" in svc, f"{name} has neither image nor build"
            continue
        _, tag, digest = image_parts(svc["image"])
        assert tag is not None or digest is not None, f"{name}: {svc['image']} has no tag"
        if tag is not None:
            assert tag != "latest", f"{name}: {svc['image']}"
            assert EXACT_VERSION.fullmatch(tag), f"{name}: {svc['image']} is not a version"


def test_temporal_runs_the_server_image_with_admin_tools_of_the_same_version(services):
    assert not [s["image"] for s in services.values() if "auto-setup" in s.get("image", "")]
    _, server = the_temporal_server(services)
    _, server_tag, _ = image_parts(server["image"])
    admin_tools = [
        image_parts(s["image"])
        for s in services.values()
        if image_parts(s.get("image", ""))[0] == "temporalio/admin-tools"
    ]
    assert len(admin_tools) == 2, "one schema setup and one namespace service"
    assert {tag for _, tag, _ in admin_tools} == {server_tag}
    ui = [s for s in services.values() if image_parts(s.get("image", ""))[0] == "temporalio/ui"]
    assert len(ui) == 1
    assert "8080" in [str(p).split(":")[-1] for p in ui[0].get("ports", [])]


# -- compose: PostgreSQL ----------------------------------------------------------------


def test_postgresql_has_a_healthcheck_a_named_volume_and_the_init_script(compose, services):
    postgres = services["postgresql"]
    assert image_parts(postgres["image"])[0] == "postgres"
    assert "pg_isready" in words(postgres["healthcheck"]["test"])
    data = [v for v in postgres["volumes"] if str(v).split(":")[1] == "/var/lib/postgresql/data"]
    assert len(data) == 1 and str(data[0]).split(":")[0] in (compose.get("volumes") or {})
    assert init_scripts(services), "no init script in the mounted initdb directory"
    env = environment(postgres)
    assert env.get("POSTGRES_PASSWORD"), "the postgres image refuses to start without it"


APP_SERVICES = ("worker", "projector", "api")


def test_only_the_migrate_service_holds_the_owners_url(services):
    """The schema owner's URL lives in the one-shot migrate service alone, which runs
    `collab migrate` before any app service starts; the app services hold only
    collab_app's login, to the same database of the postgresql service."""
    from cli.commands import build_parser

    migrate = services["migrate"]
    assert words(migrate.get("command"))[:2] == ["collab", "migrate"]
    build_parser().parse_args(words(migrate["command"])[1:])
    assert migrate["image"] == services["worker"]["image"]
    assert depends_on(migrate)["postgresql"] == "service_healthy"
    owner = urlsplit(environment(migrate)[f"{PREFIX}DATABASE_URL"] or "")
    assert owner.scheme in ("postgresql", "postgres")
    assert owner.hostname == "postgresql" and owner.hostname in services
    postgres_env = environment(services[owner.hostname])
    assert owner.port == int(postgres_env.get("PGPORT") or 5432)
    database = owner.path.lstrip("/")
    assert owner.username and database
    text = init_text(services)
    assert re.search(rf"CREATE DATABASE {database} OWNER {owner.username};", text), (
        f"the init script does not create database {database} owned by {owner.username}"
    )
    assert owner.password == role_password(services, owner.username)
    # the owner's migrations create collab_app and set its password from the settings
    assert "CREATEROLE" in role_attributes(services, owner.username)
    assert owner.username != postgres_env.get("POSTGRES_USER"), "the owner must not be superuser"
    app_password = environment(migrate).get(f"{PREFIX}DATABASE_APP_PASSWORD")
    assert app_password, "collab_app needs a password on a server that checks them"
    assert app_password != owner.password, "the application role has a password of its own"

    for name in APP_SERVICES:
        env = environment(services[name])
        assert f"{PREFIX}DATABASE_URL" not in env, f"{name} holds the owner's URL"
        app = urlsplit(env[f"{PREFIX}DATABASE_APP_URL"] or "")
        assert (app.scheme, app.hostname, app.port, app.path) == (
            owner.scheme,
            owner.hostname,
            owner.port,
            owner.path,
        ), f"{name}: the same database as the owner's"
        assert (app.username, app.password) == ("collab_app", app_password)
        assert depends_on(services[name])["migrate"] == "service_completed_successfully"
    # with passwords of their own (the defaults collide with other values), no app
    # service sees the owner's
    secrets = {"POSTGRES_COLLAB_PASSWORD": "owner-pw-7f3", "POSTGRES_COLLAB_APP_PASSWORD": "app-pw"}
    configured = interpolated(yaml.safe_load(COMPOSE_FILE.read_text()), secrets)["services"]
    for name in APP_SERVICES:
        assert not any("owner-pw-7f3" in (v or "") for v in environment(configured[name]).values())
    assert "owner-pw-7f3" in (environment(configured["migrate"])[f"{PREFIX}DATABASE_URL"] or "")


# -- compose: Temporal ------------------------------------------------------------------


def test_temporal_persists_in_the_postgresql_service(services):
    _, server = the_temporal_server(services)
    env = environment(server)
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == "postgresql" and env["POSTGRES_SEEDS"] in services
    assert int(env.get("DB_PORT") or 5432) == 5432
    user = env["POSTGRES_USER"] or ""
    assert env["POSTGRES_PWD"] == role_password(services, user)
    assert "CREATEDB" in role_attributes(services, user), "admin-tools creates its databases"
    # the embedded config template binds to 127.0.0.1 unless told otherwise
    assert env["BIND_ON_IP"] == "0.0.0.0"
    dynamic_config = host_path(server, env["DYNAMIC_CONFIG_FILE_PATH"] or "")
    assert dynamic_config is not None and dynamic_config.is_file()
    assert isinstance(yaml.safe_load(dynamic_config.read_text()), dict)

    name, schema = service_running(services, "setup-schema.sh")
    assert image_parts(schema["image"])[0] == "temporalio/admin-tools"
    schema_env = environment(schema)
    for key in ("POSTGRES_SEEDS", "DB_PORT", "POSTGRES_USER", "DBNAME", "VISIBILITY_DBNAME"):
        assert schema_env.get(key) == env.get(key), f"{name} and the server disagree on {key}"
    assert schema_env["SQL_PASSWORD"] == env["POSTGRES_PWD"]
    script = mounted_scripts(schema)[0].read_text()
    for needed in (
        "temporal-sql-tool",
        "--plugin postgres12",
        "create-database",
        "setup-schema -v 0.0",
        "update-schema",
        "/etc/temporal/schema/postgresql/v12",
        "/versioned",
    ):
        assert needed in script, needed
    assert '"$DBNAME:temporal" "$VISIBILITY_DBNAME:visibility"' in script


def test_temporal_address_points_at_the_frontend(services):
    address = environment(services["worker"])[f"{PREFIX}TEMPORAL_ADDRESS"] or ""
    host, _, port = address.rpartition(":")
    name, server = the_temporal_server(services)
    assert host == name
    frontend_port = int(environment(server).get("FRONTEND_GRPC_PORT") or 7233)
    assert int(port) == frontend_port
    assert str(frontend_port) in words(server["healthcheck"]["test"])
    for other in ("temporal-ui", "temporal-namespace"):
        assert environment(services[other])["TEMPORAL_ADDRESS"] == address


def test_the_workers_namespace_is_created(services):
    namespace = environment(services["worker"])[f"{PREFIX}TEMPORAL_NAMESPACE"]
    name, creator = service_running(services, "create-namespace.sh")
    assert environment(creator)["NAMESPACE"] == namespace
    assert depends_on(creator) == {the_temporal_server(services)[0]: "service_healthy"}
    assert depends_on(services["worker"])[name] == "service_completed_successfully"
    assert environment(services["temporal-ui"])["TEMPORAL_DEFAULT_NAMESPACE"] == namespace
    script = mounted_scripts(creator)[0].read_text()
    assert "temporal operator namespace describe" in script
    assert "temporal operator namespace create" in script


# -- compose: dependencies and mounts ---------------------------------------------------


def test_depends_on_names_existing_services_with_sensible_conditions(services):
    for name, svc in services.items():
        for target, condition in depends_on(svc).items():
            assert target in services, f"{name} depends on unknown {target}"
            assert condition in CONDITIONS, f"{name} -> {target}: {condition}"
            if condition == "service_healthy":
                check = services[target].get("healthcheck") or {}
                assert check.get("test") and not check.get("disable"), f"{target}: no check"
            if condition == "service_completed_successfully":
                restart = str(services[target].get("restart", "no"))
                assert restart not in ("always", "unless-stopped"), f"{target} never completes"

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            dep == goal or (dep not in seen and reaches(dep, goal, seen | {dep}))
            for dep in depends_on(services[start])
        )

    assert not [name for name in services if reaches(name, name)], "dependency cycle"
    assert depends_on(services["worker"]) == {
        "postgresql": "service_healthy",
        "migrate": "service_completed_successfully",
        "temporal": "service_healthy",
        "temporal-namespace": "service_completed_successfully",
    }
    assert depends_on(services["temporal"])["temporal-schema"] == "service_completed_successfully"


def test_bind_mounts_and_mounted_scripts_exist(services):
    for name, svc in services.items():
        for target, source in bind_mounts(svc).items():
            assert source.exists(), f"{name}: {source} (for {target}) does not exist"
            assert source.is_relative_to(ROOT / "deploy"), f"{name} mounts {source}"
        for script in mounted_scripts(svc):
            assert script.is_file(), f"{name} runs {script}, which does not exist"


# -- compose: the worker ----------------------------------------------------------------


def test_worker_is_configured_only_by_settings_fields(services):
    worker = services["worker"]
    assert "env_file" not in worker
    env = environment(worker)
    fields = set(Settings.model_fields)
    unknown = [k for k in env if not k.startswith(PREFIX) or k[len(PREFIX) :].lower() not in fields]
    assert not unknown, f"not fields of collab.settings.Settings: {unknown}"
    for required in ("DATABASE_APP_URL", "TEMPORAL_ADDRESS"):
        assert env.get(PREFIX + required), f"{PREFIX}{required} unset: the worker would embed"
    assert env[f"{PREFIX}LOG_FORMAT"] == "json"


def test_worker_is_built_from_the_dockerfile_and_runs_worker_py(services):
    worker = services["worker"]
    build = worker["build"]
    context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (context / dockerfile).resolve() == DOCKERFILE
    assert words(worker.get("command")) in ([], ["python", "worker.py"])
    assert int(worker.get("deploy", {}).get("replicas", 1)) >= 1
    assert "container_name" not in worker, "replicas need generated container names"
    assert not worker.get("ports"), "the worker listens on nothing"


def test_settings_parse_from_exactly_the_workers_environment(services, monkeypatch):
    for key in list(os.environ):
        if key.upper().startswith(PREFIX):
            monkeypatch.delenv(key)
    for key, value in environment(services["worker"]).items():
        assert value is not None, f"{key} would be taken from the host"
        monkeypatch.setenv(key, value)

    settings = Settings()

    assert settings.database_url is None, "the owner's URL is the migrate service's alone"
    assert settings.database_app_url == "postgresql://collab_app:collab_app@postgresql:5432/collab"
    assert settings.temporal_address == "temporal:7233"
    assert settings.temporal_target == "temporal:7233"
    assert settings.temporal_namespace == "collab"
    assert settings.task_queue == "collab-lifecycle"
    assert settings.log_format == "json"
    assert settings.worker_max_cached_workflows == WORKER_MAX_CACHED_WORKFLOWS


def test_secrets_come_from_variables():
    env = {
        "POSTGRES_COLLAB_PASSWORD": "s3cret",
        "POSTGRES_COLLAB_APP_PASSWORD": "app-s3cret",
        "POSTGRES_TEMPORAL_PASSWORD": "t3mporal",
        "COLLAB_TEMPORAL_NAMESPACE": "cnrs",
    }
    services = interpolated(yaml.safe_load(COMPOSE_FILE.read_text()), env)["services"]
    worker = environment(services["worker"])
    migrate = environment(services["migrate"])
    assert migrate["COLLAB_DATABASE_URL"] == "postgresql://collab:s3cret@postgresql:5432/collab"
    assert migrate["COLLAB_DATABASE_APP_PASSWORD"] == "app-s3cret"
    for name in APP_SERVICES:
        assert (
            environment(services[name])["COLLAB_DATABASE_APP_URL"]
            == "postgresql://collab_app:app-s3cret@postgresql:5432/collab"
        )
    assert worker["COLLAB_TEMPORAL_NAMESPACE"] == "cnrs"
    assert role_password(services, "collab") == "s3cret"
    assert environment(services["temporal"])["POSTGRES_PWD"] == "t3mporal"
    assert role_password(services, "temporal") == "t3mporal"
    assert environment(services["temporal-namespace"])["NAMESPACE"] == "cnrs"


# -- Dockerfile -------------------------------------------------------------------------


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """Instructions (KEYWORD, arguments) of each stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        assert stages, "instruction before FROM"
        stages[-1].append((keyword.upper(), args.strip()))
    return stages


def copy_sources(args: str) -> list[str]:
    parts = [p for p in shlex.split(args) if not p.startswith("--")]
    return parts[:-1]


def package_patterns() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return [pattern.rstrip("*") for pattern in include]


def test_dockerfile_bases_are_pinned_python_3_11_slim():
    for stage in dockerfile_stages():
        image = stage[0][1].split()[0]
        repository, tag, _ = image_parts(image)
        assert repository == "python"
        assert tag is not None and re.fullmatch(r"3\.11\.\d+-slim(-\w+)?", tag), image


def test_dockerfile_copies_existing_files_and_every_package():
    copied: set[str] = set()
    for stage in dockerfile_stages():
        for keyword, args in stage:
            if keyword in ("COPY", "ADD") and "--from=" not in args:
                for source in copy_sources(args):
                    assert (ROOT / source).exists(), f"COPY {source}: no such file"
                    copied.add(source.rstrip("/"))
    missing = [p for p in package_patterns() if (ROOT / p).is_dir() and p not in copied]
    assert not missing, f"packages of pyproject.toml not copied: {missing}"
    assert {"pyproject.toml", "README.md", "worker.py"} <= copied


def test_dockerfile_installs_without_dev_extras_and_runs_worker_py_as_non_root():
    stages = dockerfile_stages()
    installs = [a for stage in stages for k, a in stage if k == "RUN" and "pip install" in a]
    assert installs, "nothing installed"
    for args in installs:
        assert "[dev]" not in args and not re.search(r"(^|\s)(-e|--editable)\s", args), args

    final = stages[-1]
    cmd = [args for keyword, args in final if keyword == "CMD"]
    assert cmd and yaml.safe_load(cmd[-1]) == ["python", "worker.py"]
    assert (ROOT / "worker.py").is_file()
    assert any(k == "COPY" and "worker.py" in copy_sources(a) for k, a in final)
    users = [args for keyword, args in final if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    env = " ".join(args for keyword, args in final if keyword == "ENV")
    assert re.search(r"(^|\s)COLLAB_LOG_FORMAT=json(\s|$)", env)


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies():
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "allow-list: start by excluding everything"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied = {
        source.rstrip("/")
        for stage in dockerfile_stages()
        for keyword, args in stage
        if keyword == "COPY" and "--from=" not in args
        for source in copy_sources(args)
    }
    assert copied == allowed


# -- the init script on a real PostgreSQL ----------------------------------------------


def init_statements(passwords: Mapping[str, str]) -> list[str]:
    """The SQL of the init script, psql variables replaced by quoted literals."""
    text = init_text(load_compose()["services"])
    heredoc = re.search(r"<<'EOSQL'\n(.*?)\nEOSQL", text, re.S)
    assert heredoc
    sql = re.sub(r":'(\w+)'", lambda m: "'" + passwords[m[1]].replace("'", "''") + "'", heredoc[1])
    return [s.strip() for s in sql.split(";") if s.strip()]


def as_user(url: str, user: str, password: str, database: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}", path="/" + database))


def check_passwords(pgdata: Path) -> None:
    """Make the embedded cluster (trust on its socket) check passwords, as the compose
    image does over TCP."""
    (pgdata / "pg_hba.conf").write_text("local all all scram-sha-256\n")


async def test_init_roles_let_the_store_migrate_and_log_in_as_collab_app(tmp_path):
    """On a fresh cluster that checks passwords (embedded PostgreSQL, not the compose
    image's version), the roles of the init script suffice: collab migrates its database,
    creates collab_app and sets its password from the settings, and the application logs
    in as collab_app; temporal may create databases but not enter collab's."""
    url, server = await asyncio.to_thread(start_embedded_postgres, tmp_path, cleanup_mode="delete")
    try:
        admin = await asyncpg.connect(url)
        try:
            for statement in init_statements({"collab_password": "c", "temporal_password": "t"}):
                await admin.execute(statement)
            await admin.execute("ALTER ROLE postgres PASSWORD 'p'")
            check_passwords(server.pgdata)
            await admin.execute("SELECT pg_reload_conf()")
        finally:
            await admin.close()
        collab = as_user(url, "collab", "c", "collab")
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(as_user(url, "collab", "wrong", "collab"))

        async def logged_in(app_password: str | None, allow_owner: bool = False) -> tuple[str, str]:
            settings = Settings(
                database_url=collab,
                database_app_password=app_password,
                database_allow_owner=allow_owner,
            )
            async with open_store(settings) as store, store.connection() as conn:
                assert await conn.fetchval("SELECT count(*) FROM events") == 0
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute("DELETE FROM events")
                row = await conn.fetchrow("SELECT session_user, current_user")
                return tuple(row)

        # first start: collab_app has no password yet; the owner sets the configured one
        assert await logged_in("a") == ("collab_app", "collab_app")
        await (await asyncpg.connect(as_user(url, "collab_app", "a", "collab"))).close()
        assert await logged_in("a") == ("collab_app", "collab_app")  # the next start
        assert await logged_in("b") == ("collab_app", "collab_app")  # a changed password
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(as_user(url, "collab_app", "a", "collab"))
        # no password configured: collab_app cannot log in, and the store will not run
        # as the owner unless told so (then RESET ROLE returns to collab: it warns)
        with pytest.raises(EventStoreError, match=r"cannot log in.*COLLAB_DATABASE_ALLOW_OWNER"):
            await logged_in(None)
        with capture_logs() as logs:
            assert await logged_in(None, allow_owner=True) == ("collab", "collab_app")
        assert any("RESET ROLE" in e.get("consequence", "") for e in logs)

        # the split of compose: `collab migrate` as the owner, then the app's URL alone
        await migrate_database(Settings(database_url=collab, database_app_password="b"))
        app_only = Settings(database_app_url=as_user(url, "collab_app", "b", "collab"))
        async with open_store(app_only) as store, store.connection() as conn:
            assert await conn.fetchval("SELECT session_user") == "collab_app"
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("DELETE FROM events")
        # the owner's login given as the app's is refused: it could rewrite events
        with pytest.raises(EventStoreError, match="could rewrite events"):
            async with open_store(Settings(database_app_url=collab)):
                pass

        temporal = await asyncpg.connect(as_user(url, "temporal", "t", "postgres"))
        try:
            await temporal.execute("CREATE DATABASE temporal")
        finally:
            await temporal.close()
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(as_user(url, "temporal", "t", "collab"))
    finally:
        await asyncio.to_thread(server.cleanup)


# -- compose: the projector and the API --------------------------------------------------


@pytest.mark.parametrize("name", ["projector", "api"])
def test_app_services_share_the_workers_image_and_settings(services, name):
    from cli.commands import build_parser

    service, worker = services[name], services["worker"]
    assert service["image"] == worker["image"], "one image for every part of the app"
    command = words(service.get("command"))
    assert command[0] == "collab"
    build_parser().parse_args(command[1:])  # a command the CLI knows
    env = environment(service)
    fields = set(Settings.model_fields)
    unknown = [k for k in env if not k.startswith(PREFIX) or k[len(PREFIX) :].lower() not in fields]
    assert not unknown, f"not fields of collab.settings.Settings: {unknown}"
    # the worker's own tuning (COLLAB_WORKER_*) and its SDK metrics address are the worker's
    own = (f"{PREFIX}WORKER_", f"{PREFIX}TEMPORAL_METRICS_ADDRESS")
    shared = {k: v for k, v in environment(worker).items() if not k.startswith(own)}
    assert f"{PREFIX}TEMPORAL_METRICS_ADDRESS" not in env
    assert {k: env.get(k) for k in shared} == shared, (
        "same database, Temporal and queue as the worker"
    )
    assert depends_on(service)["postgresql"] == "service_healthy"


def test_the_projector_can_reach_any_mail_relay(services, monkeypatch):
    """The projector e-mails reminders: every SMTP setting reaches it (an authenticated
    STARTTLS relay included), and left unset each means what the settings' default means."""
    env = environment(services["projector"])
    smtp = {f"{PREFIX}{f.upper()}" for f in Settings.model_fields if f.startswith("smtp_")}
    assert smtp <= set(env), f"not forwarded: {sorted(smtp - set(env))}"
    for key in list(os.environ):
        if key.startswith(PREFIX):
            monkeypatch.delenv(key)
    for key in smtp:  # what compose passes when the operator sets none of them
        monkeypatch.setenv(key, str(env[key]))
    unset = Settings()
    for field in (f for f in Settings.model_fields if f.startswith("smtp_")):
        assert getattr(unset, field) == Settings.model_fields[field].default, field


def test_the_api_listens_on_all_interfaces_in_its_container(services):
    env = environment(services["api"])
    assert env[f"{PREFIX}API_HOST"] == "0.0.0.0"
    published = [str(p) for p in services["api"]["ports"]]
    assert any(
        p.endswith(f":{env[f'{PREFIX}API_PORT']}:8000") or p.endswith(":8000") for p in published
    )


# -- compose: monitoring (Prometheus, Grafana) -------------------------------------------

PROMETHEUS_CONFIG = "/etc/prometheus/prometheus.yml"
GRAFANA_PROVISIONING = "/etc/grafana/provisioning"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "collab-lifecycle.json"
# Temporal SDK metrics that appear only once what they count has happened (a workflow
# completed, a task or an activity failed), so a short in-process run does not show them;
# each is checked to be a metric of the SDK's core (its name is in the bridge library)
SDK_METRICS_ON_EVENTS = {
    "temporal_workflow_completed_total",
    "temporal_workflow_task_execution_failed_total",
    "temporal_activity_execution_failed_total",
}
# series Prometheus makes itself for every target
SCRAPE_SERIES = {"up"}


def image_service(services: Mapping[str, Any], repository: str) -> dict[str, Any]:
    found = [s for s in services.values() if image_parts(s.get("image", ""))[0] == repository]
    assert len(found) == 1, f"one {repository} service expected"
    service: dict[str, Any] = found[0]
    return service


def prometheus_config(services: Mapping[str, Any]) -> dict[str, Any]:
    prometheus = image_service(services, "prom/prometheus")
    assert f"--config.file={PROMETHEUS_CONFIG}" in words(prometheus.get("command"))
    path = host_path(prometheus, PROMETHEUS_CONFIG)
    assert path is not None and path.is_file(), "prometheus.yml is not mounted"
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    return config


def scrape_job(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    jobs: list[dict[str, Any]] = [j for j in config["scrape_configs"] if j["job_name"] == name]
    assert len(jobs) == 1, f"one scrape job {name} expected"
    return jobs[0]


def test_prometheus_scrapes_the_api_and_every_worker_replica(services):
    config = prometheus_config(services)
    api = scrape_job(config, "collab-api")
    assert api.get("metrics_path", "/metrics") == "/metrics"
    [target] = [t for static in api["static_configs"] for t in static["targets"]]
    host, _, port = target.rpartition(":")
    assert host == "api" and host in services
    assert int(port) == int(environment(services["api"])[f"{PREFIX}API_PORT"] or 0)

    # each replica serves the SDK's metrics where the worker's settings say
    address = Settings(
        temporal_metrics_address=environment(services["worker"])[
            f"{PREFIX}TEMPORAL_METRICS_ADDRESS"
        ]
    ).temporal_metrics_address
    assert address is not None, "the worker serves no SDK metrics"
    bind_host, _, bind_port = address.rpartition(":")
    assert bind_host == "0.0.0.0", "reachable from the prometheus container"
    worker = scrape_job(config, "collab-worker")
    assert worker.get("metrics_path", "/metrics") == "/metrics"
    [dns] = worker["dns_sd_configs"]
    assert dns["names"] == ["worker"] and dns.get("type", "SRV") == "A"
    assert int(dns["port"]) == int(bind_port)
    assert not services["worker"].get("ports"), "the metrics port stays on compose's network"
    prometheus = image_service(services, "prom/prometheus")
    assert set(depends_on(prometheus)) == {"api", "worker"}


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard(services):
    grafana = image_service(services, "grafana/grafana")
    provisioning = host_path(grafana, GRAFANA_PROVISIONING)
    assert provisioning is not None and provisioning.is_dir()
    sources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    [source] = sources["datasources"]
    assert source["type"] == "prometheus" and source["isDefault"]
    url = urlsplit(source["url"])
    prometheus = [n for n, s in services.items() if s is image_service(services, "prom/prometheus")]
    assert url.hostname == prometheus[0] and url.port == 9090

    [provider] = yaml.safe_load((provisioning / "dashboards" / "collab-lifecycle.yml").read_text())[
        "providers"
    ]
    assert provider["type"] == "file"
    dashboards = host_path(grafana, provider["options"]["path"])
    assert dashboards is not None and (dashboards / DASHBOARD.name).resolve() == DASHBOARD
    home = environment(grafana)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] or ""
    assert host_path(grafana, home) == DASHBOARD

    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"]
    titles = {p["title"] for p in dashboard["panels"] if p["type"] == "row"}
    assert titles == {"Portfolio activity", "Reminders", "Lag", "Errors"}
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == source["uid"], panel["title"]
            assert panel["targets"], panel["title"]
    env = environment(grafana)
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    secret = interpolated(yaml.safe_load(COMPOSE_FILE.read_text()), {"GRAFANA_ADMIN_PASSWORD": "g"})
    assert (
        environment(image_service(secret["services"], "grafana/grafana"))[
            "GF_SECURITY_ADMIN_PASSWORD"
        ]
        == "g"
    )
    for svc in (grafana, image_service(services, "prom/prometheus")):
        assert all(str(p).startswith("127.0.0.1:") for p in svc.get("ports", [])), svc["ports"]


# PromQL's words that are not metric names: functions (followed by "("), aggregation
# modifiers, binary operators and keywords
_PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "inf", "nan", "atan2",
}  # fmt: skip
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_WORD = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    text = _STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges, $__rate_interval included
    text = _GROUPING.sub("", text)
    text = re.sub(r"\$\w+", "", text)
    names = set()
    for m in _WORD.finditer(text):
        following = text[m.end() :].lstrip()
        if following.startswith("(") or m[0].lower() in _PROMQL_WORDS:
            continue  # a function, or a keyword
        names.add(m[0])
    return names


def test_promql_metric_names_are_read_from_expressions():
    expr = (
        'histogram_quantile(0.95, sum by (le) (rate(a_bucket{state=~"x|y"}[5m]))) '
        "/ on (job) group_left sum without (instance) (b_total) * 60 + c"
    )
    assert promql_metric_names(expr) == {"a_bucket", "b_total", "c"}


def plotted_metrics() -> dict[str, set[str]]:
    """Each metric name the dashboard plots, with the panels that plot it."""
    plotted: dict[str, set[str]] = {}
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel.get("targets", []):
            for name in promql_metric_names(target["expr"]):
                plotted.setdefault(name, set()).add(panel["title"])
    return plotted


def sample_names(exposition: str) -> set[str]:
    """The series names a Prometheus text exposition holds, with those its families will
    hold once they have a child (a labelled counter not incremented yet shows only its
    TYPE line)."""
    from prometheus_client.parser import text_string_to_metric_families

    suffixes = {
        "counter": ("_total", "_created"),
        "gauge": ("",),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "summary": ("", "_count", "_sum", "_created"),
        "info": ("_info",),
    }
    names = set()
    for family in text_string_to_metric_families(exposition):
        names |= {sample.name for sample in family.samples}
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
    return names


async def api_metrics(event_store: Any, tmp_path: Path) -> set[str]:
    """The API's /metrics, served in-process by the app `collab api` runs."""
    import httpx

    from application.service import assemble
    from collab.http import http_app

    app = assemble(event_store, None, tmp_path / "keys" / "ledger.pem")
    web = http_app(app, b"s" * 32, public_url="http://127.0.0.1:8000")
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    return sample_names(response.text)


async def worker_sdk_metrics(event_store: Any) -> set[str]:
    """The Temporal SDK's metrics as a worker serves them (collab.temporal_client's
    runtime, the production worker), after a project's first steps."""
    import httpx
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import WorkflowEnvironment

    from application.projects import ProjectService
    from collab.embedded_temporal import time_skipping_server_binary
    from collab.temporal_client import sdk_metrics_runtime
    from collab.worker_build import build_worker
    from domain.commands import SubmitApplication
    from domain.state import Phase
    from tests.builders import application, pi_actor

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    runtime = sdk_metrics_runtime(f"127.0.0.1:{port}")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=time_skipping_server_binary(),
        data_converter=pydantic_data_converter,
        runtime=runtime,
    )
    try:
        async with build_worker(env.client, event_store, "tq-metrics"):
            projects = ProjectService(env.client, "tq-metrics")
            submit = SubmitApplication(
                command_id=uuid.uuid4(),
                actor=pi_actor(),
                at=await env.get_current_time(),
                project_id="IRP-metrics-1",
                application=application("IRP"),
            )
            await projects.submit(submit)
            for _ in range(100):
                if (await projects.state("IRP-metrics-1")).phase is Phase.UNDER_EVALUATION:
                    break
                await asyncio.sleep(0.05)
            with contextlib.suppress(RPCError):  # a failed request, counted
                await env.client.get_workflow_handle("no-such-workflow").describe()
            async with httpx.AsyncClient() as http:
                response = await http.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        await env.shutdown()
    assert response.status_code == 200
    return sample_names(response.text)


def sdk_core_knows(name: str) -> bool:
    """Whether the SDK's core (the bridge library) defines a metric of this name."""
    import temporalio.bridge

    bare = name.removeprefix("temporal_").removesuffix("_total").encode()
    libraries = Path(temporalio.bridge.__file__).parent.glob("temporal_sdk_bridge*")
    return any(bare in library.read_bytes() for library in libraries)


async def test_the_dashboard_plots_only_metrics_the_service_exports(event_store, tmp_path):
    plotted = plotted_metrics()
    assert any(n.startswith("collab_") for n in plotted)
    assert any(n.startswith("temporal_") for n in plotted)
    api = await api_metrics(event_store, tmp_path)
    sdk = await worker_sdk_metrics(event_store)
    assert not {n for n in sdk if not n.startswith("temporal_")}, "the SDK's prefix is temporal_"
    for name in SDK_METRICS_ON_EVENTS:
        assert sdk_core_knows(name), f"{name}: not a metric of the Temporal SDK's core"
    exported = api | sdk | SDK_METRICS_ON_EVENTS | SCRAPE_SERIES
    unknown = {name: sorted(panels) for name, panels in plotted.items() if name not in exported}
    assert not unknown, f"plotted but exported by no process: {unknown}"
    # the API's own are plotted from the API's scrape, the SDK's from the workers'
    assert {n for n in plotted if n.startswith("collab_")} <= api
