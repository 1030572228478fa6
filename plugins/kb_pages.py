"""The knowledge base's own pages: search, one indicator, the overview, the review summary, the
home redirect and the status endpoint (each also as JSON: ``….json``). Their data comes from
``ingest.query`` (the search page from ``browse``, the others from ``pages``); the charts from
``ingest.web.charts``. The draft page is ``kb_draft.py``; table and row pages ``kb_tables.py``;
errors ``kb_errors.py``; spreadsheets ``kb_downloads.py``.
"""

from __future__ import annotations

import urllib.parse

from datasette import hookimpl
from datasette.utils.asgi import Response

from ingest.query.browse import MODES, TABS
from ingest.web import json_response, served_database
from ingest.web.charts import bar_chart, histogram
from ingest.web.format import wan
from ingest.web.params import BadParameter, check_params


def _search(conn, q, mode, tab, filters, page_no, per_page=20):
    from ingest import query
    from ingest.embedders import get_embedder, is_ready, warm_in_background

    ready = is_ready()
    if not ready:
        warm_in_background()
    return query.search_page(conn, q, mode=mode, tab=tab, filters=filters, page=page_no, per_page=per_page,
                             embedder=get_embedder(), semantic_ready=ready)


SEARCH_SHEETS = {  # tab → (columns, their headers)
    "declarations": (("rank", "name", "dept_name", "year", "attribute", "funds", "funds_period", "score", "found_by",
                      "weak", "excerpt", "id", "url"),
                     ("名次", "项目名称", "主管部门", "年度", "项目属性", "资金总额", "资金口径", "相关度", "找到方式",
                      "相关度低（仅供参考）", "摘录", "申报表编号", "链接")),
    "indicators": (("rank", "indicator", "value", "level1", "level2", "period", "name", "id", "score", "weak"),
                   ("名次", "三级指标", "指标值", "一级指标", "二级指标", "期间", "所属项目", "申报表编号", "相关度",
                    "相关度低（仅供参考）")),
    "policies": (("rank", "title", "doc_number", "declarations", "score", "weak", "id"),
                 ("名次", "文件标题", "文号", "引用项目数", "相关度", "相关度低（仅供参考）", "政策编号")),
}


def _search_workbook(result, base: str) -> Response:
    """Every result of a search (up to 200) as an .xlsx file, in the page's order."""
    import re

    from ingest.web.xlsx import workbook

    columns, heads = SEARCH_SHEETS[result.tab]
    if result.tab == "declarations":
        items = [{**c.__dict__, "excerpt": re.sub(r"<[^>]+>", "", c.excerpt_html or "").replace("&amp;", "&"),
                  "url": base.rstrip("/") + "/kb/declarations/" + c.id} for c in result.cards]
    else:
        items = result.indicators if result.tab == "indicators" else result.policies
    rows = [{**item, "rank": k} for k, item in enumerate(items, start=1)]
    title = f"检索 {result.q}"[:28]
    data = workbook(list(columns), rows, dict(zip(columns, heads)), title)
    name = urllib.parse.quote(f"{title}.xlsx")
    return Response(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f"attachment; filename=\"kb-search.xlsx\"; filename*=UTF-8''{name}"})


def _search_link(result):
    """``link(**changes)``: the search page's address with some parameters changed (the query kept)."""
    base = {"q": result.q, "mode": result.mode, "tab": result.tab, **result.filters}

    def link(**changes) -> str:
        params = {**base, **changes}
        if "page" not in changes:
            params.pop("page", None)
        return "/kb/-/search?" + urllib.parse.urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return link


SEARCH_PARAMS = {"q": None, "mode": tuple(MODES), "tab": tuple(TABS), "page": None, "dept_group": None, "year": None,
                 "attribute": None, "funds_band": None}
MAX_PAGE = 50


def _check(request, allowed: dict, required: tuple[str, ...] = ()) -> None:
    """A page's parameters checked (``ingest.web.params``): in its JSON an unknown one is refused;
    on the HTML page it is let pass (a link may carry anything), a wrong value is refused in both."""
    if request.url_vars.get("format") != "json":
        check_params({k: request.args.get(k) for k in request.args.keys() if k in allowed}, allowed, required)
    else:
        check_params(request.args, allowed, required)


def _no_database() -> Response:
    return Response.html("<p>No database is being served.</p>", status=404)


