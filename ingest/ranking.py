"""Full-text ranking: the bm25 column weights, and the bm25 part of every common word in each
declaration containing it.

Full-text search ranks declarations by FTS5's bm25 with column weights (``DECLARATION_WEIGHTS``).
FTS5 computes it for every row that matches, so a query whose words are all common costs as many
rows as contain them: at 100,000 declarations 20-120 ms for 企业发展 or 满意度. A query's bm25 is
the sum, in the query's word order, of its words' parts, and each part depends only on that word
and the row. So for every word in more than ``COMMON`` declarations the part it adds to each of
them is kept (``fts_word_scores``: rowids ascending, parts as float64), recomputed by the build
whenever the declarations changed. A query made only of such words is ranked from them in numpy
(:func:`rank`), with the very numbers and order FTS5 gives; any other query is ranked by FTS5.
"""

from __future__ import annotations

import sqlite3

import numpy as np

# name, dept, overview, basis, necessity, safeguards, plan, goals, indicators
DECLARATION_WEIGHTS = (10.0, 4.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.5, 2.0)
BM25 = f"bm25(declarations_fts, {', '.join(map(str, DECLARATION_WEIGHTS))})"
COMMON = 2000  # declarations a word is in before its parts are kept


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def version(db) -> int | None:
    """The declarations' version (bumped by every insert or delete, migration m015): read again
    after a ranking from the kept parts, it tells whether a build committed in between."""
    row = db.execute("select value from kb_state where key = 'declarations_version'").fetchone()
    return row[0] if row else None


def common_words(db, common: int = COMMON) -> int:
    return db.execute("select count(*) from declarations_fts_vocab where doc > ?", [common]).fetchone()[0]


def refresh_word_scores(db, common: int = COMMON, progress=None) -> int:
    """Recompute ``fts_word_scores`` for the declarations as they are; returns the number of words."""
    db.execute("delete from fts_word_scores")
    terms = db.execute("select term, doc from declarations_fts_vocab where doc > ? order by term", [common]).fetchall()
    for term, df in terms:
        found = np.array(db.execute(f"select rowid, {BM25} from declarations_fts where declarations_fts match ?"
                                    f" order by rowid", [_phrase(term)]).fetchall(), dtype=np.float64).reshape(-1, 2)
        db.execute("insert into fts_word_scores (term, declarations, rowids, scores) values (?, ?, ?, ?)",
                   [term, df, found[:, 0].astype("<i8").tobytes(), found[:, 1].astype("<f8").tobytes()])
        if progress:
            progress(1)
    db.execute("insert into kb_state (key, value) values ('fts_word_scores_version', ?)"
               " on conflict(key) do update set value = excluded.value", [version(db)])
    return len(terms)


def scores_stale(db) -> bool:
    """Whether ``fts_word_scores`` was computed for other declarations than the stored ones."""
    row = db.execute("select value from kb_state where key = 'fts_word_scores_version'").fetchone()
    return row is None or row[0] != version(db)


def word_scores(db, words: list[str]) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Each word's (rowids, parts), in the words' order, if every word has them and they are
    current; else None (also when a list is longer than the connection lets a blob be)."""
    if not words or scores_stale(db):
        return None
    marks = ",".join("?" * len(words))
    try:
        found = {t: (np.frombuffer(r, dtype="<i8"), np.frombuffer(s, dtype="<f8")) for t, r, s in db.execute(
            f"select term, rowids, scores from fts_word_scores where term in ({marks})", words)}
    except (sqlite3.DataError, sqlite3.OperationalError):  # string or blob too big (a served connection's limit)
        return None
    return [found[w] for w in words] if all(w in found for w in words) else None


def rank(lists: list[tuple[np.ndarray, np.ndarray]], limit: int, every: bool = True) -> list[tuple[int, float]]:
    """The ``limit`` best rows containing every word (``every``) or any, by bm25 (lower is better,
    ties by rowid): FTS5's ``order by bm25(...), rowid limit ...`` of the words ANDed or ORed."""
    size = int(max(r[-1] for r, _ in lists if len(r)) + 1) if any(len(r) for r, _ in lists) else 0
    total = np.zeros(size)
    count = np.zeros(size, dtype=np.int32)
    for rowids, parts in lists:  # in the query's order, as FTS5 adds them: the same sums to the bit
        total[rowids] += parts
        count[rowids] += 1
    rows = np.flatnonzero(count == len(lists) if every else count > 0)
    scores = total[rows]
    if len(rows) > limit:
        cut = np.partition(scores, limit - 1)[limit - 1]
        keep = scores <= cut
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, scores))[:limit]
    return list(zip(rows[order].tolist(), scores[order].tolist()))
