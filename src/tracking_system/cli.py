"""The `tracking-system` command: run the whole system or any one of its processes."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import Any

import uvicorn
from pydantic import ValidationError

from tracking_system import __version__
from tracking_system.common.logging import configure_logging
from tracking_system.common.redis import MissingModulesError, check_capabilities, create_client
from tracking_system.common.settings import CommonSettings
from tracking_system.common.urls import redact_url
from tracking_system.common.zones import DEFAULT_ZONE

SERVICES = {
    "gateway": "tracking_system.gateway",
    "users": "tracking_system.users",
    "tracking": "tracking_system.tracking",
}


def _fail(message: str, code: int = 1) -> int:
    print(f"tracking-system: {message}", file=sys.stderr, flush=True)
    return code


def _settings_error(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
    )


class OutdatedLayoutError(RuntimeError):
    """The server holds data in a layout this release does not read."""


async def _preflight(url: str, *, cluster: bool, layout: bool = True) -> None:
    from tracking_system.migrate import needs_migration

    client = create_client(url, cluster=cluster)
    try:
        await check_capabilities(client)
        if layout and await needs_migration(client):
            raise OutdatedLayoutError(
                "the data is in an older layout: run `tracking-system migrate` first "
                "(`tracking-system up` runs it)"
            )
    finally:
        await client.aclose()


def _check_redis(url: str, *, cluster: bool, layout: bool = True) -> int | None:
    try:
        asyncio.run(_preflight(url, cluster=cluster, layout=layout))
    except (MissingModulesError, OutdatedLayoutError) as exc:
        return _fail(str(exc))
    except Exception as exc:
        return _fail(f"cannot use Redis at {redact_url(url)}: {exc}")
    return None


def run_service(name: str) -> int:
    """Serve one HTTP service with uvicorn until SIGTERM or Ctrl-C."""
    module = SERVICES[name]
    settings_module = __import__(f"{module}.settings", fromlist=["get_settings"])
    try:
        settings = settings_module.get_settings()
    except ValidationError as exc:
        return _fail(f"invalid settings: {_settings_error(exc)}", 2)
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if (failed := _check_redis(settings.redis_url, cluster=settings.redis_cluster)) is not None:
        return failed
    # The services' HTTP protocol serves their fast routes (common/fastpath.py).
    options: dict[str, Any] = {"http": "tracking_system.common.fastpath:FastPathProtocol"}
    if name == "gateway":
        # The gateway is public: its HTTP protocol also bounds every request's head (431 / 414).
        from tracking_system.gateway.server import UVICORN_OPTIONS

        options = UVICORN_OPTIONS
    uvicorn.run(
        f"{module}.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
        workers=settings.processes if settings.processes > 1 else None,
        **options,
    )
    return 0


def run_worker() -> int:
    """Run one worker process joined to the consumer group."""
    from tracking_system.worker.main import run
    from tracking_system.worker.settings import get_settings

    try:
        settings = get_settings()
    except ValidationError as exc:
        return _fail(f"invalid settings: {_settings_error(exc)}", 2)
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if (failed := _check_redis(settings.redis_url, cluster=settings.redis_cluster)) is not None:
        return failed
    asyncio.run(run(settings))
    return 0


def _redis_settings(*, layout: bool) -> CommonSettings | int:
    """The settings, logging configured and Redis checked; or the exit status of a failure."""
    try:
        settings = CommonSettings()
    except ValidationError as exc:
        return _fail(f"invalid settings: {_settings_error(exc)}", 2)
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    failed = _check_redis(settings.redis_url, cluster=settings.redis_cluster, layout=layout)
    return settings if failed is None else failed


def run_migrate() -> int:
    """Bring the data to the current key layout (idempotent), with progress."""
    from tracking_system import migrate

    settings = _redis_settings(layout=False)
    if isinstance(settings, int):
        return settings
    return migrate.main(settings.redis_url, cluster=settings.redis_cluster)


def run_rebuild(site_ids: list[str]) -> int:
    """Rebuild sites' rollups in their zones from the columnar tier, with progress."""
    from tracking_system.common.redis import create_client
    from tracking_system.worker.rebuild import rebuild_sites

    settings = _redis_settings(layout=True)
    if isinstance(settings, int):
        return settings

    async def rebuild(settings: CommonSettings) -> int:
        redis = create_client(settings.redis_url, cluster=settings.redis_cluster)
        try:
            return await rebuild_sites(redis, site_ids)
        finally:
            await redis.aclose()

    return asyncio.run(rebuild(settings))


