"""Errors answer briefly, in Chinese, with one log line (a traceback only for real faults)."""

from __future__ import annotations

import logging

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import escape

_log = logging.getLogger("kb")
_ERROR_TITLES = {400: "请求有误", 403: "没有权限", 404: "找不到该页面或记录", 405: "不支持的请求方式", 500: "服务器内部错误"}


def _quiet_default_handler() -> None:
    """Datasette's own error handler (which still runs after ours) prints a traceback with every
    local variable through rich for each 404: half a second and tens of KB of log per request."""
    import datasette.handle_exception as default

    default.rich = None


_quiet_default_handler()


def _error_status(exception) -> tuple[int, str]:
    from datasette.database import QueryInterrupted
    from datasette.utils.asgi import Base400

    if isinstance(exception, QueryInterrupted):
        return 400, "查询超时：请缩小范围或简化查询 (the query took longer than the time limit)"
    if isinstance(exception, Base400):
        return exception.status, str(exception.args[0] if exception.args else exception)
    status = getattr(exception, "status", 500)
    message = getattr(exception, "message", None) or str(exception)
    return (status if isinstance(status, int) else 500), message


@hookimpl
def handle_exception(datasette, request, exception):
    """Errors answer briefly, in Chinese, and log one line (a traceback only for real faults)."""
    status, message = _error_status(exception)
    if status >= 500:
        _log.error("%s %s: %s", status, request.path, message, exc_info=exception)
        message = "服务器内部错误，请稍后再试"
    else:
        _log.info("%s %s: %s", status, request.path, str(message)[:200])
    title = _ERROR_TITLES.get(status, "请求有误")
    if request.path.split("?")[0].endswith(".json"):
        return Response.json({"ok": False, "error": str(message), "status": status, "title": title}, status=status)
    body = (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{escape(title)} · 绩效目标知识库</title>"
            "<link rel='stylesheet' href='/-/static/app.css'></head><body><section class='content'>"
            f"<h1>{escape(title)}</h1><p>{escape(str(message))}</p>"
            "<p><a href='/kb'>返回绩效目标知识库首页</a></p></section></body></html>")
    return Response.html(body, status=status)
