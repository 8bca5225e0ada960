"""The Codec Server Protocol over `workflows.codec`, mounted at /temporal-codec: the Temporal
UI (`TEMPORAL_CODEC_ENDPOINT`, or `temporal server start-dev --ui-codec-endpoint` under
`make run`) and `temporal workflow show --codec-endpoint` send it the compressed payloads of a
history and show what comes back. It only undoes (or applies) compression, so it answers
without a sign-in: it never tells a caller more than the bytes the caller sent. Requests from
the browser come from the UI's origin (`MOTCUA_TEMPORAL_UI_ORIGINS`)."""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable

from fastapi import FastAPI, HTTPException
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payload

from workflows.codec import PayloadTooLarge, compress, decompress

#: Payloads per request: a history page's worth.
MAX_PAYLOADS = 1000


class JSONPayload(BaseModel):
    metadata: dict[str, str] = Field(default_factory=dict)
    data: str = ""


class Payloads(BaseModel):
    payloads: list[JSONPayload] = Field(max_length=MAX_PAYLOADS)


def _from_json(payload: JSONPayload) -> Payload:
    try:
        return Payload(
            metadata={k: base64.b64decode(v, validate=True) for k, v in payload.metadata.items()},
            data=base64.b64decode(payload.data, validate=True),
        )
    except (binascii.Error, ValueError) as exc:
        raise HTTPException(400, "metadata values and data must be base64") from exc


def _to_json(payload: Payload) -> JSONPayload:
    return JSONPayload(
        metadata={k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        data=base64.b64encode(payload.data).decode(),
    )


def _apply(body: Payloads, step: Callable[[Payload], Payload]) -> Payloads:
    try:
        return Payloads(payloads=[_to_json(step(_from_json(p))) for p in body.payloads])
    except PayloadTooLarge as exc:
        raise HTTPException(413, str(exc)) from exc
    except (zlib.error, ValueError) as exc:  # ValueError: protobuf's DecodeError
        raise HTTPException(400, f"a payload marked compressed does not decompress: {exc}") from exc


def codec_app(ui_origins: list[str]) -> FastAPI:
    app = FastAPI(title="motcua payload codec", openapi_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=ui_origins,
        allow_methods=["POST"],
        allow_headers=["content-type", "x-namespace", "authorization"],
    )

    # the CLI templates the namespace into the endpoint: both forms are served
    @app.post("/decode")
    @app.post("/{namespace}/decode")
    async def decode(body: Payloads) -> Payloads:
        return _apply(body, decompress)

    @app.post("/encode")
    @app.post("/{namespace}/encode")
    async def encode(body: Payloads) -> Payloads:
        return _apply(body, compress)

    return app
