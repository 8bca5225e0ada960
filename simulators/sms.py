"""SMS-gateway simulator: a real HTTP service taking the messages motcua sends to applicants'
phones, with an inbox tests read and a switch that makes it fail, under ``/_sim/``.

Run it with ``python -m simulators.sms --host 127.0.0.1 --port 8103 --api-key ...``.

- ``POST /sms/send`` ``{to, text}`` with ``X-Api-Key`` → ``{id, status: "accepted"}``;
  a wrong key answers 401, a number that is not a phone number 422, and 503 while down.
- ``GET /_sim/inbox?to=…`` → the messages taken, oldest first.
- ``POST /_sim/down`` ``{down: true|false}``: refuse every message (503) until switched back.
- ``DELETE /_sim/inbox``: forget the messages taken.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Annotated

import uvicorn
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

log = logging.getLogger(__name__)

#: A Vietnamese mobile number, national (0…) or international (+84…) form.
PHONE = re.compile(r"^(\+84|0)\d{8,10}$")


@dataclass
class Sms:
    id: int
    to: str
    text: str
    at: str


@dataclass
class Gateway:
    api_key: str
    down: bool = False
    inbox: list[Sms] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class SendIn(BaseModel):
    to: str = Field(max_length=20)
    text: str = Field(min_length=1, max_length=1600)


class DownIn(BaseModel):
    down: bool


def create_app(api_key: str) -> FastAPI:
    gateway = Gateway(api_key=api_key)
    app = FastAPI(title="SMS gateway simulator")
    app.state.gateway = gateway

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/sms/send")
    async def send(body: SendIn, x_api_key: Annotated[str, Header()] = "") -> dict[str, object]:
        if gateway.down:
            raise HTTPException(503, "the SMS gateway is down (simulated)")
        if x_api_key != gateway.api_key:
            raise HTTPException(401, "wrong API key")
        number = re.sub(r"[\s.-]", "", body.to)
        if not PHONE.match(number):
            raise HTTPException(422, f"{body.to!r} is not a Vietnamese mobile number")
        sms = Sms(next(gateway.ids), number, body.text, datetime.now(UTC).isoformat())
        gateway.inbox.append(sms)
        log.info("sms %s to %s: %s", sms.id, sms.to, sms.text)
        return {"id": sms.id, "status": "accepted"}

    @app.get("/_sim/inbox")
    async def inbox(to: str = "") -> list[dict[str, object]]:
        return [asdict(s) for s in gateway.inbox if not to or s.to == to]

    @app.delete("/_sim/inbox")
    async def clear() -> dict[str, int]:
        dropped = len(gateway.inbox)
        gateway.inbox.clear()
        return {"dropped": dropped}

    @app.post("/_sim/down")
    async def switch(body: DownIn) -> dict[str, bool]:
        gateway.down = body.down
        return {"down": gateway.down}

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="SMS gateway simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8103)
    parser.add_argument("--api-key", default="demo-sms-key")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    uvicorn.run(create_app(args.api_key), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
