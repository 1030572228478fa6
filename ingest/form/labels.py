"""Recognising a row's label (项目名称, 立项依据, 联系电话 …), tolerating split and garbled characters."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from ..text import LEADING_DEBRIS, compact, normalise_text, similarity, similarity_above
from .cells import is_label_fragment
from .lexicon import HEADER_LABELS, INDICATOR_HEADER, NARRATIVE_LABELS, SIGNATURE_LABELS
from .categories import level_of


ALL_LABELS: list[tuple[str, str, str]] = []  # (group, key, label)
for _group, _table in (("header", HEADER_LABELS), ("narrative", NARRATIVE_LABELS), ("signature", SIGNATURE_LABELS)):
    for _key, _labels in _table.items():
        for _label in _labels:
            ALL_LABELS.append((_group, _key, compact(_label)))

# Label indexes for the fuzzy match: by first character and by every two-character piece, so a
# cell is compared only with labels it could match (indexes into ALL_LABELS, to keep its order).
_LABELS_BY_FIRST: dict[str, list[int]] = {}
_LABELS_BY_BIGRAM: dict[str, set[int]] = {}
for _i, (_g, _k, _label) in enumerate(ALL_LABELS):
    _LABELS_BY_FIRST.setdefault(_label[:1], []).append(_i)
    for _j in range(len(_label) - 1):
        _LABELS_BY_BIGRAM.setdefault(_label[_j:_j + 2], set()).add(_i)


_LONGEST = max(len(label) for _g, _k, label in ALL_LABELS)
# each label as printed with any spacing between its characters, then an optional colon
_LABEL_PATTERNS = [re.compile(r"\s*" + r"\s*".join(re.escape(ch) for ch in label) + r"\s*:?")
                   for _g, _k, label in ALL_LABELS]


def _label_candidates(text: str) -> list[int]:
    """Labels that start with the text's first character or contain its first two characters."""
    found = set(_LABELS_BY_FIRST.get(text[:1], ()))
    found |= _LABELS_BY_BIGRAM.get(text[:2], set())
    return sorted(found)


@dataclass
class LabelHit:
    group: str
    key: str
    label: str
    cells_used: int  # leading cells consumed by the label
    rest: str  # text left over in the last consumed cell
    score: float


def match_label(texts: list[str], groups: tuple[str, ...] = ("header", "narrative")) -> LabelHit | None:
    """Recognise a row label at the start of a line (see :func:`_match_label`; memoised on the cells)."""
    hit = _match_label(tuple(texts), tuple(groups))
    return None if hit is None else replace(hit)


# What templates add around a known label: a bracketed qualifier (项目(专项)名称), numbering and
# 其中 (其中:1.中央资金), a level or 具体 in front (市级主管部门, 具体实施单位).
_QUALIFIER = re.compile(r"[（(](?:专项|项目|资金|单位|部门|万元|元)[)）]")
_LEADING = re.compile(r"^(?:其中[:：]?)?(?:[0-9一二三四五六七八九十]{1,2}[.、．)）]|[（(][0-9一二三四五六七八九十]{1,2}[)）])?"
                      r"(?:具体|本级|省级|市级|区级|县级|州级)?")


def _plain_label(text: str) -> str:
    """A label cell without the qualifiers templates add around known labels."""
    reduced = _QUALIFIER.sub("", text)
    lead = _LEADING.match(reduced)
    if lead and lead.end() and len(reduced) - lead.end() >= 4:
        reduced = reduced[lead.end():]
    return reduced


@lru_cache(maxsize=1 << 14)
def _match_label(texts: tuple[str, ...], groups: tuple[str, ...]) -> LabelHit | None:
    hit = _match_label_as_printed(texts, groups)
    if hit is not None or not texts:
        return hit
    plain = _plain_label(compact(normalise_text(texts[0])))
    if plain and plain != compact(normalise_text(texts[0])):
        hit = _match_label_as_printed((plain, *texts[1:]), groups)
        if hit is not None and hit.cells_used == 1 and not hit.rest:
            return hit
    return None


def _match_label_as_printed(texts: tuple[str, ...], groups: tuple[str, ...]) -> LabelHit | None:
    """Recognise a row label at the start of a line, tolerating split and garbled characters.

    A label may be spread over up to four leading cells (``项目名和	尔``), may be
    followed by debris of one character (``项目概况	兄``), or may share its cell
    with content (``总体目标 本项目…``).
    """
    texts = [LEADING_DEBRIS.sub("", normalise_text(t)) for t in texts]
    if not texts:
        return None
    first = compact(texts[0])
    if first in INDICATOR_HEADER or is_label_fragment(first) or level_of(first) is not None:
        return None
    prefix_hit: LabelHit | None = None
    # 1. The first cell starts with a label, the rest of the cell is content.
    for i in _LABELS_BY_FIRST.get(first[:1], ()):
        group, key, label = ALL_LABELS[i]
        if group not in groups:
            continue
        if first.startswith(label) and (prefix_hit is None or len(label) > len(prefix_hit.label)):
            raw = texts[0].replace("：", ":")
            m = _LABEL_PATTERNS[i].match(raw)
            rest = raw[m.end():] if m else ""
            prefix_hit = LabelHit(group, key, label, 1, rest.strip(), 1.0)
    # 2. Fuzzy: leading cells joined (none can match once the first cell is longer than any label).
    fuzzy: LabelHit | None = None
    for k in range(1, min(4, len(texts)) + 1 if len(first) <= _LONGEST + 3 else 1):
        joined = compact("".join(texts[:k])).rstrip(":")
        if len(joined) < 2:
            continue
        for i in _label_candidates(joined):
            group, key, label = ALL_LABELS[i]
            if group not in groups or len(label) < 3:
                continue
            if len(joined) > len(label) + 3 or joined[0] != label[0] and joined[:2] not in label:
                continue
            score = 1.0 if len(joined) >= 5 and label.startswith(joined) else similarity_above(joined, label, 0.72)
            if score >= 0.72 and (fuzzy is None or score > fuzzy.score + 1e-9 or (score >= fuzzy.score and k > fuzzy.cells_used)):
                fuzzy = LabelHit(group, key, label, k, "", score)
    best = prefix_hit
    if fuzzy is not None and (best is None or (len(fuzzy.label) > len(best.label) and fuzzy.label.startswith(best.label)
                                               and len(best.rest) <= 3)):
        best = fuzzy
    if best is None:
        return None
    # absorb one trailing debris cell of one character (``立项依扣	居``)
    k = best.cells_used
    if not best.rest and k < len(texts) and len(compact(texts[k])) == 1 and not compact(texts[k]).isdigit():
        joined = compact("".join(texts[: k + 1]))
        if similarity(joined, best.label) >= 0.6:
            best.cells_used = k + 1
    return best
