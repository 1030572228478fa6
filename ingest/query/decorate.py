"""Turn ranked ids into typed results, one query per kind for the whole page of hits."""

from __future__ import annotations

from .results import BasisHit, DeclarationHit, IndicatorHit, rows


def _marks(ids) -> str:
    return ",".join("?" * len(ids))


def declarations(db, hits: list[tuple[str, float]]) -> list[DeclarationHit]:
    if not hits:
        return []
    ids = [h for h, _ in hits]
    found = {r["id"]: r for r in rows(db.execute(
        f"select id, name, dept_name, year, funds_total from declarations where id in ({_marks(ids)})", ids))}
    return [DeclarationHit(**found[i], score=round(s, 6)) for i, s in hits if i in found]


def basis(db, hits: list[tuple[str, float]]) -> list[BasisHit]:
    """Hits on ``<id>:basis`` items, as the declarations they belong to."""
    if not hits:
        return []
    from ..vectors import declaration_of

    ids = [declaration_of(h) for h, _ in hits]
    found = {r["id"]: r for r in rows(db.execute(
        f"select id, name, dept_name, basis from declarations where id in ({_marks(ids)})", ids))}
    return [BasisHit(**found[declaration_of(i)], score=round(s, 6)) for i, s in hits if declaration_of(i) in found]


def indicators(db, hits: list[tuple[str, float]]) -> list[IndicatorHit]:
    if not hits:
        return []
    ids = [h for h, _ in hits]
    found = {r["indicator_id"]: r for r in rows(db.execute(
        f"select i.id as indicator_id, d.id, d.name, i.period, i.level1, i.level2, i.name as indicator,"
        f" i.value, i.unit from indicators i join declarations d on d.id = i.declaration_id"
        f" where i.id in ({_marks(ids)})", ids))}
    return [IndicatorHit(**found[i], score=round(s, 6)) for i, s in hits if i in found]
