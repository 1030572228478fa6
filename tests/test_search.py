"""Ranked Chinese full-text search, judged on the seed corpus (tests/data/fts_queries.json)."""

import json
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from ingest import segment
from ingest.query import search_declarations, search_indicators, search_policies

QUERIES = json.loads((Path(__file__).parent / "data" / "fts_queries.json").read_text("utf-8"))


@pytest.mark.parametrize("text,tokens", [
    ("2024年部门预算申报表", ["申报", "申报表"]),
    ("2023冬季清洁取暖专项经费", ["取暖", "清洁取暖"]),
    ("一般公共预算收入", ["一般公共预算"]),
    ("晋教安稳函【2022】6号", ["2022"]),
])
def test_index_contains_sub_words(text, tokens):
    indexed = segment.seg_index(text).split()
    for t in tokens:
        assert t in indexed


def test_bracket_forms_segment_alike():
    forms = ["晋教安稳函〔2022〕6号", "晋教安稳函(2022)6号", "晋教安稳函【2022】6号", "晋教安稳函[2022]6号"]
    assert len({segment.fts_query(f) for f in forms}) == 1


def test_hostile_query_is_quoted():
    q = segment.fts_query('满意度" OR 1=1 -- * NEAR(', mode="or")
    con = sqlite3.connect(":memory:")
    con.execute("create virtual table t using fts5(a)")
    con.execute("insert into t values ('满意度')")
    assert con.execute("select count(*) from t where t match ?", [q]).fetchone()[0] == 1


def metrics(ranked_lists):
    hits3, rr = 0, 0.0
    for ranked, relevant in ranked_lists:
        if any(r in relevant for r in ranked[:3]):
            hits3 += 1
        rank = next((i for i, r in enumerate(ranked) if r in relevant), None)
        rr += 0 if rank is None else 1 / (rank + 1)
    return hits3 / len(ranked_lists), rr / len(ranked_lists)


def plain_fts_baseline(db: Database, query: str) -> list[str]:
    """FTS5 over the raw, unsegmented text (what SQLite gives without jieba)."""
    if "plain_fts" not in db.table_names():
        db.execute("create virtual table plain_fts using fts5(name, body)")
        for r in db.query("select rowid, name, overview, basis, necessity, safeguards, plan, goal_period from declarations"):
            body = " ".join(v or "" for k, v in r.items() if k not in ("rowid", "name"))
            db.execute("insert into plain_fts(rowid, name, body) values (?, ?, ?)", [r["rowid"], r["name"], body])
    quoted = '"' + query.replace('"', '""') + '"'
    return [r["name"] for r in db.query(
        "select d.name from plain_fts join declarations d on d.rowid = plain_fts.rowid where plain_fts match ?"
        " order by bm25(plain_fts) limit 10", [quoted])]


def test_judged_queries_recall_and_mrr(db_copy):
    db = Database(db_copy)
    ours = [([r.name for r in search_declarations(db, q, 10)], set(rel)) for q, rel in QUERIES]
    base = [(plain_fts_baseline(db, q), set(rel)) for q, rel in QUERIES]
    r3, mrr = metrics(ours)
    b3, bmrr = metrics(base)
    print(f"\njieba+bm25: recall@3={r3:.3f} MRR={mrr:.3f}; plain FTS5: recall@3={b3:.3f} MRR={bmrr:.3f} "
          f"({len(QUERIES)} queries)")
    assert len(QUERIES) >= 30
    assert r3 >= 0.95
    assert r3 > b3


def test_indicator_and_policy_search(db_copy):
    db = Database(db_copy)
    names = [r.indicator for r in search_indicators(db, "满意度", 50)]
    assert names and all("满意" in n for n in names[:10])
    pols = search_policies(db, "晋教安稳函(2022)6号", 5)
    assert pols[0].doc_number == "晋教安稳函〔2022〕6号"


def test_snippet_is_original_text_with_marked_words(db_copy):
    hit = search_declarations(Database(db_copy), "清洁取暖", 1)[0]
    assert "【清洁取暖】" in hit.snippet and "清洁 取暖" not in hit.snippet


