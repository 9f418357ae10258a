"""Lua scripts run by their digest, through redis-py's client or the auto-pipelined connection."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable
from typing import Any, Protocol

from redis.exceptions import NoScriptError


class ScriptClient(Protocol):
    """What runs a script: redis-py's client, or the auto-pipelined connection."""

    def evalsha(self, sha: str, numkeys: int, *args: Any) -> Awaitable[Any]: ...

    def eval(self, script: str, numkeys: int, *args: Any) -> Awaitable[Any]: ...


class Script:
    """A Lua script run by its digest (EVAL of the source only when Redis lacks it)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def run(self, client: ScriptClient, script_keys: list[str], args: list[Any]) -> Any:
        """Its answer for these keys and arguments."""
        try:
            return await client.evalsha(self.sha, len(script_keys), *script_keys, *args)
        except NoScriptError:
            return await client.eval(self.source, len(script_keys), *script_keys, *args)
