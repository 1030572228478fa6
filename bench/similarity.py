"""Fit and check the similar-projects model on the judged pairs (tests/data/similar_pairs.json).

    .venv/bin/python -m bench.similarity            # build the corpus DB if needed, fit on the tuning half,
                                                    # report both halves, write ingest/query/similarity_weights.json
    .venv/bin/python -m bench.similarity --check    # report only, with the shipped weights

The corpus: the seed files and the real forms' .txt files, built by `kb build` with the default
model. The model: logistic regression on the six signals of ``ingest.query.similarity.compare``;
positives are the judged relevant pairs of the tuning half, negatives every other declaration for
those queries (judged not-similar pairs weighted 5×). Before = raw summary-vector cosine (the
previous ranking).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DB = HERE / "corpus" / "similarity.db"
REPORT = HERE / "similarity.json"


def build_corpus(db: Path) -> None:
    from tests.similarity_eval import corpus_files

    db.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(Path(sys.executable).parent / "kb"), "build", str(db), *map(str, corpus_files()), "--silent"]
    subprocess.run(cmd, check=False)


def pair_features(db, model: str, queries: list[dict]):
    """{query id: {candidate id: (features, raw cosine)}} for every other declaration."""
    from ingest.query import similarity as sim
    from ingest.vectors import load_index

    prof = sim.load_profiles(db, model)
    rarity = sim.Rarity(db)
    profiles = sim.stored_profiles(db, prof, prof.ids)
    index = load_index(db, model, "declaration")
    raw = dict(zip(index.ids, index.exact(db)))
    out = {}
    for q in {q["id"] for q in queries}:
        out[q] = {}
        tf: dict = {}
        for c in prof.ids:
            if c == q:
                continue
            f, _ = sim.compare(rarity, profiles[q], profiles[c], tf)
            out[q][c] = ([f[k] for k in sim.FEATURES], float(raw[q] @ raw[c]))
    return out


def fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 0.05):
    """Weighted L2-regularised logistic regression on standardised features, every signal's weight
    ≥ 0 (sharing more can only make two projects more alike); coefficients for the raw features."""
    from scipy.optimize import minimize

    mu, sd = X.mean(axis=0), X.std(axis=0)
    sd[sd == 0] = 1
    Z = (X - mu) / sd

    def loss(theta):
        z = theta[0] + Z @ theta[1:]
        p = 1 / (1 + np.exp(-z))
        ll = -(w * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum() / w.sum()
        g = Z.T @ (w * (p - y)) / w.sum()
        return ll + l2 * (theta[1:] ** 2).sum(), np.concatenate([[(w * (p - y)).sum() / w.sum()], g + 2 * l2 * theta[1:]])

    bounds = [(None, None)] + [(0, None)] * X.shape[1]
    theta = minimize(loss, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds).x
    coef = theta[1:] / sd
    return coef, theta[0] - float(coef @ mu)


def training_rows(feats, queries, negatives, split_ids):
    X, y, w = [], [], []
    judged_neg = {(n["id"], c) for n in negatives if n["id"] in split_ids for c in n["not_similar"]}
    for q in queries:
        if q["id"] not in split_ids:
            continue
        for c, (f, _raw) in feats[q["id"]].items():
            if c not in q["pool"]:  # not judged for this query
                continue
            X.append(f)
            y.append(1.0 if c in q["relevant"] else 0.0)
            w.append(5.0 if (q["id"], c) in judged_neg else (3.0 if c in q["relevant"] else 1.0))
    for n in negatives:
        if n["id"] in split_ids:
            for c in n["not_similar"]:
                X.append(feats[n["id"]][c][0])
                y.append(0.0)
                w.append(5.0)
    return np.array(X), np.array(y), np.array(w)


def choose_l2(feats, queries, negatives, names, evaluate) -> float:
    """The regularisation that ranks best on held-out folds of the tuning half (3 folds by query group)."""
    tune = [q for q in queries if q["split"] == "tune"]
    folds = [tune[k::3] for k in range(3)]
    best = None
    for l2 in (0.001, 0.01, 0.03, 0.1, 0.3, 1.0):
        total = 0.0
        for k in range(3):
            held = {q["id"] for q in folds[k]}
            train_ids = {q["id"] for q in tune if q["id"] not in held}
            coef, bias = fit(*training_rows(feats, queries, negatives, train_ids), l2=l2)

            def rank(qid, coef=coef, bias=bias):
                return sorted(feats[qid], key=lambda c: (-(bias + float(np.dot(coef, feats[qid][c][0]))), c))
            r = evaluate([q for q in queries if q["id"] in held], [], rank)
            total += r["recall@3"] + r["mrr"]
        if best is None or total > best[0]:
            best = (total, l2)
    return best[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="report with the shipped weights, fit nothing")
    ap.add_argument("--rebuild", action="store_true", help="build the corpus database again")
    args = ap.parse_args(argv)
    from ingest.embedders import DEFAULT_MODEL_ID
    from ingest.query import similarity as sim
    from ingest.store import open_db
    from tests.similarity_eval import SPLITS, evaluate, judged

    if args.rebuild or not DB.exists():
        DB.unlink(missing_ok=True)
        build_corpus(DB)
    db = open_db(DB)
    queries, negatives = judged(db)
    model = DEFAULT_MODEL_ID
    t0 = time.perf_counter()
    feats = pair_features(db, model, queries + [{"id": n["id"]} for n in negatives])
    names = list(sim.FEATURES)

    def ranking(score):
        def rank(q):
            return sorted(feats[q], key=lambda c: (-score(*feats[q][c]), c))
        return rank

    before = ranking(lambda f, raw: raw)
    report = {"before": {s: evaluate(queries, negatives, before, s) for s in SPLITS}}
    if not args.check:
        tune_ids = {q["id"] for q in queries if q["split"] == "tune"} | {n["id"] for n in negatives
                                                                          if n["split"] == "tune"}
        l2 = choose_l2(feats, queries, negatives, names, evaluate)
        X, y, w = training_rows(feats, queries, negatives, tune_ids)
        report["l2"] = l2
        coef, bias = fit(X, y, w, l2=l2)
        weights = {k: round(float(v), 3) for k, v in zip(names, coef)}
        sim.WEIGHTS_FILE.write_text(json.dumps({
            "weights": weights, "bias": round(float(bias), 3),
            "fitted_on": "tuning half of tests/data/similar_pairs.json, model " + model,
            "by": "python -m bench.similarity"}, ensure_ascii=False, indent=1) + "\n", "utf-8")
        sim.set_weights(weights, round(float(bias), 3))
    after = ranking(lambda f, raw: sim.probability(dict(zip(names, f))))
    report["after"] = {s: evaluate(queries, negatives, after, s) for s in SPLITS}
    report["weights"], report["bias"] = dict(sim.model.WEIGHTS), sim.model.BIAS
    # calibration: scores of judged relevant pairs and of everything else, per half
    for s in SPLITS:
        pos = [100 * sim.probability(dict(zip(names, feats[q["id"]][c][0]))) for q in queries if q["split"] == s
               for c in q["relevant"]]
        neg = [100 * sim.probability(dict(zip(names, f))) for q in queries if q["split"] == s
               for c, (f, _r) in feats[q["id"]].items() if c not in q["relevant"]]
        report.setdefault("scores", {})[s] = {
            "relevant_median": round(float(np.median(pos)), 1), "relevant_p10": round(float(np.percentile(pos, 10)), 1),
            "others_median": round(float(np.median(neg)), 1), "others_p99": round(float(np.percentile(neg, 99)), 1),
            "relevant_above_cutoff": round(float(np.mean([p >= sim.CUTOFF for p in pos])), 3),
            "others_above_cutoff": round(float(np.mean([p >= sim.CUTOFF for p in neg])), 3)}
    report["seconds"] = round(time.perf_counter() - t0, 1)
    REPORT.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", "utf-8")
    for k in ("before", "after"):
        for s in SPLITS:
            r = report[k][s]
            print(f"{k:6} {s}: recall@3 {r['recall@3']}  MRR {r['mrr']}  negatives in top 3: "
                  f"{r['negatives_in_top3']}/{r['negative_pairs']}  misses: {', '.join(r['misses'][:6])}")
    print("weights", report["weights"], "bias", report["bias"])
    print("scores", json.dumps(report["scores"], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
