"""A cluster build against a local one, on the same files and the same machine: equal databases,
and the cluster's overhead over the local process pool.

    python -m bench.cluster CORPUS [CORPUS ...] [--model hash|default|none] [--workers 2]

Each corpus is built twice by the real `kb build`, once with the local process pool (one process
per CPU) and once on a Dask cluster of as many single-threaded worker processes on this machine,
started before the build as an existing cluster would be; the two databases are compared table by
table (``tests/dbcompare.py``) and the wall times are printed side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed_build(db: Path, corpus: list[str], model: str, extra: list[str]) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    cmd = [str(Path(sys.executable).parent / "kb"), "build", str(db), *corpus, "--silent", *extra]
    if model == "none":
        cmd.append("--no-embed")
    elif model != "default":
        cmd += ["--model", model]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1: some file could not be read, as locally
        raise SystemExit(f"kb build failed: {proc.stderr[-2000:]}")
    return wall


def compare(corpus: list[str], model: str, workers: int, work: Path, atol: float = 0.0, repeat: int = 1) -> dict:
    """Local and cluster builds taking turns ``repeat`` times (other work on the machine slows
    whichever runs beside it): the best time of each, and the last two databases compared."""
    from distributed import LocalCluster

    from tests.dbcompare import differences

    local_db, cluster_db = work / "local.db", work / "cluster.db"
    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as cluster:
        started = time.perf_counter() - t0
        runs = []
        for _ in range(repeat):
            runs.append((timed_build(local_db, corpus, model, ["--jobs", str(workers)]),
                         timed_build(cluster_db, corpus, model, ["--cluster", cluster.scheduler_address])))
    local, on_cluster = min(r[0] for r in runs), min(r[1] for r in runs)
    diff = differences(local_db, cluster_db, atol=atol)
    import sqlite3

    conn = sqlite3.connect(cluster_db)
    counts = dict(zip(("files", "declarations", "vectors"), conn.execute(
        "select (select count(*) from source_paths) + (select count(*) from parse_failures),"
        " (select count(*) from declarations), (select count(*) from vectors)").fetchone()))
    conn.close()
    return {"corpus": corpus, "model": model, "workers": workers, **counts,
            "local_seconds": round(local, 1), "cluster_seconds": round(on_cluster, 1),
            "cluster_start_seconds": round(started, 1), "overhead": round(on_cluster / local, 3),
            "runs": [[round(a, 1), round(b, 1)] for a, b in runs],
            "equal": not diff, "differences": diff[:10], "atol": atol}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="+")
    ap.add_argument("--model", default="hash", help="hash (default), default (the bundled model) or none")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--atol", type=float, default=0.0, help="vectors equal within this (0: to the bit)")
    ap.add_argument("--repeat", type=int, default=2, help="builds of each kind, taking turns (the best counts)")
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kb-cluster-") as tmp:
        r = compare(args.corpus, args.model, args.workers, Path(tmp), args.atol, args.repeat)
    print(json.dumps(r, ensure_ascii=False, indent=1))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(r, ensure_ascii=False, indent=1), "utf-8")
    return 0 if r["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
