"""Answers to repeated queries, kept until the database file changes.

A search page asks for the same query again when the user pages, facets or comes back, and a load
of many users repeats the popular queries. The key includes the database file's size and
modification time (and its WAL's), so a `kb build` that commits makes every cached answer stale.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from ..vectors import database_path

T = TypeVar("T")
SIZE = 2048
_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


def file_version(path: str) -> tuple:
    """What changes when a database file is written: its and its WAL's size and modification time."""
    out = []
    for p in (path, path + "-wal"):
        try:
            st = os.stat(p)
            out += [st.st_size, st.st_mtime_ns]
        except OSError:
            out += [None, None]
    return tuple(out)


def cached(db, key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, or its answer from an earlier call with the same key on the same database state."""
    path = database_path(db)
    if not path:  # an in-memory database: nothing to key on
        return compute()
    full = (path, file_version(path), *key)
    with _lock:
        if full in _cache:
            _cache.move_to_end(full)
            return _cache[full]
    value = compute()
    with _lock:
        _cache[full] = value
        while len(_cache) > SIZE:
            _cache.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _cache.clear()
