"""Generated traffic for the stats benchmark: deterministic chunks of sessions spread over a
period, so several processes can load one data set in parallel."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from benchmarks.ingest import UAS

PAGES = ["/", "/pricing", "/docs", "/docs/install", "/docs/api", "/blog", "/blog/launch",
         "/blog/redis-streams", "/signup", "/login", "/features", "/about", "/careers",
         "/contact", "/changelog"] + [f"/product/{i}" for i in range(40)]  # fmt: skip
REFERRERS = [
    "", "", "", "https://www.google.com/", "https://news.ycombinator.com/",
    "https://twitter.com/", "https://www.reddit.com/", "https://duckduckgo.com/",
]  # fmt: skip
IPS = ["8.8.8.8", "1.1.1.1", "81.2.69.142", "49.36.0.1", "85.214.132.117"]
CUSTOM = ["signup", "add_to_cart", "purchase", "Download PDF"]
DAY_MS = 86_400_000
TZ = "Asia/Kolkata"  # the benchmark account's zone
DAYS = 90  # of history
CHUNK = 20_000  # events per generated chunk
# Beyond the dashboard's first screen: a 4-step funnel over the generated pages and events.
FUNNEL_STEPS = ["page:/pricing", "page:/docs", "page:/signup", "event:signup"]


@dataclass(frozen=True)
class Row:
    event: dict[str, Any]
    user_agent: str
    ip: str


def chunk(*, seed: int, index: int, size: int, start_ms: int, days: int,
          visitors: int) -> Iterator[Row]:  # fmt: skip
    """About `size` events of whole sessions, deterministic for (seed, index)."""
    rng = random.Random(seed * 1_000_003 + index)
    produced = 0
    n = 0
    while produced < size:
        n += 1
        visitor = rng.randrange(visitors)
        t = start_ms + int(rng.random() * days * DAY_MS)
        ua = UAS[visitor % len(UAS)]
        ip = IPS[visitor % len(IPS)]
        referrer = REFERRERS[rng.randrange(len(REFERRERS))]
        for j in range(1 + int(rng.expovariate(0.4))):
            name = "PAGE_VIEW" if j == 0 or rng.random() < 0.75 else rng.choice(CUSTOM)
            page = "https://bench.example.com" + PAGES[int(rng.paretovariate(1.2)) % len(PAGES)]
            if j == 0 and rng.random() < 0.1:
                page += "?utm_source=newsletter&utm_medium=email&utm_campaign=launch"
            event: dict[str, Any] = {
                "sessionId": f"s{seed}-{index}-{n}", "userId": f"v{visitor}", "eventTime": t,
                "eventName": name, "page": page, "eventId": f"{seed}-{index}-{n}-{j}",
            }  # fmt: skip
            if j == 0 and referrer:
                event["referrer"] = referrer
            if name != "PAGE_VIEW":
                event["context"] = {"plan": rng.choice(["free", "pro", "team"])}
            yield Row(event, ua, ip)
            produced += 1
            t += rng.randint(5_000, 240_000)
