"""The vocabulary of whole budget documents, loaded from ``vocabulary.json`` (words are data)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from ..text import compact

_DATA = json.loads(Path(__file__).with_name("vocabulary.json").read_text("utf-8"))

LIST_COLUMNS: dict[str, frozenset[str]] = {k: frozenset(compact(w) for w in v)
                                           for k, v in _DATA["list_columns"].items()}
FORM_TITLE = re.compile(_DATA["form_title"])
DEPT_TITLE = re.compile(_DATA["dept_title"])
OTHER_TITLE = re.compile(_DATA["other_title"])
HEADING = re.compile(_DATA["heading"])
TOC_ENTRY = re.compile(_DATA["toc_entry"])
SUMMARY_ROWS = frozenset(compact(w).rstrip(":") for w in _DATA["summary_rows"])
DEPT_FORM_LABELS = frozenset(compact(w) for w in _DATA["dept_form_labels"])
COVER = re.compile(_DATA["cover"])
DEPT_LINE = re.compile(_DATA["dept_line"])

_NOTE = re.compile(r"\((?:万元|元|单位[:：]?万元|单位[:：]?元|千元|亿元)\)|[:：]$")
_UNIT_NOTE = re.compile(r"\((?:单位[:：]?)?(万元|元|千元|亿元)\)")


@lru_cache(maxsize=1 << 12)
def column_role(text: str) -> str | None:
    """The role of a list table's column from its header cell (项目名称 → name, 预算数（万元）→ amount,
    绩效目标 → goal), or None."""
    c = _NOTE.sub("", compact(text))
    c = re.sub(r"^\d+[.、]", "", c)
    for role in ("name", "goal", "packed", "amount", "unit", "code"):
        if c in LIST_COLUMNS[role]:
            return role
    if "项目" in c and "名称" in c and len(c) <= 16:
        return "name"
    if c.endswith("绩效目标") and "整体" not in c and len(c) <= 12:
        return "goal"
    return None


def unit_note(text: str) -> str | None:
    """The amount unit a header cell names (``预算数（万元）`` → 万元)."""
    m = _UNIT_NOTE.search(compact(text))
    return m.group(1) if m else None
