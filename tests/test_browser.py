"""The served pages in a real browser, used as a budget officer would: Debian's chromium driven by
Playwright against a real `datasette serve` (the fast hash embedder stands in for the model).

Screenshots go to a temporary folder, or to docs/screenshots/ (the README shows them) when run with
KB_SCREENSHOTS=docs/screenshots. Playwright cannot download its own
browser here, so the test launches /usr/bin/chromium (installed by `.ci/run`, or `apt-get install
chromium`).
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from .conftest import datasette_server

CHROMIUM = os.environ.get("KB_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ["KB_SCREENSHOTS"]).resolve() if os.environ.get("KB_SCREENSHOTS") else None

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None,
    reason=f"no chromium at {CHROMIUM} (apt-get install chromium, or set KB_CHROMIUM)",
)]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory, built_db):
    db = tmp_path_factory.mktemp("browser") / "kb.db"
    shutil.copy(built_db, db)
    global SHOTS
    SHOTS = SHOTS or tmp_path_factory.mktemp("screenshots")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with datasette_server(db) as base:
        yield base


@pytest.fixture
def page(browser, site):
    p = browser.new_page(viewport={"width": 1280, "height": 900})
    yield p
    p.close()


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_home_search_box_to_results_to_declaration(page, site):
    page.goto(site + "/")
    assert page.url.rstrip("/").endswith("/kb")
    page.fill("#home-search input[name=q]", "冬季清洁取暖")
    page.press("#home-search input[name=q]", "Enter")
    page.wait_for_selector("#results")
    cards = page.locator(".card")
    assert cards.count() >= 1
    first = cards.first
    assert "2023冬季清洁取暖专项经费" in first.inner_text()
    assert first.locator("mark").count() >= 1  # the words highlighted in the excerpt
    assert "万元" in first.inner_text()
    assert page.input_value("#search-q") == "冬季清洁取暖"
    shot(page, "search")
    first.locator("h3 a").click()
    page.wait_for_selector("#declaration")
    assert "2023冬季清洁取暖专项经费" in page.locator("h1").inner_text()
    assert page.locator("#findings").count() == 1
    shot(page, "declaration")


def test_table_search_box_with_two_words_regression(page, site):
    """Two words typed into the declarations table's box used to give 0 rows (``"冬季" AND "and" …``)."""
    for words in ("冬季清洁取暖", "取暖 补贴"):
        page.goto(site + "/kb/declarations")
        page.fill("input[name=_search]", words)
        page.press("input[name=_search]", "Enter")
        page.wait_for_selector("#results")
        assert "/kb/-/search" in page.url
        assert page.input_value("#search-q") == words  # the words as typed, no quotes
        names = page.locator(".card h3").all_inner_texts()
        assert any("取暖" in n for n in names), (words, names)
        assert '"' not in page.locator("h1").inner_text()


def test_facets_keep_the_query_and_modes_and_tabs(page, site):
    page.goto(site + "/kb/-/search?q=" + "补贴")
    page.wait_for_selector("#facets")
    total = int(re.search(r"共 (\d+) 个项目", page.inner_text("#results")).group(1))
    page.locator("#facets a", has_text="一次性项目").first.click()
    page.wait_for_selector("#results")
    assert "q=%E8%A1%A5%E8%B4%B4" in page.url and "attribute=" in page.url
    filtered = int(re.search(r"共 (\d+) 个项目", page.inner_text("#results")).group(1))
    assert 0 < filtered <= total
    shot(page, "search_facets")
    page.select_option("#search-mode", "fulltext")
    page.click("#search-submit")
    page.wait_for_selector("#results")
    assert "mode=fulltext" in page.url
    page.click("#tab-indicators")
    page.wait_for_selector("#indicator-results")
    assert page.locator("#indicator-results mark").count() >= 1
    shot(page, "search_indicators")
    page.click("#tab-policies")
    page.wait_for_selector("#policy-results")


def test_a_search_with_no_good_match_says_so(page, site):
    page.goto(site + "/kb/-/search?q=火星探测器")
    page.wait_for_selector("#results")
    assert "没有找到与“火星探测器”相关的项目" in page.inner_text("#no-results") and page.locator(".card").count() == 0
    page.goto(site + "/kb/-/search?q=高铁站建设")  # nothing matches; the closest few are marked
    page.wait_for_selector("#results")
    assert "没有找到与“高铁站建设”足够相关的项目" in page.inner_text("#weak-heading")
    assert page.locator(".card").count() == page.locator(".card.weak .weak-mark").count() > 0


