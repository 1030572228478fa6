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


@pytest.mark.asyncio
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
async def test_a_function_error_reaches_the_json_client_with_its_reason(built_db, tmp_path, monkeypatch):
    """SQLite says only "user-defined function raised exception"; the client gets the function's
    own reason and status, and nothing is printed as "Exception ignored"."""
    import shutil

    from ingest.serve import make_datasette

    monkeypatch.setenv("KB_MODEL", "hash")
    shutil.copy(built_db, tmp_path / "kb.db")
    ds = make_datasette(tmp_path / "kb.db", sql_time_limit_ms=200, num_sql_threads=1)
    per_row = ("select count(kb_hybrid(a.name || b.name || c.name || d.name, 10)) from declarations a,"
               " declarations b, declarations c, declarations d")
    r = await ds.client.get("/kb.json", params={"sql": per_row})
    assert r.status_code == 400
    assert r.json()["error"] == "查询超时：超过了 0.2 秒的时间限制，请缩小范围或简化查询" and r.json()["title"] == "查询超时"
    r = await ds.client.get("/kb", params={"sql": per_row})  # the page says the same
    assert r.status_code == 400 and "查询超时：超过了 0.2 秒的时间限制" in r.text
    r = await ds.client.get("/kb.json", params={"sql": "with recursive c(x) as (select 1 union all select x + 1 from c)"
                                                       " select count(*) from c"})  # Datasette's own limit
    assert r.status_code == 400 and r.json()["error"].startswith("查询超时") and "<textarea" not in r.text
    long_q = "冬季清洁取暖" * 40
    for path, params in (("/kb/search.json", {"q": long_q}), ("/kb/semantic_search.json", {"q": long_q}),
                         ("/kb.json", {"sql": "select kb_fulltext(:q, 5) as r", "q": long_q})):
        r = await ds.client.get(path, params=params)
        assert r.status_code == 400, (path, r.text[:200])
        assert r.json() == {"ok": False, "error": "检索词过长：240 个字，最多 200 个字", "status": 400, "title": "输入过长"}


@pytest.mark.slow
def test_while_the_model_loads_hybrid_answers_from_full_text_and_semantic_asks_to_retry(built_db_real):
    """A real server, its model load held back 8 s: hybrid search answers at once from full text
    and says so; what needs the model answers 503 with Retry-After and a Chinese reason; once
    loaded, both answer in full."""
    import json as json_

    from ingest.serve import running_server as serve

    seen: dict[str, list] = {"hybrid": [], "semantic": [], "page": []}
    statuses: list[dict] = []
    with serve(built_db_real, env={"KB_WARM_DELAY": "8"}, wait_ready=False) as (base, proc):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with urllib.request.urlopen(base + "/-/kb-status.json", timeout=10) as r:
                statuses.append(json_.loads(r.read()))
                ready = statuses[-1]["ready"]
            for kind, path in (("hybrid", "/kb/search.json?_shape=array&q=" + urllib.parse.quote("清洁取暖")),
                               ("semantic", "/kb/semantic_search.json?_shape=array&q=" + urllib.parse.quote("冬天供暖补助")),
                               ("page", "/kb/semantic_search?q=" + urllib.parse.quote("冬天供暖补助"))):
                try:
                    with urllib.request.urlopen(base + path, timeout=10) as r:
                        status, headers, body = r.status, r.headers, r.read().decode()
                except urllib.error.HTTPError as e:
                    status, headers, body = e.code, e.headers, e.read().decode()
                seen[kind].append((ready, status, headers, body))
            if ready and all(s[-1][1] == 200 for s in seen.values()):
                break
            time.sleep(0.3)
        for _ in range(20):  # once ready, every worker answers ready (the status covers the server)
            with urllib.request.urlopen(base + "/-/kb-status.json", timeout=10) as r:
                statuses.append(json_.loads(r.read()))
    first_ready = next(k for k, s in enumerate(statuses) if s["ready"])
    assert first_ready > 0 and all(s["ready"] for s in statuses[first_ready:])
    assert statuses[-1]["expected"] == len(statuses[-1]["workers"]) == (os.cpu_count() or 1)
    assert len({s["pid"] for s in statuses[first_ready:]}) >= min(2, os.cpu_count() or 1)  # answered by each worker
    loading = {k: [x for x in v if not x[0]] for k, v in seen.items()}
    print("\nstatuses while loading:", {k: sorted({x[1] for x in v}) for k, v in loading.items()},
          "after:", {k: v[-1][1] for k, v in seen.items()})
    assert all(loading.values()), "no request arrived during the load"
    for _ready, status, headers, body in loading["hybrid"]:
        rows = json_.loads(body)
        assert status == 200 and rows[0]["name"] == "2023冬季清洁取暖专项经费"
        assert {r["ranked_by"] for r in rows} <= {"fulltext", "hybrid"}
    assert any(json_.loads(b)[0]["ranked_by"] == "fulltext" for _r, _s, _h, b in loading["hybrid"])
    for kind in ("semantic", "page"):
        refused = [x for x in loading[kind] if x[1] == 503]
        assert refused and all(x[1] in (200, 503) for x in loading[kind])
        for _ready, _status, headers, body in refused:
            assert int(headers["Retry-After"]) > 0
            assert "语义模型正在加载" in (json_.loads(body)["error"] if kind == "semantic" else body)
    assert all(json_.loads(x[3])["error"].startswith("语义模型正在加载") for x in loading["semantic"] if x[1] == 503)
    assert json_.loads(seen["hybrid"][-1][3])[0]["ranked_by"] == "hybrid"
    assert json_.loads(seen["semantic"][-1][3])


