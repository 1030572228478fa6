"""Key/value fields of a form: header labels, narrative, goals, funds lines and the signature line."""

from __future__ import annotations

import re
from functools import lru_cache

from ..readers.grid import Row
from ..text import HAN, LEADING_DEBRIS, clean, compact, normalise_text, similarity
from .cells import is_noise, join_cells
from .labels import ALL_LABELS, LabelHit, match_label
from .lexicon import ATTRIBUTES, GOAL_HEADERS, SIGNATURE_LABELS
from .state import PageState, warn
from .values import (_FUND_CHARS, amount_candidates, fund_label_of, number_runs, parse_amount, parse_filed_at, parse_period,
                     period_of_label)


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



SEED_ORDER = ("total", "中央财政资金", "省级财政资金", "市县(区)财政资金", "单位自筹", "其他资金")
_LABEL_AMOUNT = re.compile(r"^(?P<label>[^\d]*?[\u4e00-\u9fff)）][^\d]*?)[:：]?\s*(?P<amount>\d[\d,，]*(?:\.\d+)?\s*(?:亿元|万元|万|元)?)")
_AMOUNT_CELL = re.compile(r"^[:：]?\s*\d[\d,，]*(?:\.\d+)?\s*(?:亿元|万元|万|元)?")


def unit_in(text: str) -> str | None:
    """The amount unit a label or note states: ``项目资金（元）``, ``资金情况(万元)``, ``单位:万元``."""
    if "元" not in text:
        return None
    c = compact(text)
    if re.search(r"[(（]万元[)）]|单位[:：]?万元|^万元$", c):
        return "万元"
    if re.search(r"[(（]元[)）]|单位[:：]?元(?!/)", c):
        return "元"
    return None


def _source_of_row(texts: list[str]):
    for t in texts:
        found = fund_label_of(t)
        if found is not None:
            return found
    return fund_label_of("".join(texts)) if len("".join(texts)) <= 24 else None


def parse_funds_line(st: PageState, line: Row) -> bool:
    """A row of the funds block: totals and sources with their amounts, in 元."""
    if st.in_indicators or st.table is not None:
        return False
    texts = line.texts
    joined = compact("".join(texts))
    if not st.in_funds and not _FUND_CHARS.intersection(joined):
        return False
    if any(fund_label_of(t) for t in texts) or match_label(texts[:1]) is not None:
        for t in texts:
            if not re.search(r"\d", t):
                st.unit = unit_in(t) or st.unit
    if st.fund_columns == 2 or ("实施期资金总额" in joined and "年度资金" in joined) or \
            ("实施期" in joined and "年度资金" in joined and "总额" in joined):
        st.fund_columns = 2
        return _two_column_funds_line(st, line)
    # cells as (label, amount) pairs; a label and its amount may share a cell (``年度资金总额:16``)
    pieces: list[tuple[str, str]] = []
    for t in texts:
        m = _LABEL_AMOUNT.match(normalise_text(t).strip())
        if m and fund_label_of(m.group("label")) is not None:
            pieces.append(("label", m.group("label")))
            pieces.append(("amount", m.group("amount")))
        elif _AMOUNT_CELL.match(normalise_text(t).strip()):
            pieces.append(("amount", t))
        elif fund_label_of(t) is not None:
            pieces.append(("label", t))
        else:
            pieces.append(("other", t))
    labels = [p for p in pieces if p[0] == "label"]
    if not labels:
        return False
    first = match_label(texts[:1])
    if first is not None and first.key != "funds" and not fund_label_of(texts[0]):
        return False  # a header or narrative row that happens to contain a funds word
    d = st.decl
    st.in_funds = True
    st.field = None
    unit = st.unit
    current = None
    for kind, text in pieces:
        if kind == "label":
            current = (fund_label_of(text), text)
            unit = unit_in(text) or unit
            continue
        if kind == "other":
            unit = unit_in(text) or unit
            continue
        if current is None:
            continue
        (key, period), label = current
        amount = parse_amount(text, unit)
        current = None  # one amount per label; the rest of the row belongs to other labels
        if amount is None:
            continue
        yuan, _ = amount
        if key == "total":
            period = period or st.fund_period
            if period is None:
                d.funds[("?", "total")] = yuan  # 资金总额 / 合计: the period is settled when the form ends
                d.funds_printed[("?", "total")] = clean(text)
                continue
            st.fund_period = st.fund_period or period
            d.funds[(period, "total")] = yuan
            d.funds_printed[(period, "total")] = clean(text)
        else:
            period = period_of_label(label) or st.fund_period or "?"
            d.funds[(period, key)] = yuan
            d.funds_printed[(period, key)] = clean(text)
    return True


