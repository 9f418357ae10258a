"""Which raw request paths the gateway accepts: one spelling per resource, nothing to normalise."""

from __future__ import annotations

import re
import string
from urllib.parse import unquote

# Decoding layers inspected: double and triple encodings are refused like single ones.
MAX_DECODES = 3

_UNRESERVED = string.ascii_letters + string.digits + "-._~"
# Escapes that have a plain spelling (RFC 3986 unreserved) or that hide a separator.
_AMBIGUOUS_ESCAPES = frozenset(f"{ord(c):02x}" for c in _UNRESERVED + "/\\")
_ESCAPE = re.compile(r"%(.?.?)")
_HEX = frozenset(string.hexdigits)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _layer_is_safe(layer: str) -> bool:
    if "\\" in layer or "//" in layer or _CONTROL.search(layer):
        return False
    if "." in layer and any(s in (".", "..") for s in layer.split("/")):
        return False
    for match in _ESCAPE.finditer(layer):
        digits = match.group(1)
        if len(digits) != 2 or not _HEX.issuperset(digits):
            return False  # a malformed escape reads differently from one decoder to the next
        if digits.lower() in _AMBIGUOUS_ESCAPES:
            return False
    return True


def is_safe_path(raw_path: str) -> bool:
    """True when no decoding of the raw path has dot or empty segments, `\\` or odd escapes."""
    if not raw_path.startswith("/"):
        return False
    layer = raw_path
    for _ in range(MAX_DECODES):
        if not _layer_is_safe(layer):
            return False
        if "%" not in layer:
            return True
        layer = unquote(layer, errors="surrogateescape")
    return "%" not in layer and _layer_is_safe(layer)
