"""Accuracy of the readers and interpreter on real forms (tests/data/realworld/): each file kept
verbatim with its source address and a hand-read expectation file.

    .venv/bin/python -m tests.realworld            # the report, per province and per layout
    .venv/bin/python -m tests.realworld -v         # and every miss
    .venv/bin/python -m tests.realworld --holdout  # forms collected after the interpreter was written
    .venv/bin/python -m tests.realworld --holdout2 # a second set, collected after the first was used
    .venv/bin/python -m tests.realworld .pdf --without-rules  # the PDF copies with their rules taken away
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent / "data" / "realworld"
# forms collected after the interpreter was written, never used to change it: its unseen test
HOLDOUT = Path(__file__).resolve().parent / "data" / "realworld_holdout"
HOLDOUT2 = Path(__file__).resolve().parent / "data" / "realworld_holdout2"  # collected later still
OPS = str.maketrans({"≧": "≥", "≦": "≤", "═": "=", "＝": "=", "＞": ">", "＜": "<"})


def norm(text) -> str:
    if text is None:
        return ""
    text = unicodedata.normalize("NFKC", str(text)).translate(OPS)
    text = text.replace(">=", "≥").replace("<=", "≤")
    return "".join(text.split())


@dataclass
class Score:
    hit: int = 0
    total: int = 0
    misses: list = field(default_factory=list)

    def add(self, ok: bool, what=None):
        self.total += 1
        self.hit += ok
        if not ok and what is not None:
            self.misses.append(what)

    @property
    def rate(self) -> float:
        return self.hit / self.total if self.total else 1.0

    def __str__(self):
        return f"{self.hit}/{self.total} ({self.rate:.0%})"


@dataclass
class Report:
    names: Score = field(default_factory=Score)
    funds: Score = field(default_factory=Score)
    indicators: Score = field(default_factory=Score)  # name and value found
    categories: Score = field(default_factory=Score)  # of the found ones: level1 and level2 right
    periods: Score = field(default_factory=Score)  # of the found ones: 实施期/年度 right
    forms: Score = field(default_factory=Score)  # declarations kept (none lost, none extra)

    def merge(self, other: "Report") -> None:
        for k in ("names", "funds", "indicators", "categories", "periods", "forms"):
            mine, theirs = getattr(self, k), getattr(other, k)
            mine.hit += theirs.hit
            mine.total += theirs.total
            mine.misses += theirs.misses


@contextmanager
def without_rules():
    """PDF pages read as if printed without a single ruling line: the same characters at the same
    places, the tables' geometry left to the text alone."""
    from ingest.readers import pdfium

    kept = pdfium._segments
    pdfium._segments = lambda *a, **k: iter(())
    try:
        yield
    finally:
        pdfium._segments = kept


def cases(suffix: str = ".txt", folder: Path = HERE) -> list[tuple[Path, dict]]:
    """(input file, expectation) for every real form page; ``suffix`` picks a format's copy."""
    out = []
    for exp in sorted(folder.glob("*.json")):
        f = exp.with_suffix(".txt") if suffix == ".txt" else folder / "formats" / (exp.stem + suffix)
        if f.exists():
            out.append((f, json.loads(exp.read_text("utf-8"))))
    return out


def parse_file(path: Path):
    from ingest.build import prepare_file

    prep = prepare_file(path)
    return prep.result.declarations if prep.result else [], prep.error


