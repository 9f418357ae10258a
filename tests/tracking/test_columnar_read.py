"""The read side's visitor codes and blob cache (stats/columnar.py)."""

from __future__ import annotations

import pyarrow as pa

from tracking_system.common import columnar as rows
from tracking_system.tracking.stats.columnar import BlobCache, Codes


def table(*users: str, sessions: tuple[str, ...] = ()) -> pa.Table:
    """Query rows of these visitors, one event each (in session `s` unless given)."""
    return rows.query_rows([
        rows.row_of_hash(f"e{i}", {"eventTime": str(i), "userId": user,
                                   "sessionId": sessions[i] if sessions else "s"})
        for i, user in enumerate(users)
    ])  # fmt: skip


def test_a_visitor_has_one_code_in_every_table() -> None:
    codes = Codes(max_ids=100)
    first, epoch1 = codes.with_codes(table("a", "b", "a"))
    second, epoch2 = codes.with_codes(table("c", "b", "a"))
    assert epoch1 == epoch2
    a, b, _ = first.column("vid").to_pylist()
    assert first.column("vid").to_pylist() == [a, b, a]
    assert a != b
    c = second.column("vid").to_pylist()[0]
    assert second.column("vid").to_pylist() == [c, b, a]
    assert c not in (a, b)


def test_a_session_has_one_code_in_every_table_apart_from_visitors() -> None:
    codes = Codes(max_ids=100)
    first, _ = codes.with_codes(table("a", "a", "b", sessions=("x", "y", "x")))
    second, _ = codes.with_codes(table("b", sessions=("y",)))
    x, y, _ = first.column("sid").to_pylist()
    assert first.column("sid").to_pylist() == [x, y, x]
    assert x != y
    assert second.column("sid").to_pylist() == [y]


def test_numbering_starts_again_in_a_new_epoch_past_its_size() -> None:
    codes = Codes(max_ids=3)
    _, before = codes.with_codes(table("a", "b"))
    _, same = codes.with_codes(table("a", "b"))
    _, after = codes.with_codes(table("c", "d"))
    assert before == same != after


def test_an_empty_table_gains_the_column() -> None:
    empty, _ = Codes(max_ids=3).with_codes(table())
    assert empty.num_rows == 0
    assert "vid" in empty.column_names


def test_the_cache_answers_only_for_the_epoch_a_table_was_coded_in() -> None:
    cache = BlobCache(max_bytes=1 << 20)
    coded, epoch = Codes(max_ids=10).with_codes(table("a"))
    cache.put("k", coded, epoch)
    assert cache.get("k", epoch) is coded
    assert cache.get("k", epoch + 1) is None


def test_the_cache_drops_the_least_recently_used_past_its_size() -> None:
    coded, epoch = Codes(max_ids=10).with_codes(table("a", "b"))
    cache = BlobCache(max_bytes=int(coded.nbytes * 2.5))
    for key in ("x", "y"):
        cache.put(key, coded, epoch)
    cache.get("x", epoch)
    cache.put("z", coded, epoch)
    assert cache.get("y", epoch) is None
    assert cache.get("x", epoch) is coded
    assert cache.get("z", epoch) is coded
