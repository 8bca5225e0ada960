"""The clerk's list over the read model: found by code, name or ID number in any case, newest
first, and counted no further than the limit ("10000+")."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from sqlmodel import select

from db.engine import alembic_config, make_engine, make_session_maker
from db.models import NO_DEADLINE, Dossier
from db.repository import DossierFilter, Total, count_up_to, list_dossiers
from db.seed import DONRE
from domain.text import search_key


def dossier(tag: str, name: str, id_number: str, submitted: datetime) -> Dossier:
    code = f"{DONRE}-L{tag}-{uuid.uuid4().hex[:8]}"
    return Dossier(
        code=code,
        procedure_code="1.004227",
        agency_code=DONRE,
        channel=1,
        applicant_name=name,
        applicant_id_number=id_number,
        search_text=search_key(code, name, id_number),  # as the projection writes it
        status="received",
        portal_code=2,
        step_index=0,
        submitted_at=submitted,
    )


async def test_search_finds_code_name_and_id_number_in_any_case_newest_first(sessions) -> None:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:6]
    now = datetime.now(UTC)
    older = dossier(tag, f"Trần Thị Ánh {tag}", f"0791{tag}", now - timedelta(hours=2))
    newer = dossier(tag, f"Đặng Văn Bình {tag}", "001088000111", now - timedelta(hours=1))
    async with sessions() as session:
        session.add_all([older, newer])
        await session.commit()

        async def found(text: str) -> tuple[list[str], Total]:
            rows, total = await list_dossiers(
                session, filters=DossierFilter(text=text), limit=50, offset=0
            )
            return [r.code for r in rows], total

        assert await found(f"ÁNH {tag}".upper()) == ([older.code], Total(1))
        assert await found(f"đặng văn bình {tag}") == ([newer.code], Total(1))
        assert await found(f"0791{tag}") == ([older.code], Total(1))
        assert await found(f"-L{tag}-".lower()) == ([newer.code, older.code], Total(2))
        # the name's end and the ID number's start are two parts: no match across them
        assert await found(f"{tag}0791") == ([], Total(0))


async def test_the_count_stops_at_its_limit_and_says_more(sessions) -> None:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:6]
    now = datetime.now(UTC)
    async with sessions() as session:
        session.add_all(dossier(tag, "Lê Văn An", "079190001111", now) for _ in range(3))
        await session.commit()
        matching = select(Dossier).where(Dossier.code.like(f"%-L{tag}-%"))  # type: ignore[attr-defined]
        assert await count_up_to(session, matching, limit=3) == Total(3)
        capped = await count_up_to(session, matching, limit=2)
    assert capped == Total(2, exact=False) and str(capped) == "2+"
    assert str(Total(3)) == "3"


async def test_dossiers_stored_before_the_search_key_get_theirs(tmp_path: Path) -> None:
    path = tmp_path / "before.sqlite3"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")
    await asyncio.to_thread(command.upgrade, config, "0017_applicant_web")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO dossier (code, procedure_code, agency_code, channel, applicant_name,"
            " applicant_id_number, applicant_phone, applicant_email, applicant_address, status,"
            " portal_code, step_index, submitted_at, result_summary, apologised,"
            " supplement_rounds, version, lookup_secret) VALUES ('H29.14-260101-0001',"
            " '1.004227', 'H29.14', 1, 'NGUYỄN THỊ ÁNH', '079190001111', '', '', '', 'received',"
            " 2, 0, '2026-01-01 00:00:00', '', 0, 0, 1, 's')"
        )
    await asyncio.to_thread(command.upgrade, config, "head")
    with sqlite3.connect(path) as db:
        [(key,)] = db.execute("SELECT search_text FROM dossier").fetchall()
    assert key == search_key("H29.14-260101-0001", "NGUYỄN THỊ ÁNH", "079190001111")
    assert "nguyễn thị ánh" in key
    await asyncio.to_thread(command.downgrade, config, "0017_applicant_web")
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(dossier)")]
    assert "search_text" not in columns


async def test_dossiers_stored_before_the_queue_order_get_their_nearest_deadline(
    tmp_path: Path,
) -> None:
    path = tmp_path / "before.sqlite3"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")
    await asyncio.to_thread(command.upgrade, config, "0018_list_at_scale")
    columns = (
        "code, procedure_code, agency_code, channel, applicant_name, applicant_id_number,"
        " applicant_phone, applicant_email, applicant_address, status, portal_code, step_index,"
        " current_unit_code, due_at, submitted_at, result_summary, apologised,"
        " supplement_rounds, version, lookup_secret"
    )
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys=OFF")
        for code, unit, due in (
            ("D-STEP-FIRST", "H29.31.DC", "2026-01-20 01:00:00.000000"),
            ("D-NO-CLOCK", None, None),
        ):
            db.execute(
                f"INSERT INTO dossier ({columns}) VALUES (?, '1.004227', 'H29.14', 1, 'An',"
                " '', '', '', '', 'processing', 4, 1, ?, ?, '2026-01-01 00:00:00', '', 0, 0,"
                " 1, ?)",
                (code, unit, due, code),
            )
        for idx, due in ((0, "2026-01-05 01:00:00.000000"), (1, "2026-01-09 01:00:00.000000")):
            db.execute(
                "INSERT INTO dossier_step (dossier_code, idx, unit_code, unit_name, agency_code,"
                " agency_name, term_days, due_at, handled_by, assignee, assignee_name, stage,"
                " closed, open) VALUES ('D-STEP-FIRST', ?, 'U', 'U', 'A', 'A', 3, ?, '', '',"
                " '', 1, 0, ?)",
                (idx, due, idx == 1),
            )
    await asyncio.to_thread(command.upgrade, config, "head")
    async_engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with make_session_maker(async_engine)() as session:
            found = {d.code: d.queue_due_at for d in await session.scalars(select(Dossier))}
    finally:
        await async_engine.dispose()
    # the current step's (idx 1, due 9 January) before the dossier's (20 January)
    assert found == {
        "D-STEP-FIRST": datetime(2026, 1, 9, 1, 0, tzinfo=UTC),
        "D-NO-CLOCK": NO_DEADLINE,
    }


async def test_dossiers_stored_before_the_procedure_name_column_get_their_version_name(
    tmp_path: Path,
) -> None:
    from db.repository import procedure_name

    path = tmp_path / "before.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0019_queue_order")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys=OFF")
        for code, name in (("1.004227", "Đăng ký đất đai"), ("1.001193", "Đăng ký khai sinh")):
            db.execute(
                "INSERT INTO procedure (code, name, agency_code, term_days, definition, active)"
                " VALUES (?, ?, 'H29.14', 5, ?, 1)",
                (code, name, json.dumps({"name": name})),
            )
        # the land procedure's second version renamed it; dossiers pinned to either
        db.execute(
            "INSERT INTO procedure_version (procedure_code, version, state, definition,"
            " created_by, published_by)"
            " VALUES ('1.004227', 2, 'published', ?, 'admin', 'admin')",
            (json.dumps({"name": "Đăng ký, cấp Giấy chứng nhận"}),),
        )
        for code, procedure, version in (
            ("D-LAND-1", "1.004227", 1),  # from before versions: the catalogue entry's name
            ("D-LAND-2", "1.004227", 2),
            ("D-BIRTH", "1.001193", 1),
            ("D-GONE", "9.999999", 3),  # a procedure no longer catalogued: its code
        ):
            db.execute(
                "INSERT INTO dossier (code, procedure_code, procedure_version, agency_code,"
                " channel, applicant_name, applicant_id_number, applicant_phone,"
                " applicant_email, applicant_address, status, portal_code, step_index,"
                " submitted_at, result_summary, apologised, supplement_rounds, version,"
                " lookup_secret) VALUES (?, ?, ?, 'H29.14', 1, 'An', '', '', '', '',"
                " 'submitted', 1, -1, '2026-01-01 00:00:00', '', 0, 0, 0, '')",
                (code, procedure, version),
            )
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
    async_engine = make_engine(url)
    try:
        async with make_session_maker(async_engine)() as session:
            found = {d.code: d.procedure_name for d in await session.scalars(select(Dossier))}
            read = {
                d: await procedure_name(session, code=p, version=v)
                for d, p, v in (("D-LAND-1", "1.004227", 1), ("D-LAND-2", "1.004227", 2))
            }
    finally:
        await async_engine.dispose()
    assert found == {
        "D-LAND-1": "Đăng ký đất đai",
        "D-LAND-2": "Đăng ký, cấp Giấy chứng nhận",
        "D-BIRTH": "Đăng ký khai sinh",
        "D-GONE": "9.999999",
    }
    assert read == {k: found[k] for k in read}  # as the detail read named them before
