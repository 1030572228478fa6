"""Readers: every supported file becomes a :class:`~.grid.Document` (rows of cells plus its text).

One module per format; :func:`read_document` picks one by the file's suffix (and checks the bytes
look like that format). Heavy libraries (openpyxl, python-docx, pdfplumber) load only when a file
of their format is read.
"""

from __future__ import annotations

from pathlib import Path

from ..records import ParseError
from .grid import Document, Row
from .safety import check_archive
from .text import MAX_BYTES, decode, read_lines

TEXT_SUFFIXES = (".txt", ".md", ".tsv", ".csv", ".text")
SUFFIXES = TEXT_SUFFIXES + (".xlsx", ".xlsm", ".docx", ".pdf", ".html", ".htm")
_MAGIC = {".xlsx": b"PK", ".xlsm": b"PK", ".docx": b"PK", ".pdf": b"%PDF"}


def supported(path: str | Path) -> bool:
    return Path(path).suffix.lower() in SUFFIXES


def read_document(data: bytes, path: str = "<input>") -> Document:
    """The rows of cells of one file, by its suffix (text for anything else).

    :raises ParseError: the file is empty, too large, of another format than its name says, or
        cannot be opened; the message names the file.
    """
    suffix = Path(path).suffix.lower()
    check_archive(data, path)  # any zip, whatever its name: inflated size and entries, before inflating
    if suffix in _MAGIC:
        if len(data) > MAX_BYTES:
            raise ParseError(f"{path}: {len(data):,} bytes is more than the {MAX_BYTES:,} a file may have; split it")
        if not data.startswith(_MAGIC[suffix]):
            raise ParseError(f"{path}: 文件内容不是 {suffix} 格式（扩展名与内容不符）")
        try:
            if suffix in (".xlsx", ".xlsm"):
                from .xlsx import read_xlsx

                return read_xlsx(data)
            if suffix == ".docx":
                from .docx import read_docx

                return read_docx(data)
            from .pdf import read_pdf

            return read_pdf(data)
        except ParseError:
            raise
        except Exception as e:  # noqa: BLE001 - a corrupt file: name it and say why
            raise ParseError(f"{path}: 无法打开 {suffix} 文件（{type(e).__name__}: {str(e)[:200]}）") from e
    text = decode(data, path)
    if suffix in (".html", ".htm"):
        from .html import read_html

        return read_html(text)
    return read_lines(text, csv_dialect=suffix == ".csv")


__all__ = ["Document", "Row", "ParseError", "SUFFIXES", "decode", "read_document", "read_lines", "supported"]
