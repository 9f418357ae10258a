"""The gateway's FastAPI application: all routers and middleware mounted in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import structlog
from fastapi import FastAPI

from tracking_system import __version__
from tracking_system.common.errors import install_error_handlers
from tracking_system.common.fastpath import FAST_ROUTES
from tracking_system.common.internal import INTERNAL_TOKEN_HEADER
from tracking_system.common.metrics import NO_OPENTELEMETRY
from tracking_system.common.redis import create_client
from tracking_system.gateway.auth import Authenticator
from tracking_system.gateway.ingest import IngestFastRoutes
from tracking_system.gateway.middleware import (
    CorsMiddleware,
    PathGuardMiddleware,
    SecurityHeadersMiddleware,
)
from tracking_system.gateway.openapi import PublicOpenApi
from tracking_system.gateway.routes import api, docs, health, static
from tracking_system.gateway.settings import GatewaySettings, get_settings
from tracking_system.gateway.upstream import UpstreamPool

log = structlog.get_logger(__name__)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """Build the gateway."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        connector = aiohttp.TCPConnector(
            limit=settings.upstream_connections, keepalive_timeout=30, ttl_dns_cache=300
        )
        http = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=5, sock_read=settings.upstream_timeout_seconds
            ),
            auto_decompress=False,
            skip_auto_headers=("User-Agent",),
            cookie_jar=aiohttp.DummyCookieJar(),  # a proxy keeps no cookies of its own
        )
        redis = create_client(
            settings.redis_url, cluster=settings.redis_cluster, max_connections=16
        )
        app.state.settings = settings
        app.state.http = http
        app.state.redis = redis
        app.state.auth = Authenticator(
            http,
            users_url=settings.users_url,
            internal_headers={INTERNAL_TOKEN_HEADER: settings.internal_secret},
            cache_seconds=settings.auth_cache_seconds,
        )
        app.state.openapi = PublicOpenApi(
            http,
            services={"users": settings.users_url, "tracking": settings.tracking_url},
            internal_headers={INTERNAL_TOKEN_HEADER: settings.internal_secret},
        )
        fast_routes = {}
        if settings.tracking_url.startswith("http://"):
            upstream = UpstreamPool(
                settings.tracking_url,
                size=settings.upstream_connections,
                timeout_seconds=settings.upstream_timeout_seconds,
            )
            fast_routes[FAST_ROUTES] = IngestFastRoutes(settings, upstream)
        log.info("service_started", service="gateway", version=__version__, port=settings.port)
        try:
            yield fast_routes
        finally:
            if fast_routes:
                upstream.close()
            await http.close()
            await redis.aclose()

    app = FastAPI(
        title="Tracking System",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        telemetry=NO_OPENTELEMETRY,
        openapi_url=None,
    )
    # Added innermost first: security headers wrap everything, the path check refuses ambiguous
    # paths before anything else reads them, CORS answers preflights, and public ingestion
    # POSTs leave for the tracking service before the router (when the protocol's fast route,
    # ingest.py, has not already sent them).
    app.add_middleware(api.IngestFastPath)
    app.add_middleware(CorsMiddleware, dashboard_origins=settings.cors_origins)
    app.add_middleware(PathGuardMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(api.router)
    app.include_router(static.router)
    return app
