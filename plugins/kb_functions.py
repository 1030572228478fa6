"""Datasette plugin for kb.db: SQL functions over ``ingest.query`` and a segmenting search box.

SQL functions (usable in any query; each calls the same code as the CLI and the pages):
- ``jieba_seg(text)``: jieba words separated by spaces
- ``jieba_query(text)``: an FTS5 MATCH expression for a user query (tokens quoted, OR-ed)
- ``kb_snippet(text, q)``: a short excerpt of ``text`` around the query's words, marked with 【】
- ``kb_similar(id, k)``: JSON objects ``{id, score (0–100), band, reason, reasons}``, best first;
- ``kb_fulltext(q, k)``, ``kb_semantic(q, kind, k)``, ``kb_hybrid(q, k)``: JSON arrays of objects
  ``{id, score (0–1), found_by, weak, ranked_by}`` in the search page's order (one ranking and
  relevance floor for every search: ``ingest/query/relevance.py``), read with ``json_each``;
- ``kb_search_indicators(q, k)``, ``kb_search_policies(q, k)``, ``kb_suggest(q, k)``: JSON arrays
  of result objects.

The embedding model loads once per process, on the first semantic request.

Limits that hold for any SQL a visitor sends (see the README): strings and blobs are capped at
``MAX_LENGTH`` bytes and SQLite's heap at ``HEAP_LIMIT`` (so ``randomblob(1e9)`` fails at once);
the project's functions cap their input and check the statement's time limit on every call, so a
query calling one per row stops at the limit like any other.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import sqlite3
import threading
import time
import urllib.parse
from dataclasses import asdict

from datasette import hookimpl

from ingest.web.errors import (MODEL_LOADING_MESSAGE, TIME_LIMIT_MESSAGE, InputTooLong, ModelLoading,
                               StatementTimeLimit)

_log = logging.getLogger("kb")

# Requests run concurrently in Datasette's SQL threads: one torch thread each, not one per core
# each, which on a small machine makes every query wait on the others.
os.environ.setdefault("KB_TORCH_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy's vector scans, likewise

MAX_Q = 200
MAX_K = 100
MAX_TEXT = 20_000  # characters of text given to jieba_seg / kb_snippet
MAX_LENGTH = 5_000_000  # bytes of any string or blob a query may make
HEAP_LIMIT = 1 << 30  # bytes SQLite may hold in all (the page caches use far less)
SEARCH_TABLES = ("declarations", "indicators", "policies")


# The project's SQL functions raise these; SQLite reports any error raised inside a function only as
# "user-defined function raised exception", so the function's own error is kept per thread and
# raised in its place when the statement fails (``_install_error_passing``).
_raised = threading.local()
PROVISIONAL = [0]  # answers given from full text while the model loaded, in this worker


# The time limit of the statement running on this thread (Datasette sets one per query). Datasette
# checks it every 1,000 SQLite steps, so a costly function called once per row would run long past
# it; the project's functions check it on every call instead.
_deadline = threading.local()


def _install_time_limit() -> None:
    import datasette.database as database

    original = database.sqlite_timelimit
    if getattr(original, "_kb", False):
        return

    @contextlib.contextmanager
    def sqlite_timelimit(conn, ms):
        _deadline.at = time.perf_counter() + ms / 1000
        _deadline.ms = ms
        try:
            with original(conn, ms):
                yield
        finally:
            _deadline.at = None

    sqlite_timelimit._kb = True
    database.sqlite_timelimit = sqlite_timelimit


_install_time_limit()


def _release_frames(exc: BaseException | None, seen: set | None = None) -> None:
    """Clear the local variables of an exception's finished frames (and of the exceptions it
    chains or carries), so what they hold is freed now, by the thread that raised it."""
    seen = set() if seen is None else seen
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            with contextlib.suppress(RuntimeError):  # a frame still running (ours, the callers')
                tb.tb_frame.clear()
            tb = tb.tb_next
        for arg in exc.args:
            if isinstance(arg, BaseException):
                _release_frames(arg, seen)
        if exc.__cause__ is not None:
            _release_frames(exc.__cause__, seen)
        exc = exc.__context__


def _install_cursor_release() -> None:
    """A failed query's cursor is released on its own SQL thread, never by the garbage collector on
    another one.

    A query that fails (time limit, a function's error, "too big") raises out of Datasette's
    ``sql_operation_in_thread``, whose frame holds the cursor; its statement stays marked in use
    (sqlite3_reset after a failed step returns the error, so the cursor still owes a reset). The
    exception then lives in a reference cycle on the event loop's side (future, task, the error
    page), so the cursor is freed only by the cyclic garbage collector, on whichever thread
    triggers it, most often the event loop. Its ``sqlite3_reset`` takes the connection's mutex,
    which the owning SQL thread holds for the whole of whatever statement it is running, an abusive
    one up to the time limit: the loop, and every request of the worker, stopped for up to 3 s.
    Clearing the finished frames as the exception leaves the SQL thread frees the cursor there, at
    once (its reset then waits for nobody)."""
    import datasette.database as database

    original = database.Database.execute_fn
    if getattr(original, "_kb", False):
        return

    @functools.wraps(original)
    async def execute_fn(self, fn):
        def releasing(conn):
            _raised.error = None
            try:
                return fn(conn)
            except BaseException as e:
                own, _raised.error = getattr(_raised, "error", None), None
                _release_frames(e)
                if own is not None and _raised_by_function(e):
                    _release_frames(own)
                    raise own from None  # the function's own error and reason, not SQLite's wrapper
                raise

        return await original(self, releasing)

    execute_fn._kb = True
    database.Database.execute_fn = execute_fn

    original_execute = database.Database.execute

    @functools.wraps(original_execute)
    async def execute(self, sql, *args, log_sql_errors=True, **kwargs):
        """Datasette prints every failed statement with its parameters in full (a 2 MB string
        included) and SQLite's generic reason; one short line with the real reason instead."""
        try:
            return await original_execute(self, sql, *args, log_sql_errors=False, **kwargs)
        except Exception as e:
            if log_sql_errors:
                reason = "查询超时" if isinstance(e, database.QueryInterrupted) else getattr(e, "message", None) or str(e)
                _log.warning("查询未完成（%s）：%s", reason[:200], " ".join(str(sql).split())[:160])
            raise

    database.Database.execute = execute


