"""Ranked full-text search over kb.db (jieba-segmented FTS5, bm25 with column weights)."""

from __future__ import annotations

from sqlite_utils import Database

from . import segment

# name, dept, overview, basis, necessity, safeguards, plan, goals, indicators
DECLARATION_WEIGHTS = (10.0, 4.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.5, 2.0)
WEIGHTS_SQL = ", ".join(str(w) for w in DECLARATION_WEIGHTS)

# Rank first, then decorate only the top rows: a snippet or a join evaluated in the ranking
# query would run for every matching row (all of them, for a common word).
DECLARATIONS_SQL = f"""
with top as (
  select rowid, bm25(declarations_fts, {WEIGHTS_SQL}) as score
  from declarations_fts where declarations_fts match :match
  order by score, rowid limit :limit
)
select d.id, d.name, d.dept_name, d.year, d.funds_total, top.score,
  (select snippet(declarations_fts, -1, '[', ']', '…', 16) from declarations_fts
   where declarations_fts match :match and rowid = top.rowid) as snippet
from top join declarations d on d.rowid = top.rowid
order by top.score, top.rowid
"""

INDICATORS_SQL = """
with top as (
  select rowid, bm25(indicators_fts, 5.0, 1.0, 1.0) as score
  from indicators_fts where indicators_fts match :match
  order by score, rowid limit :limit
)
select i.id, i.declaration_id, d.name as declaration_name, i.period, i.level1, i.level2, i.name, i.value, i.unit,
  top.score
from top join indicators i on i.rowid = top.rowid join declarations d on d.id = i.declaration_id
order by top.score, top.rowid
"""

POLICIES_SQL = """
with top as (
  select rowid, bm25(policies_fts, 3.0, 5.0) as score
  from policies_fts where policies_fts match :match
  order by score, rowid limit :limit
)
select p.id, p.title, p.doc_number, top.score,
  (select count(*) from declaration_policies dp where dp.policy_id = p.id) as declarations
from top join policies p on p.rowid = top.rowid
order by top.score, top.rowid
"""


def _run(db: Database, sql: str, query: str, limit: int, mode: str = "or") -> list[dict]:
    match = segment.fts_query(query, mode=mode)
    if match == '""':
        return []
    return list(db.query(sql, {"match": match, "limit": limit}))


def search_declarations(db: Database, query: str, limit: int = 10) -> list[dict]:
    """Declarations best first: those containing every query word, by bm25, then (if fewer than
    ``limit``) those containing some of them.

    Ranking only the documents that contain every word first keeps the cost to the documents that
    can rank highest; ranking every document that contains any word costs as many documents as
    contain the commonest word (满意度 is in nearly all of them).
    """
    rows = _run(db, DECLARATIONS_SQL, query, limit, mode="and")
    if len(rows) < limit and len(segment.seg_query(query)) > 1:
        seen = {r["id"] for r in rows}
        rows += [r for r in _run(db, DECLARATIONS_SQL, query, limit, mode="or") if r["id"] not in seen]
    return rows[:limit]


def search_indicators(db: Database, query: str, limit: int = 20) -> list[dict]:
    return _run(db, INDICATORS_SQL, query, limit)


def search_policies(db: Database, query: str, limit: int = 20) -> list[dict]:
    return _run(db, POLICIES_SQL, query, limit)
