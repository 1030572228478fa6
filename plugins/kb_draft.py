"""与我的草稿相似: ``/kb/-/draft`` (and ``/kb/-/draft.json``) reads a pasted or uploaded draft and
shows the most similar past projects and the indicators they used. Nothing of the draft is stored.

What a visitor sends is bounded (``ingest.web.uploads``): the body is refused while it streams once
it passes 10 MB, a file is read in a separate process with a memory and time limit, archives are
checked before they are inflated; a refused upload gets its reason on the page (or in the JSON).
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response

from ingest.web import json_response, served_database
from ingest.web.errors import MODEL_LOADING_MESSAGE, ModelLoading, ServiceError
from ingest.web.uploads import MAX_BODY, DraftReader, form_fields, read_body

READER = DraftReader()  # one reading process per server worker, started on the first upload


@hookimpl
def skip_csrf(datasette, scope):
    """The draft page only reads what it is sent and stores nothing: no token needed (and scripts can POST)."""
    return scope.get("path", "").startswith("/kb/-/draft")


def _compare_draft(conn, draft) -> dict:
    """The most similar past projects and what indicators they used. Nothing is stored."""
    from dataclasses import asdict

    from ingest import query
    from ingest.embedders import get_embedder

    hits = query.similar_to_draft(conn, get_embedder(), draft, 10)
    groups = query.indicators_of(conn, hits[:8])
    return {"draft": asdict(draft), "similar": [asdict(h) for h in hits], "indicators": [asdict(g) for g in groups]}


def _model_ready() -> bool:
    from ingest.embedders import is_ready, warm_in_background

    if is_ready():
        return True
    warm_in_background()
    return False


@hookimpl
def register_routes(datasette):
    async def draft_page(request):
        database = served_database(datasette)
        if database is None:
            return Response.html("<p>No database is being served.</p>", status=404)
        context = {"database": database, "text": "", "result": None, "error": None, "max_mb": MAX_BODY >> 20}
        status, retry_after = 200, None
        if request.method == "POST":
            try:
                body = await read_body(request)
                text, data, filename = form_fields(body, request.headers.get("content-type", ""))
                context["text"] = text or ""
                if not (text or "").strip() and not data:
                    raise ServiceError("请粘贴草稿文字或选择一个文件")
                if not _model_ready():  # comparing a draft needs its vectors
                    raise ModelLoading(MODEL_LOADING_MESSAGE.format(seconds=ModelLoading.retry_after))
                draft = await READER.read(text, data, filename)
                db = datasette.get_database(database)
                context["result"] = await db.execute_fn(lambda conn: _compare_draft(conn, draft))
            except ServiceError as e:
                context["error"], status, retry_after = e.message, e.status, e.retry_after
        headers = {"retry-after": str(retry_after), "cache-control": "no-store"} if retry_after else {}
        if request.url_vars.get("format") == "json":
            if context["error"]:
                return json_response({"ok": False, "error": context["error"], "status": status}, status=status,
                                     headers=headers)
            return json_response({"ok": True, **(context["result"] or {})})
        return Response.html(await datasette.render_template("kb_draft.html", context, request=request),
                             status=status, headers=headers)

    return [(r"^/kb/-/draft(\.(?P<format>json))?$", draft_page)]
