"""Full-text ranking: the bm25 column weights, and the best declarations of each common word.

Full-text search ranks declarations by FTS5's bm25 with column weights (``DECLARATION_WEIGHTS``).
FTS5 computes it for every row that matches, so a query whose words are all common costs as many
rows as contain them: at 100,000 declarations 20-120 ms for 企业发展 or 满意度. A query's bm25 is
the sum of its words' parts, and each part depends only on that word and the row. So for every
word in more than ``COMMON`` declarations its ``TOP`` best declarations are kept with their parts
(``fts_tops``), refreshed by the build whenever the declarations changed. A query of such words
is answered from them when the answer is provably the one FTS5 would give (:func:`best_of`),
else FTS5 ranks as before.
"""

from __future__ import annotations

import numpy as np

# name, dept, overview, basis, necessity, safeguards, plan, goals, indicators
DECLARATION_WEIGHTS = (10.0, 4.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.5, 2.0)
BM25 = f"bm25(declarations_fts, {', '.join(map(str, DECLARATION_WEIGHTS))})"
COMMON = 2000  # declarations a word is in before its best ones are kept
TOP = 2000  # declarations kept per word


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _version(db) -> int | None:
    row = db.execute("select value from kb_state where key = 'declarations_version'").fetchone()
    return row[0] if row else None


def refresh_term_tops(db, common: int = COMMON, top: int = TOP) -> int:
    """Recompute ``fts_tops`` for the declarations as they are; returns the number of words kept."""
    db.execute("delete from fts_tops")
    terms = db.execute("select term, doc from declarations_fts_vocab where doc > ?", [common]).fetchall()
    for term, df in terms:
        found = db.execute(f"select rowid, {BM25} as score from declarations_fts where declarations_fts match ?"
                           f" order by score, rowid limit ?", [_phrase(term), top]).fetchall()
        db.execute("insert into fts_tops (term, declarations, rowids, scores) values (?, ?, ?, ?)",
                   [term, df, np.array([r[0] for r in found], dtype="<i8").tobytes(),
                    np.array([r[1] for r in found], dtype="<f8").tobytes()])
    db.execute("insert into kb_state (key, value) values ('fts_tops_version', ?)"
               " on conflict(key) do update set value = excluded.value", [_version(db)])
    return len(terms)


def tops_stale(db) -> bool:
    """Whether ``fts_tops`` was computed for other declarations than the stored ones."""
    row = db.execute("select value from kb_state where key = 'fts_tops_version'").fetchone()
    return row is None or row[0] != _version(db)


def term_tops(db, terms: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """Each word's kept declarations (rowids, bm25 parts, best first), if every word has them and
    they are current; else None."""
    if not terms or tops_stale(db):
        return None
    marks = ",".join("?" * len(terms))
    found = {t: (np.frombuffer(r, dtype="<i8"), np.frombuffer(s, dtype="<f8")) for t, r, s in db.execute(
        f"select term, rowids, scores from fts_tops where term in ({marks})", terms)}
    return found if len(found) == len(set(terms)) else None


def best_of(tops: dict[str, tuple[np.ndarray, np.ndarray]], limit: int) -> list[tuple[int, float]] | None:
    """The ``limit`` best declarations containing every word, by the sum of their bm25 parts (lower
    is better, ties by rowid), if the kept lists prove it; else None.

    A declaration missing from a word's list either lacks the word or scores no better on it than
    the list's last; so the best it can reach is its known parts plus those last parts. The answer
    is proven when ``limit`` declarations in every list all score better than anything else can.
    """
    lists = list(tops.values())
    if any(len(r) == 0 for r, _ in lists):
        return None
    if len(lists) == 1:
        rowids, scores = lists[0]
        return list(zip(rowids[:limit].tolist(), scores[:limit].tolist())) if len(rowids) >= limit else None
    rowids = np.concatenate([r for r, _ in lists])
    parts = np.concatenate([s for _, s in lists])
    last = np.array([s[-1] for _, s in lists])
    ids, where = np.unique(rowids, return_inverse=True)
    known = np.bincount(where, weights=parts, minlength=len(ids))
    count = np.bincount(where, minlength=len(ids))
    # the part of each word a declaration is not listed for: at best that list's last
    missing_best = np.zeros(len(ids))
    for r, s in lists:
        absent = ~np.isin(ids, r, assume_unique=True)
        missing_best[absent] += s[-1]
    whole = count == len(lists)
    if whole.sum() < limit:
        return None
    order = np.lexsort((ids[whole], known[whole]))[:limit]
    best_ids, best_scores = ids[whole][order], known[whole][order]
    worst = best_scores[-1]
    reachable = np.concatenate([(known + missing_best)[~whole], [last.sum()]])
    if reachable.min() <= worst:
        return None
    return list(zip(best_ids.tolist(), best_scores.tolist()))
