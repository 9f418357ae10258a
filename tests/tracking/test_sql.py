"""Pieces of the raw-event query builder (stats/sql.py), run by DuckDB."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tracking_system.tracking.stats import columnar, sql


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
def test_unit_index_finds_the_last_start_at_or_before_a_value(count: int) -> None:
    starts = [10 * k for k in range(count)]
    values = sorted({v for s in starts for v in (s, s + 1, s + 9)})
    query = sql.Query("SELECT v, ").extend(sql.unit_index("v", starts)).add(" FROM t ORDER BY v")
    rows = columnar.run_query(query, {"t": pa.table({"v": values})})
    assert rows == [(v, min(v // 10, count - 1)) for v in values]
