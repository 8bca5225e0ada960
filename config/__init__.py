"""Settings for every process (API, workers, simulators' clients), from the environment.

Variables are prefixed `MOTCUA_` (e.g. `MOTCUA_TEMPORAL_ADDRESS`); `DATABASE_URL` is read as is."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path(".data")
#: The task queues the workers poll, unless the environment names others.
DOSSIER_TASK_QUEUE = "dossiers"
PORTAL_TASK_QUEUE = "portal-sync"

#: The shortest secret accepted outside development (JWT secret, payment secret, portal key).
MIN_SECRET_LENGTH = 32
#: The published development values: accepted under `make run`, refused anywhere else.
DEVELOPMENT_SECRETS = {
    "jwt_secret": "change-me-in-production-motcua-demo-secret",
    "payment_secret": "demo-payment-secret",
    "portal_api_key": "demo-portal-key",
    "sms_api_key": "demo-sms-key",
}
#: The applicant notification templates an operator edits (one file per notice and channel).
NOTIFICATION_TEMPLATES = Path(__file__).resolve().parent / "templates" / "notifications"

#: The identity provider's client secret under `make run` (checked only where an identity
#: provider is configured).
DEVELOPMENT_IDENTITY_SECRET = "demo-identity-client-secret"


class UnsafeSettings(Exception):
    """A process refuses to start outside development with a published or weak secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_", env_file=".env", extra="ignore")

    #: `development` (set by `make run`) accepts the published demo secrets; anything else
    #: refuses to start with a default, empty or short one.
    environment: Literal["development", "staging", "production"] = "production"

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///./{DATA_DIR}/motcua.sqlite3",
        validation_alias=AliasChoices("DATABASE_URL", "MOTCUA_DATABASE_URL"),
    )
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = DOSSIER_TASK_QUEUE
    portal_task_queue: str = PORTAL_TASK_QUEUE

    jwt_secret: str = DEVELOPMENT_SECRETS["jwt_secret"]
    #: Sign-in tokens are short-lived: sign in again after this long.
    jwt_ttl_minutes: int = Field(default=30, ge=1, le=24 * 60)

    portal_base_url: str = "http://127.0.0.1:8101"
    portal_api_key: str = DEVELOPMENT_SECRETS["portal_api_key"]
    portal_timeout_seconds: float = 5.0
    #: The dossier worker sends a dossier's new records to the portal itself while the portal
    #: answers within `portal_relay_timeout_seconds` (activities/portal_relay.py); off, or
    #: the portal slower or down, the portal-sync worker's workflows deliver them.
    portal_relay: bool = True
    portal_relay_timeout_seconds: float = Field(default=2.0, gt=0)

    payment_base_url: str = "http://127.0.0.1:8102"
    payment_partner_code: str = "MOTCUA"
    payment_secret: str = DEVELOPMENT_SECRETS["payment_secret"]
    public_base_url: str = "http://127.0.0.1:8000"
    #: A payment without a callback after this long is reconciled with the gateway's QUERY.
    #: The first QUERY comes this soon (the applicant is waiting), later ones back off
    #: (doubling, up to 64 times this).
    payment_query_after_seconds: float = Field(default=30, gt=0)

    #: The identity provider (OpenID Connect, VNeID-like) the applicant may sign in with;
    #: empty: no sign-in, the one-time code only. `make run` points it at
    #: simulators/identity.py.
    identity_issuer_url: str = ""
    identity_client_id: str = "motcua"
    identity_client_secret: str = DEVELOPMENT_IDENTITY_SECRET

    storage_root: Path = DATA_DIR / "documents"
    max_upload_mb: int = Field(default=20, ge=1)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_sender: str = "motcua@localhost"
    #: The province's mail relay: STARTTLS on connect and a login when a username is set.
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""

    #: The SMS gateway (brand-name SMS of the province's telecom contract): messages to the
    #: applicant's phone are POSTed to `{sms_base_url}/sms/send` with this key.
    sms_base_url: str = "http://127.0.0.1:8103"
    sms_api_key: str = DEVELOPMENT_SECRETS["sms_api_key"]
    sms_timeout_seconds: float = 5.0
    #: The applicant notices' templates (Jinja2, plain text; edited files are read again).
    notification_templates_dir: Path = NOTIFICATION_TEMPLATES

    #: Dossier workflows a worker keeps in memory (≈ 0.1 MiB each); others replay from history
    #: when their next timer or action comes. Raise it when most open dossiers can fit.
    worker_max_cached_workflows: int = Field(default=1000, ge=0)
    #: Seconds between the worker's returns of evicted workflows' freed memory to the system
    #: (`malloc_trim`, only after an eviction: config/memory.py); 0 never returns it.
    worker_memory_trim_seconds: float = Field(default=10, ge=0)
    #: Run workflows in the SDK's sandbox (as the tests always do): ≈ 80 KiB more per cached
    #: workflow and an import per workflow started (workflows/sandbox.py).
    workflow_sandbox: bool = False

    #: Where the Temporal UI runs (its browser origins): the API's codec endpoint
    #: (/temporal-codec, for the UI's TEMPORAL_CODEC_ENDPOINT) answers them. JSON list.
    temporal_ui_origins: list[str] = ["http://127.0.0.1:8233", "http://localhost:8233"]

    rating_window_days: int = 30
    #: Working days an agency has to answer a feedback or petition (phản ánh, kiến nghị),
    #: and the agencies with a term of their own (JSON: {"<agency code>": days}).
    feedback_term_days: float = Field(default=10, gt=0)
    feedback_term_days_by_agency: dict[str, float] = Field(default_factory=dict)
    default_page_size: int = 20
    #: `Server-Timing` on responses (where a request spent its time); off where even phase
    #: durations should not leave the server.
    server_timing: bool = True

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    def unsafe_secrets(self) -> list[str]:
        """What is wrong with the secrets for a deployment outside development, one line each
        naming the variable; empty when they are fine (or in development)."""
        if self.is_development:
            return []
        problems = []
        for name, published in DEVELOPMENT_SECRETS.items():
            value = getattr(self, name)
            variable = f"MOTCUA_{name.upper()}"
            if not value:
                problems.append(f"{variable} is empty")
            elif value == published:
                problems.append(f"{variable} is the published development value")
            elif len(value) < MIN_SECRET_LENGTH:
                problems.append(f"{variable} is shorter than {MIN_SECRET_LENGTH} characters")
        if self.identity_issuer_url:
            secret, variable = self.identity_client_secret, "MOTCUA_IDENTITY_CLIENT_SECRET"
            if not secret:
                problems.append(f"{variable} is empty")
            elif secret == DEVELOPMENT_IDENTITY_SECRET:
                problems.append(f"{variable} is the published development value")
            elif len(secret) < MIN_SECRET_LENGTH:
                problems.append(f"{variable} is shorter than {MIN_SECRET_LENGTH} characters")
        return problems

    def require_safe_secrets(self) -> None:
        """Raise UnsafeSettings (naming each variable) unless the secrets may be used here."""
        problems = self.unsafe_secrets()
        if problems:
            raise UnsafeSettings(
                f"refusing to start with MOTCUA_ENVIRONMENT={self.environment}: "
                + "; ".join(problems)
                + " (set a random value of at least "
                f"{MIN_SECRET_LENGTH} characters, or MOTCUA_ENVIRONMENT=development for a "
                "local stack)"
            )

    @property
    def max_upload_bytes(self) -> int:
        """The upload limit; a larger file is refused with 413."""
        return self.max_upload_mb * 1024 * 1024


@lru_cache
def get_settings() -> Settings:
    return Settings()