def _post_file(base: str, path: str, filename: str, data: bytes) -> tuple[int, float, str]:
    """POST a file as a browser's form does; (status, seconds, body). A server may answer before
    it has read the whole body: the answer is read even if sending the rest fails."""
    import http.client

    boundary = "kbboundary7e3"
    body = (f"--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "content-type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    host, port = base.rsplit("/", 1)[-1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    t0 = time.perf_counter()
    conn.putrequest("POST", path)
    conn.putheader("content-type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("content-length", str(len(body)))
    conn.endheaders()
    try:
        conn.send(body)
    except OSError:
        pass
    r = conn.getresponse()
    text = r.read().decode()
    conn.close()
    return r.status, time.perf_counter() - t0, text


def _stream_body(base: str, path: str, total: int, chunk: int = 1 << 20) -> tuple[int, float, int, str]:
    """Send a body of ``total`` bytes in chunks without saying its length; (status, seconds, bytes
    sent before the answer, body). The server is expected to answer before it has all of it."""
    import http.client

    host, port = base.rsplit("/", 1)[-1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    t0 = time.perf_counter()
    conn.putrequest("POST", path)
    conn.putheader("content-type", "application/x-www-form-urlencoded")
    conn.putheader("transfer-encoding", "chunked")
    conn.endheaders()
    sent = 0
    try:
        while sent < total:
            piece = b"text=" if not sent else b"x" * chunk
            conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            sent += len(piece)
        conn.send(b"0\r\n\r\n")
    except OSError:  # the server answered and closed while the body was still coming
        pass
    r = conn.getresponse()
    body = r.read().decode()
    conn.close()
    return r.status, time.perf_counter() - t0, sent, body


@pytest.mark.slow
def test_uploads_cannot_hurt_the_server(built_db, tmp_path):
    """Decompression bombs (.xlsx, .docx, .zip), a sheet claiming 17 billion cells, a file that is
    merely too heavy to read, and bodies past the limit, posted to a real server while a normal
    visitor searches: each is refused or fails within a few seconds with a Chinese reason, the
    server's memory stays under 1.5 GB and the visitor is served meanwhile."""
    import shutil

    from ingest.serve import running_server as serve

    from . import bombs

    db = tmp_path / "kb.db"
    shutil.copy(built_db, db)
    bomb = {"申报表.xlsx": bombs.xlsx_bomb(381), "申报表.docx": bombs.docx_bomb(300), "申报表.zip": bombs.zip_bomb(1024),
            "稀疏.xlsx": bombs.xlsx_sparse()}
    # each bomb to the page and to the JSON; a file within the archive limits but too heavy to read
    # (stopped by the reading process's time limit, which is then restarted for what follows)
    files = [*bomb.items(), *bomb.items(), ("很大的表.xlsx", bombs.xlsx_bomb(30))]
    with serve(db, env={"KB_MODEL": "hash", "KB_UPLOAD_SECONDS": "4"}) as (base, proc):
        baseline = rss_mb(proc.pid)
        normal_times: list[float] = []
        normal_errors: list[int] = []
        peak = [baseline]
        done = threading.Event()

        def normal():
            i = 0
            while not done.is_set():
                status, t = get(base, "/kb/fulltext_search.json?_shape=array&q=" + urllib.parse.quote("清洁取暖")
                                + f"&_n=u{i}")
                (normal_times if status == 200 else normal_errors).append(t if status == 200 else status)
                peak[0] = max(peak[0], rss_mb(proc.pid))
                i += 1
                time.sleep(0.05)

        visitor = threading.Thread(target=normal)
        visitor.start()
        results = []
        try:
            for k, (name, data) in enumerate(files):  # the page and the JSON by turns
                path = ("/kb/-/draft", "/kb/-/draft.json")[(k + k // len(bomb)) % 2]
                status, seconds, body = _post_file(base, path, name, data)
                results.append((name, path, status, seconds, body))
                peak[0] = max(peak[0], rss_mb(proc.pid))
            for total in (12 << 20, 300 << 20):
                status, seconds, sent, body = _stream_body(base, "/kb/-/draft", total)
                results.append((f"body {total >> 20} MB (sent {sent >> 20} MB)", "/kb/-/draft", status, seconds, body))
            status, seconds, body = _post_file(base, "/kb/-/draft.json", "大.txt", b"x" * (11 << 20))
            results.append(("11 MB file", "/kb/-/draft.json", status, seconds, body))
            ok = _post_file(base, "/kb/-/draft.json", "草稿.txt",
                            "冬季清洁取暖补贴\n对农村居民冬季清洁取暖给予补贴".encode())
        finally:
            done.set()
            visitor.join()
    normal_times.sort()
    p95 = normal_times[int(0.95 * (len(normal_times) - 1))]
    for name, path, status, seconds, body in results:
        print(f"{name} {path}: {status} in {seconds:.1f} s")
    print(f"server memory {baseline:.0f} MB at the start, peak {peak[0]:.0f} MB; normal requests: {len(normal_times)},"
          f" p95 {p95 * 1000:.0f} ms, errors {normal_errors}")
    for name, path, status, seconds, body in results:
        assert status == 413, (name, path, status, body[:300])
        assert seconds < 10, (name, path, seconds)
        reason = json.loads(body)["error"] if path.endswith(".json") else body
        assert "文件太大" in reason or "未读取" in reason, (name, reason[:300])
    assert ok[0] == 200 and json.loads(ok[2])["similar"]  # and a normal draft is read after all that
    assert not normal_errors and p95 <= 1.0
    assert peak[0] < 1500
