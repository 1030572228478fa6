"""Review: check every stored declaration the way a finance bureau reviews 绩效目标 (完整性、相关性、
适当性、可行性) and keep what it finds in the ``findings`` table.

- Rules over one declaration (``rules.py``) run again only for declarations whose content, the
  parser or the rules changed since they were last reviewed (``review_state``).
- Rules over the whole corpus (``corpus.py``: unusual values, copied goals, unrelated indicators)
  run again whenever anything changed, and replace all their findings at once.

Everything happens in the caller's transaction (or one of its own), so a reader never sees half a review.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from sqlite_utils import Database

from ..form import PARSER_VERSION
from ..store import rows_by_ids
from .corpus import review_corpus
from .forms import DIMENSIONS, PARSED_ID, SEVERITIES, Finding, Form, form_of, load_forms
from .rules import RULES, RuleInfo, review_form

RULES_VERSION = 3


@dataclass
class ReviewReport:
    reviewed: int = 0  # declarations the per-declaration rules ran on
    corpus: bool = False  # whether the corpus rules ran
    findings: int = 0  # findings stored in all
    by_rule: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    rule_seconds: dict[str, float] = field(default_factory=dict)  # each corpus rule's time


def _stamp(fingerprint: str | None) -> str:
    return f"{fingerprint}|{PARSER_VERSION}|{RULES_VERSION}"


def _row(decl_id: str, f: Finding, names: dict) -> dict:
    name, dept, year = names.get(decl_id, (None, None, None))
    return {"declaration_id": decl_id, "rule": f.rule, "dimension": f.dimension, "severity": f.severity,
            "message": f.message, "evidence": json.dumps(f.evidence, ensure_ascii=False),
            "lines": json.dumps(f.lines), "related_id": f.related_id, "declaration_name": name,
            "dept_name": dept, "year": year}


FINDING_COLUMNS = ("declaration_id", "rule", "dimension", "severity", "message", "evidence", "lines", "related_id",
                   "declaration_name", "dept_name", "year")


def _insert_findings(db, rows: list[dict]) -> None:
    db.conn.executemany(f"insert into findings ({', '.join(FINDING_COLUMNS)}) values"
                        f" ({', '.join('?' * len(FINDING_COLUMNS))})", [tuple(r[c] for c in FINDING_COLUMNS) for r in rows])


def _names(db, ids: list[str] | None) -> dict[str, tuple]:
    sql = "select id, name, dept_name, year from declarations"
    rows = db.execute(sql) if ids is None else rows_by_ids(db, sql + " where id in ({ids})", ids)
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def review_parsed(declarations: list, text: str) -> tuple[list[list[Finding]], float]:
    """The per-declaration rules over parsed records, before they are stored (in a parsing worker,
    so the review runs beside the parsing): findings per declaration, and the seconds of CPU it took
    (a worker's wall time would also count the time it waited for a core while the others parsed).
    The findings are those :func:`review` gives once the declarations are stored."""
    started = time.thread_time()
    lines = text.split("\n")
    found = [review_form(form_of(d, lines)) for d in declarations]
    return found, time.thread_time() - started


def store_parsed_findings(db: Database, reviewed: list[tuple]) -> None:
    """Store what :func:`review_parsed` found: (declaration id, the parsed declaration, its
    fingerprint, findings)."""
    rows = []
    for decl_id, d, _print, findings in reviewed:
        for f in findings:
            for ev in f.evidence:
                if str(ev.get("indicator", "")).startswith(PARSED_ID):
                    ev["indicator"] = decl_id + ev["indicator"][len(PARSED_ID):]
            rows.append(_row(decl_id, f, {decl_id: (d.name, d.dept_name, d.year)}))
    _replace_form_findings(db, {decl_id: _stamp(print_) for decl_id, _d, print_, _f in reviewed}, rows)


def _replace_form_findings(db: Database, stamps: dict[str, str], rows: list[dict]) -> None:
    """The per-declaration rules' findings of these declarations replaced by ``rows``, and each
    declaration marked reviewed with its stamp."""
    form_rules = [code for code, info in RULES.items() if info.scope == "form"]
    marks = ",".join("?" * len(form_rules))
    db.conn.executemany(f"delete from findings where declaration_id = ? and rule in ({marks})",
                        [(d, *form_rules) for d in stamps])
    _insert_findings(db, rows)
    db.conn.executemany("insert or replace into review_state (declaration_id, stamp) values (?, ?)",
                        list(stamps.items()))


def pending(db) -> list[str]:
    """Declarations not reviewed since their content, the parser or the rules changed."""
    return [r[0] for r in db.execute(
        "select d.id from declarations d left join review_state s on s.declaration_id = d.id"
        " where s.stamp is null or s.stamp != coalesce(d.fingerprint, 'None') || ? order by d.id",
        [f"|{PARSER_VERSION}|{RULES_VERSION}"])]


def review(db: Database, *, model: str | None = None, full: bool = False, corpus: bool | None = None,
           ids: list[str] | None = None, progress=None) -> ReviewReport:
    """Bring ``findings`` up to date.

    :param model: the embedding model whose stored vectors the relatedness rule may use (None: words only).
    :param full: review every declaration again.
    :param ids: review just these declarations (as a build stores them), whatever their state.
    :param corpus: run the corpus rules (default: when any declaration was reviewed or removed, or ``full``).
    :param progress: ``progress(n)`` after each batch of declarations reviewed.
    """
    started = time.perf_counter()
    report = ReviewReport()
    with db.atomic():
        removed = 0
        if ids is None:
            removed = db.execute(
                "delete from findings where declaration_id not in (select id from declarations)").rowcount
            removed += db.execute(
                "delete from review_state where declaration_id not in (select id from declarations)").rowcount
            todo = [r[0] for r in db.execute("select id from declarations order by id")] if full else pending(db)
        else:
            todo = list(ids)
        names = _names(db, None if ids is None else todo)
        for start in range(0, len(todo), 500):
            chunk = todo[start:start + 500]
            rows = []
            for form in load_forms(db, chunk):
                rows.extend(_row(form.id, f, names) for f in review_form(form))
            prints = dict(db.execute(f"select id, fingerprint from declarations where id in ({','.join('?' * len(chunk))})",
                                     chunk).fetchall())
            _replace_form_findings(db, {d: _stamp(prints.get(d)) for d in chunk}, rows)
            report.reviewed += len(chunk)
            if progress:
                progress(len(chunk))
        if corpus is None:
            corpus = bool(todo or removed or full)
        if corpus:
            report.corpus = True
            if ids is not None:
                names = _names(db, None)
            results = review_corpus(db, model, report.rule_seconds)
            codes = list(results)
            db.execute(f"delete from findings where rule in ({','.join('?' * len(codes))})", codes)
            _insert_findings(db, [_row(decl_id, f, names) for found in results.values()
                                  for decl_id, fs in found.items() for f in fs])
        if ids is None or corpus:
            db["review_rules"].upsert_all(rule_table(), pk="rule")
            report.by_rule = dict(db.execute(
                "select rule, count(*) from findings group by rule order by rule").fetchall())
            report.findings = sum(report.by_rule.values())
    report.seconds = time.perf_counter() - started
    return report


def rule_table() -> list[dict]:
    """Every rule: code, dimension, default severity, title and the source it applies."""
    return [{"rule": i.code, "dimension": i.dimension, "severity": i.severity, "title": i.title, "source": i.source,
             "scope": "知识库比对" if i.scope == "corpus" else "单表检查"} for i in RULES.values()]


__all__ = ["DIMENSIONS", "SEVERITIES", "Finding", "Form", "ReviewReport", "RuleInfo", "pending", "review",
           "review_form", "review_parsed", "rule_table", "RULES", "RULES_VERSION", "store_parsed_findings"]
