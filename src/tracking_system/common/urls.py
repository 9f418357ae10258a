"""Showing connection URLs without their passwords."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact_url(url: str) -> str:
    """The URL with any password replaced, safe to print or log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def page_path(page: str) -> str:
    """The path of a page URL (or of a path), without query and fragment: what events are
    indexed and rolled up under."""
    if page.startswith("/"):
        return page.split("?", 1)[0].split("#", 1)[0] or "/"
    try:
        return urlsplit(page).path or "/"
    except ValueError:
        return "/"
