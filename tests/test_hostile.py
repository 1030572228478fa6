"""A hostile visitor must not stall the server: abusive SQL ends within the time limit, normal
visitors keep their speed, memory stays bounded (a real `kb serve` on loopback)."""

import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from ingest.serve import settings


LIMIT_S = settings()["sql_time_limit_ms"] / 1000
RSS_BOUND_MB = 5000  # per worker (two on this machine): the model (~900 MB), SQLite's heap limit, Python

ABUSIVE = [
    # one expensive call per row: Datasette checks its time limit only every 1,000 SQLite steps
    "select sum(length(randomblob(50000000))) from (select 1 from indicators limit 60)",
    "select length(randomblob(1000000000)), length(randomblob(1000000000))",
    "select count(kb_hybrid(a.name || b.name || c.name, 10)) from declarations a, declarations b, declarations c",
    "select count(kb_suggest(a.name || b.name, 30)) from declarations a, declarations b",
    "select length(jieba_seg(replace(hex(zeroblob(2000000)), '0', '取暖')))",
]
NORMAL = ["/kb/fulltext_search.json?_shape=array&q=" + urllib.parse.quote("清洁取暖"),
          "/kb/declarations.json?_shape=objects&_size=10",
          "/kb/search.json?_shape=array&q=" + urllib.parse.quote("老年人冬天供暖补助"),
          "/kb.json?sql=select+count(*)+from+indicators"]


def get(base: str, path: str, timeout: float = 60) -> tuple[int, float]:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    return status, time.perf_counter() - t0


def rss_mb(pid: int) -> float:
    """Resident memory of the server: its process and every worker under it."""
    total = 0.0
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
        for task in os.listdir(f"/proc/{pid}/task"):
            for child in open(f"/proc/{pid}/task/{task}/children").read().split():
                total += rss_mb(int(child))
    except OSError:  # a process that just ended
        pass
    return total


