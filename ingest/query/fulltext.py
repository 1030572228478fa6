"""Ranked full-text search: jieba-segmented FTS5 with bm25 column weights.

Rank first, then decorate only the top rows: a snippet or a join evaluated in the ranking query
would run for every matching row (all of them, for a common word).
"""

from __future__ import annotations

from .. import segment
from ..ranking import BM25, rank, version, word_scores
from .results import DeclarationHit, IndicatorHit, PolicyHit, rows
from .snippets import snippet

INDICATOR_WEIGHTS = (5.0, 1.0, 1.0)  # name, category, value
POLICY_WEIGHTS = (3.0, 5.0)  # title, doc_number
SNIPPET_FIELDS = ("name", "overview", "basis", "plan", "goal_period", "necessity", "safeguards")

DECLARATIONS_SQL = f"""
with top as (
  select rowid, {BM25} as score
  from declarations_fts where declarations_fts match :match
  order by score, rowid limit :limit
)
select d.id, d.name, d.dept_name, d.year, d.funds_total, top.score, {', '.join('d.' + f for f in SNIPPET_FIELDS[1:])}
from top join declarations d on d.rowid = top.rowid
order by top.score, top.rowid
"""

# the ranking alone (rowids and scores, no text): what the relevance floor reads for 200 candidates
RANK_SQL = f"""
select rowid, {BM25} as score from declarations_fts where declarations_fts match :match
order by score, rowid limit :limit
"""

# the same, for declarations already ranked (ranking.rank)
RANKED_SQL = f"""
select d.rowid, d.id, d.name, d.dept_name, d.year, d.funds_total, {', '.join('d.' + f for f in SNIPPET_FIELDS[1:])}
from declarations d where d.rowid in ({{marks}})
"""

INDICATORS_SQL = f"""
with top as (
  select rowid, bm25(indicators_fts, {', '.join(map(str, INDICATOR_WEIGHTS))}) as score
  from indicators_fts where indicators_fts match :match
  order by score, rowid limit :limit
)
select i.id as indicator_id, i.declaration_id as id, d.name, i.period, i.level1, i.level2, i.name as indicator,
  i.value, i.unit, top.score
from top join indicators i on i.rowid = top.rowid join declarations d on d.id = i.declaration_id
order by top.score, top.rowid
"""

POLICIES_SQL = f"""
with top as (
  select rowid, bm25(policies_fts, {', '.join(map(str, POLICY_WEIGHTS))}) as score
  from policies_fts where policies_fts match :match
  order by score, rowid limit :limit
)
select p.id, p.title, p.doc_number, top.score,
  (select count(*) from declaration_policies dp where dp.policy_id = p.id) as declarations
from top join policies p on p.rowid = top.rowid
order by top.score, top.rowid
"""


def _run(db, sql: str, query: str | list[str], limit: int, mode: str = "or") -> list[dict]:
    """``query``: the user's text, or its tokens already cut."""
    match = segment.fts_query(query, mode=mode) if isinstance(query, str) else segment.fts_match(query, mode)
    if match == '""':
        return []
    return rows(db.execute(sql, {"match": match, "limit": limit}))


def _in_index(db, table: str, token: str) -> bool:
    """Whether any row contains the token (FTS5 answers from the first entry of its list)."""
    return db.execute(f"select 1 from {table} where {table} match ? limit 1",
                      [segment.fts_match([token])]).fetchone() is not None


def _declaration_hit(r: dict, query: str) -> DeclarationHit:
    words = [w for w in segment.seg_query(query)]
    text = next((r[f] for f in SNIPPET_FIELDS if r.get(f) and any(w in r[f] for w in words)), None)
    return DeclarationHit(r["id"], r["name"], r["dept_name"], r["year"], r["funds_total"], r["score"],
                          snippet(text or r.get("overview") or r["name"], query))


def search_declarations(db, query: str, limit: int = 10) -> list[DeclarationHit]:
    """Declarations best first (see :func:`_search_declarations`); repeated queries answered from a cache."""
    from .cache import cached

    return [DeclarationHit(**h.__dict__) for h in cached(
        db, ("declarations", query, limit), lambda: _search_declarations(db, query, limit))]


def _search_declarations(db, query: str, limit: int = 10) -> list[DeclarationHit]:
    """Declarations best first: those containing every query word the index knows, by bm25, then
    (if fewer than ``limit``) those containing some of them.

    Ranking only the documents that contain every word first keeps the cost to the documents that
    can rank highest; ranking every document that contains any word costs as many documents as
    contain the commonest word (满意度 is in nearly all of them). A word no declaration contains (a
    paraphrase, a typo: 用电代替燃煤取暖 has 用电, 代替 and 燃煤 nowhere) would empty the first step and
    send every query with one to that costly second step; it adds nothing to any bm25, so it is left out.
    """
    words = segment.seg_query(query)
    known = [w for w in words if _in_index(db, "declarations_fts", w)] if len(words) > 1 else words
    return [_declaration_hit(r, query) for r in ranked_rows(db, known, limit)]


