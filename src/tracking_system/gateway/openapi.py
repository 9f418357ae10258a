"""The public OpenAPI description: the services' own documents, merged and cut down to the
routes the gateway exposes."""

from __future__ import annotations

import time
from html import escape
from typing import Any

import aiohttp
import orjson

from tracking_system import __version__
from tracking_system.gateway.routing import resolve

CACHE_SECONDS = 60.0
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


class PublicOpenApi:
    """Builds and caches the merged document."""

    def __init__(self, http: aiohttp.ClientSession, *, services: dict[str, str],
                 internal_headers: dict[str, str]) -> None:  # fmt: skip
        self._http = http
        self._services = services
        self._headers = internal_headers
        self._cached: tuple[dict[str, Any], float] | None = None

    async def document(self) -> dict[str, Any]:
        """The merged document (rebuilt at most once a minute)."""
        if self._cached and self._cached[1] > time.monotonic():
            return self._cached[0]
        doc = merge([await self._fetch(url) for url in self._services.values()])
        self._cached = (doc, time.monotonic() + CACHE_SECONDS)
        return doc

    async def _fetch(self, base_url: str) -> dict[str, Any]:
        async with self._http.get(base_url + "/openapi.json", headers=self._headers) as resp:
            resp.raise_for_status()
            loaded: dict[str, Any] = orjson.loads(await resp.read())
            return loaded


# The gateway's own /api/v1/health answer (gateway/routes/health.py), described by hand: the
# gateway has no response models of its own.
_HEALTH_SCHEMAS: dict[str, Any] = {
    "HealthComponent": {
        "title": "HealthComponent",
        "type": "object",
        "description": "One part of the system: `status` always; the rest when known "
        "(latencyMs for Redis and the services; consumers, lag, pending and deadLetters for "
        "the worker; error or reason when it cannot be told).",
        "properties": {
            "status": {"type": "string", "enum": ["up", "down", "unknown"]},
            "latencyMs": {"type": "number"},
            "error": {"type": "string"},
            "reason": {"type": "string"},
            "consumers": {"type": "integer"},
            "lag": {"type": "integer"},
            "pending": {"type": "integer"},
            "deadLetters": {"type": "integer"},
        },
        "required": ["status"],
    },
    "Health": {
        "title": "Health",
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "components": {
                "type": "object",
                "description": "gateway, redis, users, tracking and worker",
                "additionalProperties": {"$ref": "#/components/schemas/HealthComponent"},
            },
        },
        "required": ["status", "components"],
    },
    "Envelope_Health_": {
        "title": "Envelope[Health]",
        "type": "object",
        "properties": {
            "data": {"$ref": "#/components/schemas/Health"},
            "errors": {"type": "null", "default": None},
        },
        "required": ["data"],
    },
}
_HEALTH_ANSWER = {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope_Health_"}}}


def merge(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """One document with the public paths of all services."""
    paths: dict[str, Any] = {"/api/v1/health": {"get": {
        "summary": "State of Redis, the services and the worker",
        "tags": ["system"], "security": [],
        "responses": {"200": {"description": "All up", "content": _HEALTH_ANSWER},
                      "503": {"description": "Degraded", "content": _HEALTH_ANSWER}},
    }}}  # fmt: skip
    schemas: dict[str, Any] = dict(_HEALTH_SCHEMAS)
    for doc in documents:
        schemas.update(doc.get("components", {}).get("schemas", {}))
        for path, operations in doc.get("paths", {}).items():
            public = {}
            for method, operation in operations.items():
                route = resolve(method.upper(), path) if method in HTTP_METHODS else None
                if route is None:
                    continue
                if route.auth and "security" not in operation:
                    operation = {**operation, "security": [{"bearer": []}]}
                public[method] = operation
            if public:
                paths[path] = {**paths.get(path, {}), **public}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tracking System public API",
            "version": __version__,
            "description": "Every answer uses the envelope {data, errors}. See API.md.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def render_html(doc: dict[str, Any]) -> str:
    """A browsable page of the operations, with no script (the CSP allows none inline)."""
    rows = []
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            auth = "Bearer" if op.get("security") else "public"
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code></td>"
                f"<td>{escape(op.get('summary', ''))}</td><td>{auth}</td></tr>"
            )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Tracking System API</title>"
        "<style>body{font:15px system-ui;margin:2rem;max-width:70rem}td{padding:.3rem .8rem;"
        "border-bottom:1px solid #ddd}code{font-size:14px}</style>"
        f"<h1>{escape(doc['info']['title'])} <small>{escape(doc['info']['version'])}</small></h1>"
        "<p>Machine-readable: <a href=/api/v1/openapi.json>/api/v1/openapi.json</a>. "
        "Every JSON answer is <code>{data, errors}</code>.</p>"
        "<table><tr><th>method</th><th>path</th><th>summary</th><th>auth</th></tr>"
        + "".join(rows)
        + "</table></html>"
    )
