from __future__ import annotations

import re

import httpx
import pytest

from tests.support.processes import REPO_ROOT
from tests.support.system import System


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/setup", "/profile", "/events"])
def test_dashboard_deep_links_serve_the_app(system: System, path: str) -> None:
    response = httpx.get(system.gateway_url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<div id="root">' in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_every_page_of_the_dashboard_is_a_deep_link(system: System) -> None:
    """Each route the app declares answers 200 with the app, so no page needs to be added twice
    by hand without the other."""
    app = (REPO_ROOT / "dashboard" / "src" / "App.tsx").read_text()
    paths = [p for p in re.findall(r'path="([^"]+)"', app) if p != "*"]
    assert "/funnels" in paths
    for path in paths:
        response = httpx.get(system.gateway_url + path)
        assert response.status_code == 200, path
        assert '<div id="root">' in response.text


def test_dashboard_assets_are_served_and_cached(system: System) -> None:
    index = httpx.get(system.gateway_url + "/").text
    asset = index.split('src="/assets/', 1)[1].split('"', 1)[0]
    asset = "/assets/" + asset
    response = httpx.get(system.gateway_url + asset)
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert "immutable" in response.headers["cache-control"]


def test_sdk_is_served_as_javascript_to_any_site(system: System) -> None:
    response = httpx.get(system.gateway_url + "/sdk.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "__trk" in response.text


@pytest.mark.parametrize(
    "path", ["/script.js", "/js/script.js", "/js/script.outbound-links.js",
             "/js/script.hash.file-downloads.tagged-events.js"],
)  # fmt: skip
def test_the_sdk_is_served_where_plausible_and_umami_serve_their_scripts(
    system: System, path: str
) -> None:
    response = httpx.get(system.gateway_url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.content == httpx.get(system.gateway_url + "/sdk.js").content


@pytest.mark.parametrize("path", ["/js/other.js", "/js/script.js.map", "/js/script..js"])
def test_other_names_under_js_are_404(system: System, path: str) -> None:
    assert httpx.get(system.gateway_url + path).status_code == 404


@pytest.mark.parametrize("path", ["/nope", "/internal/x", "/assets/../../pyproject.toml"])
def test_unknown_paths_are_404(system: System, path: str) -> None:
    assert httpx.get(system.gateway_url + path).status_code == 404


@pytest.mark.parametrize("path", ["/", "/sdk.js", "/login", "/favicon.svg"])
def test_head_answers_like_get_without_a_body(system: System, path: str) -> None:
    get = httpx.get(system.gateway_url + path)
    head = httpx.head(system.gateway_url + path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""

    def comparable(response: httpx.Response) -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in response.headers.multi_items() if k != "date")

    assert comparable(head) == comparable(get)
    assert int(head.headers["content-length"]) == len(get.content)


@pytest.mark.parametrize("path", ["/settings", "/nope"])
def test_an_unknown_page_is_the_apps_own_not_found_page(system: System, path: str) -> None:
    response = httpx.get(system.gateway_url + path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<div id="root">' in response.text


def test_an_unknown_file_or_api_route_stays_a_json_404(system: System) -> None:
    for path in ("/missing.js", "/api/v1/nothing-here"):
        response = httpx.get(system.gateway_url + path)
        assert response.status_code == 404
        assert response.json()["errors"]["message"]
