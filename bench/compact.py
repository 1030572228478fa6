"""Compact vectors: bytes per declaration stored and held in memory, the int8 scan with exact
rescoring against an exact float32 scan of the same vectors, and the judged recall.

    python -m bench.compact storage DB [DB ...]      # vector bytes per declaration, stored (either schema)
    python -m bench.compact memory DB --model M      # bytes held in memory by search and similar projects
    python -m bench.compact agreement DB --model M   # int8 + rescoring against exact float32, same queries
    python -m bench.compact judged WORKDIR           # judged recall (semantic, hybrid, similar projects)

``judged`` uses only APIs older builds have too, so the same command run in an older checkout
gives the figures before.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def storage(db_path: str | Path) -> dict:
    """Vector bytes per declaration: the vector data stored (float32 blobs, one per item, before
    m020; two int8 levels with their scales and bound, one per distinct text, after), and the pages
    of the tables holding them (rows, keys and indexes included), from SQLite's dbstat."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    n = conn.execute("select count(*) from declarations").fetchone()[0]
    items = conn.execute("select count(*) from embeddings").fetchone()[0]
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    if "vectors" in tables:
        # both int8 levels and their two float32 scales (the rounding bound is for the scan only,
        # counted too)
        vectors, blob = conn.execute("select count(*), coalesce(sum(length(codes) + length(fine) + 12), 0)"
                                     " from vectors").fetchone()
        exact = vectors * 4 * conn.execute("select coalesce(max(length(codes)), 0) from vectors").fetchone()[0]
        names = ("embeddings", "vectors")
    else:
        vectors, blob = conn.execute("select count(*), coalesce(sum(length(embedding)), 0) from embeddings").fetchone()
        exact = blob
        names = ("embeddings",)
    pages = {}
    try:
        for name in names:
            pages[name] = conn.execute(
                "select coalesce(sum(pgsize), 0) from dbstat where name = ? or name in"
                " (select name from sqlite_master where type = 'index' and tbl_name = ?)", [name, name]).fetchone()[0]
    except sqlite3.OperationalError:  # SQLite built without dbstat
        pages = {}
    conn.close()
    return {"declarations": n, "items": items, "stored_vectors": vectors, "vector_bytes": blob,
            "as_float32_bytes": exact, "vector_bytes_per_declaration": round(blob / n, 1) if n else None,
            "table_bytes": pages, "table_bytes_per_declaration": round(sum(pages.values()) / n, 1) if n and pages
            else None}


def memory(db_path: str | Path, model: str) -> dict:
    """What semantic search (declaration vectors) and similar projects (three centred sets and
    their projection) hold, against float32 copies of the same vectors, one per item."""
    from ingest.query.similarity import load_profiles
    from ingest.store import open_db
    from ingest.vectors import load_index

    db = open_db(db_path)
    index = load_index(db, model, "declaration")
    prof = load_profiles(db, model)
    n, dim = len(prof.ids), index.dim
    held = index.nbytes + prof.nbytes
    # as before: the declaration, name and indicator-name indexes as float32 per item, the three
    # centred float32 sets and the float32 projection
    items = {kind: db.execute("select count(*) from embeddings where model = ? and kind = ?",
                              [model, kind]).fetchone()[0] for kind in ("declaration", "name", "indicator_names")}
    before = sum(items.values()) * dim * 4 + len(prof.vectors) * n * dim * 4 + (
        prof.projected.size * 4 if prof.projected is not None else 0)
    return {"declarations": n, "dim": dim, "held_bytes": held, "held_per_declaration": round(held / n, 1),
            "float32_bytes": before, "float32_per_declaration": round(before / n, 1),
            "ratio": round(before / held, 2), "index_bytes": index.nbytes, "profiles_bytes": prof.nbytes}


def _exact_matrix(db, index) -> np.ndarray:
    """Every item's exact vector as one float32 matrix (what search scanned before)."""
    return index.exact(db)


