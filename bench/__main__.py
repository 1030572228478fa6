"""make bench: build synthetic corpora of N declarations and measure ingest and every query mode.

    python -m bench                      # N = 1,000 and 10,000 (about 10 minutes on 2 cores)
    python -m bench --sizes 100000       # larger N by option
    python -m bench --full               # 1k, 10k and 100k

Every figure is printed beside a reference measured in the same run on the same data; the
figures go to bench/results.json and the table into bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import compact, corpus, documents, loadtest

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


def pct(values: list[float], p: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1000, p)), 2) if values else float("nan")


def timed(fn, *args, repeat: int = 1):
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best, out


def memory_bandwidth_gb_s(mb: int = 512) -> float:
    """Read bandwidth of this machine: the best of 5 passes of the fastest of two read-only kernels
    over a float32 array of ``mb`` MB (numpy's sum, and BLAS's dot product, which reads two arrays)."""
    a = np.ones(mb * 1024 * 1024 // 4, dtype=np.float32)
    half = a[: a.size // 2]
    other = a[a.size // 2:]
    summed, _ = timed(a.sum, repeat=5)
    dotted, _ = timed(np.dot, half, other, repeat=5)
    return a.nbytes / min(summed, dotted) / 1e9


def run_build(db: Path, corpus_dir: Path) -> dict:
    """`kb build --no-embed` in a child process: wall time and its peak memory."""
    if db.exists():
        db.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    cmd = [str(Path(sys.executable).parent / "kb"), "build", str(db), str(corpus_dir), "--no-embed", "--silent"]
    # /usr/bin/time reports the peak memory of kb itself (a child forked from this process would
    # count the pages it shares with this one, model included)
    rss_file = db.with_suffix(".rss")
    gnu_time = shutil.which("time") if Path("/usr/bin/time").exists() else None
    if gnu_time:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"kb build failed: {proc.stderr[-2000:]}")
    rss = float(rss_file.read_text().split()[-1]) / 1024 if gnu_time else None
    return {"seconds": round(wall, 2), "peak_rss_mb": rss and round(rss, 1), "output": proc.stdout.strip()}


def review_share(build: dict) -> dict:
    """The review rules' time inside the build (per file while parsing, corpus rules at the end), as
    `kb build` reports it, against the build's wall time."""
    m = re.search(r"审核检查用时 ([\d.]+) 秒", build.get("output", ""))
    seconds = float(m.group(1)) if m else None
    return {"seconds": seconds, "share_of_ingest": round(seconds / build["seconds"], 3) if seconds is not None else None}


def parse_only(corpus_dir: Path) -> dict:
    """Reference for ingest: parsing alone, one process, same files."""
    from ingest.form import parse_text

    files = sorted(corpus_dir.glob("*.txt"))
    t0 = time.process_time()
    n = sum(len(parse_text(f.read_text("utf-8")).declarations) for f in files)
    return {"declarations": n, "per_s": round(n / (time.process_time() - t0), 1)}