def run_redis() -> int:
    """Replace this process with the embedded redis-server (foreground)."""
    from tracking_system.common import embedded_redis
    from tracking_system.supervisor import UpConfig

    config = UpConfig.from_env(os.environ)
    try:
        argv = embedded_redis.server_command(
            port=config.redis_port, data_dir=config.data_dir / "redis"
        )
    except embedded_redis.EmbeddedRedisUnavailable as exc:
        return _fail(str(exc))
    os.execv(argv[0], argv)  # noqa: S606


def run_up(
    *,
    shards: int | None = None,
    workers: int | None = None,
    gateways: int | None = None,
    trackers: int | None = None,
) -> int:
    """Start everything and supervise it (the flags override their environment variables)."""
    from tracking_system.supervisor import UpConfig
    from tracking_system.supervisor import run_up as supervise

    try:
        settings = CommonSettings()
    except ValidationError as exc:
        return _fail(f"invalid settings: {_settings_error(exc)}", 2)
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    flags = {"EMBEDDED_REDIS_SHARDS": shards, "WORKERS": workers,
             "GATEWAY_PROCESSES": gateways, "TRACKING_PROCESSES": trackers}  # fmt: skip
    # The children inherit the environment: the flags reach them as the variables they mean.
    os.environ.update({name: str(value) for name, value in flags.items() if value is not None})
    return asyncio.run(supervise(UpConfig.from_env(os.environ)))


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def build_parser() -> argparse.ArgumentParser:
    """The command's arguments."""
    parser = argparse.ArgumentParser(
        prog="tracking-system",
        description="Self-hosted event tracking and product analytics on Redis Stack.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = sub.add_parser(
        "up", help="start Redis (unless REDIS_URL is set), every service and the worker"
    )
    up.add_argument(
        "--redis-shards",
        type=_positive,
        help="start a local Redis Cluster of N shards instead of one server "
        "(as EMBEDDED_REDIS_SHARDS; default 1)",
    )
    up.add_argument("--workers", type=_positive, help="worker processes (as WORKERS; default 1)")
    up.add_argument(
        "--gateways", type=_positive, help="gateway processes (as GATEWAY_PROCESSES; default 1)"
    )
    up.add_argument(
        "--trackers",
        type=_positive,
        help="tracking service processes (as TRACKING_PROCESSES; default 1)",
    )
    for name in SERVICES:
        sub.add_parser(name, help=f"run the {name} service alone")
    sub.add_parser("worker", help="run one worker process")
    sub.add_parser("migrate", help="bring data of an earlier release to the current layout")
    sub.add_parser("redis", help="run the embedded Redis Stack alone, in the foreground")
    rebuild = sub.add_parser(
        "rebuild-rollups",
        help="rebuild sites' rollups in their zones from the stored events (the worker does it "
        "by itself after a zone change)",
    )
    rebuild.add_argument("site_ids", nargs="+", metavar="SITE_ID")
    openapi = sub.add_parser(
        "openapi", help="print the public OpenAPI document (built offline: no Redis, no service)"
    )
    openapi.add_argument("-o", "--output", help="write it to this file instead of stdout")
    demo = sub.add_parser(
        "demo",
        help="create a demo account and send it weeks of realistic traffic (needs `up` running)",
    )
    demo.add_argument(
        "--url",
        default=os.environ.get("GATEWAY_URL", "http://localhost:8000"),
        help="the running gateway (default $GATEWAY_URL or http://localhost:8000)",
    )
    demo.add_argument("--days", type=_positive, default=28, help="days of history (28)")
    demo.add_argument("--visitors", type=_positive, default=3000, help="visitors (3000)")
    demo.add_argument("--seed", type=int, default=1, help="same seed, same event ids (1)")
    demo.add_argument("--tz", default=DEFAULT_ZONE, help="the account's IANA time zone (UTC)")
    demo.add_argument("--email", default="demo@example.com", help="login (demo@example.com)")
    demo.add_argument("--password", default="demo-password-123", help="(demo-password-123)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `tracking-system`."""
    args = build_parser().parse_args(argv)
    if args.command == "up":
        return run_up(
            shards=args.redis_shards,
            workers=args.workers,
            gateways=args.gateways,
            trackers=args.trackers,
        )
    if args.command in SERVICES:
        return run_service(args.command)
    if args.command == "worker":
        return run_worker()
    if args.command == "migrate":
        return run_migrate()
    if args.command == "rebuild-rollups":
        return run_rebuild(args.site_ids)
    if args.command == "demo":
        from tracking_system import demo

        return demo.main(args)
    if args.command == "openapi":
        from tracking_system import openapi_doc

        return openapi_doc.main(["--output", args.output] if args.output else [])
    return run_redis()
