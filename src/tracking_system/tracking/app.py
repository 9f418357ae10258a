"""The tracking service's FastAPI application."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from tracking_system.common.app import create_service_app
from tracking_system.common.autopipeline import AutoPipeline
from tracking_system.common.redis import create_client
from tracking_system.tracking import live
from tracking_system.tracking.guard import QueryGuard
from tracking_system.tracking.ingest.apikeys import ApiKeyResolver
from tracking_system.tracking.ingest.pipeline import IngestPolicy
from tracking_system.tracking.ingest.umami import CacheTokens
from tracking_system.tracking.ingest.validation import Limits
from tracking_system.tracking.ingest.visitors import Visitors
from tracking_system.tracking.routes import (
    dropin,
    erasures,
    events,
    funnels,
    goals,
    ingest,
    refusals,
    stats,
)
from tracking_system.tracking.settings import TrackingSettings, get_settings
from tracking_system.tracking.stats import columnar


def create_app(settings: TrackingSettings | None = None) -> FastAPI:
    """Build the tracking service with its routers mounted."""
    settings = settings or get_settings()

    async def startup(app: FastAPI) -> None:
        app.state.query_guard = QueryGuard(
            concurrency=settings.queries_per_account, budget_seconds=settings.query_budget_seconds
        )
        app.state.live_redis = create_client(
            settings.redis_url,
            cluster=settings.redis_cluster,
            max_connections=settings.live_max_streams + 8,
        )
        app.state.live_slots = live.LiveSlots(
            total=settings.live_max_streams, per_account=settings.live_streams_per_account
        )
        app.state.live_policy = live.LivePolicy(
            recheck_seconds=settings.live_recheck_seconds, max_seconds=settings.live_max_seconds
        )
        app.state.resolver = ApiKeyResolver(
            app.state.redis, cache_seconds=settings.api_key_cache_seconds
        )
        app.state.ingest_policy = IngestPolicy(
            limits=Limits(),
            rate_limit_per_second=settings.ingest_rate_limit,
            max_backlog=settings.ingest_max_backlog,
            streams=settings.ingest_streams,
        )
        # Ingestion's Redis calls (a visit, the append), pipelined across concurrent requests.
        app.state.appender = None
        if not settings.redis_cluster and settings.redis_url.startswith("redis://"):
            app.state.appender = AutoPipeline(settings.redis_url, timeout_seconds=10)
        app.state.visitors = Visitors(app.state.redis, runner=app.state.appender)
        columnar.configure(cache_mb=settings.columnar_cache_mb)
        app.state.warming = None
        if settings.columnar_warm_days:
            app.state.warming = asyncio.create_task(
                columnar.warm_quietly(app.state.redis, days=settings.columnar_warm_days)
            )
        app.state.cache_tokens = CacheTokens(settings.internal_secret)

    async def shutdown(app: FastAPI) -> None:
        if app.state.warming is not None:
            app.state.warming.cancel()
        await app.state.live_redis.aclose()
        if app.state.appender is not None:
            app.state.appender.close()

    return create_service_app(
        name="tracking",
        settings=settings,
        routers=[
            ingest.router,
            dropin.router,
            stats.router,
            refusals.router,
            events.router,
            goals.router,
            funnels.router,
            erasures.router,
        ],
        on_startup=[startup],
        on_shutdown=[shutdown],
        fast_routes=lambda app: ingest.IngestFastRoutes(app.state, secret=settings.internal_secret),
    )
