"""Similar past projects: scores, bands, cut-off and reasons; drafts compared and never stored; the
judged pairs (slow, real model) on the tuning and test halves."""

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from ingest import query
from ingest.embedders import get_embedder
from ingest.query import similarity as sim
from ingest.store import open_db

from .conftest import kb_build


def ids_by_name(db_path) -> dict[str, str]:
    conn = sqlite3.connect(db_path)
    out = {name: i for i, name in conn.execute("select id, name from declarations")}
    conn.close()
    return out


def test_similar_results_carry_score_band_and_reasons(built_db):
    db = open_db(built_db)
    ids = ids_by_name(built_db)
    hits = query.similar(db, "hash-384", ids["2023冬季清洁取暖专项经费"], 10, cutoff=None)
    assert hits and ids["2023冬季清洁取暖专项经费"] not in [h.id for h in hits]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for h in hits:
        assert 0 <= h.score <= 100 and h.band in ("很相似", "相关", "较远")
        assert h.band == sim.band(h.score)
        assert h.reason and set(h.reasons) >= {"shared_indicators", "shared_policies", "shared_terms", "same_dept"}
        assert set(h.features) == set(sim.FEATURES)


def test_ranking_many_candidates_at_once_gives_the_signals_of_one_by_one(built_db):
    db = open_db(built_db)
    prof = sim.load_profiles(db, "hash-384")
    found = sim.stored_profiles(db, prof, prof.ids)
    rarity = sim.Rarity(db)
    idf = rarity.terms(set().union(*(p.words for p in found.values())))
    for q in list(found.values())[:4]:
        cands = [c for c in found.values() if c.id != q.id]
        matrix = sim.feature_matrix(rarity, q, cands, idf)
        one_by_one = [sim.compare(rarity, q, c, reasons=False, idf=idf)[0] for c in cands]
        assert np.allclose(matrix, [[f[k] for k in sim.FEATURES] for f in one_by_one], rtol=0, atol=1e-6)
        assert sim.probabilities(matrix) == pytest.approx([sim.probability(f) for f in one_by_one], abs=1e-6)
        assert matrix[:, sim.FEATURES.index("terms")].max() > 0.1  # the words are compared, not all zero


def test_profiles_stored_as_json_are_carried_over(tmp_path):
    """A knowledge base built before the words were stored as arrays (migration m016) keeps its profiles."""
    import importlib

    migrations = importlib.import_module("ingest.store.migrations")
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("create table similarity_profiles (declaration_id text primary key, words text, function blob,"
               " spending blob, goal_simhash integer, subfunction blob)")
    db.execute("insert into similarity_profiles values ('a', ?, x'00', x'00', 1, null)",
               [json.dumps({"清洁取暖": 2.099, "补贴": 1.0}, ensure_ascii=False)])
    db.commit()
    db.close()
    from sqlite_utils import Database

    old = Database(path)
    migrations.m016_similarity_words_as_arrays(old)
    old.conn.commit()  # the migrations runner commits each migration
    terms, weights = sqlite3.connect(path).execute("select terms, weights from similarity_profiles").fetchone()
    from ingest.profiles import unpack_words

    assert unpack_words(terms, weights)[0] == ["清洁取暖", "补贴"]
    assert unpack_words(terms, weights)[1].tolist() == [2.099, 1.0]


def test_the_cut_off_leaves_out_unrelated_projects(built_db):
    db = open_db(built_db)
    decl = ids_by_name(built_db)["2023冬季清洁取暖专项经费"]
    everything = query.similar(db, "hash-384", decl, 50, cutoff=None)
    kept = query.similar(db, "hash-384", decl, 50)
    assert [h.id for h in kept] == [h.id for h in everything if h.score >= sim.CUTOFF]
    assert len(kept) < len(everything)


