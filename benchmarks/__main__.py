"""`python -m benchmarks [--short]`: every benchmark, one after the other."""

from __future__ import annotations

import sys

from benchmarks import ingest


def main(argv: list[str]) -> int:
    """Run the benchmarks with the same flags."""
    return ingest.main(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
