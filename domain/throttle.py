"""Throttling of guessable secrets (an officer's password, an applicant's look-up secret): a
few free failures, then a temporary lock that doubles with each further failure."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    #: failures allowed before the first lock
    free_failures: int
    #: the first lock; each further failure doubles it
    first_lock: timedelta
    #: the longest lock
    max_lock: timedelta
    #: failures this old (since the last one) are forgotten
    forget_after: timedelta

    def lock_for(self, failures: int) -> timedelta:
        """How long the `failures`-th failure in a row locks the key (zero while free)."""
        excess = failures - self.free_failures
        if excess < 0:
            return timedelta(0)
        lock: timedelta = self.first_lock * (2 ** min(excess, 32))
        return min(lock, self.max_lock)


#: One officer's account: a person mistyping gets five tries, a guesser 30 s, 1 min, 2 min …
ACCOUNT = ThrottlePolicy(5, timedelta(seconds=30), timedelta(minutes=15), timedelta(hours=1))
#: One client address across accounts (an office behind one NAT address gets more).
ADDRESS = ThrottlePolicy(20, timedelta(seconds=30), timedelta(minutes=15), timedelta(hours=1))
#: One dossier's look-up secret, from anywhere.
DOSSIER_LOOKUP = ThrottlePolicy(5, timedelta(seconds=30), timedelta(minutes=15), timedelta(hours=1))


@dataclass(frozen=True)
class ThrottleState:
    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None


def retry_after(state: ThrottleState, now: datetime) -> int | None:
    """Whole seconds until the key may be tried again, or None when it may be tried now."""
    if state.locked_until is None or state.locked_until <= now:
        return None
    return max(1, math.ceil((state.locked_until - now).total_seconds()))


def after_failure(state: ThrottleState, now: datetime, policy: ThrottlePolicy) -> ThrottleState:
    """The state after one more failure at `now`."""
    stale = state.last_failure_at is None or now - state.last_failure_at >= policy.forget_after
    failures = 1 if stale else state.failures + 1
    lock = policy.lock_for(failures)
    return replace(
        state,
        failures=failures,
        last_failure_at=now,
        locked_until=now + lock if lock else None,
    )
