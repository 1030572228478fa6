"""Whether the whole server is ready, not just the worker a request happens to reach.

``kb serve`` runs one worker process per CPU; each loads the model and the vector indexes in the
background. Each worker records its state in a file of the server's run folder (``KB_RUN_DIR``,
made by ``kb serve``, which also says how many workers it started in ``KB_WORKERS``); any worker
answers ``/-/kb-status.json`` for all of them: ready when every worker is.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def run_dir() -> Path | None:
    folder = os.environ.get("KB_RUN_DIR")
    return Path(folder) if folder and Path(folder).is_dir() else None


def record(ready: bool) -> None:
    """This worker's state, for the others to read (nothing outside ``kb serve``)."""
    folder = run_dir()
    if folder is None:
        return
    tmp = folder / f".{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"pid": os.getpid(), "ready": ready, "at": time.time()}), "utf-8")
    tmp.replace(folder / f"{os.getpid()}.json")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def server_status(own_ready: bool) -> dict:
    """``{"ready", "workers": [{pid, ready}], "expected", "pid"}``: ready when every worker the
    server started has said it is (a worker that died and was replaced counts as its replacement)."""
    record(own_ready)
    folder = run_dir()
    if folder is None:
        return {"ready": own_ready, "workers": [{"pid": os.getpid(), "ready": own_ready}], "expected": 1,
                "pid": os.getpid()}
    workers = []
    for path in folder.glob("*.json"):
        try:
            state = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if _alive(int(state.get("pid", 0))):
            workers.append({"pid": state["pid"], "ready": bool(state.get("ready"))})
        else:
            path.unlink(missing_ok=True)
    expected = int(os.environ.get("KB_WORKERS") or 1)
    workers.sort(key=lambda w: w["pid"])
    return {"ready": len(workers) >= expected and all(w["ready"] for w in workers), "workers": workers,
            "expected": expected, "pid": os.getpid()}
