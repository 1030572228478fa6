"""Hostile files cannot hurt `kb build` or the draft page: archives are checked before they are
inflated, a grid's size before it is laid out, a draft's body while it streams (the real server
under bombs is in test_hostile.py)."""

import io
import re
import sqlite3
import zipfile

import pytest

from ingest.readers import read_document, safety
from ingest.records import ParseError

from . import bombs
from .conftest import SEEDS, kb_build


@pytest.fixture
def small_limits(monkeypatch):
    """Limits a few MB large, so the bombs that pass them are quick to make."""
    monkeypatch.setattr(safety, "MAX_PARSED", 2 << 20)
    monkeypatch.setattr(safety, "MAX_INFLATED", 8 << 20)
    monkeypatch.setattr(safety, "MAX_ENTRIES", 50)


@pytest.mark.parametrize("name,make,reason", [
    ("申报表.xlsx", lambda: bombs.xlsx_bomb(3), r"需解析的内容（表格、文字）解压后共 3\.\d MB，超过 2\.0 MB.*文件本身 \d+ KB"),
    ("申报表.docx", lambda: bombs.docx_bomb(3), r"需解析的内容（表格、文字）解压后共 3\.\d MB，超过 2\.0 MB"),
    ("申报表.zip", lambda: bombs.zip_bomb(12), r"解压后共 12\.0 MB，超过 8\.0 MB"),
])
def test_an_archive_is_refused_before_it_is_inflated(small_limits, name, make, reason):
    data = make()
    assert len(data) < 200_000  # a few hundred KB that would inflate to megabytes
    with pytest.raises(safety.TooLarge) as e:
        read_document(data, name)
    assert str(e.value).startswith(name) and re.search(reason, str(e.value)) and "压缩炸弹" in str(e.value)


def test_too_many_entries_and_a_runaway_ratio_are_refused(small_limits):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k in range(60):
            z.writestr(f"第{k}页.txt", "项目名称")
    with pytest.raises(safety.TooLarge, match="压缩包内有 60 个文件，超过 50 个"):
        safety.check_archive(buf.getvalue(), "文件.zip")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("media/image1.png", b"\0" * (3 << 20))  # a "picture": not parsed, but 3 MB of zeros
    with pytest.raises(safety.TooLarge, match="倍"):
        safety.check_archive(buf.getvalue(), "文件.docx")


def test_a_sheet_claiming_a_cell_at_xfd1048576_is_refused_before_its_cells_are_made():
    data = bombs.xlsx_sparse()
    assert len(data) < 2000
    with pytest.raises(ParseError, match="稀疏.xlsx: 工作表“Sheet1”有 1,048,576 行 × 16,384 列") as e:
        read_document(data, "稀疏.xlsx")
    assert isinstance(e.value, safety.TooLarge) or isinstance(e.value.__cause__, safety.TooLarge)


def test_ordinary_archives_pass(small_limits):
    data = bombs.xlsx(iter([b'<row><c t="inlineStr"><is><t>\xe9\xa1\xb9\xe7\x9b\xae\xe5\x90\x8d\xe7\xa7\xb0</t></is>'
                            b'</c><c t="inlineStr"><is><t>x</t></is></c></row>']))
    safety.check_archive(data, "申报表.xlsx")
    assert "项目名称" in read_document(data, "申报表.xlsx").text
    safety.check_archive(b"not a zip at all", "a.txt")  # not an archive: the reader says what it is


def test_kb_build_records_a_hostile_file_and_goes_on(tmp_path, small_limits):
    folder = tmp_path / "收集的申报表"
    folder.mkdir()
    (folder / "炸弹.xlsx").write_bytes(bombs.xlsx_bomb(3))
    (folder / "稀疏.xlsx").write_bytes(bombs.xlsx_sparse())
    (folder / "炸弹.docx").write_bytes(bombs.docx_bomb(3))
    (folder / SEEDS[0].name).write_bytes(SEEDS[0].read_bytes())
    result = kb_build(tmp_path / "kb.db", folder)
    assert result.exit_code == 1, result.output
    db = sqlite3.connect(tmp_path / "kb.db")
    failures = dict(db.execute("select path, reason from parse_failures").fetchall())
    assert {p.rsplit("/", 1)[-1] for p in failures} == {"炸弹.xlsx", "稀疏.xlsx", "炸弹.docx"}
    assert all("上限" in r for r in failures.values()), failures
    assert db.execute("select count(*) from declarations").fetchone()[0] > 0  # the seed went in


def test_draft_fields_from_a_form_multipart_or_json():
    from ingest.web.errors import UploadRefused
    from ingest.web.uploads import form_fields

    assert form_fields("text=%E5%8F%96%E6%9A%96".encode(), "application/x-www-form-urlencoded") == ("取暖", None, None)
    assert form_fields('{"text": "冬季取暖补贴"}'.encode(), "application/json") == ("冬季取暖补贴", None, None)
    body = (b"--b\r\ncontent-disposition: form-data; name=\"text\"\r\n\r\n\xe5\x8f\x96\xe6\x9a\x96\r\n"
            b"--b\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nabc\r\n--b--\r\n")
    assert form_fields(body, "multipart/form-data; boundary=b") == ("取暖", b"abc", "a.txt")
    with pytest.raises(UploadRefused, match="未知的字段：txt；可用的字段：text"):
        form_fields(b'{"txt": "x"}', "application/json")
    with pytest.raises(UploadRefused, match="不是有效的 JSON"):
        form_fields(b"{text", "application/json")


@pytest.mark.asyncio
async def test_a_draft_past_the_limit_is_refused_with_a_chinese_message(ds):
    r = await ds.client.post("/kb/-/draft", files={"file": ("大.txt", b"x" * (11 << 20))})
    assert r.status_code == 413 and "文件太大" in r.text and "最多 10 MB" in r.text
    assert 'id="draft-form"' in r.text  # the page, with its form to try again
    r = await ds.client.post("/kb/-/draft.json", files={"file": ("炸弹.xlsx", bombs.xlsx_sparse())})
    assert r.status_code == 413 and r.json()["ok"] is False and "1,048,576 行" in r.json()["error"]
    r = await ds.client.post("/kb/-/draft.json", json={"text": "冬季清洁取暖补贴\n对农村居民冬季清洁取暖给予补贴"})
    assert r.status_code == 200 and r.json()["ok"] and r.json()["similar"]


def test_a_lying_archive_never_inflates_past_what_it_declares():
    """A directory can declare a small size for a large entry: Python's zipfile, which the readers
    use, stops at the declared size (and then fails its CRC), so the declared sizes bound the work."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 1_000_000)
    data = bytearray(buf.getvalue())
    central = data.rindex(b"PK\x01\x02")
    data[central + 24:central + 28] = (100).to_bytes(4, "little")  # uncompressed size: 100 bytes
    local = data.index(b"PK\x03\x04")
    data[local + 22:local + 26] = (100).to_bytes(4, "little")
    safety.check_archive(bytes(data), "说谎.xlsx")
    got = 0
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z, z.open("xl/worksheets/sheet1.xml") as f:
        with pytest.raises(zipfile.BadZipFile, match="CRC"):
            while chunk := f.read(10):
                got += len(chunk)
    assert got <= 100
    with pytest.raises(ParseError):
        read_document(bytes(data), "说谎.xlsx")
