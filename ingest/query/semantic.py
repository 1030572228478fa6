"""Items ranked by the cosine similarity of their vectors to a query text, with the relevance floor
(``relevance``): matches first, then a marked few weak ones. Declarations are ranked as every
search ranks them in 语义 mode; policy bases and indicators against their own vectors."""

from __future__ import annotations

from ..embedders import Embedder
from ..vectors import declaration_of
from . import decorate
from .relevance import CANDIDATES, RRF_K, WEAK_MAX, rank_declarations, semantic_matches, vector_hits

DECORATE = {"declaration": decorate.declarations, "basis": decorate.basis, "indicator": decorate.indicators}


def semantic_search(db, embedder: Embedder, query: str, limit: int = 10, kind: str = "declaration") -> list:
    """Declarations (``kind="declaration"``), their policy basis (``"basis"``) or indicators
    (``"indicator"``), closest in meaning first; scores 0–1 by rank (``relevance``)."""
    if kind not in DECORATE:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(DECORATE)}")
    if kind == "declaration":
        from .hybrid import declaration_hits

        return declaration_hits(db, rank_declarations(db, query, "semantic", embedder), limit)
    from .cache import cached

    def compute():
        hits, low, high = vector_hits(db, embedder, query, kind, depth=max(limit, CANDIDATES))
        strong, weak = semantic_matches(hits, low, high)
        rank = {item: r for r, (item, _s) in enumerate(hits)}
        chosen = [(i, True) for i, _ in strong[:limit]] + [(i, False) for i, _ in weak[:WEAK_MAX]]
        found = DECORATE[kind](db, [(i, (RRF_K + 1) / (RRF_K + rank[i] + 1)) for i, _ in chosen])
        weak_items = {declaration_of(i) if kind == "basis" else i for i, is_match in chosen if not is_match}
        for h in found:
            h.score, h.weak = round(h.score, 4), (h.id if kind == "basis" else h.indicator_id) in weak_items
        return found

    return [type(h)(**h.__dict__) for h in cached(db, ("semantic", embedder.model_id, kind, query, limit), compute)]
