"""The search page: one query over declarations (混合 / 全文 / 语义), indicators or policies, with
facets that keep the query, pagination, highlighted excerpts of the original text and a relevance
cut-off, as typed results for the page and its JSON.

Relevance: declarations containing every query word come first, then those containing some of
them (full text, bm25); in hybrid mode vector neighbours are fused in by reciprocal rank, but a
project found only by its vector is kept only while its cosine is within ``SEMANTIC_MARGIN`` of
the best one (on the judged semantic queries every relevant project was within 0.015 of the top,
while the fifth result was 0.007–0.05 behind it). With no keyword hit at all, the vector results
are shown under a heading of their own.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from .. import segment
from ..vectors import load_index
from .fulltext import DECLARATIONS_SQL, SNIPPET_FIELDS, _run, search_indicators, search_policies
from .hybrid import RRF_K, VECTOR_WEIGHT
from .results import rows
from .snippets import query_words

MODES = {"hybrid": "混合", "fulltext": "全文", "semantic": "语义"}
TABS = {"declarations": "项目", "indicators": "绩效指标", "policies": "政策文件"}
FACETS = {"dept_group": "主管部门", "year": "年度", "attribute": "项目属性", "funds_band": "资金规模"}
FIELD_LABELS = {"name": "项目名称", "overview": "项目概况", "basis": "立项依据", "plan": "实施计划",
                "goal_period": "总体目标", "necessity": "必要性", "safeguards": "保障措施"}
CANDIDATES = 200
SEMANTIC_MARGIN = 0.02
SEMANTIC_ONLY_MAX = 10


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
    score: float
    found_by: str  # 全文 / 语义 / 全文+语义
    excerpt_html: str = ""  # the original text around the words, the words in <mark>
    excerpt_field: str | None = None
    indicators: list[dict] = field(default_factory=list)  # name, value, html
    policies: list[dict] = field(default_factory=list)  # id, title, html
    funds: float | None = None  # the total the form has: 实施期, else 年度
    funds_period: str | None = None

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


def _keyword_ranking(db, q: str) -> tuple[list[str], set[str]]:
    """Declaration ids by bm25: those with every word, then those with some; and the 'every word' set."""
    every = [r["id"] for r in _run(db, DECLARATIONS_SQL, q, CANDIDATES, mode="and")]
    some = []
    if len(segment.seg_query(q)) > 1:
        seen = set(every)
        some = [r["id"] for r in _run(db, DECLARATIONS_SQL, q, CANDIDATES, mode="or") if r["id"] not in seen]
    return every + some, set(every)


def _vector_ranking(db, embedder, q: str) -> list[tuple[str, float]]:
    index = load_index(db, embedder.model_id, "declaration")
    if not index.ids:
        return []
    hits = index.top(embedder.embed_queries([q])[0], 50, db=db)
    if not hits:
        return []
    best = hits[0][1]
    return [(i, s) for i, s in hits if s >= best - SEMANTIC_MARGIN]


def _declaration_ranking(db, q: str, mode: str, embedder, semantic_ready: bool, page: SearchPage
                         ) -> list[tuple[str, float, str]]:
    """(id, score, found_by) best first, after the cut-off."""
    keyword: list[str] = []
    if mode in ("hybrid", "fulltext"):
        keyword, _every = _keyword_ranking(db, q)
    vector: list[tuple[str, float]] = []
    want_vectors = mode == "semantic" or (mode == "hybrid") or (mode == "fulltext" and not keyword)
    if want_vectors and embedder is not None:
        if semantic_ready:
            vector = _vector_ranking(db, embedder, q)
        else:
            page.provisional = True
            page.notes.append("语义检索模型正在加载，先显示全文检索结果；稍后刷新即可看到意思相近的项目。")
    if mode == "semantic":
        return [(i, s, "语义") for i, s in vector]
    if not keyword:
        if vector:
            page.semantic_only = True
            return [(i, s, "语义") for i, s in vector]
        return []
    scores: dict[str, float] = {}
    for rank, item in enumerate(keyword):
        scores[item] = scores.get(item, 0.0) + 1.0 / (RRF_K + rank + 1)
    kept_vector = 0
    in_keyword = set(keyword)
    for rank, (item, _s) in enumerate(vector):
        if item not in in_keyword:
            if kept_vector >= SEMANTIC_ONLY_MAX:
                continue
            kept_vector += 1
        scores[item] = scores.get(item, 0.0) + VECTOR_WEIGHT / (RRF_K + rank + 1)
    in_vector = {i for i, _ in vector}
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(i, round(s, 6), "全文+语义" if i in in_keyword and i in in_vector else "全文" if i in in_keyword else "语义")
            for i, s in ranked]


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


def _cards(db, hits: list[tuple[str, float, str]], q: str) -> list[Card]:
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
    for decl_id, score, found_by in hits:
        r = meta.get(decl_id)
        if r is None:
            continue
        field_name = next((f for f in SNIPPET_FIELDS if r.get(f) and any(w in r[f] for w in words)), None)
        text = r.get(field_name) if field_name else (r.get("overview") or r.get("goal_period") or "")
        out.append(Card(decl_id, r["name"], r["dept_name"], r["year"], r["attribute"], r["funds_total"], score,
                        found_by, mark_html(text, words, 90), FIELD_LABELS.get(field_name) if field_name else None,
                        inds.get(decl_id, []), pols.get(decl_id, []), r["funds"],
                        "实施期" if r["funds_total"] is not None else "年度"))
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
        ranked = _declaration_ranking(db, q, mode, embedder, semantic_ready, out)
        ids = [i for i, _s, _f in ranked]
        kept = set(_apply_filters(db, ids, filters))
        ranked = [h for h in ranked if h[0] in kept]
        out.facets = _facets(db, [h[0] for h in ranked], filters)
        out.total = len(ranked)
        out.cards = _cards(db, ranked[(out.page - 1) * per_page: out.page * per_page], q)
    out.pages = max(1, -(-out.total // per_page))
    return out
