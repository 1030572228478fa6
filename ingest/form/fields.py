"""Key/value fields of a form: header labels, narrative, goals, funds lines and the signature line."""

from __future__ import annotations

import re
from functools import lru_cache

from ..readers.grid import Row
from ..text import HAN, LEADING_DEBRIS, clean, compact, similarity
from .cells import is_noise, join_cells
from .labels import ALL_LABELS, LabelHit, match_label
from .lexicon import ATTRIBUTES, FUND_SOURCES, GOAL_HEADERS, SIGNATURE_LABELS
from .state import PageState, warn
from .values import amount_candidates, fund_source_of, number_runs, parse_filed_at


@lru_cache(maxsize=1 << 16)
def _is_signature_cell(text: str) -> bool:
    c = compact(text).rstrip(":")
    return any(c.startswith(compact(lab)) and len(c) <= len(lab) + 16
               for labels in SIGNATURE_LABELS.values() for lab in labels)


def has_signature(texts: list[str]) -> bool:
    hits = sum(1 for t in texts if _is_signature_cell(t))
    return hits >= 2 or (hits == 1 and len(texts) <= 4 and any(compact(t).startswith("填报日期") for t in texts))


def parse_signature(st: PageState, line: Row) -> None:
    d = st.decl
    texts = [t for t in line.texts if compact(t) not in (":", "：")]
    i = 0
    while i < len(texts):
        c = compact(texts[i])
        key = None
        label_len = 0
        for k, labels in SIGNATURE_LABELS.items():
            for lab in sorted(labels, key=len, reverse=True):
                if c.startswith(compact(lab)):
                    key, label_len = k, len(compact(lab))
                    break
            if key:
                break
        if key is None:
            i += 1
            continue
        rest = c[label_len:].lstrip(":")
        value = rest
        if not value and i + 1 < len(texts) and not _is_signature_label(texts[i + 1]):
            value = compact(texts[i + 1]).lstrip(":")
            i += 1
        i += 1
        if not value:
            continue
        if key == "filed_at":
            d.filed_at = parse_filed_at(value)
            if d.filed_at is None:
                warn(st, line, "填报日期 not understood", value)
        elif key == "phone":
            d.phone = re.sub(r"[^\d\-+]", "", value) or value
        else:
            setattr(d, key, clean(value))


def _is_signature_label(text: str) -> bool:
    c = compact(text)
    return any(c.startswith(compact(lab)) for labels in SIGNATURE_LABELS.values() for lab in labels)



def parse_funds_line(st: PageState, line: Row) -> bool:
    d = st.decl
    texts = line.texts
    c = compact("".join(texts))
    has_total = "资金总额" in c or "总额:" in c or ("年度资金" in c and st.in_funds)
    source = None if has_total else fund_source_of(c)
    if source == "total":
        has_total = True
    if not has_total and (source is None or not st.in_funds):
        # a source line right after the total line even when its label is garbled (``其任	也资金``)
        if not (st.in_funds and 0 < st.fund_row < 6 and not match_label(texts[:3])):
            return False
    if st.in_indicators:
        return False
    st.in_funds = True
    st.field = None
    if has_total:
        st.fund_row = 0
        key = "total"
    else:
        key = source or FUND_SOURCES[min(st.fund_row, 5)][0]
    st.fund_row += 1
    # numbers after the first label-ish cell
    start = 0
    for i, t in enumerate(texts):
        if HAN.search(t) and ("资金" in t or "总额" in t or "自筹" in t or fund_source_of(t)):
            start = i
            break
    runs = number_runs(texts[start:])
    values: list[list[float]] = [amount_candidates(r) for r in runs]
    values = [v for v in values if v]
    periods = ("实施期", "年度")
    for period in periods[len(values):]:
        d.funds.setdefault((period, key), None)
    for period, cands in zip(periods, values):
        d.funds[(period, key)] = cands[0]
        if len(cands) > 1:
            d.fund_readings[(period, key)] = cands
    if key == "total":
        if len(values) >= 1:
            d.funds_total = values[0][0]
        if len(values) >= 2:
            d.funds_annual = values[1][0]
        if len(values) < 2:
            warn(st, line, f"funds total line: found {len(values)} of 2 amounts")
    if st.fund_row >= 6:
        st.in_funds = False
    return True




def _is_goal_header(cell: str) -> bool:
    c = compact(cell)
    return any(c == g or (len(c) >= 3 and similarity(c, g) >= 0.7) for g in GOAL_HEADERS)


