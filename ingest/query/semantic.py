"""Items ranked by the cosine similarity of their vectors to a query text."""

from __future__ import annotations

from ..embedders import Embedder
from ..vectors import load_index
from . import decorate

DECORATE = {"declaration": decorate.declarations, "basis": decorate.basis, "indicator": decorate.indicators}


def semantic_search(db, embedder: Embedder, query: str, limit: int = 10, kind: str = "declaration") -> list:
    """Declarations (``kind="declaration"``), their policy basis (``"basis"``) or indicators (``"indicator"``)."""
    if kind not in DECORATE:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(DECORATE)}")
    from .cache import cached

    def compute():
        index = load_index(db, embedder.model_id, kind)
        if not query.strip() or not index.ids:
            return []
        return DECORATE[kind](db, index.top(embedder.embed_queries([query])[0], limit, db=db))

    return [type(h)(**h.__dict__) for h in cached(db, ("semantic", embedder.model_id, kind, query, limit), compute)]
