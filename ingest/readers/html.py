"""HTML pages (budget disclosures): tables with rowspan and colspan, and the text around them.

A cell spanning several columns is one cell; a cell spanning several rows keeps its text in each row
it covers. Text outside tables (titles, notes) becomes lines of one cell.
"""

from __future__ import annotations

from html.parser import HTMLParser

from .grid import Document, render

_BLOCKS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "title", "section", "article", "tr"}
_SKIP = {"script", "style", "head", "noscript"}


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[list[str]] = []  # rows, in document order
        self.table_of: list[int] = []  # per row of out: its table's number (0: text outside tables)
        self.tables = 0
        self.text: list[str] = []  # text outside tables since the last block
        self.stack: list[dict] = []  # open tables
        self.skip = 0

    # text outside tables
    def _flush_text(self):
        line = " ".join("".join(self.text).split())
        if line:
            self.out.append([line])
            self.table_of.append(0)
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip += 1
            return
        if tag == "table":
            self._flush_text()
            self.stack.append({"rows": [], "row": None, "cell": None, "spans": {}})
            return
        if not self.stack:
            if tag in _BLOCKS:
                self._flush_text()
            return
        t = self.stack[-1]
        a = dict(attrs)
        if tag == "tr":
            t["row"] = []
        elif tag in ("td", "th"):
            t["cell"] = {"text": [], "rowspan": _int(a.get("rowspan")), "colspan": _int(a.get("colspan"))}
        elif tag == "br" and t["cell"] is not None:
            t["cell"]["text"].append(" ")

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if not self.stack:
            if tag in _BLOCKS:
                self._flush_text()
            return
        t = self.stack[-1]
        if tag in ("td", "th") and t["cell"] is not None:
            if t["row"] is None:
                t["row"] = []
            t["row"].append(t["cell"])
            t["cell"] = None
        elif tag == "tr" and t["row"] is not None:
            t["rows"].append(t["row"])
            t["row"] = None
        elif tag == "table":
            self.stack.pop()
            rows = _layout(t["rows"])
            if self.stack and self.stack[-1]["cell"] is not None:  # a table inside a cell: its text
                self.stack[-1]["cell"]["text"].append(" ".join(" ".join(r) for r in rows))
            else:
                self.tables += 1
                self.out.extend(rows)
                self.table_of.extend([self.tables] * len(rows))

    def handle_data(self, data):
        if self.skip:
            return
        if self.stack:
            cell = self.stack[-1]["cell"]
            if cell is not None:
                cell["text"].append(data)
        else:
            self.text.append(data)

    def close(self):
        super().close()
        self._flush_text()


def _int(v) -> int:
    try:
        return max(1, min(100, int(v)))
    except (TypeError, ValueError):
        return 1


def _layout(rows: list[list[dict]]) -> list[list[str]]:
    """Rows of cell texts, with rowspans carried down into the rows they cover."""
    out: list[list[str]] = []
    carried: dict[int, tuple[str, int]] = {}  # column → (text, rows still covered)
    for row in rows:
        cells: list[str] = []
        col = 0
        queue = list(row)
        while queue or any(c >= col for c in carried):
            if col in carried:
                text, left = carried[col]
                cells.append(text)
                if left <= 1:
                    del carried[col]
                else:
                    carried[col] = (text, left - 1)
                col += 1
                continue
            if not queue:
                break
            cell = queue.pop(0)
            text = " ".join("".join(cell["text"]).split())
            cells.append(text)
            if cell["rowspan"] > 1:
                carried[col] = (text, cell["rowspan"] - 1)
            col += 1
            for _ in range(cell["colspan"] - 1):  # the spanned columns hold nothing more
                if col in carried:
                    break
                col += 1
        out.append(cells)
    return out


def read_html(text: str) -> Document:
    parser = _Tables()
    parser.feed(text)
    parser.close()
    rows, lines = render(parser.out)
    for row, table in zip(rows, parser.table_of):
        row.table = table
    return Document(rows, "\n".join(lines), "html")
