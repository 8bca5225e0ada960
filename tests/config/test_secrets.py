"""Outside development no process starts with a published, empty or short secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.app import create_app
from config import Settings, UnsafeSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
STRONG = {
    "jwt_secret": "j" * 40,
    "payment_secret": "p" * 40,
    "portal_api_key": "k" * 40,
    "sms_api_key": "s" * 40,
}


def test_production_refuses_the_published_secrets_naming_each_variable() -> None:
    settings = Settings(environment="production")
    with pytest.raises(UnsafeSettings) as refused:
        settings.require_safe_secrets()
    message = str(refused.value)
    for variable in (
        "MOTCUA_JWT_SECRET",
        "MOTCUA_PAYMENT_SECRET",
        "MOTCUA_PORTAL_API_KEY",
        "MOTCUA_SMS_API_KEY",
    ):
        assert variable in message


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [("payment_secret", "", "empty"), ("jwt_secret", "x" * 31, "shorter than 32")],
)
def test_production_refuses_empty_or_short_secrets(field: str, value: str, why: str) -> None:
    settings = Settings(environment="production", **{**STRONG, field: value})
    with pytest.raises(UnsafeSettings, match=why):
        settings.require_safe_secrets()


def test_strong_secrets_start_and_development_accepts_the_demo_ones() -> None:
    Settings(environment="production", **STRONG).require_safe_secrets()
    Settings(environment="staging", **STRONG).require_safe_secrets()
    Settings(environment="development").require_safe_secrets()


def test_the_api_refuses_to_start_in_production_with_defaults() -> None:
    with pytest.raises(UnsafeSettings, match="MOTCUA_JWT_SECRET"):
        create_app(Settings(environment="production"))


def test_the_worker_refuses_to_start_in_production_with_defaults() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    done = subprocess.run(
        [sys.executable, "worker.py", "--queue", "dossiers"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={**env, "MOTCUA_ENVIRONMENT": "production", "MOTCUA_PAYMENT_SECRET": "p" * 40},
        timeout=60,
    )
    assert done.returncode == 2
    assert "MOTCUA_JWT_SECRET" in done.stderr
    assert "MOTCUA_PAYMENT_SECRET" not in done.stderr


def test_an_identity_provider_outside_development_needs_its_own_client_secret() -> None:
    with_provider = {**STRONG, "identity_issuer_url": "https://id.example.gov.vn"}
    with pytest.raises(UnsafeSettings, match="MOTCUA_IDENTITY_CLIENT_SECRET"):
        Settings(environment="production", **with_provider).require_safe_secrets()
    Settings(
        environment="production", **with_provider, identity_client_secret="i" * 40
    ).require_safe_secrets()
    Settings(environment="production", **STRONG).require_safe_secrets()  # no provider
