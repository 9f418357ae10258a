"""A JSON response rendered with orjson (fast, and exact for non-ASCII text)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JsonResponse(Response):
    """application/json rendered by orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Serialize the payload."""
        return orjson.dumps(content)
