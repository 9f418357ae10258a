"""Helpers of the gateway tests: the echo gateway's address, requests sent byte for byte (httpx
would resolve `..` and re-quote the path first), a process's memory."""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EchoGateway:
    url: str
    port: int


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header_values(self, name: str) -> list[str]:
        """Every value of one header, in order."""
        return [v for k, v in self.headers if k.lower() == name.lower()]


def request(
    port: int, method: str, target: str, headers: Mapping[str, str] | None = None
) -> RawAnswer:
    """Send `target` exactly as given and read the whole answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, target, headers=dict(headers or {}))
        response = conn.getresponse()
        return RawAnswer(response.status, response.getheaders(), response.read())
    finally:
        conn.close()


def rss_kib(pid: int) -> int:
    """Resident memory of a process (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")
