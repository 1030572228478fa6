"""How the knowledge base is served: one place that configures Datasette for `make serve`, the
tests, the benchmark and the load test (metadata, plugins, templates, settings)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
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


def make_datasette(db_path: str | Path, immutable: bool = False, **setting_overrides):
    """A Datasette for one knowledge base, served under the name ``kb``, configured as ``make serve``.

    The database is opened read-only (Datasette's mode=ro), so no request can write to it; with
    ``immutable``, as a file that never changes (a published release: SQLite skips its locks and
    change checks).
    """
    from datasette.app import Datasette

    path = Path(db_path)
    if path.name != "kb.db":
        path = named_kb(path)
    files = {"immutables": [str(path)]} if immutable else {"files": [str(path)]}
    return Datasette(**files, metadata=metadata(), plugins_dir=str(PLUGINS), template_dir=str(TEMPLATES),
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
    return make_datasette(db, immutable=os.environ.get("KB_IMMUTABLE") == "1").app()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(port: int, proc, log, deadline: float) -> None:
    """Until every worker says it is ready (20 answers in a row on new connections, which the
    kernel hands to the workers in turn or at random)."""
    in_a_row = 0
    while in_a_row < 20:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/-/kb-status.json")
            ready = json.loads(conn.getresponse().read()).get("ready")
            conn.close()
        except (OSError, ValueError, http.client.HTTPException):
            ready = False
        in_a_row = in_a_row + 1 if ready else 0
        if proc.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError("the server did not become ready: " + log.read().decode("utf-8", "replace")[-2000:])
        if not ready:
            time.sleep(0.5)


@contextlib.contextmanager
def running_server(db_path: str | Path, port: int | None = None, extra: tuple[str, ...] = (), env: dict | None = None,
                   wait_ready: bool = True):
    """`kb serve` as `make serve` runs it, in a child process on loopback (for the tests, the
    benchmark and the load test); yields (base_url, process).

    :param env: extra environment variables for the server (e.g. ``KB_MODEL``).
    :param wait_ready: wait until every worker has loaded the model and vector indexes.
    """
    import tempfile

    port = port or free_port()
    cmd = [str(Path(sys.executable).parent / "kb"), "serve", str(db_path), "-h", "127.0.0.1", "-p", str(port), *extra]
    log = tempfile.TemporaryFile()  # a file, not a pipe: a pipe nobody reads would stall a chatty server
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/-/versions.json")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError("datasette did not start: " + log.read().decode("utf-8", "replace")[-2000:])
            time.sleep(0.2)
        if wait_ready:
            _wait_ready(port, proc, log, deadline=time.monotonic() + 300)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
