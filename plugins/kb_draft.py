"""与我的草稿相似: ``/kb/-/draft`` (and ``/kb/-/draft.json``) reads a pasted or uploaded draft and
shows the most similar past projects and the indicators they used. Nothing of the draft is stored."""

from __future__ import annotations

import urllib.parse

from datasette import hookimpl
from datasette.utils.asgi import Response

from ingest.web import served_database

DRAFT_MAX_BYTES = 10 << 20  # an uploaded draft


@hookimpl
def skip_csrf(datasette, scope):
    """The draft page only reads what it is sent and stores nothing: no token needed (and scripts can POST)."""
    return scope.get("path", "").startswith("/kb/-/draft")


async def _draft_input(request) -> tuple[str | None, bytes | None, str | None]:
    """The pasted text and the uploaded file of the draft form (urlencoded or multipart)."""
    body = await request.post_body()
    if len(body) > DRAFT_MAX_BYTES:
        raise ValueError(f"文件太大（超过 {DRAFT_MAX_BYTES >> 20} MB）")
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        from email.parser import BytesParser
        from email.policy import HTTP

        msg = BytesParser(policy=HTTP).parsebytes(b"content-type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body)
        text = data = filename = None
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "text":  # browsers send form fields as UTF-8 without saying so
                text = (part.get_payload(decode=True) or b"").decode(part.get_content_charset() or "utf-8", "replace")
            elif name == "file":
                filename = part.get_filename()
                payload = part.get_payload(decode=True)
                if filename and payload:
                    data = payload
        return text, data, filename
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return (form.get("text") or [None])[0], None, None


def _compare_draft(conn, text, data, filename) -> dict:
    """Read the draft, find the most similar past projects and what indicators they used. Nothing is stored."""
    from dataclasses import asdict

    from ingest import query
    from ingest.embedders import get_embedder

    if data is not None:
        draft = query.read_draft(data=data, filename=filename)
    else:
        draft = query.read_draft(text=text)
    hits = query.similar_to_draft(conn, get_embedder(), draft, 10)
    groups = query.indicators_of(conn, hits[:8])
    return {"draft": asdict(draft), "similar": [asdict(h) for h in hits], "indicators": [asdict(g) for g in groups]}


@hookimpl
def register_routes(datasette):
    async def draft_page(request):
        database = served_database(datasette)
        if database is None:
            return Response.html("<p>No database is being served.</p>", status=404)
        context = {"database": database, "text": "", "result": None, "error": None, "max_mb": DRAFT_MAX_BYTES >> 20}
        if request.method == "POST":
            try:
                text, data, filename = await _draft_input(request)
            except ValueError as e:
                context["error"] = str(e)
            else:
                context["text"] = text or ""
                if not (text or "").strip() and not data:
                    context["error"] = "请粘贴草稿文字或选择一个文件"
                else:
                    db = datasette.get_database(database)
                    context["result"] = await db.execute_fn(lambda conn: _compare_draft(conn, text, data, filename))
        if request.url_vars.get("format") == "json":
            if context["error"]:
                return Response.json({"ok": False, "error": context["error"]}, status=400)
            return Response.json({"ok": True, **(context["result"] or {})}, default=str)
        return Response.html(await datasette.render_template("kb_draft.html", context, request=request))

    return [(r"^/kb/-/draft(\.(?P<format>json))?$", draft_page)]
