"""Storage: idempotent re-ingest, replacement of changed files, atomic failure, bad input."""

import hashlib

import pytest
from click.testing import CliRunner

from sqlite_utils import Database

from ingest.cli import cli
from ingest.db import ingest_file, open_db

from .conftest import SEEDS

TABLES = ("sources", "declarations", "funds", "indicators", "policies", "declaration_policies", "parse_warnings",
          "declarations_fts", "indicators_fts", "policies_fts", "embeddings")


def snapshot(db):
    out = {}
    for t in TABLES:
        rows = db.execute(f"select * from [{t}] order by 1, 2").fetchall()
        out[t] = (len(rows), hashlib.sha256(repr([r for r in rows if t != "sources" or True]).encode()).hexdigest())
    return out


def test_reingest_is_a_no_op(db_copy):
    db = open_db(db_copy)
    before = snapshot(db)
    result = CliRunner().invoke(cli, ["build", str(db_copy), str(SEEDS[0].parent), "--silent"])
    assert result.exit_code == 0, result.output
    assert "2 unchanged" in result.output
    assert snapshot(open_db(db_copy)) == before


def test_source_text_kept_whole(db_copy):
    db = open_db(db_copy)
    for seed in SEEDS:
        row = next(db.query("select text from sources where path like ?", ["%" + seed.name]))
        assert row["text"] == seed.read_text("utf-8")


def test_changed_file_replaces_its_declarations(tmp_path):
    db = open_db(tmp_path / "kb.db")
    f = tmp_path / "a.txt"
    f.write_text("项目名称\t甲项目\n项目概况\t根据《某某办法》(某发〔2021〕3号)实施。\n绩效指标\t产出指标\t数量指标\t甲指标\t5家\n", "utf-8")
    ingest_file(db, f)
    assert db["indicators"].count == 1 and db["policies"].count == 1
    f.write_text("项目名称\t乙项目\n项目概况\t无引用。\n", "utf-8")
    res = ingest_file(db, f)
    assert res.status == "replaced"
    assert [r["name"] for r in db.query("select name from declarations")] == ["乙项目"]
    assert db["indicators"].count == 0 and db["policies"].count == 0 and db["declaration_policies"].count == 0
    assert db.execute("select count(*) from indicators_fts").fetchone()[0] == 0
    assert db["sources"].count == 1


def test_failure_mid_file_leaves_database_as_it_was(db_copy):
    db = open_db(db_copy)
    before = snapshot(db)
    changed = SEEDS[0].read_bytes() + "\n项目名称\t新增项目\n".encode()
    with pytest.raises(RuntimeError, match="injected"):
        ingest_file(db, SEEDS[0], data=changed, fail_after_declarations=3)
    assert snapshot(db) == before


def test_bad_files_reported_others_ingested(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("项目名称\t好项目\n项目概况\t正常。\n", "utf-8")
    (tmp_path / "gbk.txt").write_bytes("项目名称\t坏项目\n".encode("gbk"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\xff\x00\xfe")
    (tmp_path / "minutes.txt").write_text("会议纪要，没有申报表。\n", "utf-8")
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "kb.db"), str(tmp_path), "--silent", "--no-embed"])
    assert result.exit_code == 0, result.output
    for name in ("gbk.txt", "empty.txt", "binary.txt", "minutes.txt"):
        assert name in result.output
    db = open_db(tmp_path / "kb.db")
    assert [r["name"] for r in db.query("select name from declarations")] == ["好项目"]
    assert db["parse_failures"].count == 4


def test_all_bad_exits_non_zero(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "kb.db"), str(tmp_path / "empty.txt"), "--no-embed"])
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
    from ingest.embeddings import load_index

    db = Database(db_copy)
    model = db.execute("select model from embeddings limit 1").fetchone()[0]
    first = load_index(db, model, "declaration")
    assert load_index(db, model, "declaration") is first  # unchanged: served from memory
    gone = first.ids[0]
    db.execute("delete from embeddings where item_id = ? and model = ?", [gone, model])
    db.conn.commit()
    second = load_index(db, model, "declaration")
    assert second is not first and gone not in second.ids and len(second.ids) == len(first.ids) - 1


def test_replacing_a_file_leaves_no_orphans(db_copy):
    """A re-exported file with one project dropped: its rows, links, search rows and vectors all go."""
    from ingest.library import refresh_derived

    db = open_db(db_copy)
    path = next(db.query("select path from sources where path like ?", ["%" + SEEDS[0].name]))["path"]
    text = SEEDS[0].read_text("utf-8")
    dropped = "2023冬季清洁取暖专项经费"
    start = text.rindex("\n", 0, text.index(dropped)) + 1  # its 项目名称 line
    end = text.index("项目名称", start + 10)  # the next form
    decl_id = db.execute("select id from declarations where name = ?", [dropped]).fetchone()[0]
    assert db.execute("select count(*) from embeddings where declaration_id = ?", [decl_id]).fetchone()[0] > 0
    with db.atomic():
        result = ingest_file(db, path, data=(text[:start] + text[end:]).encode("utf-8"))
        refresh_derived(db)
    assert result.status == "replaced" and result.declarations == 7
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    assert one("select count(*) from declarations") == 15
    assert one(f"select count(*) from declarations where name = '{dropped}'") == 0
    for table in ("indicators", "funds", "declaration_policies", "parse_warnings", "embeddings"):
        assert one(f"select count(*) from {table} where declaration_id is not null"
                   f" and declaration_id not in (select id from declarations)") == 0, table
    assert one(f"select count(*) from embeddings where item_id like '{decl_id}%'") == 0
    assert one("select count(*) from declarations_fts") == 15
    assert one("select count(*) from indicators_fts") == one("select count(*) from indicators")
    assert one("select count(*) from policies where id not in (select policy_id from declaration_policies)") == 0
    assert one("select sum(uses) from indicator_library") == one(
        "select count(*) from indicators where name_norm != ''")
    assert one("select count(*) from sources") == 2
