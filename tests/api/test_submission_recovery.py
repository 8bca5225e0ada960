"""A submission whose process died between the database commit and the workflow start: its
retry (same Idempotency-Key) starts the workflow with the input the first attempt committed."""

from __future__ import annotations

import uuid
from typing import Any

from api.schemas import SubmitIn
from api.services import submit
from db.seed import DONRE
from domain.dossier import Actor, Role
from domain.payment import PaymentPurpose
from messages import DossierInput

LAND = "1.004227"  # a procedure with a fee due at submission
CLERK = Actor(
    username="motcua.tnmt", full_name="Cán bộ một cửa", role=Role.CLERK, agency_code=DONRE
)


class Crash(Exception):
    """The process dying after the commit, before the workflow start reached Temporal."""


class FakeEngine:
    """Stands in for the Temporal client: records each start, and fails the first ones."""

    def __init__(self, *, failures: int) -> None:
        self.failures = failures
        self.inputs: list[DossierInput] = []

    async def start_workflow(self, _run: object, arg: DossierInput, **_: Any) -> None:
        self.inputs.append(arg)
        if self.failures:
            self.failures -= 1
            raise Crash


async def test_a_recovered_submission_keeps_its_online_payment(sessions) -> None:  # type: ignore[no-untyped-def]
    engine = FakeEngine(failures=1)
    body = SubmitIn.model_validate(
        {
            "procedure_code": LAND,
            "channel": 1,  # at the desk, yet the applicant chose to pay through the gateway
            "pay_online": True,
            "applicant": {"name": "Trần Văn Bình", "id_number": "079190004321"},
            "components": ["DDK", "NGD"],
        }
    )
    key = uuid.uuid4().hex

    async def attempt() -> None:
        async with sessions() as session:
            await submit(
                session=session,
                client=engine,  # type: ignore[arg-type]  # a stand-in with start_workflow only
                body=body,
                actor=CLERK,
                task_queue="unused",
                idempotency_key=key,
                rating_window_days=7,
            )

    try:
        await attempt()
    except Crash:
        pass
    else:
        raise AssertionError("the first attempt should have died before the start")
    await attempt()  # the client's retry

    first, recovered = engine.inputs
    assert recovered == first
    (payment,) = recovered.state.payments
    assert payment.purpose == PaymentPurpose.SUBMISSION and payment.online
