"""The applicant's own channel: with the code and secret of the receipt they withdraw the
dossier or rate its result; anything else stays the agency's."""

from __future__ import annotations

import httpx

from tests.api.test_lifecycle_api import BIRTH, act, submit


async def test_the_applicant_withdraws_with_the_receipts_secret(
    api: httpx.AsyncClient, login
) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.bennghe")
    dossier = await submit(api, clerk, BIRTH)
    code, secret = dossier["code"], dossier["lookup_secret"]
    await act(api, clerk, code, "accept")
    path = f"/api/v1/public/dossiers/{code}/withdraw"
    wrong = await api.post(path, params={"secret": "nope"}, json={"reason": "không cần nữa"})
    assert wrong.status_code == 404
    empty = await api.post(path, params={"secret": secret}, json={"reason": " "})
    assert empty.status_code == 422
    done = await api.post(path, params={"secret": secret}, json={"reason": "không cần nữa"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["portal_code"]) == ("withdrawn", 7)
    detail = (await api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
    last = detail["timeline"][-1]
    assert (last["action"], last["actor"], last["note"]) == (
        "withdraw",
        "applicant",
        "không cần nữa",
    )


async def test_the_applicant_rates_the_result_once_with_a_comment(
    api: httpx.AsyncClient, login
) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.bennghe")
    dossier = await submit(api, clerk, BIRTH)
    code, secret = dossier["code"], dossier["lookup_secret"]
    path = f"/api/v1/public/dossiers/{code}/rate"
    early = await api.post(path, params={"secret": secret}, json={"rating": 5})
    assert early.status_code == 409  # nothing to rate before the result is returned
    await act(api, clerk, code, "accept")
    await act(api, clerk, code, "forward")
    await act(
        api,
        await login("cc.tuphap"),
        code,
        "resolve",
        result_kind="approval",
        result_summary="Giấy khai sinh số 123",
    )
    await act(api, clerk, code, "deliver")
    bad = await api.post(path, params={"secret": secret}, json={"rating": 9})
    assert bad.status_code == 422
    rated = await api.post(
        path, params={"secret": secret}, json={"rating": 4, "comment": "Cán bộ tận tình"}
    )
    assert rated.status_code == 200, rated.text
    again = await api.post(path, params={"secret": secret}, json={"rating": 1})
    assert again.status_code == 409  # rated once (the dossier then closes)
    detail = (await api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
    assert detail["rating"] == 4
    assert detail["timeline"][-1]["note"] == "rated 4/5: Cán bộ tận tình"
