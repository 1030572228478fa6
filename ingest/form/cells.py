"""Cell helpers: joining cells a PDF split mid-word, telling debris from content."""

from __future__ import annotations

import re

from ..text import HAN, clean, compact
from .lexicon import HEADER_ROLES
from .values import is_placeholder


def join_cells(cells: list[str], dedupe_overlap: bool = True, drop_stray_digit: bool = False) -> str:
    """Join cells that a PDF split mid-word.

    A character repeated across the cut is kept once (``工业和	和信息化局``); an
    opening bracket that starts a cell and is never closed is debris of the cut
    (``阳泉市数	(字政府``), and so, in names, is a lone digit between Han text
    (``阳泉市大数	7据应用局``).
    """
    cleaned = [clean(c) for c in cells if c and c.strip()]
    # brackets still open from each cell to the end (opening minus closing), computed once
    balance_from = [0] * (len(cleaned) + 1)
    for i in range(len(cleaned) - 1, -1, -1):
        c = cleaned[i]
        balance_from[i] = balance_from[i + 1] + c.count("(") + c.count("（") - c.count(")") - c.count("）")
    out = ""
    for i, c in enumerate(cleaned):
        if dedupe_overlap and out and HAN.match(c[0]) and out.endswith(c[0]):
            c = c[1:]
        if c[:1] in "(（" and HAN.match(c[1:2] or "") and out and HAN.search(out[-1]):
            if balance_from[i] > 0:  # (c + everything after it) opens more than it closes
                c = c[1:]
        if drop_stray_digit and out and HAN.search(out[-1]) and re.match(r"^\d[\u3400-\u9fff]", c):
            c = c[1:]
        if out and out[-1].isascii() and out[-1].isalnum() and re.match(r"[A-Za-z]", c):
            out += " "
        out += c
    return clean(out)


def is_noise(cell: str) -> bool:
    """A cell with no Han character and no number-like content (OCR debris)."""
    c = compact(cell)
    if not c:
        return True
    if HAN.search(c):
        return False
    if re.fullmatch(r"[≥≤<>=~约]*\d[\d.,%()（）]*[a-zA-Z%/()（）]*", c):
        return False
    return not is_placeholder(c)  # ``≥**%``: the template's blank, a value to report


def is_label_fragment(cell: str) -> bool:
    """Pieces of the vertical 绩效指标 label that PDF extraction spreads over rows (``绩 效``, ``指 标``)."""
    c = compact(cell)
    if not c:
        return True
    return len(c) <= 4 and all(ch in "绩效指标" for ch in c)


_HEADER_WORDS = re.compile("|".join(re.escape(compact(w)) for w in sorted(
    {w for role, words in HEADER_ROLES.items() if role != "past" for w in words if len(w) >= 2}, key=len, reverse=True)))


def only_header_words(text: str) -> bool:
    """Two or more words of an indicator table's header and nothing else: ``一级指标二级指标指标内容指标值备注``,
    a header row run together into one cell (never an indicator)."""
    c = compact(text)
    return len(_HEADER_WORDS.findall(c)) >= 2 and not _HEADER_WORDS.sub("", c)