_install_cursor_release()


def _raised_by_function(e: BaseException) -> bool:
    return isinstance(e, sqlite3.Error) and "user-defined function raised exception" in str(e)


def _install_error_passing() -> None:
    """A handled error raised in a project function is not printed as "Exception ignored in …"
    with a traceback (Datasette turns on sqlite3's callback tracebacks, which go to
    ``sys.unraisablehook``): it reaches the client with its reason, and real faults are logged
    once, with their traceback, by the error handler (``kb_errors.py``)."""
    import sys

    previous = sys.unraisablehook
    if getattr(previous, "_kb", False):
        return

    def hook(unraisable):
        if unraisable.exc_value is not None and unraisable.exc_value is getattr(_raised, "error", None):
            return
        previous(unraisable)

    hook._kb = True
    sys.unraisablehook = hook


_install_error_passing()


def _check_time() -> None:
    at = getattr(_deadline, "at", None)
    if at is not None and time.perf_counter() > at:
        raise StatementTimeLimit(TIME_LIMIT_MESSAGE.format(seconds=getattr(_deadline, "ms", 0) / 1000))


def _embedder():
    """The embedder once its model is loaded; while this worker is still loading it (in the
    background since the server started), a query needing it is answered at once with
    :class:`ModelLoading` (503, ``Retry-After``), never kept waiting for the load."""
    from ingest.embedders import get_embedder, is_ready, warm_in_background

    if not is_ready():
        warm_in_background()
        raise ModelLoading(MODEL_LOADING_MESSAGE.format(seconds=ModelLoading.retry_after))
    return get_embedder()


def _semantic_ready() -> bool:
    """Whether the model is loaded; if not, its load is started (in the background)."""
    from ingest.embedders import is_ready, warm_in_background

    if is_ready():
        return True
    warm_in_background()
    return False


def _k(k) -> int:
    try:
        return max(1, min(MAX_K, int(k)))
    except (TypeError, ValueError):
        return 10


def _q(q) -> str:
    text = str(q or "")
    if len(text) > MAX_Q:
        raise InputTooLong(f"检索词过长：{len(text)} 个字，最多 {MAX_Q} 个字")
    return text


