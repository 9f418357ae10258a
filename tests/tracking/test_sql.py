"""Pieces of the raw-event query builder (stats/sql.py), run by DuckDB."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tracking_system.common import columnar as rows
from tracking_system.tracking.stats import columnar, sql


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
def test_unit_index_finds_the_last_start_at_or_before_a_value(count: int) -> None:
    starts = [10 * k for k in range(count)]
    values = sorted({v for s in starts for v in (s, s + 1, s + 9)})
    query = sql.Query("SELECT v, ").extend(sql.unit_index("v", starts)).add(" FROM t ORDER BY v")
    rows = columnar.run_query(query, {"t": pa.table({"v": values})})
    assert rows == [(v, min(v // 10, count - 1)) for v in values]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("plan", "pro", 1),
        ("plan", "pr", 0),
        ("b", "plan", 1),  # a value equal to another key's name
        ("a", "plan", 0),
        ("q", 'say "hi"', 1),
        ("q", "say hi", 0),
        ("ü", "ñ", 1),
        ("missing", "", 0),
        ("empty", "", 1),
    ],
)
def test_a_context_filter_matches_the_keys_value_exactly(
    key: str, value: str, expected: int
) -> None:
    context = {"plan": "pro", "a": "x", "b": "plan", "q": 'say "hi"', "ü": "ñ", "empty": ""}
    fields = {"eventTime": "1", "userId": "u", "sessionId": "s", "eventName": "e",
              **{rows.CONTEXT_PREFIX + k: v for k, v in context.items()}}  # fmt: skip
    table, _ = columnar.CODES.with_codes(rows.query_rows([rows.row_of_hash("e", fields)]))
    query = sql.scope([(f"context.{key}", value)], 0, 10).add(" SELECT count(*) FROM kept")
    assert columnar.run_query(query, {"events": table}) == [(expected,)]
