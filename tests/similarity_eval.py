"""Judged similar-project pairs (tests/data/similar_pairs.json) against a ranking function.

    .venv/bin/python -m tests.similarity_eval DB          # recall@3 and MRR per half, for the shipped similarity

The corpus is the seed files plus the real forms' .txt files (tests/data/realworld*/*.txt: the
parser's tuned forms and its two holdout sets), built with the default model; a query's relevant
projects must be in its top 3. Splits: ``tune`` (weights are fitted on it), ``test`` (reported, the
target) and ``holdout`` (pairs over the holdout forms, written later, reported only). The tuning and
test halves were judged against the seeds and the tuned forms only: their rankings are read over
those (a holdout form ranking high for them is unjudged, neither right nor wrong).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "tests" / "data" / "similar_pairs.json"
SPLITS = ("tune", "test", "holdout")


FORMS = ROOT / "tests" / "data"
JUDGED_AGAINST = {"tune": ("realworld",), "test": ("realworld",),
                  "holdout": ("realworld", "realworld_holdout", "realworld_holdout2")}


def corpus_files(split: str = "holdout") -> list[Path]:
    """The files a split's queries were judged against (the holdout's: all of them)."""
    return sorted((ROOT / "data").glob("*.txt")) + [f for d in JUDGED_AGAINST[split]
                                                    for f in sorted((FORMS / d).glob("*.txt"))]


def resolve(db) -> dict[tuple[str, str], str]:
    """(file name, project name) → declaration id."""
    out = {}
    for d_id, name, path in db.execute(
            "select d.id, d.name, s.path from declarations d join sources s on s.id = d.source_id"):
        out[(Path(path).name, name)] = d_id
    return out


def judged(db) -> tuple[list[dict], list[dict]]:
    """Queries with their relevant ids, and negatives (query id, not-similar ids), each with its split."""
    ids = resolve(db)
    data = json.loads(PAIRS.read_text("utf-8"))

    def key(x):
        return ids[(x["file"], x["name"])]

    pools = {s: pool(db, s) for s in SPLITS}
    queries = [{"id": key(q["query"]), "relevant": [key(r) for r in q["relevant"]], "split": q["split"],
                "name": q["query"]["name"], "pool": pools[q["split"]]} for q in data["queries"]]
    negatives = [{"id": key(n["query"]), "not_similar": [key(r) for r in n["not_similar"]], "split": n["split"],
                  "pool": pools[n["split"]]} for n in data["negatives"]]
    return queries, negatives


def pool(db, split: str) -> set[str]:
    """The declarations a split was judged against."""
    files = {p.name for p in corpus_files(split)}
    return {d_id for d_id, path in db.execute(
        "select d.id, s.path from declarations d join sources s on s.id = d.source_id") if Path(path).name in files}


def evaluate(queries: list[dict], negatives: list[dict], rank: Callable[[str], list[str]], split: str | None = None
             ) -> dict:
    """recall@3 (share of relevant projects in the top 3), MRR (of the first relevant project) and
    how many judged negatives rank in a top 3, for one half or both."""
    qs = [q for q in queries if split in (None, q["split"])]
    found = total = 0
    rr = []
    misses = []
    for q in qs:
        ranked = [r for r in rank(q["id"]) if r in q.get("pool", (r,))]
        top3 = ranked[:3]
        found += sum(r in top3 for r in q["relevant"])
        total += len(q["relevant"])
        first = next((k for k, r in enumerate(ranked) if r in q["relevant"]), None)
        rr.append(0.0 if first is None else 1.0 / (first + 1))
        if any(r not in top3 for r in q["relevant"]):
            misses.append(q["name"])
    ns = [n for n in negatives if split in (None, n["split"])]
    bad = sum(x in [r for r in rank(n["id"]) if r in n.get("pool", (r,))][:3] for n in ns for x in n["not_similar"])
    return {"queries": len(qs), "recall@3": round(found / total, 3) if total else None,
            "mrr": round(sum(rr) / len(rr), 3) if rr else None, "negatives_in_top3": bad,
            "negative_pairs": sum(len(n["not_similar"]) for n in ns), "misses": misses}


def main(argv=None) -> int:
    from ingest import query
    from ingest.embedders import get_embedder
    from ingest.store import open_db

    argv = argv if argv is not None else sys.argv[1:]
    db = open_db(argv[0])
    model = get_embedder().model_id
    queries, negatives = judged(db)

    def rank(decl_id):
        return [h.id for h in query.similar(db, model, decl_id, 40, cutoff=None)]

    for split in SPLITS:
        print(split, json.dumps(evaluate(queries, negatives, rank, split), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