@pytest.mark.slow
def test_abusive_queries_end_at_the_limit_while_others_are_served(built_db_real):
    from ingest.serve import running_server as serve

    with serve(built_db_real) as (base, proc):
        # serve() waits until every worker has loaded the model and the indexes (/-/kb-status.json)
        for path in NORMAL:
            assert get(base, path)[0] == 200, path
        abusive_times: list[tuple[str, int, float]] = []
        normal_times: list[float] = []
        normal_errors: list[int] = []
        peak = [rss_mb(proc.pid)]
        stop = time.monotonic() + 20

        def abuser(n: int):
            i = n
            while time.monotonic() < stop:
                sql = ABUSIVE[i % len(ABUSIVE)]
                status, t = get(base, "/kb.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "array"}))
                abusive_times.append((sql, status, t))
                i += 3

        def normal():
            i = 0
            while time.monotonic() < stop:
                # a new address each time: the answer is computed, not taken from the response cache
                status, t = get(base, f"{NORMAL[i % len(NORMAL)]}&_n=x{i}")
                (normal_times if status == 200 else normal_errors).append(t if status == 200 else status)
                peak[0] = max(peak[0], rss_mb(proc.pid))
                i += 1

        threads = [threading.Thread(target=abuser, args=(n,)) for n in range(3)] + [threading.Thread(target=normal)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    slowest = max(abusive_times, key=lambda x: x[2])
    for sql in ABUSIVE:
        times = sorted(t for q, _, t in abusive_times if q == sql)
        print(f"{sql[:50]}…: {len(times)} runs, " + " ".join(f"{t:.1f}" for t in times))
    normal_times.sort()
    p95 = normal_times[int(0.95 * (len(normal_times) - 1))]
    print(f"\n{len(abusive_times)} abusive requests, slowest {slowest[2]:.2f} s ({slowest[0][:60]}…);"
          f" {len(normal_times)} normal requests, p95 {p95 * 1000:.0f} ms; server peak RSS {peak[0]:.0f} MB")
    assert all(status in (200, 400) for _, status, _ in abusive_times)
    # every one ends at the limit (a failed query's cursor once stalled a worker's event loop for a
    # second limit's length: see test_a_failed_query_leaves_no_cursor_to_the_garbage_collector)
    assert slowest[2] <= LIMIT_S + 2, sorted(t for _, _, t in abusive_times)
    assert not normal_errors
    assert p95 <= 1.0
    assert peak[0] <= RSS_BOUND_MB


@pytest.mark.asyncio
async def test_limits_hold_for_any_sql(ds):
    """Strings and blobs are bounded; column searches take any input; errors are short and Chinese."""
    r = await ds.client.get("/kb.json", params={"sql": "select length(randomblob(100000000)) as n", "_shape": "array"})
    assert r.status_code == 400 and "too big" in r.text
    r = await ds.client.get("/kb.json", params={"sql": "select length(jieba_seg(replace(hex(zeroblob(200000)), '0', '取暖'))) as n",
                                                 "_shape": "array"})
    assert r.status_code == 200
    for q in ('NEAR(', '"', "a:b", "*", "^"):
        r = await ds.client.get("/kb/declarations.json", params={"_search_name": q, "_shape": "array"})
        assert r.status_code == 200, (q, r.text[:200])
    r = await ds.client.get("/kb/declarations/does-not-exist")
    assert r.status_code == 404 and "找不到" in r.text and len(r.text) < 2000
    r = await ds.client.get("/kb/declarations/does-not-exist.json")
    assert r.status_code == 404 and r.json()["ok"] is False


def test_a_failed_query_leaves_no_cursor_to_the_garbage_collector(built_db, tmp_path, monkeypatch):
    """A failed query's cursor still owes SQLite a reset, which takes its connection's lock; freed
    by the garbage collector on the event loop while its SQL thread runs a long query, it stopped
    the whole server until that query ended. It is freed on its own thread, when the query fails."""
    import asyncio
    import gc
    import shutil

    from datasette.utils.sqlite import sqlite3

    from ingest.serve import make_datasette

    monkeypatch.setenv("KB_MODEL", "hash")
    shutil.copy(built_db, tmp_path / "kb.db")
    ds = make_datasette(tmp_path / "kb.db", sql_time_limit_ms=300, num_sql_threads=2)
    failing = ["select length(randomblob(100000000)) as n",  # too big
               "select count(kb_hybrid(a.name || b.name || c.name || d.name, 10)) from declarations a,"
               " declarations b, declarations c, declarations d",  # a function stopped at the time limit
               "select abs(-9223372036854775808)"]  # an error in SQLite itself

    async def run():
        for sql in failing:
            r = await ds.client.get("/kb.json", params={"sql": sql, "_shape": "array"})
            assert r.status_code == 400, (sql, r.text[:200])

    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        asyncio.run(run())
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, sqlite3.Cursor)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert not left


def test_a_function_called_per_row_stops_at_the_statement_time_limit(built_db, tmp_path, monkeypatch):
    """Datasette's time limit wraps every query; the project's functions honour it on each call."""
    import asyncio
    import shutil

    from ingest.serve import make_datasette

    monkeypatch.setenv("KB_MODEL", "hash")
    shutil.copy(built_db, tmp_path / "kb.db")
    ds = make_datasette(tmp_path / "kb.db", sql_time_limit_ms=200, num_sql_threads=1)
    sql = ("select count(kb_hybrid(a.name || b.name || c.name || d.name, 10)) from declarations a, declarations b,"
           " declarations c, declarations d")  # 65,536 calls

    async def run():
        t0 = time.perf_counter()
        r = await ds.client.get("/kb.json", params={"sql": sql, "_shape": "array"})
        return r, time.perf_counter() - t0

    r, seconds = asyncio.run(run())
    assert r.status_code == 400 and seconds < 2.0, (r.status_code, seconds, r.text[:200])
    body = json.loads(r.text)
    assert body["ok"] is False


def test_every_sql_thread_is_started_before_requests_arrive():
    """Python's pool can stay below its size under load (it counts a thread idle after each task),
    and a request then waits behind long queries while threads are missing: the server starts them all."""
    from concurrent.futures import ThreadPoolExecutor

    from plugins.kb_functions import start_sql_threads

    pool = ThreadPoolExecutor(max_workers=6)
    try:
        pool.submit(lambda: None).result()  # one thread started and counted idle
        assert start_sql_threads(pool) == 6
        assert pool.submit(lambda: "查询").result(timeout=5) == "查询"
    finally:
        pool.shutdown()
