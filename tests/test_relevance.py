"""One ranking and one relevance floor for every way of searching (ingest/query/relevance.py):
the page, its JSON, the canned queries and the SQL functions give the same declarations in the
same order; judged recall holds and queries with no answer get nothing unmarked."""

import json
import sqlite3
from pathlib import Path

import pytest

from ingest import query

DATA = Path(__file__).parent / "data"
CANNED = {"hybrid": "search", "fulltext": "fulltext_search", "semantic": "semantic_search"}


@pytest.mark.asyncio
@pytest.mark.parametrize("q", ["清洁取暖", "学校", "取暖 补贴", "农村饮水安全", "高铁站建设", "火星探测器", "2023冬季清洁取暖专项经费"])
async def test_the_same_query_gives_the_same_declarations_in_the_same_order_everywhere(ds, q):
    for mode, canned in CANNED.items():
        page = (await ds.client.get("/kb/-/search.json", params={"q": q, "mode": mode})).json()
        on_page = [(c["id"], c["weak"]) for c in page["cards"]]
        rows = (await ds.client.get(f"/kb/{canned}.json", params={"q": q, "_shape": "array"})).json()
        assert [(r["id"], bool(r["weak"])) for r in rows] == on_page, (mode, q)
        fn = {"hybrid": "kb_hybrid(:q, 20)", "fulltext": "kb_fulltext(:q, 20)",
              "semantic": "kb_semantic(:q, 'declaration', 20)"}[mode]
        sql = (await ds.client.get("/kb.json", params={"sql": f"select {fn} as r", "q": q, "_shape": "array"})).json()
        assert [(x["id"], x["weak"]) for x in json.loads(sql[0]["r"])] == on_page, (mode, q)
        assert all(0 < c["score"] <= 1 for c in page["cards"])
        assert [c["score"] for c in page["cards"] if not c["weak"]] == sorted(
            (c["score"] for c in page["cards"] if not c["weak"]), reverse=True)


def test_a_full_text_match_holds_half_of_the_query(built_db):
    """高铁 is in no seed declaration: 建设 alone is not an answer to 高铁站建设, though FTS5 finds it."""
    db = sqlite3.connect(built_db)
    with_a_word = db.execute("select count(*) from declarations_fts where declarations_fts match '\"建设\"'").fetchone()[0]
    assert with_a_word >= 5
    assert query.rank_declarations(db, "高铁站建设", "fulltext").hits == []
    found = query.rank_declarations(db, "清洁取暖 补贴", "fulltext").hits
    names = dict(db.execute("select id, name from declarations"))
    assert names[found[0].id] == "2023冬季清洁取暖专项经费" and not found[0].weak and found[0].score == 1.0
    weights = query.relevance.word_weights(db, ["清洁取暖", "补贴", "高铁"])
    assert weights["高铁"] > weights["清洁取暖"] > weights["补贴"]  # a word nothing contains weighs most


@pytest.mark.asyncio
async def test_a_search_with_no_good_match_says_so(ds):
    page = (await ds.client.get("/kb/-/search", params={"q": "火星探测器"})).text
    assert "没有找到与“火星探测器”相关的项目" in page and 'class="card' not in page
    page = (await ds.client.get("/kb/-/search", params={"q": "火星探测器", "tab": "indicators"})).text
    assert "没有找到与“火星探测器”相关的指标" in page


@pytest.mark.slow
def test_judged_recall_holds_and_queries_with_no_answer_get_nothing_unmarked(built_db_real):
    """With the default model on the seeds (python -m bench.relevance adds the real forms)."""
    from bench.relevance import judge

    found = judge(built_db_real)
    print("\n" + json.dumps(found, ensure_ascii=False))
    assert found["hybrid"]["all"][0] >= 0.98  # was 0.945 on the page and 1.000 in hybrid_search before the floor
    assert found["fulltext"]["fulltext set"] == (1.0, 1.0)
    assert found["semantic"]["meaning set"][0] == 1.0
    assert all(r["no answer"][1] == 0 for r in found.values())  # results, but every one marked weak
    db = sqlite3.connect(built_db_real)
    from ingest.embedders import get_embedder

    embedder = get_embedder(None)
    assert query.rank_declarations(db, "火星探测器", "hybrid", embedder).hits == []
    heating = query.rank_declarations(db, "老年人冬天供暖补助", "hybrid", embedder)  # no word of it in the answer
    names = dict(db.execute("select id, name from declarations"))
    assert heating.semantic_only and names[heating.hits[0].id] in ("2022年以后力理退休人员取暖费", "2023冬季清洁取暖专项经费")
