"""Downloads for Excel: every table and canned query as ``.xlsx`` with the columns' Chinese labels;
CSV with a byte order mark (and Chinese headers with ``_headers=zh``)."""

from __future__ import annotations

import urllib.parse

from datasette import hookimpl
from datasette.utils.asgi import Response

from ingest.web.format import QUERY_LABELS, column_labels, short_label


def _xlsx(datasette, columns, rows, request, database, table, query_name):
    """The rows on the page (up to 1,000 with ``_size=max``) as a typed .xlsx workbook with
    Chinese headers (``ingest.web.xlsx``)."""
    from ingest.web.xlsx import workbook

    title, labels, full = _titles(datasette, database, table, query_name)
    data = workbook(columns, rows, labels, title, full)
    return Response(data, content_type=XLSX, headers={"content-disposition": _attachment(title, "xlsx")})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _titles(datasette, database, table, query_name) -> tuple[str, dict, dict]:
    """(the sheet's Chinese title, short labels, full metadata labels) of a table or canned query."""
    from ingest.serve import metadata as project_metadata

    metadata = datasette.metadata() if datasette is not None else project_metadata()
    meta = (metadata.get("databases") or {}).get(database or "kb") or {}
    labels = column_labels(metadata, database, table)
    labels.update(QUERY_LABELS.get(query_name or "", {}))
    if table:
        own = (meta.get("tables") or {}).get(table) or {}
        title = short_label(own.get("title") or table)
        full = {c: str(v) for c, v in (own.get("columns") or {}).items()}
    else:
        query = (meta.get("queries") or {}).get(query_name or "") or {}
        title = short_label(query.get("title") or query_name or "查询结果")
        full = {}
    return title, labels, full


def _attachment(title: str, extension: str) -> str:
    name = urllib.parse.quote(f"{title}.{extension}")
    return f"attachment; filename=\"kb.{extension}\"; filename*=UTF-8''{name}"


@hookimpl
def register_output_renderer(datasette):
    return {"extension": "xlsx", "render": _xlsx, "can_render": lambda: True}


@hookimpl
def asgi_wrapper(datasette):
    return _excel_csv


def _excel_csv(app):
    """CSV downloads are attachments (Datasette shows them as text in the browser without
    ``_dl``) named by the table's Chinese title, and start with a UTF-8 byte order mark so Excel on
    a Chinese Windows reads them right; the header row has the columns' Chinese labels, each once
    (a linked record's name under its label, its id under ``…编号``), or with ``_headers=columns``
    the column names."""

    async def wrapped(scope, receive, send):
        path = scope.get("path", "")
        if scope.get("type") != "http" or not path.endswith(".csv"):
            await app(scope, receive, send)
            return
        qs = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=True)
        chinese = ("_headers", "columns") not in qs  # Chinese labels unless the column names are asked for
        qs = [x for x in qs if x[0] != "_headers"]
        if not any(k == "_dl" for k, _ in qs) and not any(k == "_trace" for k, _ in qs):
            qs.append(("_dl", "1"))
        scope = dict(scope, query_string=urllib.parse.urlencode(qs).encode())
        name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        state = {"csv": False, "first": True, "buffer": b""}

        async def sending(message):
            if message["type"] == "http.response.start":
                headers = dict((k.lower(), v) for k, v in message.get("headers", []))
                state["csv"] = headers.get(b"content-type", b"").startswith((b"text/csv", b"text/plain"))
                if state["csv"]:
                    kept = [(k, v) for k, v in message.get("headers", [])
                            if k.lower() not in (b"content-length", b"content-disposition")]
                    title = _titles(None, "kb", name if name in _tables() else None,
                                    None if name in _tables() else name)[0]
                    message = dict(message, headers=kept + [(b"content-disposition", _attachment(title, "csv").encode())])
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
                    body = _chinese_header(head.decode("utf-8"), name).encode("utf-8") + sep + rest
                message = dict(message, body="\ufeff".encode("utf-8") + body)
            await send(message)

        await app(scope, receive, sending)

    return wrapped


def _tables() -> set[str]:
    from ingest.serve import metadata

    return set(metadata()["databases"]["kb"].get("tables", {}))


def _chinese_header(line: str, name: str) -> str:
    """A CSV header row with each column's Chinese label, once each; ``x`` and ``x_label`` (a
    linked record) become ``<label>编号`` and ``<label>``."""
    import csv
    import io

    from ingest.web.xlsx import headers

    ending = "\r" if line.endswith("\r") else ""
    columns = next(csv.reader([line.rstrip("\r")]))
    table = name if name in _tables() else None
    _title, labels, full = _titles(None, "kb", table, None if table else name)
    labels = dict(labels)
    for c in columns:
        if c.endswith("_label") and c[:-len("_label")] in columns:
            base = c[:-len("_label")]
            labels[c] = short_label(labels.get(base) or base)
            labels[base] = labels[c] + "编号"
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(headers(columns, labels, full, money="元"))
    return out.getvalue() + ending
