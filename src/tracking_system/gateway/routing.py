"""Which public /api/v1 paths go to which service, and which need a signed-in account."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    prefix: str
    service: str
    auth: bool
    methods: frozenset[str] | None = None
    exact: bool = False

    def matches(self, method: str, path: str) -> bool:
        """True when this route serves the request."""
        if self.methods is not None and method not in self.methods:
            return False
        if self.exact:
            return path == self.prefix
        return path == self.prefix or path.startswith(self.prefix + "/")


USERS = "users"
TRACKING = "tracking"
INGEST_PATH = "/api/v1/events"

# First match wins. Anything not listed (every service's /internal routes among them) is 404.
ROUTES: tuple[Route, ...] = (
    Route("/api/v1/auth/logout", USERS, auth=True),
    Route("/api/v1/auth", USERS, auth=False),
    Route("/api/v1/users", USERS, auth=True),
    Route("/api/v1/sites", USERS, auth=True),
    Route(INGEST_PATH, TRACKING, auth=False, methods=frozenset({"POST"}), exact=True),
    Route("/api/v1/events", TRACKING, auth=True),
    Route("/api/v1/stats", TRACKING, auth=True),
)


def resolve(method: str, path: str) -> Route | None:
    """The route for a request, or None when the gateway must answer 404."""
    if "/internal" in path:
        return None
    for route in ROUTES:
        if route.matches(method, path):
            return route
    return None
