"""Loopback load test: concurrent clients against a real `datasette serve` of a knowledge base.

    python -m bench.loadtest kb.db --clients 8 --duration 60

Clients loop over a fixed mix of the search, semantic and facet endpoints (keep-alive HTTP/1.1)
until the duration or the request cap is reached. Prints requests/s, p50/p95/p99 per endpoint and
the error count; exits 1 if any request failed (a non-2xx status, a timeout or a broken connection)
or, with ``--hostile``, if any abusive request took longer than the SQL time limit + 2 s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from ingest.serve import running_server as serve
from ingest.serve import settings

# how long past the SQL time limit an abusive request may take (the answer, the network)
HOSTILE_MARGIN_S = 2.0

ROOT = Path(__file__).resolve().parent.parent

QUERIES = ["清洁取暖", "退休人员取暖费", "课后服务", "数字政府", "农村饮水安全", "粮食储备", "科技项目扶持",
           "铁路运营补贴", "老年人冬天供暖补助", "小学生放学后没人接送", "满意度", "晋教安稳函〔2022〕6号"]

# (endpoint class, path template); {q} is replaced by a URL-quoted query from QUERIES
MIX = {
    "fulltext": "/kb/fulltext_search.json?_shape=array&q={q}",
    "search (hybrid)": "/kb/search.json?_shape=array&q={q}",
    "semantic": "/kb/semantic_search.json?_shape=array&q={q}",
    "table _search": "/kb/declarations.json?_shape=objects&_size=10&_search={q}",
    "facets": "/kb/declarations.json?_shape=objects&_size=10&_facet=dept_group&_facet=funds_band&_facet=year",
    "indicator library": "/kb/indicator_library.json?_shape=objects&_size=20&_facet=level1&_facet=level2",
}
# the HTML pages a budget officer opens most
PAGES = {
    "search page": "/kb/-/search?q={q}",
    "declarations table": "/kb/declarations?_size=20",
}


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) in MB of the process and every process under it (the server's
    workers), summed, from /proc."""
    try:
        total = 0.0
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += peak_rss_mb(int(child)) or 0.0
        return total
    except OSError:
        return None


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def queries_from_db(db_path: str | Path, n: int = 300, seed: int = 7) -> list[str]:
    """A query mix of the fixed queries plus indicator names and pieces of project names in the
    database, so most queries are new to the server's query-vector cache."""
    import random
    import sqlite3

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("select name from declarations where name is not null limit 20000")]
        indicators = [r[0] for r in conn.execute("select distinct name from indicator_library limit 20000")]
    finally:
        conn.close()
    rng = random.Random(seed)
    out = list(QUERIES)
    while len(out) < n and (names or indicators):
        if indicators and rng.random() < 0.5:
            out.append(rng.choice(indicators))
        elif names:
            name = rng.choice(names)
            start = rng.randrange(max(1, len(name) - 4))
            out.append(name[start:start + rng.randint(2, 6)])
    return list(dict.fromkeys(q for q in out if q.strip()))


# What a hostile visitor sends (each must end at the SQL time limit; none may slow the others much)
HOSTILE = [
    "select sum(length(randomblob(50000000))) from (select 1 from indicators limit 60)",
    "select length(randomblob(1000000000)), length(randomblob(1000000000))",
    "select count(kb_hybrid(a.name || b.name || c.name, 10)) from declarations a, declarations b, declarations c",
    "select count(kb_suggest(a.name || b.name, 30)) from declarations a, declarations b",
    "select length(jieba_seg(replace(hex(zeroblob(2000000)), '0', '取暖')))",
]


def _hostile_client(host: str, port: int, stop_at: float, timeout: float, out: list, n: int) -> None:
    i = n
    while time.monotonic() < stop_at:
        path = "/kb.json?" + urllib.parse.urlencode({"sql": HOSTILE[i % len(HOSTILE)], "_shape": "array"})
        i += 1
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        t0 = time.perf_counter()
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            out.append((resp.status, time.perf_counter() - t0))
        except (OSError, http.client.HTTPException):
            out.append((0, time.perf_counter() - t0))
        finally:
            conn.close()


