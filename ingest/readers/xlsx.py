"""Excel workbooks (.xlsx, as budget systems export them): every sheet's rows of cells.

A cell merged over several columns is one cell (its value once, in its first column); a cell merged
over several rows keeps its value in each row it covers, as a printed form shows it beside each row.
"""

from __future__ import annotations

import datetime
import io

from .grid import Document, Row, render
from .safety import check_grid


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes) -> Document:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), data_only=True)
    rows: list[Row] = []
    lines: list[str] = []
    for ws in wb.worksheets:
        check_grid(ws.max_row, ws.max_column, what=f"工作表“{ws.title}”")  # before every empty cell is made
        grid = [[_text(c.value) for c in row] for row in ws.iter_rows()]
        for merged in ws.merged_cells.ranges:
            top = grid[merged.min_row - 1][merged.min_col - 1] if merged.min_row - 1 < len(grid) else ""
            for r in range(merged.min_row - 1, min(merged.max_row, len(grid))):
                for c in range(merged.min_col - 1, min(merged.max_col, len(grid[r]))):
                    # the value once per row (in the merge's first column), in every row it covers
                    grid[r][c] = top if c == merged.min_col - 1 else ""
        if len(wb.worksheets) > 1:
            lines.append(f"## {ws.title}")
        sheet_rows, sheet_lines = render(grid, start_line=len(lines) + 1)
        for r in sheet_rows:
            r.table = wb.worksheets.index(ws) + 1
        rows.extend(sheet_rows)
        lines.extend(sheet_lines)
    return Document(rows, "\n".join(lines), "xlsx")
