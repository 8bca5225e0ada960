"""The access log never keeps an applicant's look-up secret."""

from __future__ import annotations

import logging

import pytest

from api import logsafe


def test_the_look_up_secret_is_redacted_from_access_lines(caplog: pytest.LogCaptureFixture) -> None:
    logsafe.install()
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "203.0.113.7:5000",
            "GET",
            "/api/v1/public/dossiers/000.00.14.H29-261202-0001?secret=Zx81kQ-abc&x=1",
            "1.1",
            200,
        )
    [line] = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert "Zx81kQ-abc" not in line
    assert "?secret=***&x=1" in line and "203.0.113.7" in line
