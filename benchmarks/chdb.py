"""The ClickHouse (chdb) side of the benchmarks: the same events as rows, loaded into a MergeTree
table, and the same questions in its SQL, with the answers set side by side with ours."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from benchmarks.data import FUNNEL_STEPS, TZ


def row(site_id: str, stored: dict[str, str]) -> bytes:
    """A stored event's fields as chdb's JSON row (CH_ROW)."""
    return orjson.dumps({
        "a": site_id, "t": int(stored["eventTime"]), "u": stored["userId"],
        "s": stored["sessionId"], "n": stored["eventName"], "p": stored["path"],
        "rd": stored.get("referrerDomain", ""), "br": stored["browser"],
        "cc": stored.get("country", ""), "pl": stored.get("ctx_plan", ""),
    }) + b"\n"  # fmt: skip


CH_TABLE = """CREATE TABLE ev (a String, t DateTime64(3, 'UTC'), u String, s String, n String,
p String, rd String, br String, cc String, pl String) ENGINE = MergeTree ORDER BY (a, t)"""


# The rows as written: `t` is epoch milliseconds (read as a DateTime64 it would be seconds);
# `pl` is the event's context `plan`.
CH_ROW = (
    "a String, t Int64, u String, s String, n String, p String, rd String, br String, cc String, "
    "pl String"
)


def session(rows_dir: Path) -> Any:
    """A chdb session (MergeTree) holding the rows written under `rows_dir`."""
    from chdb import session as chdb_session

    db = chdb_session.Session(str(rows_dir / "chdb"))
    db.query(CH_TABLE)
    files = sorted(rows_dir.glob("*.ndjson"))
    started = time.perf_counter()
    for n, path in enumerate(files, 1):
        db.query(f"""INSERT INTO ev SELECT a, fromUnixTimestamp64Milli(t), u, s, n, p, rd, br, cc,
            pl FROM file('{path}', 'JSONEachRow', '{CH_ROW}')""")  # noqa: S608
        print(f"\r  chdb: loaded {n}/{len(files)} files", end="", flush=True)
    print(f" in {time.perf_counter() - started:.0f} s")
    return db


def queries(account_id: str) -> dict[str, str]:
    """The same numbers in ClickHouse SQL (the account id is ours, not user input)."""
    today = f"toDate('{datetime.now(ZoneInfo(TZ)).date().isoformat()}')"
    a = f"a = '{account_id}'"

    def days(column: str, back_from: int, back_to: int) -> str:
        day = f"toDate({column}, '{TZ}')"
        return f"{day} BETWEEN {today} - {back_from} AND {today} - {back_to}"

    def summary(back_from: int, back_to: int, extra: str = "", sessions: str = "") -> str:
        """Events matching `extra`; visits (bounces, duration) over whole sessions matching
        `sessions` (by default `extra`)."""
        whole = sessions or extra
        return f"""SELECT uniq(u), uniq(s), countIf(n = 'PAGE_VIEW'), count(),
            (SELECT countIf(c = 1 AND pv = 1) / count(), avg(d) FROM (SELECT s, count() c,
             countIf(n = 'PAGE_VIEW') pv, max(t) - min(t) d, min(t) f FROM ev WHERE {a} {whole}
             GROUP BY s HAVING {days("f", back_from, back_to)}))
            FROM ev WHERE {a} {extra} AND {days("t", back_from, back_to)}"""  # noqa: S608

    # Sessions whose first event's referrer is google.com (a session's referrer is its first's).
    from_google = f"""AND cc = 'IN' AND s IN (SELECT s FROM ev WHERE {a}
        GROUP BY s HAVING argMin(rd, t) = 'google.com')"""  # noqa: S608
    with_pro = f"AND cc = 'IN' AND s IN (SELECT s FROM ev WHERE {a} AND pl = 'pro')"  # noqa: S608
    day = f"toDate(t, '{TZ}')"
    month = f"toStartOfMonth({day}) = toStartOfMonth({today})"
    return {
        "overview": f"""SELECT countIf({day} = {today}), countIf({month}), count(),
            uniqIf(u, {day} = {today}), uniqIf(u, {month}) FROM ev WHERE {a}""",  # noqa: S608
        "daily30": f"""SELECT {day} d, count(), countIf(n = 'PAGE_VIEW'), uniq(u), uniq(s)
            FROM ev WHERE {a} AND {days("t", 29, 0)} GROUP BY d ORDER BY d""",  # noqa: S608
        "summary": summary(29, 0) + " UNION ALL " + summary(59, 30),
        "topEvents": f"""SELECT n, count() c, uniq(u), uniq(s) FROM ev WHERE {a}
            GROUP BY n ORDER BY c DESC LIMIT 50""",  # noqa: S608
        "topPages": f"""SELECT p, count() c, uniq(u), uniq(s) FROM ev WHERE {a}
            AND n = 'PAGE_VIEW' GROUP BY p ORDER BY c DESC LIMIT 50""",  # noqa: S608
        "topReferrers": f"""SELECT r, count() c, uniq(uu) FROM (SELECT argMin(rd, t) r,
            any(u) uu, min(t) f FROM ev WHERE {a} GROUP BY s HAVING {days("f", 29, 0)})
            WHERE r != '' GROUP BY r ORDER BY c DESC LIMIT 10""",  # noqa: S608
        "filtered": summary(29, 0, extra="AND cc = 'IN'"),
        "filtered2": summary(29, 0, extra=from_google),
        # An event-level filter keeps the matching events, and the sessions holding one whole.
        "filtered_ctx": summary(29, 0, extra="AND cc = 'IN' AND pl = 'pro'", sessions=with_pro),
        "funnel": f"""SELECT level, count() FROM (SELECT u, windowFunnel(86400)(toDateTime(t),
            n = 'PAGE_VIEW' AND p = '/pricing', n = 'PAGE_VIEW' AND p = '/docs',
            n = 'PAGE_VIEW' AND p = '/signup', n = 'signup') AS level
            FROM ev WHERE {a} AND {days("t", 29, 0)} GROUP BY u)
            GROUP BY level ORDER BY level""",  # noqa: S608
        "retention": f"""SELECT c, dateDiff('week', c, w) i, count() FROM
            (SELECT u, min(toMonday(toDate(t, '{TZ}'))) c FROM ev
             WHERE {a} AND {days("t", 83, 0)} GROUP BY u) f
            INNER JOIN (SELECT DISTINCT u, toMonday(toDate(t, '{TZ}')) w FROM ev
             WHERE {a} AND {days("t", 83, 0)}) x USING u
            GROUP BY c, i ORDER BY c, i""",  # noqa: S608
    }


def agreement(ours: dict[str, Any], theirs: dict[str, bytes],
              names: tuple[str, ...] = ("filtered", "filtered2", "filtered_ctx", "funnel",
                                        "retention"),
              ) -> dict[str, tuple[str, str]]:  # fmt: skip
    """The same answers, side by side: filtered event counts, funnel steps, retention cells."""
    out = {}
    for name in ("filtered", "filtered2", "filtered_ctx"):  # chdb's fourth column is count()
        if name in names:
            out[f"{name} events"] = (f"{ours[name]['events']:,}",
                                     f"{int(theirs[name].decode().split(',')[3]):,}")  # fmt: skip
    if "funnel" in names:
        levels = [line.split(",") for line in theirs["funnel"].decode().split()]
        reached = [sum(int(n) for lv, n in levels if int(lv) > k) for k in range(len(FUNNEL_STEPS))]
        out["funnel visitors per step"] = (
            " / ".join(str(step["visitors"]) for step in ours["funnel"]["steps"]),
            " / ".join(map(str, reached)),
        )
    if "retention" in names:
        cells = [line.split(",") for line in theirs["retention"].decode().split()]
        cohorts = ours["retention"]["cohorts"]
        out["retention: cohort sizes, all cells"] = (
            f"{sum(c['size'] for c in cohorts):,}, {sum(sum(c['retained']) for c in cohorts):,}",
            f"{sum(int(n) for _, i, n in cells if i == '0'):,}, {sum(int(n) for *_, n in cells):,}",
        )
    return out
