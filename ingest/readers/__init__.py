"""Readers: every supported file becomes a :class:`~.grid.Document` (rows of cells plus its text).

One module per format; :func:`read_document` picks one by the file's suffix.
"""

from __future__ import annotations

from pathlib import Path

from ..records import ParseError
from .grid import Document, Row
from .text import decode, read_lines

TEXT_SUFFIXES = (".txt", ".md", ".tsv", ".csv", ".text")
SUFFIXES = TEXT_SUFFIXES


def supported(path: str | Path) -> bool:
    return Path(path).suffix.lower() in SUFFIXES


def read_document(data: bytes, path: str = "<input>") -> Document:
    """The rows of cells of one file, by its suffix (text for anything unknown)."""
    suffix = Path(path).suffix.lower()
    return read_lines(decode(data, path), csv_dialect=suffix == ".csv")


__all__ = ["Document", "Row", "ParseError", "SUFFIXES", "decode", "read_document", "read_lines", "supported"]