def run_load(base: str, clients: int, duration: float, mix: dict[str, str], max_requests: int = 1_000_000,
             timeout: float = 30.0, warmup: bool = True, queries: list[str] | None = None, hostile: int = 0,
             fresh: bool = False) -> dict:
    """Closed-loop load: each client sends its next request when the previous one answered.

    :param fresh: give every request a new address (an ignored ``_n`` parameter), so the server's
        response cache never answers: the figures of queries nobody asked before.

    :param hostile: extra clients sending abusive SQL (``HOSTILE``) the whole time; the figures are
        those of the normal clients, with the hostile requests' count and slowest time beside them.
    """
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    paths = [(name, tpl.replace("{q}", urllib.parse.quote(q))) for q in (queries or QUERIES)
             for name, tpl in mix.items()]
    if warmup:  # load the model and the vector index once, outside the measured window
        conn = http.client.HTTPConnection(host, port, timeout=120)
        for name, path in paths[: len(mix)]:
            conn.request("GET", path)
            conn.getresponse().read()
        conn.close()
    latencies: dict[str, list[float]] = {name: [] for name in mix}
    errors: list[str] = []
    lock = threading.Lock()
    sent = [0]
    stop_at = time.monotonic() + duration

    def client(n: int):
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        i = n * 7
        while time.monotonic() < stop_at:
            with lock:
                if sent[0] >= max_requests:
                    return
                sent[0] += 1
            name, path = paths[i % len(paths)]
            if fresh:
                path += f"&_n={n}.{i}"
            i += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                ok = 200 <= resp.status < 300
                if ok and ".json" in path:
                    json.loads(body)
            except (OSError, http.client.HTTPException, ValueError) as e:
                ok, body = False, repr(e).encode()
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            elapsed = time.perf_counter() - t0
            with lock:
                if ok:
                    latencies[name].append(elapsed)
                else:
                    errors.append(f"{name}: {body[:200]!r}")
        conn.close()

    started = time.monotonic()
    abuse: list[tuple[int, float]] = []
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    threads += [threading.Thread(target=_hostile_client, args=(host, port, stop_at, timeout, abuse, n))
                for n in range(hostile)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    allowed = settings()["sql_time_limit_ms"] / 1000 + HOSTILE_MARGIN_S
    everything = [x for v in latencies.values() for x in v]
    ms = lambda v, p: round(percentile(v, p) * 1000, 1)  # noqa: E731
    return {
        "clients": clients, "seconds": round(wall, 1), "requests": len(everything) + len(errors),
        "errors": len(errors), "error_samples": errors[:5],
        "requests_per_s": round(len(everything) / wall, 1),
        "p50_ms": ms(everything, 50), "p95_ms": ms(everything, 95), "p99_ms": ms(everything, 99),
        "endpoints": {name: {"requests": len(v), "requests_per_s": round(len(v) / wall, 1), "p50_ms": ms(v, 50),
                             "p95_ms": ms(v, 95), "p99_ms": ms(v, 99)} for name, v in latencies.items()},
        "hostile": {"clients": hostile, "requests": len(abuse), "slowest_s": round(max((t for _, t in abuse), default=0), 2),
                    "statuses": sorted({st for st, _ in abuse}), "allowed_s": allowed,
                    "over_allowed": sum(t > allowed for _, t in abuse)} if hostile else None,
    }


def format_report(r: dict) -> str:
    lines = [f"{r['requests']} requests in {r['seconds']} s from {r['clients']} clients: "
             f"{r['requests_per_s']} req/s, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, "
             f"errors {r['errors']}"]
    lines.append(f"  {'endpoint':<20} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, e in r["endpoints"].items():
        lines.append(f"  {name:<20} {e['requests_per_s']:>8} {e['p50_ms']:>8} {e['p95_ms']:>8} {e['p99_ms']:>8}")
    if r.get("hostile"):
        h = r["hostile"]
        lines.append(f"  hostile: {h['requests']} abusive requests from {h['clients']} clients, slowest {h['slowest_s']} s,"
                     f" statuses {h['statuses']}, {h['over_allowed']} over the time limit + {HOSTILE_MARGIN_S:.0f} s"
                     f" ({h['allowed_s']:.0f} s)")
    for sample in r["error_samples"]:
        lines.append("  error: " + sample)
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", default=str(ROOT / "kb.db"))
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    ap.add_argument("--max-requests", type=int, default=200_000, help="stop after this many requests")
    ap.add_argument("--json", dest="json_out", help="also write the figures to this file")
    ap.add_argument("--hostile", type=int, default=0, metavar="N",
                    help="N more clients sending abusive SQL the whole time (the normal clients must see no error,"
                         " each abusive request must end within the time limit + 2 s)")
    args = ap.parse_args(argv)
    if not Path(args.db).exists():
        ap.error(f"{args.db} does not exist (make kb.db builds it)")
    with serve(args.db) as (base, proc):
        print(f"serving {args.db} at {base}; {args.clients} clients for {args.duration:.0f} s", file=sys.stderr)
        report = run_load(base, args.clients, args.duration, MIX, args.max_requests,
                          queries=queries_from_db(args.db), hostile=args.hostile)
        report["server_peak_rss_mb"] = peak_rss_mb(proc.pid)
    print(format_report(report))
    print(f"  server peak memory {report['server_peak_rss_mb']:.0f} MB")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
    return 1 if report["errors"] or (report["hostile"] or {}).get("over_allowed") else 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
