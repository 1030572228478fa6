"""The relevance floor judged: recall@3 and MRR of every way of searching on the judged queries
(tests/data/fts_queries.json, tests/data/semantic_queries.json), and what queries with no answer
get (tests/data/noanswer_queries.json: results, of which unmarked), on the seed corpus and on the
seed + real-form corpus of ``bench.similarity`` (both with the default model).

    .venv/bin/python -m bench.relevance              # builds the corpora if needed (a minute)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT / "tests" / "data"
SEEDS_DB = HERE / "corpus" / "relevance-seeds.db"


def metrics(pairs: list[tuple[list[str], set[str]]]) -> tuple[float, float]:
    hits3 = rr = 0.0
    for ranked, relevant in pairs:
        hits3 += any(r in relevant for r in ranked[:3])
        k = next((i for i, r in enumerate(ranked) if r in relevant), None)
        rr += 0 if k is None else 1 / (k + 1)
    return round(hits3 / len(pairs), 3), round(rr / len(pairs), 3)


def judge(db_path: Path) -> dict:
    """{mode: {"fulltext set": (recall@3, MRR), "meaning set": …, "all": …, "no answer": (results, unmarked)}}"""
    import sqlite3

    from ingest import query
    from ingest.embedders import get_embedder

    db = sqlite3.connect(db_path)
    embedder = get_embedder(None)
    names = dict(db.execute("select id, name from declarations"))
    fts = json.loads((DATA / "fts_queries.json").read_text("utf-8"))
    meaning = json.loads((DATA / "semantic_queries.json").read_text("utf-8"))["queries"]
    none = json.loads((DATA / "noanswer_queries.json").read_text("utf-8"))["queries"]
    out = {}
    for mode in ("hybrid", "fulltext", "semantic"):
        def run(q):
            return query.rank_declarations(db, q, mode, embedder if mode != "fulltext" else None).hits[:20]

        ranked = {q: [names[h.id] for h in run(q)] for q, _ in fts + meaning}
        empty = [run(q) for q in none]
        out[mode] = {"fulltext set": metrics([(ranked[q], set(r)) for q, r in fts]),
                     "meaning set": metrics([(ranked[q], set(r)) for q, r in meaning]),
                     "all": metrics([(ranked[q], set(r)) for q, r in fts + meaning]),
                     "no answer": (sum(len(h) for h in empty), sum(1 for h in empty for x in h if not x.weak))}
    return out


def main() -> None:
    from bench.similarity import DB as SIMILARITY_DB, build_corpus

    if not SEEDS_DB.exists():
        SEEDS_DB.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(Path(sys.executable).parent / "kb"), "build", str(SEEDS_DB), str(ROOT / "data"), "--silent"],
                       check=False)
    if not SIMILARITY_DB.exists():
        build_corpus(SIMILARITY_DB)
    print("| corpus | mode | full-text queries (40) | meaning queries (15) | all | no-answer queries (15): results / unmarked |")
    print("|---|---|---|---|---|---|")
    for label, path in (("16 seed forms", SEEDS_DB), ("68 seed and real forms", SIMILARITY_DB)):
        for mode, r in judge(path).items():
            print(f"| {label} | {mode} | {r['fulltext set'][0]:.3f} / {r['fulltext set'][1]:.3f} | "
                  f"{r['meaning set'][0]:.3f} / {r['meaning set'][1]:.3f} | {r['all'][0]:.3f} / {r['all'][1]:.3f} | "
                  f"{r['no answer'][0]} / {r['no answer'][1]} |")


if __name__ == "__main__":
    main()
