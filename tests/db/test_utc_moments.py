"""Moments in the read model are timezone-aware UTC on the way out, whatever the database, so
writing back an unchanged one changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import text

from bench.bulk import CLERK_NAME, forwarded_state
from db.models import Dossier
from db.payment_models import Payment
from db.payment_repository import write_payments
from db.projection import new_row
from db.seed import PROCEDURES
from domain.dossier import Actor, Role
from tests.support.workflows import clock_config

HANOI = timezone(timedelta(hours=7))


def _state(code: str):  # type: ignore[no-untyped-def]
    procedure = next(p for p in PROCEDURES if p.code == "1.004227")
    clerk = Actor("motcua.tnmt", CLERK_NAME, Role.CLERK, agency_code=procedure.agency_code)
    at = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    return forwarded_state(code, procedure, clerk, at, clock_config())


async def test_a_moment_comes_back_aware_utc_and_sqlite_keeps_the_utc_wall_time(
    sessions,
) -> None:  # type: ignore[no-untyped-def]
    state = _state("UTC.MOMENT-261123-0001")
    row = new_row(state)
    row.submitted_at = datetime(2026, 11, 23, 10, 0, tzinfo=HANOI)  # 03:00 UTC
    async with sessions() as session, session.begin():
        session.add(row)
    async with sessions() as session:
        loaded = await session.get(Dossier, row.code)
        assert loaded is not None
        assert loaded.submitted_at == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
        assert loaded.submitted_at.tzinfo is not None
        if session.bind.dialect.name == "sqlite":
            stored = await session.scalar(
                text("SELECT submitted_at FROM dossier WHERE code = :c"), {"c": row.code}
            )
            assert str(stored).startswith("2026-11-23 03:00:00")


async def test_writing_unchanged_payments_again_changes_nothing(sessions) -> None:  # type: ignore[no-untyped-def]
    state = _state("UTC.MOMENT-261123-0002")
    assert state.payments, "the land procedure asks for fees"
    async with sessions() as session, session.begin():
        session.add(new_row(state))
        await session.flush()
        await write_payments(session, state)
    async with sessions() as session:
        before = {p.reference: p.updated_at for p in await _payments(session, state.code)}
    async with sessions() as session, session.begin():
        await write_payments(session, state)
        # touched, but nothing differs: no UPDATE at commit
        assert not [row for row in session.dirty if session.is_modified(row)]
    async with sessions() as session:
        after = {p.reference: p.updated_at for p in await _payments(session, state.code)}
    assert after == before


async def _payments(session, code: str) -> list[Payment]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    return list(await session.scalars(select(Payment).where(Payment.dossier_code == code)))
