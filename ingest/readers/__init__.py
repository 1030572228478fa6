"""Readers: every supported file becomes a :class:`~.grid.Document` (rows of cells plus its text).

One module per format; :func:`read_document` picks one by what the bytes are (``formats.sniff``),
the name deciding only between kinds of text: a web page saved as ``.pdf`` is read as a web page,
an ``.xls`` that is really an ``.xlsx`` as an ``.xlsx``, and the document's notes say so. Heavy
libraries (openpyxl, python-docx, pdfium, calamine, OCR, LibreOffice) load only when a file of
their format is read. Archives (.zip) are opened by ``archive.py`` for ``kb build``, member by member.
"""

from __future__ import annotations

from pathlib import Path

from ..records import ParseError
from .formats import NAMES_ZH, SUFFIXES as FORMAT_SUFFIXES, sniff, suffix_format
from .grid import Document, Row
from .safety import check_archive
from .text import MAX_BYTES, decode, read_lines

TEXT_SUFFIXES = FORMAT_SUFFIXES["text"]
SUFFIXES = tuple(s for sufs in FORMAT_SUFFIXES.values() for s in sufs)


def supported(path: str | Path) -> bool:
    return Path(path).suffix.lower() in SUFFIXES


def read_document(data: bytes, path: str = "<input>") -> Document:
    """The rows of cells of one file, read by what its bytes are.

    :raises ParseError: the file is empty, too large, encrypted, an archive, or cannot be opened;
        the message names the file.
    """
    suffix = Path(path).suffix.lower()
    named = suffix_format(suffix)
    if len(data) > MAX_BYTES:
        raise ParseError(f"{path}: {len(data):,} 字节，超过单个文件上限 {MAX_BYTES:,} 字节，请拆分后导入")
    check_archive(data, path)  # any zip, whatever its name: inflated size and entries, before inflating
    fmt = sniff(data)
    if fmt is None or (fmt == "html" and named == "text"):
        fmt = "html" if named == "html" else "text"
    if fmt == "zip" and named in ("xlsx", "docx", "ofd"):
        fmt = named  # a damaged package: its reader says what is wrong with it
    if fmt == "encrypted":
        raise ParseError(f"{path}: 文件有密码保护（已加密），无法读取：请在 Office 或 WPS 中另存为不加密的文件再导入")
    if fmt == "ole":
        raise ParseError(f"{path}: 是 Office 复合文档，但既不是 Word 也不是 Excel 文件，无法读取")
    if fmt == "zip":
        raise ParseError(f"{path}: 是压缩包：请用 kb build 导入压缩包，其中的文件会逐个读取")
    doc = _read(fmt, data, path, suffix)
    if named is not None and named != fmt:
        doc.notes.insert(0, f"文件名是 {suffix}，内容是{NAMES_ZH[fmt]}：已按{NAMES_ZH[fmt]}读取")
    return doc


def _read(fmt: str, data: bytes, path: str, suffix: str) -> Document:
    if fmt in ("html", "text"):
        text = decode(data, path)
        if fmt == "html":
            from .html import read_html

            return read_html(text)
        return read_lines(text, csv_dialect=suffix == ".csv")
    try:
        if fmt == "xlsx":
            from .xlsx import read_xlsx

            return read_xlsx(data)
        if fmt == "docx":
            from .docx import read_docx

            return read_docx(data)
        if fmt == "xls":
            from .xls import read_xls

            return read_xls(data)
        if fmt == "doc":
            from .doc import read_doc

            return read_doc(data, suffix if suffix_format(suffix) == "doc" else ".doc")
        if fmt == "ofd":
            from .ofd import read_ofd

            return read_ofd(data)
        if fmt == "image":
            from .ocr import read_image

            return read_image(data)
        from .pdf import read_pdf

        return read_pdf(data)
    except ParseError as e:
        raise ParseError(str(e) if str(e).startswith(path) else f"{path}: {e}", e.line) from e
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as e:  # noqa: BLE001 - a corrupt file (a Rust reader's panic included): name it, say why
        raise ParseError(f"{path}: 无法打开{NAMES_ZH[fmt]}文件（{type(e).__name__}: {str(e)[:200]}）") from e


__all__ = ["Document", "Row", "ParseError", "SUFFIXES", "decode", "read_document", "read_lines", "supported"]