@hookimpl
def register_routes(datasette):
    from ingest.query import pages

    async def home(request):
        target = served_database(datasette)
        if target is None:
            return _no_database()
        return Response.redirect(datasette.urls.database(target))

    async def review_page(request):
        database = served_database(datasette)
        if database is None:
            return _no_database()
        _check(request, {})
        summary = await datasette.get_database(database).execute_fn(pages.review_summary)
        if request.url_vars.get("format") == "json":
            return json_response(summary)
        return Response.html(await datasette.render_template(
            "kb_review.html", {"database": database, "summary": summary,
                               "chart_departments": bar_chart(summary["departments"][:30], "dept_name", "findings"),
                               "chart_rules": bar_chart(summary["rules"], "rule", "findings")},
            request=request))

    async def search(request):
        database = served_database(datasette)
        if database is None:
            return _no_database()
        args = request.args
        _check(request, SEARCH_PARAMS)
        try:
            page_no = int(args.get("page") or 1)
        except ValueError:
            page_no = 0
        if not 1 <= page_no <= MAX_PAGE:
            raise BadParameter(f"参数 page 应为 1 到 {MAX_PAGE} 的整数", {"page": f"1–{MAX_PAGE}"})
        filters = {k: args.get(k) for k in ("dept_group", "year", "attribute", "funds_band") if args.get(k)}
        db = datasette.get_database(database)
        every = request.url_vars.get("format") == "xlsx"  # the spreadsheet has every result, not one page
        result = await db.execute_fn(lambda conn: _search(conn, args.get("q") or "", args.get("mode") or "hybrid",
                                                          args.get("tab") or "declarations", filters,
                                                          1 if every else page_no, 200 if every else 20))
        if every:
            return _search_workbook(result, datasette.absolute_url(request, "/"))
        if request.url_vars.get("format") == "json":
            from dataclasses import asdict

            response = json_response(asdict(result))
        else:
            response = Response.html(await datasette.render_template(
                "kb_search.html", {"database": database, "r": result, "modes": MODES, "tabs": TABS,
                                   "link": _search_link(result), "kb_wan": wan}, request=request))
        if result.provisional:  # never kept by the response cache or a browser
            response.headers["cache-control"] = "no-store"
        return response

    async def indicator_page(request):
        database = served_database(datasette)
        if database is None:
            return _no_database()
        _check(request, {"name": None}, required=("name",))
        name = (request.args.get("name") or "").strip()[:200]
        data = await datasette.get_database(database).execute_fn(lambda conn: pages.indicator_page(conn, name))
        numbers = data.pop("numbers")
        if request.url_vars.get("format") == "json":
            return json_response(data)
        charts = [{**{k: v for k, v in n.items() if k != "numbers"}, "svg": histogram(n["numbers"], n["unit"])}
                  for n in numbers]
        return Response.html(await datasette.render_template(
            "kb_indicator.html", {"database": database, "charts": charts, **data}, request=request))

    async def overview_page(request):
        database = served_database(datasette)
        if database is None:
            return _no_database()
        _check(request, {})
        data = await datasette.get_database(database).execute_fn(pages.overview)
        if request.url_vars.get("format") == "json":
            return json_response(data)
        charts = {"chart_year_count": bar_chart(data["by_year"], "year", "declarations"),
                  "chart_year_funds": bar_chart(data["by_year"], "year", "funds_wan"),
                  "chart_dept": bar_chart(data["by_dept"][:25], "dept_name", "declarations"),
                  "chart_band": bar_chart(data["by_band"], "label", "declarations")}
        return Response.html(await datasette.render_template(
            "kb_overview.html", {"database": database, "kb_wan": wan, **data, **charts}, request=request))

    async def status(request):
        """The server's readiness, for health checks and load tests: ``ready`` once every worker
        has loaded the model and the vector indexes a query may need (or nothing needs loading)."""
        from ingest.embedders import is_warming
        from ingest.web.status import server_status

        _check(request, {})
        warming = is_warming()
        return json_response({**server_status(not warming), "warming": warming},
                             headers={"cache-control": "no-store"})

    return [(r"^/-/kb-status\.json$", status), (r"^/$", home), (r"^/kb/-/search(\.(?P<format>json|xlsx))?$", search),
            (r"^/kb/-/indicator(\.(?P<format>json))?$", indicator_page),
            (r"^/kb/-/overview(\.(?P<format>json))?$", overview_page),
            (r"^/kb/-/review(\.(?P<format>json))?$", review_page)]
