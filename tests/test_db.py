"""Storage through the one build path: idempotent re-ingest, replacement, atomic failure, bad input, identity."""

import hashlib
import shutil

import pytest
from sqlite_utils import Database

from ingest.build import build
from ingest.cli import cli
from ingest.store import open_db

from .conftest import DATA, SEEDS, kb_build

TABLES = ("sources", "declarations", "funds", "indicators", "policies", "declaration_policies", "parse_warnings",
          "declarations_fts", "indicators_fts", "policies_fts", "embeddings", "source_paths", "declaration_sources",
          "findings", "review_state")


def snapshot(db):
    out = {}
    for t in TABLES:
        rows = db.execute(f"select * from [{t}] order by 1, 2").fetchall()
        out[t] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return out


@pytest.fixture
def seed_dir(tmp_path):
    """A copy of the shipped seed files, to change them."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def test_reingest_is_a_no_op(db_copy):
    db = open_db(db_copy)
    before = snapshot(db)
    result = kb_build(db_copy, DATA)
    assert result.exit_code == 0, result.output
    assert "2 个未变化" in result.output
    assert snapshot(open_db(db_copy)) == before


def test_source_text_kept_whole(db_copy):
    db = open_db(db_copy)
    for seed in SEEDS:
        row = next(db.query("select text from sources where path like ?", ["%" + seed.name]))
        assert row["text"] == seed.read_text("utf-8")


def test_changed_file_replaces_its_declarations(tmp_path):
    db = open_db(tmp_path / "kb.db")
    f = tmp_path / "a.txt"
    f.write_text("项目名称\t甲项目\n主管部门\t某局\n项目概况\t根据《某某办法》(某发〔2021〕3号)实施。\n"
                 "绩效指标\t产出指标\t数量指标\t甲指标\t5家\n", "utf-8")
    build(db, [f])
    assert db["indicators"].count == 1 and db["policies"].count == 1
    f.write_text("项目名称\t乙项目\n主管部门\t某局\n项目概况\t无引用。\n", "utf-8")
    report = build(db, [f])
    assert [x.status for x in report.files] == ["replaced"]
    assert [r["name"] for r in db.query("select name from declarations")] == ["乙项目"]
    assert db["indicators"].count == 0 and db["policies"].count == 0 and db["declaration_policies"].count == 0
    assert db.execute("select count(*) from indicators_fts").fetchone()[0] == 0
    assert db["sources"].count == 1 and db["source_paths"].count == 1


def test_failure_mid_file_leaves_database_as_it_was(db_copy, seed_dir):
    db = open_db(db_copy)
    # the database holds the seeds from DATA; build the copy, then make one changed file fail
    build(db, [seed_dir])
    before = snapshot(db)
    target = seed_dir / SEEDS[0].name
    target.write_bytes(SEEDS[0].read_bytes() + "\n项目名称\t新增项目\n主管部门\t某局\n".encode())
    with pytest.raises(RuntimeError, match="injected"):
        build(db, [target], fail_after_declarations=3)
    assert snapshot(db) == before


def test_bad_files_reported_others_ingested(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("项目名称\t好项目\n项目概况\t正常。\n", "utf-8")
    (tmp_path / "latin1.txt").write_bytes("项目名称\tcafé ".encode("utf-8")[:-4] + b"\xe9\xff\xfe rest\n")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\xff\x00\xfe")
    (tmp_path / "minutes.txt").write_text("会议纪要，没有申报表。\n", "utf-8")
    result = kb_build(tmp_path / "kb.db", tmp_path, model="", extra=("--no-embed",))
    assert result.exit_code == 1, result.output  # something failed: the status says so
    for name in ("latin1.txt", "empty.txt", "binary.txt"):
        assert f"错误 error: {tmp_path / name}" in result.output
    assert "1 个无项目绩效目标表" in result.output and "3 个失败" in result.output  # read, holds no form: not a failure
    db = open_db(tmp_path / "kb.db")
    assert [r["name"] for r in db.query("select name from declarations")] == ["好项目"]
    assert db["parse_failures"].count == 3
    outcomes = {r["path"].rsplit("/", 1)[-1]: (r["outcome"], r["failure"]) for r in db.query("select * from documents")}
    assert outcomes["minutes.txt"] == ("无项目绩效目标表", None)
    assert outcomes["good.txt"] == ("项目绩效目标表 1 张", None)
    assert outcomes["empty.txt"][0] == "读取失败" and "empty" in outcomes["empty.txt"][1]


def test_all_bad_exits_non_zero(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    result = kb_build(tmp_path / "kb.db", tmp_path / "empty.txt", model="", extra=("--no-embed",))
    assert result.exit_code == 1
    assert "empty.txt: file is empty" in result.output


def test_seed_counts(built_db):
    db = open_db(built_db)
    assert db["declarations"].count == 16
    assert db.execute("select count(*) from declarations_fts").fetchone()[0] == 16
    assert db["indicators"].count == db.execute("select count(*) from indicators_fts").fetchone()[0]
    assert db.execute("select count(*) from embeddings where kind = 'declaration'").fetchone()[0] == 16


def test_commands_have_help():
    for name, command in cli.commands.items():
        assert command.help, name


def test_vector_index_cache_follows_changes_to_embeddings(db_copy):
    from ingest.vectors import load_index

    db = Database(db_copy)
    model = db.execute("select model from embeddings limit 1").fetchone()[0]
    first = load_index(db, model, "declaration")
    assert load_index(db, model, "declaration") is first  # unchanged: served from memory
    gone = first.ids[0]
    db.execute("delete from embeddings where item_id = ? and model = ?", [gone, model])
    db.conn.commit()
    second = load_index(db, model, "declaration")
    assert second is not first and gone not in second.ids and len(second.ids) == len(first.ids) - 1


def test_each_distinct_text_is_embedded_once(tmp_path):
    from ingest.embedders import HashEmbedder
    from ingest.vectors import embed_pending

    class Counting(HashEmbedder):
        texts = 0

        def embed_documents(self, texts, batch_size=32):
            Counting.texts += len(texts)
            return super().embed_documents(texts, batch_size)

    db = open_db(tmp_path / "kb.db")
    build(db, [DATA])
    items = embed_pending(db, Counting())
    distinct = db.execute("select count(distinct content_hash) from embeddings").fetchone()[0]
    assert Counting.texts == distinct < items == db["embeddings"].count


def test_replacing_a_file_leaves_no_orphans(seed_dir, tmp_path):
    """A re-exported file with one project dropped: its rows, links, search rows and vectors all go."""
    from ingest.embedders import HashEmbedder

    db = open_db(tmp_path / "kb.db")
    build(db, [seed_dir], embedder=HashEmbedder())
    path = seed_dir / SEEDS[0].name
    text = path.read_text("utf-8")
    dropped = "2023冬季清洁取暖专项经费"
    start = text.rindex("\n", 0, text.index(dropped)) + 1  # its 项目名称 line
    end = text.index("项目名称", start + 10)  # the next form
    decl_id = db.execute("select id from declarations where name = ?", [dropped]).fetchone()[0]
    assert db.execute("select count(*) from embeddings where declaration_id = ?", [decl_id]).fetchone()[0] > 0
    path.write_text(text[:start] + text[end:], "utf-8")
    report = build(db, [path], embedder=HashEmbedder())
    assert [(f.status, f.declarations) for f in report.files] == [("replaced", 7)]
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    assert one("select count(*) from declarations") == 15
    assert one(f"select count(*) from declarations where name = '{dropped}'") == 0
    for table in ("indicators", "funds", "declaration_policies", "parse_warnings", "embeddings", "declaration_sources"):
        assert one(f"select count(*) from {table} where declaration_id is not null"
                   f" and declaration_id not in (select id from declarations)") == 0, table
    assert one(f"select count(*) from embeddings where item_id like '{decl_id}%'") == 0
    assert one("select count(*) from declarations_fts") == 15
    assert one("select count(*) from indicators_fts") == one("select count(*) from indicators")
    assert one("select count(*) from policies where id not in (select policy_id from declaration_policies)") == 0
    assert one("select sum(uses) from indicator_library") == one(
        "select count(*) from indicators where name_norm != ''")
    assert one("select count(*) from sources") == 2


def test_a_new_parser_version_reads_stored_files_again(db_copy, monkeypatch):
    import ingest.build

    db = open_db(db_copy)
    ids = {r[0] for r in db.execute("select id from declarations")}
    assert all(f.status == "unchanged" for f in build(db, [DATA]).files)
    monkeypatch.setattr(ingest.build, "PARSER_VERSION", ingest.build.PARSER_VERSION + 1)
    report = build(db, [DATA])
    assert [f.status for f in report.files] == ["replaced", "replaced"]
    assert {r[0] for r in db.execute("select id from declarations")} == ids  # same ids, read again
    assert {r[0] for r in db.execute("select distinct parser_version from sources")} == {ingest.build.PARSER_VERSION}


FORM = "项目名称\t{name}\n主管部门\t{dept}\n项目期\t1年\n一级指标\t二级指标\t三级指标\t指标值\n产出指标\t数量指标\t培训人次\t{n}人次\n"


def write(path, **kw):
    path.write_text(FORM.format(**{"dept": "甲县教育局", "n": 500, **kw}), "utf-8")
    return path


def test_two_counties_filing_the_same_project_name_are_both_kept(tmp_path):
    db = open_db(tmp_path / "kb.db")
    build(db, [write(tmp_path / "a.txt", name="课后服务经费", dept="甲县教育局"),
               write(tmp_path / "b.txt", name="课后服务经费", dept="乙县教育局")])
    assert sorted(r[0] for r in db.execute("select dept_name from declarations")) == ["乙县教育局", "甲县教育局"]


def test_forms_without_a_department_never_overwrite_each_other(tmp_path):
    db = open_db(tmp_path / "kb.db")
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(f"项目名称\t同名项目\n项目概况\t第{i}份。\n", "utf-8")
    build(db, [tmp_path])
    assert db.execute("select count(*) from declarations").fetchone()[0] == 3


def test_same_project_with_different_content_in_two_files_is_kept_twice_and_reported(tmp_path):
    db = open_db(tmp_path / "kb.db")
    report = build(db, [write(tmp_path / "a.txt", name="课后服务经费", n=500),
                        write(tmp_path / "b.txt", name="课后服务经费", n=600)])
    assert db.execute("select count(*) from declarations").fetchone()[0] == 2
    [(decl_id, other)] = report.files[1].kept_both
    assert other.endswith("a.txt")
    reasons = [r[0] for r in db.execute("select reason from parse_warnings where declaration_id = ?", [decl_id])]
    assert any("两份均已保留" in r for r in reasons)


def test_the_same_declaration_in_two_files_is_stored_once_with_both_sources(tmp_path):
    db = open_db(tmp_path / "kb.db")
    a = write(tmp_path / "a.txt", name="课后服务经费")
    b = tmp_path / "b.txt"
    b.write_bytes(a.read_text("utf-8").replace("\n", "\r\n").encode("utf-8") + b"\r\n\r\n")  # a re-export
    report = build(db, [a, b])
    assert db.execute("select count(*) from declarations").fetchone()[0] == 1
    assert len(report.files[1].same_as) == 1
    assert db.execute("select count(*) from declaration_sources").fetchone()[0] == 2
    a.unlink()
    a.write_text("项目名称\t别的项目\n主管部门\t甲县教育局\n", "utf-8")  # a.txt now holds another project
    build(db, [a])
    names = sorted(r[0] for r in db.execute("select name from declarations"))
    assert names == ["别的项目", "课后服务经费"]  # still there, credited to b.txt
    src = db.execute("select s.path from declarations d join sources s on s.id = d.source_id"
                     " where d.name = '课后服务经费'").fetchone()[0]
    assert src.endswith("b.txt")


def test_the_same_file_under_a_second_name_records_both_paths(tmp_path):
    db = open_db(tmp_path / "kb.db")
    a = write(tmp_path / "a.txt", name="课后服务经费")
    build(db, [a])
    copy = tmp_path / "copy of a.txt"
    copy.write_bytes(a.read_bytes())
    report = build(db, [a, copy])
    assert [f.status for f in report.files] == ["unchanged", "duplicate"]
    assert db.execute("select count(*) from sources").fetchone()[0] == 1
    assert sorted(r[0].rsplit("/", 1)[1] for r in db.execute("select path from source_paths")) == ["a.txt", "copy of a.txt"]


def test_every_supported_format_in_a_folder_and_others_skipped(tmp_path):
    from .realworld import HERE

    for suffix in (".xlsx", ".docx", ".pdf", ".html"):
        (tmp_path / f"form{suffix}").write_bytes((HERE / "formats" / f"hunan_xiangtan_01{suffix}").read_bytes())
    (tmp_path / "song.mp3").write_bytes(b"ID3\x03")
    db = open_db(tmp_path / "kb.db")  # the database in the same folder is not an input either
    report = build(db, [tmp_path])
    assert sorted(f.reader for f in report.files) == ["docx", "html", "pdf/layout", "xlsx"]
    assert [p.rsplit("/", 1)[1] for p in report.skipped] == ["song.mp3"]
    assert db.execute("select count(*) from declarations").fetchone()[0] == 1


def test_an_unreadable_file_is_recorded_and_the_others_go_in(tmp_path, monkeypatch):
    import pathlib

    good = write(tmp_path / "good.txt", name="课后服务经费")
    locked = write(tmp_path / "locked.txt", name="别的项目")
    real = pathlib.Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    result = kb_build(tmp_path / "kb.db", good, locked, model="", extra=("--no-embed",))
    assert result.exit_code == 1
    assert "locked.txt: 无法读取文件（Permission denied）" in result.output
    db = open_db(tmp_path / "kb.db")
    assert [r[0] for r in db.execute("select name from declarations")] == ["课后服务经费"]
    assert [r[0].rsplit("/", 1)[1] for r in db.execute("select path from parse_failures")] == ["locked.txt"]


def test_a_model_that_fails_loses_no_declaration(tmp_path):
    result = kb_build(tmp_path / "kb.db", write(tmp_path / "a.txt", name="课后服务经费"),
                      model=str(tmp_path / "no-such-model"))
    assert result.exit_code == 1
    assert "向量模型无法加载" in result.output and "--no-embed" in result.output
    assert result.output.count("\n") < 12  # one message, no traceback
    db = open_db(tmp_path / "kb.db")
    assert db.execute("select count(*) from declarations").fetchone()[0] == 1
    assert db.execute("select count(*) from embeddings").fetchone()[0] == 0


def test_absurd_amounts_are_kept_as_text_not_numbers(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("项目名称\t巨额项目\n主管部门\t某局\n年度资金总额\t" + "9" * 400 + "\n实施期资金总额\t1" + "0" * 30 + "\n", "utf-8")
    db = open_db(tmp_path / "kb.db")
    build(db, [f])
    row = db.execute("select funds_total, funds_annual from declarations").fetchone()
    assert row == (None, None)
    reasons = [r[0] for r in db.execute("select reason from parse_warnings")]
    assert sum("金额不合理" in r for r in reasons) == 2
    printed = [r[0] for r in db.execute("select printed from funds where source = '总额'")]
    assert any(p and p.startswith("9999") for p in printed)  # the printed text is kept


def test_an_interrupted_build_resumes_where_it_stopped(tmp_path, monkeypatch):
    """Committed batches stay; running the build again stores the rest and ends as a whole build."""
    from ingest import build as build_module
    from ingest.build import build

    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(4):
        (folder / f"f{k}.txt").write_text(FORM.format(name=f"第{k}期农民培训", dept="某县农业农村局", n=100 + k),
                                         encoding="utf-8")
    real_store = build_module._store
    calls = []

    def interrupted(db, prep, fail):
        calls.append(prep.path)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the user presses Ctrl-C while the third file is stored
        return real_store(db, prep, fail)

    monkeypatch.setattr(build_module, "_store", interrupted)
    db = open_db(tmp_path / "kb.db")
    with pytest.raises(KeyboardInterrupt):
        build(db, [folder], batch_files=1)
    assert db.execute("select count(*) from declarations").fetchone()[0] == 2
    monkeypatch.setattr(build_module, "_store", real_store)
    report = build(open_db(tmp_path / "kb.db"), [folder], batch_files=1)
    assert sorted(f.status for f in report.files) == ["ingested", "ingested", "unchanged", "unchanged"]
    whole = open_db(tmp_path / "whole.db")
    build(whole, [folder])
    resumed = open_db(tmp_path / "kb.db")
    for table in ("declarations", "indicators", "indicator_library", "findings"):
        assert resumed[table].count == whole[table].count, table


def test_the_declarations_page_sort_and_facets_use_indexes(tmp_path):
    """The declarations table page sorts by 实施期资金 and facets by 项目期: both read an index,
    not every row (seconds on every uncached page at a province's size)."""
    db = open_db(tmp_path / "kb.db")
    plans = {sql: " ".join(r[3] for r in db.execute("explain query plan " + sql))
             for sql in ("select id from declarations order by funds_total desc limit 21",
                         "select period_years, count(*) from declarations where period_years is not null"
                         " group by period_years")}
    sort, facet = plans.values()
    assert "USING INDEX idx_declarations_funds_total" in sort, sort
    assert "idx_declarations_period_years" in facet, facet


def test_the_declaration_count_kept_by_triggers_follows_every_change(db_copy):
    from ingest.query.similarity import _corpus_version

    db = open_db(db_copy)
    state = lambda: dict(db.execute("select key, value from kb_state").fetchall())  # noqa: E731
    n = db.execute("select count(*) from declarations").fetchone()[0]
    before = state()
    assert before["declarations_count"] == n
    from ingest.store import delete_declaration

    for (decl_id,) in db.execute("select id from declarations limit 2").fetchall():
        delete_declaration(db, decl_id)
    assert state()["declarations_count"] == n - 2
    assert state()["declarations_version"] > before["declarations_version"]
    assert _corpus_version(db)[1:] == (n - 2, state()["declarations_version"])