def _two_column_funds_line(st: PageState, line: Row) -> bool:
    """The side-by-side layout (实施期 | 年度 in one row), garbled by PDF extraction as it may be."""
    d = st.decl
    texts = line.texts
    c = compact("".join(texts))
    has_total = "资金总额" in c or "总额:" in c or ("年度资金" in c and st.in_funds)
    found = None if has_total else _source_of_row(texts)
    source = found[0] if found else None
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
        key = source or SEED_ORDER[min(st.fund_row, 5)]
    st.fund_row += 1
    # numbers after the first label-ish cell
    start = 0
    for i, t in enumerate(texts):
        if HAN.search(t) and ("资金" in t or "总额" in t or "自筹" in t or fund_label_of(t)):
            start = i
            break
    runs = number_runs(texts[start:])
    values: list[list[float]] = [amount_candidates(r) for r in runs]
    values = [v for v in values if v]
    periods = ("实施期", "年度")
    for period in periods[len(values):]:
        d.funds.setdefault((period, key), None)
    for period, cands, run in zip(periods, values, runs):
        d.funds[(period, key)] = cands[0]
        d.funds_printed[(period, key)] = "".join(run)
        if len(cands) > 1:
            d.fund_readings[(period, key)] = cands
    if key == "total":
        if len(values) >= 1:
            d.funds_total = values[0][0]
        if len(values) >= 2:
            d.funds_annual = values[1][0]
        if len(values) < 2:
            warn(st, line, f"资金总额行：找到 {len(values)} 个金额（应为 2 个）")
    if st.fund_row >= 6:
        st.in_funds = False
    return True




def _is_goal_header(cell: str) -> bool:
    c = compact(cell)
    return any(c == g or (3 <= len(c) <= len(g) + 3 and similarity(c, g) >= 0.7) for g in GOAL_HEADERS)


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
            warn(st, line, f"标签“{hit.label}”与“{other.label}”在同一单元格：内容归入“{hit.label}”")
        elif other is not None:
            warn(st, line, f"标签“{hit.label}”与“{other.label}”在同一单元格：内容归入“{hit.label}”")
            rest_cells = [compact(hit.rest)[len(other.label):]] + rest_cells[1:]
    if key in ("goal", "goal_period", "goal_annual"):
        split = None
        for i, c in enumerate(rest_cells):
            if compact(c) == "年度目标":
                split = i
        content = [c for c in rest_cells if not _is_goal_header(c)]
        if not content:
            st.field = "goal_annual" if key == "goal_annual" else "goal_period"  # the goal is on the next line
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




_CODE = re.compile(r"^\s*(?:[\[【(（]\s*(\d{2,12})\s*[\]】)）]|(\d{2,12})\s*[-—－_\s])\s*(.+)$")
_TRAILING_CODE = re.compile(r"^(.+?)\s+(\d{3,12})$")


def split_code(value: str) -> tuple[str | None, str]:
    """A department or unit printed with its code: ``[812]自治区教育厅``, ``062-阳泉市人力…``,
    ``湘潭市城市管理和综合执法局 308001`` → (code, name)."""
    m = _CODE.match(value)
    if m:
        return m.group(1) or m.group(2), m.group(3).strip()
    m = _TRAILING_CODE.match(value)
    if m:
        return m.group(2), m.group(1).strip()
    return None, value.strip()


# header labels of four or more characters, longest first: a second label inside a header value
_HEADER_LABEL = re.compile("|".join(re.escape(label) for label in sorted(
    {label for g, _k, label in ALL_LABELS if g == "header" and len(label) >= 4}, key=len, reverse=True)))


