"""Which user agents are bots: one function for the tracking service (which tells the sender what
will not be counted) and the worker (which flags the stored event), so both always agree.

- Crawlers, from the maintained `crawler-user-agents` list, and agents ua-parser classes as a
  spider, are bots.
- Headless and automated browsers are bots: their agent carries a marker (HeadlessChrome and any
  other `Headless<browser>` token, PhantomJS, SlimerJS, Cypress, Chrome-Lighthouse, jsdom, or
  the Puppeteer/Playwright/Selenium/WebDriver names). A headless Chrome that sends a normal
  Chrome agent cannot be told apart by its agent and is counted. Electron is not a marker: it is
  the shell of real desktop apps used by people.
- HTTP libraries (curl, Wget, python-requests, httpx, aiohttp, Go-http-client, okhttp, axios,
  node-fetch, undici, Java's HttpClient, libwww-perl, Postman, Apache-HttpClient…) are not bots:
  a backend sending events (a purchase, a signup) uses one, and its events are counted. The list
  names many of them, so an agent whose first product token is such a library is judged only by
  what remains once the library tokens are removed: `python-requests/2.31 (+https://x.example/
  bot)` is still a crawler, `Apache-HttpClient/4.5 (Java/17)` is not.
"""

from __future__ import annotations

import re
from functools import lru_cache

import crawleruseragents
from ua_parser import parse_device

# Product names of HTTP client libraries and API tools, as they start the agents they send.
HTTP_LIBRARIES: tuple[str, ...] = (
    "curl",
    "wget",
    "python-requests",
    "python-httpx",
    "python-urllib",
    "python",
    "aiohttp",
    "go-http-client",
    "okhttp",
    "axios",
    "node-fetch",
    "undici",
    "node",
    "got",
    "superagent",
    "node-superagent",
    "java",
    "java-http-client",
    "apache-httpclient",
    "jakarta commons-httpclient",
    "libwww-perl",
    "lwp::simple",
    "postmanruntime",
    "insomnia",
    "httpie",
    "guzzlehttp",
    "faraday",
    "ruby",
    "rest-client",
    "dart",
    "reqwest",
    "restsharp",
    "ktor-client",
    "http.rb",
)
_LIBRARY_NAMES = "|".join(re.escape(name) for name in sorted(HTTP_LIBRARIES, key=len, reverse=True))
# The agent starts with a library's product token (`name`, `name/version`, `name version`).
_STARTS_WITH_LIBRARY = re.compile(rf"^\s*(?:{_LIBRARY_NAMES})(?=[/\s(;]|$)", re.IGNORECASE)
# Every library product token of the agent, removed before the crawler list judges the rest.
_LIBRARY_TOKEN = re.compile(
    rf"(?<![\w-])(?:{_LIBRARY_NAMES})(?:/[\w.+-]*)?(?![\w-])", re.IGNORECASE
)
HEADLESS_MARKERS = re.compile(
    r"Headless\w*|PhantomJS|SlimerJS|Cypress/|Chrome-Lighthouse|\bjsdom/|Puppeteer|Playwright"
    r"|Selenium|WebDriver",
    re.IGNORECASE,
)


def is_http_library(user_agent: str) -> bool:
    """True when the agent is an HTTP library's or an API tool's (its first product token)."""
    return _STARTS_WITH_LIBRARY.match(user_agent) is not None


def _is_crawler(user_agent: str) -> bool:
    if not user_agent.strip():
        return False
    if crawleruseragents.is_crawler(user_agent):
        return True
    device = parse_device(user_agent)
    return device is not None and device.family == "Spider"


@lru_cache(maxsize=20_000)
def is_bot(user_agent: str) -> bool:
    """Whether events with this agent are left out of every number (cached: traffic repeats)."""
    if not user_agent:
        return False
    if HEADLESS_MARKERS.search(user_agent):
        return True
    if is_http_library(user_agent):
        return _is_crawler(_LIBRARY_TOKEN.sub(" ", user_agent))
    return _is_crawler(user_agent)
