"""Which agents are bots (common.agents), and that the worker's enrichment flags exactly those."""

from __future__ import annotations

import pytest

from tests.support.events import CHROME, GOOGLEBOT, IPHONE
from tracking_system.common.agents import is_bot, is_http_library
from tracking_system.worker.enrich import channel, parse_agent

HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.0.0 Safari/537.36"
)

# Backends, scripts and API tools: counted.
HTTP_LIBRARIES = [
    "curl/8.4.0",
    "Wget/1.21.3",
    "python-requests/2.31.0",
    "python-httpx/0.27.0",
    "Python/3.11 aiohttp/3.9.1",
    "Python-urllib/3.11",
    "Go-http-client/1.1",
    "Go-http-client/2.0",
    "okhttp/4.12.0",
    "axios/1.6.2",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "node-fetch",
    "undici",
    "node",
    "got (https://github.com/sindresorhus/got)",
    "Java/17.0.2",
    "Java-http-client/17.0.2",
    "Apache-HttpClient/4.5.14 (Java/17.0.2)",
    "libwww-perl/6.72",
    "PostmanRuntime/7.36.0",
    "HTTPie/3.2.2",
    "insomnia/8.0.0",
    "GuzzleHttp/7",
    "Dart/3.2 (dart:io)",
]

# People's browsers, desktop apps included (Electron is the shell of real apps): counted.
BROWSERS = [
    CHROME,
    IPHONE,
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Electron/28.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36",
]

# Crawlers (the maintained list) and headless or automated browsers: not counted.
BOTS = [
    GOOGLEBOT,
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; "
    "+https://openai.com/gptbot)",
    "Mozilla/5.0 (compatible; MyCrawlerBot/1.0)",
    HEADLESS_CHROME,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 HeadlessEdg/120.0.0.0",
    "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) "
    "PhantomJS/2.1.1 Safari/538.1",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Cypress/13.6.0",
    "Mozilla/5.0 (Linux; Android 7.0; Moto G (4)) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/94.0.4590.2 Mobile Safari/537.36 Chrome-Lighthouse",
    "Mozilla/5.0 (linux) AppleWebKit/537.36 (KHTML, like Gecko) jsdom/20.0.0",
    # A library's agent that names a crawler is still a crawler.
    "python-requests/2.31.0 (MyCrawler bot; +http://crawler.example/bot)",
    "curl/7.1 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]


@pytest.mark.parametrize("agent", HTTP_LIBRARIES)
def test_http_libraries_are_not_bots(agent: str) -> None:
    assert is_http_library(agent)
    assert not is_bot(agent)
    parsed = parse_agent(agent)
    assert not parsed.bot
    assert parsed.device != "bot"


@pytest.mark.parametrize("agent", BROWSERS)
def test_browsers_are_not_bots(agent: str) -> None:
    assert not is_http_library(agent)
    assert not is_bot(agent)
    assert not parse_agent(agent).bot


@pytest.mark.parametrize("agent", BOTS)
def test_crawlers_and_headless_browsers_are_bots(agent: str) -> None:
    assert is_bot(agent)
    parsed = parse_agent(agent)
    assert parsed.bot
    assert parsed.device == "bot"


def test_no_agent_is_not_a_bot() -> None:
    assert not is_bot("")
    assert not parse_agent("").bot


def test_the_crawler_list_still_names_the_libraries_we_override() -> None:
    """The override is needed: the list classes these as crawlers (if it stops, drop it)."""
    import crawleruseragents

    listed = [a for a in ("curl/8.4.0", "python-requests/2.31.0", "Go-http-client/1.1")
              if crawleruseragents.is_crawler(a)]  # fmt: skip
    assert listed
    assert not any(is_bot(a) for a in listed)


def test_a_library_name_inside_a_browser_agent_does_not_make_it_a_library() -> None:
    assert not is_http_library("Mozilla/5.0 (compatible; curl-like-bot/1.0)")
    assert is_bot("Mozilla/5.0 (compatible; curl-like-bot/1.0)")


@pytest.mark.parametrize(
    ("host", "utm", "expected"),
    [
        ("", {}, "Direct"),
        ("google.com", {}, "Search"),
        ("google.co.uk", {}, "Search"),
        ("duckduckgo.com", {}, "Search"),
        ("news.ycombinator.com", {}, "Social"),
        ("m.facebook.com", {}, "Social"),
        ("t.co", {}, "Social"),
        ("example.org", {}, "Referral"),
        ("notgoogle.example", {}, "Referral"),
        ("", {"utmSource": "partner"}, "Referral"),
        ("google.com", {"utmMedium": "cpc", "utmSource": "google"}, "Paid"),
        ("", {"utmMedium": "paid_social"}, "Paid"),
        ("", {"utmSource": "newsletter", "utmMedium": "email"}, "Email"),
        ("", {"utmMedium": "social"}, "Social"),
    ],
)
def test_a_visits_channel_follows_its_referrer_and_campaign(
    host: str, utm: dict[str, str], expected: str
) -> None:
    assert channel(host, utm) == expected
