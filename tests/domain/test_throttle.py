"""The throttle's rules: free failures, then a lock that doubles, capped, and forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.throttle import ACCOUNT, ThrottleState, after_failure, retry_after

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_free_failures_then_a_growing_lock() -> None:
    state = ThrottleState()
    for _ in range(ACCOUNT.free_failures - 1):
        state = after_failure(state, T0, ACCOUNT)
        assert retry_after(state, T0) is None
    locks = []
    for _ in range(12):
        state = after_failure(state, T0, ACCOUNT)
        locks.append(retry_after(state, T0))
    assert locks[0] == ACCOUNT.first_lock.total_seconds()
    assert locks[1] == 2 * locks[0]
    assert locks == sorted(locks)
    assert locks[-1] == ACCOUNT.max_lock.total_seconds()


def test_a_lock_ends_and_old_failures_are_forgotten() -> None:
    state = ThrottleState()
    for _ in range(ACCOUNT.free_failures):
        state = after_failure(state, T0, ACCOUNT)
    assert retry_after(state, T0) is not None
    assert retry_after(state, T0 + ACCOUNT.first_lock) is None
    later = T0 + ACCOUNT.forget_after + timedelta(seconds=1)
    fresh = after_failure(state, later, ACCOUNT)
    assert fresh.failures == 1 and retry_after(fresh, later) is None