def synthetic_vectors(db_path: Path, embedder, anchors: int = 64, noise: float = 0.35, seed: int = 3) -> dict:
    """Vectors for every declaration without running the model N times: the real embeddings of
    ``anchors`` declarations, each declaration getting an anchor's vector plus seeded noise, for the
    summary, the name and the indicator-name list (what search and similar projects scan).
    Scan costs depend only on the number and size of vectors, so the timings are those of real ones."""
    from sqlite_utils import Database

    from ingest.vectors import ITEM_SQL, drop_unused_vectors, item_id, iter_items, save_vectors

    db = Database(db_path)
    texts: dict[str, list[str]] = {"declaration": [], "name": [], "indicator_names": []}
    for item in iter_items(db):
        if item.kind in texts and len(texts[item.kind]) < anchors:
            texts[item.kind].append(item.text)
        if item.kind == "indicator" and all(len(v) >= anchors for v in texts.values()):
            break
    bases = {"declaration": embedder.embed_documents(texts["declaration"]),
             "name": embedder.embed_symmetric(texts["name"]),
             "indicator_names": embedder.embed_symmetric(texts["indicator_names"])}
    ids = [r[0] for r in db.execute("select id from declarations order by id")]
    rng = np.random.default_rng(seed)
    model = embedder.model_id
    t0 = time.perf_counter()
    with db.atomic():
        db.execute("delete from embeddings where model = ? and kind in ('declaration', 'name', 'indicator_names')",
                   [model])
        drop_unused_vectors(db, model)
        for kind, base in bases.items():
            for start in range(0, len(ids), 5000):
                chunk = ids[start:start + 5000]
                jitter = rng.standard_normal((len(chunk), base.shape[1])).astype(np.float32) / np.sqrt(base.shape[1])
                v = base[np.arange(start, start + len(chunk)) % len(base)] + noise * jitter
                v /= np.linalg.norm(v, axis=1, keepdims=True)
                keys = {hashlib.md5(f"synthetic:{kind}:{d}".encode()).digest(): x for d, x in zip(chunk, v)}
                vids = save_vectors(db, model, keys)
                db.conn.executemany(ITEM_SQL, [(item_id(kind, d), kind, model, d, h, vids[h], "bench")
                                               for d, h in zip(chunk, keys)])
    db.conn.close()
    return {"vectors": len(ids) * len(bases), "dim": int(bases["declaration"].shape[1]),
            "insert_seconds": round(time.perf_counter() - t0, 2)}


def embedding_overhead(corpus_dir: Path, work: Path, embedder, files: int = 2) -> dict:
    """Our embedding pipeline (embed_pending) against the model's raw encode on the same texts."""
    from sqlite_utils import Database

    from ingest.vectors import embed_pending, iter_items

    sample = work / "embed-sample"
    shutil.rmtree(sample, ignore_errors=True)
    sample.mkdir(parents=True)
    for f in sorted(corpus_dir.glob("*.txt"))[:files]:
        shutil.copy(f, sample / f.name)
    db_path = work / "embed-sample.db"
    run_build(db_path, sample)
    db = Database(db_path)
    texts = [it.text for it in iter_items(db)]
    declarations = db["declarations"].count
    embedder.embed_documents(texts[:64])  # warm up
    # the reference: every item's text through the model, as embedding worked before (one encode per item)
    raw, _ = timed(lambda: embedder.model.encode(texts, prompt=embedder.prompts()[1], batch_size=64,
                                                 normalize_embeddings=True, show_progress_bar=False))
    ours, n = timed(lambda: embed_pending(db, embedder))
    distinct = db.execute("select count(distinct content_hash) from embeddings").fetchone()[0]
    db.conn.close()
    return {"declarations": declarations, "items": n, "distinct_texts": distinct,
            "raw_encode_seconds": round(raw, 2), "raw_items_per_s": round(len(texts) / raw, 1),
            "pipeline_seconds": round(ours, 2), "speedup": round(raw / ours, 2),
            "items_per_s": round(n / ours, 1), "declarations_per_s": round(declarations / ours, 2)}


def query_mix(db_path: Path, n: int, seed: int = 11) -> list[str]:
    fixed = [q[0] for q in json.loads((ROOT / "tests" / "data" / "fts_queries.json").read_text("utf-8"))]
    fixed += [q[0] for q in json.loads((ROOT / "tests" / "data" / "semantic_queries.json").read_text("utf-8"))["queries"]]
    return list(dict.fromkeys(fixed + loadtest.queries_from_db(db_path, n, seed)))[:n]


async def datasette_search(db_path: Path, queries: list[str]) -> list[float]:
    """Datasette's built-in table search (``_search`` on the declarations table) in-process."""
    from ingest.serve import make_datasette

    ds = make_datasette(db_path, sql_time_limit_ms=10000)
    times = []
    await ds.client.get("/kb/declarations.json?_size=1")
    for q in queries:
        t0 = time.perf_counter()
        r = await ds.client.get("/kb/declarations.json", params={"_search": q, "_size": "10", "_shape": "objects"})
        times.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text[:300]
    return times