def agreement(db_path: str | Path, model: str, queries: int = 60, seed: int = 5) -> dict:
    """The int8 scan with exact rescoring against an exact float32 scan: the same results and
    scores for semantic top 10 and the hybrid depth (50), and for similar projects the same top
    10 with the candidate scan over int8 against one over exact float32 centred vectors."""
    from ingest.query import similarity as sim
    from ingest.query.centred import Centred
    from ingest.quantized import top_indices
    from ingest.store import open_db
    from ingest.vectors import load_index

    db = open_db(db_path)
    index = load_index(db, model, "declaration")
    exact = _exact_matrix(db, index)
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(index.ids), size=min(queries, len(index.ids)), replace=False)
    same = {10: 0, 50: 0}
    rescored, t_int8, t_float = [], [], []
    for p in picks:
        # a query near a declaration, as a real query is near what it finds
        q = exact[p] + 0.5 * rng.standard_normal(exact.shape[1]).astype(np.float32) / np.sqrt(exact.shape[1])
        q /= np.linalg.norm(q)
        for k in (10, 50):
            t0 = time.perf_counter()
            got = index.top(q, k, db=db)
            t_int8.append(time.perf_counter() - t0) if k == 10 else None
            rescored.append(index.last_rescored) if k == 10 else None
            t0 = time.perf_counter()
            scores = exact @ q
            ref = [(index.ids[i], float(scores[i])) for i in top_indices(scores, k)]
            t_float.append(time.perf_counter() - t0) if k == 10 else None
            same[k] += [i for i, _ in got] == [i for i, _ in ref] and np.allclose(
                [s for _, s in got], [s for _, s in ref], rtol=0, atol=1e-5)
    out = {"queries": len(picks), "semantic_top10_identical": same[10], "hybrid_depth50_identical": same[50],
           "rescored_p50": float(np.percentile(rescored, 50)), "rescored_p95": float(np.percentile(rescored, 95)),
           "int8_scan_p50_ms": round(float(np.percentile(t_int8, 50)) * 1000, 2),
           "float32_scan_p50_ms": round(float(np.percentile(t_float, 50)) * 1000, 2)}
    del exact
    # similar projects: candidates from int8 centred vectors against exact float32 ones
    prof = sim.load_profiles(db, model)
    ids = [prof.ids[i] for i in rng.choice(len(prof.ids), size=min(queries, len(prof.ids)), replace=False)]
    got = {i: [(h.id, h.score) for h in sim.similar(db, model, i, 10)] for i in ids}
    exact_prof = sim.Profiles(prof.ids, prof.pos, {}, prof.version)
    for feature, c in prof.vectors.items():
        full = np.zeros((len(prof.ids), c.codes.shape[1]), dtype=np.float32)
        for start in range(0, len(prof.ids), 5000):
            rows = list(range(start, min(len(prof.ids), start + 5000)))
            for r, v in zip(rows, c.exact(db, rows)):
                if v is not None:
                    full[r] = v
        exact_prof.vectors[feature] = Centred(full, np.ones(len(full), np.float32), c.mean, c.vector_ids)
    exact_prof.project()
    key = (sim.database_path(db), model)
    sim._profiles[key] = exact_prof
    try:
        ref = {i: [(h.id, h.score) for h in sim.similar(db, model, i, 10)] for i in ids}
    finally:
        sim._profiles.pop(key, None)
    out["similar_queries"] = len(ids)
    out["similar_top10_identical"] = sum(got[i] == ref[i] for i in ids)
    out["similar_top10_overlap"] = round(float(np.mean([len({a for a, _ in got[i]} & {a for a, _ in ref[i]})
                                                         / max(1, len(ref[i])) for i in ids])), 4)
    return out


def judged(workdir: str | Path) -> dict:
    """Judged recall with this checkout's code and the default model: semantic and hybrid search
    on the seeds (tests/data/semantic_queries.json, fts_queries.json: hit@3, MRR), and similar
    projects on the seeds and the real forms (tests/data/similar_pairs.json: recall@3, MRR per
    half), through query.similar as served."""
    import subprocess

    from ingest import query
    from ingest.embedders import DEFAULT_MODEL_ID, get_embedder
    from sqlite_utils import Database
    from tests.similarity_eval import SPLITS, corpus_files, evaluate, judged as judged_pairs
    from tests.test_search import metrics

    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    kb = [sys.executable, "-m", "ingest", "build"]
    seeds, pairs = work / "seeds.db", work / "pairs.db"
    for db, files in ((seeds, [str(ROOT / "data")]), (pairs, [str(f) for f in corpus_files()])):
        if not db.exists():
            subprocess.run([*kb, str(db), *files, "--silent"], check=False, capture_output=True)
    embedder = get_embedder(None)
    db = Database(seeds)
    names = {r["id"]: r["name"] for r in db.query("select id, name from declarations")}
    data = ROOT / "tests" / "data"
    para = json.loads((data / "semantic_queries.json").read_text("utf-8"))["queries"]
    combined = para + json.loads((data / "fts_queries.json").read_text("utf-8"))
    out: dict = {}
    for label, fn in (("semantic", lambda q: query.semantic_search(db, embedder, q, 10)),
                      ("hybrid", lambda q: query.hybrid_search(db, embedder, q, 10))):
        out[label] = {name: dict(zip(("hit@3", "mrr"), (round(x, 4) for x in metrics(
            [([names[r.id] for r in fn(q)], set(rel)) for q, rel in qs]))))
            for name, qs in (("paraphrase", para), ("combined", combined))}
    pdb = Database(pairs)
    queries, negatives = judged_pairs(pdb)

    def rank(qid):
        return [h.id for h in query.similar(pdb, DEFAULT_MODEL_ID, qid, 40, cutoff=None)]

    out["similar"] = {s: {k: v for k, v in evaluate(queries, negatives, rank, s).items() if k in ("recall@3", "mrr")}
                      for s in SPLITS}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("storage", "memory", "agreement", "judged"))
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--model", default="hash-384")
    ap.add_argument("--queries", type=int, default=60)
    args = ap.parse_args(argv)
    if args.what == "storage":
        out = {p: storage(p) for p in args.paths}
    elif args.what == "memory":
        out = memory(args.paths[0], args.model)
    elif args.what == "agreement":
        out = agreement(args.paths[0], args.model, args.queries)
    else:
        out = judged(args.paths[0])
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
