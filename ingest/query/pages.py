"""What the knowledge base's own pages show, read in one call each: a declaration laid out like the
form, a policy and the projects citing it, one indicator across the library, the review summary and
the corpus overview. Plain dicts (the templates and the pages' JSON read them as they are).

Nothing here loads the embedding model: similar projects come from stored vectors.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from ..records import NARRATIVE_LABELS
from .browse import band_label
from .results import DeclarationNotFound, rows

NARRATIVE = tuple(NARRATIVE_LABELS.items())
SIMILAR_COUNT = 6
# the order of the funds rows on the printed form; other sources follow
FUNDS_ORDER = ("总额", "中央财政资金", "省级财政资金", "市县(区)财政资金", "市级财政资金", "县级财政资金", "单位自筹",
               "其他资金")
SEVERITY_ORDER = {"高": 0, "中": 1, "低": 2}


def indicator_grid(indicators: list[dict]) -> list[dict]:
    """Pair the 实施期 and 年度 indicators by category and name, in the order they were declared.

    Each row has ``level1``, ``level2``, ``name``, ``period`` (the 实施期 indicator or None) and
    ``annual`` (the 年度 one or None); an indicator found on one side only keeps an empty other side.
    """
    out: list[dict] = []
    index: dict[tuple, list[dict]] = {}
    for ind in indicators:
        side = "annual" if ind["period"] == "年度" else "period"
        key = (ind["level1"], ind["level2"], ind["name_norm"] or ind["name"])
        free = next((r for r in index.get(key, []) if r[side] is None), None)
        if free is None:
            free = {"level1": ind["level1"], "level2": ind["level2"], "name": ind["name"], "period": None,
                    "annual": None}
            out.append(free)
            index.setdefault(key, []).append(free)
        free[side] = ind
    # group rows by category so 一级/二级 cells can span
    first1: dict = {}
    first2: dict = {}
    for r in out:
        first1.setdefault(r["level1"], len(first1))
        first2.setdefault((r["level1"], r["level2"]), len(first2))
    out.sort(key=lambda r: (first1[r["level1"]], first2[(r["level1"], r["level2"])]))
    for i, r in enumerate(out):
        prev = out[i - 1] if i else None
        r["first_of_level1"] = prev is None or prev["level1"] != r["level1"]
        r["first_of_level2"] = r["first_of_level1"] or prev["level2"] != r["level2"]
    return out


def declaration_page(db, decl_id: str, model_id: str | None = None) -> dict:
    """One declaration as the form shows it ({} when no declaration has this id): header and funds
    by source for both periods, the narrative, the indicator grid (with the findings on each
    indicator), cited policies, parse warnings, review findings, its source and similar projects."""
    found = rows(db.execute("select * from declarations where id = ?", [decl_id]))
    if not found:
        return {}
    decl = found[0]
    funds_rows = rows(db.execute("select period, source, amount from funds where declaration_id = ?", [decl_id]))
    sources: list[str] = []
    for r in funds_rows:
        if r["source"] not in sources:
            sources.append(r["source"])
    sources.sort(key=lambda s: (FUNDS_ORDER.index(s) if s in FUNDS_ORDER else len(FUNDS_ORDER), s))
    funds = [{"source": s, **{r["period"]: r["amount"] for r in funds_rows if r["source"] == s}} for s in sources]
    indicators = rows(db.execute("select * from indicators where declaration_id = ? order by seq", [decl_id]))
    policies = rows(db.execute(
        "select p.id, p.title, p.doc_number, dp.field, (select count(*) from declaration_policies x"
        " where x.policy_id = p.id) as cited_by from declaration_policies dp join policies p on p.id = dp.policy_id"
        " where dp.declaration_id = ? order by p.doc_number is null, p.title", [decl_id]))
    warnings = rows(db.execute(
        "select line, text, reason from parse_warnings where declaration_id = ? order by line", [decl_id]))
    findings = declaration_findings(db, decl_id)
    flagged: dict[str, list[str]] = {}
    for f in findings:
        for e in f["evidence"]:
            if e.get("indicator"):
                flagged.setdefault(e["indicator"], []).append(f["message"])
    for ind in indicators:
        ind["findings"] = flagged.get(ind["id"], [])
    source = rows(db.execute("select id, path from sources where id = ?", [decl["source_id"]]))
    return {
        "decl": decl,
        "funds": funds,
        "grid": indicator_grid(indicators),
        "indicator_totals": {p: sum(1 for i in indicators if i["period"] == p) for p in ("实施期", "年度")},
        "narrative": [(label, decl.get(col)) for col, label in NARRATIVE],
        "policies": policies,
        "warnings": warnings,
        "source": source[0] if source else None,
        "similar": similar_projects(db, decl_id, model_id),
        "findings": findings,
    }


def similar_projects(db, decl_id: str, model_id: str | None) -> list[dict]:
    """Similar projects from the stored vectors (empty when there are none)."""
    from .similarity import similar

    try:
        return [asdict(h) for h in similar(db, model_id, decl_id, SIMILAR_COUNT)]
    except DeclarationNotFound:
        return []


def declaration_findings(db, decl_id: str) -> list[dict]:
    """The review findings of one declaration, most severe first, with evidence decoded."""
    try:
        found = rows(db.execute(
            "select f.*, r.title as rule_title, d.name as related_name from findings f"
            " left join review_rules r on r.rule = f.rule left join declarations d on d.id = f.related_id"
            " where f.declaration_id = ? order by f.id", [decl_id]))
    except Exception:  # noqa: BLE001 - a database from before the review tables: no findings section
        return []
    for r in found:
        r["evidence"] = json.loads(r["evidence"] or "[]")
        r["lines"] = json.loads(r["lines"] or "[]")
    found.sort(key=lambda r: (SEVERITY_ORDER.get(r["severity"], 3), r["id"]))
    return found


def policy_page(db, policy_id: str) -> dict:
    """One cited policy document and every project citing it ({} when there is none)."""
    policy = rows(db.execute("select * from policies where id = ?", [policy_id]))
    if not policy:
        return {}
    citing = rows(db.execute(
        "select d.id, d.name, d.dept_name, d.year, d.attribute, d.funds_total, dp.field"
        " from declaration_policies dp join declarations d on d.id = dp.declaration_id"
        " where dp.policy_id = ? order by d.year desc, d.funds_total desc", [policy_id]))
    return {"policy": policy[0], "citing": citing}


def review_summary(db) -> dict:
    """Per department: declarations, findings by rule and severity; the totals by rule."""
    departments = rows(db.execute("select * from department_findings order by findings desc,"
                                  " declarations desc, dept_name"))
    by_rule = rows(db.execute(
        "select f.rule, f.dimension, r.title, count(*) as findings, count(distinct f.declaration_id) as declarations"
        " from findings f left join review_rules r on r.rule = f.rule group by f.rule order by findings desc"))
    cells: dict = {}
    for dept, rule, n in db.execute("select dept_name, rule, findings from department_rule_findings"):
        cells.setdefault(dept, {})[rule] = n
    for d in departments:
        d["by_rule"] = cells.get(d["dept_name"], {})
    total = db.execute("select count(*) from declarations").fetchone()[0]
    return {"departments": departments, "rules": by_rule, "declarations": total,
            "findings": sum(r["findings"] for r in by_rule)}


def indicator_page(db, name: str) -> dict:
    """One indicator across the knowledge base: its categories, the values declared, the numbers per
    unit (for the charts) and the declarations using it."""
    found = rows(db.execute(
        "select i.declaration_id, i.period, i.level1, i.level2, i.name, i.value, i.number, i.unit, d.name as project,"
        " d.dept_name, d.year from indicators i join declarations d on d.id = i.declaration_id"
        " where i.name_norm = ? order by d.year desc, d.name limit 2000", [name]))
    by_unit: dict[str, list[float]] = {}
    for r in found:
        if r["number"] is not None:
            by_unit.setdefault(r["unit"] or "（无单位）", []).append(r["number"])
    values: dict[str, int] = {}
    for r in found:
        if r["value"]:
            values[r["value"]] = values.get(r["value"], 0) + 1
    categories: dict[str, int] = {}
    for r in found:
        key = f"{r['level1'] or '—'} / {r['level2'] or '—'}"
        categories[key] = categories.get(key, 0) + 1
    numbers = [{"unit": u, "count": len(v), "min": min(v), "max": max(v), "median": sorted(v)[len(v) // 2],
                "numbers": v} for u, v in sorted(by_unit.items(), key=lambda kv: -len(kv[1]))]
    declarations: dict = {}
    for r in found:
        declarations.setdefault(r["declaration_id"], r)
    return {"name": name, "uses": len(found), "declarations": list(declarations.values())[:200],
            "declaration_count": len(declarations),
            "values": sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:20],
            "categories": sorted(categories.items(), key=lambda kv: -kv[1]), "numbers": numbers,
            "similar_names": [] if found else similar_indicator_names(db, name)}


def similar_indicator_names(db, name: str, limit: int = 10) -> list[dict]:
    """Indicators of the library whose name holds ``name`` (most used first), else those whose
    names are most alike: what to suggest for a name no indicator has."""
    from ..text import compact, similarity

    key = compact(name)
    if not key:
        return []
    found = rows(db.execute(
        "select name, sum(declarations) as declarations from indicator_library where instr(name, ?) > 0"
        " group by name order by declarations desc, name limit ?", [key, limit]))
    if found:
        return found
    every = rows(db.execute("select name, sum(declarations) as declarations from indicator_library group by name"
                            " order by declarations desc limit 20000"))
    scored = sorted(((similarity(key, compact(r["name"] or "")), r) for r in every), key=lambda x: -x[0])
    return [r for s, r in scored[:limit] if s >= 0.4]


def overview(db) -> dict:
    """Declarations and funds by year, by department and by funds band."""
    by_year = rows(db.execute(
        "select year, count(*) as declarations, sum(funds) as funds from declarations"
        " where year is not null group by year order by year"))
    by_dept = rows(db.execute(
        "select dept_name, count(*) as declarations, sum(funds) as funds from declarations"
        " where dept_name is not null and dept_name != '' group by dept_name order by count(*) desc, dept_name"
        " limit 40"))
    by_band = rows(db.execute(
        "select funds_band, count(*) as declarations from declarations where funds_band is not null"
        " group by funds_band order by funds_band"))
    for r in by_band:
        r["label"] = band_label(r["funds_band"])
    for r in by_year + by_dept:
        r["funds_wan"] = round((r["funds"] or 0) / 10_000, 2)
    return {"by_year": by_year, "by_dept": by_dept, "by_band": by_band}


def home_summary(db) -> dict:
    """What the knowledge base holds, for its home page: declarations, departments, years,
    documents read (with forms, without, failed), indicators, policies and review findings."""
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    years = db.execute("select year, count(*) from declarations where year is not null group by year"
                       " order by year").fetchall()
    try:
        docs = dict(db.execute(
            "select case when outcome = '读取失败' then 'failed' when declarations > 0 then 'with_forms'"
            " else 'without' end, count(*) from documents group by 1").fetchall())
    except Exception:  # noqa: BLE001 - a database from before the documents view
        docs = {}
    try:
        findings = one("select count(*) from findings")
    except Exception:  # noqa: BLE001 - from before the review tables
        findings = 0
    return {"declarations": one("select count(*) from declarations"),
            "departments": one("select count(distinct coalesce(dept_group, dept_name)) from declarations"
                               " where coalesce(dept_group, dept_name, '') != ''"),
            "years": [{"year": y, "declarations": n} for y, n in years],
            "documents": {"total": sum(docs.values()), "with_forms": docs.get("with_forms", 0),
                          "without": docs.get("without", 0), "failed": docs.get("failed", 0)},
            "indicators": one("select count(*) from indicators"),
            "indicator_names": one("select count(*) from indicator_library"),
            "policies": one("select count(*) from policies"),
            "findings": findings,
            "funds": one("select sum(funds) from declarations")}
