"""`python -m benchmarks [--short]`: every benchmark, one after the other."""

from __future__ import annotations

import sys

from benchmarks import ingest, stats


def main(argv: list[str]) -> int:
    """Run the benchmarks with the same flags (`--short` for a quick run)."""
    short = ["--short"] if "--short" in argv else []
    failures = ingest.main(short)
    failures += stats.main(short)
    return failures


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