def test_reasons_name_what_two_projects_share(built_db):
    """The seed corpus holds the same department's projects and shared policy documents."""
    db = open_db(built_db)
    ids = ids_by_name(built_db)
    hits = query.similar(db, "hash-384", ids["中小企业发展专项资金"], 20, cutoff=None)
    same_dept = [h for h in hits if h.reasons["same_dept"]]
    assert same_dept and all("同一主管部门" in h.reason for h in same_dept)
    with_policy = [h for h in hits if h.reasons["shared_policies"]]
    assert with_policy and all("共同政策依据" in h.reason for h in with_policy)
    assert all(t not in sim.PLAIN_WORDS for h in hits for t in h.reasons["shared_terms"])


def test_an_unknown_declaration_is_an_error(built_db):
    with pytest.raises(query.DeclarationNotFound):
        query.similar(open_db(built_db), "hash-384", "no-such-id", 5)


def test_a_pasted_draft_is_compared_and_not_stored(db_copy, hash_model):
    before = {t: sqlite3.connect(db_copy).execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("declarations", "indicators", "embeddings", "sources")}
    db = open_db(db_copy)
    draft = query.read_draft(text="冬季清洁取暖补贴\n对农村居民冬季使用清洁能源取暖给予运行补贴，改善大气环境质量。")
    assert draft.name == "冬季清洁取暖补贴" and not draft.parsed
    hits = query.similar_to_draft(db, get_embedder("hash"), draft, 5)
    assert hits[0].name == "2023冬季清洁取暖专项经费"
    assert "取暖" in hits[0].reasons["shared_terms"] or "清洁取暖" in hits[0].reasons["shared_terms"]
    groups = query.indicators_of(db, hits)
    assert groups and all(g.items for g in groups)
    assert {g.level1 for g in groups} <= {"产出指标", "效益指标", "满意度指标", "其他"}
    after = {t: sqlite3.connect(db_copy).execute(f"select count(*) from {t}").fetchone()[0] for t in before}
    assert after == before


def test_a_whole_form_as_draft_is_read_as_a_form(built_db, hash_model):
    conn = sqlite3.connect(built_db)
    text, first, last = conn.execute(
        "select s.text, d.first_line, d.last_line from declarations d join sources s on s.id = d.source_id"
        " where d.name = '2023冬季清洁取暖专项经费'").fetchone()
    conn.close()
    form = "\n".join(text.split("\n")[first - 1:last])  # one stored form, pasted whole
    draft = query.read_draft(text=form)
    assert draft.parsed and draft.name and draft.indicators
    hits = query.similar_to_draft(open_db(built_db), get_embedder("hash"), draft, 3)
    assert hits and hits[0].score >= 60  # the same project, stored


def test_kb_similar_command(built_db):
    from click.testing import CliRunner

    from ingest.cli import cli

    decl = ids_by_name(built_db)["2023冬季清洁取暖专项经费"]
    out = CliRunner().invoke(cli, ["similar", str(built_db), decl, "--model", "hash", "--json", "--all", "-n", "3"])
    assert out.exit_code == 0, out.output
    rows = [json.loads(x) for x in out.output.splitlines()]
    assert len(rows) == 3 and all(r["reason"] and r["band"] for r in rows)
    text = CliRunner().invoke(cli, ["similar", str(built_db), "--text", "冬季清洁取暖补贴", "--model", "hash"])
    assert text.exit_code == 0 and "2023冬季清洁取暖专项经费" in text.output
    both = CliRunner().invoke(cli, ["similar", str(built_db), decl, "--text", "x"])
    assert both.exit_code != 0 and "one of" in both.output


@pytest.mark.asyncio
async def test_draft_page_and_json(ds):
    page = await ds.client.get("/kb/-/draft")
    assert page.status_code == 200 and "不会保存" in page.text and 'name="text"' in page.text
    r = await ds.client.post("/kb/-/draft", data={"text": "冬季清洁取暖补贴\n对农村居民冬季清洁取暖给予补贴。"})
    assert r.status_code == 200 and "2023冬季清洁取暖专项经费" in r.text and "这些项目用过的绩效指标" in r.text
    data = (await ds.client.post("/kb/-/draft.json", data={"text": "冬季清洁取暖补贴"})).json()
    assert data["ok"] and data["similar"][0]["reason"]
    empty = await ds.client.post("/kb/-/draft.json", data={"text": " "})
    assert empty.status_code == 400 and not empty.json()["ok"]


