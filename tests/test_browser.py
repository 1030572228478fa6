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


def test_no_keyword_hit_shows_the_closest_in_meaning(page, site):
    page.goto(site + "/kb/-/search?q=自来水")
    page.wait_for_selector("#results")
    assert "以下是意思相近的项目" in page.inner_text("#semantic-heading")


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
    page.goto(site + "/kb/suggest_indicators?q=冬季取暖补贴")
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
