"""The portal waker: what the projection pokes is woken once per batch, what could not be
woken is tried again, and what was committed before a crash is woken at start."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from activities.portal_wake import PortalWaker
from db.engine import writing
from db.portal_models import PortalOutboxRecord
from tests.support.polling import eventually


class Recorder:
    def __init__(self, failures: int = 0) -> None:
        self.woken: list[tuple[str, str]] = []
        self.failures = failures

    async def __call__(self, code: str, reason: str) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("temporal unreachable")
        self.woken.append((code, reason))


async def test_pokes_for_one_dossier_before_its_wake_are_one_wake() -> None:
    wake = Recorder()
    waker = PortalWaker(wake)
    waker.poke("HS-1", "accept")
    waker.poke("HS-1", "forward")
    waker.poke("HS-2", "accept")
    async with waker:
        await eventually(lambda: len(wake.woken) == 2)
    assert sorted(wake.woken) == [("HS-1", "accept"), ("HS-2", "accept")]


async def test_a_wake_that_fails_is_tried_again() -> None:
    wake = Recorder(failures=2)
    async with PortalWaker(wake, retry_after=timedelta(milliseconds=10)) as waker:
        waker.poke("HS-3", "resolve")
        await eventually(lambda: wake.woken == [("HS-3", "resolve")])


async def test_dossiers_pending_at_start_are_woken(sessions) -> None:  # type: ignore[no-untyped-def]
    async with writing(sessions) as session:
        for code, state in (("HS-WAKE-PENDING", "pending"), ("HS-WAKE-SENT", "sent")):
            session.add(
                PortalOutboxRecord(
                    dossier_code=code,
                    seq=1,
                    event_seq=0,
                    kind="dossier",
                    payload={},
                    state=state,
                    created_at=datetime.now(UTC),
                )
            )
    wake = Recorder()
    async with PortalWaker(wake, sessions):
        await eventually(lambda: ("HS-WAKE-PENDING", "pending at start") in wake.woken)
        await asyncio.sleep(0)
    assert all(code != "HS-WAKE-SENT" for code, _ in wake.woken)
