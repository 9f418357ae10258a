"""Enrichment of an event before it is stored: browser, OS and device from the user agent, the
bot flag (common.agents, shared with ingestion), referrer domain, UTM fields, path and country."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from ua_parser import parse as parse_user_agent

from tracking_system.common.agents import is_bot

UNKNOWN = "Unknown"


@dataclass(frozen=True)
class Agent:
    browser: str
    os: str
    device: str
    bot: bool


@lru_cache(maxsize=20_000)
def parse_agent(user_agent: str) -> Agent:
    """Browser, OS, device type and bot flag of a user agent (cached: real traffic repeats)."""
    if not user_agent:
        return Agent(browser=UNKNOWN, os=UNKNOWN, device=UNKNOWN, bot=False)
    parsed = parse_user_agent(user_agent)
    bot = is_bot(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else UNKNOWN
    os_name = parsed.os.family if parsed.os else UNKNOWN
    return Agent(
        browser=browser if browser != "Other" else UNKNOWN,
        os=os_name if os_name != "Other" else UNKNOWN,
        device="bot" if bot else device_type(user_agent, os_name),
        bot=bot,
    )


def device_type(user_agent: str, os_name: str) -> str:
    """desktop, mobile or tablet, from the user agent's well-known markers."""
    ua = user_agent.lower()
    if "ipad" in ua or "tablet" in ua or (os_name == "Android" and "mobile" not in ua):
        return "tablet"
    if "mobi" in ua or "iphone" in ua or "ipod" in ua or os_name in ("iOS", "Android"):
        return "mobile"
    return "desktop"


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def referrer_domain(referrer: str | None, page: str) -> str:
    """The referring site's host without `www.`; empty for direct visits and internal links."""
    if not referrer:
        return ""
    host = _host(referrer)
    if not host or (not page.startswith("/") and host == _host(page)):
        return ""
    return host


def utm_fields(page: str) -> dict[str, str]:
    """utm_source, utm_medium and utm_campaign from the page URL's query."""
    if "utm_" not in page:
        return {}
    try:
        query = urlsplit(page).query
    except ValueError:
        return {}
    params = parse_qs(query)
    out: dict[str, str] = {}
    for param, field in (("utm_source", "utmSource"), ("utm_medium", "utmMedium"),
                         ("utm_campaign", "utmCampaign")):  # fmt: skip
        values = params.get(param)
        if values and values[0]:
            out[field] = values[0][:256]
    return out


# Channels, from the referrer and the UTM fields of a visit's first event (the first rule that
# holds): Paid, Email, Search, Social, Referral, Direct.
PAID_MEDIUMS = frozenset({"cpc", "ppc", "cpm", "cpv", "paid", "display", "banner", "retargeting"})
EMAIL_MARKERS = frozenset({"email", "e-mail", "e_mail", "newsletter"})
SOCIAL_MEDIUMS = frozenset({"social", "social-network", "social-media", "sm", "social_media"})
SEARCH_ENGINES = (
    "google.", "bing.com", "duckduckgo.com", "search.yahoo.com", "yahoo.com", "baidu.com",
    "yandex.", "ecosia.org", "search.brave.com", "startpage.com", "qwant.com", "naver.com",
    "seznam.cz", "kagi.com",
)  # fmt: skip
SOCIAL_NETWORKS = (
    "facebook.com", "fb.com", "instagram.com", "twitter.com", "t.co", "x.com", "linkedin.com",
    "lnkd.in", "reddit.com", "news.ycombinator.com", "youtube.com", "pinterest.com",
    "tiktok.com", "mastodon.social", "threads.net", "bsky.app", "vk.com", "weibo.com",
    "quora.com", "tumblr.com", "discord.com", "telegram.org", "whatsapp.com",
)  # fmt: skip


def _is_one_of(host: str, names: tuple[str, ...]) -> bool:
    """True when the host is, or is under, one of the names (`google.` matches any google.*)."""
    for name in names:
        if name.endswith("."):
            if host.startswith(name) or f".{name}" in f".{host}":
                return True
        elif host == name or host.endswith("." + name):
            return True
    return False


def channel(referrer_host: str, utm: dict[str, str]) -> str:
    """The channel of a visit whose first event came from `referrer_host` with these UTM fields."""
    medium = utm.get("utmMedium", "").lower()
    source = utm.get("utmSource", "").lower()
    if medium in PAID_MEDIUMS or medium.startswith("paid"):
        return "Paid"
    if medium in EMAIL_MARKERS or source in EMAIL_MARKERS:
        return "Email"
    if referrer_host and _is_one_of(referrer_host, SEARCH_ENGINES):
        return "Search"
    if medium in SOCIAL_MEDIUMS or (referrer_host and _is_one_of(referrer_host, SOCIAL_NETWORKS)):
        return "Social"
    if referrer_host or source:
        return "Referral"
    return "Direct"
