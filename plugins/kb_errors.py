"""Errors answer briefly, in Chinese, with one log line (a traceback only for real faults)."""

from __future__ import annotations

import logging

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import escape

from ingest.web import json_response

_log = logging.getLogger("kb")
_ERROR_TITLES = {400: "请求有误", 403: "没有权限", 404: "找不到该页面或记录", 405: "不支持的请求方式", 500: "服务器内部错误"}


def _quiet_default_handler() -> None:
    """Datasette's own error handler (which still runs after ours) prints a traceback with every
    local variable through rich for each 404: half a second and tens of KB of log per request."""
    import datasette.handle_exception as default

    default.rich = None


_quiet_default_handler()


def _error_status(exception, datasette) -> tuple[int, str, str | None]:
    """(status, message, title) of an exception; a title of None takes the status's."""
    from datasette.database import QueryInterrupted
    from datasette.utils.asgi import Base400

    from ingest.web.errors import TIME_LIMIT_MESSAGE, ServiceError

    if isinstance(exception, ServiceError):
        return exception.status, exception.message, exception.title
    if isinstance(exception, QueryInterrupted) or getattr(exception, "title", None) == "SQL Interrupted":
        # Datasette's own time limit (its message is an HTML page with the SQL in a textarea)
        seconds = datasette.setting("sql_time_limit_ms") / 1000
        return 400, TIME_LIMIT_MESSAGE.format(seconds=seconds), "查询超时"
    if isinstance(exception, Base400):
        return exception.status, str(exception.args[0] if exception.args else exception), None
    from ingest.web.errors import chinese

    status = getattr(exception, "status", 500)
    message = getattr(exception, "message", None) or str(exception)
    if status == 500 and type(exception).__name__ == "DatasetteError" and chinese(message) != message:
        status = 400  # Datasette's own errors about a request ("Cannot sort table by x") come as 500
    return (status if isinstance(status, int) else 500), message, getattr(exception, "title", None)


def error_response(request, status: int, message: str, title: str | None = None,
                   retry_after: int | None = None, allowed: dict | None = None) -> Response:
    """The answer to a failed request: JSON for a ``.json`` address, else a short Chinese page.
    Datasette's and SQLite's English messages are put in Chinese (the English kept in the JSON's ``detail``)."""
    from ingest.web.errors import chinese

    original, message = str(message), chinese(message)
    title = chinese(title) if title else _ERROR_TITLES.get(status, "请求有误")
    headers = {"retry-after": str(retry_after), "cache-control": "no-store"} if retry_after else {}
    if request.path.split("?")[0].endswith(".json"):
        data = {"ok": False, "error": message, "status": status, "title": title}
        if original != message:
            data["detail"] = original
        if allowed:
            data["allowed"] = allowed
        return json_response(data, status=status, headers=headers)
    body = (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{escape(title)} · 绩效目标知识库</title>"
            "<link rel='stylesheet' href='/-/static/app.css'></head><body><section class='content'>"
            f"<h1>{escape(title)}</h1><p>{escape(str(message))}</p>"
            "<p><a href='/kb'>返回绩效目标知识库首页</a></p></section></body></html>")
    return Response.html(body, status=status, headers=headers)


@hookimpl
def handle_exception(datasette, request, exception):
    """Errors answer briefly, in Chinese, and log one line (a traceback only for real faults)."""
    status, message, title = _error_status(exception, datasette)
    if status >= 500 and status != 503:
        _log.error("%s %s: %s", status, request.path, message, exc_info=exception)
        message, title = "服务器内部错误，请稍后再试", None
    else:
        _log.info("%s %s: %s", status, request.path, str(message)[:200])
    return error_response(request, status, message, title, getattr(exception, "retry_after", None),
                          getattr(exception, "allowed", None))