def jieba_seg(text):
    from ingest.segment import seg_query

    _check_time()
    return " ".join(seg_query(str(text or "")[:MAX_TEXT]))


def jieba_query(text):
    from ingest.segment import fts_query

    return fts_query(_q(text), mode="or")


def kb_snippet(text, q):
    from ingest.query import snippet

    _check_time()
    return snippet(str(text)[:MAX_TEXT] if text is not None else None, _q(q))


def _objects(hits) -> str:
    return json.dumps([asdict(h) for h in hits], ensure_ascii=False)


def _functions(conn):
    """The project's SQL functions, bound to one connection."""
    from ingest import query
    from ingest.embedders import get_embedder

    def ranked(q, k, mode):
        """The declarations as the search page ranks them (``relevance.rank_declarations``)."""
        q, k = _q(q), _k(k)
        if mode == "semantic":
            embedder, ready = _embedder(), True
        elif mode == "hybrid":
            ready = _semantic_ready()  # full text until the model is loaded, and each row says so
            embedder = get_embedder()
        else:
            embedder, ready = None, True
        ranking = query.rank_declarations(conn, q, mode, embedder, ready)
        if ranking.provisional:
            PROVISIONAL[0] += 1  # the response cache keeps no answer given meanwhile
        by = "fulltext" if ranking.provisional or mode == "fulltext" else mode
        return json.dumps([{"id": h.id, "score": h.score, "found_by": h.found_by, "weak": h.weak, "ranked_by": by}
                           for h in ranking.hits[:k]], ensure_ascii=False)

    def fulltext(q, k=20):
        return ranked(q, k, "fulltext")

    def semantic(q, kind="declaration", k=10):
        if kind == "declaration":
            return ranked(q, k, "semantic")
        if kind not in ("basis", "indicator"):
            return "[]"
        hits = query.semantic_search(conn, _embedder(), _q(q), _k(k), kind)
        return json.dumps([{"id": h.indicator_id if kind == "indicator" else h.id, "score": h.score, "weak": h.weak}
                           for h in hits], ensure_ascii=False)

    def hybrid(q, k=10):
        return ranked(q, k, "hybrid")

    def similar(decl_id, k=10):
        try:
            hits = query.similar(conn, get_embedder().model_id, str(decl_id or ""), _k(k))
        except query.DeclarationNotFound:
            return "[]"
        return json.dumps([{"id": h.id, "score": h.score, "band": h.band, "reason": h.reason, "reasons": h.reasons}
                           for h in hits], ensure_ascii=False)

    def suggest(q, k=30):
        return _objects(query.suggest_indicators(conn, _embedder(), _q(q), 5, _k(k)))

    def search_indicators(q, k=50):
        return _objects(query.search_indicators(conn, _q(q), _k(k)))

    def search_policies(q, k=50):
        return _objects(query.search_policies(conn, _q(q), _k(k)))

    functions = {"kb_fulltext": (2, fulltext), "kb_semantic": (3, semantic), "kb_hybrid": (2, hybrid),
                 "kb_similar": (2, similar), "kb_suggest": (2, suggest),
                 "kb_search_indicators": (2, search_indicators), "kb_search_policies": (2, search_policies)}
    return {name: (n, _timed(fn)) for name, (n, fn) in functions.items()}


def _timed(fn):
    def call(*args):
        try:
            _check_time()
            return fn(*args)
        except sqlite3.OperationalError as e:
            if str(e) != "interrupted":
                _raised.error = e
                raise
            # a query of the function's own, stopped by Datasette's time limit
            _raised.error = StatementTimeLimit(TIME_LIMIT_MESSAGE.format(seconds=getattr(_deadline, "ms", 0) / 1000))
            raise _raised.error from None
        except BaseException as e:
            _raised.error = e  # raised again in place of SQLite's "user-defined function raised exception"
            raise

    return call


def limit_connection(conn) -> None:
    """Bounds any SQL can reach: string and blob length, SQL length, SQLite's heap."""
    if hasattr(conn, "setlimit"):
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_LENGTH)
        conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 100_000)
    conn.execute(f"pragma hard_heap_limit = {HEAP_LIMIT}")
    conn.execute(f"pragma soft_heap_limit = {HEAP_LIMIT // 4}")