def apply_label(st: PageState, line: Row, hit: LabelHit) -> None:
    d = st.decl
    cells = [LEADING_DEBRIS.sub("", t) for t in line.texts]
    rest_cells = ([hit.rest] if hit.rest else []) + cells[hit.cells_used:]
    rest_cells = [c for c in rest_cells if not is_noise(c)]
    st.field = None
    if hit.group == "header":
        _apply_header(st, line, hit.key, rest_cells)
        return
    key = hit.key
    # two labels in one cell (``项目概况立项依据``): the text goes to the first, and we say so
    if hit.rest:
        other = match_label([hit.rest], groups=("narrative",))
        if other is not None and not compact(hit.rest)[len(other.label):].strip():
            rest_cells = rest_cells[1:]
            warn(st, line, f"labels {hit.label} and {other.label} share one cell; text assigned to {hit.label}")
        elif other is not None:
            warn(st, line, f"labels {hit.label} and {other.label} share one cell; text assigned to {hit.label}")
            rest_cells = [compact(hit.rest)[len(other.label):]] + rest_cells[1:]
    if key in ("goal", "goal_period", "goal_annual"):
        split = None
        for i, c in enumerate(rest_cells):
            if compact(c) == "年度目标":
                split = i
        content = [c for c in rest_cells if not _is_goal_header(c)]
        if not content:
            return
        if key == "goal_annual":
            d.goal_annual = _append(d.goal_annual, clean(" ".join(content)))
            st.field = "goal_annual"
        elif split is not None:
            d.goal_period = _append(d.goal_period, clean(" ".join(c for c in rest_cells[:split] if not _is_goal_header(c))))
            d.goal_annual = _append(d.goal_annual, clean(" ".join(rest_cells[split + 1:])))
        elif key == "goal" and len(content) >= 2:
            first, second = _split_goal_cells(content)
            d.goal_period = _append(d.goal_period, first)
            d.goal_annual = _append(d.goal_annual, second)
        else:
            d.goal_period = _append(d.goal_period, clean(" ".join(content)))
            st.field = "goal_period"
        return
    text = clean(" ".join(rest_cells))
    if text:
        setattr(d, key, _append(getattr(d, key), text))
    st.field = key


def _split_goal_cells(content: list[str]) -> tuple[str, str]:
    """实施期 and 年度 goals side by side; with more than two cells the halves are a guess."""
    if len(content) == 2:
        return clean(content[0]), clean(content[1])
    half = (len(content) + 1) // 2
    return clean(" ".join(content[:half])), clean(" ".join(content[half:]))


def _append(cur: str | None, new: str | None) -> str | None:
    if not new:
        return cur
    return f"{cur} {new}" if cur else new




def _apply_header(st: PageState, line: Row, key: str, rest: list[str]) -> None:
    d = st.decl
    # OCR text: ``城区公厕改造工程 主管部门及代码 305-…`` has a second label inside one cell
    expanded: list[str] = []
    for cell in rest:
        pieces = [cell]
        for _g, _k, label in ALL_LABELS:
            if _g != "header" or len(label) < 4:
                continue
            nxt = []
            for piece in pieces:
                m = re.search(r"\s" + re.escape(label), piece) if label in piece else None
                nxt.extend([piece[:m.start()], piece[m.start():].strip()] if m else [piece])
            pieces = nxt
        expanded.extend(p for p in pieces if p.strip())
    rest = expanded
    # split the rest at an inline second label (``实施单位``, ``项目期``)
    parts: list[tuple[str, list[str]]] = [(key, [])]
    i = 0
    while i < len(rest):
        hit = match_label(rest[i:i + 3], groups=("header",))
        if hit is not None and hit.key != parts[-1][0] and hit.key in ("implementer", "period", "category", "attribute",
                                                                       "dept", "start", "end"):
            parts.append((hit.key, [hit.rest] if hit.rest else []))
            i += hit.cells_used
            continue
        parts[-1][1].append(rest[i])
        i += 1
    for k, cells in parts:
        # a trailing fragment of the next label (``社会保障局 实`` before 实施单位)
        if cells:
            cells[-1] = re.sub(r"\s+[\u4e00-\u9fff]$", "", cells[-1])
        value = join_cells(cells, drop_stray_digit=k in ("dept", "implementer"))
        if not value:
            continue
        if k == "name":
            d.name = d.name or value
        elif k == "dept":
            m = re.match(r"^\s*(\d{2,6})\s*[-—－_\s]\s*(.+)$", value)
            if m:
                d.dept_code, d.dept_name = m.group(1), m.group(2).strip()
            else:
                d.dept_name = value
        elif k == "implementer":
            d.implementer = d.implementer or value
        elif k == "attribute":
            known = next((a for a in ATTRIBUTES if compact(value).startswith(a)), None)
            m = re.match(r"^(.*?)[(（]", value)
            d.attribute = known or (m.group(1) if m else value).strip() or value
        elif k == "category":
            d.category = value
        elif k == "period":
            years = [compact(c) for c in cells if re.fullmatch(r"\d{1,2}年", compact(c))]
            m = re.match(r"^(\d{1,2})年$", years[-1]) if years else re.search(r"(\d{1,2})\s*年", value)
            if m:
                d.period_years = int(m.group(1))
            else:
                warn(st, line, "项目期 not understood", value)

