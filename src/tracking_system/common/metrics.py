"""Prometheus metrics: the /metrics route every service serves (loopback, no secrets in it)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

router = APIRouter()

# The apps' metrics are Prometheus'; FastAPI's native OpenTelemetry would otherwise look up the
# global providers (environment reads) on every request.
NO_OPENTELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    """Every metric of this process in the Prometheus text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