def start_sql_threads(executor) -> int:
    """Start every thread of Datasette's SQL thread pool now. Python's pool starts a new thread only
    when it counts no idle one, and it counts a thread idle after each task even when the thread
    goes straight on to the next: under load it can stay below its size, so a request waits behind
    long queries (an abusive one holds its thread up to the time limit) while threads it may have
    are never started. Returns the number of threads running."""
    size = getattr(executor, "_max_workers", 0)
    threads = getattr(executor, "_threads", None)
    if threads is None:
        return 0
    release = threading.Event()
    try:
        # each task holds its thread until all are submitted, so every submission past the idle
        # ones starts a thread
        for _ in range(2 * size):
            if len(threads) >= size:
                break
            executor.submit(release.wait, 10)
    finally:
        release.set()
    return len(threads)


@hookimpl
def startup(datasette):
    """Start the SQL threads; load the embedding model in the background when the server starts
    (once per worker), if the served database has vectors of it: the first semantic query then
    does not wait for it."""
    if datasette.executor is not None:
        start_sql_threads(datasette.executor)
    if os.environ.get("KB_WARM", "1") == "0":
        return

    async def with_vectors() -> list[str]:
        from ingest.embedders import get_embedder

        model = get_embedder().model_id
        paths = []
        for name, db in datasette.databases.items():
            if name.startswith("_") or not db.path:
                continue
            try:
                row = (await db.execute("select 1 from embeddings where model = ? limit 1", [model])).first()
            except Exception:  # noqa: BLE001 - a database without the table: nothing to warm
                continue
            if row:
                paths.append(db.path)
        return paths

    def load_indexes(paths: list[str]) -> None:
        """The vector matrices too, and the relevance floor's levels, so the first semantic query
        or suggestion does not compute them."""
        from ingest.embedders import get_embedder
        from ingest.query.relevance import null_levels
        from ingest.vectors import load_index

        embedder = get_embedder()
        for path in paths:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                for kind in ("declaration", "indicator", "basis"):
                    load_index(conn, embedder.model_id, kind)
                    null_levels(conn, embedder, kind)
            finally:
                conn.close()

    async def inner():
        from ingest.web.status import record

        paths = await with_vectors()
        if paths:
            from ingest.embedders import warm_in_background

            def loaded():
                load_indexes(paths)
                record(True)

            record(False)
            warm_in_background(then=loaded)
        else:
            record(True)

    return inner


@hookimpl
def prepare_connection(conn, database, datasette):
    limit_connection(conn)
    conn.create_function("jieba_seg", 1, _timed(jieba_seg), deterministic=True)
    conn.create_function("jieba_query", 1, _timed(jieba_query), deterministic=True)
    conn.create_function("kb_snippet", 2, _timed(kb_snippet), deterministic=True)
    if getattr(datasette.databases.get(database), "path", None):
        for name, (nargs, fn) in _functions(conn).items():
            conn.create_function(name, nargs, fn)


@hookimpl
def asgi_wrapper(datasette):
    """The table pages' search box: on the HTML page of declarations, indicators or policies it goes
    to the ranked search page (/kb/-/search, relevance order, facets that keep the query); the JSON
    API keeps Datasette's table search, with the words segmented by jieba so Chinese queries match
    the FTS index and any input is safe (quoted words, never FTS syntax)."""

    def wrap(app):
        app = _response_cache(app, datasette)

        async def segmenting_app(scope, receive, send):
            if scope.get("type") == "http" and scope.get("path", "").rstrip("/") == "/kb/declarations":
                qs = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"),
                                            keep_blank_values=True)
                if not any(k in ("_col", "_nocol") for k, _ in qs):
                    # the narrative fields are read on the declaration page; a table of them is 8,000 px tall
                    qs += [("_nocol", c) for c in HIDDEN_DECLARATION_COLUMNS]
                    scope = dict(scope, query_string=urllib.parse.urlencode(qs).encode())
            if scope.get("type") == "http" and scope.get("query_string"):
                path = scope.get("path", "")
                table = next((t for t in SEARCH_TABLES if path.rstrip("/").split(".")[0].endswith("/" + t)), None)
                if table is not None:
                    qs = urllib.parse.parse_qsl(scope["query_string"].decode("utf-8", "replace"), keep_blank_values=True)
                    if any(k == "_search" or k.startswith("_search_") for k, _ in qs):
                        html_page = "." not in path.rsplit("/", 1)[-1]
                        search = next((v for k, v in qs if k == "_search"), None)
                        if html_page and search is not None and search.strip():
                            target = "/kb/-/search?" + urllib.parse.urlencode(
                                {"q": _unrewritten(search)[:MAX_Q], "tab": SEARCH_TABS[table]})
                            await send({"type": "http.response.start", "status": 302,
                                        "headers": [(b"location", target.encode("utf-8"))]})
                            await send({"type": "http.response.body", "body": b""})
                            return
                        from ingest.segment import fts_query

                        # every word must match; a value this wrapper already rewrote (Datasette
                        # redirects keep it) is left as it is, so it is never split twice
                        new = [(k, v if _rewritten(v) else fts_query(v[:MAX_Q]))
                               if k == "_search" or k.startswith("_search_") else (k, v)
                               for k, v in qs if k != "_searchmode"]
                        new.append(("_searchmode", "raw"))
                        scope = dict(scope, query_string=urllib.parse.urlencode(new).encode())
            await app(scope, receive, send)

        return segmenting_app

    return wrap


