"""How the knowledge base is served: one place that configures Datasette for `make serve`, the
tests, the benchmark and the load test (metadata, plugins, templates, settings)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yml"
PLUGINS = ROOT / "plugins"
TEMPLATES = ROOT / "templates"
SETTINGS = ROOT / "settings.json"


def settings(**overrides) -> dict:
    return {**json.loads(SETTINGS.read_text("utf-8")), **overrides}


def metadata() -> dict:
    import yaml

    return yaml.safe_load(METADATA.read_text("utf-8"))


def make_datasette(db_path: str | Path, **setting_overrides):
    """A Datasette for one knowledge base, served under the name ``kb``, configured as ``make serve``.

    The database is opened read-only (Datasette's mode=ro), so no request can write to it.
    """
    from datasette.app import Datasette

    path = Path(db_path)
    if path.name != "kb.db":
        path = named_kb(path)
    return Datasette([str(path)], metadata=metadata(), plugins_dir=str(PLUGINS), template_dir=str(TEMPLATES),
                     settings=settings(**setting_overrides))


_links: list = []


def named_kb(db_path: Path) -> Path:
    """A ``kb.db`` link to another file name (metadata.yml describes the database named kb)."""
    import tempfile

    tmp = tempfile.TemporaryDirectory(prefix="kb-serve-")
    _links.append(tmp)  # kept for the life of the process
    link = Path(tmp.name) / "kb.db"
    link.symlink_to(db_path.resolve())
    return link



def asgi_app():
    """The ASGI app for ``kb serve`` (uvicorn calls this factory once per worker process)."""
    import os

    db = os.environ.get("KB_DB")
    if not db:
        raise RuntimeError("KB_DB is not set: start the server with `kb serve DB`")
    return make_datasette(db).app()
