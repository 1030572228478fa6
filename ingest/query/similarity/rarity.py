"""How rare what two declarations share is: IDF of words, indicator names and policies."""

from __future__ import annotations

import math
from operator import mul

from ...vectors import database_path

_idf_cache: dict[tuple, dict] = {}


def _corpus_version(db) -> tuple:
    """(path, number of declarations, a counter bumped by every insert or delete): kept by triggers
    (migration m015), so no query counts the table."""
    state = dict(db.execute("select key, value from kb_state where key in ('declarations_count',"
                            " 'declarations_version')").fetchall())
    if len(state) < 2:  # a database the migration has not reached (opened read-only)
        return (database_path(db),) + tuple(db.execute("select count(*), max(rowid) from declarations").fetchone())
    return database_path(db), state["declarations_count"], state["declarations_version"]


def _idf(n: int, df: int) -> float:
    return math.log((n + 1) / (df + 1)) + 1.0


class Rarity:
    """IDF weights of words, indicator names and policies, from the knowledge base (cached per corpus)."""

    def __init__(self, db):
        self.db = db
        key = _corpus_version(db)
        cached = _idf_cache.get(key)
        if cached is None:
            cached = {"n": key[1] or 0, "names": None, "policies": None, "terms": {}}
            _idf_cache.clear()
            _idf_cache[key] = cached
        self.cache = cached
        self.n = cached["n"]

    def names(self, name: str) -> float:
        if self.cache["names"] is None:
            self.cache["names"] = dict(self.db.execute(
                "select name, sum(declarations) from indicator_library group by name").fetchall())
        return _idf(self.n, self.cache["names"].get(name, 1))

    def policies(self, pid: str) -> float:
        if self.cache["policies"] is None:
            self.cache["policies"] = dict(self.db.execute("select id, cited_by from policies").fetchall())
        return _idf(self.n, self.cache["policies"].get(pid) or 1)

    def terms(self, terms) -> dict[str, float]:
        known = self.cache["terms"]
        missing = [t for t in terms if t not in known]
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            found = dict(self.db.execute(
                f"select term, doc from declarations_fts_vocab where term in ({','.join('?' * len(chunk))})",
                chunk).fetchall())
            for t in chunk:
                known[t] = _idf(self.n, found.get(t, 0))
        return {t: known[t] for t in terms}


def _overlap(a: set, b: set, weight) -> tuple[float, list]:
    """IDF-weighted cosine of two sets, and the shared items rarest first."""
    shared = a & b
    if not shared:
        return 0.0, []
    wa = math.sqrt(sum(weight(x) ** 2 for x in a))
    wb = math.sqrt(sum(weight(x) ** 2 for x in b))
    return sum(weight(x) ** 2 for x in shared) / (wa * wb), sorted(shared, key=lambda x: (-weight(x), x))


def _tfidf(words: dict[str, float], idf: dict[str, float]) -> tuple[dict[str, float], float]:
    """Term weights (1 + log count, stored) times rarity, and the vector's length."""
    vec = dict(zip(words, map(mul, words.values(), map(idf.__getitem__, words))))
    return vec, math.sqrt(sum(map(mul, vec.values(), vec.values()))) or 1.0

