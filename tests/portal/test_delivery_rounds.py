"""A delivery round claims the dossier's pending records together and writes their
acknowledgements together: what the portal took is recorded even when a later record of the
same round meets an outage or a refusal, and a record the round never reached is untouched."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from activities.portal_client import PortalRejected, PortalUnavailable
from activities.portal_sync import PortalSyncActivities
from db import portal_outbox as outbox
from db.portal_models import PortalOutboxRecord, PortalSyncState, RecordState
from domain.portal import SyncRecord
from messages import DeliveryInput

RECORDS = 5


class ScriptedPortal:
    """The portal's answers by seq (anything not named is taken), and what it was sent."""

    def __init__(self, answers: dict[int, Exception] | None = None) -> None:
        self.answers = answers or {}
        self.sent: list[int] = []

    async def send(self, record: SyncRecord) -> None:
        self.sent.append(record.seq)
        if record.seq in self.answers:
            raise self.answers[record.seq]


async def _pending(sessions, records: int = RECORDS) -> str:  # type: ignore[no-untyped-def]
    code = f"ROUND-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        session.add(PortalSyncState(dossier_code=code, last_enqueued_seq=records, updated_at=now))
        for seq in range(1, records + 1):
            session.add(
                PortalOutboxRecord(
                    dossier_code=code,
                    seq=seq,
                    event_seq=seq,
                    kind="dossier",
                    payload={"MaHoSo": code, "seq": seq},
                    created_at=now,
                )
            )
    return code


async def _records(sessions, code: str) -> dict[int, tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return {
            r.seq: (r.state, r.attempts, r.last_error)
            for r in await outbox.dossier_records(session, code)
        }


async def _sync(sessions, code: str) -> PortalSyncState:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        state = await session.get(PortalSyncState, code)
        assert state is not None
        return state


async def _wake(_: str) -> None:
    return None


async def test_a_round_is_two_writes_whatever_its_size(sessions, engine) -> None:  # type: ignore[no-untyped-def]
    code = await _pending(sessions)
    portal = ScriptedPortal()
    commits = []
    listener = lambda conn: commits.append(1)  # noqa: E731
    event.listen(engine.sync_engine, "commit", listener)
    try:
        outcome = await PortalSyncActivities(sessions, portal, _wake).deliver(  # type: ignore[arg-type]
            DeliveryInput(dossier_code=code)
        )
    finally:
        event.remove(engine.sync_engine, "commit", listener)
    assert (outcome.delivered, outcome.remaining, outcome.parked) == (RECORDS, 0, False)
    assert portal.sent == list(range(1, RECORDS + 1))
    assert len(commits) == 2  # the claim, then the acknowledgements (with nothing left)
    assert await _records(sessions, code) == {
        seq: (RecordState.SENT.value, 1, "") for seq in range(1, RECORDS + 1)
    }
    sync = await _sync(sessions, code)
    assert sync.last_acked_seq == sync.last_sent_seq == RECORDS


async def test_max_records_bounds_a_round(sessions) -> None:  # type: ignore[no-untyped-def]
    code = await _pending(sessions)
    portal = ScriptedPortal()
    outcome = await PortalSyncActivities(sessions, portal, _wake).deliver(  # type: ignore[arg-type]
        DeliveryInput(dossier_code=code, max_records=2)
    )
    assert (outcome.delivered, outcome.remaining) == (2, RECORDS - 2)
    assert portal.sent == [1, 2]
    states = await _records(sessions, code)
    assert [states[s][0] for s in sorted(states)] == ["sent"] * 2 + ["pending"] * 3
    assert (await _sync(sessions, code)).last_acked_seq == 2


async def test_an_outage_mid_round_keeps_what_the_portal_took(sessions) -> None:  # type: ignore[no-untyped-def]
    code = await _pending(sessions)
    portal = ScriptedPortal({3: PortalUnavailable("portal timed out")})
    activities = PortalSyncActivities(sessions, portal, _wake)  # type: ignore[arg-type]
    with pytest.raises(PortalUnavailable):
        await activities.deliver(DeliveryInput(dossier_code=code))
    assert await _records(sessions, code) == {
        1: ("sent", 1, ""),
        2: ("sent", 1, ""),
        3: ("pending", 1, "portal timed out"),  # tried once; the portal may have it
        4: ("pending", 0, ""),  # never reached
        5: ("pending", 0, ""),
    }
    sync = await _sync(sessions, code)
    assert (sync.last_acked_seq, sync.last_sent_seq) == (2, 3)
    # the retry, the portal back: the round starts at the record that failed
    portal.answers.clear()
    portal.sent.clear()
    outcome = await activities.deliver(DeliveryInput(dossier_code=code))
    assert portal.sent == [3, 4, 5] and outcome.delivered == 3
    assert (await _records(sessions, code))[3] == ("sent", 2, "")


async def test_a_refusal_mid_round_parks_there_and_keeps_the_rest(sessions) -> None:  # type: ignore[no-untyped-def]
    code = await _pending(sessions)
    portal = ScriptedPortal({2: PortalRejected("NgayHenTra: not a date")})
    outcome = await PortalSyncActivities(sessions, portal, _wake).deliver(  # type: ignore[arg-type]
        DeliveryInput(dossier_code=code)
    )
    assert outcome.parked and outcome.delivered == 1 and outcome.remaining == RECORDS - 2
    assert portal.sent == [1, 2]  # nothing after the refused record is sent
    states = await _records(sessions, code)
    assert states[1] == ("sent", 1, "")
    assert states[2] == ("parked", 1, "NgayHenTra: not a date")
    assert [states[s] for s in (3, 4, 5)] == [("pending", 0, "")] * 3
    sync = await _sync(sessions, code)
    assert sync.parked and sync.parked_seq == 2 and sync.last_acked_seq == 1
