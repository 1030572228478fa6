"""The served pages in a real browser: Debian's chromium driven by Playwright.

Screenshots go to tests/artifacts/. Playwright cannot download its own browser here, so the test
launches /usr/bin/chromium (installed by `.ci/run`, or `apt-get install chromium`).
"""

import os
import shutil
from pathlib import Path

import pytest

from .conftest import ROOT, datasette_server

CHROMIUM = os.environ.get("KB_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None,
    reason=f"no chromium at {CHROMIUM} (apt-get install chromium, or set KB_CHROMIUM)",
)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def test_home_search_declaration_library_policy(browser, db_copy):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with datasette_server(db_copy) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/")
        assert page.url.rstrip("/").endswith("/kb")
        assert "绩效目标知识库" in page.content()
        page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)

        # a Chinese search in the declarations table's search box
        page.goto(base + "/kb/declarations")
        page.fill("input[name=_search]", "清洁取暖")
        page.press("input[name=_search]", "Enter")
        page.wait_for_load_state()
        assert "_search=" in page.url
        rows = page.locator("table.rows-and-columns tbody tr")
        assert rows.count() >= 1
        assert "清洁取暖" in rows.first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)

        # open the declaration from the result
        rows.first.locator("td.col-id a").first.click()
        page.wait_for_selector("#declaration")
        assert "2023冬季清洁取暖专项经费" in page.locator("h1").inner_text()
        grid = page.locator("table.kb-grid")
        assert "实施期指标值" in grid.inner_text() and "年度指标值" in grid.inner_text()
        assert "受益村民满意度" in grid.inner_text()
        assert "阳开产发〔2020〕19号" in page.locator("ul.kb-policies").inner_text()
        page.screenshot(path=str(ARTIFACTS / "declaration.png"), full_page=True)

        # from the declaration to a cited policy
        page.locator("ul.kb-policies a", has_text="阳开产发〔2020〕19号").click()
        page.wait_for_selector("#policy")
        assert "2023冬季清洁取暖专项经费" in page.inner_text("#policy")
        page.screenshot(path=str(ARTIFACTS / "policy.png"), full_page=True)

        # the indicator library, faceted by category
        page.goto(base + "/kb/indicator_library?level2=" + "满意度指标".replace("满意度", "服务对象满意度"))
        assert "教职工满意度" in page.content()
        page.screenshot(path=str(ARTIFACTS / "indicator_library.png"), full_page=True)
        page.close()
