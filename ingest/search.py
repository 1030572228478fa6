"""Ranked full-text search over kb.db (jieba-segmented FTS5, bm25 with column weights)."""

from __future__ import annotations

from sqlite_utils import Database

from . import segment

# name, dept, overview, basis, necessity, safeguards, plan, goals, indicators
DECLARATION_WEIGHTS = (10.0, 4.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.5, 2.0)
WEIGHTS_SQL = ", ".join(str(w) for w in DECLARATION_WEIGHTS)

DECLARATIONS_SQL = f"""
select d.id, d.name, d.dept_name, d.year, d.funds_total,
  bm25(declarations_fts, {WEIGHTS_SQL}) as score,
  snippet(declarations_fts, -1, '[', ']', '…', 16) as snippet
from declarations_fts join declarations d on d.rowid = declarations_fts.rowid
where declarations_fts match :match
order by score, d.id
limit :limit
"""

INDICATORS_SQL = """
select i.id, i.declaration_id, d.name as declaration_name, i.period, i.level1, i.level2, i.name, i.value, i.unit,
  bm25(indicators_fts, 5.0, 1.0, 1.0) as score
from indicators_fts join indicators i on i.rowid = indicators_fts.rowid join declarations d on d.id = i.declaration_id
where indicators_fts match :match
order by score, i.id
limit :limit
"""

POLICIES_SQL = """
select p.id, p.title, p.doc_number, bm25(policies_fts, 3.0, 5.0) as score,
  (select count(*) from declaration_policies dp where dp.policy_id = p.id) as declarations
from policies_fts join policies p on p.rowid = policies_fts.rowid
where policies_fts match :match
order by score, p.id
limit :limit
"""


def _run(db: Database, sql: str, query: str, limit: int) -> list[dict]:
    match = segment.fts_query(query, mode="or")
    if match == '""':
        return []
    return list(db.query(sql, {"match": match, "limit": limit}))


def search_declarations(db: Database, query: str, limit: int = 10) -> list[dict]:
    """Declarations best first; any query token may match, more and rarer matches rank higher."""
    return _run(db, DECLARATIONS_SQL, query, limit)


def search_indicators(db: Database, query: str, limit: int = 20) -> list[dict]:
    return _run(db, INDICATORS_SQL, query, limit)


def search_policies(db: Database, query: str, limit: int = 20) -> list[dict]:
    return _run(db, POLICIES_SQL, query, limit)
