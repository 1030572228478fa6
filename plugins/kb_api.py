"""The JSON API as a program expects it, around Datasette's own endpoints:

- a canned query's JSON (``/kb/search.json`` …) refuses an unknown parameter, or a missing one it
  needs, with 400 and the parameters it takes (Datasette would ignore the one and run without the other);
- columns holding JSON arrays come as arrays (``suggest_indicators``: values, units, declarations;
  ``findings``: evidence, lines), as if ``_json=`` had been asked;
- Datasette's and SQLite's error messages come in Chinese, the English kept in ``detail``.
"""

from __future__ import annotations

import json
import urllib.parse

from datasette import hookimpl

from ingest.web.errors import chinese
from ingest.web.params import DATASETTE_QUERY_PARAMS, BadParameter, check_params, named_parameters

SHAPES = ("objects", "arrays", "array", "arrayfirst", "object")
JSON_COLUMNS = {"suggest_indicators": ("values", "units", "declarations"), "findings": ("evidence", "lines")}


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        queries = ((datasette.metadata().get("databases") or {}).get("kb") or {}).get("queries") or {}
        params = {name: named_parameters(q["sql"]) for name, q in queries.items()}

        async def api(scope, receive, send):
            path = scope.get("path", "") if scope.get("type") == "http" else ""
            if not path.endswith(".json") or not (path.startswith("/kb/") or path == "/kb.json"):
                await app(scope, receive, send)
                return
            name = path[len("/kb/"):-len(".json")]
            qs = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"),
                                        keep_blank_values=True)
            shape = next((v for k, v in qs if k == "_shape"), None)
            if shape is not None and shape not in SHAPES:
                await _send_json(send, 400, {"ok": False, "error": f"参数 _shape 的值 “{shape}” 无效；可用的值：{'、'.join(SHAPES)}",
                                             "status": 400, "title": "参数有误", "allowed": {"_shape": list(SHAPES)}})
                return
            if name in params:
                try:
                    check_params(_Args(qs), {p: None for p in params[name]}, required=tuple(params[name]),
                                 extra=DATASETTE_QUERY_PARAMS)
                except BadParameter as e:
                    await _send_json(send, 400, {"ok": False, "error": e.message, "status": 400, "title": e.title,
                                                 "allowed": {**e.allowed, "Datasette": list(DATASETTE_QUERY_PARAMS)}})
                    return
            if name in JSON_COLUMNS:
                asked = {v for k, v in qs if k == "_json"}
                qs += [("_json", c) for c in JSON_COLUMNS[name] if c not in asked]
                scope = dict(scope, query_string=urllib.parse.urlencode(qs).encode())
            await app(scope, receive, _chinese_errors(send))

        return api

    return wrap


class _Args:
    """A query string's pairs as ``check_params`` reads them."""

    def __init__(self, pairs):
        self.pairs = pairs

    def keys(self):
        return [k for k, _ in self.pairs]

    def get(self, name, default=None):
        return next((v for k, v in self.pairs if k == name), default)


def _chinese_errors(send):
    """A JSON error answer (status 400 or more) with its ``error`` in Chinese."""
    state: dict = {}

    async def sending(message):
        if message["type"] == "http.response.start":
            headers = {k.lower(): v for k, v in message.get("headers", [])}
            if message["status"] >= 400 and b"json" in headers.get(b"content-type", b""):
                state["start"], state["body"] = message, b""
                return
            await send(message)
            return
        if "start" not in state or message["type"] != "http.response.body":
            await send(message)
            return
        state["body"] += message.get("body", b"")
        if message.get("more_body"):
            return
        body = state["body"]
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            if chinese(data["error"]) != data["error"]:
                data["detail"], data["error"] = data["error"], chinese(data["error"])
            data.setdefault("status", state["start"]["status"])
            body = json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
        start = state["start"]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await send(dict(start, headers=headers + [(b"content-length", str(len(body)).encode())]))
        await send({"type": "http.response.body", "body": body})

    return sending


async def _send_json(send, status: int, data: dict) -> None:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