def test_the_home_page_is_the_product(page, site):
    page.goto(site + "/kb")
    assert page.locator("h1").inner_text() == "绩效目标知识库"
    holds = page.inner_text("#kb-holds")
    assert "16张项目申报表" in holds.replace("\n", "") and "个主管部门" in holds and "个文件" in holds
    assert "Custom SQL query" not in page.content() and page.locator("textarea").count() == 0
    page.click("summary")  # 数据与 SQL 查询
    page.click("#kb-sql")
    page.wait_for_selector("textarea#sql-editor", state="attached")
    assert "SQL 查询" in page.inner_text("form.sql h3") and page.locator("table.rows-and-columns tr").count() > 1
    shot(page, "home")


def test_tables_read_in_chinese(page, site):
    page.goto(site + "/kb/declarations")
    headers = page.locator("table.rows-and-columns th").all_inner_texts()
    assert "项目名称" in " ".join(headers) and "dept_name" not in " ".join(headers)
    assert not any("项目概况" in h for h in headers)  # narrative columns hidden here
    assert page.locator("dl.column-descriptions").is_hidden()
    cells = page.locator("td.col-funds_total").all_inner_texts()
    assert cells and all("万元" in c for c in cells if c.strip())
    bands = page.locator("#facet-funds_band li a").all_inner_texts()
    assert bands and not any(re.match(r"\d ", b) for b in bands)
    facet_title = page.locator("#facet-funds_band .facet-info-name strong").first.inner_text()
    assert "资金规模" in facet_title
    shot(page, "declarations_table")
    download = page.request.get(site + "/kb/declarations.csv?_size=2&_headers=zh")
    assert download.body()[:3] == b"\xef\xbb\xbf" and "项目名称" in download.text()


def test_similar_and_suggest_pages_link_every_id(page, site):
    page.goto(site + "/kb/-/search?q=清洁取暖&mode=fulltext")
    href = page.locator(".card h3 a").first.get_attribute("href")
    decl_id = href.rsplit("/", 1)[-1]
    page.goto(site + f"/kb/similar?id={decl_id}")
    assert "2023冬季清洁取暖专项经费" in page.inner_text(".kb-query-heading")
    page.goto(site + "/kb/suggest_indicators?q=农村饮水安全")
    links = page.locator("td.col-declarations a")
    assert links.count() >= 1 and "/kb/declarations/" in links.first.get_attribute("href")
    assert "三级指标" in " ".join(page.locator("table.rows-and-columns th").all_inner_texts())


def test_drafting_page_with_a_pasted_draft(page, site):
    page.goto(site + "/kb/-/draft")
    page.fill("#draft-text", "冬季清洁取暖补贴\n对农村居民冬季使用电、天然气等清洁能源取暖给予运行补贴，改善大气环境质量。")
    page.click("#draft-submit")
    page.wait_for_selector(".hit")
    first = page.locator(".hit").first
    assert "2023冬季清洁取暖专项经费" in first.inner_text()
    assert "共同关键词" in first.inner_text()
    assert page.locator("table.kb-suggest").count() >= 1  # the indicators those projects used
    shot(page, "draft")


def test_review_overview_indicator_and_error_pages(page, site):
    page.goto(site + "/kb/-/review")
    assert page.locator("svg.kb-chart").count() >= 1
    shot(page, "review")
    page.goto(site + "/kb/-/overview")
    assert page.locator("svg.kb-chart").count() >= 3
    shot(page, "overview")
    page.goto(site + "/kb/indicator_library?name=教职工满意度")
    page.locator("td.col-name a", has_text="教职工满意度").click()
    page.wait_for_selector(".kb-ind")
    assert page.locator("svg.kb-chart").count() >= 1
    shot(page, "indicator")
    response = page.goto(site + "/kb/declarations/no-such-declaration")
    assert response.status == 404 and "找不到" in page.inner_text("h1")


