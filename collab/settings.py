"""One settings object for the CLI, the worker and compose: environment variables
prefixed COLLAB_ (see docker-compose.yml)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# the worker's workflow cache; see Settings.worker_max_cached_workflows
WORKER_MAX_CACHED_WORKFLOWS = 1000


def default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "collab-lifecycle"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COLLAB_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    # unset: an embedded PostgreSQL under data_dir. The schema owner's URL: migrations run
    # with it; the application itself logs in as the role collab_app (same host, database)
    database_url: str | None = None
    # collab_app's password on a server that checks passwords: the owner sets it the first
    # time collab_app's login fails. Unset: no password (the embedded server trusts its
    # unix socket)
    database_app_password: str | None = None
    # the application's own login (user collab_app): set, the service connects with it
    # alone and never migrates; the owner's URL stays with the one-shot `collab migrate`
    # (compose's migrate service), so no application container holds the owner's password
    database_app_url: str | None = None
    # when collab_app cannot log in, the store refuses to start; this opts in to run as
    # the owner instead (RESET ROLE then returns to it), with a warning at each start
    database_allow_owner: bool = False
    # unset: an embedded Temporal dev server (SQLite file under data_dir)
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    # the ledger's Ed25519 signing key (PEM), kept outside the database; made on first use.
    # Unset: <data_dir>/keys/ledger-ed25519.pem (see ledger_key_path)
    ledger_key_file: Path | None = None
    # where the daily signed digest of the ledger is written (keep it, or copies of it,
    # beyond the database's reach); unset: <data_dir>/digests. At this hour (UTC) each day
    digest_dir: Path | None = None
    digest_hour_utc: int = Field(default=2, ge=0, le=23)
    task_queue: str = "collab-lifecycle"
    log_format: str = Field(default="console", pattern="^(console|json)$")
    log_level: str = "INFO"
    db_pool_max: int = Field(default=10, ge=1)
    # workflows a worker keeps in memory (the SDK's sticky cache, least recently used
    # evicted first); an evicted project is rebuilt from its history at its next task. This,
    # not how many projects exist, bounds a worker's memory (about 0.2-0.3 MB a cached
    # five-year project, bench/RESULTS.md). Keep it above the projects that act at once (a
    # burst such as every IEA starting its term on 1 January): below that every task
    # replays a whole run and the worker falls far behind. 0 caches none
    worker_max_cached_workflows: int = Field(default=WORKER_MAX_CACHED_WORKFLOWS, ge=0)
    # where the embedded dev server listens when temporal_address is unset
    embedded_temporal_port: int = 7233
    embedded_temporal_ui_port: int = 8233

    # /readyz answers 503 while the read models are further behind than this (the age, in
    # seconds, of the oldest event the projector has not folded yet)
    ready_max_projector_lag_s: float = Field(default=60.0, ge=0)
    # host:port where the worker serves the Temporal SDK's own metrics (task slots, polls,
    # schedule-to-start latency, sticky cache...) in Prometheus' format, as
    # temporalio.runtime.PrometheusConfig binds it (e.g. 0.0.0.0:9464). Unset: off. Only
    # the worker binds it (`collab worker`, `collab up`), never the API or the CLI
    temporal_metrics_address: str | None = None
    # an OTLP/HTTP collector (e.g. http://otel-collector:4318; a bare address gets
    # /v1/traces) the API and the worker send traces to: one trace from a request through
    # the workflow update and its activity to the store's append (collab/tracing.py), and
    # each log line made within it carries its trace_id. Unset: off, nothing installed
    otlp_endpoint: str | None = None
    # the traces' service.name
    service_name: str = "collab-lifecycle"

    # reminders by e-mail: unset host keeps them in the outbox (and in the log)
    smtp_host: str | None = None

    @field_validator(
        "smtp_host",
        "smtp_username",
        "smtp_password",
        "session_secret",
        "database_app_password",
        "database_app_url",
        "public_url",
        "temporal_metrics_address",
        "otlp_endpoint",
        "oidc_discovery_url",
        "oidc_client_id",
        "oidc_client_secret",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # compose passes an unset variable as an empty string
        return value or None

    smtp_port: int = 25
    smtp_from: str = "collab-lifecycle@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # the HTTP API started by `collab up`
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # signs the web pages' session cookies; unset, a fresh secret per start (sessions end
    # with the process). Set it where several API processes serve the same people.
    session_secret: str | None = None
    # the session cookie is sent over HTTPS only; turn off only behind plain-HTTP test rigs
    cookie_secure: bool = True
    # the address people reach the service at (scheme, host, port, no path): every absolute
    # link (calendar feeds, `collab users add`) is built on it, never on a request's Host
    # header, which whoever sends the request chooses. Unset: http://api_host:api_port
    public_url: str | None = None

    # sign-on with the institution's identity provider (OpenID Connect, authorization code
    # flow with PKCE) on the pages; off while oidc_discovery_url is unset. The provider's
    # discovery document (…/.well-known/openid-configuration), this service's client there
    # (its redirect URI: <public_url>/ui/signin/callback; after sign-out: <public_url>/ui/signin)
    oidc_discovery_url: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    # how a signed-in person is found in the directory: "email" (the e-mail claim, the
    # directory's e-mail, one live person) or "subject" (the `sub` an operator stored)
    oidc_match: Literal["email", "subject"] = "email"
    # whether the pages still offer the personal-token form beside the provider's sign-on
    # (tokens stay the API's and the CLI's way in either way)
    oidc_token_form: bool = True

    @field_validator("public_url")
    @classmethod
    def _an_origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parsed = urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("public_url: an http(s) address such as https://collab.cnrs.fr")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _a_whole_client(self) -> Settings:
        if self.oidc_discovery_url and not self.oidc_client_id:
            raise ValueError("oidc_client_id: the service's client at the identity provider")
        if self.oidc_discovery_url and urlsplit(self.oidc_discovery_url).scheme not in (
            "http",
            "https",
        ):
            raise ValueError("oidc_discovery_url: an http(s) address")
        return self

    @property
    def public_base(self) -> str:
        if self.public_url:
            return self.public_url
        # listening on every interface names no address anyone reaches: this host's own
        host = "127.0.0.1" if self.api_host in ("0.0.0.0", "::", "") else self.api_host
        return (
            f"http://[{host}]:{self.api_port}" if ":" in host else f"http://{host}:{self.api_port}"
        )

    @property
    def digest_path(self) -> Path:
        return self.digest_dir or self.data_dir / "digests"

    @property
    def ledger_key_path(self) -> Path:
        return self.ledger_key_file or self.data_dir / "keys" / "ledger-ed25519.pem"

    @property
    def temporal_target(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.embedded_temporal_port}"
