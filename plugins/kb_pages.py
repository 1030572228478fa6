"""Datasette pages that read like the forms: a declaration page, policy pages and the indicator library.

- ``/kb/declarations/<id>`` renders ``templates/row-kb-declarations.html``: header and funds, the
  narrative, the 实施期 and 年度 indicator grids side by side, the cited policies and similar projects.
- ``/kb/policies/<id>`` renders ``templates/row-kb-policies.html``: the document and every project citing it.
- ``/kb/indicator_library`` (a table rebuilt by ``kb build``) links each indicator to the declarations using it.
- ``/`` redirects to ``/kb``, the knowledge base's home page.

Nothing here loads the embedding model: similar projects come from stored vectors.
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.parse

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from ingest.query.browse import MODES, TABS
from ingest.records import NARRATIVE_LABELS

NARRATIVE = tuple(NARRATIVE_LABELS.items())
SIMILAR_COUNT = 6
# the order of the funds rows on the printed form; other sources follow
FUNDS_ORDER = ("总额", "中央财政资金", "省级财政资金", "市县(区)财政资金", "市级财政资金", "县级财政资金", "单位自筹",
               "其他资金")


def yuan(amount) -> str:
    """``12,600,000 元（1260 万元）`` for an amount in yuan."""
    if amount is None:
        return "—"
    wan = amount / 10_000
    wan_text = f"{wan:.2f}".rstrip("0").rstrip(".")
    return f"{amount:,.2f} 元（{wan_text} 万元）"


def indicator_grid(indicators: list[dict]) -> list[dict]:
    """Pair the 实施期 and 年度 indicators by category and name, in the order they were declared.

    Each row has ``level1``, ``level2``, ``name``, ``period`` (the 实施期 indicator or None) and
    ``annual`` (the 年度 one or None); an indicator found on one side only keeps an empty other side.
    """
    rows: list[dict] = []
    index: dict[tuple, list[dict]] = {}
    for ind in indicators:
        side = "annual" if ind["period"] == "年度" else "period"
        key = (ind["level1"], ind["level2"], ind["name_norm"] or ind["name"])
        free = next((r for r in index.get(key, []) if r[side] is None), None)
        if free is None:
            free = {"level1": ind["level1"], "level2": ind["level2"], "name": ind["name"], "period": None,
                    "annual": None}
            rows.append(free)
            index.setdefault(key, []).append(free)
        free[side] = ind
    # group rows by category so 一级/二级 cells can span
    first1: dict = {}
    first2: dict = {}
    for r in rows:
        first1.setdefault(r["level1"], len(first1))
        first2.setdefault((r["level1"], r["level2"]), len(first2))
    rows.sort(key=lambda r: (first1[r["level1"]], first2[(r["level1"], r["level2"])]))
    for i, r in enumerate(rows):
        prev = rows[i - 1] if i else None
        r["first_of_level1"] = prev is None or prev["level1"] != r["level1"]
        r["first_of_level2"] = r["first_of_level1"] or prev["level2"] != r["level2"]
    return rows


async def declaration_context(datasette, database: str, decl_id: str) -> dict:
    db = datasette.get_database(database)
    decl = (await db.execute("select * from declarations where id = ?", [decl_id])).first()
    if decl is None:
        return {}
    decl = dict(decl)
    funds_rows = [dict(r) for r in await db.execute(
        "select period, source, amount from funds where declaration_id = ?", [decl_id])]
    sources = []
    for r in funds_rows:
        if r["source"] not in sources:
            sources.append(r["source"])
    sources.sort(key=lambda s: (FUNDS_ORDER.index(s) if s in FUNDS_ORDER else len(FUNDS_ORDER), s))
    funds = [{"source": s, **{r["period"]: r["amount"] for r in funds_rows if r["source"] == s}} for s in sources]
    indicators = [dict(r) for r in await db.execute(
        "select * from indicators where declaration_id = ? order by seq", [decl_id])]
    policies = [dict(r) for r in await db.execute(
        "select p.id, p.title, p.doc_number, dp.field, (select count(*) from declaration_policies x"
        " where x.policy_id = p.id) as cited_by from declaration_policies dp join policies p on p.id = dp.policy_id"
        " where dp.declaration_id = ? order by p.doc_number is null, p.title", [decl_id])]
    warnings = [dict(r) for r in await db.execute(
        "select line, text, reason from parse_warnings where declaration_id = ? order by line", [decl_id])]
    findings = await declaration_findings(db, decl_id)
    flagged: dict[str, list[str]] = {}
    for f in findings:
        for e in f["evidence"]:
            if e.get("indicator"):
                flagged.setdefault(e["indicator"], []).append(f["message"])
    for ind in indicators:
        ind["findings"] = flagged.get(ind["id"], [])
    source = (await db.execute("select id, path from sources where id = ?", [decl["source_id"]])).first()
    similar = await db.execute_fn(lambda conn: _similar(conn, decl_id))
    return {
        "decl": decl,
        "funds": funds,
        "grid": indicator_grid(indicators),
        "indicator_totals": {p: sum(1 for i in indicators if i["period"] == p) for p in ("实施期", "年度")},
        "narrative": [(label, decl.get(col)) for col, label in NARRATIVE],
        "policies": policies,
        "warnings": warnings,
        "source": dict(source) if source else None,
        "similar": similar,
        "findings": findings,
    }


SEVERITY_ORDER = {"高": 0, "中": 1, "低": 2}


async def declaration_findings(db, decl_id: str) -> list[dict]:
    """The review findings of one declaration, most severe first, with evidence decoded."""
    import json

    try:
        rows = [dict(r) for r in await db.execute(
            "select f.*, r.title as rule_title, d.name as related_name from findings f"
            " left join review_rules r on r.rule = f.rule left join declarations d on d.id = f.related_id"
            " where f.declaration_id = ? order by f.id", [decl_id])]
    except Exception:  # noqa: BLE001 - a database from before the review tables: no findings section
        return []
    for r in rows:
        r["evidence"] = json.loads(r["evidence"] or "[]")
        r["lines"] = json.loads(r["lines"] or "[]")
    rows.sort(key=lambda r: (SEVERITY_ORDER.get(r["severity"], 3), r["id"]))
    return rows


async def review_summary(db) -> dict:
    """Per department: declarations, findings by rule and severity; the totals by rule."""
    departments = [dict(r) for r in await db.execute("select * from department_findings order by findings desc,"
                                                     " declarations desc, dept_name")]
    by_rule = [dict(r) for r in await db.execute(
        "select f.rule, f.dimension, r.title, count(*) as findings, count(distinct f.declaration_id) as declarations"
        " from findings f left join review_rules r on r.rule = f.rule group by f.rule order by findings desc")]
    cells = {}
    for r in await db.execute("select dept_name, rule, findings from department_rule_findings"):
        cells.setdefault(r["dept_name"], {})[r["rule"]] = r["findings"]
    for d in departments:
        d["by_rule"] = cells.get(d["dept_name"], {})
    total = (await db.execute("select count(*) from declarations")).first()[0]
    return {"departments": departments, "rules": by_rule, "declarations": total,
            "findings": sum(r["findings"] for r in by_rule)}


async def indicator_context(db, name: str) -> dict:
    """One indicator across the knowledge base: its categories, the values declared (a histogram per
    unit for the numeric ones) and the declarations using it."""
    rows_ = [dict(r) for r in (await db.execute(
        "select i.declaration_id, i.period, i.level1, i.level2, i.name, i.value, i.number, i.unit, d.name as project,"
        " d.dept_name, d.year from indicators i join declarations d on d.id = i.declaration_id"
        " where i.name_norm = ? order by d.year desc, d.name limit 2000", [name])).rows]
    by_unit: dict[str, list[float]] = {}
    for r in rows_:
        if r["number"] is not None:
            by_unit.setdefault(r["unit"] or "（无单位）", []).append(r["number"])
    values: dict[str, int] = {}
    for r in rows_:
        if r["value"]:
            values[r["value"]] = values.get(r["value"], 0) + 1
    categories: dict[str, int] = {}
    for r in rows_:
        key = f"{r['level1'] or '—'} / {r['level2'] or '—'}"
        categories[key] = categories.get(key, 0) + 1
    charts = [{"unit": u, "count": len(v), "min": min(v), "max": max(v), "median": sorted(v)[len(v) // 2],
               "svg": histogram(v, u)} for u, v in sorted(by_unit.items(), key=lambda kv: -len(kv[1]))]
    declarations = {}
    for r in rows_:
        declarations.setdefault(r["declaration_id"], r)
    return {"name": name, "uses": len(rows_), "declarations": list(declarations.values())[:200],
            "declaration_count": len(declarations),
            "values": sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:20],
            "categories": sorted(categories.items(), key=lambda kv: -kv[1]), "charts": charts}


def histogram(numbers: list[float], unit: str, bins: int = 12, width: int = 560, height: int = 160) -> Markup:
    """The distribution of an indicator's values as an inline SVG histogram."""
    lo, hi = min(numbers), max(numbers)
    if hi == lo:
        hi = lo + 1
    counts = [0] * bins
    for x in numbers:
        counts[min(bins - 1, int((x - lo) / (hi - lo) * bins))] += 1
    top = max(counts)
    bw = (width - 40) / bins
    parts = [f'<svg class="kb-chart" role="img" width="{width}" height="{height + 30}" xmlns="http://www.w3.org/2000/svg"'
             f' font-size="11"><title>{escape(unit)}：{len(numbers)} 个取值的分布</title>']
    for k, c in enumerate(counts):
        h = 0 if not c else max(2, int(height * c / top))
        x = 30 + k * bw
        left = lo + (hi - lo) * k / bins
        right = lo + (hi - lo) * (k + 1) / bins
        parts.append(f'<rect x="{x:.1f}" y="{height - h}" width="{bw - 2:.1f}" height="{h}" fill="#4a7ab8">'
                     f'<title>{left:g}–{right:g}{escape(unit)}：{c} 个</title></rect>')
        if c:
            parts.append(f'<text x="{x + bw / 2 - 4:.1f}" y="{height - h - 3}">{c}</text>')
    parts.append(f'<text x="30" y="{height + 16}">{lo:g}{escape(unit)}</text>'
                 f'<text x="{width - 10}" y="{height + 16}" text-anchor="end">{hi:g}{escape(unit)}</text></svg>')
    return Markup("".join(parts))


