"""Whole department budget documents (部门预算公开 PDFs, ../shared/corpus/budget-pdfs/) against the
hand-read expectations in tests/data/budget_pdfs/: every project form and listed project found,
nothing made of budget tables or narrative, funds and sample indicators right, and no crash on a
real or a mutated document. The report per city: ``python -m tests.budget_docs``."""

from __future__ import annotations

import random

import pytest

from ingest.readers import read_document
from ingest.records import ParseError
from ingest.sections import read_declarations

from .budget_docs import CORPUS, evaluate, load_expectations, table
from .fuzzing import deadline

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no budget documents at {CORPUS}")


@pytest.fixture(scope="module")
def scores():
    return evaluate()


def test_forms_and_listed_projects_found(scores):
    total, per_city = scores
    print("\n" + table(total, per_city))
    assert total.expected >= 1600 and total.sampled >= 80 and len([c for c in per_city if per_city[c].sampled]) >= 6
    assert total.found >= 0.95 * total.expected, total.misses
    assert total.spurious <= 0.02 * total.expected, [m for m in total.misses if "expected" in str(m[1])]


def test_documents_without_project_content_give_nothing(scores):
    total, _ = scores
    assert total.empty_docs >= 30
    wrong = [m for m in total.misses if "expected 0" in str(m[1])]
    assert not wrong, wrong


def test_fields_of_the_hand_read_projects(scores):
    total, _ = scores
    assert total.named >= 0.95 * total.sampled
    assert total.funds_right >= 0.95 * total.funds_total, [m for m in total.misses if m[1] == "funds"]
    assert total.years_right >= 0.95 * total.matched, [m for m in total.misses if m[1] == "year"]
    assert total.depts_right >= 0.9 * total.depts_total, [m for m in total.misses if m[1] == "dept"]
    assert total.indicators_right >= 0.9 * total.sampled, [m for m in total.misses if m[1] == "indicator"]


def test_no_document_crashes_the_reader(scores):
    """A failure is a reason a user can act on (a scan needs OCR), never an exception's text."""
    total, _ = scores
    failures = [m for m in total.misses if m[1] == "failed"]
    assert all("扫描件" in m[2] for m in failures), failures


def _mutations(data: bytes, rng: random.Random) -> list[tuple[str, bytes]]:
    n = len(data)
    a, b = sorted(rng.randrange(n) for _ in range(2))
    flipped = bytearray(data)
    for _ in range(20):
        k = rng.randrange(n)
        flipped[k] = rng.randrange(256)
    return [
        ("truncated", data[: rng.randrange(n // 4, n)]),
        ("bytes flipped", bytes(flipped)),
        ("chunk removed", data[:a] + data[b:]),
        ("chunk repeated", data[:b] + data[a:b] + data[b:]),
        ("zeros", data[:a] + bytes(min(b - a, 4096)) + data[a + min(b - a, 4096):]),
    ]


def test_mutated_documents_are_read_or_refused_with_a_reason(pytestconfig):
    """Fuzz seeds from the corpus: a mutated budget PDF is read (whatever it still holds) or refused
    with a reason naming the file; nothing else may escape, and nothing may hang."""
    documents, _ = load_expectations()
    names = sorted(documents)
    rng = random.Random(7)
    # the fast sample leaves out the scans (OCR of every mutated page is `make fuzz`'s to do)
    readable = [n for n in names if documents[n].get("layout") != "scan"]
    picked = names if pytestconfig.getoption("--fuzz") else rng.sample(readable, 3)
    for name in picked:
        data = (CORPUS / name).read_bytes()
        for what, mutated in _mutations(data, rng):
            with deadline(60, f"{name} {what}"):
                try:
                    doc = read_document(mutated, name)
                except ParseError as e:
                    assert name in str(e), e
                    continue
                try:
                    result = read_declarations(doc)  # only a reason (a scan needs OCR) may stop it
                except ParseError as e:
                    assert str(e).strip()
                    continue
                for d in result.declarations:
                    assert d.name and (d.indicators or d.goal_annual or d.goal_period), (name, what, d.name)
