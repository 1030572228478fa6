"""Indicator rows: ``[一级] [二级] 三级 指标值`` for 实施期 and 年度, any cell possibly missing."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..readers.grid import Row
from ..records import Indicator
from ..text import clean, compact, similarity
from .cells import is_label_fragment, is_noise, only_header_words
from .lexicon import INDICATOR_HEADER
from .state import PageState, warn
from .categories import family, level_of
from .values import is_placeholder, looks_like_value, parse_value


def looks_like_indicator_row(texts: list[str]) -> bool:
    return any(level_of(t) is not None for t in texts)



@dataclass
class _Tok:
    kind: str  # l1, l2, n (name), v (value)
    text: str  # category name for l1/l2, display text otherwise
    col: int
    raw: str


def _mirror(a: str, b: str) -> bool:
    """Two names that are the same indicator printed in both columns (often one truncated)."""
    ca, cb = compact(a), compact(b)
    if not ca or not cb:
        return False
    short, long_ = sorted((ca, cb), key=len)
    return long_.startswith(short[: max(3, len(short) - 1)]) or similarity(ca, cb) >= 0.6


@lru_cache(maxsize=1 << 16)
def _cell_kind(raw: str) -> tuple[str, str, str] | None:
    """(kind, text, display) of one cell of a grid row: a category (l1/l2), a value (v) or a name
    (n); None for a cell to skip (a label fragment, noise, a header word, one stray character).
    Template cells repeat across thousands of forms: memoised."""
    c = compact(raw)
    if is_label_fragment(raw) or is_noise(raw) or c in INDICATOR_HEADER:
        return None
    if len(c) == 1 and c not in ("是", "否", "无", "有") and not c.isdigit():
        return None
    shown = clean(raw)
    lv = level_of(raw)
    if lv is not None:
        return lv[0], lv[1], shown
    return ("v" if looks_like_value(raw) else "n"), shown, shown


def parse_indicator_row(st: PageState, line: Row) -> None:
    """One grid row: ``[一级] [二级] 三级 指标值 [二级] 三级 指标值``, any cell possibly missing."""
    toks: list[_Tok] = []
    for col, raw in line.cells:
        kind = _cell_kind(raw)
        if kind is not None:
            toks.append(_Tok(kind[0], kind[1], col, kind[2]))
    halves: list[list[_Tok]] = [[]]
    has_name = has_content = False  # of the current half, kept as tokens are added
    for tok in toks:
        cur = halves[-1]
        if (tok.kind in ("l1", "l2") and has_content) or (
                tok.kind == "n" and cur and cur[-1].kind == "v" and has_name):
            halves.append([tok])
            has_name = has_content = False
        else:
            cur.append(tok)
        has_name = has_name or tok.kind == "n"
        has_content = has_content or tok.kind in ("n", "v")
    halves = [_normalise_half(h) for h in halves if h]
    content = [h for h in halves if any(t.kind in ("n", "v") for t in h)]
    # four content cells and no other clue: name value | name value
    if len(content) == 1:
        h = content[0]
        body = [t for t in h if t.kind in ("n", "v")]
        if len(body) == 4 and body[0].kind == "n":
            idx = h.index(body[2])
            halves[halves.index(h)] = h[:idx]
            halves.insert(halves.index(h[:idx]) + 1 if h[:idx] in halves else len(halves), h[idx:])
        elif [t.kind for t in body] == ["n", "n", "v"] and _mirror(body[0].text, body[1].text):
            idx = h.index(body[1])
            pos = halves.index(h)
            halves[pos:pos + 1] = [h[:idx], h[idx:]]
    halves = [h for h in halves if h]
    content = [h for h in halves if any(t.kind in ("n", "v") for t in h)]
    full = [h for h in content if any(t.kind == "n" for t in h)]
    sides = ("实施期", "年度")
    assigned: list[tuple[list[_Tok], str]] = []
    if len(content) <= 1 and len(halves) <= 1:
        side = "实施期"
        cols = [t.col for t in toks if t.kind in ("n", "v")]
        if st.header_split is not None and cols and min(cols) >= st.header_split:
            side = "年度"
        if halves:
            assigned.append((halves[0], side))
    else:
        idx = 0
        for h in halves:
            if not any(t.kind in ("n", "v") for t in h):
                assigned.append((h, sides[min(idx, 1)]))
                if any(t.kind == "l2" for t in h):
                    idx += 1
                continue
            if not any(t.kind == "n" for t in h) and len(full) >= 2:
                warn(st, line, "指标行中多出的指标值：已跳过", " ".join(t.raw for t in h))
                continue
            assigned.append((h, sides[min(idx, 1)]))
            idx += 1
    names_by_side = {side: [t.text for t in h if t.kind == "n"] for h, side in assigned}
    row_l2: dict[str, str | None] = {}
    for h, side in assigned:
        other = "年度" if side == "实施期" else "实施期"
        _emit_half(st, line, h, side, names_by_side.get(other, []), row_l2)


def _normalise_half(half: list[_Tok]) -> list[_Tok]:
    """Fix the reading of one column group: a name mistaken for a value or a category."""
    kinds = [t.kind for t in half]
    if "n" not in kinds:
        vals = [t for t in half if t.kind == "v"]
        l2s = [t for t in half if t.kind == "l2"]
        if len(vals) >= 2:
            vals[0].kind = "n"  # ``按时间支付小额信贷贴息 | 每季度``
        elif len(l2s) >= 2 and vals:
            l2s[-1].kind, l2s[-1].text = "n", l2s[-1].raw  # ``服务对象满意度指标 | 服务对象满意度 | ≥80%``
    return half


def _emit_half(st: PageState, line: Row, half: list[_Tok], side: str, other_names: list[str],
               row_l2: dict[str, str | None]) -> None:
    d = st.decl
    for t in half:
        if t.kind == "l1":
            st.l1 = t.text
            st.l2 = {"实施期": None, "年度": None}
        elif t.kind == "l2":
            st.l2[side] = t.text
            row_l2[side] = t.text
            if t.text == "成本指标":
                if st.l1 not in ("产出指标", "成本指标"):
                    st.l1 = "产出指标"
            elif family(t.text):
                st.l1 = family(t.text)
    if side == "年度" and "年度" not in row_l2 and row_l2.get("实施期"):
        # the 年度 column mirrors the 实施期 one; its category cell is often lost
        st.l2["年度"] = row_l2["实施期"]
    names = [t.text for t in half if t.kind == "n"]
    values = [t.text for t in half if t.kind == "v"]
    dedup: list[str] = []
    for n in names:
        if not dedup or compact(dedup[-1]) != compact(n):
            dedup.append(n)
    names = dedup
    if not names and not values:
        return
    if not values and len(names) >= 2:
        values = [names.pop()]
    if not names:
        warn(st, line, f"{side}指标值没有对应的指标名称：已跳过", " ".join(values))
        return
    if len(names) > 1:
        warn(st, line, "三级指标列有多余文字：保留紧挨指标值的一格", " | ".join(names[:-1]))
    name = names[-1]
    if only_header_words(name):
        warn(st, line, "表头文字不是指标：已跳过", name)
        return
    # the value is the first one printed after the name (a number before it is debris: ``20011111``)
    order = [t for t in half if t.kind in ("n", "v")]
    name_pos = max(i for i, t in enumerate(order) if t.kind == "n" and t.text == name) if any(
        t.kind == "n" and t.text == name for t in order) else -1
    after = [t.text for t in order[name_pos + 1:] if t.kind == "v"]
    if after and values and after[0] != values[0]:
        first = set(after)
        values = after + [v for v in values if v not in first]
    value = values[0] if values else None
    if len(values) > 1:
        warn(st, line, "一个指标有多个指标值：保留第一个", " | ".join(values))
    if value is None:
        if not any(_mirror(name, o) for o in other_names):
            warn(st, line, "指标名称没有指标值，也没有对应的另一期指标：已跳过", name)
            return
        warn(st, line, f"{side}指标“{name}”没有指标值")
    if value is not None and is_placeholder(value):
        warn(st, line, f"{side}指标“{name}”的指标值是模板占位符：{value}")
    op, number, unit = parse_value(value)
    level2 = st.l2.get(side) or st.l2.get("实施期")
    d.indicators.append(Indicator(side, st.l1, level2, name, value, op, number, unit, line.no))

