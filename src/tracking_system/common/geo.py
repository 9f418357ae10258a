"""The country of a client address, from registry data shipped in a package (no download)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from iptocc import country_code


@lru_cache(maxsize=50_000)
def country_of(ip: str) -> str:
    """ISO 3166-1 alpha-2 code of the registry that assigned the address; empty when unknown.

    Data: the five Regional Internet Registries' delegation files, embedded in the `iptocc`
    package (MIT/Apache-2.0 code, public registry data), so no download and no licence key."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if not address.is_global:
        return ""
    code = country_code(ip)
    return code if isinstance(code, str) else ""
