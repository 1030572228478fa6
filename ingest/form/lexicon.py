"""The vocabulary of the forms, loaded from ``lexicon.json`` (labels and their synonyms are data)."""

from __future__ import annotations

import json
from pathlib import Path

_DATA = json.loads(Path(__file__).with_name("lexicon.json").read_text("utf-8"))

HEADER_LABELS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["header"].items()}
NARRATIVE_LABELS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["narrative"].items()}
SIGNATURE_LABELS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["signature"].items()}
FUND_SOURCES: list[tuple[str, tuple[str, ...]]] = [(k, tuple(v)) for k, v in _DATA["fund_sources"]]
LEVEL1: tuple[str, ...] = tuple(_DATA["level1"])
LEVEL2: tuple[str, ...] = tuple(_DATA["level2"])
INDICATOR_HEADER: tuple[str, ...] = tuple(_DATA["indicator_header"])
OPS: dict[str, str] = dict(_DATA["ops"])
ATTRIBUTES: tuple[str, ...] = tuple(_DATA["attributes"])
GOAL_HEADERS: tuple[str, ...] = tuple(_DATA["goal_headers"])
