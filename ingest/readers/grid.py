"""What every reader returns: rows of cells, whatever the file format."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property


@dataclass
class Row:
    """One table row (or one line of text). ``no`` is the line of the document's text where the row
    is printed (1-based), so every warning can name a line; ``cells`` holds (column, text) for the
    non-empty cells; ``exact`` says whether the row's cells are real table cells (False for a line
    of text whose cells are a guess, such as one cell per line)."""
    no: int
    cells: list[tuple[int, str]]
    exact: bool = True
    original: "Row | None" = None  # the row as read, when the interpreter split cells run together
    grid: bool = False  # the column numbers are the table's own (a spreadsheet, HTML, Word or PDF table)
    page: int = 0  # the page it is printed on (1-based; 0 where a format has no pages)
    table: int = 0  # which table of the document it belongs to (1-based; 0 for a line of text)
    confidence: float | None = None  # read by OCR: how sure the reading is (0–1); None for text read as such

    @cached_property
    def texts(self) -> list[str]:
        """The cells' texts (read once the row is complete: the list is kept)."""
        return [t for _, t in self.cells]

    @property
    def text(self) -> str:
        return " ".join(self.texts)


@dataclass
class Document:
    """A file as rows of cells, with its whole text (stored as the source, so nothing is lost)."""
    rows: list[Row]
    text: str
    reader: str  # format and dialect, e.g. "text/tabs", "text/pipes", "xlsx", "docx", "pdf/tables", "html"
    notes: list[str] = field(default_factory=list)  # what the reader had to guess or skip


def render(table_rows: list[list[str]], start_line: int = 1) -> tuple[list[Row], list[str]]:
    """Rows of cells from a binary format, numbered by the lines of their tab-separated rendering."""
    from ..text import fix_radicals

    rows, lines = [], []
    for i, cells in enumerate(table_rows):
        texts = [fix_radicals(" ".join((c or "").split())) for c in cells]
        lines.append("\t".join(texts).rstrip("\t"))
        rows.append(Row(start_line + i, [(j, t) for j, t in enumerate(texts) if t], grid=True))
    return rows, lines
