"""Declarations ranked for a query as every search ranks them (``relevance.rank_declarations``),
as typed hits with their snippet: full-text and vector ranks fused, the relevance floor applied."""

from __future__ import annotations

from ..embedders import Embedder
from . import decorate
from .relevance import RRF_K, VECTOR_WEIGHT, Ranking, rank_declarations
from .results import SearchHit
from .snippets import snippet

__all__ = ["RRF_K", "VECTOR_WEIGHT", "declaration_hits", "hybrid_search"]


def hybrid_search(db, embedder: Embedder, query: str, limit: int = 10) -> list[SearchHit]:
    """Full-text and vector ranks fused, matches first, then a marked few weak ones."""
    return declaration_hits(db, rank_declarations(db, query, "hybrid", embedder), limit)


def declaration_hits(db, ranking: Ranking, limit: int) -> list[SearchHit]:
    """The first ``limit`` declarations of a ranking, with their fields and a snippet of the text
    around the query's words."""
    hits = ranking.hits[:limit]
    extra = {h.id: h for h in hits}
    found = decorate.declarations(db, [(h.id, h.score) for h in hits])
    texts = _texts(db, [h.id for h in found])
    out = []
    for h in found:
        h.snippet = snippet(texts.get(h.id), ranking.q)
        out.append(SearchHit(**h.__dict__, found_by=extra[h.id].found_by, weak=extra[h.id].weak))
    return out


def _texts(db, ids: list[str]) -> dict[str, str]:
    """The text a snippet is cut from: the first of the fields that holds a query word is found by
    ``snippet``; here name, overview, basis and goal, as the search query's snippet reads them."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {r[0]: "。".join(x for x in r[1:] if x) for r in db.execute(
        f"select id, name, overview, basis, goal_period from declarations where id in ({marks})", ids)}
