"""Parse 项目支出绩效目标申报表 text into records.

Pure: text in, dataclasses out. No SQLite, no jieba. The parser works on
cells (tab-separated pieces of a line) and recognises labels by fuzzy
matching, so that PDF-extracted text with split words, dropped characters and
interleaved columns still yields whatever can honestly be recovered. Anything
it cannot place becomes a :class:`Warning` with the line number.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from difflib import SequenceMatcher

PARSER_VERSION = 1

HAN = re.compile(r"[\u3400-\u9fff]")
LEADING_DEBRIS = re.compile(r"^[\s」「』『|•·.,，、:;\-—_~^*]+")
TAG = re.compile(r"</?[a-zA-Z][^<>]{0,40}>")
LATEX = re.compile(r"\$[^$]{0,60}\$")


class ParseError(ValueError):
    """Input that cannot be read as declarations at all (binary, empty, no form)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class Warning:
    line: int | None
    text: str
    reason: str


@dataclass
class Indicator:
    period: str  # 实施期 or 年度
    level1: str | None
    level2: str | None
    name: str
    value: str | None
    op: str | None
    number: float | None
    unit: str | None
    line: int


@dataclass
class Policy:
    title: str | None
    doc_number: str | None
    field: str


@dataclass
class Declaration:
    name: str | None = None
    title: str | None = None
    year: int | None = None
    dept_code: str | None = None
    dept_name: str | None = None
    implementer: str | None = None
    attribute: str | None = None
    category: str | None = None
    period_years: int | None = None
    funds_total: float | None = None
    funds_annual: float | None = None
    overview: str | None = None
    basis: str | None = None
    necessity: str | None = None
    safeguards: str | None = None
    plan: str | None = None
    goal_period: str | None = None
    goal_annual: str | None = None
    responsible: str | None = None
    contact: str | None = None
    phone: str | None = None
    filed_at: str | None = None
    first_line: int = 0
    last_line: int = 0
    pages: int = 1
    funds: dict[tuple[str, str], float | None] = field(default_factory=dict)
    indicators: list[Indicator] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    # every plausible reading of each split amount, first = the one in ``funds``; used by
    # _finish to make the sources add up to the printed total
    fund_readings: dict[tuple[str, str], list[float]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> str:
        """Stable identity: the same project re-exported keeps its id."""
        basis = f"{self.year}|{self.dept_code}|{compact(self.name or '')}"
        return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


@dataclass
class ParseResult:
    declarations: list[Declaration]
    warnings: list[Warning]  # file-level warnings, not tied to one declaration


# ---------------------------------------------------------------- vocabulary

NARRATIVE_LABELS: dict[str, tuple[str, ...]] = {
    "overview": ("项目概况", "项目简介", "项目基本情况", "项目内容"),
    "basis": ("立项依据", "政策依据", "项目依据"),
    "necessity": ("项目设立必要性", "项目设立的必要性", "立项必要性", "必要性"),
    "safeguards": ("保证项目实施的制度、措施", "保证项目实施的制度措施", "保障措施", "项目实施保障措施"),
    "plan": ("项目实施计划", "实施计划", "实施进度计划"),
    "goal": ("总体目标", "绩效目标", "项目总体目标"),
    "goal_period": ("实施期目标", "实施期总体目标", "实施期绩效目标", "中长期目标"),
    "goal_annual": ("年度目标", "年度总体目标", "年度绩效目标"),
}
HEADER_LABELS: dict[str, tuple[str, ...]] = {
    "name": ("项目名称",),
    "dept": ("主管部门及代码", "主管部门", "预算部门", "主管单位", "部门名称"),
    "implementer": ("实施单位", "项目实施单位", "预算单位", "项目单位"),
    "attribute": ("项目属性", "项目性质"),
    "category": ("项目类别", "项目类型"),
    "period": ("项目期", "项目日期", "项目周期", "实施周期"),
    "start": ("计划开始日期", "项目开始日期"),
    "end": ("计划完成日期", "计划结束日期", "项目结束日期"),
    "funds": ("项目资金(元)", "项目资金", "资金情况"),
}
SIGNATURE_LABELS: dict[str, tuple[str, ...]] = {
    "responsible": ("负责人", "项目负责人", "单位负责人"),
    "contact": ("经办人", "填表人", "填报人", "联系人"),
    "phone": ("联系电话", "电话"),
    "filed_at": ("填报日期", "填表日期", "申报日期"),
}
FUND_SOURCES: list[tuple[str, tuple[str, ...]]] = [
    ("total", ("实施期资金总额", "项目资金总额", "资金总额", "年度资金总额", "年度资金申请总额")),
    ("中央财政资金", ("中央财政资金", "中央资金", "中央补助")),
    ("省级财政资金", ("省级财政资金", "省级资金", "省级补助")),
    ("市县(区)财政资金", ("市县(区)财政资金", "市县财政资金", "市级财政资金", "本级财政资金", "财政拨款")),
    ("单位自筹", ("单位自筹", "自筹资金")),
    ("其他资金", ("其他资金",)),
]
LEVEL1 = ("产出指标", "效益指标", "满意度指标", "成本指标")
LEVEL2 = (
    "数量指标", "质量指标", "时效指标", "成本指标", "经济效益指标", "社会效益指标", "生态效益指标",
    "可持续影响指标", "服务对象满意度指标", "服务对象满意度", "经济成本指标", "社会成本指标",
    "生态环境成本指标", "满意度指标",
)
INDICATOR_HEADER = ("一级指标", "二级指标", "三级指标", "指标值", "绩效指标", "指标内容", "指标名称")
OPS = {
    "≥": "≥", "≧": "≥", ">=": "≥", "不低于": "≥", "不少于": "≥", "大于等于": "≥", "至少": "≥",
    "≤": "≤", "≦": "≤", "<=": "≤", "不高于": "≤", "不超过": "≤", "小于等于": "≤", "控制在": "≤",
    ">": ">", "＞": ">", "大于": ">", "高于": ">",
    "<": "<", "＜": "<", "小于": "<", "低于": "<",
    "=": "=", "＝": "=", "等于": "=",
}


# ------------------------------------------------------------------- helpers

# The same cells are normalised and compared many times per line (every label is tried against
# them), so these pure string helpers are memoised; the caches are bounded.
_KEEP_AS_IS = re.compile("([《》〔〕【】〈〉“”‘’、，。；：≥≤·]+)")


@lru_cache(maxsize=1 << 16)
def normalise_text(text: str) -> str:
    """NFKC (full-width digits and brackets to ASCII) but keep 《》〔〕【】 and ≥≤."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    parts = _KEEP_AS_IS.split(text)  # odd parts are the kept punctuation
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))


@lru_cache(maxsize=1 << 16)
def compact(text: str) -> str:
    """Drop all whitespace and unify punctuation; for matching, not for display."""
    text = normalise_text(text)
    text = text.replace("：", ":").replace("，", ",")
    return re.sub(r"\s+", "", text)


def indicator_key(name: str | None) -> str:
    """Normalised indicator name for grouping across declarations: compact, without numbering or
    trailing punctuation (``1.培训 人次（人次）`` and ``培训人次`` group together)."""
    key = compact(name or "")
    key = re.sub(r"^[\(（]?[0-9一二三四五六七八九十]+[\)）.、．]+", "", key)
    key = re.sub(r"[(（][^()（）]{0,6}[)）]$", "", key)
    return key.strip(",.;:、。；：") or compact(name or "")


@lru_cache(maxsize=1 << 16)
def clean(text: str) -> str:
    """Display form: markup stripped, whitespace between Han characters removed."""
    text = TAG.sub("", text)
    text = LATEX.sub("", text)
    text = text.replace("&nbsp;", " ")
    text = re.sub(r"(?<=[\u3400-\u9fff，。、；：“”《》（）()])[ \t\u3000]+(?=[\u3400-\u9fff，。、；：“”《》（）()])", "", text)
    text = re.sub(r"[ \t\u3000]+", " ", text)
    return text.strip()


@lru_cache(maxsize=1 << 16)
def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


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
    return True


@dataclass
class Line:
    no: int
    cells: list[tuple[int, str]]  # (column index, stripped text), non-empty only

    @property
    def texts(self) -> list[str]:
        return [t for _, t in self.cells]

    @property
    def text(self) -> str:
        return " ".join(self.texts)


def split_line(no: int, raw: str) -> Line:
    raw = raw.replace("\u00a0", " ").replace("|", "\t") if raw.lstrip().startswith("|") else raw.replace("\u00a0", " ")
    parts = raw.split("\t")
    cells = []
    for i, p in enumerate(parts):
        p = p.strip()
        if p:
            cells.append((i, p))
    return Line(no, cells)


# ----------------------------------------------------------- label matching

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


@lru_cache(maxsize=1 << 14)
def _match_label(texts: tuple[str, ...], groups: tuple[str, ...]) -> LabelHit | None:
    """Recognise a row label at the start of a line, tolerating split and garbled characters.

    A label may be spread over up to four leading cells (``项目名和	尔``), may be
    followed by debris of one character (``项目概况	兄``), or may share its cell
    with content (``总体目标 本项目…``).
    """
    texts = [LEADING_DEBRIS.sub("", normalise_text(t)) for t in texts]
    if not texts:
        return None
    first = compact(texts[0])
    if first in INDICATOR_HEADER or _is_label_fragment(first) or level_of(first) is not None:
        return None
    prefix_hit: LabelHit | None = None
    # 1. The first cell starts with a label, the rest of the cell is content.
    for i in _LABELS_BY_FIRST.get(first[:1], ()):
        group, key, label = ALL_LABELS[i]
        if group not in groups:
            continue
        if first.startswith(label) and (prefix_hit is None or len(label) > len(prefix_hit.label)):
            pattern = r"\s*".join(re.escape(ch) for ch in label)
            raw = texts[0].replace("：", ":")
            m = re.match(r"\s*" + pattern + r"\s*:?", raw)
            rest = raw[m.end():] if m else ""
            prefix_hit = LabelHit(group, key, label, 1, rest.strip(), 1.0)
    # 2. Fuzzy: leading cells joined.
    fuzzy: LabelHit | None = None
    for k in range(1, min(4, len(texts)) + 1):
        joined = compact("".join(texts[:k])).rstrip(":")
        if len(joined) < 2:
            continue
        for i in _label_candidates(joined):
            group, key, label = ALL_LABELS[i]
            if group not in groups or len(label) < 3:
                continue
            if len(joined) > len(label) + 3 or joined[0] != label[0] and joined[:2] not in label:
                continue
            score = 1.0 if len(joined) >= 5 and label.startswith(joined) else similarity(joined, label)
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


# -------------------------------------------------------------------- values

NUMBER = r"\d[\d,，\s]*(?:\.\s?\d+)?"
VALUE_RE = re.compile(
    r"^(?P<op>≥|≤|>=|<=|>|<|=|≧|≦|＞|＜|＝|不低于|不少于|不高于|不超过|大于等于|小于等于|大于|小于|高于|低于|等于|至少|控制在)?"
    r"\s*(?:约|每年约?|按)?\s*(?P<num>-?" + NUMBER + r")\s*(?P<unit>.*)$"
)
DATE_RE = re.compile(r"^\d{4}\s*(年|-|\.|/)")


def parse_value(value: str | None) -> tuple[str | None, float | None, str | None]:
    """Split a printed indicator value into (op, number, unit).

    ``≥95%`` → ``('≥', 95.0, '%')``; ``=100.00(%)`` → ``('=', 100.0, '%')``;
    ``2023年12月前`` is a date, not a quantity → ``(None, None, None)``.
    """
    if not value:
        return None, None, None
    v = normalise_text(value).strip()
    if DATE_RE.match(v) or re.match(r"^\d{1,2}月", v):
        return None, None, None
    m = VALUE_RE.match(v)
    if not m:
        return None, None, None
    op = OPS.get(m.group("op") or "", None)
    num_text = re.sub(r"[,，\s]", "", m.group("num"))
    try:
        number = float(num_text)
    except ValueError:
        return op, None, None
    unit = m.group("unit").strip()
    unit = re.sub(r"^[(（](.*)[)）]$", r"\1", unit).strip()
    unit = unit.replace("百分比", "%").replace("％", "%")
    if unit and (len(unit) > 8 or re.search(r"\d", unit)):
        return op, None, None  # ``每年5月,11月归还本金``: the number is not the quantity
    return op, number, unit or None


NAME_SUFFIX = re.compile(r"(率|数|量|额|度|成本|费用|标准|时间|时效|人数|户数|情况|指标)$")
UNIT_NUMBER = re.compile(r"\d+(\.\d+)?\s*(万元|亿元|元|%|户|家|人次|人|个|吨|公里|项|次|所|台|套|平方米|亩|村|处)")


def looks_like_value(cell: str) -> bool:
    """Does this indicator cell read as a target value rather than an indicator name?"""
    c = compact(cell)
    if not c:
        return False
    if re.match(r"^(≥|≤|>|<|=|≧|≦|不低于|不少于|不高于|不超过|大于|小于|约\d|每年|每季度|每月|每\S{0,3}\d|按合同|按照协议)", c):
        return True
    if re.match(r"^\d", c):
        # ``2021年"小升规"企业数`` is a name that happens to start with a year
        if re.match(r"^\d{4}年", c) and (re.search(r"[“”\"]", c) or NAME_SUFFIX.search(c)):
            return False
        return True
    if NAME_SUFFIX.search(c) and not c.endswith("%"):
        return False
    if c.endswith("%") and len(c) <= 20:
        return True
    if UNIT_NUMBER.search(c) and len(c) <= 16:
        return True
    qualitative = (
        "有效", "持续", "逐步", "长期", "延续", "保障", "提升", "提高", "全部", "按时", "全年", "一项", "两项",
        "可持续", "明显", "显著", "稳步", "不断", "根据实际", "执行文件", "符合", "达标", "合格", "完成", "改善",
        "解决", "是", "否", "良好", "优良", "满意", "一次性", "全面", "促进", "推动", "降低", "减少", "增加",
    )
    return len(c) <= 8 and c.startswith(qualitative)


@lru_cache(maxsize=1 << 16)
def level_of(cell: str) -> tuple[str, str] | None:
    """Classify a cell as a 一级/二级 indicator category, tolerating truncation (``服务对象满意度指``)."""
    c = compact(cell)
    if not c or len(c) < 4:
        return None
    for name in LEVEL1:
        if c == name and name != "成本指标":
            return ("l1", name)
    for name in sorted(LEVEL2, key=len, reverse=True):
        if c == name:
            return ("l2", name)
    for name in sorted(LEVEL2, key=len, reverse=True):
        if len(c) >= 5 and name.startswith(c):
            return ("l2", "服务对象满意度指标" if name.startswith("服务对象满意度") else name)
        if c.startswith(name) and len(c) <= len(name) + 4 and not re.search(r"\d", c):
            return ("l2", name)
    return None


# --------------------------------------------------------------------- funds

def _number_runs(cells: list[str]) -> list[list[str]]:
    """Maximal runs of adjacent numeric cells (``22`` + ``2, 520, 000`` is one run)."""
    runs: list[list[str]] = []
    current: list[str] = []
    for c in cells:
        cc = compact(c)
        if re.fullmatch(r"[\d,.]+", cc) or re.fullmatch(r",[\d,.]+", cc):
            current.append(cc)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _to_float(text: str) -> float | None:
    t = text.replace(",", "").rstrip(".")
    if not re.fullmatch(r"\d+(\.\d+)?", t):
        return None
    return float(t)


def amount_candidates(run: list[str]) -> list[float]:
    """Readings of a run of numeric cells, most plausible first.

    ``10`` + ``0, 000, 000`` reads ``100,000,000``; ``22`` + ``2, 520, 000`` may be
    a digit repeated across a column cut, so ``22,520,000`` is offered too.
    """
    cands: list[float] = []
    joined = "".join(run)
    for text in (joined,):
        v = _to_float(text)
        if v is not None:
            cands.append(v)
    if len(run) >= 2:
        a, b = "".join(run[:-1]), run[-1]
        if a and b and a[-1] == b[0]:
            v = _to_float(a + b[1:])
            if v is not None:
                cands.append(v)
        v = _to_float(b)
        if v is not None and not b.startswith("0"):
            cands.append(v)
    seen: list[float] = []
    for c in cands:
        if c not in seen:
            seen.append(c)
    return seen


_FUND_LABEL_CHARS = {compact(lab): Counter(compact(lab)) for _k, _labs in FUND_SOURCES for lab in _labs}


@lru_cache(maxsize=1 << 14)
def fund_source_of(text: str) -> str | None:
    c = compact(text).replace("其中:", "").replace("其中", "")
    c = c.replace("単", "单")
    best, best_score = None, 0.0
    for key, labels in FUND_SOURCES:
        for label in labels:
            lab = compact(label)
            if lab in c:
                return key
            head = c[: len(lab) + 2]
            # an upper bound of the ratio from the characters the two share: skip what cannot win
            shared = sum(_FUND_LABEL_CHARS[lab].get(ch, 0) for ch in set(head))
            if 2 * shared / (len(head) + len(lab) or 1) < max(best_score, 0.7):
                continue
            s = similarity(head, lab)
            if s > best_score:
                best, best_score = key, s
    return best if best_score >= 0.7 else None


# ------------------------------------------------------------------ policies

BRACKETS_OPEN = "〔[【(（［〈"
BRACKETS_CLOSE = "〕]】)）］〉"
DOC_NUMBER_RE = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{1,14}?)\s*[" + re.escape(BRACKETS_OPEN) + r"]\s*(?P<year>(?:19|20)\d{2})\s*["
    + re.escape(BRACKETS_CLOSE) + r"]\s*(?:第\s*)?(?P<no>\d{1,4})\s*号"
)
TITLE_RE = re.compile(r"《([^《》]{2,120})》")
PREFIX_CUT = re.compile(r".*(?:的通知|的意见|的批复|通知|文件|根据|依据|按照|参照|印发|关于|以及|和|及|与|、|》|的)")


def _plausible_title(title: str) -> bool:
    """A document title: no sentence punctuation, balanced brackets, no stray spaces (OCR debris)."""
    if not 4 <= len(title) <= 60 or re.search(r"[,，。;；!?\s]", title):
        return False
    return title.count("(") + title.count("（") == title.count(")") + title.count("）")


def normalise_doc_number(prefix: str, year: str, no: str) -> str:
    return f"{prefix}〔{year}〕{int(no)}号"


def extract_policies(text: str, field_name: str) -> list[Policy]:
    """Find cited documents: titles in 《》 and numbers such as 晋教安稳函〔2022〕6号 in any bracket form."""
    if not text:
        return []
    flat = re.sub(r"(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff\d〔【\[(（])", "", normalise_text(text))
    found: list[tuple[int, Policy]] = []
    numbers = []
    for m in DOC_NUMBER_RE.finditer(flat):
        prefix = m.group("prefix")
        cut = PREFIX_CUT.match(prefix)
        if cut:
            prefix = prefix[cut.end():]
        if not 2 <= len(prefix) <= 8:
            continue  # an issuer abbreviation is 2-8 characters; longer is text the cut could not separate
        numbers.append((m.start(), m.end(), normalise_doc_number(prefix, m.group("year"), m.group("no"))))
    titles = [(m.start(), m.end(), clean(m.group(1))) for m in TITLE_RE.finditer(flat)]
    used_numbers: set[int] = set()
    starts = [n[0] for n in numbers]
    ends = [n[1] for n in numbers]  # numbers do not overlap, so their ends are sorted too
    for ts, te, title in titles:
        title = title.strip()
        if not _plausible_title(title):
            continue
        doc = None
        # only numbers ending just before the title or starting just after it can belong to it
        near = range(bisect.bisect_left(ends, ts - 2), bisect.bisect_right(starts, te + 12))
        for i in near:
            ns, ne, number = numbers[i]
            gap = flat[te:ns]
            if i not in used_numbers and 0 <= ns - te <= 12 and not re.search(r"[《》]", gap):
                doc = number
                used_numbers.add(i)
                break
            gap_before = flat[ne:ts]
            if i not in used_numbers and 0 <= ts - ne <= 2 and not re.search(r"[《》]", gap_before):
                doc = number
                used_numbers.add(i)
                break
        found.append((ts, Policy(title, doc, field_name)))
    for i, (ns, ne, number) in enumerate(numbers):
        if i in used_numbers:
            continue
        title = None
        # ``关于印发…的通知阳开产发(2020)19号``: an unbracketed title just before the number
        before = flat[max(0, ns - 80):ns]
        m = re.search(r"(关于[^，。；;,、《》\s]{4,50}?(?:通知|办法|方案|意见|规定|决定|批复|细则))\s*[(（]?\s*$", before)
        if m and _plausible_title(clean(m.group(1))):
            title = clean(m.group(1))
        found.append((ns, Policy(title, number, field_name)))
    found.sort(key=lambda p: p[0])
    return [p for _, p in found]


# -------------------------------------------------------------------- parser

TITLE_LINE = re.compile(r"^\s*#*\s*(.{0,40}(申报表|绩效目标表|目标表))\s*$")
YEAR_LINE = re.compile(r"^\s*[(（]\s*((?:19|20)\d{2})\s*年度?\s*[)）]\s*$")
SEPARATOR_LINE = re.compile(r"^[\s\-|:—_=]+$")


MAX_BYTES = 64 * 1024 * 1024  # a bulk export of a whole province is a few MB


def read_text(data: bytes, path: str = "<input>") -> str:
    """Decode input bytes as UTF-8 (BOM allowed). Anything else is an error naming the file.

    A file cut off inside its last character keeps everything before the cut, marked with U+FFFD.
    """
    if len(data) > MAX_BYTES:
        raise ParseError(f"{path}: {len(data):,} bytes is more than the {MAX_BYTES:,} a declarations file may have;"
                         " split it")
    if not data.strip():
        raise ParseError(f"{path}: file is empty")
    if b"\x00" in data[:8192]:
        raise ParseError(f"{path}: looks like a binary file (NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.end == len(data) and e.reason == "unexpected end of data":
            # a file cut off inside its last character (an interrupted copy): keep the rest, mark the cut
            return data[: e.start].decode("utf-8-sig") + "\ufffd"
        line = data[: e.start].count(b"\n") + 1
        raise ParseError(f"{path}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})", line) from e
    return text


def parse_text(text: str) -> ParseResult:
    """Parse one file's text into declarations.

    Pages that repeat the header of the same project (same 项目名称) are merged
    into one declaration. Raises :class:`ParseError` only when no form at all
    is found; everything else degrades to warnings.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    raw_lines = text.split("\n")
    pages = _split_pages(raw_lines)
    file_warnings: list[Warning] = []
    if not pages:
        raise ParseError("no declaration found (no 项目名称 line)", None)
    declarations: list[Declaration] = []
    for page in pages:
        decl = _parse_page(page)
        prev = declarations[-1] if declarations else None
        if prev is not None and _same_project(prev, decl):
            _merge(prev, decl)
        else:
            declarations.append(decl)
    for d in declarations:
        _finish(d)
    return ParseResult(_drop_repeats(declarations, file_warnings), file_warnings)


def _content(d: Declaration) -> tuple:
    """What a declaration says, without where it was in the file."""
    fields = tuple(getattr(d, f) for f in (
        "name", "title", "year", "dept_code", "dept_name", "implementer", "attribute", "category", "period_years",
        "funds_total", "funds_annual", "overview", "basis", "necessity", "safeguards", "plan", "goal_period",
        "goal_annual", "responsible", "contact", "phone", "filed_at"))
    indicators = tuple((i.period, i.level1, i.level2, i.name, i.value) for i in d.indicators)
    return fields, tuple(sorted(d.funds.items(), key=str)), indicators


def _drop_repeats(declarations: list[Declaration], file_warnings: list[Warning]) -> list[Declaration]:
    """A declaration printed again later in the same file (a bulk export repeating pages) is kept once.

    Only exact repeats go; two different declarations with the same project name are both kept.
    """
    first_at: dict[tuple, int] = {}
    kept = []
    for d in declarations:
        content = _content(d)
        if content in first_at:
            file_warnings.append(Warning(d.first_line, d.name or "",
                                         f"repeats the declaration at line {first_at[content]}: skipped"))
            continue
        first_at[content] = d.first_line
        kept.append(d)
    return kept


@dataclass
class Page:
    title: str | None
    year: int | None
    lines: list[Line]


def _is_name_line(line: Line) -> bool:
    if not line.cells:
        return False
    hit = match_label(line.texts[:4], groups=("header",))
    return hit is not None and hit.key == "name"


def _split_pages(raw_lines: list[str]) -> list[Page]:
    pages: list[Page] = []
    pending_title: str | None = None
    pending_year: int | None = None
    current: Page | None = None
    has_name = False
    for i, raw in enumerate(raw_lines, start=1):
        stripped = raw.strip()
        if not stripped or SEPARATOR_LINE.match(stripped):
            continue
        m = TITLE_LINE.match(stripped.replace("\t", ""))
        if m and "\t" not in stripped.strip("\t"):
            pending_title = m.group(1).strip()
            current = None
            continue
        m = YEAR_LINE.match(stripped)
        if m:
            pending_year = int(m.group(1))
            continue
        line = split_line(i, raw)
        if _is_name_line(line):
            if current is None or has_name:
                current = Page(pending_title, pending_year, [])
                pages.append(current)
                pending_title = None
                pending_year = None
            has_name = True
            current.lines.append(line)
            continue
        if current is None:
            # text before the first 项目名称 of a page (a page whose name line was lost)
            if pending_title is not None or pages:
                current = Page(pending_title, pending_year, [])
                pages.append(current)
                pending_title = None
                pending_year = None
                has_name = False
            else:
                continue
        current.lines.append(line)
    return [p for p in pages if p.lines]


def _same_project(a: Declaration, b: Declaration) -> bool:
    if b.name is None:
        return True  # a continuation page whose header was lost
    if a.name is None:
        return False
    if compact(a.name) != compact(b.name):
        return False
    if a.funds_total is not None and b.funds_total is not None and a.funds_total != b.funds_total:
        return False
    return True


def _merge(a: Declaration, b: Declaration) -> None:
    for f in ("title", "year", "dept_code", "dept_name", "implementer", "attribute", "category", "period_years",
              "funds_total", "funds_annual", "overview", "basis", "necessity", "safeguards", "plan", "goal_period",
              "goal_annual", "responsible", "contact", "phone", "filed_at"):
        if getattr(a, f) in (None, "") and getattr(b, f) not in (None, ""):
            setattr(a, f, getattr(b, f))
    for k, v in b.funds.items():
        if a.funds.get(k) is None:
            a.funds[k] = v
            if k in b.fund_readings:
                a.fund_readings[k] = b.fund_readings[k]
    a.indicators.extend(b.indicators)
    a.policies.extend(b.policies)
    a.warnings.extend(b.warnings)
    a.last_line = max(a.last_line, b.last_line)
    a.pages += b.pages


class _PageState:
    def __init__(self, decl: Declaration, header_split: int | None):
        self.decl = decl
        self.field: str | None = None  # narrative field receiving continuation lines
        self.in_indicators = False
        self.header_split = header_split
        self.l1: str | None = None
        self.l2 = {"实施期": None, "年度": None}
        self.fund_row = 0
        self.in_funds = False


def _parse_page(page: Page) -> Declaration:
    d = Declaration(title=page.title, year=page.year)
    d.first_line = page.lines[0].no
    d.last_line = page.lines[-1].no
    st = _PageState(d, None)
    for line in page.lines:
        try:
            _parse_line(st, line)
        except Exception as e:  # a parser bug must not lose the form: record and go on
            d.warnings.append(Warning(line.no, line.text[:200], f"internal error: {type(e).__name__}: {e}"))
    return d


def _warn(st: _PageState, line: Line, reason: str, text: str | None = None) -> None:
    st.decl.warnings.append(Warning(line.no, (text if text is not None else line.text)[:300], reason))


def _parse_line(st: _PageState, line: Line) -> None:
    d = st.decl
    texts = [t for t in line.texts]
    if not texts:
        return
    joined = compact("".join(texts))
    if not HAN.search(joined):
        _warn(st, line, "unreadable line (no Chinese text): skipped")
        return
    if len(line.cells) == 1:
        words = re.split(r"[ \u3000]{1,}", line.cells[0][1])
        if len(words) >= 3 and any(level_of(w) for w in words):
            # OCR text with no column separators: spaces are the only cell boundaries left
            line = Line(line.no, [(line.cells[0][0] + i, w) for i, w in enumerate(words) if w])
            texts = line.texts
            _warn(st, line, "no column separators: cells split at spaces")

    # signature line(s)
    if _has_signature(texts):
        _parse_signature(st, line)
        st.field = None
        return

    # indicator header row
    n_header = sum(1 for t in texts if compact(t) in INDICATOR_HEADER)
    if n_header >= 2:
        st.in_indicators = True
        st.in_funds = False
        st.field = None
        second = [col for col, t in line.cells if compact(t) == "二级指标"]
        values = [col for col, t in line.cells if compact(t).startswith("指标值") or "指标值" in compact(t)]
        if len(second) >= 2:
            st.header_split = second[1]
        elif len(values) >= 2:
            st.header_split = values[0] + 1
        else:
            st.header_split = None
        return

    # funds lines
    if _parse_funds_line(st, line):
        return

    hit = match_label(texts[:4])
    if hit is not None and not (st.in_indicators and hit.group == "header" and hit.key not in ("name", "dept")):
        st.in_funds = hit.key == "funds"
        if hit.key == "funds":
            return
        if st.in_indicators and hit.group == "narrative":
            st.in_indicators = False
        _apply_label(st, line, hit)
        return

    if st.in_indicators or _looks_like_indicator_row(texts):
        st.in_indicators = True
        st.field = None
        _parse_indicator_row(st, line)
        return

    if st.field is not None:
        extra = clean(" ".join(t for t in texts if not is_noise(t)))
        if extra:
            cur = getattr(d, st.field)
            setattr(d, st.field, f"{cur} {extra}".strip() if cur else extra)
        return
    _warn(st, line, "line not recognised: kept in the source text only")


@lru_cache(maxsize=1 << 16)
def _is_signature_cell(text: str) -> bool:
    c = compact(text).rstrip(":")
    return any(c.startswith(compact(lab)) and len(c) <= len(lab) + 16
               for labels in SIGNATURE_LABELS.values() for lab in labels)


def _has_signature(texts: list[str]) -> bool:
    hits = sum(1 for t in texts if _is_signature_cell(t))
    return hits >= 2 or (hits == 1 and len(texts) <= 4 and any(compact(t).startswith("填报日期") for t in texts))


def _parse_signature(st: _PageState, line: Line) -> None:
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
            d.filed_at = _parse_filed_at(value)
            if d.filed_at is None:
                _warn(st, line, "填报日期 not understood", value)
        elif key == "phone":
            d.phone = re.sub(r"[^\d\-+]", "", value) or value
        else:
            setattr(d, key, clean(value))


def _is_signature_label(text: str) -> bool:
    c = compact(text)
    return any(c.startswith(compact(lab)) for labels in SIGNATURE_LABELS.values() for lab in labels)


def _parse_filed_at(value: str) -> str | None:
    v = re.sub(r"\s", "", normalise_text(value))
    m = re.match(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$", v)
    if m:
        y, mo, da, h, mi, s = m.groups()
        return f"{y}-{mo}-{da}T{h}:{mi}:{s}"
    m = re.match(r"^(\d{4})(\d{2})(\d{2})$", v)
    if m:
        return "{}-{}-{}".format(*m.groups())
    m = re.match(r"^(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})日?(?:T|\s)?(\d{1,2})?:?(\d{2})?:?(\d{2})?", v)
    if m:
        y, mo, da, h, mi, s = m.groups()
        date = f"{y}-{int(mo):02d}-{int(da):02d}"
        if h is not None and mi is not None:
            return f"{date}T{int(h):02d}:{mi}:{s or '00'}"
        return date
    return None


def _parse_funds_line(st: _PageState, line: Line) -> bool:
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
    runs = _number_runs(texts[start:])
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
            _warn(st, line, f"funds total line: found {len(values)} of 2 amounts")
    if st.fund_row >= 6:
        st.in_funds = False
    return True


GOAL_HEADERS = ("实施期目标", "年度目标")


def _is_goal_header(cell: str) -> bool:
    c = compact(cell)
    return any(c == g or (len(c) >= 3 and similarity(c, g) >= 0.7) for g in GOAL_HEADERS)


def _apply_label(st: _PageState, line: Line, hit: LabelHit) -> None:
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
            _warn(st, line, f"labels {hit.label} and {other.label} share one cell; text assigned to {hit.label}")
        elif other is not None:
            _warn(st, line, f"labels {hit.label} and {other.label} share one cell; text assigned to {hit.label}")
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


ATTRIBUTES = ("一次性项目", "经常性项目", "延续性项目", "新增项目", "跨年度项目", "延续项目", "新增")


def _apply_header(st: _PageState, line: Line, key: str, rest: list[str]) -> None:
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
                _warn(st, line, "项目期 not understood", value)


def _looks_like_indicator_row(texts: list[str]) -> bool:
    return any(level_of(t) is not None for t in texts)


def _is_label_fragment(cell: str) -> bool:
    """Pieces of the vertical 绩效指标 label that PDF extraction spreads over rows (``绩 效``, ``指 标``)."""
    c = compact(cell)
    if not c:
        return True
    return len(c) <= 4 and all(ch in "绩效指标" for ch in c)


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


def _parse_indicator_row(st: _PageState, line: Line) -> None:
    """One grid row: ``[一级] [二级] 三级 指标值 [二级] 三级 指标值``, any cell possibly missing."""
    toks: list[_Tok] = []
    for col, raw in line.cells:
        c = compact(raw)
        if _is_label_fragment(raw) or is_noise(raw) or c in INDICATOR_HEADER:
            continue
        if len(c) == 1 and c not in ("是", "否", "无", "有") and not c.isdigit():
            continue
        lv = level_of(raw)
        if lv is not None:
            toks.append(_Tok(lv[0], lv[1], col, clean(raw)))
        elif looks_like_value(raw):
            toks.append(_Tok("v", clean(raw), col, clean(raw)))
        else:
            toks.append(_Tok("n", clean(raw), col, clean(raw)))
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
                _warn(st, line, "stray value in indicator row: skipped", " ".join(t.raw for t in h))
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


def _emit_half(st: _PageState, line: Line, half: list[_Tok], side: str, other_names: list[str],
               row_l2: dict[str, str | None]) -> None:
    d = st.decl
    for t in half:
        if t.kind == "l1":
            st.l1 = t.text
            st.l2 = {"实施期": None, "年度": None}
        elif t.kind == "l2":
            st.l2[side] = t.text
            row_l2[side] = t.text
            if t.text in ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"):
                st.l1 = "效益指标"
            elif t.text in ("服务对象满意度指标", "服务对象满意度", "满意度指标"):
                st.l1 = "满意度指标"
            elif t.text in ("数量指标", "质量指标", "时效指标"):
                st.l1 = "产出指标"
            elif t.text == "成本指标" and st.l1 not in ("产出指标", "成本指标"):
                st.l1 = "产出指标"
            elif t.text in ("经济成本指标", "社会成本指标", "生态环境成本指标"):
                st.l1 = "成本指标"
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
        _warn(st, line, f"{side} value without an indicator name: skipped", " ".join(values))
        return
    if len(names) > 1:
        _warn(st, line, "extra text in indicator name column: kept the cell next to the value", " | ".join(names[:-1]))
    name = names[-1]
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
        _warn(st, line, "more than one value for one indicator: kept the first", " | ".join(values))
    if value is None:
        if not any(_mirror(name, o) for o in other_names):
            _warn(st, line, "indicator name without a value and no counterpart: skipped", name)
            return
        _warn(st, line, f"{side} indicator {name} has no value")
    op, number, unit = parse_value(value)
    level2 = st.l2.get(side) or st.l2.get("实施期")
    d.indicators.append(Indicator(side, st.l1, level2, name, value, op, number, unit, line.no))


def _finish(d: Declaration) -> None:
    """Reconcile funds, backfill categories, collect policies, take the year from 填报日期 if needed."""
    alts = d.fund_readings
    sources = [s for s, _ in FUND_SOURCES[1:]]
    for period in ("实施期", "年度"):
        total = d.funds.get((period, "total"))
        if total is None:
            continue
        current = {s: d.funds.get((period, s)) for s in sources}
        if all(v is None for v in current.values()):
            continue  # only the total was printed
        if abs(sum(v or 0 for v in current.values()) - total) < 0.5:
            continue
        fixed = False
        for s in sources:
            for cand in alts.get((period, s), [])[1:]:
                trial = dict(current, **{s: cand})
                if abs(sum(v or 0 for v in trial.values()) - total) < 0.5:
                    d.funds[(period, s)] = cand
                    d.warnings.append(Warning(d.first_line, f"{period} {s}",
                                              f"amount read as {cand:,.0f} so that the sources add up to the total"))
                    fixed = True
                    break
            if fixed:
                break
        if not fixed:
            d.warnings.append(Warning(d.first_line, period, f"{period} sources do not add up to the total {total:,.2f}"))
    d.funds_total = d.funds.get(("实施期", "total"), d.funds_total)
    d.funds_annual = d.funds.get(("年度", "total"), d.funds_annual)
    if d.year is None and d.filed_at:
        d.year = int(d.filed_at[:4])
        d.warnings.append(Warning(d.first_line, d.filed_at, "年度 not printed: taken from 填报日期"))
    if d.name is None:
        d.warnings.append(Warning(d.first_line, "", "项目名称 not found"))
    # PDF layouts centre a merged category cell vertically: rows above it have no category yet
    for period in ("实施期", "年度"):
        rows = [i for i in d.indicators if i.period == period]
        nxt = None  # the nearest row below with a category, walking up from the bottom
        for ind in reversed(rows):
            if ind.level2 is None and nxt is not None:
                ind.level2, ind.level1 = nxt.level2, ind.level1 or nxt.level1
            elif ind.level2 is not None:
                nxt = ind
        for ind in rows:
            if ind.level2 is None and ind.level1 is None:
                d.warnings.append(Warning(ind.line, ind.name, "indicator without category"))
    for f in ("overview", "basis", "necessity", "safeguards", "plan", "goal_period", "goal_annual"):
        d.policies.extend(extract_policies(getattr(d, f) or "", f))
