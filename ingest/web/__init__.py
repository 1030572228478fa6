"""How the served pages present the knowledge base: numbers and labels as a budget officer reads
them, charts, spreadsheets, and the limits on what a visitor may upload. Used by the Datasette
plugins in ``plugins/`` (which Datasette loads as loose files, so what they share lives here)."""

from __future__ import annotations


def served_database(datasette) -> str | None:
    """The name of the knowledge base among the served databases (``kb``, else the first)."""
    names = [n for n in datasette.databases if not n.startswith("_")]
    return "kb" if "kb" in names else (names[0] if names else None)


def json_response(data, status: int = 200, headers: dict | None = None):
    """A JSON answer with Chinese as it is (UTF-8, not ``\\u`` escapes), so it reads in a terminal."""
    import json

    from datasette.utils.asgi import Response

    return Response(json.dumps(data, ensure_ascii=False, default=str), status=status, headers=headers or {},
                    content_type="application/json; charset=utf-8")
