"""Accuracy on whole department budget documents (部门预算公开 PDFs in ../shared/corpus/budget-pdfs/),
against hand-read expectations in tests/data/budget_pdfs/ (the PDFs are never copied here).

    .venv/bin/python -m tests.budget_docs            # the table per city
    .venv/bin/python -m tests.budget_docs -v         # and every miss
    .venv/bin/python -m tests.budget_docs 福州 烟台   # only these cities

For every document: the projects expected (forms and listed projects), the declarations read, how
many are found (at most as many as expected) and how many are spurious (read beyond those
expected). For every hand-read project: found by its name, its funds right (in 元) and its three
sample indicators found with their values.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tests.realworld import norm, same_value

EXPECTED = Path(__file__).resolve().parent / "data" / "budget_pdfs"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "budget-pdfs"


@dataclass
class CityScore:
    documents: int = 0
    expected: int = 0
    found: int = 0
    spurious: int = 0
    empty_ok: int = 0  # documents without project content that gave nothing
    empty_docs: int = 0
    failures: int = 0
    sampled: int = 0
    named: int = 0
    matched: int = 0
    funds_right: int = 0
    funds_total: int = 0
    years_right: int = 0
    depts_right: int = 0
    depts_total: int = 0
    indicators_right: int = 0  # forms whose three sample indicators were all found
    pairs_right: int = 0
    pairs: int = 0
    pages: int = 0
    seconds: float = 0.0
    misses: list = field(default_factory=list)

    def add(self, other: "CityScore") -> None:
        for k, v in vars(other).items():
            if k == "misses":
                self.misses += v
            else:
                setattr(self, k, getattr(self, k) + v)


def load_expectations() -> tuple[dict[str, dict], list[dict]]:
    documents: dict[str, dict] = {}
    projects: list[dict] = []
    for f in sorted(EXPECTED.glob("*.json")):
        data = json.loads(f.read_text("utf-8"))
        for d in data["documents"]:
            documents[d["file"]] = d
        projects.extend(data["projects"])
    return documents, projects


def city_of(file: str) -> str:
    return file.split("__")[0].split("_", 1)[1]


def read_file(path: Path):
    """(declarations, error, pages) as ``kb build`` reads the file."""
    from ingest.build import prepare_file

    prep = prepare_file(path)
    return (prep.result.declarations if prep.result else []), prep.error


def _match(declarations, project):
    want = norm(project["name"])
    same = [d for d in declarations if norm(d.name) == want]
    if same:  # several projects of one name (实施公车统管 of several units): its unit's, on its page
        return min(same, key=lambda d: (project.get("dept") is not None and norm(d.dept_name) != norm(project["dept"]),
                                        abs((d.page or 0) - project.get("page", 0))))
    # a name wrapped or cut differently: the one sharing the most sample indicators
    samples = {norm(s["name"]) for s in project["samples"]}
    best, best_n = None, 0
    for d in declarations:
        n = len(samples & {norm(i.name) for i in d.indicators})
        if n > best_n:
            best, best_n = d, n
    return best if best_n >= 2 else None


def _funds(d) -> float | None:
    return d.funds_total if d.funds_total is not None else d.funds_annual


def _one_ocr_thread() -> None:
    os.environ["KB_OCR_THREADS"] = "1"


def _timed_read(path: Path):
    started = time.perf_counter()
    declarations, error = read_file(path)
    return declarations, error, time.perf_counter() - started


def score_document(path: Path, expected: dict, projects: list[dict], read=None) -> CityScore:
    s = CityScore(documents=1, pages=expected.get("pages", 0))
    declarations, error, s.seconds = read if read is not None else _timed_read(path)
    n, got = expected["projects"], len(declarations)
    if error:
        s.failures = 1
        s.misses.append((path.name, "failed", error))
    s.expected, s.found, s.spurious = n, min(n, got), max(0, got - n)
    if n == 0:
        s.empty_docs = 1
        s.empty_ok = int(got == 0 and not error)
    if got != n:
        s.misses.append((path.name, f"projects expected {n}, read {got}",
                         [d.name for d in declarations][:8] if got > n else ""))
    for p in projects:
        s.sampled += 1
        d = _match(declarations, p)
        if d is None:
            s.misses.append((path.name, "not found", p["name"]))
            continue
        s.matched += 1
        s.named += norm(d.name) == norm(p["name"])
        if norm(d.name) != norm(p["name"]):
            s.misses.append((path.name, "name", p["name"], d.name))
        if p.get("funds") is not None:
            s.funds_total += 1
            got_funds = _funds(d)
            ok = got_funds is not None and abs(got_funds - p["funds"]) < 1.0
            s.funds_right += ok
            if not ok:
                s.misses.append((path.name, "funds", p["name"], p["funds"], got_funds))
        s.years_right += d.year == p.get("year")
        if d.year != p.get("year"):
            s.misses.append((path.name, "year", p["name"], p.get("year"), d.year))
        if p.get("dept"):
            s.depts_total += 1
            ok = norm(d.dept_name) == norm(p["dept"])
            s.depts_right += ok
            if not ok:
                s.misses.append((path.name, "dept", p["name"], p["dept"], d.dept_name))
        found = 0
        for sample in p["samples"]:
            s.pairs += 1
            hit = any(norm(i.name) == norm(sample["name"]) and (norm(i.value) == norm(sample["value"])
                                                                or same_value(i.value, sample["value"]))
                      for i in d.indicators)
            found += hit
            if not hit:
                close = [(i.name, i.value) for i in d.indicators if norm(i.name) == norm(sample["name"])]
                s.misses.append((path.name, "indicator", p["name"], sample["name"], sample["value"],
                                 close[0] if close else "not found"))
        s.pairs_right += found
        s.indicators_right += found == len(p["samples"])
    return s


def evaluate(cities: list[str] | None = None) -> tuple[CityScore, dict[str, CityScore]]:
    documents, projects = load_expectations()
    by_file: dict[str, list[dict]] = defaultdict(list)
    for p in projects:
        by_file[p["file"]].append(p)
    total, per_city = CityScore(), defaultdict(CityScore)
    names = [n for n in sorted(documents) if not cities or city_of(n) in cities]
    # read in one process per CPU, as kb build does (OCR of the scanned documents is most of the time)
    from concurrent.futures import ProcessPoolExecutor

    # the longest reads first (scans go to OCR), one OCR thread per process, as kb build runs them
    order = sorted(names, key=lambda n: -(CORPUS / n).stat().st_size)
    with ProcessPoolExecutor(max(1, os.cpu_count() or 1), initializer=_one_ocr_thread) as pool:
        reads = dict(zip(order, pool.map(_timed_read, [CORPUS / n for n in order])))
    for name in names:
        s = score_document(CORPUS / name, documents[name], by_file.get(name, []), reads[name])
        city = city_of(name)
        per_city[city].add(s)
        total.add(s)
    return total, dict(per_city)


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({a / b:.0%})" if b else "-"


def table(total: CityScore, per_city: dict[str, CityScore]) -> str:
    lines = ["| city | documents | projects expected | found | spurious | empty docs → 0 | failures | "
             "sampled: named | funds right | year right | department right | 3 indicators right | pages/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for city, s in sorted(per_city.items(), key=lambda kv: -kv[1].expected) + [("all", total)]:
        rate = f"{s.pages / s.seconds:.0f}" if s.seconds else "-"
        lines.append(f"| {city} | {s.documents} | {s.expected} | {_pct(s.found, s.expected)} | {s.spurious} | "
                     f"{_pct(s.empty_ok, s.empty_docs)} | {s.failures} | {_pct(s.named, s.sampled)} | "
                     f"{_pct(s.funds_right, s.funds_total)} | {_pct(s.years_right, s.matched)} | "
                     f"{_pct(s.depts_right, s.depts_total)} | {_pct(s.indicators_right, s.sampled)} | {rate} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}")
        return 1
    cities = [a for a in argv if not a.startswith("-")]
    total, per_city = evaluate(cities or None)
    print(table(total, per_city))
    if "-v" in argv:
        for m in total.misses:
            print("  ", m)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