HIDDEN_DECLARATION_COLUMNS = ("overview", "basis", "necessity", "safeguards", "plan", "goal_period", "goal_annual",
                              "title", "fingerprint", "first_line", "last_line", "pages", "amount_unit", "responsible",
                              "contact", "phone", "filed_at", "period_start", "period_end", "implementer", "category",
                              "dept_group")
RESPONSE_CACHE_SIZE = 4096
RESPONSE_CACHE_MAX_BODY = 512 * 1024


def _response_cache(app, datasette):
    """Answers to repeated GET requests for the knowledge base's JSON, kept until the database file
    changes (its size and modification time, and its WAL's, are part of the key). Safe here: every
    database is served read-only and no page depends on who asks (no accounts, no cookies used)."""
    from collections import OrderedDict

    cache: OrderedDict = OrderedDict()
    lock = threading.Lock()

    from ingest.query.cache import file_version

    def version() -> tuple:
        return tuple(file_version(db.path) for db in datasette.databases.values() if db.path)

    async def cached_app(scope, receive, send):
        path = scope.get("path", "") if scope.get("type") == "http" else ""
        if scope.get("method") != "GET" or not path.startswith("/kb") or not path.endswith(".json"):
            await app(scope, receive, send)
            return
        key = (path, scope.get("query_string", b""), version())
        with lock:
            hit = cache.get(key)
            if hit is not None:
                cache.move_to_end(key)
        if hit is not None:
            status, headers, body = hit
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        captured: dict = {"body": [], "size": 0}

        async def capture(message):
            if message["type"] == "http.response.start":
                captured["status"], captured["headers"] = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
                captured["size"] += len(message.get("body", b""))
            await send(message)

        provisional = PROVISIONAL[0]
        await app(scope, receive, capture)
        no_store = any(k.lower() == b"cache-control" and b"no-store" in v.lower() for k, v in captured.get("headers", []))
        # an answer given while the model loaded (full text only) is never kept (nor one answered
        # meanwhile: the count is the whole worker's, which costs only a few repeats their cache)
        no_store = no_store or PROVISIONAL[0] != provisional
        if captured.get("status") == 200 and captured["size"] <= RESPONSE_CACHE_MAX_BODY and not no_store:
            with lock:
                cache[key] = (200, captured["headers"], b"".join(captured["body"]))
                while len(cache) > RESPONSE_CACHE_SIZE:
                    cache.popitem(last=False)

    return cached_app


SEARCH_TABS = {"declarations": "declarations", "indicators": "indicators", "policies": "policies"}
_REWRITTEN = re.compile(r'^"(?:[^"]|"")*"(?: (?:AND|OR) "(?:[^"]|"")*")*$')


def _rewritten(value: str) -> bool:
    """A query this wrapper produced: quoted words joined by AND or OR."""
    return bool(_REWRITTEN.match(value.strip()))


def _unrewritten(value: str) -> str:
    """The words of a rewritten query (for the search box), or the value as typed."""
    if not _rewritten(value):
        return value
    return " ".join(w.replace('""', '"') for w in re.findall(r'"((?:[^"]|"")*)"', value))
