"""Site domains in one spelling: what the user service stores and the drop-in routes look up."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import idna

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_domain(value: str) -> str:
    """A bare host name: lower-cased, without scheme, path, port or a leading `www.`; IDN as
    punycode (what browsers and trackers send)."""
    text = value.strip()
    if "://" in text:
        text = urlsplit(text).netloc
    text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    text = text.rsplit("@", 1)[-1]
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    text = text.rstrip(".").lower()
    try:
        text = idna.encode(text, uts46=True).decode("ascii") if text else text
    except idna.IDNAError as exc:
        raise ValueError(f"Not a valid domain: {value[:100]}") from exc
    text = text.removeprefix("www.")
    labels = text.split(".")
    if len(text) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"Not a domain name (like example.com): {value[:100]}")
    return text
