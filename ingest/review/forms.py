"""What a review rule sees: one stored declaration with its funds, indicators and cited policies,
and the findings rules return."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

DIMENSIONS = ("完整性", "相关性", "适当性", "可行性")
SEVERITIES = ("高", "中", "低")
# what follows a form's indicator grid when the form is whole: its footer, a note
_FORM_END = re.compile(r"负责人|经办人|联系电话|联系人|填报日期|填表日期|填报人|填表人|审核人|盖章|备注|注[:：]|说明[:：]")
UNSURE_WARNINGS = 5  # parse warnings on one form from which absence rules stay silent  # 高: must be corrected; 中: should be; 低: worth a look


@dataclass
class Indicator:
    id: str
    period: str
    level1: str | None
    level2: str | None
    name: str
    value: str | None
    op: str | None
    number: float | None
    unit: str | None
    line: int | None


@dataclass
class Form:
    id: str
    name: str | None
    dept_name: str | None
    year: int | None
    period_years: int | None
    period_start: str | None
    period_end: str | None
    funds_total: float | None
    funds_annual: float | None
    amount_unit: str | None
    overview: str | None
    basis: str | None
    necessity: str | None
    safeguards: str | None
    plan: str | None
    goal_period: str | None
    goal_annual: str | None
    first_line: int | None
    last_line: int | None
    source_id: str | None = None
    title: str | None = None
    warning_count: int | None = 0
    funds_printed: dict[tuple[str, str], str | None] = field(default_factory=dict)
    funds: dict[tuple[str, str], float | None] = field(default_factory=dict)
    indicators: list[Indicator] = field(default_factory=list)
    source_text: str = ""  # the form's lines as read from its file
    ends_file: bool = False  # the form's last line is the last line of its file

    def printed(self, pattern) -> bool:
        """Whether the form's own lines contain ``pattern`` (a compiled regex): a label that is
        printed but was not read is the reader's gap, not the declarant's."""
        return bool(pattern.search(self.source_text))

    @cached_property
    def self_evaluation(self) -> bool:
        """A 绩效自评表 (scores next to the values) rather than a declaration of targets."""
        head = (self.title or "") + self.source_text[:400]
        return "自评" in head or bool(re.search(r"分\s*值.{0,40}得\s*分", self.source_text))

    @property
    def unsure(self) -> bool:
        """The reader flagged enough trouble in this form that what is absent may just be unread."""
        return (self.warning_count or 0) >= UNSURE_WARNINGS

    @property
    def cut_short(self) -> bool:
        """The file stops inside the indicator grid (an excerpt, a lost page): what would follow is
        unknown. A grid followed by the form's footer (负责人、经办人、联系电话、填报日期) or a note
        ended where the declarant ended it, whatever is missing from it."""
        if not self.ends_file or not self.indicators:
            return False
        last = max(self.indicators, key=lambda i: i.line or 0)
        if (last.line or 0) < (self.last_line or 0) - 1 or "满意" in (last.level1 or "") + (last.level2 or ""):
            return False
        after = range((last.line or 0) + 1, (self.last_line or 0) + 1)
        return not any(_FORM_END.search(self.line(n)) for n in after)

    def line(self, number: int | None) -> str:
        """One of the form's source lines by its number in the file ('' if unknown)."""
        if not number or not self.first_line:
            return ""
        lines = self.source_text.split("\n")
        k = number - self.first_line
        return lines[k] if 0 <= k < len(lines) else ""

    def period_indicators(self) -> list[Indicator]:
        """The indicators a reviewer reads first: the 年度 ones, or the 实施期 ones if there are none."""
        annual = [i for i in self.indicators if i.period == "年度"]
        return annual or [i for i in self.indicators if i.period == "实施期"]


@dataclass
class Finding:
    rule: str
    dimension: str
    severity: str
    message: str
    evidence: list[dict] = field(default_factory=list)  # {"field"|"indicator", "text", "line"}
    lines: list[int] = field(default_factory=list)
    related_id: str | None = None


FORM_COLUMNS = ("id", "name", "dept_name", "year", "period_years", "period_start", "period_end", "funds_total",
                "funds_annual", "amount_unit", "overview", "basis", "necessity", "safeguards", "plan", "goal_period",
                "goal_annual", "first_line", "last_line", "source_id", "title", "warning_count")


def load_forms(db, ids: list[str] | None = None, batch: int = 500) -> Iterator[Form]:
    """The stored declarations (all, or these ids) as forms, read in batches."""
    # in file order, so each source file's text is read once
    if ids is None:
        ids = [r[0] for r in db.execute("select id from declarations order by source_id, first_line")]
    else:
        found: list[tuple] = []
        for start in range(0, len(ids), batch):
            chunk = list(ids[start:start + batch])
            found += db.execute(f"select source_id, first_line, id from declarations where id in"
                                f" ({','.join('?' * len(chunk))})", chunk).fetchall()
        ids = [r[2] for r in sorted(found, key=lambda r: (r[0] or "", r[1] or 0, r[2]))]
    texts: dict[str, list[str]] = {}
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        marks = ",".join("?" * len(chunk))
        forms = {r[0]: Form(*r) for r in db.execute(
            f"select {', '.join(FORM_COLUMNS)} from declarations where id in ({marks})", chunk).fetchall()}
        for decl_id, period, source, amount, printed in db.execute(
                f"select declaration_id, period, source, amount, printed from funds where declaration_id in ({marks})"
                f" order by declaration_id, rowid",
                chunk):
            forms[decl_id].funds[(period, source)] = amount
            forms[decl_id].funds_printed[(period, source)] = printed
        for r in db.execute(
                f"select declaration_id, id, period, level1, level2, name, value, op, number, unit, line from indicators"
                f" where declaration_id in ({marks}) order by declaration_id, seq", chunk):
            forms[r[0]].indicators.append(Indicator(*r[1:]))
        for form in (forms[i] for i in chunk if i in forms):
            if form.source_id and form.first_line:
                if form.source_id not in texts:
                    texts.clear()
                    row = db.execute("select text from sources where id = ?", [form.source_id]).fetchone()
                    texts[form.source_id] = (row[0] or "").split("\n") if row else []
                _place(form, texts[form.source_id])
        for decl_id in chunk:
            if decl_id in forms:
                yield forms[decl_id]


PARSED_ID = "\u3007"  # stands for the declaration id until the store assigns it (〇)


def form_of(d, lines: list[str], decl_id: str = PARSED_ID, source_id: str | None = None) -> Form:
    """A parsed declaration (``records.Declaration``) as the Form the rules see, exactly as
    :func:`load_forms` would read it back once stored: so a parsing worker can review it."""
    form = Form(decl_id, *(getattr(d, c) for c in FORM_COLUMNS[1:-3]), source_id=source_id, title=d.title,
                warning_count=len(d.warnings))
    for (period, src), amount in d.funds.items():
        key = (period, "总额" if src == "total" else src)
        form.funds[key] = amount
        form.funds_printed[key] = d.funds_printed.get((period, src))
    form.indicators = [Indicator(f"{decl_id}:{seq}", i.period, i.level1, i.level2, i.name, i.value, i.op, i.number,
                                 i.unit, i.line) for seq, i in enumerate(d.indicators)]
    if d.first_line:
        _place(form, lines)
    return form


def _place(form: Form, lines: list[str]) -> None:
    """The form's own lines of its file, and whether it ends the file."""
    form.source_text = "\n".join(lines[form.first_line - 1:form.last_line or len(lines)])
    form.ends_file = bool(lines) and (form.last_line or len(lines)) >= len(lines) - 1
