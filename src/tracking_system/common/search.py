"""Building RediSearch queries from untrusted values: every value is escaped, every query is
scoped to one site."""

from __future__ import annotations

# Everything but ASCII letters, digits and non-ASCII text is escaped with a backslash, so a value
# like `x} | @site:{other` is one literal tag and never query syntax.
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def escape_tag(value: str) -> str:
    """A TAG value safe inside `@field:{...}`."""
    return "".join(c if c in _PLAIN or ord(c) > 127 else "\\" + c for c in value)


def tag_clause(field: str, value: str) -> str:
    """`@field:{value}` matching exactly that value."""
    return f"@{field}:{{{escape_tag(value)}}}"


def tag_union(field: str, values: list[str]) -> str:
    """`@field:{a | b | ...}` matching any of the values."""
    return f"@{field}:{{" + " | ".join(escape_tag(v) for v in values) + "}"
