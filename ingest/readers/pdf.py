"""PDF attachments: the tables pdfplumber finds on each page, and the page's other text as lines;
a page with no ruled table is read as text (its lines split into cells by the text reader).
"""

from __future__ import annotations

import io

from .grid import Document, render
from .text import read_lines


def read_pdf(data: bytes) -> Document:
    import logging

    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font warnings on every page of a Chinese PDF
    grid: list[list[str]] = []
    reader = "pdf/tables"
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            tables = page.find_tables()
            if not tables:
                text = page.extract_text() or ""
                grid.extend([c for _, c in r.cells] for r in read_lines(text).rows)
                reader = "pdf/text"
                continue
            boxes = [t.bbox for t in tables]

            def outside(obj, boxes=boxes):
                x = (obj["x0"] + obj["x1"]) / 2
                y = (obj["top"] + obj["bottom"]) / 2
                return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

            # text outside the tables, line by line, placed by its height on the page
            items: list[tuple[float, list[str]]] = []
            for line in (page.filter(outside).extract_text_lines() or []):
                if line["text"].strip():
                    items.append((line["top"], [line["text"].strip()]))
            for table in tables:
                top = table.bbox[1]
                for i, row in enumerate(table.extract()):
                    cells = [" ".join((c or "").split()) for c in row]
                    items.append((top + i * 0.001, cells))
            items.sort(key=lambda it: it[0])
            grid.extend(cells for _, cells in items)
    # a cell merged over rows is empty below its first row: the interpreter carries categories down
    rows, lines = render(grid)
    return Document(rows, "\n".join(lines), reader)
