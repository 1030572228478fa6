"""What the similar projects declared: their indicators grouped by category, to reuse in a draft."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ...text import compact
from ..results import rows
from .nearest import SimilarHit


@dataclass
class IndicatorGroup:
    level1: str
    level2: str
    items: list[dict] = field(default_factory=list)  # name, projects, typical, values, units, range


def indicators_of(db, hits: list[SimilarHit], per_group: int = 8) -> list[IndicatorGroup]:
    """The indicators the similar projects declared, grouped by category (一级/二级), each with how
    many of them used it, its most common value and its units and range: what to reuse in a draft."""
    if not hits:
        return []
    ids = [h.id for h in hits]
    weight = {h.id: h.score for h in hits}
    marks = ",".join("?" * len(ids))
    found = rows(db.execute(
        f"select declaration_id, period, level1, level2, name, name_norm, value, number, unit from indicators"
        f" where declaration_id in ({marks}) order by declaration_id, seq", ids))
    annual = {r["declaration_id"] for r in found if r["period"] == "年度"}
    found = [r for r in found if r["period"] == "年度" or r["declaration_id"] not in annual]
    groups: dict[tuple, dict[str, dict]] = {}
    for r in found:
        l1 = _category(r["level1"]) or "其他"
        l2 = _category(r["level2"]) or "其他"
        key = r["name_norm"] or r["name"]
        item = groups.setdefault((l1, l2), {}).setdefault(key, {
            "name": r["name"], "projects": set(), "values": Counter(), "units": Counter(), "numbers": [], "weight": 0.0})
        if r["declaration_id"] not in item["projects"]:
            item["projects"].add(r["declaration_id"])
            item["weight"] += weight[r["declaration_id"]]
        if r["value"]:
            item["values"][r["value"]] += 1
        if r["unit"]:
            item["units"][r["unit"]] += 1
        if r["number"] is not None:
            item["numbers"].append(r["number"])
    order = {"产出指标": 0, "效益指标": 1, "满意度指标": 2}
    out = []
    for (l1, l2), items in sorted(groups.items(), key=lambda g: (order.get(g[0][0], 3), g[0][0], g[0][1])):
        ranked = sorted(items.values(), key=lambda x: (-x["weight"], x["name"]))[:per_group]
        out.append(IndicatorGroup(l1, l2, [{
            "name": x["name"], "projects": len(x["projects"]), "typical": x["values"].most_common(1)[0][0]
            if x["values"] else None, "values": [v for v, _ in x["values"].most_common(4)],
            "units": [u for u, _ in x["units"].most_common(3)],
            "range": [min(x["numbers"]), max(x["numbers"])] if x["numbers"] else None} for x in ranked]))
    return out


def _category(text: str | None) -> str | None:
    t = compact(text or "")
    if not t:
        return None
    return t if t.endswith("指标") else t + "指标"

