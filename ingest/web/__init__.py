"""How the served pages present the knowledge base: numbers and labels as a budget officer reads
them, charts, spreadsheets, and the limits on what a visitor may upload. Used by the Datasette
plugins in ``plugins/`` (which Datasette loads as loose files, so what they share lives here)."""

from __future__ import annotations


def served_database(datasette) -> str | None:
    """The name of the knowledge base among the served databases (``kb``, else the first)."""
    names = [n for n in datasette.databases if not n.startswith("_")]
    return "kb" if "kb" in names else (names[0] if names else None)
