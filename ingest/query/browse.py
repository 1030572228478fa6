"""The search page: one query over declarations (混合 / 全文 / 语义), indicators or policies, with
facets that keep the query, pagination, highlighted excerpts of the original text, as typed
results for the page and its JSON.

The declarations come from :func:`relevance.rank_declarations`, the one ranking every search
uses (the page, its JSON, the canned queries, the SQL functions, ``kb search``): matches first,
then a marked few weak ones; with no full-text match in 混合, the matches by meaning get a heading
of their own. Indicators and policies are floored the same way (:func:`fulltext.search_indicators`).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from .fulltext import SNIPPET_FIELDS, search_indicators, search_policies
from .relevance import rank_declarations
from .results import rows
from .snippets import query_words

MODES = {"hybrid": "混合", "fulltext": "全文", "semantic": "语义"}
TABS = {"declarations": "项目", "indicators": "绩效指标", "policies": "政策文件"}
FACETS = {"dept_group": "主管部门", "year": "年度", "attribute": "项目属性", "funds_band": "资金规模"}
FIELD_LABELS = {"name": "项目名称", "overview": "项目概况", "basis": "立项依据", "plan": "实施计划",
                "goal_period": "总体目标", "necessity": "必要性", "safeguards": "保障措施"}
CANDIDATES = 200
FOUND_BY = {"fulltext": "全文", "semantic": "语义", "both": "全文+语义"}


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    column: str
    title: str
    values: list[FacetValue] = field(default_factory=list)


@dataclass
class Card:
    id: str
    name: str | None
    dept_name: str | None
    year: int | None
    attribute: str | None
    funds_total: float | None
    score: float  # 0–1 (relevance.py)
    found_by: str  # 全文 / 语义 / 全文+语义
    excerpt_html: str = ""  # the original text around the words, the words in <mark>
    excerpt_field: str | None = None
    indicators: list[dict] = field(default_factory=list)  # name, value, html
    policies: list[dict] = field(default_factory=list)  # id, title, html
    funds: float | None = None  # the total the form has: 实施期, else 年度
    funds_period: str | None = None
    weak: bool = False  # not a match: one of the marked few closest

@dataclass
class SearchPage:
    q: str
    mode: str
    tab: str
    filters: dict[str, str]
    page: int
    pages: int
    total: int
    cards: list[Card] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    policies: list[dict] = field(default_factory=list)
    facets: list[Facet] = field(default_factory=list)
    semantic_only: bool = False  # no keyword hit: these are the projects closest in meaning
    provisional: bool = False  # the model was still loading: full text only, ask again shortly
    notes: list[str] = field(default_factory=list)
    weak_only: bool = False  # nothing matched: what is shown is the marked few closest


def mark_html(text: str | None, words: list[str], width: int | None = None) -> str:
    """The text (or an excerpt of ``width`` characters around the first word) HTML-escaped, each
    query word in <mark>."""
    if not text:
        return ""
    start = 0
    if width is not None:
        pos = min((text.find(w) for w in words if w in text), default=0)
        start = max(0, pos - width // 3)
        text, prefix, suffix = text[start:start + width], "…" if start else "", "…" if start + width < len(text) else ""
    else:
        prefix = suffix = ""
    if not words:
        return prefix + html.escape(text) + suffix
    pattern = re.compile("|".join(re.escape(w) for w in words))
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[last:m.start()]))
        out.append("<mark>" + html.escape(m.group(0)) + "</mark>")
        last = m.end()
    out.append(html.escape(text[last:]))
    return prefix + "".join(out) + suffix


def band_label(band: str | None) -> str:
    """``6 1000万–1亿`` → ``1000万–1亿`` (the digit only orders the bands)."""
    return re.sub(r"^\d\s*", "", band or "")


def _apply_filters(db, ids: list[str], filters: dict[str, str]) -> list[str]:
    if not ids or not filters:
        return ids
    keep = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        where = " and ".join(f"{col} = ?" for col in filters)
        keep.update(r[0] for r in db.execute(
            f"select id from declarations where id in ({','.join('?' * len(chunk))}) and {where}",
            [*chunk, *filters.values()]))
    return [i for i in ids if i in keep]


def _facets(db, ids: list[str], filters: dict[str, str]) -> list[Facet]:
    out = []
    if not ids:
        return out
    marks = ",".join("?" * len(ids))
    for col, title in FACETS.items():
        counts = db.execute(f"select {col}, count(*) from declarations where id in ({marks}) and {col} is not null"
                            f" and {col} != '' group by {col} order by count(*) desc, {col} limit 12", ids).fetchall()
        if col == "funds_band":
            counts = sorted(counts, key=lambda r: r[0])
        elif col == "year":
            counts = sorted(counts, key=lambda r: -int(r[0]))
        values = [FacetValue(str(v), band_label(v) if col == "funds_band" else str(v), n,
                             filters.get(col) == str(v)) for v, n in counts]
        if values:
            out.append(Facet(col, title, values))
    return out


def _cards(db, hits: list[tuple[str, float, str, bool]], q: str) -> list[Card]:
    if not hits:
        return []
    words = query_words(q)
    ids = [h[0] for h in hits]
    marks = ",".join("?" * len(ids))
    meta = {r["id"]: r for r in rows(db.execute(
        f"select id, name, dept_name, year, attribute, funds_total, funds, {', '.join(f for f in SNIPPET_FIELDS[1:])}"
        f" from declarations where id in ({marks})", ids))}
    inds: dict[str, list[dict]] = {}
    pols: dict[str, list[dict]] = {}
    if words:
        like = " or ".join("name like ?" for _ in words)
        for r in rows(db.execute(f"select declaration_id, name, value from indicators where declaration_id in ({marks})"
                                 f" and ({like}) order by seq", [*ids, *(f"%{w}%" for w in words)])):
            lst = inds.setdefault(r["declaration_id"], [])
            if len(lst) < 3 and r["name"] not in [x["name"] for x in lst]:
                lst.append({"name": r["name"], "value": r["value"], "html": mark_html(r["name"], words)})
        plike = " or ".join("coalesce(p.title, '') || coalesce(p.doc_number, '') like ?" for _ in words)
        for r in rows(db.execute(
                f"select dp.declaration_id, p.id, coalesce(p.title, p.doc_number) as title from declaration_policies dp"
                f" join policies p on p.id = dp.policy_id where dp.declaration_id in ({marks}) and ({plike})",
                [*ids, *(f"%{w}%" for w in words)])):
            lst = pols.setdefault(r["declaration_id"], [])
            if len(lst) < 2:
                lst.append({"id": r["id"], "title": r["title"], "html": mark_html(r["title"], words)})
    out = []
    for decl_id, score, found_by, weak in hits:
        r = meta.get(decl_id)
        if r is None:
            continue
        field_name = next((f for f in SNIPPET_FIELDS if r.get(f) and any(w in r[f] for w in words)), None)
        text = r.get(field_name) if field_name else (r.get("overview") or r.get("goal_period") or "")
        out.append(Card(decl_id, r["name"], r["dept_name"], r["year"], r["attribute"], r["funds_total"], score,
                        found_by, mark_html(text, words, 90), FIELD_LABELS.get(field_name) if field_name else None,
                        inds.get(decl_id, []), pols.get(decl_id, []), r["funds"],
                        "实施期" if r["funds_total"] is not None else "年度", weak))
    return out


def search_page(db, q: str, *, mode: str = "hybrid", tab: str = "declarations", filters: dict | None = None,
                page: int = 1, per_page: int = 20, embedder=None, semantic_ready: bool = True) -> SearchPage:
    """Everything the search page shows for one query (see the module docstring)."""
    q = (q or "").strip()[:200]
    mode = mode if mode in MODES else "hybrid"
    tab = tab if tab in TABS else "declarations"
    filters = {k: str(v) for k, v in (filters or {}).items() if k in FACETS and v not in (None, "")}
    out = SearchPage(q, mode, tab, filters, max(1, page), 1, 0)
    if not q:
        return out
    words = query_words(q)
    if tab == "indicators":
        found = search_indicators(db, q, CANDIDATES)
        out.total = len(found)
        items = found[(out.page - 1) * per_page: out.page * per_page]
        out.indicators = [{**h.__dict__, "html": mark_html(h.indicator, words)} for h in items]
    elif tab == "policies":
        found = search_policies(db, q, CANDIDATES)
        out.total = len(found)
        items = found[(out.page - 1) * per_page: out.page * per_page]
        out.policies = [{**h.__dict__, "html": mark_html(h.title or h.doc_number, words)} for h in items]
    else:
        ranking = rank_declarations(db, q, mode, embedder, semantic_ready)
        out.provisional, out.notes = ranking.provisional, list(ranking.notes)
        out.semantic_only, out.weak_only = ranking.semantic_only, ranking.weak_only
        ranked = [(h.id, h.score, FOUND_BY[h.found_by], h.weak) for h in ranking.hits]
        ids = [h[0] for h in ranked]
        kept = set(_apply_filters(db, ids, filters))
        ranked = [h for h in ranked if h[0] in kept]
        out.facets = _facets(db, [h[0] for h in ranked], filters)
        out.total = len(ranked)
        out.cards = _cards(db, ranked[(out.page - 1) * per_page: out.page * per_page], q)
    out.pages = max(1, -(-out.total // per_page))
    return out
