"""The Datasette instance through its in-process client: metadata, canned queries, search box."""

import pytest
from sqlite_utils import Database

from ingest.serve import metadata

METADATA = metadata()


def test_every_table_and_column_has_a_chinese_label(db_copy):
    db = Database(db_copy)
    tables = METADATA["databases"]["kb"]["tables"]
    for t in db.table_names():
        if t.startswith("_") or "_fts" in t:
            continue
        assert t in tables, t
        cols = tables[t].get("columns", {})
        for c in db[t].columns_dict:
            assert c in cols, f"{t}.{c}"


@pytest.mark.asyncio
async def test_canned_queries_all_run(ds):
    params = {"q": "清洁取暖", "id": Database(ds.databases["kb"].path).execute(
        "select id from declarations order by id limit 1").fetchone()[0], "level1": "", "level2": ""}
    for name, query in METADATA["databases"]["kb"]["queries"].items():
        args = "&".join(f"{k}={v}" for k, v in params.items() if f":{k}" in query["sql"])
        r = await ds.client.get(f"/kb/{name}.json?_shape=array&{args}")
        assert r.status_code == 200, (name, r.text[:300])


@pytest.mark.asyncio
async def test_search_json_contract(ds):
    r = await ds.client.get("/kb/search.json?q=清洁取暖&_shape=array")
    rows = r.json()
    assert rows[0]["name"] == "2023冬季清洁取暖专项经费"
    assert "【清洁取暖】" in rows[0]["snippet"] and set(rows[0]) >= {"id", "name"}
    first = rows[0]["id"]
    r = await ds.client.get(f"/kb/similar.json?id={first}&_shape=array")
    sims = r.json()
    assert r.status_code == 200 and first not in [s["id"] for s in sims]
    assert all(set(s) >= {"id", "name", "score", "band", "reason"} for s in sims)
    r = await ds.client.get("/kb/semantic_search.json?q=农村饮水安全&_shape=array")
    assert r.json()[0]["name"] == "农村饮水安全项目" and set(r.json()[0]) >= {"id", "name", "score", "weak"}


@pytest.mark.asyncio
async def test_indicator_and_policy_canned_queries_call_the_query_layer(ds):
    """The served SQL goes through ingest.query: its answers equal the Python functions' answers."""
    from ingest import query

    db = Database(ds.databases["kb"].path)
    r = await ds.client.get("/kb/search_indicators.json?q=满意度&_shape=array")
    served = [row["indicator_id"] for row in r.json()]
    assert served == [h.indicator_id for h in query.search_indicators(db, "满意度", 50)]
    assert served and all("满意" in row["indicator"] for row in r.json()[:10])
    r = await ds.client.get("/kb/search_policies.json?q=晋教安稳函(2022)6号&_shape=array")
    assert r.json()[0]["doc_number"] == "晋教安稳函〔2022〕6号"


@pytest.mark.asyncio
async def test_table_search_box_segments_chinese(ds):
    r = await ds.client.get("/kb/declarations.json?_search=取暖&_shape=array&_col=name")
    names = {row["name"] for row in r.json()}
    assert "2023冬季清洁取暖专项经费" in names and len(names) < 16
    r = await ds.client.get("/kb/declarations.json?_search=取暖&_facet=dept_name&_shape=objects")
    assert r.status_code == 200 and r.json()["facet_results"]
    r = await ds.client.get("/kb/policies.json?_search=晋教安稳函(2022)6号&_shape=array")
    assert [p["doc_number"] for p in r.json()] == ["晋教安稳函〔2022〕6号"]


