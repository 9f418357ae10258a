"""A JSON response rendered with orjson (fast, and exact for non-ASCII text)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel
from starlette.responses import JSONResponse

T = TypeVar("T")


class JsonResponse(JSONResponse):
    """application/json rendered by orjson. A JSONResponse, so a route that names it as its
    `response_class` still has its `response_model` described in the OpenAPI document."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Serialize the payload."""
        return orjson.dumps(content)


class Envelope(BaseModel, Generic[T]):
    """The success envelope every JSON answer uses: `{"data": ..., "errors": null}`."""

    data: T
    errors: None = None
