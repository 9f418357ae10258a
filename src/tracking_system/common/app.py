"""What every FastAPI service shares: envelope errors, the credential check, Redis, /health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
import structlog
from fastapi import APIRouter, FastAPI

from tracking_system import __version__
from tracking_system.common.errors import install_error_handlers
from tracking_system.common.fastpath import FAST_ROUTES, FastRoutes
from tracking_system.common.internal import InternalCredentialMiddleware
from tracking_system.common.metrics import NO_OPENTELEMETRY
from tracking_system.common.metrics import router as metrics_router
from tracking_system.common.redis import check_capabilities, create_client, wait_for_redis
from tracking_system.common.settings import CommonSettings

log = structlog.get_logger(__name__)

Hook = Callable[[FastAPI], Awaitable[None]]


def create_service_app(
    *,
    name: str,
    settings: CommonSettings,
    routers: Sequence[APIRouter],
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    fast_routes: Callable[[FastAPI], FastRoutes] | None = None,
) -> FastAPI:
    """Build an internal service: only the gateway, holding the credential, may call it.
    `fast_routes`, built once started, serves hot routes at the HTTP protocol (fastpath.py)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        redis: aioredis.Redis = create_client(settings.redis_url, cluster=settings.redis_cluster)
        await wait_for_redis(redis)
        await check_capabilities(redis)
        app.state.redis = redis
        app.state.settings = settings
        for hook in on_startup:
            await hook(app)
        log.info("service_started", service=name, version=__version__)
        try:
            yield {} if fast_routes is None else {FAST_ROUTES: fast_routes(app)}
        finally:
            for hook in on_shutdown:
                await hook(app)
            await redis.aclose()

    app = FastAPI(
        title=f"Tracking System {name} service",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        telemetry=NO_OPENTELEMETRY,
    )
    app.add_middleware(InternalCredentialMiddleware, secret=settings.internal_secret)
    install_error_handlers(app)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, Any]:
        return {"status": "ok", "service": name}

    app.include_router(metrics_router)
    for router in routers:
        app.include_router(router)
    return app
