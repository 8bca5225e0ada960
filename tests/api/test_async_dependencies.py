"""Every route and every dependency of the app is `async def`: FastAPI runs a plain `def` in
its thread pool, a thread hand-off per call and request for a dependency that only reads the
app's state."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIRouter
from fastapi.security import OAuth2PasswordRequestForm
from starlette.routing import BaseRoute

from api.app import create_app
from config import Settings

#: FastAPI's OAuth2 sign-in form: a class it builds in the thread pool, once per sign-in
ALLOWED: set[object] = {OAuth2PasswordRequestForm}


def _is_async(call: object) -> bool:
    return call in ALLOWED or any(
        inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f)
        for f in (call, getattr(call, "__call__", None))  # noqa: B004 (security schemes)
    )


def _calls(dependant: Dependant, path: str) -> Iterator[tuple[str, object]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield (
                f"{path} ← {getattr(dependency.call, '__qualname__', dependency.call)}",
                (dependency.call),
            )
        yield from _calls(dependency, path)


def _routes(routes: list[BaseRoute]) -> Iterator[tuple[str, object]]:
    """(where, callable) for every endpoint and dependency, through the included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route.path, route.endpoint
            yield from _calls(route.dependant, route.path)
        router = getattr(route, "original_router", None)  # an included router
        if isinstance(router, APIRouter):
            context = getattr(route, "include_context", None)
            for depends in [*router.dependencies, *getattr(context, "dependencies", [])]:
                yield f"router {router.prefix!r}", depends.dependency
            yield from _routes(router.routes)


def test_no_route_or_dependency_runs_in_the_thread_pool(settings: Settings) -> None:
    found = list(_routes(create_app(settings).routes))
    assert len(found) > 100, "the API's and the console's routes should all be here"
    sync = {where for where, call in found if not _is_async(call)}
    assert not sync, "make these `async def`:\n" + "\n".join(sorted(sync))
