"""Access-log lines without the applicant's look-up secret: the public look-up takes it in the
query string (`?secret=…`), which uvicorn's access log would otherwise keep in clear."""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(r"(?i)([?&]secret=)[^&\s]*")


def redact(text: str) -> str:
    return _SECRET.sub(r"\1***", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    """Once per process (create_app may run several times in one)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())
