"""The one-time code before an online filing: channel by contact, only a keyed hash kept,
expiry, a bounded number of tries and of resends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.verification import (
    POLICY,
    ContactChannel,
    InvalidContact,
    Outcome,
    contact_channel,
    hash_code,
    new_code,
    open_challenge,
    resend_refused,
    resent,
    verify,
)

KEY = "server-secret"
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        (" An.Nguyen@Example.VN ", (ContactChannel.EMAIL, "an.nguyen@example.vn")),
        ("0912 345 678", (ContactChannel.SMS, "0912345678")),
        ("+84912345678", (ContactChannel.SMS, "0912345678")),
    ],
)
def test_the_contact_names_its_channel(contact: str, expected: tuple[str, str]) -> None:
    assert contact_channel(contact) == expected


@pytest.mark.parametrize("contact", ["", "an@", "12345", "0212345678", "a b@c.vn"])
def test_anything_else_is_refused(contact: str) -> None:
    with pytest.raises(InvalidContact):
        contact_channel(contact)


def test_codes_are_digits_and_only_their_keyed_hash_is_kept() -> None:
    code = new_code()
    assert len(code) == POLICY.code_length and code.isdigit()
    challenge, sent = open_challenge("c1", "an@example.vn", KEY, NOW, code="123456")
    assert sent == "123456" and "123456" not in challenge.code_hash
    assert challenge.code_hash == hash_code(KEY, "c1", "123456")
    assert challenge.code_hash != hash_code("other-key", "c1", "123456")
    assert challenge.code_hash != hash_code(KEY, "c2", "123456")


def test_the_right_code_verifies_once() -> None:
    challenge, code = open_challenge("c1", "an@example.vn", KEY, NOW)
    outcome, done = verify(challenge, code, KEY, NOW + timedelta(minutes=1))
    assert outcome == Outcome.VERIFIED and done.verified_at is not None
    assert verify(done, code, KEY, NOW + timedelta(minutes=2))[0] == Outcome.USED


def test_wrong_codes_count_and_then_even_the_right_one_is_refused() -> None:
    challenge, code = open_challenge("c1", "0912345678", KEY, NOW, code="111111")
    outcomes = []
    for _ in range(POLICY.max_attempts):
        outcome, challenge = verify(challenge, "999999", KEY, NOW)
        outcomes.append(outcome)
    assert outcomes == [Outcome.WRONG] * (POLICY.max_attempts - 1) + [Outcome.EXHAUSTED]
    assert verify(challenge, code, KEY, NOW)[0] == Outcome.EXHAUSTED


def test_a_code_expires() -> None:
    challenge, code = open_challenge("c1", "an@example.vn", KEY, NOW)
    assert verify(challenge, code, KEY, NOW + POLICY.ttl)[0] == Outcome.EXPIRED


def test_resends_wait_and_are_bounded_and_replace_the_code() -> None:
    challenge, first = open_challenge("c1", "an@example.vn", KEY, NOW, code="111111")
    assert resend_refused(challenge, NOW + timedelta(seconds=10))
    later = NOW + POLICY.resend_after
    assert resend_refused(challenge, later) is None
    challenge, second = resent(challenge, KEY, later, code="222222")
    assert verify(challenge, first, KEY, later)[0] == Outcome.WRONG
    assert verify(challenge, second, KEY, later)[0] == Outcome.VERIFIED
    for _ in range(POLICY.max_sends - 2):
        later += POLICY.resend_after
        challenge, _ = resent(challenge, KEY, later)
    assert resend_refused(challenge, later + POLICY.resend_after)
