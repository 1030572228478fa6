"""Replicas under load: HAProxy in front of `kb serve` replicas on loopback, a new build published
in the middle of the load; fails on any error.

    python -m bench.replicas kb.db kb-next.db --replicas 2 --clients 8 --duration 60

The clients send the load test's mix (full text, hybrid, semantic, table search, facets,
indicator library) through HAProxy. After a third of the duration ``kb site publish`` moves every
replica to the second file; the figures before, during and after the publish are printed, with
what the site serves at the end (the new file's declarations).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from ingest.replicas import Site, haproxy_binary

from . import loadtest


def served_declarations(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/kb.json?sql=select+count(*)+as+n+from+declarations&_shape=array")
    n = json.loads(conn.getresponse().read())[0]["n"]
    conn.close()
    return n


def run(first: Path, second: Path, replicas: int = 2, clients: int = 8, duration: float = 60.0,
        workers: int = 1, site_dir: Path | None = None) -> dict:
    """Start the site on ``first``, load it, publish ``second`` a third of the way in."""
    if haproxy_binary() is None:
        raise SystemExit("没有找到 haproxy：apt-get install haproxy（Debian 软件包）；make loadtest-replicas 会自动安装")
    folder = Path(site_dir or tempfile.mkdtemp(prefix="kb-site-"))
    site = Site(folder)
    port = loadtest_port()
    t0 = time.monotonic()
    site.start(first, replicas=replicas, port=port, workers=workers)
    started = time.monotonic() - t0
    try:
        before = served_declarations(port)
        published: dict = {}

        def publish():
            time.sleep(duration / 3)
            t = time.monotonic()
            published.update(site.publish(second))
            published["at_s"] = round(t - load_started, 1)

        thread = threading.Thread(target=publish)
        load_started = time.monotonic()
        thread.start()
        report = loadtest.run_load(f"http://127.0.0.1:{port}", clients, duration, loadtest.MIX,
                                   queries=loadtest.queries_from_db(first, 300))
        thread.join()
        after = served_declarations(port)
    finally:
        site.stop()
    if site_dir is None:
        shutil.rmtree(folder, ignore_errors=True)
    return {"replicas": replicas, "workers_per_replica": workers, "start_seconds": round(started, 1),
            "declarations_before": before, "declarations_after": after, "publish": published, "load": report}


def loadtest_port() -> int:
    from ingest.serve import free_port

    return free_port()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("first", help="the file served first")
    ap.add_argument("second", help="the new build published under load")
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1, help="server processes per replica")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args(argv)
    r = run(Path(args.first), Path(args.second), args.replicas, args.clients, args.duration, args.workers)
    p = r["publish"]
    print(f"{r['replicas']} replicas behind HAProxy, started in {r['start_seconds']} s; published {p.get('release')} at "
          f"{p.get('at_s')} s of the load: new replicas ready in {p.get('ready_seconds')} s, switch done in "
          f"{p.get('seconds')} s; declarations served {r['declarations_before']} -> {r['declarations_after']}")
    print(loadtest.format_report(r["load"]))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(r, ensure_ascii=False, indent=2), "utf-8")
    ok = r["load"]["errors"] == 0 and p.get("release") and r["declarations_after"] != r["declarations_before"]
    if not ok:
        print("失败：负载期间有错误请求，或新版本没有上线", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
