"""Text files (.txt .md .tsv .csv): decode, then find the cells of each line.

Real copies of these forms come in several dialects, often mixed in one file:
- tabs: an export from a spreadsheet or a PDF's text layer (``项目名称\t清洁取暖``);
- pipes: markdown rows (``| 项目名称 | 主体班 | 项目负责人 | |``);
- one cell per line ending in ``|`` (an HTML table flattened), rows ended by a line of pipes;
- spaces: cells separated by runs of spaces (``主管部门 县财政局 实施单位 …``);
- lines: one cell per line, often with blank lines between (row boundaries lost);
- run together: no separator at all (the interpreter splits those at known labels).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

from ..records import ParseError
from ..text import fix_radicals
from .grid import Document, Row

MAX_BYTES = 64 * 1024 * 1024  # a bulk export of a whole province is a few MB

_PURE_PIPES = re.compile(r"^[|\s]+$")
_SEPARATOR = re.compile(r"^[\s|:\-—_=+]+$")
# whitespace that separates cells: not inside a number printed with spaces (``67, 560, 000``)
# and not between two Latin words or numbers
_SPACES = re.compile(r"(?<![,，])[ \u3000\u00a0]+")


def decode(data: bytes, path: str = "<input>") -> str:
    """Decode input bytes as UTF-8 (BOM allowed) or, failing that, GB18030 when the bytes read as Chinese.

    Anything else is an error naming the file and line. A file cut off inside its last character
    keeps everything before the cut, marked with U+FFFD.
    """
    if len(data) > MAX_BYTES:
        raise ParseError(f"{path}: {len(data):,} bytes is more than the {MAX_BYTES:,} a declarations file may have;"
                         " split it")
    if not data.strip():
        raise ParseError(f"{path}: file is empty")
    if b"\x00" in data[:8192]:
        raise ParseError(f"{path}: looks like a binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.end == len(data) and e.reason == "unexpected end of data":
            # a file cut off inside its last character (an interrupted copy): keep the rest, mark the cut
            return data[: e.start].decode("utf-8-sig") + "\ufffd"
        chinese = _as_gb18030(data)
        if chinese is not None:
            return chinese  # saved by Excel or Notepad on Chinese Windows
        line = data[: e.start].count(b"\n") + 1
        raise ParseError(f"{path}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start});"
                         " 文件不是 UTF-8 或 GBK 编码，请另存为 UTF-8", line) from e


def _as_gb18030(data: bytes) -> str | None:
    """The text, if the bytes read as Chinese in GBK/GB18030 (most of what is not ASCII is Han)."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    wide = [ch for ch in text if ord(ch) > 127]
    han = sum(1 for ch in wide if "\u3400" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" or "\u3000" <= ch <= "\u303f")
    return text if wide and han / len(wide) >= 0.9 else None


def split_spaces(line: str) -> list[str]:
    """Cells of a line whose only separators are spaces."""
    parts = [p for p in _SPACES.split(line.strip()) if p]
    out: list[str] = []
    for p in parts:
        # two Latin words or numbers separated by a space belong together (``SO 2``, ``1 000``)
        if out and out[-1][-1:].isascii() and out[-1][-1:].isalnum() and p[:1].isascii() and p[:1].isalnum() \
                and not (out[-1][-1:].isdigit() and p[:1].isdigit()):
            out[-1] += " " + p
        else:
            out.append(p)
    return out


def read_lines(text: str, csv_dialect: bool = False) -> Document:
    """Rows of cells from text, the dialect found line by line."""
    text = fix_radicals(text.replace("\r\n", "\n").replace("\r", "\n"))
    if csv_dialect:
        return _read_csv(text)
    rows: list[Row] = []
    seen: Counter = Counter()
    pending: Row | None = None  # a row of one-cell-per-line pipe cells
    pending_lines: list[int] = []  # the line of each of its cells
    partial: list[str] = []  # lines of a pipe cell not yet ended by its ``|``
    partial_line: list[int] = []

    def flush():
        nonlocal pending, partial
        if partial and pending is not None:
            pending.cells.append((len(pending.cells), " ".join(partial)))
            pending_lines.append(partial_line[0] if partial_line else pending.no)
        partial = []
        partial_line.clear()
        if pending is not None and pending.cells:
            # a lone ``|`` may end a row or be an empty cell: the row boundaries are not to be
            # trusted, so the cells are a stream, one per line, like text printed one cell per line
            rows.extend(Row(no, [(0, text)], exact=False) for no, (_, text) in zip(pending_lines, pending.cells))
        pending = None
        pending_lines.clear()

    for no, raw in enumerate(text.split("\n"), start=1):
        raw = raw.replace("\u00a0", " ").replace("\ufeff", "")
        s = raw.strip()
        if not s:
            continue
        if _PURE_PIPES.match(s):
            flush()
            seen["pipe cells"] += 1
            continue
        if "\t" in raw:
            flush()
            if _SEPARATOR.match(s):
                continue
            seen["tabs"] += 1
            rows.append(Row(no, [(i, p.strip()) for i, p in enumerate(raw.split("\t")) if p.strip()]))
            continue
        if "|" in s:
            body = s[:-1].rstrip() if s.endswith("|") else s
            if "|" not in body and not s.startswith("|"):
                # ``项目名称 |``: one cell of a row flattened one cell per line
                if pending is None:
                    pending = Row(no, [], exact=True)
                pending.cells.append((len(pending.cells), " ".join([*partial, body]).strip()))
                pending_lines.append(partial_line[0] if partial_line else no)
                partial = []
                partial_line.clear()
                seen["pipe cells"] += 1
                continue
            flush()
            if _SEPARATOR.match(s):
                continue  # markdown ``|---|---|``
            seen["pipes"] += 1
            parts = s.strip("|").split("|")
            rows.append(Row(no, [(i, p.strip()) for i, p in enumerate(parts) if p.strip()]))
            continue
        if pending is not None:
            partial.append(s)  # a cell printed over several lines, ended by a later ``… |``
            partial_line.append(no)
            continue
        if _SEPARATOR.match(s):
            continue
        cells = split_spaces(s)
        seen["spaces" if len(cells) > 1 else "lines"] += 1
        rows.append(Row(no, [(i, c) for i, c in enumerate(cells)], exact=False))
    flush()
    return Document(rows, text, "text/" + _dialect_name(seen))


def _dialect_name(seen: Counter) -> str:
    total = sum(seen.values()) or 1
    names = [name for name, n in seen.most_common() if n / total >= 0.15] or ["lines"]
    return "+".join(name.replace(" ", "-") for name in names[:3])


def _read_csv(text: str) -> Document:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = []
    reader = csv.reader(io.StringIO(text), dialect)
    for cells in reader:
        no = reader.line_num
        kept = [(i, c.strip()) for i, c in enumerate(cells) if c.strip()]
        if kept:
            rows.append(Row(no, kept))
    return Document(rows, text, "csv")
