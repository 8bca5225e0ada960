"""The one-time code (mã xác thực OTP) that proves an applicant's contact before an online
dossier is filed without a clerk: which channel a contact is reached on, the code and its
keyed hash (only the hash is stored), its expiry, the tries it allows and how often it may be
sent again. Pure rules: the API stores the challenge and writes the notification."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class ContactChannel(StrEnum):
    """The notification outbox's channel a contact is reached on."""

    EMAIL = "email"
    SMS = "sms"


class InvalidContact(ValueError):
    """Neither an e-mail address nor a Vietnamese phone number (→ 422)."""


@dataclass(frozen=True)
class VerificationPolicy:
    code_length: int = 6
    #: a code is good for this long after it was (last) sent
    ttl: timedelta = timedelta(minutes=10)
    #: wrong codes allowed on one challenge; then it is spent and a new one must be asked for
    max_attempts: int = 5
    #: sends of one challenge in all (the first and its resends)
    max_sends: int = 3
    #: the shortest wait between two sends
    resend_after: timedelta = timedelta(seconds=60)


POLICY = VerificationPolicy()

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
#: 0xxxxxxxxx (10 digits) or +84xxxxxxxxx
_PHONE = re.compile(r"^(?:\+84|84|0)([35789]\d{8})$")


def contact_channel(contact: str) -> tuple[ContactChannel, str]:
    """The channel and the normalized contact (lower-case address, phone as 0xxxxxxxxx)."""
    value = contact.strip()
    if "@" in value:
        if len(value) > 200 or not _EMAIL.match(value):
            raise InvalidContact(f"{value!r} is not an e-mail address")
        return ContactChannel.EMAIL, value.lower()
    digits = re.sub(r"[\s.\-()]", "", value)
    match = _PHONE.match(digits)
    if match is None:
        raise InvalidContact(
            f"{value!r} is neither an e-mail address nor a mobile number (e.g. 0912345678)"
        )
    return ContactChannel.SMS, "0" + match.group(1)


def new_code(length: int = POLICY.code_length) -> str:
    """A code of `length` decimal digits from the system's secure random source."""
    return "".join(secrets.choice("0123456789") for _ in range(length))


def hash_code(key: str, challenge_id: str, code: str) -> str:
    """The keyed hash stored for `code`: HMAC-SHA256 under a server secret, salted by the
    challenge, so a copy of the table does not give the six digits away by brute force."""
    message = f"{challenge_id}:{code.strip()}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


class Outcome(StrEnum):
    VERIFIED = "verified"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # too many wrong codes
    USED = "used"  # verified already


#: What the applicant is told for each refusal (Vietnamese, as the page shows it).
MESSAGES = {
    Outcome.WRONG: "Mã xác thực không đúng.",
    Outcome.EXPIRED: "Mã xác thực đã hết hạn; hãy yêu cầu gửi lại mã.",
    Outcome.EXHAUSTED: "Đã nhập sai quá số lần cho phép; hãy yêu cầu một mã mới.",
    Outcome.USED: "Mã xác thực này đã được dùng.",
}


@dataclass(frozen=True)
class Challenge:
    id: str
    channel: ContactChannel
    contact: str
    code_hash: str
    sent_at: datetime
    sends: int = 1
    attempts: int = 0
    verified_at: datetime | None = None

    def expires_at(self, policy: VerificationPolicy = POLICY) -> datetime:
        return self.sent_at + policy.ttl


def open_challenge(
    challenge_id: str,
    contact: str,
    key: str,
    now: datetime,
    code: str | None = None,
    policy: VerificationPolicy = POLICY,
) -> tuple[Challenge, str]:
    """A new challenge for `contact` and the code to send (stored only as its hash)."""
    channel, normalized = contact_channel(contact)
    code = code or new_code(policy.code_length)
    challenge = Challenge(
        id=challenge_id,
        channel=channel,
        contact=normalized,
        code_hash=hash_code(key, challenge_id, code),
        sent_at=now,
    )
    return challenge, code


def verify(
    challenge: Challenge, code: str, key: str, now: datetime, policy: VerificationPolicy = POLICY
) -> tuple[Outcome, Challenge]:
    """The outcome of trying `code` and the challenge after it (a wrong try counts)."""
    if challenge.verified_at is not None:
        return Outcome.USED, challenge
    if challenge.attempts >= policy.max_attempts:
        return Outcome.EXHAUSTED, challenge
    if now >= challenge.expires_at(policy):
        return Outcome.EXPIRED, challenge
    given = hash_code(key, challenge.id, code)
    if not hmac.compare_digest(given, challenge.code_hash):
        spent = replace(challenge, attempts=challenge.attempts + 1)
        if spent.attempts >= policy.max_attempts:
            return Outcome.EXHAUSTED, spent
        return Outcome.WRONG, spent
    return Outcome.VERIFIED, replace(challenge, verified_at=now)


def resend_refused(
    challenge: Challenge, now: datetime, policy: VerificationPolicy = POLICY
) -> str | None:
    """Why the code may not be sent again now (in Vietnamese), or None."""
    if challenge.verified_at is not None:
        return MESSAGES[Outcome.USED]
    if challenge.attempts >= policy.max_attempts:
        return MESSAGES[Outcome.EXHAUSTED]
    if challenge.sends >= policy.max_sends:
        return "Đã gửi lại mã quá số lần cho phép; hãy bắt đầu lại sau ít phút."
    wait = challenge.sent_at + policy.resend_after - now
    if wait > timedelta(0):
        return f"Vui lòng chờ {int(wait.total_seconds()) + 1} giây trước khi gửi lại mã."
    return None


def resent(
    challenge: Challenge,
    key: str,
    now: datetime,
    code: str | None = None,
    policy: VerificationPolicy = POLICY,
) -> tuple[Challenge, str]:
    """The challenge with a fresh code (the old one no longer works) and that code."""
    code = code or new_code(policy.code_length)
    fresh = replace(
        challenge,
        code_hash=hash_code(key, challenge.id, code),
        sent_at=now,
        sends=challenge.sends + 1,
    )
    return fresh, code


def message_of(code: str, policy: VerificationPolicy = POLICY) -> tuple[str, str]:
    """Subject and body of the notification carrying `code`."""
    minutes = int(policy.ttl.total_seconds() // 60)
    return (
        "Mã xác thực nộp hồ sơ trực tuyến",
        f"Mã xác thực của bạn là {code}. Mã có hiệu lực trong {minutes} phút. "
        "Không cung cấp mã này cho bất kỳ ai.",
    )
