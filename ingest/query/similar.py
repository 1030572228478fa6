"""Declarations most like one stored declaration, from the stored vectors (no model needed)."""

from __future__ import annotations

from ..vectors import load_index
from . import decorate
from .results import DeclarationHit, DeclarationNotFound


def similar(db, model_id: str, declaration_id: str, limit: int = 10) -> list[DeclarationHit]:
    """The declarations nearest to ``declaration_id`` (itself excluded), by their summary vectors.

    :raises DeclarationNotFound: no declaration has this id.
    """
    index = load_index(db, model_id, "declaration")
    vector = index.vector(declaration_id)
    if vector is None:
        if db.execute("select 1 from declarations where id = ?", [declaration_id]).fetchone() is None:
            raise DeclarationNotFound(declaration_id)
        return []
    return decorate.declarations(db, index.top(vector, limit, exclude={declaration_id}))
