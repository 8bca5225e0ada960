"""Bad input is refused with a 4xx naming the problem; an engine that is away is a 503; a
retried action is applied once."""

from __future__ import annotations

import unicodedata
import uuid

import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RetryConfig
from temporalio.testing import WorkflowEnvironment

from tests.api.test_lifecycle_api import act, submission, submit
from workflows.client import data_converter


async def test_numeric_query_parameters_are_bounded(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    admin = await login("admin")
    for params in ({"offset": 9223372036854775808}, {"offset": 10**8}, {"limit": 10**20}):
        response = await api.get("/api/v1/dossiers", params=params, headers=admin)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] in params


async def test_percent_and_underscore_in_search_are_literal(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk, admin = await login("motcua.tnmt"), await login("admin")
    await submit(api, clerk)  # at least one dossier that `%` as a wildcard would match
    for wildcard in ("%", "_", "\\"):
        found = await api.get("/api/v1/dossiers", params={"q": wildcard}, headers=admin)
        assert found.status_code == 200 and found.json()["total"] == 0, wildcard
    name = f"Công ty 100%_{uuid.uuid4().hex[:6]}"
    body = submission(applicant={"name": name, "id_number": "0312345678"})
    assert (await api.post("/api/v1/dossiers", json=body, headers=clerk)).status_code == 201
    found = await api.get("/api/v1/dossiers", params={"q": name[-10:]}, headers=admin)
    assert [d["applicant_name"] for d in found.json()["items"]] == [name]


async def test_decomposed_vietnamese_is_stored_and_found_as_nfc(
    api: httpx.AsyncClient, login
) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    usual = f"Nguyễn Thị Ánh Tuyết {uuid.uuid4().hex[:6]}"
    typed = unicodedata.normalize("NFD", usual)
    assert typed != usual
    body = submission(applicant={"name": typed, "id_number": "079190009999"})
    created = await api.post("/api/v1/dossiers", json=body, headers=clerk)
    assert created.status_code == 201, created.text
    assert created.json()["applicant"]["name"] == usual
    found = await api.get("/api/v1/dossiers", params={"q": usual}, headers=clerk)
    assert [d["code"] for d in found.json()["items"]] == [created.json()["code"]]


@pytest.mark.parametrize("name", ["Lê\x00Văn", "Trần \u202eAn", "Phạm\u2066 Bình", "Võ\x07"])
async def test_nul_and_bidi_overrides_in_names_are_refused(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login, name: str
) -> None:
    body = submission(applicant={"name": name, "id_number": "079190001111"})
    response = await api.post("/api/v1/dossiers", json=body, headers=await login("motcua.tnmt"))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "applicant.name"
    assert "U+" in response.json()["detail"]


async def test_a_retried_action_with_its_key_is_applied_once(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    code = (await submit(api, clerk))["code"]
    await act(api, clerk, code, "accept")
    path = f"/api/v1/dossiers/{code}/actions/forward"
    retried = {"Idempotency-Key": f"fwd-{uuid.uuid4().hex}", **clerk}
    first = await api.post(path, json={}, headers=retried)
    again = await api.post(path, json={}, headers=retried)
    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert again.json()["step_index"] == first.json()["step_index"] == 0
    forwards = [t for t in again.json()["timeline"] if t["action"] == "forward"]
    assert len(forwards) == 1
    # without the key, the same request is a new one: here, not the clerk's step any more
    assert (await api.post(path, json={}, headers=clerk)).status_code in (403, 409)


async def test_a_retried_action_that_closed_the_dossier_answers_with_it(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    clerk = await login("motcua.tnmt")
    code = (await submit(api, clerk))["code"]
    path = f"/api/v1/dossiers/{code}/actions/withdraw"
    retried = {"Idempotency-Key": f"wd-{uuid.uuid4().hex}", **clerk}
    body = {"reason": "không còn nhu cầu"}
    first = await api.post(path, json=body, headers=retried)
    assert first.status_code == 200 and first.json()["status"] == "withdrawn"
    for _ in range(50):  # the workflow ends shortly after the withdrawal
        again = await api.post(path, json=body, headers=retried)
        assert again.status_code == 200, again.text
        assert [t["action"] for t in again.json()["timeline"]].count("withdraw") == 1
    # without the key, or with another action, it is refused as before
    assert (await api.post(path, json=body, headers=clerk)).status_code == 409
    other = f"/api/v1/dossiers/{code}/actions/accept"
    assert (await api.post(other, json={}, headers=retried)).status_code == 409


async def test_a_minimal_retry_of_the_closing_action_answers_the_closed_dossier(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    clerk = await login("motcua.tnmt")
    code = (await submit(api, clerk))["code"]
    path = f"/api/v1/dossiers/{code}/actions/withdraw"
    retried = {"Idempotency-Key": f"wd-{uuid.uuid4().hex}", "Prefer": "return=minimal", **clerk}
    body = {"reason": "không còn nhu cầu"}
    first = await api.post(path, json=body, headers=retried)
    assert first.status_code == 200 and first.json()["status"] == "withdrawn", first.text
    for _ in range(50):  # once the workflow has ended the read model answers
        again = await api.post(path, json=body, headers=retried)
        assert again.status_code == 200, again.text
        assert again.headers["preference-applied"] == "return=minimal"
        assert {k: again.json()[k] for k in ("code", "status", "seq")} == {
            k: first.json()[k] for k in ("code", "status", "seq")
        }
        assert again.json()["allowed_actions"] == first.json()["allowed_actions"]


async def test_an_action_while_the_engine_is_away_is_503_with_retry_after(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login, settings, engine, tmp_path
) -> None:
    from api.app import create_app
    from tests.conftest import SERVER_STARTUP

    clerk = await login("motcua.tnmt")
    code = (await submit(api, clerk))["code"]
    server = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(__import__("sys").executable.rsplit("/", 1)[0] + "/temporal"),
        ui=False,
        dev_server_startup_timeout=SERVER_STARTUP,
    )
    target = server.client.service_client.config.target_host
    client = await Client.connect(
        target,
        data_converter=data_converter,
        retry_config=RetryConfig(max_retries=1, initial_interval_millis=50),
    )
    await server.shutdown()
    app = create_app(settings, temporal=client, engine=engine)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as away:
            response = await away.post(
                f"/api/v1/dossiers/{code}/actions/accept", json={}, headers=clerk
            )
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
