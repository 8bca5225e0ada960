"""docker-compose.yml runs as written: valid by the Compose Specification's JSON schema
(vendored beside this test, from the compose-spec project, Apache-2.0), every image pinned,
every MOTCUA_* variable a real setting, and no production service with a default secret."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from config import DEVELOPMENT_SECRETS, Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
PRODUCTION = {name: s for name, s in SERVICES.items() if not s.get("profiles")}
#: the variables that hold a secret, in the app's settings or Temporal's and PostgreSQL's
SECRET_VARIABLES = {
    "MOTCUA_JWT_SECRET",
    "MOTCUA_PAYMENT_SECRET",
    "MOTCUA_PORTAL_API_KEY",
    "MOTCUA_SMTP_PASSWORD",
    "MOTCUA_SMS_API_KEY",
    "POSTGRES_PASSWORD",
}
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?P<op>:?[-?])?(?P<rest>[^}]*)\}")
#: name:tag where the tag starts with major.minor.patch
PINNED = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*$")
#: PostgreSQL numbers its patch releases major.minor (15.8 is 15's eighth)
PINNED_POSTGRES = re.compile(r"^postgres:\d+\.\d+[\w.-]*$")


def pinned(image: str) -> bool:
    return bool(PINNED.match(image) or PINNED_POSTGRES.match(image))


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _text(value: Any) -> str:
    return json.dumps(value)


def test_the_file_is_valid_by_the_compose_specification() -> None:
    schema = json.loads((Path(__file__).parent / "compose-spec.json").read_text("utf-8"))
    errors = sorted(Draft202012Validator(schema).iter_errors(COMPOSE), key=lambda e: e.path)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_every_image_is_pinned_to_a_patch_release() -> None:
    for name, service in SERVICES.items():
        image = service.get("image")
        assert image, f"{name} names no image"
        assert pinned(image), f"{name}: {image} is not pinned to a patch release"
    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    for base in re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.M):
        assert pinned(base), f"Dockerfile: {base} is not pinned to a patch release"


def test_every_motcua_variable_is_a_setting() -> None:
    fields = set(Settings.model_fields)
    used = set(re.findall(r"\bMOTCUA_[A-Z0-9_]+", _text(COMPOSE)))
    assert used, "the compose file configures nothing?"
    unknown = sorted(v for v in used if v.removeprefix("MOTCUA_").lower() not in fields)
    assert not unknown, f"not settings of config.Settings: {unknown}"


def test_no_production_service_gets_a_default_secret() -> None:
    published = set(DEVELOPMENT_SECRETS.values())
    for name, service in PRODUCTION.items():
        text = _text(service)
        assert not any(p in text for p in published), f"{name} carries a published secret"
        for match in INTERPOLATION.finditer(text):
            if match["name"] in SECRET_VARIABLES and match["name"] != "MOTCUA_SMTP_PASSWORD":
                assert match["op"] == ":?", f"{name}: ${{{match['name']}}} must be required"
        env = _environment(service)
        for variable in SECRET_VARIABLES & env.keys():
            value = env[variable]
            assert value.startswith("${"), f"{name}: {variable} is written into the file"
        if any(k.startswith("MOTCUA_") for k in env):
            assert env.get("MOTCUA_ENVIRONMENT", "").endswith(":-production}"), name


def test_no_demo_accounts_and_no_temporal_port_on_the_host() -> None:
    migrate = SERVICES["migrate"]["command"]
    assert migrate[-1] == "seed" and "--demo" not in migrate
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert not str(port).endswith("7233"), f"{name} publishes Temporal's port"


def test_the_api_scales_behind_the_proxy() -> None:
    assert "ports" not in SERVICES["api"], "a fixed host port stops --scale api=2"
    proxy = SERVICES["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert "--proxy-headers" in SERVICES["api"]["command"]
    limits = (REPO_ROOT / "deploy/nginx/templates/00-motcua-limits.conf.template").read_text()
    assert "client_max_body_size" in limits


def test_temporal_in_the_recommended_shape() -> None:
    images = {name: s["image"] for name, s in SERVICES.items()}
    assert not any("auto-setup" in image for image in images.values())
    assert images["temporal-schema"].startswith("temporalio/admin-tools:")
    assert images["temporal"].startswith("temporalio/server:")
    assert images["temporal-namespace"].startswith("temporalio/admin-tools:")
    assert images["temporal-ui"].startswith("temporalio/ui:")
    order = SERVICES["temporal"]["depends_on"]["temporal-schema"]["condition"]
    assert order == "service_completed_successfully"
    assert "--retention" in _text(SERVICES["temporal-namespace"]["command"])
    codec = SERVICES["temporal-ui"]["environment"]["TEMPORAL_CODEC_ENDPOINT"]
    assert codec.startswith("${MOTCUA_PUBLIC_BASE_URL:?") and codec.endswith("/temporal-codec")


@pytest.mark.parametrize(
    ("simulator", "variable"),
    [("portal-simulator", "MOTCUA_PORTAL_API_KEY"), ("payment-simulator", "MOTCUA_PAYMENT_SECRET")],
)
def test_simulators_are_staging_only_with_the_real_secrets(simulator: str, variable: str) -> None:
    service = SERVICES[simulator]
    assert service["profiles"] == ["staging"]
    assert f"${{{variable}:?" in _text(service["command"])
    for name, other in PRODUCTION.items():
        assert "simulators." not in _text(other.get("command", "")), name


def test_the_image_holds_every_package_the_project_installs() -> None:
    """`pip install .` in the Dockerfile installs what it was given: a package the project
    lists but the image does not copy is an import error when the container starts."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY\s+(\w+)\s+\1\s*$", dockerfile, flags=re.M))
    assert listed <= copied, f"the Dockerfile does not copy {sorted(listed - copied)}"