@pytest.mark.asyncio
async def test_hostile_input_never_500(ds):
    hostile = ["x" * 5000, "取暖" * 3000, "\" OR 1=1 --", "'; drop table declarations; --", "%FF%FE", "%C0%AF",
               "*", "NEAR(", "a:b", "^", "%00", "(", ""]
    for q in hostile:
        for path in ("fulltext_search", "search", "semantic_search", "search_indicators", "search_policies",
                     "semantic_indicators", "suggest_indicators"):
            r = await ds.client.get(f"/kb/{path}.json?q={q}&_shape=array")
            assert r.status_code < 500, (path, q[:20], r.text[:200])
            assert r.status_code >= 400 or isinstance(r.json(), list)
        r = await ds.client.get(f"/kb/declarations.json?_search={q}&_shape=array")
        assert r.status_code < 500, ("_search", q[:20], r.text[:200])
    # k is capped, a bad k falls back to the default, unknown ids give nothing
    r = await ds.client.get("/kb.json?sql=select json_array_length(kb_fulltext('满意度', 100000000))"
                            "&_shape=array")
    assert list(r.json()[0].values()) == [16]  # every declaration, no more (MAX_K = 100)
    r = await ds.client.get("/kb.json?sql=select kb_similar('nope', 'many') as s&_shape=array")
    assert r.json() == [{"s": "[]"}]
    r = await ds.client.get("/kb.json?sql=select kb_semantic('取暖', 'no-such-kind', 5) as s&_shape=array")
    assert r.json() == [{"s": "[]"}]


@pytest.mark.asyncio
async def test_served_read_only(ds):
    """No request can write: Datasette opens the file read-only and refuses writes in SQL."""
    for sql in ("delete from declarations", "update declarations set name = 'x'", "drop table declarations",
                "insert into policies (id) values ('x')"):
        r = await ds.client.get("/kb.json", params={"sql": sql, "_shape": "array"})
        assert r.status_code == 400, sql
    r = await ds.client.get("/kb.json?sql=select count(*) as n from declarations&_shape=array")
    assert r.json() == [{"n": 16}]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_semantic_search_with_the_default_model(built_db_real, tmp_path):
    import shutil

    from ingest.serve import make_datasette

    from ingest.embedders import get_embedder

    shutil.copy(built_db_real, tmp_path / "kb.db")
    ds = make_datasette(tmp_path / "kb.db", num_sql_threads=1, sql_time_limit_ms=60000)
    get_embedder().embed_queries(["绩效目标"])  # loaded, as a server's worker loads it when it starts
    r = await ds.client.get("/kb/semantic_search.json?q=小学生放学后没人接送&_shape=array")
    assert r.json()[0]["name"] == "校内课后服务费"


def test_pages_and_metadata_use_the_same_field_labels():
    from ingest.records import NARRATIVE_LABELS

    columns = METADATA["databases"]["kb"]["tables"]["declarations"]["columns"]
    assert {f: columns[f] for f in NARRATIVE_LABELS} == NARRATIVE_LABELS


@pytest.mark.asyncio
async def test_repeated_json_answers_are_cached_until_the_database_changes(ds, db_copy):
    """The response cache never serves an answer older than the database file."""
    import sqlite3
    import time

    sql = {"sql": "select value from kb_state where key = '缓存测试'", "_shape": "array"}
    first = await ds.client.get("/kb.json", params=sql)
    assert first.status_code == 200 and first.json() == []
    assert (await ds.client.get("/kb.json", params=sql)).text == first.text
    time.sleep(0.01)  # a new modification time
    with sqlite3.connect(db_copy) as conn:
        conn.execute("insert into kb_state (key, value) values ('缓存测试', '已更新')")
    after = await ds.client.get("/kb.json", params=sql)
    assert after.json() == [{"value": "已更新"}]


@pytest.mark.asyncio
async def test_status_says_whether_this_worker_is_ready(ds, monkeypatch):
    import ingest.embedders as embedders

    r = await ds.client.get("/-/kb-status.json")
    assert r.status_code == 200 and r.json()["ready"] is True and r.headers["cache-control"] == "no-store"
    monkeypatch.setattr(embedders, "is_warming", lambda: True)
    assert (await ds.client.get("/-/kb-status.json")).json()["ready"] is False
