"""The dossier lifecycle through the API, against a real Temporal dev server and database."""

from __future__ import annotations

import uuid

import httpx

from bench.driver import server_timing
from db.seed import DONRE, WARD
from tests.support.polling import eventually

LAND = "1.004227"  # four steps across three agencies
BIRTH = "1.001193"  # same-day, one step
#: Everything handed in online (channel 2), so no scans are needed at reception; the paper
#: channel's digitization gate is tested in tests/documents.
COMPONENTS = {LAND: ["DDK", "NGD", "TKTS"], BIRTH: ["TK", "GCS"]}


def submission(procedure: str = LAND, **extra):  # type: ignore[no-untyped-def]
    body = {
        "procedure_code": procedure,
        "channel": 2,
        "pay_online": False,  # fees at the desk; online payment: tests/payments
        "applicant": {"name": "Nguyễn Thị Hồng Nhung", "id_number": "079190001234"},
        "components": COMPONENTS[procedure],
    }
    body.update(extra)
    return body


async def submit(api: httpx.AsyncClient, headers, procedure: str = LAND) -> dict:  # type: ignore[no-untyped-def]
    response = await api.post("/api/v1/dossiers", json=submission(procedure), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def projected(api: httpx.AsyncClient, headers, code: str) -> dict:  # type: ignore[no-untyped-def]
    """The detail once the workflow has recorded the submission (the projection is async)."""

    async def shown() -> dict:  # type: ignore[type-arg]
        return (await api.get(f"/api/v1/dossiers/{code}", headers=headers)).json()

    return await eventually(
        shown,
        lambda detail: detail["timeline"],
        every=0.05,
        what=f"the submission of {code} reaching the read model",
    )


async def act(api, headers, code, action, expect=200, **body):  # type: ignore[no-untyped-def]
    response = await api.post(
        f"/api/v1/dossiers/{code}/actions/{action}", json=body, headers=headers
    )
    assert response.status_code == expect, response.text
    return response.json()


async def test_token_rejects_wrong_password(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/auth/token", data={"username": "admin", "password": "x"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_requests_without_token_are_401(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/dossiers")
    assert response.status_code == 401
    assert "sign in" in response.json()["detail"]


async def test_catalogue_lists_demo_procedures(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/procedures")
    assert response.status_code == 200
    codes = {p["code"] for p in response.json()}
    assert {LAND, BIRTH} <= codes
    land = (await api.get(f"/api/v1/procedures/{LAND}")).json()
    assert len({s["agency_code"] for s in land["steps"]}) == 3
    assert (await api.get("/api/v1/procedures/nope")).status_code == 404


async def test_submit_issues_code_and_is_idempotent(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    key = {"Idempotency-Key": uuid.uuid4().hex, **clerk}
    first = await api.post("/api/v1/dossiers", json=submission(), headers=key)
    assert first.status_code == 201, first.text
    again = await api.post("/api/v1/dossiers", json=submission(), headers=key)
    assert again.status_code == 200
    dossier = first.json()
    assert again.json()["code"] == dossier["code"]
    assert dossier["code"].startswith(f"{DONRE}-")
    assert dossier["status"] == "submitted" and dossier["portal_code"] == 1
    assert dossier["lookup_secret"] and again.json()["lookup_secret"] == dossier["lookup_secret"]
    assert all(c["digitized"] for c in dossier["components"])
    assert [s["agency_code"] for s in dossier["steps"]][0] == WARD


async def test_walkthrough_to_returned(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    dossier = await submit(api, clerk)
    code = dossier["code"]
    accepted = await act(api, clerk, code, "accept")
    assert accepted["status"] == "received" and accepted["due_at"] is not None
    await act(api, clerk, code, "forward")
    handlers = ["cc.diachinh", "cv.vpdk", "cv.thue"]
    for username in handlers:
        detail = await act(api, await login(username), code, "forward")
    assert detail["steps"][3]["current"] is True
    resolved = await act(
        api,
        await login("cv.qldd"),
        code,
        "resolve",
        result_kind="approval",
        result_summary="Cấp Giấy chứng nhận số CS 000123",
    )
    assert resolved["status"] == "resolved" and resolved["portal_code"] == 9
    returned = await act(api, clerk, code, "deliver")
    assert returned["status"] == "returned" and returned["portal_code"] == 10
    actions = [t["action"] for t in returned["timeline"]]
    assert actions == [
        "submit",
        "accept",
        "forward",
        "forward",
        "forward",
        "forward",
        "resolve",
        "deliver",
    ]
    assert all(s["finished_at"] for s in returned["steps"])


async def test_illegal_action_is_409_and_changes_nothing(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    code = (await submit(api, clerk))["code"]
    before = await projected(api, clerk, code)
    problem = await act(api, clerk, code, "deliver", expect=409)
    assert problem["current_status"] == "submitted"
    assert "accept" in problem["allowed_actions"]
    after = (await api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
    assert after["timeline"] == before["timeline"] and after["status"] == "submitted"


async def test_other_agency_is_403(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    code = (await submit(api, clerk))["code"]
    outsider = await login("motcua.sxd")
    assert (await api.get(f"/api/v1/dossiers/{code}", headers=outsider)).status_code == 403
    problem = await act(api, outsider, code, "accept", expect=403)
    assert problem["status"] == 403
    # a ward officer is on the route but the dossier is at the one-stop desk
    await act(api, await login("cc.diachinh"), code, "accept", expect=403)


async def test_malformed_input_is_422_naming_the_field(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    bad = submission(channel=7)
    response = await api.post("/api/v1/dossiers", json=bad, headers=clerk)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "channel"
    response = await api.post("/api/v1/dossiers", content=b"{not json", headers=clerk)
    assert response.status_code == 422
    code = (await submit(api, clerk))["code"]
    problem = await act(api, clerk, code, "refuse", expect=422)
    assert problem["errors"][0]["field"] == "reason"
    problem = await act(api, clerk, code, "request-supplement", expect=422, reason="thiếu")
    assert problem["errors"][0]["field"] == "items"
    response = await api.post(
        f"/api/v1/dossiers/{code}/actions/accept", json={"rating": "many"}, headers=clerk
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "rating"


async def test_unknown_dossier_and_action(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    assert (await api.get("/api/v1/dossiers/NOPE-1", headers=clerk)).status_code == 404
    code = (await submit(api, clerk))["code"]
    response = await api.post(f"/api/v1/dossiers/{code}/actions/dance", json={}, headers=clerk)
    assert response.status_code == 422


async def test_list_filters_and_pagination(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.bennghe")
    codes = [(await submit(api, clerk, BIRTH))["code"] for _ in range(3)]
    page = (
        await api.get("/api/v1/dossiers", params={"procedure": BIRTH, "limit": 2}, headers=clerk)
    ).json()
    assert page["total"] >= 3 and len(page["items"]) == 2
    found = (await api.get("/api/v1/dossiers", params={"q": codes[0]}, headers=clerk)).json()
    assert [d["code"] for d in found["items"]] == [codes[0]]
    outsider = await login("motcua.sxd")
    hidden = (await api.get("/api/v1/dossiers", params={"q": codes[0]}, headers=outsider)).json()
    assert hidden["total"] == 0
    bad = await api.get("/api/v1/dossiers", params={"limit": 0}, headers=clerk)
    assert bad.status_code == 422


async def test_health_and_readiness(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz")
    assert ready.status_code == 200, ready.text


async def test_concurrent_submissions_with_one_key_make_one_dossier(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    import asyncio

    clerk = await login("motcua.tnmt")
    headers = {"Idempotency-Key": uuid.uuid4().hex, **clerk}
    responses = await asyncio.gather(
        *(api.post("/api/v1/dossiers", json=submission(), headers=headers) for _ in range(4))
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.json()["code"] for r in responses}) == 1
    other = submission()
    other["applicant"] = {"name": "Người khác"}
    reused = await api.post("/api/v1/dossiers", json=other, headers=headers)
    assert reused.status_code == 409 and "different submission" in reused.json()["detail"]


async def test_blank_idempotency_key_and_huge_ids_are_not_server_errors(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    clerk = await login("motcua.tnmt")
    blank = {"Idempotency-Key": " ", **clerk}
    first = await api.post("/api/v1/dossiers", json=submission(), headers=blank)
    second = await api.post("/api/v1/dossiers", json=submission(), headers=blank)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["code"] != second.json()["code"]
    code = first.json()["code"]
    huge = await api.get(f"/api/v1/dossiers/{code}/documents/{10**100}", headers=clerk)
    assert huge.status_code == 422


async def test_concurrent_submissions_get_distinct_consecutive_codes(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    import asyncio

    from domain.codes import parse_dossier_code

    clerk = await login("motcua.bennghe")
    responses = await asyncio.gather(
        *(api.post("/api/v1/dossiers", json=submission(BIRTH), headers=clerk) for _ in range(12))
    )
    assert [r.status_code for r in responses] == [201] * 12
    codes = [r.json()["code"] for r in responses]
    sequences = sorted(parse_dossier_code(c)[2] for c in codes)
    assert len(set(codes)) == 12
    assert sequences == list(range(sequences[0], sequences[0] + 12))


async def test_metrics_expose_dossiers_by_status(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    await submit(api, await login("motcua.tnmt"))
    response = await api.get("/metrics")
    assert response.status_code == 200
    assert 'motcua_dossiers{status="submitted"}' in response.text
    assert "# TYPE motcua_portal_records gauge" in response.text


async def test_an_action_says_where_its_time_went(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    """`Server-Timing` on an action: the whole request and its phases, each inside the total;
    a refused action carries it too."""
    clerk = await login("motcua.tnmt")
    code = (await submit(api, clerk))["code"]
    await projected(api, clerk, code)
    response = await api.post(f"/api/v1/dossiers/{code}/actions/accept", json={}, headers=clerk)
    assert response.status_code == 200, response.text
    phases = server_timing(response.headers["server-timing"])
    assert list(phases) == ["total", "signin", "scope", "update", "answer"]
    assert all(value >= 0 for value in phases.values())
    assert sum(v for k, v in phases.items() if k != "total") <= phases["total"]
    refused = await api.post(f"/api/v1/dossiers/{code}/actions/accept", json={}, headers=clerk)
    assert refused.status_code == 409
    assert "update;dur=" in refused.headers["server-timing"]


async def test_a_minimal_answer_is_the_outcome_and_the_read_model_has_it(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    """`Prefer: return=minimal` answers what the action changed without reading the dossier
    back; the read model already holds the same when the answer arrives."""
    clerk = await login("motcua.tnmt")
    code = (await submit(api, clerk))["code"]
    await projected(api, clerk, code)
    minimal = {"Prefer": "respond-async, return=minimal", **clerk}
    response = await api.post(f"/api/v1/dossiers/{code}/actions/accept", json={}, headers=minimal)
    assert response.status_code == 200, response.text
    assert response.headers["preference-applied"] == "return=minimal"
    assert list(server_timing(response.headers["server-timing"])) == [
        "total",
        "signin",
        "scope",
        "update",
    ]
    answer = response.json()
    assert set(answer) == {
        "code",
        "status",
        "status_label",
        "portal_code",
        "seq",
        "step_index",
        "due_at",
        "allowed_actions",
    }
    assert (answer["code"], answer["status"], answer["portal_code"]) == (code, "received", 2)
    shown = (await api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
    assert shown["status"] == "received" and shown["due_at"] == answer["due_at"]
    assert shown["allowed_actions"] == answer["allowed_actions"]
    assert [t["action"] for t in shown["timeline"]][-1] == "accept"
    # refused as without the preference, and nothing changes
    again = await api.post(f"/api/v1/dossiers/{code}/actions/accept", json={}, headers=minimal)
    assert again.status_code == 409
    # without it (or with another preference) the answer is the dossier, as before
    full = await api.post(f"/api/v1/dossiers/{code}/actions/forward", json={}, headers=clerk)
    assert full.status_code == 200 and full.json()["timeline"]
    assert "preference-applied" not in full.headers
    lenient = {"Prefer": "return=representation", **(await login("cc.diachinh"))}
    forwarded = await api.post(f"/api/v1/dossiers/{code}/actions/forward", json={}, headers=lenient)
    assert forwarded.status_code == 200 and "timeline" in forwarded.json()
    assert "preference-applied" not in forwarded.headers


async def test_server_timing_can_be_turned_off(settings, dev_env, engine) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app

    for enabled in (True, False):
        app = create_app(
            settings.model_copy(update={"server_timing": enabled}),
            temporal=dev_env.client,
            engine=engine,
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                response = await client.get("/healthz")
        assert response.status_code == 200
        assert ("server-timing" in response.headers) is enabled


async def test_the_open_actions_are_read_from_the_read_model(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login, sessions, temporal_client
) -> None:
    """The projection keeps the actions open with the state, so reading a dossier asks the
    workflow nothing; a row projected before that (no list) still asks it."""
    from db.models import Dossier
    from domain.codes import workflow_id

    clerk = await login("motcua.tnmt")
    code = (await submit(api, clerk))["code"]
    await projected(api, clerk, code)
    await act(api, clerk, code, "accept")
    handle = temporal_client.get_workflow_handle(workflow_id(code))
    truth = await handle.query("allowed")
    async with sessions() as session:
        row = await session.get(Dossier, code)
        assert row is not None and row.allowed_actions == truth

    async def shown_after_storing(stored: list[str] | None) -> list[str]:
        async with sessions() as session, session.begin():
            row = await session.get(Dossier, code)
            assert row is not None
            row.allowed_actions = stored
        detail = (await api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
        return detail["allowed_actions"]

    assert await shown_after_storing(["withdraw"]) == ["withdraw"]  # not the workflow's answer
    assert await shown_after_storing(None) == truth  # an older row: the workflow is asked