@pytest.fixture
def twin_db(tmp_path):
    """The seeds and next year's copy of one seed file: every project has a twin."""
    from .conftest import DATA

    folder = tmp_path / "in"
    folder.mkdir()
    for f in DATA.glob("*.txt"):
        (folder / f.name).write_text(f.read_text("utf-8"), encoding="utf-8")
    seed = next(DATA.glob("000_*.txt")).read_text("utf-8")
    (folder / "next_year.txt").write_text(seed.replace("2023", "2024"), encoding="utf-8")
    result = kb_build(tmp_path / "kb.db", folder)
    assert result.exit_code == 0, result.output
    return tmp_path / "kb.db"


@pytest.mark.asyncio
async def test_similar_on_the_declaration_page_and_canned_query(twin_db, hash_model):
    from ingest.serve import make_datasette

    ds = make_datasette(twin_db, num_sql_threads=1, sql_time_limit_ms=20000)
    conn = sqlite3.connect(twin_db)
    decl, twin = (conn.execute("select id from declarations where name = ?", [n]).fetchone()[0]
                  for n in ("2023冬季清洁取暖专项经费", "2024冬季清洁取暖专项经费"))
    conn.close()
    page = (await ds.client.get(f"/kb/declarations/{decl}")).text
    assert "为什么相似" in page and f"/kb/declarations/{twin}" in page and "很相似" in page
    rows = (await ds.client.get(f"/kb/similar.json?id={decl}&_shape=array")).json()
    assert rows[0]["id"] == twin and rows[0]["band"] == "很相似"
    assert all(r["reason"] and r["score"] >= sim.CUTOFF for r in rows)
    assert "同一主管部门" in rows[0]["reason"] and "共同指标" in rows[0]["reason"]


# ------------------------------------------------------------------ judged pairs, real model

@pytest.fixture(scope="module")
def judged_db(tmp_path_factory):
    from .similarity_eval import corpus_files

    path = tmp_path_factory.mktemp("similar") / "kb.db"
    result = kb_build(path, *corpus_files(), model="")
    # the two holdout forms the parser cannot read yet (tests/data/realworld_holdout2/README.md) fail,
    # are recorded, and the build says so; everything else goes in
    failed = {Path(p).name for (p,) in sqlite3.connect(path).execute("select path from parse_failures")}
    assert failed <= {"shanxi_yongji_01.txt", "ningxia_shizuishan_01.txt"}, result.output
    assert result.exit_code == (1 if failed else 0), result.output
    return path


@pytest.mark.slow
def test_judged_pairs_both_halves(judged_db):
    """The shipped weights were fitted on the tuning half only (python -m bench.similarity)."""
    from .similarity_eval import evaluate, judged

    db = open_db(judged_db)
    queries, negatives = judged(db)
    assert len(queries) >= 30 and sum(len(q["relevant"]) for q in queries) + sum(
        len(n["not_similar"]) for n in negatives) >= 40
    model = get_embedder().model_id

    def rank(decl_id):
        return [h.id for h in query.similar(db, model, decl_id, 40, cutoff=None)]

    tune = evaluate(queries, negatives, rank, "tune")
    test = evaluate(queries, negatives, rank, "test")
    holdout = evaluate(queries, negatives, rank, "holdout")
    print(f"\ntune: {tune}\ntest: {test}\nholdout: {holdout}")
    assert tune["recall@3"] >= 0.9 and tune["mrr"] >= 0.85
    # the held-out half (bench/similarity.json; raw summary-vector cosine: recall@3 0.54, MRR 0.59)
    assert test["recall@3"] >= 0.9 and test["mrr"] >= 0.85
    # pairs over forms from other places, judged after both halves were used (raw cosine: 0.33, 0.26)
    assert holdout["recall@3"] >= 0.85 and holdout["mrr"] >= 0.75


# ------------------------------------------------------------------ finer signals: 款 and kind of department