def _split_at_header_labels(cell: str) -> list[str]:
    """``城区公厕改造工程 主管部门及代码 305-…`` (after a space) or ``…补差资金专项属性延续专项√`` (run
    together, after four or more characters): the cell is cut before each such label."""
    pieces = [cell]
    start = 0
    for m in _HEADER_LABEL.finditer(cell):
        at = m.start()
        if at <= start:
            continue
        if cell[at - 1].isspace() or at - start >= 4:
            pieces[-1] = cell[start:at]
            pieces.append(cell[at:].strip())
            start = at
    return pieces if len(pieces) > 1 else [cell]


_STAMP = re.compile(r"^[(（](?:盖章|签章|公章)[)）]\s*[:：]?\s*")
_TICKS, _BOXES = "√☑✓✔■▇●☒", "□☐"


def ticked(value: str) -> str | None:
    """The option a tick marks among checkboxes: ``新增项目□延续项目√`` (marks after the options) or
    ``☑新增 □延续`` (before them); None when nothing is ticked."""
    v = compact(value)
    if not any(c in _TICKS for c in v):
        return None
    marks = re.escape(_TICKS + _BOXES)
    if v[-1] in _TICKS + _BOXES:
        pairs = re.findall(rf"([^{marks}]+)([{marks}])", v)
    else:
        pairs = [(o, m) for m, o in re.findall(rf"([{marks}])([^{marks}]+)", v)]
    return next((o for o, m in pairs if m in _TICKS), None)


def _apply_header(st: PageState, line: Row, key: str, rest: list[str]) -> None:
    d = st.decl
    # OCR text: ``城区公厕改造工程 主管部门及代码 305-…`` has a second label inside one cell
    expanded: list[str] = []
    for cell in rest:
        expanded.extend(p for p in _split_at_header_labels(cell) if p.strip())
    rest = expanded
    if key == "funds":
        st.unit = unit_in("".join(line.texts)) or st.unit
        st.in_funds = True
        return
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
        if i > 0 and _is_signature_label(rest[i]) and len(compact(rest[i])) <= 10:
            parts.append(("signature", [rest[i]]))  # ``项目名称 | 主体班 | 项目负责人 | 王舜``
            i += 1
            continue
        if i > 0 and fund_label_of(rest[i]) is not None and not re.search(r"\d", rest[i][:2]):
            parts.append(("funds", rest[i:]))  # ``项目名称 | … | 中期市财政预算(万元) | 284500.00``
            break
        parts[-1][1].append(rest[i])
        i += 1
    for k, cells in parts:
        if k == "signature":
            parse_signature(st, Row(line.no, list(enumerate(cells))))
            continue
        if k == "funds":
            parse_funds_line(st, Row(line.no, list(enumerate(cells))))
            continue
        # a trailing fragment of the next label (``社会保障局 实`` before 实施单位)
        if cells:
            cells[-1] = re.sub(r"\s+[\u4e00-\u9fff]$", "", cells[-1])
        value = join_cells(cells, drop_stray_digit=k in ("dept", "implementer"))
        value = _STAMP.sub("", value)  # 填报单位(盖章):宁乡市坝塘镇人民政府
        if not value:
            continue
        if k == "name":
            d.name = d.name or value
        elif k == "dept":
            code, name = split_code(value)
            if d.dept_name is None or code:
                d.dept_code, d.dept_name = code or d.dept_code, name
        elif k == "implementer":
            d.implementer = d.implementer or split_code(value)[1]
        elif k == "attribute":
            value = ticked(value) or value
            known = next((a for a in ATTRIBUTES if compact(value).startswith(a)), None)
            m = re.match(r"^(.*?)[(（]", value)
            d.attribute = known or (m.group(1) if m else value).strip() or value
        elif k == "category":
            d.category = value
        elif k == "period":
            years_cells = [compact(c) for c in cells if re.fullmatch(r"\d{1,2}年", compact(c))]
            years, start, end = parse_period(years_cells[-1] if years_cells else value)
            if years is None and start is None:
                warn(st, line, "项目期无法识别 (period not understood)", value)
            d.period_years = d.period_years or years
            d.period_start, d.period_end = d.period_start or start, d.period_end or end
        elif k in ("start", "end"):
            _, when, _ = parse_period(value)
            if when:
                setattr(d, "period_start" if k == "start" else "period_end", when)

