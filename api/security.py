"""Password hashing (bcrypt) and bearer tokens (JWT, HS256)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

import bcrypt
import jwt

ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode()[:72], password_hash.encode())
    except ValueError:
        return False


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_password_or_dummy(password: str, password_hash: str | None) -> bool:
    """Check a password against an officer's hash, or against a dummy one when there is no
    such officer, so an unknown username takes as long to refuse as a wrong password."""
    if password_hash is None:
        verify_password(password, _dummy_hash())
        return False
    return verify_password(password, password_hash)


def create_token(username: str, *, secret: str, ttl_minutes: int) -> str:
    now = datetime.now(UTC)
    claims = {"sub": username, "iat": now, "exp": now + timedelta(minutes=ttl_minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def token_subject(token: str, *, secret: str) -> str | None:
    """The username a valid, unexpired token was issued to, or None (a token without `exp`
    is refused: every token we issue carries one)."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat"]}
        )
    except jwt.PyJWTError:
        return None
    subject = claims.get("sub")
    return subject if isinstance(subject, str) else None
