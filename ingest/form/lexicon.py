"""The vocabulary of the forms, loaded from ``lexicon.json`` (labels and their synonyms are data)."""

from __future__ import annotations

import json
from pathlib import Path

_DATA = json.loads(Path(__file__).with_name("lexicon.json").read_text("utf-8"))

HEADER_LABELS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["header"].items()}
NARRATIVE_LABELS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["narrative"].items()}
SIGNATURE_LABELS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["signature"].items()}
FUND_TOTALS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["fund_totals"].items()}
FUND_SOURCES: list[tuple[str, tuple[str, ...]]] = [(k, tuple(v)) for k, v in _DATA["fund_sources"]]
LEVEL1_ALIASES: dict[str, str] = {alias: canon for canon, aliases in _DATA["level1"].items() for alias in aliases}
LEVEL1: tuple[str, ...] = tuple(_DATA["level1"])
LEVEL2_FAMILY: dict[str, str] = dict(_DATA["level2"])  # stem → the 一级 it belongs to
LEVEL2_ALSO_UNDER: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["level2_also_under"].items()}
HEADER_ROLES: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["indicator_header"].items()}
HEADER_PREFIX: tuple[str, ...] = tuple(_DATA["header_prefix"])
# every word of an indicator table's header row (the old flat list, for the row classifier)
INDICATOR_HEADER: tuple[str, ...] = tuple(w for role, words in HEADER_ROLES.items() if role != "past"
                                          for w in words if len(w) >= 3) + ("绩效指标",)
OPS: dict[str, str] = dict(_DATA["ops"])
ATTRIBUTES: tuple[str, ...] = tuple(_DATA["attributes"])
GOAL_HEADERS: tuple[str, ...] = tuple(_DATA["goal_headers"])
FOOTERS: tuple[str, ...] = tuple(_DATA["footers"])
UNIT_LABELS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["unit_labels"].items()}
COLUMN_WORDS: frozenset[str] = frozenset(_DATA["column_words"])