async def overview_context(db) -> dict:
    """Declarations and funds by year, by department and by funds band, as tables and charts."""
    by_year = [dict(r) for r in await db.execute(
        "select year, count(*) as declarations, sum(funds) as funds from declarations"
        " where year is not null group by year order by year")]
    by_dept = [dict(r) for r in await db.execute(
        "select dept_name, count(*) as declarations, sum(funds) as funds from declarations"
        " where dept_name is not null and dept_name != '' group by dept_name order by count(*) desc, dept_name limit 40")]
    by_band = [dict(r) for r in await db.execute(
        "select funds_band, count(*) as declarations from declarations where funds_band is not null"
        " group by funds_band order by funds_band")]
    for r in by_band:
        r["label"] = _band(r["funds_band"])
    for r in by_year + by_dept:
        r["funds_wan"] = round((r["funds"] or 0) / 10_000, 2)
    return {"by_year": by_year, "by_dept": by_dept, "by_band": by_band,
            "chart_year_count": bar_chart(by_year, "year", "declarations"),
            "chart_year_funds": bar_chart(by_year, "year", "funds_wan"),
            "chart_dept": bar_chart(by_dept[:25], "dept_name", "declarations"),
            "chart_band": bar_chart(by_band, "label", "declarations")}


def bar_chart(rows: list[dict], label: str, value: str, width: int = 560, bar: int = 18) -> Markup:
    """A horizontal bar chart as inline SVG (no script), one bar per row."""
    rows = [r for r in rows if r.get(value)]
    if not rows:
        return Markup("")
    top = max(r[value] for r in rows)
    left = 200
    height = bar * len(rows) + 8
    parts = [f'<svg class="kb-chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
             f' xmlns="http://www.w3.org/2000/svg" font-size="12">']
    for k, r in enumerate(rows):
        y = 4 + k * bar
        w = max(1, int((width - left - 50) * r[value] / top))
        name = str(r[label] or "（未识别部门）")
        short = name if len(name) <= 15 else name[:14] + "…"
        parts.append(f'<text x="{left - 6}" y="{y + bar - 6}" text-anchor="end"><title>{escape(name)}</title>'
                     f'{escape(short)}</text><rect x="{left}" y="{y + 2}" width="{w}" height="{bar - 5}" fill="#4a7ab8">'
                     f'<title>{escape(name)}：{r[value]}</title></rect>'
                     f'<text x="{left + w + 4}" y="{y + bar - 6}">{r[value]}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _similar(conn, decl_id: str) -> list[dict]:
    """Similar projects from the stored vectors (empty when there are none)."""
    from dataclasses import asdict

    from ingest import query
    from ingest.embedders import get_embedder

    try:
        return [asdict(h) for h in query.similar(conn, get_embedder().model_id, decl_id, SIMILAR_COUNT)]
    except query.DeclarationNotFound:
        return []


async def policy_context(datasette, database: str, policy_id: str) -> dict:
    db = datasette.get_database(database)
    policy = (await db.execute("select * from policies where id = ?", [policy_id])).first()
    if policy is None:
        return {}
    citing = [dict(r) for r in await db.execute(
        "select d.id, d.name, d.dept_name, d.year, d.attribute, d.funds_total, dp.field"
        " from declaration_policies dp join declarations d on d.id = dp.declaration_id"
        " where dp.policy_id = ? order by d.year desc, d.funds_total desc", [policy_id])]
    return {"policy": dict(policy), "citing": citing}


def _search(conn, q, mode, tab, filters, page_no):
    from ingest import query
    from ingest.embedders import get_embedder, is_ready, warm_in_background

    ready = is_ready()
    if not ready:
        warm_in_background()
    return query.search_page(conn, q, mode=mode, tab=tab, filters=filters, page=page_no,
                             embedder=get_embedder(), semantic_ready=ready)


def _search_link(result):
    """``link(**changes)``: the search page's address with some parameters changed (the query kept)."""
    base = {"q": result.q, "mode": result.mode, "tab": result.tab, **result.filters}

    def link(**changes) -> str:
        params = {**base, **changes}
        if "page" not in changes:
            params.pop("page", None)
        return "/kb/-/search?" + urllib.parse.urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return link


def wan(amount) -> str:
    """``1,260.00 万元`` for an amount in yuan."""
    if amount is None:
        return ""
    return f"{amount / 10_000:,.2f} 万元"


DRAFT_MAX_BYTES = 10 << 20  # an uploaded draft


async def _draft_input(request) -> tuple[str | None, bytes | None, str | None]:
    """The pasted text and the uploaded file of the draft form (urlencoded or multipart)."""
    body = await request.post_body()
    if len(body) > DRAFT_MAX_BYTES:
        raise ValueError(f"文件太大（超过 {DRAFT_MAX_BYTES >> 20} MB）")
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        from email.parser import BytesParser
        from email.policy import HTTP

        msg = BytesParser(policy=HTTP).parsebytes(b"content-type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body)
        text = data = filename = None
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "text":  # browsers send form fields as UTF-8 without saying so
                text = (part.get_payload(decode=True) or b"").decode(part.get_content_charset() or "utf-8", "replace")
            elif name == "file":
                filename = part.get_filename()
                payload = part.get_payload(decode=True)
                if filename and payload:
                    data = payload
        return text, data, filename
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return (form.get("text") or [None])[0], None, None


def _compare_draft(conn, text, data, filename) -> dict:
    """Read the draft, find the most similar past projects and what indicators they used. Nothing is stored."""
    from dataclasses import asdict

    from ingest import query
    from ingest.embedders import get_embedder

    if data is not None:
        draft = query.read_draft(data=data, filename=filename)
    else:
        draft = query.read_draft(text=text)
    hits = query.similar_to_draft(conn, get_embedder(), draft, 10)
    groups = query.indicators_of(conn, hits[:8])
    return {"draft": asdict(draft), "similar": [asdict(h) for h in hits], "indicators": [asdict(g) for g in groups]}


def _findings_cell(row, value, column, table, database, datasette):
    if column in ("declaration_id", "related_id"):
        url = datasette.urls.row(database, "declarations", tilde_encode(value))
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if column == "declaration_name" and table == "findings":
        url = datasette.urls.row(database, "declarations", tilde_encode(row["declaration_id"])) + "#findings"
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if column == "dept_name":
        url = datasette.urls.table(database, "findings") + "?" + urllib.parse.urlencode({"dept_name": value})
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if column == "rule":
        url = datasette.urls.row(database, "review_rules", tilde_encode(value))
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    return None


def _short_label(text: str) -> str:
    """A column's label for a header: its Chinese name, without the English or notes in brackets."""
    return re.split(r"\s*[(（]", str(text), maxsplit=1)[0].strip() or str(text)


def column_labels(datasette, database: str | None, table: str | None) -> dict[str, str]:
    """Chinese labels of columns (metadata.yml): this table's first, then any table's."""
    tables = (datasette.metadata().get("databases", {}).get(database or "kb", {}) or {}).get("tables", {}) or {}
    labels: dict[str, str] = {}
    for name, meta in tables.items():
        for col, text in ((meta or {}).get("columns") or {}).items():
            labels.setdefault(col, _short_label(text))
    own = ((tables.get(table) or {}).get("columns") or {}) if table else {}
    labels.update({col: _short_label(text) for col, text in own.items()})
    labels.update(EXTRA_LABELS)
    labels.update({col: _short_label(text) for col, text in own.items()})
    return labels


# columns that only canned queries return
EXTRA_LABELS = {"score": "相关度", "band": "相似程度", "reason": "为什么相似", "rank": "名次", "snippet": "摘录",
                "indicator": "三级指标", "declarations": "项目数", "uses": "使用次数", "values": "常见取值",
                "units": "单位", "indicator_id": "指标编号", "title": "标题", "doc_number": "文号"}


def _band(label: str) -> str:
    return re.sub(r"^\d\s*", "", label or "")


# canned queries whose columns mean something else than in the tables
QUERY_LABELS = {"suggest_indicators": {"name": "三级指标", "declarations": "用过它的项目"},
                "search_indicators": {"name": "所属项目", "indicator": "三级指标"},
                "semantic_indicators": {"name": "所属项目", "indicator": "三级指标"}}


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    common = {"kb_labels": column_labels(datasette, database, table), "kb_band": _band}
    if request is not None:
        query_name = request.path.rstrip("/").rsplit("/", 1)[-1]
        common["kb_labels"].update(QUERY_LABELS.get(query_name, {}))
    if request is not None and request.path.rstrip("/").endswith("/kb/similar"):
        async def heading():
            decl_id = request.args.get("id")
            if not decl_id:
                return common
            row = (await datasette.get_database(database).execute(
                "select name from declarations where id = ?", [decl_id])).first()
            title = f"与“{row[0]}”相似的过往项目" if row else f"没有编号为 {decl_id} 的申报表"
            return {**common, "kb_query_heading": title}
        return heading
    if view_name != "row" or table not in ("declarations", "policies") or request is None:
        return common

    async def inner():
        pk = tilde_decode(request.url_vars.get("pks", ""))
        helpers = {"kb_yuan": yuan, "kb_fields": dict(NARRATIVE), "kb_tilde": tilde_encode, **common}
        if table == "declarations":
            return {"kb_declaration": await declaration_context(datasette, database, pk), **helpers}
        return {"kb_policy": await policy_context(datasette, database, pk), **helpers}

    return inner


@hookimpl
def skip_csrf(datasette, scope):
    """The draft page only reads what it is sent and stores nothing: no token needed (and scripts can POST)."""
    return scope.get("path", "").startswith("/kb/-/draft")


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Cells read the way a budget officer reads them: amounts in 万元, funds bands without their sort
    digit, every declaration id a link; in the indicator library an indicator links to its page."""
    if value is None:
        return None
    if table in ("findings", "department_findings", "department_rule_findings"):
        found = _findings_cell(row, value, column, table, database, datasette)
        if found is not None:
            return found
    if column in MONEY_COLUMNS and isinstance(value, (int, float)):
        return Markup(f'<span title="{value:,.2f} 元">{escape(wan(value))}</span>')
    if column == "funds_band" and isinstance(value, str):
        return _band(value)
    if table == "documents" and column == "declarations" and isinstance(value, int) and value:
        try:
            source_id = row["source_id"]
        except (KeyError, IndexError):
            return None
        url = datasette.urls.table(database, "declarations") + "?" + urllib.parse.urlencode({"source_id": source_id})
        return Markup(f'<a href="{escape(url)}">{value}</a>')
    if table is None and column == "id" and isinstance(value, str) and re.fullmatch(r"[0-9a-f]{16}", value):
        # canned queries: the id is a declaration's
        url = datasette.urls.row(database, "declarations", tilde_encode(value))
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if table is None and column == "declarations" and isinstance(value, str) and value.startswith("["):
        try:
            ids = json.loads(value)
        except ValueError:
            return None
        if isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids[:50]):
            ids = ids[:50]

            async def linked():
                names = {r[0]: r[1] for r in await datasette.get_database(database).execute(
                    f"select id, name from declarations where id in ({','.join('?' * len(ids))})", ids)}
                return Markup("；".join(
                    f'<a href="{escape(datasette.urls.row(database, "declarations", tilde_encode(i)))}">'
                    f'{escape(names.get(i) or i)}</a>' for i in ids))
            return linked
    if table == "indicator_library" and column in ("name", "declarations"):
        try:
            name = row["name"]
        except (KeyError, IndexError):
            return None
        url = "/kb/-/indicator?" + urllib.parse.urlencode({"name": name})
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    return None


MONEY_COLUMNS = ("funds_total", "funds_annual", "funds", "amount")


@hookimpl
def register_routes(datasette):
    async def home(request):
        names = [n for n in datasette.databases if not n.startswith("_")]
        target = "kb" if "kb" in names else (names[0] if names else None)
        if target is None:
            return Response.html("<p>No database is being served.</p>", status=404)
        return Response.redirect(datasette.urls.database(target))

    async def review_page(request):
        names = [n for n in datasette.databases if not n.startswith("_")]
        database = "kb" if "kb" in names else (names[0] if names else None)
        if database is None:
            return Response.html("<p>No database is being served.</p>", status=404)
        summary = await review_summary(datasette.get_database(database))
        if request.url_vars.get("format") == "json":
            return Response.json(summary, default=str)
        return Response.html(await datasette.render_template(
            "kb_review.html", {"database": database, "summary": summary,
                               "chart_departments": bar_chart(summary["departments"][:30], "dept_name", "findings"),
                               "chart_rules": bar_chart(summary["rules"], "rule", "findings")},
            request=request))

    async def draft_page(request):
        names = [n for n in datasette.databases if not n.startswith("_")]
        database = "kb" if "kb" in names else (names[0] if names else None)
        if database is None:
            return Response.html("<p>No database is being served.</p>", status=404)
        context = {"database": database, "text": "", "result": None, "error": None, "max_mb": DRAFT_MAX_BYTES >> 20}
        if request.method == "POST":
            try:
                text, data, filename = await _draft_input(request)
            except ValueError as e:
                context["error"] = str(e)
            else:
                context["text"] = text or ""
                if not (text or "").strip() and not data:
                    context["error"] = "请粘贴草稿文字或选择一个文件"
                else:
                    db = datasette.get_database(database)
                    context["result"] = await db.execute_fn(lambda conn: _compare_draft(conn, text, data, filename))
        if request.url_vars.get("format") == "json":
            if context["error"]:
                return Response.json({"ok": False, "error": context["error"]}, status=400)
            return Response.json({"ok": True, **(context["result"] or {})}, default=str)
        return Response.html(await datasette.render_template("kb_draft.html", context, request=request))

    async def search(request):
        names = [n for n in datasette.databases if not n.startswith("_")]
        database = "kb" if "kb" in names else (names[0] if names else None)
        if database is None:
            return Response.html("<p>No database is being served.</p>", status=404)
        args = request.args
        try:
            page_no = max(1, min(int(args.get("page") or 1), 50))
        except ValueError:
            page_no = 1
        filters = {k: args.get(k) for k in ("dept_group", "year", "attribute", "funds_band") if args.get(k)}
        db = datasette.get_database(database)
        result = await db.execute_fn(lambda conn: _search(conn, args.get("q") or "", args.get("mode") or "hybrid",
                                                          args.get("tab") or "declarations", filters, page_no))
        if request.url_vars.get("format") == "json":
            from dataclasses import asdict

            response = Response.json(asdict(result), default=str)
        else:
            response = Response.html(await datasette.render_template(
                "kb_search.html", {"database": database, "r": result, "modes": MODES, "tabs": TABS,
                                   "link": _search_link(result), "kb_wan": wan}, request=request))
        if result.provisional:  # never kept by the response cache or a browser
            response.headers["cache-control"] = "no-store"
        return response

    def kb_database():
        names = [n for n in datasette.databases if not n.startswith("_")]
        return "kb" if "kb" in names else (names[0] if names else None)

    async def indicator_page(request):
        database = kb_database()
        name = (request.args.get("name") or "").strip()[:200]
        if database is None or not name:
            return Response.html("<p>请指定指标名称 (name=…)</p>", status=400)
        data = await indicator_context(datasette.get_database(database), name)
        if request.url_vars.get("format") == "json":
            return Response.json({k: v for k, v in data.items() if k != "charts"}, default=str)
        return Response.html(await datasette.render_template(
            "kb_indicator.html", {"database": database, **data}, request=request))

    async def overview_page(request):
        database = kb_database()
        if database is None:
            return Response.html("<p>No database is being served.</p>", status=404)
        data = await overview_context(datasette.get_database(database))
        if request.url_vars.get("format") == "json":
            return Response.json({k: v for k, v in data.items() if not k.startswith("chart")}, default=str)
        return Response.html(await datasette.render_template(
            "kb_overview.html", {"database": database, "kb_wan": wan, **data}, request=request))

    async def status(request):
        """This worker's readiness, for health checks and load tests: ``ready`` once the model and
        the vector indexes a query may need are loaded (or nothing needs loading)."""
        from ingest.embedders import is_warming

        warming = is_warming()
        return Response.json({"ready": not warming, "warming": warming, "pid": os.getpid()},
                             headers={"cache-control": "no-store"})

    return [(r"^/-/kb-status\.json$", status), (r"^/$", home), (r"^/kb/-/search(\.(?P<format>json))?$", search),
            (r"^/kb/-/indicator(\.(?P<format>json))?$", indicator_page),
            (r"^/kb/-/overview(\.(?P<format>json))?$", overview_page),
            (r"^/kb/-/review(\.(?P<format>json))?$", review_page),
            (r"^/kb/-/draft(\.(?P<format>json))?$", draft_page)]


_log = logging.getLogger("kb")


def _quiet_default_handler() -> None:
    """Datasette's own error handler (which still runs after ours) prints a traceback with every
    local variable through rich for each 404: half a second and tens of KB of log per request."""
    import datasette.handle_exception as default

    default.rich = None


_quiet_default_handler()
_ERROR_TITLES = {400: "请求有误", 403: "没有权限", 404: "找不到该页面或记录", 405: "不支持的请求方式", 500: "服务器内部错误"}


def _error_status(exception) -> tuple[int, str]:
    from datasette.database import QueryInterrupted
    from datasette.utils.asgi import Base400

    if isinstance(exception, QueryInterrupted):
        return 400, "查询超时：请缩小范围或简化查询 (the query took longer than the time limit)"
    if isinstance(exception, Base400):
        return exception.status, str(exception.args[0] if exception.args else exception)
    status = getattr(exception, "status", 500)
    message = getattr(exception, "message", None) or str(exception)
    return (status if isinstance(status, int) else 500), message


@hookimpl
def handle_exception(datasette, request, exception):
    """Errors answer briefly, in Chinese, and log one line (a traceback only for real faults)."""
    status, message = _error_status(exception)
    if status >= 500:
        _log.error("%s %s: %s", status, request.path, message, exc_info=exception)
        message = "服务器内部错误，请稍后再试"
    else:
        _log.info("%s %s: %s", status, request.path, str(message)[:200])
    title = _ERROR_TITLES.get(status, "请求有误")
    if request.path.split("?")[0].endswith(".json"):
        return Response.json({"ok": False, "error": str(message), "status": status, "title": title}, status=status)
    body = (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{escape(title)} · 绩效目标知识库</title>"
            "<link rel='stylesheet' href='/-/static/app.css'></head><body><section class='content'>"
            f"<h1>{escape(title)}</h1><p>{escape(str(message))}</p>"
            "<p><a href='/kb'>返回绩效目标知识库首页</a></p></section></body></html>")
    return Response.html(body, status=status)


# ------------------------------------------------------------------ downloads for Excel

def _xlsx(datasette, columns, rows, request, database, table, query_name):
    """The rows on the page as an .xlsx workbook with the columns' Chinese labels as headers."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    labels = column_labels(datasette, database, table)
    labels.update(QUERY_LABELS.get(query_name or "", {}))
    wb = Workbook()
    ws = wb.active
    ws.title = (table or query_name or "结果")[:31]
    ws.append([labels.get(c) or c for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_excel_value(row[c]) for c in columns])
    for k, c in enumerate(columns, start=1):
        width = max([len(str(labels.get(c) or c))] + [min(len(str(r[c] or "")), 60) for r in rows[:200]]) + 2
        ws.column_dimensions[ws.cell(1, k).column_letter].width = width * 1.6
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    name = urllib.parse.quote(f"{table or query_name or database}.xlsx")
    return Response(out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f"attachment; filename*=UTF-8''{name}"})


def _excel_value(value):
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and len(value) > 32_000:
        return value[:32_000]
    return value


@hookimpl
def register_output_renderer(datasette):
    return {"extension": "xlsx", "render": _xlsx, "can_render": lambda: True}
