"""The built dashboard (with its deep links) and the browser SDK."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, HTMLResponse, Response

from tracking_system.common.errors import NotFound
from tracking_system.gateway.deps import SettingsDep
from tracking_system.gateway.settings import GatewaySettings

router = APIRouter()
# HEAD answers with GET's headers and no body (FastAPI adds no HEAD route by itself).
GET_HEAD = ["GET", "HEAD"]

# The dashboard's client-side routes: each serves index.html so a reload or a shared link works.
DASHBOARD_ROUTES = (
    "/", "/login", "/register", "/setup", "/profile", "/events", "/sites", "/funnels", "/retention",
)  # fmt: skip
NOT_BUILT = (
    "<!doctype html><title>Tracking System</title><h1>Dashboard not built</h1>"
    "<p>Run <code>make run</code> (or <code>npm run build</code> in dashboard/).</p>"
)


def _index(dashboard_dir: Path) -> Response:
    index = dashboard_dir / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503)
    # The shell must be revalidated so a new build is picked up; hashed assets are immutable.
    return FileResponse(index, headers={"cache-control": "no-cache"})


# Where Plausible's and Umami's scripts are served (`/js/script.<extensions>.js` are Plausible's
# variants, e.g. script.outbound-links.js): a site that only changes the script's host gets the
# SDK, which reads their `data-domain` / `data-website-id` / `data-host-url` attributes too.
DROP_IN_SCRIPT = re.compile(r"script(\.[a-z0-9-]+)*\.js")


@router.api_route("/sdk.js", methods=GET_HEAD, include_in_schema=False)
@router.api_route("/script.js", methods=GET_HEAD, include_in_schema=False)
async def sdk(settings: SettingsDep) -> Response:
    """The browser SDK, loadable from any site."""
    return _sdk(settings)


@router.api_route("/js/{name}", methods=GET_HEAD, include_in_schema=False)
async def drop_in_script(name: str, settings: SettingsDep) -> Response:
    """The SDK under Plausible's script names."""
    if not DROP_IN_SCRIPT.fullmatch(name):
        raise NotFound("Not found")
    return _sdk(settings)


def _sdk(settings: GatewaySettings) -> Response:
    if not settings.sdk_file.is_file():
        raise NotFound("SDK not built: run `make run` or `npm run build` in sdk/")
    return FileResponse(
        settings.sdk_file,
        media_type="application/javascript",
        headers={
            "cache-control": "public, max-age=300",
            "cross-origin-resource-policy": "cross-origin",
            "access-control-allow-origin": "*",
        },
    )


@router.api_route("/assets/{name:path}", methods=GET_HEAD, include_in_schema=False)
async def asset(name: str, settings: SettingsDep) -> Response:
    """A hashed build asset of the dashboard."""
    root = (settings.dashboard_dir / "assets").resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound("No such asset")
    return FileResponse(path, headers={"cache-control": "public, max-age=31536000, immutable"})


def _spa_route(route: str) -> None:
    async def page(settings: SettingsDep) -> Response:
        return _index(settings.dashboard_dir)

    router.add_api_route(route, page, methods=GET_HEAD, include_in_schema=False)
    if route != "/":
        router.add_api_route(
            route + "/{rest:path}", page, methods=GET_HEAD, include_in_schema=False
        )


for _route in DASHBOARD_ROUTES:
    _spa_route(_route)


@router.api_route("/{name}", methods=GET_HEAD, include_in_schema=False)
async def root_file(name: str, settings: SettingsDep) -> Response:
    """Top-level files of the build (favicon and the like); any other page name is the app's
    own "Page not found" (a 404 with the dashboard, so a person sees the app, not JSON)."""
    root = settings.dashboard_dir.resolve()
    path = (root / name).resolve()
    if name != "index.html" and path.is_relative_to(root) and path.is_file():
        return FileResponse(path)
    if "." in name or not (settings.dashboard_dir / "index.html").is_file():
        raise NotFound("Not found")
    response = _index(settings.dashboard_dir)
    response.status_code = 404
    return response