def score_file(path: Path, expected: dict) -> Report:
    declarations, error = parse_file(path)
    rep = Report()
    where = path.name
    left = list(declarations)
    for form in expected["forms"]:
        # the parsed declaration for this form: same name, else the one sharing most indicators
        match = next((d for d in left if norm(d.name) == norm(form["name"])), None)
        if match is None and left:
            want = {(norm(i["name"]), norm(i["value"])) for i in form["indicators"]}
            match = max(left, key=lambda d: len(want & {(norm(i.name), norm(i.value)) for i in d.indicators}))
        if match is not None:
            left.remove(match)
        rep.names.add(match is not None and norm(match.name) == norm(form["name"]),
                      (where, form["name"], match and match.name or error))
        for key in ("funds_total", "funds_annual"):
            if form.get(key) is not None:
                got = getattr(match, key) if match else None
                rep.funds.add(got is not None and abs(got - form[key]) < 0.5, (where, form["name"], key, form[key], got))
        pool = list(match.indicators) if match else []
        for exp in form["indicators"]:
            found = next((i for i in pool if norm(i.name) == norm(exp["name"]) and norm(i.value) == norm(exp["value"])
                          and i.period == exp["period"]), None)
            found = found or next((i for i in pool if norm(i.name) == norm(exp["name"])
                                   and norm(i.value) == norm(exp["value"])), None)
            found = found or next((i for i in pool if norm(i.name) == norm(exp["name"])
                                   and same_value(i.value, exp["value"])), None)
            rep.indicators.add(found is not None, (where, exp["name"], exp["value"], _closest(pool, exp)))
            if found is None:
                continue
            pool.remove(found)
            rep.categories.add((found.level1, found.level2) == (exp["level1"], exp["level2"])
                               or (found.level1, found.level2) == (canonical(exp["level1"]), canonical(exp["level2"])),
                               (where, exp["name"], (exp["level1"], exp["level2"]), (found.level1, found.level2)))
            rep.periods.add(found.period == exp["period"], (where, exp["name"], exp["period"], found.period))
    # every form kept, and no declaration made of nothing (a page title, a subtotal row)
    extra = [d for d in left if d.name or d.indicators]
    rep.forms.add(len(declarations) >= len(expected["forms"]) and not extra,
                  (where, len(expected["forms"]), [d.name for d in declarations]))
    return rep


def canonical(category: str | None) -> str | None:
    """A category as the interpreter names it (a template's 产出值 or 项目完成指标 is 产出指标)."""
    from ingest.form.categories import category_of

    cat = category_of(category) if category else None
    return cat[1] if cat else category


def same_value(got: str | None, printed: str | None) -> bool:
    """A bare number printed in the value column, with its unit and operator in columns of their
    own (计量单位, 指标性质), is the same value as the interpreter's ``=3500米`` / ``≥85%``."""
    g, p = norm(got), norm(printed)
    if not g or not p or not re.fullmatch(r"\d+(?:\.\d+)?", p):
        return False
    m = re.fullmatch(r"[=≥≤<>]?(\d+(?:\.\d+)?)([^\d]{0,4})", g)
    return bool(m) and m.group(1) == p


def _closest(pool, exp):
    same = [i for i in pool if norm(i.name) == norm(exp["name"])]
    if same:
        return f"value {same[0].value!r}"
    close = [i for i in pool if norm(exp["name"])[:4] and norm(exp["name"])[:4] in norm(i.name)]
    return f"name {close[0].name!r} = {close[0].value!r}" if close else "not found"


def evaluate(suffix: str = ".txt", folder: Path = HERE) -> tuple[Report, dict, dict, dict]:
    """The whole corpus, and per province, per layout and per file."""
    total, by_province, by_layout, by_file = Report(), defaultdict(Report), defaultdict(Report), {}
    for path, expected in cases(suffix, folder):
        rep = score_file(path, expected)
        by_file[path.name] = rep
        for r in (total, by_province[expected["province"]], by_layout[expected["layout"]]):
            r.merge(rep)
    return total, dict(by_province), dict(by_layout), by_file


def table(groups: dict) -> str:
    lines = ["| | names | funds | indicators (name+value) | categories | periods | forms kept |",
             "|---|---|---|---|---|---|---|"]
    for name, r in sorted(groups.items()):
        lines.append(f"| {name} | {r.names} | {r.funds} | {r.indicators} | {r.categories} | {r.periods} | {r.forms} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    suffix = next((a for a in argv if a.startswith(".")), ".txt")
    folder = HOLDOUT2 if "--holdout2" in argv else HOLDOUT if "--holdout" in argv else HERE
    if "--without-rules" in argv:
        with without_rules():
            total, provinces, layouts, files = evaluate(suffix, folder)
    else:
        total, provinces, layouts, files = evaluate(suffix, folder)
    print(table({"all": total}))
    print()
    print(table(provinces))
    print()
    print(table(layouts))
    if "-v" in argv:
        for field_name in ("names", "funds", "indicators", "categories", "periods", "forms"):
            misses = getattr(total, field_name).misses
            if misses:
                print(f"\n{field_name} missed ({len(misses)}):")
                for m in misses:
                    print("  ", m)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
