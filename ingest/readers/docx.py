"""Word documents (.docx): paragraphs as lines, tables as rows of cells, in document order.

A cell merged over several columns is one cell; a cell merged over several rows keeps its text in
each row it covers.
"""

from __future__ import annotations

import io

from .grid import Document, render


def read_docx(data: bytes) -> Document:
    from docx import Document as Docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc = Docx(io.BytesIO(data))
    grid: list[list[str]] = []
    table_of: list[int] = []  # per row: its table's number (0 for a paragraph)
    tables = 0
    body = doc.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = Paragraph(child, doc).text.strip()
            if text:
                grid.append([text])
                table_of.append(0)
        elif tag == "tbl":
            tables += 1
            for row in Table(child, doc).rows:
                cells, seen = [], None
                for cell in row.cells:
                    # the same cell again: merged over columns (an empty cell keeps the columns aligned)
                    cells.append("" if cell._tc is seen else cell.text.strip())
                    seen = cell._tc
                grid.append(cells)
                table_of.append(tables)
    rows, lines = render(grid)
    for row, table in zip(rows, table_of):
        row.table = table
    return Document(rows, "\n".join(lines), "docx")
