"""Every file a budget office holds, mixed in one folder with an archive and broken files: each form
readable is stored, every other file is recorded with a Chinese reason, and the build goes on."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from ingest.build import build, collect_files
from ingest.readers import read_document
from ingest.readers.archive import MAX_BYTES
from ingest.readers.doc import office
from ingest.records import ParseError
from ingest.sections import read_declarations
from ingest.store import open_db

from .realworld import HERE

FORMATS = HERE / "formats"
BAD = Path(__file__).resolve().parent / "data" / "bad"


def _zip(path: Path, members: dict[str, bytes], encrypted: tuple[str, ...] = ()) -> None:
    """An archive of ``members``; those named in ``encrypted`` carry the encrypted flag (as a
    password-protected archive's members do)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    raw = bytearray(path.read_bytes())
    for name in encrypted:
        encoded = name.encode("utf-8")
        for sig, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
            k = raw.find(sig)
            while k >= 0:
                if raw[k + name_at:k + name_at + len(encoded)] == encoded:
                    raw[k + flag_at] |= 0x1
                k = raw.find(sig, k + 1)
    path.write_bytes(bytes(raw))


def test_the_format_is_read_from_the_bytes_not_the_name():
    html = (FORMATS / "hunan_xiangtan_01.html").read_bytes()
    doc = read_document(html, "下载的附件.pdf")  # a web page saved under a .pdf name
    assert doc.reader == "html" and "内容是网页" in doc.notes[0]
    assert read_declarations(doc).declarations[0].name == "雾炮车降尘抑尘服务"
    xlsx = (FORMATS / "hunan_xiangtan_01.xlsx").read_bytes()
    doc = read_document(xlsx, "申报表.xls")  # an .xlsx given an .xls name
    assert doc.reader == "xlsx" and read_declarations(doc).declarations[0].funds_annual == 2_500_000
    xls = (FORMATS / "hunan_xiangtan_01.xls").read_bytes()
    assert read_document(xls, "申报表.txt").reader == "xls"  # a binary workbook, whatever its name


@pytest.mark.parametrize("name,reason", [
    ("encrypted.pdf", "PDF 有密码保护"),
    ("encrypted.xlsx", "文件有密码保护"),
])
def test_password_protected_files_are_named_with_the_reason(name, reason):
    with pytest.raises(ParseError) as e:
        read_document((BAD / name).read_bytes(), f"收件箱/{name}")
    assert f"收件箱/{name}" in str(e.value) and reason in str(e.value)


def test_an_archive_gives_its_members_and_refuses_what_it_must(tmp_path):
    bomb = bytes(MAX_BYTES + 1)  # 64 MB of zeros: a few tens of kB packed
    inner = tmp_path / "elsewhere" / "inner.zip"
    inner.parent.mkdir()
    _zip(inner, {"a.txt": b"x"})
    folder = tmp_path / "材料"
    folder.mkdir()
    archive = folder / "2026年部门预算材料.zip"
    _zip(archive, {
        "表格/湘潭.xlsx": (FORMATS / "hunan_xiangtan_01.xlsx").read_bytes(),
        "表格/铜梁.docx": (FORMATS / "chongqing_tongnan_01.docx").read_bytes(),
        "扫描件/说明.png.txt": "这是一份说明，没有申报表。".encode("utf-8"),
        "炸弹.xlsx": bomb,
        "嵌套/inner.zip": inner.read_bytes(),
        "../../etc/passwd.txt": b"root",
        "加密.pdf": b"%PDF-1.4",
        "music.mp3": b"ID3",
    }, encrypted=("加密.pdf",))
    refused: list[tuple[str, str]] = []
    files, skipped = collect_files([folder], refused)
    names = {str(f).split("!/", 1)[-1] for f in files}
    assert names == {"表格/湘潭.xlsx", "表格/铜梁.docx", "扫描件/说明.png.txt"}
    reasons = {p.split("!/", 1)[-1]: r for p, r in refused}
    assert "超过单个文件上限" in reasons["炸弹.xlsx"]
    assert "压缩包内的压缩包" in reasons["嵌套/inner.zip"]
    assert "不安全" in reasons["../../etc/passwd.txt"]
    assert "加密" in reasons["加密.pdf"]
    assert any(s.endswith("music.mp3") for s in skipped)


def test_a_folder_of_every_format_an_archive_and_broken_files(tmp_path):
    """Every readable form stored once per project, every other file recorded with its reason."""
    stems = ["hunan_xiangtan_01", "hubei_huangshi_01", "anhui_huaibei_01"]
    suffixes = [".xlsx", ".xls", ".et", ".docx", ".html", ".pdf", ".ofd"]
    if office() is not None:
        suffixes += [".doc", ".wps"]
    for i, stem in enumerate(stems):
        for suffix in suffixes:
            (tmp_path / f"{stem}{suffix}").write_bytes((FORMATS / f"{stem}{suffix}").read_bytes())
    _zip(tmp_path / "附件.zip", {"内层/neimenggu_wuhai_01.xlsx": (FORMATS / "neimenggu_wuhai_01.xlsx").read_bytes(),
                                  "../逃逸.txt": b"x"})
    (tmp_path / "截断.pdf").write_bytes((FORMATS / "ningxia_yuanzhou_01.pdf").read_bytes()[:900])
    (tmp_path / "空文件.docx").write_bytes(b"")
    (tmp_path / "加密.xlsx").write_bytes((BAD / "encrypted.xlsx").read_bytes())
    (tmp_path / "网页.pdf").write_bytes((FORMATS / "chongqing_tongnan_01.html").read_bytes())
    db = open_db(tmp_path / "kb.db")
    report = build(db, [tmp_path])
    by_name = {Path(f.path.split("!/")[-1]).name: f for f in report.files}
    failed = {n: f.error for n, f in by_name.items() if f.status == "failed"}
    assert set(failed) == {"截断.pdf", "空文件.docx", "加密.xlsx", "逃逸.txt"}, failed
    assert "密码保护" in failed["加密.xlsx"] and "不安全" in failed["逃逸.txt"]
    readers = {n: f.reader for n, f in by_name.items() if f.status in ("ingested", "replaced")}
    assert readers["网页.pdf"] == "html" and readers["hunan_xiangtan_01.ofd"] == "ofd"
    assert readers["hunan_xiangtan_01.xls"] == "xls" and by_name["neimenggu_wuhai_01.xlsx"].declarations == 1
    names = {r[0] for r in db.execute("select name from declarations")}
    assert len(names) == 7, names  # three forms, the one in the archive and the web page's three
    # one project read from every format is one declaration, every file recorded as its source (the
    # .et and .wps copies are the .xls and .doc bytes under WPS's names: one source, two paths)
    decl = db.execute("select id from declarations where name = '雾炮车降尘抑尘服务'").fetchall()
    assert len(decl) == 1
    paths = db.execute("select count(*) from source_paths where source_id in (select source_id from"
                       " declaration_sources where declaration_id = ?)", [decl[0][0]]).fetchone()[0]
    assert paths == len(suffixes)
    assert db["parse_failures"].count == 4


@pytest.mark.parametrize("suffix", [".xls", ".ofd", ".xlsx", ".docx", ".html"])
def test_mutated_files_of_every_format_are_read_or_refused(suffix):
    """The fuzzer's cuts on each format: read (whatever is left) or refused with a reason."""
    rng = random.Random(suffix)
    for path in sorted(FORMATS.glob(f"*{suffix}"))[:4]:
        data = path.read_bytes()
        for k in range(6):
            mutated = bytearray(data)
            if k % 3 == 0:
                mutated = mutated[: rng.randrange(len(data) // 3, len(data))]
            elif k % 3 == 1:
                for _ in range(30):
                    mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            else:
                a = rng.randrange(len(mutated))
                mutated = mutated[:a] + mutated[a + rng.randrange(1, 2000):]
            try:
                doc = read_document(bytes(mutated), path.name)
            except ParseError as e:
                assert path.name in str(e)
                continue
            try:
                read_declarations(doc)
            except ParseError as e:
                assert str(e)