def measure_queries(db_path: Path, embedder, queries: list[str], bandwidth: float) -> dict:
    """Each query mode, one query at a time, with one torch and one BLAS thread, as the server runs
    them (two threads each on two cores spin against each other: a 28 ms encode took 120 ms)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - sentence-transformers brings it
        import contextlib

        threadpool_limits = lambda limits: contextlib.nullcontext()  # noqa: E731
    try:
        with threadpool_limits(limits=1):
            return _measure_queries(db_path, embedder, queries, bandwidth)
    finally:
        torch.set_num_threads(threads)


def _measure_queries(db_path: Path, embedder, queries: list[str], bandwidth: float) -> dict:
    from sqlite_utils import Database

    from ingest import query
    from ingest.query import search_declarations
    from ingest.vectors import declaration_text, load_index

    from ingest.query import cache

    def uncached(fn, *a):
        cache.clear()  # measure the work, not the answer cache (the load test measures with it)
        return timed(fn, *a)[0]

    db = Database(db_path)
    out: dict = {}
    search_declarations(db, queries[0], 10)
    fts = [uncached(search_declarations, db, q, 10) for q in queries]
    out["fts"] = {"p50_ms": pct(fts, 50), "p95_ms": pct(fts, 95)}
    ds = asyncio.run(datasette_search(db_path, queries))
    out["datasette_search"] = {"p50_ms": pct(ds, 50), "p95_ms": pct(ds, 95)}

    index = load_index(db, embedder.model_id, "declaration")
    n, dim = len(index.ids), index.dim
    floor_ms = index.codes.nbytes / (bandwidth * 1e9) * 1000  # reading the int8 copies once
    encode, scan, plain, e2e = [], [], [], []
    matrix = index.exact(db)  # the stored vectors as float32: the reference scan reads these
    for q in queries:
        embedder.queries.clear()  # measure the model, not the cache
        t, v = timed(lambda: embedder.embed_queries([q])[0])
        encode.append(t)
        scan.append(timed(lambda: index.top(v, 10, db=db))[0])

        def brute(v=v):
            s = matrix @ v
            idx = np.argpartition(-s, 10)[:10]
            return idx[np.argsort(-s[idx])]

        plain.append(timed(brute)[0])
        embedder.queries.clear()
        e2e.append(uncached(query.semantic_search, db, embedder, q, 10))
    out["semantic"] = {
        "vectors": n, "dim": dim, "bytes": int(index.nbytes), "float32_bytes": int(matrix.nbytes),
        "floor_ms": round(floor_ms, 3),
        "scan_p50_ms": pct(scan, 50), "scan_p95_ms": pct(scan, 95),
        "numpy_p50_ms": pct(plain, 50), "numpy_p95_ms": pct(plain, 95),
        "scan_p95_over_floor": round(pct(scan, 95) / floor_ms, 2) if floor_ms else None,
        "encode_p50_ms": pct(encode, 50), "end_to_end_p50_ms": pct(e2e, 50), "end_to_end_p95_ms": pct(e2e, 95),
    }
    hybrid = []
    for q in queries:
        embedder.queries.clear()
        hybrid.append(uncached(query.hybrid_search, db, embedder, q, 10))
    out["hybrid"] = {"p50_ms": pct(hybrid, 50), "p95_ms": pct(hybrid, 95)}
    ids = [r[0] for r in db.execute("select id from declarations order by random() limit ?", [len(queries)])]
    query.similar(db, embedder.model_id, ids[0], 10)  # load the centred vectors once
    sims = [uncached(query.similar, db, embedder.model_id, i, 10) for i in ids]
    from ingest.query.similarity import load_profiles

    prof = load_profiles(db, embedder.model_id)
    sim_bytes = sum(m.nbytes for m in prof.vectors.values())
    sim_floor = sim_bytes / (bandwidth * 1e9) * 1000
    drafts = [r[0] for r in db.execute("select name || char(10) || coalesce(overview, '') from declarations"
                                       " order by random() limit ?", [max(5, len(queries) // 4)])]
    draft_times, draft_encode, draft_rest = [], [], []
    for text in drafts:
        d = query.read_draft(text=text)
        embedder.queries.clear()
        draft_times.append(uncached(query.similar_to_draft, db, embedder, d, 10))
        # the same encodings the draft needs (its summary as a passage, its name and indicator list
        # as symmetric texts), timed alone: what is left of the draft's time is the search itself
        symmetric = [t for t in (d.name, "；".join(n for *_x, n, _v in d.indicators if n)[:500]) if t]
        summary = declaration_text(d.name, d.overview, d.goal, d.necessity)
        draft_encode.append(timed(lambda: (embedder.embed_documents([summary]) if summary else None,
                                           embedder.embed_symmetric(symmetric) if symmetric else None))[0])
        draft_rest.append(max(0.0, draft_times[-1] - draft_encode[-1]))
    out["similar"] = {"p50_ms": pct(sims, 50), "p95_ms": pct(sims, 95), "floor_ms": round(sim_floor, 3),
                      "p95_over_floor": round(pct(sims, 95) / sim_floor, 2) if sim_floor else None,
                      "draft_p50_ms": pct(draft_times, 50), "draft_p95_ms": pct(draft_times, 95),
                      "draft_encode_p50_ms": pct(draft_encode, 50), "draft_encode_p95_ms": pct(draft_encode, 95),
                      "draft_less_encode_p95_ms": pct(draft_rest, 95),
                      "draft_less_encode_p95_over_floor": round(pct(draft_rest, 95) / sim_floor, 2) if sim_floor
                      else None}
    db.conn.close()
    return out


# what N declarations take, measured at N = 100,000 (bench/README.md): the corpus files, the
# database with vectors and the kept word scores, the build's peak memory and the server's
BYTES_PER_DECLARATION = {"corpus": 5_200, "database": 49_000}
MEMORY_PER_DECLARATION = {"build": 7_000, "server": 12_000}


def largest_that_fits(work: Path) -> tuple[int, str]:
    """The largest of 1M, 500k, 200k and 100k declarations whose corpus and database fit in the free
    disk (with a fifth to spare) and whose build and server fit in memory; and why."""
    free = shutil.disk_usage(work).free
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for n in (1_000_000, 500_000, 200_000, 100_000):
        disk = n * sum(BYTES_PER_DECLARATION.values()) * 1.2
        ram = n * max(MEMORY_PER_DECLARATION.values())
        if disk <= free and ram <= memory:
            return n, (f"needs about {disk / 1e9:.0f} GB of disk ({free / 1e9:.0f} free) and {ram / 1e9:.0f} GB of"
                       f" memory ({memory / 1e9:.0f})")
    return 100_000, f"only {free / 1e9:.0f} GB of disk free: the smallest scale point"


def run_size(n: int, args, work: Path, embedder, bandwidth: float) -> dict:
    print(f"\n== N = {n:,}", file=sys.stderr)
    corpus_dir = work / f"corpus-{n}"
    stamp = corpus_dir / ".complete"
    if not stamp.exists():
        shutil.rmtree(corpus_dir, ignore_errors=True)
        t, files = timed(corpus.generate, n, corpus_dir, args.seed)
        stamp.write_text(str(len(files)))
        print(f"corpus: {n:,} declarations in {len(files)} files, {t:.1f} s", file=sys.stderr)
    db_path = work / f"kb-{n}.db"
    saved = work / f"kb-{n}.build.json"
    if args.reuse_builds and db_path.exists() and saved.exists():
        build = json.loads(saved.read_text("utf-8"))  # measured by an earlier run on this corpus
    else:
        build = run_build(db_path, corpus_dir)
        build["parse_only"] = parse_only(corpus_dir) if n <= 10_000 else None
        build["db_mb"] = round(db_path.stat().st_size / 2**20, 1)
        saved.write_text(json.dumps(build, ensure_ascii=False), "utf-8")
    print(f"build: {build['seconds']} s ({n / build['seconds']:.1f} declarations/s), {build['output']}", file=sys.stderr)
    ref = build.get("parse_only")
    result = {
        "n": n, "corpus_bytes": sum(f.stat().st_size for f in corpus_dir.glob("*.txt")),
        "ingest": {"seconds": build["seconds"], "declarations_per_s": round(n / build["seconds"], 1),
                   "peak_rss_mb": build["peak_rss_mb"], "parse_only_per_s_one_process": ref and ref["per_s"],
                   "summary": build["output"]},
        "db_mb_before_vectors": build.get("db_mb") or round(db_path.stat().st_size / 2**20, 1),
    }
    result["vectors"] = synthetic_vectors(db_path, embedder)
    result["db_mb"] = round(db_path.stat().st_size / 2**20, 1)
    result["vector_storage"] = compact.storage(db_path)
    result["vector_memory"] = compact.memory(db_path, embedder.model_id)
    result["review"] = review_share(build)
    result["review"]["findings"] = sqlite3.connect(db_path).execute("select count(*) from findings").fetchone()[0]
    print(f"review: {result['review']}", file=sys.stderr)
    queries = query_mix(db_path, args.queries)
    result["queries"] = len(queries)
    result.update(measure_queries(db_path, embedder, queries, bandwidth))
    print(f"queries: {json.dumps({k: result[k] for k in ('fts', 'datasette_search', 'semantic', 'hybrid', 'similar')}, ensure_ascii=False)}",
          file=sys.stderr)
    with loadtest.serve(db_path) as (base, proc):
        load = loadtest.run_load(base, args.clients, args.load_seconds, loadtest.MIX,
                                 queries=loadtest.queries_from_db(db_path, 300))
        alone = {}
        for name in ("fulltext", "search (hybrid)"):
            alone[name] = loadtest.run_load(base, args.clients, args.load_seconds / 2, {name: loadtest.MIX[name]},
                                            queries=loadtest.queries_from_db(db_path, 300, seed=23))
        alone["fulltext, every query new"] = loadtest.run_load(
            base, args.clients, args.load_seconds / 2, {"fulltext": loadtest.MIX["fulltext"]},
            queries=loadtest.queries_from_db(db_path, 300, seed=29), fresh=True)
        load["server_peak_rss_mb"] = loadtest.peak_rss_mb(proc.pid)
        pages = loadtest.run_load(base, 2, args.load_seconds / 2, loadtest.PAGES,
                                  queries=loadtest.queries_from_db(db_path, 300, seed=31))
    result["load"] = load
    result["pages"] = pages
    result["load_alone"] = alone
    print(loadtest.format_report(load), file=sys.stderr)
    for name, r in alone.items():
        print(f"{name} alone: " + loadtest.format_report(r).splitlines()[0], file=sys.stderr)
    return result


def table(results: dict) -> str:
    rows = [
        ("ingest, parse + store + FTS (declarations/s)", lambda r: r["ingest"]["declarations_per_s"],
         "≥ 100", lambda r: "parse alone, 1 process: " + ", ".join(
             f"{x['ingest']['parse_only_per_s_one_process']} (N = {x['n']:,})" for x in results["sizes"]
             if x["ingest"]["parse_only_per_s_one_process"])),
        ("ranked full-text p50 / p95 (ms)", lambda r: f"{r['fts']['p50_ms']} / {r['fts']['p95_ms']}", "p95 ≤ 30",
         lambda r: f"Datasette `_search`: {r['datasette_search']['p50_ms']} / {r['datasette_search']['p95_ms']}"),
        ("semantic top-10 scan p50 / p95 (ms)", lambda r: f"{r['semantic']['scan_p50_ms']} / {r['semantic']['scan_p95_ms']}",
         "≤ 1.5× floor", lambda r: f"floor {r['semantic']['floor_ms']}; numpy {r['semantic']['numpy_p50_ms']} / "
                                     f"{r['semantic']['numpy_p95_ms']}; ratio {r['semantic']['scan_p95_over_floor']}×"),
        ("semantic end to end p50 / p95 (ms)", lambda r: f"{r['semantic']['end_to_end_p50_ms']} / "
                                                          f"{r['semantic']['end_to_end_p95_ms']}",
         "", lambda r: f"query encode p50 {r['semantic']['encode_p50_ms']}"),
        ("hybrid p50 / p95 (ms)", lambda r: f"{r['hybrid']['p50_ms']} / {r['hybrid']['p95_ms']}", "", lambda r: ""),
        ("similar, stored declaration p50 / p95 (ms)", lambda r: f"{r['similar']['p50_ms']} / {r['similar']['p95_ms']}",
         "≤ 1.5× floor", lambda r: f"floor {r['similar']['floor_ms']} (3 vector sets); ratio {r['similar']['p95_over_floor']}×"),
        ("similar, pasted draft p50 / p95 (ms)", lambda r: f"{r['similar']['draft_p50_ms']} / {r['similar']['draft_p95_ms']}",
         "≤ 1.5× floor + encode", lambda r: f"encode of the same texts p50 / p95 {r['similar']['draft_encode_p50_ms']}"
                                            f" / {r['similar'].get('draft_encode_p95_ms')}; draft less its encode p95 "
                                            f"{r['similar'].get('draft_less_encode_p95_ms')} = "
                                            f"{r['similar'].get('draft_less_encode_p95_over_floor')}× floor"),
        ("HTTP, 8 clients, all endpoints (req/s, p95 ms)",
         lambda r: f"{r['load']['requests_per_s']}, {r['load']['p95_ms']}", "", lambda r: f"errors {r['load']['errors']}"),
        ("HTTP full-text search endpoint alone, 8 clients (req/s, p95 ms)",
         lambda r: f"{r['load_alone']['fulltext']['requests_per_s']}, {r['load_alone']['fulltext']['p95_ms']}",
         "≥ 200 at p95 ≤ 100", lambda r: f"errors {r['load_alone']['fulltext']['errors']}; queries repeat as in"
                                         " the mix (response cache answers repeats)"),
        ("HTTP full-text endpoint alone, every query new, 8 clients (req/s, p95 ms)",
         lambda r: f"{r['load_alone']['fulltext, every query new']['requests_per_s']}, "
                   f"{r['load_alone']['fulltext, every query new']['p95_ms']}" if "fulltext, every query new"
                   in r["load_alone"] else "—",
         "", lambda r: "response cache bypassed: every answer computed"),
        ("HTTP hybrid search endpoint alone, 8 clients (req/s, p95 ms)",
         lambda r: f"{r['load_alone']['search (hybrid)']['requests_per_s']}, "
                   f"{r['load_alone']['search (hybrid)']['p95_ms']}", "", lambda r: "model encodes each new query"),
        ("review rules during the build (s; share of ingest time)",
         lambda r: f"{r['review']['seconds']}; {r['review']['share_of_ingest']:.0%}" if r.get("review") else "—",
         "≤ 10% of ingest", lambda r: f"{r['review']['findings']} findings" if r.get("review") else ""),
        ("pages, 2 clients: search page / declarations table with facets, p95 (ms)",
         lambda r: f"{r['pages']['endpoints']['search page']['p95_ms']} / "
                   f"{r['pages']['endpoints']['declarations table']['p95_ms']}" if r.get("pages") else "—",
         "p95 ≤ 300", lambda r: f"errors {r['pages']['errors']}" if r.get("pages") else ""),
        ("database size (MB)", lambda r: r["db_mb"], "", lambda r: f"before vectors {r['db_mb_before_vectors']}"),
        ("vectors held in memory per declaration (bytes)",
         lambda r: r["vector_memory"]["held_per_declaration"] if r.get("vector_memory") else "—", "",
         lambda r: f"as float32 per item: {r['vector_memory']['float32_per_declaration']}"
                   f" ({r['vector_memory']['ratio']}×)" if r.get("vector_memory") else ""),
        ("peak memory: build / serve (MB)", lambda r: f"{r['ingest']['peak_rss_mb']} / {r['load']['server_peak_rss_mb']:.0f}",
         "", lambda r: ""),
    ]
    sizes = results["sizes"]
    head = "| figure | " + " | ".join(f"N = {r['n']:,}" for r in sizes) + " | target | reference (same run, largest N) |"
    lines = [head, "|" + "---|" * (len(sizes) + 3)]
    for name, value, target, ref in rows:
        lines.append(f"| {name} | " + " | ".join(str(value(r)) for r in sizes) + f" | {target} | {ref(sizes[-1])} |")
    e = results["embedding"]
    lines.append(f"| embeddings, first {e['declarations']} declarations (declarations/s, items/s) | "
                 f"{e['declarations_per_s']}, {e['items_per_s']} " + "| " * (len(sizes) - 1)
                 + f"| ≥ 5× raw | raw encode of every item: {e['raw_items_per_s']} items/s; {e['items']} items, "
                 f"{e['distinct_texts']} distinct texts; speedup {e['speedup']}× |")
    lines += ["", "| real documents | value | target | reference (same run) |", "|---|---|---|---|",
              documents.table_row(results.get("documents")), documents.ocr_row(results.get("ocr"))]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated N (default 1000,10000)")
    ap.add_argument("--full", action="store_true", help="N = 1,000, 10,000 and 100,000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=int, default=60, help="queries per mode")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--load-seconds", type=float, default=20)
    ap.add_argument("--workdir", default=str(HERE / "corpus"), help="corpora and databases (git-ignored)")
    ap.add_argument("--out", default=str(HERE / "results.json"))
    ap.add_argument("--reuse-builds", action="store_true",
                    help="keep databases built by an earlier run (and its ingest figures); re-measure queries")
    ap.add_argument("--scale", action="store_true",
                    help="only the largest N this machine can hold, 1,000,000 if it fits (make bench-scale)")
    args = ap.parse_args(argv)
    sizes = [1000, 10_000, 100_000] if args.full else [int(x) for x in args.sizes.split(",")]
    if args.scale:
        n, reason = largest_that_fits(Path(args.workdir))
        print(f"largest point: N = {n:,} ({reason})", file=sys.stderr)
        sizes = [n]
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    from ingest.embedders import get_embedder

    started = time.perf_counter()
    bandwidth = memory_bandwidth_gb_s()
    embedder = get_embedder()
    load_s, _ = timed(lambda: embedder.model)
    print(f"memory read bandwidth {bandwidth:.1f} GB/s; model loaded in {load_s:.1f} s", file=sys.stderr)
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "memory_read_gb_s": round(bandwidth, 2)},
        "model": embedder.model_id, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    first_corpus = work / f"corpus-{sizes[0]}"
    results["documents"] = documents.run_documents(work)
    results["ocr"] = documents.run_ocr(work)
    results["sizes"] = []
    for n in sizes:
        results["sizes"].append(run_size(n, args, work, embedder, bandwidth))
        if n == sizes[0]:
            results["embedding"] = embedding_overhead(first_corpus, work, embedder)
            print(f"embedding: {results['embedding']}", file=sys.stderr)
    results["seconds"] = round(time.perf_counter() - started, 1)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2), "utf-8")
    text = table(results)
    print(text)
    readme = HERE / "README.md"
    if readme.exists():
        body = readme.read_text("utf-8")
        body = re.sub(r"(<!-- results -->\n).*?(\n<!-- /results -->)",
                      lambda m: m.group(1) + f"Measured {results['started']} on {os.cpu_count()} CPUs, "
                      f"{bandwidth:.1f} GB/s memory read, in {results['seconds']:.0f} s:\n\n" + text + m.group(2),
                      body, flags=re.S)
        readme.write_text(body, "utf-8")
    print(f"\nwrote {args.out} ({results['seconds']:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
