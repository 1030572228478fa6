"""Downloads for Excel: every table and canned query as ``.xlsx`` with the columns' Chinese labels;
CSV with a byte order mark (and Chinese headers with ``_headers=zh``)."""

from __future__ import annotations

import re
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


@hookimpl
def asgi_wrapper(datasette):
    return _excel_csv


def _excel_csv(app):
    """CSV downloads start with a UTF-8 byte order mark, so Excel on a Chinese Windows reads them
    right; ``_headers=zh`` (on any .csv address) puts the columns' Chinese labels in the header row."""

    async def wrapped(scope, receive, send):
        if scope.get("type") != "http" or not scope.get("path", "").endswith(".csv"):
            await app(scope, receive, send)
            return
        qs = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=True)
        chinese = ("_headers", "zh") in qs
        if chinese:
            scope = dict(scope, query_string=urllib.parse.urlencode([x for x in qs if x[0] != "_headers"]).encode())
        state = {"csv": False, "first": True, "buffer": b""}

        async def sending(message):
            if message["type"] == "http.response.start":
                headers = dict((k.lower(), v) for k, v in message.get("headers", []))
                state["csv"] = headers.get(b"content-type", b"").startswith(b"text/csv") or \
                    headers.get(b"content-type", b"").startswith(b"text/plain")
                if state["csv"]:
                    message = dict(message, headers=[(k, v) for k, v in message.get("headers", [])
                                                     if k.lower() != b"content-length"])
                await send(message)
                return
            if message["type"] == "http.response.body" and state["csv"] and state["first"]:
                body = state["buffer"] + message.get("body", b"")
                if chinese and b"\n" not in body and message.get("more_body"):
                    state["buffer"] = body  # the header row is not complete yet
                    return
                state["first"] = False
                if chinese:
                    head, sep, rest = body.partition(b"\n")
                    labels = _csv_labels(scope.get("path", ""))
                    text = head.decode("utf-8")
                    ending = "\r" if text.endswith("\r") else ""
                    text = ",".join(labels.get(c.strip('"'), c) for c in text.rstrip("\r").split(","))
                    body = (text + ending).encode("utf-8") + sep + rest
                message = dict(message, body="\ufeff".encode("utf-8") + body)
            await send(message)

        await app(scope, receive, sending)

    return wrapped


def _csv_labels(path: str) -> dict[str, str]:
    from ingest.serve import metadata

    tables = metadata()["databases"]["kb"].get("tables", {})
    name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    labels: dict[str, str] = {}
    for meta in tables.values():
        for col, text in ((meta or {}).get("columns") or {}).items():
            labels.setdefault(col, re.split(r"\s*[(（]", str(text), maxsplit=1)[0])
    own = (tables.get(name) or {}).get("columns") or {}
    labels.update({c: re.split(r"\s*[(（]", str(t), maxsplit=1)[0] for c, t in own.items()})
    return labels
