"""The public OpenAPI document, built offline: no Redis, no running service.

The user and tracking apps are built in-process (building an app connects to nothing; Redis is
reached only when one starts serving) and their documents merged with the gateway's own `merge`,
so the result is what `/api/v1/openapi.json` serves. `make types` turns it into the dashboard's
`src/api/schema.gen.ts`; `make types-check` fails when that file is stale.

    tracking-system openapi [-o FILE]      (or: python -m tracking_system.openapi_doc)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import orjson

from tracking_system.gateway.openapi import merge


def public_document() -> dict[str, Any]:
    """The merged public document, independent of the environment (every setting at its
    default, read from no variable)."""
    from tracking_system.tracking.app import create_app as create_tracking
    from tracking_system.tracking.settings import TrackingSettings
    from tracking_system.users.app import create_app as create_users
    from tracking_system.users.settings import UsersSettings

    users = create_users(UsersSettings.model_construct())
    tracking = create_tracking(TrackingSettings.model_construct())
    return merge([users.openapi(), tracking.openapi()])


def render(doc: dict[str, Any]) -> bytes:
    """Indented JSON with sorted keys and a final newline: the same bytes for the same API."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the document (or write it to `-o FILE`)."""
    parser = argparse.ArgumentParser(
        prog="python -m tracking_system.openapi_doc",
        description="Print the public OpenAPI document without Redis or any running service.",
    )
    parser.add_argument("-o", "--output", help="write to this file instead of stdout")
    args = parser.parse_args(argv)
    data = render(public_document())
    if args.output:
        with open(args.output, "wb") as out:
            out.write(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
