"""The columnar tier's rows and blobs: one home for the columns, the tail's row encoding and the
Parquet form of a UTC day (the worker writes them, the stats service reads them)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from tracking_system.common.zones import DAY_MS

# The event hash's fields kept as text columns ('' when the hash lacks them).
TEXT_FIELDS = (
    "eventId", "eventName", "userId", "sessionId", "page", "path", "referrer", "referrerDomain",
    "utmSource", "utmMedium", "utmCampaign", "channel", "browser", "os", "device", "country",
)  # fmt: skip
SCHEMA = pa.schema(
    [("id", pa.string()), ("eventTime", pa.int64()), ("createdAt", pa.int64()),
     ("bot", pa.int8()), *((field, pa.string()) for field in TEXT_FIELDS),
     # The context as sent (JSON), and its top-level scalars as the index holds them (`ctx_<k>`
     # fields), as one JSON object of strings: `context.<k>` filters read that.
     ("context", pa.string()), ("ctx", pa.string())]
)  # fmt: skip
COLUMNS = tuple(SCHEMA.names)
# What queries read: every column but those only an export needs (the ids, the receipt time, the
# full page URL and context), the few-valued ones dictionary-encoded (half the decoding time, a
# third less memory per cached row).
DICTIONARY_COLUMNS = (
    "eventName", "path", "referrer", "referrerDomain", "utmSource", "utmMedium", "utmCampaign",
    "channel", "browser", "os", "device", "country",
)  # fmt: skip
EXPORT_ONLY = ("id", "eventId", "createdAt", "page", "context")
QUERY_SCHEMA = pa.schema(
    [pa.field(f.name, pa.dictionary(pa.int32(), pa.string()) if f.name in DICTIONARY_COLUMNS
              else f.type) for f in SCHEMA if f.name not in EXPORT_ONLY]
)  # fmt: skip
CONTEXT_PREFIX = "ctx_"


def row_of_hash(event_ulid: str, fields: dict[str, str]) -> list[Any]:
    """An event hash (field -> value) as one row, in COLUMNS order."""
    scalars = {k.removeprefix(CONTEXT_PREFIX): v for k, v in fields.items()
               if k.startswith(CONTEXT_PREFIX)}  # fmt: skip
    return [
        event_ulid,
        int(fields["eventTime"]),
        int(fields.get("createdAt") or fields["eventTime"]),
        1 if fields.get("bot") == "1" else 0,
        *(fields.get(field, "") for field in TEXT_FIELDS),
        fields.get("_context", ""),
        orjson.dumps(scalars).decode() if scalars else "",
    ]


def encode_row(row: list[Any]) -> bytes:
    """A row as the tail stores it."""
    return orjson.dumps(row)


def decode_row(data: bytes | str) -> list[Any]:
    """A tail entry's row."""
    row: list[Any] = orjson.loads(data)
    return row


def table_of_rows(rows: list[list[Any]]) -> pa.Table:
    """Rows (COLUMNS order) as an Arrow table."""
    if not rows:
        return SCHEMA.empty_table()
    columns = list(zip(*rows, strict=True))
    return pa.Table.from_arrays(
        [pa.array(values, type=field.type) for values, field in zip(columns, SCHEMA, strict=True)],
        schema=SCHEMA,
    )


def to_blob(table: pa.Table) -> bytes:
    """A day's rows as a zstd-compressed Parquet file, sorted by time."""
    out = io.BytesIO()
    pq.write_table(table.sort_by("eventTime"), out, compression="zstd", compression_level=3)
    return out.getvalue()


def from_blob(blob: bytes) -> pa.Table:
    """A day's Parquet blob as an Arrow table, every column."""
    return pq.read_table(io.BytesIO(blob)).cast(SCHEMA)


def query_table(blob: bytes) -> pa.Table:
    """A day's Parquet blob as queries read it (QUERY_SCHEMA)."""
    table = pq.read_table(io.BytesIO(blob), columns=QUERY_SCHEMA.names,
                          read_dictionary=DICTIONARY_COLUMNS)  # fmt: skip
    return table.cast(QUERY_SCHEMA)


def query_rows(rows: list[list[Any]]) -> pa.Table:
    """Rows (COLUMNS order) as queries read them (QUERY_SCHEMA)."""
    return table_of_rows(rows).select(QUERY_SCHEMA.names).cast(QUERY_SCHEMA)


# An event whose hash left the hot window (worker/hot.py) is remembered by a marker: 63 bits of
# a hash of its id as a decimal integer, which a Redis set of at most 512 integers keeps in 8
# bytes. A day's markers are spread by 16 other bits over sets of about MARKERS_PER_SET each.
MARKERS_PER_SET = 400


def marker(event_id: str) -> tuple[int, str]:
    """(bucket seed, set member) of a stored event's id."""
    value = int.from_bytes(hashlib.blake2b(event_id.encode(), digest_size=10).digest())
    return value >> 64, str(value & (2**63 - 1))


def utc_day(event_time_ms: int) -> int:
    """Days since the epoch (UTC) of a time: the unit of compaction."""
    return event_time_ms // DAY_MS


def midnight_days_ago(now_ms: int, days: int) -> int:
    """The UTC midnight `days` days before today's: where a hot window of that many days, or what
    a site with that `retentionDays` keeps, starts."""
    return (utc_day(now_ms) - days) * DAY_MS


@dataclass(frozen=True, slots=True)
class DayMeta:
    """A catalog entry: `<version> <rows> <min eventTime> <max eventTime>`."""

    version: str
    rows: int
    first: int
    last: int

    @classmethod
    def parse(cls, value: bytes | str) -> DayMeta:
        """A catalog value."""
        text = value.decode() if isinstance(value, bytes) else value
        version, rows, first, last = text.split(" ")
        return cls(version, int(rows), int(first), int(last))

    def dump(self) -> str:
        """The catalog value."""
        return f"{self.version} {self.rows} {self.first} {self.last}"

    def overlaps(self, start_ms: int, end_ms: int) -> bool:
        """True when some row may have a time in [start, end)."""
        return self.first < end_ms and self.last >= start_ms
