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
# The drop-in routes of trackers sites already run: the seed's inline SDK, Plausible's, Umami's.
DROP_IN_PATHS = ("/api/tracking-service/v1/public/events/", "/api/event", "/api/send")
# Ingestion paths (ours and the drop-in ones). A POST to one of them that the table below routes
# without a sign-in is public: any site may send it (CORS `*`).
INGEST_PATHS = frozenset({INGEST_PATH, *DROP_IN_PATHS})
_POST = frozenset({"POST"})

# First match wins. Anything not listed (every service's /internal routes among them) is 404.
ROUTES: tuple[Route, ...] = (
    Route("/api/v1/auth/logout", USERS, auth=True),
    Route("/api/v1/auth", USERS, auth=False),
    Route("/api/v1/users", USERS, auth=True),
    Route("/api/v1/sites", USERS, auth=True),
    Route(INGEST_PATH, TRACKING, auth=False, methods=_POST, exact=True),
    *(Route(path, TRACKING, auth=False, methods=_POST, exact=True) for path in DROP_IN_PATHS),
    Route("/api/v1/events", TRACKING, auth=True),
    Route("/api/v1/stats", TRACKING, auth=True),
    Route("/api/v1/goals", TRACKING, auth=True),
    Route("/api/v1/funnels", TRACKING, auth=True),
    Route("/api/v1/erasures", TRACKING, auth=True),
)


def resolve(method: str, path: str, routes: tuple[Route, ...] = ROUTES) -> Route | None:
    """The route for a request, or None when the gateway must answer 404."""
    if "/internal" in path:
        return None
    for route in routes:
        if route.matches(method, path):
            return route
    return None


def public_ingest_route(method: str, path: str, routes: tuple[Route, ...] = ROUTES) -> Route | None:
    """The route of a POST to an ingestion path that is routed without a sign-in, else None."""
    if method != "POST" or path not in INGEST_PATHS:
        return None
    route = resolve(method, path, routes)
    return route if route is not None and not route.auth else None


def is_public_ingest(method: str, path: str, routes: tuple[Route, ...] = ROUTES) -> bool:
    """True for a POST to an ingestion path that is routed without a sign-in."""
    return public_ingest_route(method, path, routes) is not None