def test_departments_of_one_kind_are_alike_across_places():
    from ingest import sectors

    def same(a, b):
        return float(sectors.department_of(a) @ sectors.department_of(b))

    assert same("阳泉市水利局", "安溪县水利局") == pytest.approx(1.0)
    assert same("县民宗委", "武川县民族事务委员会") == pytest.approx(1.0)  # one kind of office, two names
    assert same("自治区教育厅", "百色市教育局") == pytest.approx(1.0)
    assert same("阳泉市水利局", "岳阳县农业农村局") == 0.0
    assert not sectors.department_of("").any()


def test_the_kuan_tells_water_works_from_farmland_within_one_class():
    from ingest import sectors

    water = sectors.subfunction_of("阳泉市水利局", "农村饮水安全项目", "农村供水工程蓄水池、供水管道维修养护")
    works = sectors.subfunction_of("安溪县水利局", "省级第七批水利专项资金", "开展7个小型水利工程建设")
    farmland = sectors.subfunction_of("岳阳县农业农村局", "高标准农田建设项目", "新增和改善灌溉达标面积、年增粮食")
    assert float(sectors.function_of("", "农村饮水安全项目", "") @ sectors.function_of("", "高标准农田建设项目", "")) > 0.9
    assert float(water @ works) > 0.9 > float(water @ farmland) + 0.3
    assert sectors.main_kind(water, sectors.SUBFUNCTIONS) == "农林水·水利"


def test_reasons_name_the_kind_of_department_and_the_kuan():
    import numpy as np

    from ingest import sectors

    def profile(dept, name, text):
        return sim.Profile(None, {}, {}, sectors.function_of(dept, name, text), sectors.spending_of(name, text),
                           set(), set(), dept, subfunction=sectors.subfunction_of(dept, name, text))

    a = profile("阳泉市水利局", "农村饮水安全项目", "农村供水工程维修养护")
    b = profile("安溪县水利局", "省级第七批水利专项资金", "小型水利工程建设")
    import types

    even = types.SimpleNamespace(names=lambda _x: 1.0, policies=lambda _x: 1.0)  # every name equally rare
    f, reasons = sim.compare(even, a, b, idf={})
    assert f["dept"] == 0.0 and f["dept_kind"] == pytest.approx(1.0)
    assert reasons["dept_kind"] == "水利" and reasons["function"] == "农林水（水利）"
    text = sim.reason_text(reasons)
    assert "主管部门同类（水利）" in text and "同属农林水（水利）" in text
    assert isinstance(f["subfunction"], float) and np.isfinite(f["subfunction"])


def test_the_projected_scan_picks_the_candidates_of_the_exact_one(monkeypatch):
    """At scale the candidate scan reads a 128-number projection of the three vector sets and
    keeps the best of four times the candidates by their exact cosines: the same candidates."""
    import numpy as np

    monkeypatch.setattr(sim.scan, "PROJECTED_FROM", 1000)
    rng = np.random.default_rng(7)
    n, d = 3000, 384
    topics = rng.normal(size=(40, d))  # declarations of a domain share a few dozen directions

    def vectors():
        m = rng.normal(size=(n, 40)) @ topics + 0.3 * rng.normal(size=(n, d))
        return (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)

    ids = [f"申报表{k}" for k in range(n)]
    from ingest.query.centred import Centred

    prof = sim.Profiles(ids, {x: k for k, x in enumerate(ids)}, {f: Centred.from_float(vectors())
                                                                  for f in sim.VECTOR_KINDS}, ())
    exact = [prof.nearest({f: prof.vectors[f].dense(k) for f in sim.VECTOR_KINDS}, sim.CANDIDATES) for k in range(50)]
    prof.project()
    assert prof.projected.shape == (n, sim.SCAN_DIMS)
    approx = [prof.nearest({f: prof.vectors[f].dense(k) for f in sim.VECTOR_KINDS}, sim.CANDIDATES) for k in range(50)]
    overlap = np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(approx, exact)])
    print(f"\ncandidates shared with the exact scan: {overlap:.3f}")
    assert overlap >= 0.98, overlap
    assert all(a[0] == e[0] == f"申报表{k}" for k, (a, e) in enumerate(zip(approx, exact)))  # itself first
