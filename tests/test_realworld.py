"""Real forms from county and city disclosure pages (tests/data/realworld/), read against hand-read
expectations: the accuracy of the readers and the interpreter, per corpus and per file format."""

from collections import Counter

import pytest

from ingest.build import build
from ingest.store import open_db

from .realworld import HERE, cases, evaluate, table

FORMATS = (".xlsx", ".docx", ".html", ".pdf", ".xls", ".et", ".doc", ".wps", ".ofd")


def test_the_corpus_is_real_and_varied():
    expectations = [e for _, e in cases()]
    forms = sum(len(e["forms"]) for e in expectations)
    provinces = Counter(e["province"] for e in expectations)
    layouts = Counter(e["layout"] for e in expectations)
    assert forms >= 25 and len(provinces) >= 8 and len(layouts) >= 5, (forms, provinces, layouts)
    for e in expectations:
        assert e["source_url"].startswith("http"), e  # every page keeps its source address


def test_real_forms_are_read():
    total, provinces, layouts, _ = evaluate(".txt")
    print("\n" + table({"all": total}) + "\n\n" + table(provinces) + "\n\n" + table(layouts))
    assert total.names.rate >= 0.95, total.names.misses
    assert total.funds.rate >= 0.90, total.funds.misses
    assert total.indicators.rate >= 0.90, total.indicators.misses
    assert total.categories.rate >= 0.90, total.categories.misses
    assert total.periods.rate >= 0.90, total.periods.misses
    assert total.forms.rate == 1.0, total.forms.misses  # no form lost, no empty declaration made


@pytest.mark.parametrize("suffix", FORMATS)
def test_files_of_every_format_read_like_their_text(suffix):
    """The same forms as spreadsheets (merged cells), Word tables, HTML pages, PDF attachments, Excel
    97-2003 and WPS 表格 workbooks, Word 97-2003 and WPS 文字 documents and OFD files."""
    from ingest.readers.doc import office

    if suffix in (".doc", ".wps") and office() is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui): .doc/.wps not read")
    total, _, _, files = evaluate(suffix)
    assert len(files) >= 10
    print(f"\n{suffix}: " + table({"all": total}).splitlines()[-1])
    for score in (total.names, total.funds, total.indicators, total.categories):
        assert score.rate >= 0.95, score.misses
    assert total.forms.rate == 1.0, total.forms.misses


def test_the_whole_corpus_builds_into_one_database_keeping_every_form(tmp_path):
    """Forms whose header could not be read, or that share a project name, must not overwrite each other."""
    db = open_db(tmp_path / "kb.db")
    pages = sorted(HERE.glob("*.txt"))
    report = build(db, pages)
    assert not report.failed, [f.error for f in report.failed]
    expected = sum(len(e["forms"]) for _, e in cases())
    stored = db.execute("select count(*) from declarations").fetchone()[0]
    assert stored == report.declarations == expected, (stored, report.declarations, expected)
    assert db.execute("select count(*) from sources").fetchone()[0] == len(pages)


def test_a_copy_in_another_format_is_the_same_project(tmp_path):
    """The xlsx and the docx copy of a form say the same: one declaration, two sources."""
    db = open_db(tmp_path / "kb.db")
    stem = "hunan_xiangtan_01"
    report = build(db, [HERE / "formats" / f"{stem}.xlsx", HERE / "formats" / f"{stem}.docx"])
    assert db.execute("select count(*) from declarations").fetchone()[0] == 1
    assert [len(f.same_as) for f in report.files] == [0, 1]
    assert db.execute("select count(*) from declaration_sources").fetchone()[0] == 2


def test_pdf_copies_printed_without_rules_read_like_their_text():
    """The PDF copies read as if printed without a single ruling line (a form printed from a
    spreadsheet without borders): columns from the gutters, rows from the text, merged labels
    spread over the rows they are centred on."""
    from .realworld import without_rules

    with without_rules():
        total, _, _, files = evaluate(".pdf")
    assert len(files) >= 10
    print("\n.pdf without rules: " + table({"all": total}).splitlines()[-1])
    assert total.names.rate >= 0.9, total.names.misses
    assert total.indicators.rate >= 0.95, total.indicators.misses
    assert total.categories.rate >= 0.9, total.categories.misses
    assert total.forms.rate == 1.0, total.forms.misses
