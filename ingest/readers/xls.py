"""Excel 97–2003 workbooks (.xls) and WPS 表格 files (.et), read without an office suite (calamine).

Merged cells are read like ``.xlsx``: a cell merged over several columns once (in its first column),
a cell merged over several rows in every row it covers.
"""

from __future__ import annotations

import datetime
import io

from .grid import Document, Row, render


def _text(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def read_xls(data: bytes) -> Document:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows: list[Row] = []
    lines: list[str] = []
    names = wb.sheet_names
    for name in names:
        sheet = wb.get_sheet_by_name(name)
        grid = [[_text(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
        for merged in sheet.merged_cell_ranges or []:
            (r0, c0), (r1, c1) = merged
            top = grid[r0][c0] if r0 < len(grid) and c0 < len(grid[r0]) else ""
            for r in range(r0, min(r1 + 1, len(grid))):
                for c in range(c0, min(c1 + 1, len(grid[r]))):
                    grid[r][c] = top if c == c0 else ""
        if len(names) > 1:
            lines.append(f"## {name}")
        sheet_rows, sheet_lines = render(grid, start_line=len(lines) + 1)
        for r in sheet_rows:
            r.table = names.index(name) + 1
        rows.extend(sheet_rows)
        lines.extend(sheet_lines)
    wb.close()
    return Document(rows, "\n".join(lines), "xls")
