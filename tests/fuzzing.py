"""Shared checks for the fuzz tests: one input must parse into sane records or be rejected with a reason."""

from __future__ import annotations

import math
import re
import signal
import time
from contextlib import contextmanager

from ingest.form import parse_text
from ingest.readers import decode as read_text
from ingest.records import ParseError

REPORT = {"inputs": 0, "parsed": 0, "rejected": 0, "ingested": 0, "slowest": (0.0, "")}
PER_INPUT_SECONDS = 20
DOC_NUMBER = re.compile(r"^\S+〔(19|20)\d{2}〕\d{1,4}号$")


@contextmanager
def deadline(seconds: int, what: str):
    """Fail instead of hanging: an input that takes longer than ``seconds`` is a bug."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"{what}: no result after {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check_input(data: bytes, what: str) -> str:
    """Parse ``data``; returns "parsed" or "rejected". Anything but ParseError escaping is a failure."""
    start = time.perf_counter()
    with deadline(PER_INPUT_SECONDS, what):
        try:
            result = parse_text(read_text(data, "fuzz.txt"))
        except ParseError as e:
            assert str(e).strip(), f"{what}: ParseError without a reason"
            assert str(e).startswith("fuzz.txt") or "no declaration" in str(e), f"{what}: {e} does not name the file"
            outcome = "rejected"
        else:
            check_records(result, what)
            outcome = "parsed"
    elapsed = time.perf_counter() - start
    REPORT["inputs"] += 1
    REPORT[outcome] += 1
    if elapsed > REPORT["slowest"][0]:
        REPORT["slowest"] = (elapsed, what)
    return outcome


def check_records(result, what: str) -> None:
    assert result.declarations, f"{what}: parsed without a declaration"
    for d in result.declarations:
        assert 0 < d.first_line <= d.last_line, (what, d.first_line, d.last_line)
        for amount in (d.funds_total, d.funds_annual, *d.funds.values()):
            assert amount is None or (math.isfinite(amount) and amount >= 0), (what, amount)
        for ind in d.indicators:
            assert ind.period in ("实施期", "年度"), (what, ind.period)
            assert ind.name, (what, ind)
            assert ind.number is None or math.isfinite(ind.number), (what, ind.number)
            assert d.first_line <= ind.line <= d.last_line, (what, ind.line)
        for p in d.policies:
            assert p.title or p.doc_number, what
            assert p.doc_number is None or DOC_NUMBER.match(p.doc_number), (what, p.doc_number)
        for w in d.warnings:
            assert w.reason, what
            # the parser records a crash on one line as a warning and goes on; for fuzzing it is a crash
            assert not w.reason.startswith("internal error"), (what, w.line, w.reason)
