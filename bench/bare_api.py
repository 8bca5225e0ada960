"""The lifecycle's shape through a bare HTTP API: the least an HTTP layer in front of it costs.

A FastAPI app run by uvicorn exactly as the stack runs motcua's API (one worker, no access log),
with nothing of the API's own: no sign-in, no scopes, no database, no read-back. It starts a
`LifecycleShapeWorkflow` (bench/bare.py) on the bare worker's queue, sends it the lifecycle's
updates one request each, and answers a last request once the shape and its sync companion
have finished. Its rate against the shape's, driven by the client directly, is what the HTTP
layer alone takes; motcua's lifecycles against it, what the rest of the API, the read model
and the portal take.

python -m uvicorn bench.bare_api:create_app --factory --port PORT
                                          # address from MOTCUA_TEMPORAL_ADDRESS
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from pydantic import BaseModel
from temporalio.client import Client

from bench.bare import QUEUE, LifecycleShapeWorkflow, Ping, Step

PATH = "/shapes"


class Started(BaseModel):
    id: str


class StepIn(BaseModel):
    n: int
    last: bool = False


class Stepped(BaseModel):
    steps: int


class Finished(BaseModel):
    steps: int
    sync_rounds: int


def create_app(temporal: Client | None = None, queue: str = QUEUE) -> FastAPI:
    """The app; without `temporal`, it connects at start-up (MOTCUA_TEMPORAL_ADDRESS)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if temporal is None:
            from config import get_settings
            from workflows.client import connect

            app.state.temporal = await connect(get_settings())
        yield

    app = FastAPI(lifespan=lifespan)
    app.state.temporal = temporal

    @app.post(PATH, status_code=201)
    async def start(plan: StepIn, request: Request) -> Started:
        """Start a shape that ends after `plan.n` steps."""
        shape_id = f"bench-http-shape-{uuid.uuid4().hex}"
        await request.app.state.temporal.start_workflow(
            LifecycleShapeWorkflow.run, Ping(plan.n), id=shape_id, task_queue=queue
        )
        return Started(id=shape_id)

    @app.post(PATH + "/{shape_id}/steps")
    async def step(shape_id: str, body: StepIn, request: Request) -> Stepped:
        handle = request.app.state.temporal.get_workflow_handle(shape_id)
        steps = await handle.execute_update(
            LifecycleShapeWorkflow.step, Step(body.n, last=body.last)
        )
        return Stepped(steps=steps)

    @app.get(PATH + "/{shape_id}/result")
    async def result(shape_id: str, request: Request) -> Finished:
        temporal = request.app.state.temporal
        steps = await temporal.get_workflow_handle(shape_id).result()
        rounds = await temporal.get_workflow_handle(f"{shape_id}-sync").result()
        return Finished(steps=steps, sync_rounds=rounds)

    return app