def test_a_word_no_declaration_contains_is_left_out(built_db):
    db = Database(built_db)
    alone = [h.id for h in search_declarations(db, "清洁取暖")]
    assert alone
    # 量子 and 纠缠 are in no declaration: the others' ranking is kept, not traded for an any-word one
    assert [h.id for h in search_declarations(db, "量子纠缠清洁取暖")] == alone
    assert search_declarations(db, "量子纠缠") == []


def test_queries_of_common_words_ranked_from_their_kept_scores_as_fts5_ranks_them(db_copy, monkeypatch):
    from ingest import ranking
    from ingest.query import cache
    from ingest.query import fulltext

    db = Database(db_copy)
    common = [t for (t,) in db.execute("select term from declarations_fts_vocab where doc > 3 order by doc desc, term"
                                       " limit 12")]
    queries = [q for q, _ in QUERIES] + ["满意度", "取暖", "项目资金", "群众满意度", "资金 项目 满意度", "补贴发放"]
    queries += common + [" ".join(common[i:i + 3]) for i in range(0, 12, 3)] + [common[0] + " 清洁取暖"]

    def run(limit):
        cache.clear()
        return [[(h.id, h.score) for h in search_declarations(db, q, limit)] for q in queries]

    with db.conn:
        db.execute("update kb_state set value = -1 where key = 'fts_word_scores_version'")  # stale: FTS5 ranks
    by_fts5 = {limit: run(limit) for limit in (3, 10)}
    with db.conn:  # the words in more than 3 of the 16 declarations
        kept = ranking.refresh_word_scores(db, common=3)
    assert kept > 20 and not ranking.scores_stale(db)
    ranked = []
    real = ranking.rank
    monkeypatch.setattr(fulltext, "rank", lambda *a, **k: ranked.append(a) or real(*a, **k))
    for limit in (3, 10):
        assert run(limit) == by_fts5[limit]  # the same declarations, order and scores, to the bit
    assert len(ranked) >= 2 * 16


def test_kept_scores_follow_the_declarations(db_copy):
    from ingest import ranking
    from ingest.store import delete_declaration, open_db

    db = open_db(db_copy)
    assert not ranking.scores_stale(db)  # the build computed them
    delete_declaration(db, db.execute("select id from declarations limit 1").fetchone()[0])
    assert ranking.scores_stale(db) and ranking.word_scores(db, ["项目"]) is None


def test_ranking_outside_fts5_orders_as_fts5_does():
    import numpy as np

    from ingest.ranking import rank

    def lists(*words):
        return [(np.array([r for r, _ in w], dtype=np.int64), np.array([s for _, s in w])) for w in words]

    a = [(1, -1.0), (2, -3.0), (3, -2.0), (5, -0.5)]
    b = [(2, -1.0), (3, -2.0), (4, -9.0), (5, -0.5)]
    assert rank(lists(a, b), 2) == [(2, -4.0), (3, -4.0)]  # a tie: the lower rowid first
    assert rank(lists(a, b), 5) == [(2, -4.0), (3, -4.0), (5, -1.0)]  # only rows with both words
    assert rank(lists(a, b), 3, every=False) == [(4, -9.0), (2, -4.0), (3, -4.0)]
    assert rank(lists(a), 1) == [(2, -3.0)]


def test_a_build_committing_during_a_ranking_from_kept_scores_sends_it_to_fts5(db_copy, monkeypatch):
    from ingest import ranking
    from ingest.query import cache
    from ingest.query import fulltext

    db = Database(db_copy)
    with db.conn:
        ranking.refresh_word_scores(db, common=3)
    word = db.execute("select term from declarations_fts_vocab where doc > 3 order by doc desc limit 1").fetchone()[0]
    assert fulltext._ranked_from_kept(db, [word], 5) is not None
    versions = iter([1, 2])  # the declarations changed between the first read and the last
    monkeypatch.setattr(fulltext, "version", lambda db: next(versions))
    assert fulltext._ranked_from_kept(db, [word], 5) is None
    monkeypatch.undo()
    cache.clear()
    assert [h.id for h in search_declarations(db, word, 5)] == [r["id"] for r in fulltext._run(
        db, fulltext.DECLARATIONS_SQL, [word], 5, mode="and")]
    assert fulltext._ranked_from_kept(db, [word], 0) is None and fulltext._ranked_from_kept(db, [word], 10_000) is None
