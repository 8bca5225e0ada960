"""Settings for every process (API, workers, simulators' clients), from the environment.

Variables are prefixed `MOTCUA_` (e.g. `MOTCUA_TEMPORAL_ADDRESS`); `DATABASE_URL` is read as is."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path(".data")
#: The task queues the workers poll, unless the environment names others.
DOSSIER_TASK_QUEUE = "dossiers"
PORTAL_TASK_QUEUE = "portal-sync"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///./{DATA_DIR}/motcua.sqlite3",
        validation_alias=AliasChoices("DATABASE_URL", "MOTCUA_DATABASE_URL"),
    )
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = DOSSIER_TASK_QUEUE
    portal_task_queue: str = PORTAL_TASK_QUEUE

    jwt_secret: str = "change-me-in-production-motcua-demo-secret"
    jwt_ttl_minutes: int = 8 * 60

    portal_base_url: str = "http://127.0.0.1:8101"
    portal_api_key: str = "demo-portal-key"
    portal_timeout_seconds: float = 5.0

    payment_base_url: str = "http://127.0.0.1:8102"
    payment_partner_code: str = "MOTCUA"
    payment_secret: str = "demo-payment-secret"
    public_base_url: str = "http://127.0.0.1:8000"
    #: A payment without a callback after this long is reconciled with the gateway's QUERY.
    payment_query_after_seconds: float = Field(default=15 * 60, gt=0)

    storage_root: Path = DATA_DIR / "documents"
    max_upload_mb: int = Field(default=20, ge=1)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_sender: str = "motcua@localhost"

    #: Dossier workflows a worker keeps in memory (≈ 0.3 MiB each); others replay from history
    #: when their next timer or action comes. Raise it when most open dossiers can fit.
    worker_max_cached_workflows: int = Field(default=1000, ge=0)

    rating_window_days: int = 30
    default_page_size: int = 20
    #: `Server-Timing` on responses (where a request spent its time); off where even phase
    #: durations should not leave the server.
    server_timing: bool = True

    @property
    def max_upload_bytes(self) -> int:
        """The upload limit; a larger file is refused with 413."""
        return self.max_upload_mb * 1024 * 1024


@lru_cache
def get_settings() -> Settings:
    return Settings()
