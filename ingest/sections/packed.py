"""Indicators packed into one cell of a list, as some cities print them:

``1.1－产出指标，11－数量指标，项目专职环保员数量；实施周期指标值：≦核定人数，年度指标值：≦核定人数；2、…``

Each entry starts at its 一级 category (with or without a code before it); the 二级 category, the
indicator's name and its values (实施周期/实施期/中期 指标值 and 年度指标值, or one 指标值) follow.
They become an indicator table per period (header and rows), read like any form's.
"""

from __future__ import annotations

import re

from ..readers.grid import Row
from ..form.categories import category_of
from ..form.lexicon import LEVEL1_ALIASES

_LEVEL1 = "|".join(sorted((re.escape(a) for a in LEVEL1_ALIASES if a.endswith("指标")), key=len, reverse=True))
_ENTRY = re.compile(r"(?:\d+(?:\.\d+)?\s*[－\-—_]\s*)?(?:" + _LEVEL1 + r")")
_CODE = re.compile(r"^\s*\d+(?:\.\d+)?\s*[－\-—_]\s*")
_VALUE = re.compile(r"(实施周期|实施期|中长期|中期|长期|年度|当年|本年)?(?:指标)?(?:\d\.\d)?值\s*[:：]\s*([^，,；;]*)")
_TAIL = re.compile(r"[\s;；,，。、]*(?:\d+\s*[.、．]\s*)?$")
_PERIODS = {"年度": "年度", "当年": "年度", "本年": "年度"}


def packed_entries(text: str) -> list[tuple[str, str | None, str, dict[str, str]]]:
    """(一级, 二级, name, {period: value}) for each indicator packed in ``text``."""
    starts = [m for m in _ENTRY.finditer(text) if _starts_entry(text, m)]
    out = []
    for k, m in enumerate(starts):
        chunk = text[m.start():starts[k + 1].start() if k + 1 < len(starts) else len(text)]
        chunk = _TAIL.sub("", chunk)
        level1 = _CODE.sub("", m.group(0))
        rest = chunk[m.end() - m.start():].lstrip("，,、 ")
        level2 = None
        head, _, after = rest.partition("，") if "，" in rest[:20] else rest.partition(",")
        if after and category_of(_CODE.sub("", head)) is not None:
            level2, rest = _CODE.sub("", head).strip(), after
        values: dict[str, str] = {}
        first_value = _VALUE.search(rest)
        name = (rest[:first_value.start()] if first_value else rest).strip(" ；;，,。")
        for v in _VALUE.finditer(rest):
            period = _PERIODS.get(v.group(1) or "", "实施期" if v.group(1) else "年度")
            value = v.group(2).strip(" 。")
            if value and period not in values:
                values[period] = value
        if name:
            out.append((level1, level2, name, values))
    return out


def _starts_entry(text: str, m: re.Match) -> bool:
    """A 一级 category starts an entry at the text's start or after a separator or a number."""
    before = text[max(0, m.start() - 4):m.start()]
    return m.start() == 0 or bool(re.search(r"[;；。、.\d\s]$", before))


def packed_indicators(text: str, line: int) -> list[Row]:
    """The indicator tables (one per period printed) of a packed cell, as rows of cells."""
    entries = packed_entries(text)
    periods = [p for p in ("实施期", "年度") if any(p in e[3] for e in entries)]
    rows: list[Row] = []
    for period in periods:
        rows.append(Row(line, [(0, "一级指标"), (1, "二级指标"), (2, "三级指标"), (3, f"{period}指标值")], True,
                        grid=True))
        for level1, level2, name, values in entries:
            if period not in values:
                continue  # printed for the other period only
            cells = [(0, level1), (1, level2 or ""), (2, name), (3, values[period])]
            rows.append(Row(line, [(c, t) for c, t in cells if t], True, grid=True))
    return rows
