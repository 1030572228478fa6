"""Indicators used by the past declarations most like a free-text project description."""

from __future__ import annotations

from ..embedders import Embedder
from .results import IndicatorSuggestion, rows
from .semantic import semantic_search


def suggest_indicators(db, embedder: Embedder, description: str, projects: int = 5, limit: int = 30
                       ) -> list[IndicatorSuggestion]:
    """Grouped by (category, name); each says how many of those projects used it, with the units
    and values they declared (年度 indicators, or 实施期 ones where a project has no 年度 column).

    The projects are the description's matches by meaning (``relevance``: none when nothing in the
    corpus is about it); ``score`` (0–1) is the share of them using the indicator, each weighed by
    its rank."""
    hits = [h for h in semantic_search(db, embedder, description, projects, "declaration") if not h.weak]
    if not hits:
        return []
    ids = [h.id for h in hits]
    total = sum(h.score for h in hits)
    weight = {h.id: h.score / total for h in hits}
    marks = ",".join("?" * len(ids))
    found = rows(db.execute(
        f"select declaration_id, level1, level2, name, value, unit from indicators"
        f" where period = '年度' and declaration_id in ({marks})"
        f" union all select declaration_id, level1, level2, name, value, unit from indicators"
        f" where period = '实施期' and declaration_id in ({marks})"
        f" and declaration_id not in (select declaration_id from indicators where period = '年度')", ids + ids))
    groups: dict[tuple, IndicatorSuggestion] = {}
    for r in found:
        g = groups.setdefault((r["level1"], r["level2"], r["name"]),
                              IndicatorSuggestion(r["level1"], r["level2"], r["name"]))
        if r["value"] and r["value"] not in g.values:
            g.values.append(r["value"])
        if r["unit"] and r["unit"] not in g.units:
            g.units.append(r["unit"])
        if r["declaration_id"] not in g.declarations:
            g.declarations.append(r["declaration_id"])
            g.score += weight[r["declaration_id"]]
    out = sorted(groups.values(), key=lambda g: (-g.score, g.name or ""))[:limit]
    for g in out:
        g.declarations.sort()
        g.uses = len(g.declarations)
        g.score = round(g.score, 4)
    return out
