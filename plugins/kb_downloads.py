"""Downloads for Excel: every table and canned query as ``.xlsx`` with the columns' Chinese labels."""

from __future__ import annotations

import urllib.parse

from datasette import hookimpl
from datasette.utils.asgi import Response

from ingest.web.format import QUERY_LABELS, column_labels


def _xlsx(datasette, columns, rows, request, database, table, query_name):
    """The rows on the page as an .xlsx workbook with the columns' Chinese labels as headers."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    labels = column_labels(datasette.metadata(), database, table)
    labels.update(QUERY_LABELS.get(query_name or "", {}))
    wb = Workbook()
    ws = wb.active
    ws.title = (table or query_name or "结果")[:31]
    ws.append([labels.get(c) or c for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_excel_value(row[c]) for c in columns])
    for k, c in enumerate(columns, start=1):
        width = max([len(str(labels.get(c) or c))] + [min(len(str(r[c] or "")), 60) for r in rows[:200]]) + 2
        ws.column_dimensions[ws.cell(1, k).column_letter].width = width * 1.6
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    name = urllib.parse.quote(f"{table or query_name or database}.xlsx")
    return Response(out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f"attachment; filename*=UTF-8''{name}"})


def _excel_value(value):
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and len(value) > 32_000:
        return value[:32_000]
    return value


@hookimpl
def register_output_renderer(datasette):
    return {"extension": "xlsx", "render": _xlsx, "can_render": lambda: True}
