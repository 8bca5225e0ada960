"""The unit head's queue of dossiers that may need an apology, over the read model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from console import queues
from db.calendar import working_calendar
from db.models import Dossier, DossierStep, Officer
from db.seed import DONRE
from domain.text import search_key

VPDK = "H29.14.VPDK"


def row(due: datetime, *, apologised: bool = False) -> tuple[Dossier, DossierStep]:
    code = f"{DONRE}-Q-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    dossier = Dossier(
        code=code,
        procedure_code="1.004227",
        agency_code=DONRE,
        channel=1,
        applicant_name="Lưu Văn Hạn",
        search_text=search_key(code, "Lưu Văn Hạn"),  # as the projection writes it
        status="processing",
        portal_code=4,
        step_index=1,
        current_unit_code=VPDK,
        current_agency_code=DONRE,
        submitted_at=now - timedelta(days=10),
        received_at=now - timedelta(days=10),
        due_at=due,
        queue_due_at=due,  # the step's and the dossier's due moment are the same here
        apologised=apologised,
    )
    step = DossierStep(
        dossier_code=code,
        idx=1,
        unit_code=VPDK,
        unit_name="Văn phòng Đăng ký đất đai",
        agency_code=DONRE,
        agency_name="Sở Tài nguyên và Môi trường",
        term_days=7,
        started_at=now - timedelta(days=5),
        due_at=due,
    )
    return dossier, step


async def test_dossiers_due_soon_without_an_apology_are_the_heads_to_decide(sessions) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    soon, apologised, later, past = (
        row(now + timedelta(days=2)),
        row(now + timedelta(days=2), apologised=True),
        row(now + timedelta(days=30)),
        row(now - timedelta(days=1)),
    )
    async with sessions() as session:
        for dossier, step in (soon, apologised, later, past):
            session.add(dossier)
            await session.flush()
            session.add(step)
        await session.commit()
        head = (await session.scalars(select(Officer).where(Officer.username == "gd.vpdk"))).one()
        view = next(v for v in queues.views_for(head) if v.key == "apology")
        rows, _ = await queues.queue(
            session,
            view=view,
            officer=head,
            filters=queues.QueueFilter(text=f"{DONRE}-Q-"),
            cal=await working_calendar(session),
            now=now,
            limit=100,
            offset=0,
        )
    listed = {r.dossier.code for r in rows}
    assert soon[0].code in listed
    assert not {apologised[0].code, later[0].code, past[0].code} & listed