# every page kind and the download links it shows (each is clicked and its file opened)
DOWNLOAD_PAGES = [
    "/kb/-/search?q=取暖", "/kb/-/search?q=满意度&tab=indicators", "/kb/-/search?q=晋教安稳函&tab=policies",
    "/kb/declarations", "/kb/indicators?_size=20", "/kb/funds?_size=20", "/kb/declaration_policies", "/kb/indicator_library",
    "/kb/policies", "/kb/findings", "/kb/documents", "/kb/parse_warnings", "/kb/review_rules", "/kb/department_findings",
    "/kb/sources", "/kb/search?q=取暖", "/kb/fulltext_search?q=取暖", "/kb/search_indicators?q=满意度",
    "/kb/search_policies?q=晋教安稳函", "/kb/suggest_indicators?q=农村饮水安全", "/kb/semantic_search?q=农村饮水安全",
    "/kb/-/indicator?name=教职工满意度", "DECLARATION", "POLICY", "SIMILAR",
]


def check_sheet(headers: list, rows: list[list], where: str, typed: bool = True) -> None:
    """A downloaded table reads in Chinese: every header once, no column name or English label;
    in a workbook (``typed``) amounts in 万元 are numbers, codes text, dates dates."""
    import datetime

    assert headers and len(set(headers)) == len(headers), (where, headers)
    for h in headers:
        assert re.search(r"[\u4e00-\u9fff]", str(h)) and not str(h).endswith("_label"), (where, h)
    for k, h in enumerate(headers if typed else []):
        column = [r[k] for r in rows if k < len(r) and r[k] not in (None, "")]
        if "（万元）" in str(h):
            assert all(isinstance(v, (int, float)) for v in column), (where, h, column[:3])
        if h in ("主管部门代码", "申报表编号", "所属申报表编号"):
            assert all(isinstance(v, str) for v in column), (where, h, column[:3])
        if h in ("填报日期", "读取时间"):
            assert all(isinstance(v, datetime.datetime) for v in column), (where, h, column[:3])
        if h == "资金规模":
            assert not any(re.match(r"\d ", str(v)) for v in column), (where, column[:3])


def test_every_download_link_on_every_page_kind_gives_a_file_in_chinese(page, site, built_db, tmp_path):
    import csv
    import io
    import sqlite3

    from openpyxl import load_workbook

    db = sqlite3.connect(built_db)
    decl = db.execute("select id from declarations where name = '2023冬季清洁取暖专项经费'").fetchone()[0]
    policy = db.execute("select policy_id from declaration_policies group by policy_id order by count(*) desc").fetchone()[0]
    special = {"DECLARATION": f"/kb/declarations/{decl}", "POLICY": f"/kb/policies/{policy}",
               "SIMILAR": f"/kb/similar?id={decl}"}
    opened: list[tuple[str, str, int]] = []
    for path in DOWNLOAD_PAGES:
        path = special.get(path, path)
        page.goto(site + path)
        # every link to a file: the project's (a.kb-download) and Datasette's own (This data as …)
        hrefs = [h for h in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
                 if re.search(r"\.(xlsx|csv)(\?|$)", h)]
        assert page.locator("a.kb-download").count() >= 1 or path.startswith("/kb/similar"), path
        for k, href in enumerate(hrefs):
            with page.expect_download() as info:
                page.locator(f"a[href='{href}']").first.click()
            download = info.value
            target = tmp_path / f"{len(opened)}-{download.suggested_filename}"
            download.save_as(target)
            where = f"{path} → {href}"
            assert re.search(r"[\u4e00-\u9fff]", download.suggested_filename), where
            if target.suffix == ".xlsx":
                sheet = load_workbook(target).active
                table = [list(r) for r in sheet.iter_rows(values_only=True)]
            else:
                raw = target.read_bytes()
                assert raw.startswith(b"\xef\xbb\xbf"), where  # the BOM Excel needs
                table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
            check_sheet(table[0], table[1:], where, typed=target.suffix == ".xlsx")
            opened.append((where, target.suffix, len(table) - 1))
            page.goto(site + path)
    print(f"\n{len(opened)} files downloaded and opened from {len(DOWNLOAD_PAGES)} pages:")
    for where, kind, n in opened:
        print(f"  {kind} {n:4d} rows  {where}")
    kinds = {kind for _w, kind, _n in opened}
    assert kinds == {".xlsx", ".csv"} and len(opened) >= 2 * len(DOWNLOAD_PAGES) - 8
    by = {w.split(" → ")[0]: n for w, k, n in opened if k == ".xlsx"}
    assert by["/kb/declarations"] == 16 and by["/kb/-/search?q=取暖"] >= 2
