"""Datasette plugin for kb.db: Chinese search functions in SQL, a segmenting search box, similar projects.

SQL functions (usable in any query):
- ``jieba_seg(text)``: jieba words separated by spaces
- ``jieba_query(text)``: an FTS5 MATCH expression for a user query (tokens quoted, OR-ed)
- ``kb_snippet(text, q)``: a short excerpt of ``text`` around the query's words, marked with 【】
- ``kb_fulltext(q, k)``: ranked full-text search (every word first, then any word), as the CLI does it
- ``kb_semantic(q, kind, k)``, ``kb_hybrid(q, k)``, ``kb_similar(id, k)``, ``kb_suggest(q, k)``:
  JSON arrays of ``[id, score]`` (or indicator groups), read with ``json_each``.

The embedding model loads once per process, on the first semantic request.
"""

from __future__ import annotations

import json
import os
import re
import threading
import urllib.parse

from datasette import hookimpl
from datasette.utils.asgi import Response

# Requests run concurrently in Datasette's SQL threads: one torch thread each, not one per core
# each, which on a small machine makes every query wait on the others.
os.environ.setdefault("KB_TORCH_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy's vector scans, likewise

MAX_Q = 200
MAX_K = 100
SEARCH_TABLES = ("declarations", "indicators", "policies")

_dbs: dict[str, object] = {}
_lock = threading.Lock()


def _reader(path: str):
    """A private read-only sqlite-utils handle per database file and thread, for the vector index."""
    import sqlite3

    from sqlite_utils import Database

    key = f"{path}:{threading.get_ident()}"
    if key not in _dbs:
        with _lock:
            conn = sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode=ro", uri=True, check_same_thread=False)
            _dbs[key] = Database(conn)
    return _dbs[key]


def _k(k) -> int:
    try:
        return max(1, min(MAX_K, int(k)))
    except (TypeError, ValueError):
        return 10


def _q(q) -> str:
    return (q or "")[:MAX_Q]


def jieba_seg(text):
    from ingest.segment import seg_query

    return " ".join(seg_query(text or ""))


def jieba_query(text):
    from ingest.segment import fts_query

    return fts_query(_q(text), mode="or")


def kb_snippet(text, q, width=60):
    """An excerpt around the first query word found, with every query word marked 【】."""
    if not text:
        return ""
    from ingest.segment import seg_query

    words = sorted({w for w in seg_query(_q(q)) if len(w) > 1 or re.match(r"[\u4e00-\u9fff]", w)}, key=len,
                   reverse=True)
    pos = min((text.find(w) for w in words if w in text), default=0)
    start = max(0, pos - width // 3)
    excerpt = text[start:start + width]
    for w in words:
        excerpt = excerpt.replace(w, f"【{w}】")
    excerpt = re.sub(r"【【([^】]*)】】", r"【\1】", excerpt)
    return ("…" if start else "") + excerpt + ("…" if start + width < len(text) else "")


def _make_fulltext_function(path: str):
    def fulltext(q, k=20):
        from ingest.search import search_declarations

        hits = search_declarations(_reader(path), _q(q), _k(k))
        return json.dumps([[h["id"], h["score"]] for h in hits])

    return fulltext


def _make_vector_functions(path: str):
    from ingest import embeddings

    def semantic(q, kind="declaration", k=10):
        if kind not in embeddings.KINDS:
            return "[]"
        hits = embeddings.semantic_search(_reader(path), embeddings.get_embedder(), _q(q), _k(k), kind)
        key = "indicator_id" if kind == "indicator" else ("basis_id" if kind == "basis" else "id")
        return json.dumps([[h[key], h["score"]] for h in hits], ensure_ascii=False)

    def hybrid(q, k=10):
        hits = embeddings.hybrid_search(_reader(path), embeddings.get_embedder(), _q(q), _k(k))
        return json.dumps([[h["id"], h["score"]] for h in hits])

    def similar(decl_id, k=10):
        try:
            hits = embeddings.similar(_reader(path), embeddings.get_embedder(), decl_id or "", _k(k))
        except KeyError:
            return "[]"
        return json.dumps([[h["id"], h["score"]] for h in hits])

    def suggest(q, k=30):
        groups = embeddings.suggest_indicators(_reader(path), embeddings.get_embedder(), _q(q), 5, _k(k))
        return json.dumps(groups, ensure_ascii=False)

    return semantic, hybrid, similar, suggest


@hookimpl
def prepare_connection(conn, database, datasette):
    conn.create_function("jieba_seg", 1, jieba_seg, deterministic=True)
    conn.create_function("jieba_query", 1, jieba_query, deterministic=True)
    conn.create_function("kb_snippet", 2, kb_snippet, deterministic=True)
    db = datasette.databases.get(database)
    path = getattr(db, "path", None)
    if path:
        conn.create_function("kb_fulltext", 2, _make_fulltext_function(path))
        semantic, hybrid, similar, suggest = _make_vector_functions(path)
        conn.create_function("kb_semantic", 3, semantic)
        conn.create_function("kb_hybrid", 2, hybrid)
        conn.create_function("kb_similar", 2, similar)
        conn.create_function("kb_suggest", 2, suggest)


@hookimpl
def asgi_wrapper(datasette):
    """Segment the table pages' ``_search`` box with jieba so Chinese queries match the FTS index."""

    def wrap(app):
        async def segmenting_app(scope, receive, send):
            if scope.get("type") == "http" and scope.get("query_string"):
                path = scope.get("path", "")
                if any(path.rstrip("/").split(".")[0].endswith("/" + t) for t in SEARCH_TABLES):
                    qs = urllib.parse.parse_qsl(scope["query_string"].decode("utf-8", "replace"), keep_blank_values=True)
                    if any(k == "_search" for k, _ in qs):
                        from ingest.segment import fts_query

                        # table pages filter (every word must match); canned queries rank with OR
                        new = [(k, fts_query(v[:MAX_Q]) if k == "_search" else v) for k, v in qs if k != "_searchmode"]
                        new.append(("_searchmode", "raw"))
                        scope = dict(scope, query_string=urllib.parse.urlencode(new).encode())
            await app(scope, receive, send)

        return segmenting_app

    return wrap
