"""The public OpenAPI document describes every answer, so the dashboard's types can be generated
from it (dashboard/src/api/schema.gen.ts, `make types`): a public route without a response model
fails here. The document is built offline, as `make types` builds it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.support.processes import REPO_ROOT
from tests.support.system import System
from tracking_system.common.responses import Envelope
from tracking_system.openapi_doc import public_document, render
from tracking_system.tracking import schemas
from tracking_system.tracking.explorer import COLUMNS, to_item
from tracking_system.tracking.ingest.pipeline import IngestResult
from tracking_system.tracking.routes.ingest import _answer

METHODS = ("get", "post", "put", "patch", "delete")
# Answers that are not JSON: the media types each must document instead.
STREAMED = {
    ("get", "/api/v1/events/export"): {"text/csv", "application/x-ndjson"},
    ("get", "/api/v1/events/live"): {"text/event-stream"},
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return public_document()


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if method in METHODS:
                yield method, path, operation


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_public_operation_describes_its_answer(document: dict[str, Any]) -> None:
    schemas_ = document["components"]["schemas"]
    undescribed: list[tuple[str, str, Any]] = []
    count = 0
    for method, path, operation in _operations(document):
        count += 1
        success = {
            code: answer
            for code, answer in operation["responses"].items()
            if code.startswith("2") and code != "204"
        }
        if not success and "204" in operation["responses"]:
            continue  # no body to describe
        if (method, path) in STREAMED:
            media = {m.split(";")[0] for a in success.values() for m in a.get("content", {})}
            if not STREAMED[(method, path)] <= media:
                undescribed.append((method.upper(), path, sorted(media)))
            continue
        described = False
        for answer in success.values():
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            ref = schema.get("$ref", "")
            name = ref.removeprefix("#/components/schemas/")
            if ref.startswith("#/components/schemas/") and schemas_.get(name, {}).get("properties"):
                described = True
        if not described:
            undescribed.append((method.upper(), path, success))
    assert count >= 25
    assert not undescribed, f"public operations without a JSON response model: {undescribed}"


def test_no_two_models_share_a_name(document: dict[str, Any]) -> None:
    """FastAPI names colliding models by their module path; the generated types would be
    named that way too."""
    names = list(document["components"]["schemas"])
    assert [n for n in names if "tracking_system__" in n] == []


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    names = set(document["components"]["schemas"])
    dangling = {
        ref
        for ref in _refs(document)
        if ref.startswith("#/components/schemas/")
        and ref.removeprefix("#/components/schemas/") not in names
    }
    assert not dangling


def test_the_explorer_and_ingestion_answers_are_described(document: dict[str, Any]) -> None:
    paths = document["paths"]
    explorer = paths["/api/v1/events"]["get"]["responses"]["200"]["content"]["application/json"]
    assert explorer["schema"]["$ref"] == "#/components/schemas/Envelope_EventsPage_"
    for path in ("/api/v1/events", "/api/v1/events/test"):
        answer = paths[path]["post"]["responses"]["202"]["content"]["application/json"]
        assert answer["schema"]["$ref"] == "#/components/schemas/Envelope_IngestResult_"
    item = document["components"]["schemas"]["StoredEvent"]
    assert list(item["properties"]) == list(COLUMNS)
    assert set(item["required"]) == set(COLUMNS)
    health = paths["/api/v1/health"]["get"]["responses"]
    assert {"200", "503"} <= set(health)
    for answer in (health["200"], health["503"]):
        schema = answer["content"]["application/json"]["schema"]
        assert schema["$ref"] == "#/components/schemas/Envelope_Health_"


def test_the_explorer_item_model_is_the_stored_shape() -> None:
    """Every column, in the explorer's order, null where the event has none: validating an item
    changes neither its keys, nor their order, nor the bytes orjson renders."""
    assert list(schemas.StoredEvent.model_fields) == list(COLUMNS)
    full = {
        "site": "s1", "eventId": "e-1", "eventTime": "1700000000123", "eventName": "PAGE_VIEW",
        "page": "https://example.com/pricing?x=1", "path": "/pricing", "userId": "u1",
        "sessionId": "s-1", "referrer": "https://www.google.com/", "referrerDomain": "google.com",
        "utmSource": "news", "utmMedium": "email", "utmCampaign": "launch", "browser": "Chrome",
        "os": "Mac OS X", "device": "Desktop", "country": "DE", "bot": "0",
        "createdAt": "1700000000456", "_context": '{"plan":"pro","n":1.5,"tags":["a"],"ü":null}',
    }  # fmt: skip
    for stored in (full, {"site": "s1"}, {**full, "_context": "{}", "bot": "1"}):
        item = to_item("Event:{s1}:01HZZZZZZZZZZZZZZZZZZZZZZZ", stored)
        page = {"items": [item], "nextCursor": None}
        validated = Envelope[schemas.EventsPage].model_validate({"data": page, "errors": None})
        dumped = validated.model_dump(mode="json")
        assert orjson.dumps(dumped) == orjson.dumps({"data": page, "errors": None})


def test_the_ingestion_answer_matches_its_model() -> None:
    result = IngestResult(accepted=2, rejected=[{"index": 1, "errors": {"eventName": "Required"}}],
                          excluded={"bot": 1})  # fmt: skip
    body = orjson.loads(_answer(result).body)
    validated = Envelope[schemas.IngestResult].model_validate(body)
    assert validated.model_dump(mode="json") == body
    assert list(body["data"]) == ["accepted", "rejected", "excluded"]


def test_the_generator_needs_no_redis_and_ignores_the_environment(
    document: dict[str, Any],
) -> None:
    """`tracking-system openapi` with no Redis reachable and settings a service would refuse to
    start with: the same document, as sorted JSON."""
    env = {
        **os.environ,
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "APP_ENV": "production",
        "INTERNAL_SECRET": "",
        "QUERIES_PER_ACCOUNT": "not a number",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tracking_system", "openapi"],
        cwd=REPO_ROOT, env=env, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == render(document)
    assert orjson.loads(result.stdout) == document


def test_the_gateway_serves_the_generated_document(system: System) -> None:
    """What the dashboard's types are generated from is what the running gateway publishes."""
    served = httpx.get(system.gateway_url + "/api/v1/openapi.json").json()
    assert served == public_document()