def ranked_rows(db, words: list[str], limit: int) -> list[dict]:
    """The rows of the declarations containing every one of ``words`` by bm25, then (if fewer
    than ``limit``) those containing some of them (:func:`ranked_rowids`), with their fields."""
    return _ranked(db, ranked_rowids(db, words, limit)[0])


def ranked_rowids(db, words: list[str], limit: int) -> tuple[list[tuple[int, float]], int]:
    """(rowid, bm25) of the declarations containing every one of ``words``, best first, then (if
    fewer than ``limit``) of those containing some of them; and how many hold every word. From the
    kept word scores when they hold every word, else from FTS5 (the same rows and scores). Reads
    no declaration's text: what a ranking costs is the index."""
    if not words:
        return [], 0
    found = _ranked_from_kept(db, words, limit)
    if found is not None:
        return found
    every = _run(db, RANK_SQL, words, limit, mode="and")
    found = [(r["rowid"], r["score"]) for r in every]
    if len(found) < limit and len(words) > 1:
        seen = {rowid for rowid, _ in found}
        found += [(r["rowid"], r["score"]) for r in _run(db, RANK_SQL, words, limit, mode="or") if r["rowid"] not in seen]
    return found[:limit], min(len(every), limit)


def _ranked_from_kept(db, words: list[str], limit: int) -> tuple[list[tuple[int, float]], int] | None:
    """Both steps of :func:`ranked_rowids` from the words' kept bm25 parts, when every word has
    them (``ranking.fts_word_scores``); None to rank in FTS5. Each read is its own snapshot: if a
    build committed declarations meanwhile, FTS5 ranks instead."""
    if not 0 < limit <= 500:
        return None
    before = version(db)
    lists = word_scores(db, words)
    if lists is None:
        return None
    found = rank(lists, limit)
    every = len(found)
    if len(found) < limit and len(words) > 1:
        seen = {rowid for rowid, _ in found}
        found += [x for x in rank(lists, limit, every=False) if x[0] not in seen]
    return (found[:limit], min(every, limit)) if version(db) == before else None


def _ranked(db, best: list[tuple[int, float]]) -> list[dict]:
    """The rows of declarations ranked, in that order, with their scores."""
    if not best:
        return []
    by_rowid = {r["rowid"]: r for r in rows(db.execute(RANKED_SQL.format(marks=",".join("?" * len(best))),
                                                        [rowid for rowid, _ in best]))}
    return [{**by_rowid[rowid], "score": score} for rowid, score in best if rowid in by_rowid]


def search_indicators(db, query: str, limit: int = 20) -> list[IndicatorHit]:
    """Indicators whose name, category or value hold the query's words, with the relevance floor
    (``relevance``): matches by bm25, then a marked few weak ones; scores 0–1 by rank."""
    found = _floored(db, query, _run(db, INDICATORS_SQL, query, max(limit, FLOOR_POOL)), limit,
                     lambda r: " ".join(x or "" for x in (r["indicator"], r["level1"], r["level2"], r["value"])))
    return [IndicatorHit(**r) for r in found]


def search_policies(db, query: str, limit: int = 20) -> list[PolicyHit]:
    """Cited policy documents by title or number, floored and scored as :func:`search_indicators`."""
    found = _floored(db, query, _run(db, POLICIES_SQL, query, max(limit, FLOOR_POOL)), limit,
                     lambda r: " ".join(x or "" for x in (r["title"], r["doc_number"])))
    return [PolicyHit(**r) for r in found]


FLOOR_POOL = 200  # rows ranked before the floor sorts matches from weak ones


def _floored(db, query: str, found: list[dict], limit: int, text) -> list[dict]:
    """Rows holding at least ``KW_FLOOR`` of the query's weight, in their order, then at most
    ``WEAK_MAX`` holding ``KW_WEAK`` or more, marked ``weak``; score 0–1 by rank."""
    from .relevance import KW_FLOOR, KW_WEAK, RRF_K, WEAK_MAX, text_coverage, word_weights

    weights = word_weights(db, segment.seg_query(query))
    matches, weak = [], []
    for r in found:
        share = text_coverage(query, text(r), weights)
        if share >= KW_FLOOR:
            matches.append(r)
        elif share >= KW_WEAK and len(weak) < WEAK_MAX:
            weak.append(r)
    out = matches[:limit] + weak
    for k, r in enumerate(out):
        r["score"], r["weak"] = round((RRF_K + 1) / (RRF_K + k + 1), 4), k >= len(out) - len(weak)
    return out
