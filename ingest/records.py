"""What a parsed form is: plain dataclasses shared by the interpreter, the store and the query layer."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field

PERIODS = ("实施期", "年度")


class ParseError(ValueError):
    """Input that cannot be read as declarations at all (binary, empty, no form)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class NoDeclarations(ParseError):
    """A file that was read but holds no form (a letter, a budget document without project forms)."""


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
    weight: float | None = None  # 权重 / 分值, where the form prints one
    nature: str | None = None  # 指标性质 / 指标方向 as printed (定量, 正向 …)
    standard: str | None = None  # 绩效标准 / 指标解释 / 备注 as printed


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
    period_start: str | None = None  # YYYY-MM where the form prints the months
    period_end: str | None = None
    funds_total: float | None = None  # 元
    funds_annual: float | None = None  # 元
    amount_unit: str | None = None  # the unit the form printed its amounts in (元 or 万元)
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
    form_kind: str | None = None  # 绩效目标表 (a form of its own), 项目清单 (a row of a list), 绩效目标清单 (a goal only)
    first_line: int = 0
    last_line: int = 0
    pages: int = 1
    page: int | None = None  # the page of its document it starts on (PDF)
    ocr_confidence: float | None = None  # read from a scan or a photo: the recognition's mean confidence
    funds: dict[tuple[str, str], float | None] = field(default_factory=dict)  # (period, source) → 元
    funds_printed: dict[tuple[str, str], str] = field(default_factory=dict)  # the same amounts as printed
    indicators: list[Indicator] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    # every plausible reading of each split amount, first = the one in ``funds``; the interpreter
    # uses them to make the sources add up to the printed total
    fund_readings: dict[tuple[str, str], list[float]] = field(default_factory=dict, repr=False, compare=False)
    # indicators whose categories were settled by the table reader (not to be filled in from below)
    settled: set[int] = field(default_factory=set, repr=False, compare=False)


def scalar_fields(cls=Declaration) -> tuple[str, ...]:
    """The dataclass's one-value fields (the columns of its table), in declaration order."""
    return tuple(f.name for f in dataclasses.fields(cls)
                 if not str(f.type).startswith(("dict", "list", "set")))


DECLARATION_FIELDS = scalar_fields(Declaration)
# what a declaration says, without where it was in the file
CONTENT_FIELDS = tuple(f for f in DECLARATION_FIELDS
                       if f not in ("first_line", "last_line", "pages", "page", "ocr_confidence"))
NARRATIVE_FIELDS = ("overview", "basis", "necessity", "safeguards", "plan", "goal_period", "goal_annual")
# the Chinese label of each narrative field, as the contract and metadata.yml print it
NARRATIVE_LABELS = {
    "overview": "项目概况", "basis": "立项依据", "necessity": "项目设立必要性", "safeguards": "保证项目实施的制度、措施",
    "plan": "项目实施计划", "goal_period": "实施期总体目标", "goal_annual": "年度总体目标",
}


@dataclass
class ParseResult:
    declarations: list[Declaration]
    warnings: list[Warning]  # file-level warnings, not tied to one declaration
    reader: str = "text"  # which reader and dialect produced the cells, e.g. "text/tabs", "xlsx"
    sections: dict[str, int] | None = None  # a whole document: how many forms and lists it held
    pages: int | None = None  # the document's pages, where it has pages
    outcome: str | None = None  # a whole document: what came of it, in Chinese (无项目绩效目标表 …)


def fingerprint(d: Declaration) -> str:
    """A hash of what a declaration says (not where it was printed): equal for exact repeats."""
    fields = tuple(getattr(d, f) for f in CONTENT_FIELDS if f != "title")  # a re-export may retitle the page
    indicators = tuple((i.period, i.level1, i.level2, i.name, i.value) for i in d.indicators)
    funds = tuple(sorted(d.funds.items(), key=str))
    return hashlib.sha256(repr((fields, funds, indicators)).encode("utf-8")).hexdigest()[:16]
