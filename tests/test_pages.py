"""The pages people read in Datasette: declaration page, policy pages, indicator library, facets."""

import html
import re
from pathlib import Path

import pytest
from sqlite_utils import Database

ROOT = Path(__file__).resolve().parent.parent


def text_of(page: str) -> str:
    page = re.sub(r"<(style|script).*?</\1>", "", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def grid_rows(page: str) -> list[list[str]]:
    table = re.search(r'<table class="kb-grid">(.*?)</table>', page, re.S).group(1)
    return [[text_of(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]


def test_indicator_grid_pairs_periods_side_by_side():
    from ingest.query.pages import indicator_grid
    from ingest.web.format import yuan

    grid = indicator_grid([
        {"period": "实施期", "level1": "产出指标", "level2": "数量指标", "name": "培训人次", "name_norm": "培训人次", "value": "500人次"},
        {"period": "实施期", "level1": "效益指标", "level2": "社会效益指标", "name": "群众满意度", "name_norm": "群众满意度", "value": "≥90%"},
        {"period": "年度", "level1": "产出指标", "level2": "数量指标", "name": "培训 人次", "name_norm": "培训人次", "value": "200人次"},
        {"period": "年度", "level1": "产出指标", "level2": "时效指标", "name": "完成时间", "name_norm": "完成时间", "value": "2023年12月前"},
    ])
    pairs = [(r["level2"], r["name"], r["period"] and r["period"]["value"], r["annual"] and r["annual"]["value"])
             for r in grid]
    # rows grouped by 一级 then 二级 category, in the order the form declared them
    assert pairs == [("数量指标", "培训人次", "500人次", "200人次"),
                     ("时效指标", "完成时间", None, "2023年12月前"),
                     ("社会效益指标", "群众满意度", "≥90%", None)]
    assert [r["first_of_level1"] for r in grid] == [True, False, True]
    assert [r["first_of_level2"] for r in grid] == [True, True, True]
    assert yuan(12_600_000) == "12,600,000.00 元（1260 万元）"


@pytest.mark.asyncio
async def test_declaration_page_reads_like_the_form(ds):
    db = Database(ds.databases["kb"].path)
    decl_id = db.execute("select id from declarations where name = '2023冬季清洁取暖专项经费'").fetchone()[0]
    r = await ds.client.get(f"/kb/declarations/{decl_id}")
    assert r.status_code == 200
    page, text = r.text, text_of(r.text)
    assert "<h1" in page and "2023冬季清洁取暖专项经费" in re.search(r"<h1.*?</h1>", page, re.S).group(0)
    crumbs = re.search(r'<p class="crumbs">.*?</p>', page, re.S).group(0)
    assert "首页" in crumbs and ">home<" not in crumbs.replace(" ", "")
    for label in ("项目基本情况", "项目资金", "项目概况", "立项依据", "实施期总体目标", "绩效指标", "引用的政策文件"):
        assert label in text, label
    # funds: the total for both periods, as on the form
    assert "2,977,300.00 元（297.73 万元）" in text and "2,900,000.00 元（290 万元）" in text
    # indicator grid: 实施期 and 年度 values of one indicator on one row
    rows = grid_rows(page)
    coal = next(r for r in rows if r[2].startswith("洁净煤购置吨数"))
    assert coal[3:] == ["90吨", "113吨"]
    assert len(rows) == db.execute("select count(*) from indicators where declaration_id = ? and period = '实施期'",
                                   [decl_id]).fetchone()[0]
    # cited policies link to their pages
    pid = db.execute("select id from policies where doc_number = '阳开产发〔2020〕19号'").fetchone()[0]
    assert f'href="/kb/policies/{pid}"' in page
    # similar projects: none of the other seed projects is close enough to list (the twin case is
    # in test_similarity), and the findings section is there
    assert 'id="findings"' in page
    similar = re.search(r'<table class="kb-similar">(.*?)</table>', page, re.S)
    assert similar is None or decl_id not in re.findall(r'href="/kb/declarations/([^"]+)"', similar.group(1))


@pytest.mark.asyncio
async def test_declaration_page_for_an_unknown_id_is_404(ds):
    r = await ds.client.get("/kb/declarations/does-not-exist")
    assert r.status_code == 404


@pytest.mark.asyncio
async def test_policy_page_lists_the_citing_projects(ds):
    db = Database(ds.databases["kb"].path)
    pid = db.execute("select id from policies where doc_number = '阳开产发〔2020〕19号'").fetchone()[0]
    citing = {r[0] for r in db.execute(
        "select d.name from declaration_policies dp join declarations d on d.id = dp.declaration_id"
        " where dp.policy_id = ?", [pid])}
    assert len(citing) == 2
    r = await ds.client.get(f"/kb/policies/{pid}")
    text = text_of(r.text)
    assert r.status_code == 200 and "阳开产发〔2020〕19号" in text
    for name in citing:
        assert name in text
    r = await ds.client.get("/kb/policies.json?_shape=objects&_facet=issuer")
    body = r.json()
    assert body["rows"][0]["cited_by"] >= body["rows"][-1]["cited_by"]  # sorted by citations
    issuers = {f["value"] for f in body["facet_results"]["issuer"]["results"]}
    assert "晋教安稳函" in issuers


@pytest.mark.asyncio
async def test_indicator_library_counts_and_links(ds):
    db = Database(ds.databases["kb"].path)
    r = await ds.client.get("/kb/indicator_library.json?_shape=objects&_facet=level1&_facet=level2&_size=max")
    body = r.json()
    rows = body["rows"]
    assert len(rows) == db["indicator_library"].count > 100
    assert {f["value"] for f in body["facet_results"]["level1"]["results"]} >= {"产出指标", "效益指标", "满意度指标"}
    level2 = {f["value"] for f in body["facet_results"]["level2"]["results"]}
    assert {"数量指标", "质量指标", "时效指标", "成本指标"} <= level2
    assert "服务对象满意度" not in level2  # grouped with 服务对象满意度指标
    top = rows[0]
    uses = db.execute("select count(distinct declaration_id) from indicators where name_norm = ?",
                      [top["name"]]).fetchone()[0]
    assert top["declarations"] == uses >= rows[-1]["declarations"]
    satisfaction = next(r for r in rows if r["name"] == "教职工满意度")
    assert satisfaction["declarations"] == 3 and satisfaction["units"] == "%"
    assert satisfaction["min_number"] == 80 and satisfaction["max_number"] == 95
    page = (await ds.client.get("/kb/indicator_library?name=教职工满意度")).text
    assert 'href="/kb/-/indicator?name=%E6%95%99%E8%81%8C%E5%B7%A5%E6%BB%A1%E6%84%8F%E5%BA%A6' in page
    detail = (await ds.client.get("/kb/-/indicator?name=教职工满意度")).text
    assert "在 3 个项目中使用" in detail and "<svg" in detail  # the values' distribution
    assert 'href="/kb/indicators?name_norm=%E6%95%99%E8%81%8C%E5%B7%A5%E6%BB%A1%E6%84%8F%E5%BA%A6' in detail
    r = await ds.client.get("/kb/indicators.json?name_norm=教职工满意度&_shape=array")
    assert len({row["declaration_id"] for row in r.json()}) == 3


@pytest.mark.asyncio
async def test_declarations_facets_include_funds_band(ds):
    r = await ds.client.get("/kb/declarations.json?_shape=objects")
    facets = r.json()["facet_results"]
    assert set(facets) >= {"dept_group", "attribute", "year", "period_years", "funds_band"}
    bands = {f["value"]: f["count"] for f in facets["funds_band"]["results"]}
    assert sum(bands.values()) == 16 and "6 1000万–1亿" in bands  # JSON keeps the stored value
    groups = {f["value"] for f in facets["dept_group"]["results"]}
    assert "阳泉市大数据应用局" in groups and "阳泉市大数女据应用局" not in groups  # an OCR variant grouped


@pytest.mark.asyncio
async def test_home_redirects_to_the_knowledge_base(ds):
    r = await ds.client.get("/")
    assert r.status_code == 302 and r.headers["location"].endswith("/kb")
    page = (await ds.client.get("/kb")).text
    assert "indicator_library" in page and "绩效目标知识库" in page


@pytest.mark.asyncio
async def test_search_while_the_model_loads_answers_from_full_text_and_is_not_cached(ds, monkeypatch):
    """A search arriving while the model loads says so, shows full-text results, and its answer is
    not kept: the same search asked once the model is ready gets the fused ranking."""
    import ingest.embedders as embedders

    await ds.client.get("/kb/-/search.json", params={"q": "取暖"})  # the database files as they stay while served
    with monkeypatch.context() as loading:
        loading.setattr(embedders, "is_ready", lambda name_or_path=None: False)
        loading.setattr(embedders, "warm_in_background", lambda *a, **k: None)
        r = await ds.client.get("/kb/-/search.json", params={"q": "清洁取暖"})
    assert r.status_code == 200 and r.headers.get("cache-control") == "no-store"
    first = r.json()
    assert first["provisional"] and any("正在加载" in n for n in first["notes"])
    assert first["total"] > 0
    again = (await ds.client.get("/kb/-/search.json", params={"q": "清洁取暖"})).json()
    assert not again["provisional"] and not any("正在加载" in n for n in again["notes"])


@pytest.mark.asyncio
async def test_the_search_query_while_the_model_loads_says_so_and_is_not_kept(ds, monkeypatch):
    """The canned hybrid query answers from full text while the model loads (ranked_by = fulltext);
    the response cache keeps nothing of it, so the same address asked later gets the fused ranking."""
    import ingest.embedders as embedders

    url = "/kb/search.json?q=清洁取暖&_shape=array"
    with monkeypatch.context() as loading:
        loading.setattr(embedders, "is_ready", lambda name_or_path=None: False)
        loading.setattr(embedders, "warm_in_background", lambda *a, **k: None)
        rows = (await ds.client.get(url)).json()
    assert rows[0]["name"] == "2023冬季清洁取暖专项经费" and {r["ranked_by"] for r in rows} == {"fulltext"}
    again = (await ds.client.get(url)).json()
    assert {r["ranked_by"] for r in again} == {"hybrid"}
    assert (await ds.client.get(url)).json() == again  # and this answer is kept
