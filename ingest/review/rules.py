"""Review rules over one declaration: what a finance bureau checks in a 绩效目标申报表.

Each rule is a small function ``rule(form) -> list[Finding]``, registered with its code, review
dimension (完整性 / 相关性 / 适当性 / 可行性, the four of the national rules) and severity; its
docstring names the source it applies. Sources:

- 《中央部门预算绩效目标管理办法》（财预〔2015〕88号）: 绩效目标应清晰反映预期产出和效果，以定量
  指标为主、定性为辅；审核看完整性、相关性、适当性、可行性。
- 《中央部门项目支出核心绩效目标和指标设置及取值指引（试行）》（财预〔2021〕101号）: 产出指标设数量、
  质量、时效指标，成本指标；效益指标；服务对象满意度指标；指标值应量化、可衡量，取值有依据。
- 项目支出绩效目标申报表的填报要求: 资金来源之和等于资金总额，年度资金不超过实施期资金。
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ..text import compact
from .forms import Finding, Form, Indicator

Rule = Callable[[Form], list[Finding]]


@dataclass(frozen=True)
class RuleInfo:
    code: str
    dimension: str
    severity: str  # the default; a rule may raise or lower it for one finding
    title: str
    fn: Callable
    scope: str  # "form": fn(form) -> findings; "corpus": fn(db, model) -> {declaration_id: findings}

    @property
    def source(self) -> str:
        return "".join(line.strip() for line in (self.fn.__doc__ or "").splitlines())


RULES: dict[str, RuleInfo] = {}


def rule(code: str, dimension: str, severity: str, title: str, scope: str = "form"):
    def register(fn):
        RULES[code] = RuleInfo(code, dimension, severity, title, fn, scope)
        return fn
    return register


def _finding(code: str, message: str, evidence: list[dict] | None = None, severity: str | None = None,
             related_id: str | None = None) -> Finding:
    info = RULES[code]
    dimension, default = info.dimension, info.severity
    evidence = evidence or []
    lines = sorted({e["line"] for e in evidence if e.get("line")})
    return Finding(code, dimension, severity or default, message, evidence, lines, related_id)


def _ind(i: Indicator) -> dict:
    return {"indicator": i.id, "period": i.period, "text": f"{i.name}：{i.value or '（空）'}", "line": i.line}


def _line_of(f: Form, *needles: str | None) -> int | None:
    """The file line of the form holding the first of ``needles`` found (compared without spaces),
    or the form's first line: where a reviewer should look for a printed amount or phrase."""
    if f.first_line and f.source_text:
        lines = [compact(x) for x in f.source_text.split("\n")]
        for needle in needles:
            needle = compact(needle or "")
            if needle:
                hit = next((k for k, line in enumerate(lines) if needle in line), None)
                if hit is not None:
                    return f.first_line + hit
    return f.first_line


def _wan(yuan: float) -> str:
    return f"{yuan / 10_000:,.2f}".rstrip("0").rstrip(".") + "万元"


# ------------------------------------------------------------------ 完整性

_LABEL_CELL = re.compile(r"[\u4e00-\u9fff（）()、]{2,14}(?:依据|概况|目标|内容|必要性|措施|计划|资金|来源|名称|部门|单位|"
                         r"项目期|属性|类别|指标|指标值|情况|总额|预算|负责人|电话)")
# the labels of the narrative fields a declaration must fill (a whole cell: label only)
_REQUIRED = tuple((label, re.compile(p), re.compile(rf"^[ \t|]*(?:{p})(?:[ \t|]+(?:{p}))*[ \t|]*$", re.M))
                  for label, p in (("项目概况", r"项目(?:基本)?概况|项目(?:主要|实施)?内容|项目简介"),
                                   ("立项依据", r"(?:项目)?立项依据"),
                                   ("总体目标", r"(?:实施期|年度)?(?:总体|绩效)目标")))


@rule("完整性.缺少必填内容", "完整性", "高", "申报表印有项目概况、立项依据、总体目标等栏目而未填写")
def missing_parts(f: Form) -> list[Finding]:
    """财预〔2015〕88号：绩效目标申报表须载明项目概况、立项依据、总体目标、资金与绩效指标。
    只在表上印有该栏目、而同一行栏目名之后什么也没填时提示；表上没有该栏目（模板不同）或栏目
    有内容而未读出（解析问题，见解析警告）都不算缺项。"""
    if f.self_evaluation:
        return []
    empty = []
    text = f.source_text
    for label, pattern, alone in _REQUIRED:
        m = alone.search(text)
        if m is None or m.group(0).count("\t") + m.group(0).count("|") < 2:
            continue
        end = text.find("\n", m.end() + 1)
        after = text[m.end() + 1:end if end >= 0 else len(text)]
        following = next((c.strip() for c in re.split(r"\t|\|", after) if c.strip()), "")
        # label | (nothing) then the next line starts with another label: the field is empty;
        # text on the next line is the field's value printed one cell per line
        if f.first_line and (not following or _LABEL_CELL.fullmatch(following)):
            empty.append((label, f.first_line + text.count("\n", 0, m.start())))
    if not empty:
        return []
    return [_finding("完整性.缺少必填内容", "申报表的以下栏目未填写：" + "、".join(x[0] for x in empty),
                     [{"field": "declaration", "text": label, "line": line} for label, line in empty],
                     severity="高" if any(x[0] in ("总体目标", "绩效目标") for x in empty) else "中")]


_SERVICE = re.compile(r"群众|居民|村民|农户|学生|家长|教师|患者|老人|老年|儿童|残疾|企业|市民|游客|学员|职工|服务对象|受益|"
                      r"退休|困难|脱贫|低保|就业|参保")


@rule("完整性.指标类别不全", "完整性", "中", "产出、效益或满意度指标不全")
def missing_categories(f: Form) -> list[Finding]:
    """财预〔2021〕101号：产出指标一般包括数量、质量、时效指标，并设成本指标；应设效益指标；
    有服务对象的项目应设服务对象满意度指标。只看按标准二级指标填报的表（至少印有两个标准
    二级指标），类别也从指标名称和单位推断（如“完成时间”属时效、“元”属成本）；表上印有该类别
    名称的、读表时警告较多的表不提示。"""
    inds = f.period_indicators()
    if len(inds) < 3 or f.unsure or f.self_evaluation or f.cut_short:
        return []
    level2 = " ".join(compact(i.level2 or "") for i in inds)
    if sum(bool(p.search(level2)) for p in _STANDARD_LEVEL2) < 2:
        return []
    labels = level2 + " ".join(i.level1 or "" for i in inds)
    blob = "\n".join(f"{i.name}|{i.value or ''}|{i.unit or ''}" for i in inds)
    present = {cat for cat, (label, guess) in _CATEGORY_CUES.items()
               if label.search(labels) or guess.search(blob) or f.printed(label)}
    missing = [c for c in ("数量指标", "质量指标", "时效指标", "成本指标", "效益指标") if c not in present]
    text = " ".join(x for x in (f.name, f.overview, f.goal_annual, f.goal_period) if x)
    if _SERVICE.search(text) and "满意度指标" not in present:
        missing.append("服务对象满意度指标")
    if not missing:
        return []
    return [_finding("完整性.指标类别不全", f"{inds[0].period}绩效指标缺少：" + "、".join(missing),
                     [{"field": "indicators", "text": "、".join(missing), "line": inds[0].line}])]


_STANDARD_LEVEL2 = tuple(map(re.compile, (r"数量", r"质量", r"时效", r"成本", r"社会效益|经济效益|生态效益|可持续", r"满意")))
# category → (its label, what an indicator of it says in its name, value or unit)
_CATEGORY_CUES = {
    "数量指标": (r"数量", r"\|(?:[≥≤><=]?\s*\d[\d.,]*)(?:个|家|人|人次|户|所|项|次|座|辆|台|套|件|场|期|批|名|村|处|亩|公里|米|平方米|吨)"),
    "质量指标": (r"质量", r"合格|达标|验收|准确|质量"),
    "时效指标": (r"时效", r"时间|时限|及时|进度|按期|按时|\d{4}\s*年\s*\d{1,2}\s*月|年底|月底"),
    "成本指标": (r"成本|预算.{0,6}控制|投资规模", r"成本|元|预算|经费|投资"),
    "效益指标": (r"效益|影响", r"效益|带动|促进|提升|提高|改善|增收|增加"),
    "满意度指标": (r"满意", r"满意"),
}
_CATEGORY_CUES = {k: (re.compile(a), re.compile(b)) for k, (a, b) in _CATEGORY_CUES.items()}


@rule("完整性.缺少年度指标", "完整性", "中", "有实施期指标而无年度指标")
def annual_missing(f: Form) -> list[Finding]:
    """申报表填报要求：绩效指标分实施期与年度两栏；多年期项目有实施期指标的，年度目标也须量化到指标。"""
    period = [i for i in f.indicators if i.period == "实施期"]
    if period and not any(i.period == "年度" for i in f.indicators) and (f.period_years or 1) > 1:
        return [_finding("完整性.缺少年度指标", f"有{len(period)}个实施期指标，没有年度指标",
                         [{"field": "indicators", "text": "年度指标", "line": period[0].line}])]
    return []


_PLACEHOLDER = re.compile(r"\*{2,}|＊{2,}|[Xx×]{2,}|某某|待定")


@rule("完整性.模板占位符", "完整性", "高", "指标值留有模板占位符或为空")
def placeholders(f: Form) -> list[Finding]:
    """财预〔2021〕101号：指标值应明确、可衡量；模板中的 ≥**%、XX 须替换为实际目标值，指标值
    不能空着。空值只在指标名称与值同在一行（表格、竖线分隔）时判断：一格一行的抄件里，值可能
    在下一行。"""
    out = []
    holders = [i for i in f.indicators if i.value and _PLACEHOLDER.search(i.value)]
    if holders:
        out.append(_finding("完整性.模板占位符", "指标值仍是模板占位符：" + "；".join(f"{i.name} {i.value}" for i in holders[:5]),
                            [_ind(i) for i in holders]))
    if f.self_evaluation or f.cut_short:
        return out
    empty = [i for i in f.indicators if not i.value and _empty_on_its_line(f, i)]
    if empty:
        out.append(_finding("完整性.模板占位符", f"{len(empty)}个指标没有指标值：" + "、".join(i.name for i in empty[:5]),
                            [_ind(i) for i in empty], severity="中"))
    return out


_NOT_AN_INDICATOR = re.compile(r"指标$|绩效目标|申报表|项目支出|^(?:经济|社会|生态|可持续)(?:效益|影响)$")
_VALUE_INSIDE = re.compile(r"\d[\d.,]*\s*(?:%|个|家|人|户|所|项|万元|元|吨|亩|公里|平方米|平米)")


def _empty_on_its_line(f: Form, i: Indicator) -> bool:
    """The indicator's row on the form is a table row (tabs or pipes) with its name and no value."""
    name = i.name or ""
    if _NOT_AN_INDICATOR.search(name) or _VALUE_INSIDE.search(name):
        return False
    if name.count("“") != name.count("”") or name.count("(") != name.count(")") or name.count("（") != name.count("）"):
        return False  # a name cut in the middle: the reader lost part of the row
    line = f.line(i.line)
    cells = [c.strip() for c in re.split(r"\t|\|", line)]
    if len(cells) < 3:
        return False
    named = [k for k, c in enumerate(cells) if c and compact(c) == compact(name)]
    return bool(named) and not any(cells[k + 1:] for k in named[:1] if any(cells[k + 1:]))


# ------------------------------------------------------------------ 适当性

@rule("适当性.资金来源不等于总额", "适当性", "中", "各资金来源之和不等于资金总额")
def funds_sum(f: Form) -> list[Finding]:
    """申报表填报要求：实施期、年度资金总额等于其中各来源（中央、省级、市县、自筹、其他）之和。
    印成年份或科目代码样子的整数（2024、21305）不当作金额比较。"""
    out = []
    if f.self_evaluation:
        return out
    for period in ("实施期", "年度"):
        total = f.funds.get((period, "总额"))
        sources = {s: v for (p, s), v in f.funds.items() if p == period and s != "总额" and v is not None}
        if total is None or len(sources) < 2:
            continue
        if any(_CODE_LIKE.fullmatch((f.funds_printed.get((period, s)) or "").strip()) for s in sources):
            continue
        parts = sum(sources.values())
        # 财政拨款 may itself be the sum of 中央/省级/市县: either reading adding up is fine
        alt = parts - sources.get("财政拨款", 0)
        if abs(parts - total) > 1 and abs(alt - total) > 1 and not any(abs(v - total) < 1 for v in sources.values()):
            out.append(_finding("适当性.资金来源不等于总额",
                                f"{period}资金总额{_wan(total)}，各来源合计{_wan(parts)}",
                                [{"field": "funds", "text": f"{period} {s} {v:,.0f}元",
                                  "line": _line_of(f, f.funds_printed.get((period, s)))}
                                 for s, v in sources.items()]))
    return out


_CODE_LIKE = re.compile(r"(?:19|20)\d{2}|2\d{4,6}")


@rule("适当性.年度资金超过实施期", "适当性", "高", "年度资金大于实施期资金")
def annual_over_period_funds(f: Form) -> list[Finding]:
    """申报表填报要求：年度资金是实施期资金的一部分，不应大于实施期资金总额。"""
    if f.funds_total and f.funds_annual and f.funds_total + 1 < f.funds_annual < 100 * f.funds_total \
            and not f.self_evaluation:
        return [_finding("适当性.年度资金超过实施期", f"年度资金{_wan(f.funds_annual)}大于实施期资金{_wan(f.funds_total)}",
                         [{"field": "funds", "text": f"实施期 {f.funds_total:,.0f} 元；年度 {f.funds_annual:,.0f} 元",
                           "line": _line_of(f, f.funds_printed.get(("年度", "总额")), f.funds_printed.get(("实施期", "总额")))}])]
    return []


def _yuan(i: Indicator) -> float | None:
    if i.number is None or not i.unit:
        return None
    unit = i.unit.replace("（", "(").split("/")[0]
    return {"元": 1.0, "万元": 10_000.0, "亿元": 1e8, "万": 10_000.0}.get(unit, None) and \
        i.number * {"元": 1.0, "万元": 10_000.0, "亿元": 1e8, "万": 10_000.0}[unit]


_PLAN_ITEM = re.compile(r"([\u4e00-\u9fff（）()]{2,20}?)[:：]\s*(\d[\d,]*(?:\.\d+)?)\s*(万元|元|亿元)")
_COST_SUFFIX = re.compile(r"(补贴|补助|奖励|资金|经费|费用|费|成本|支出|投入)+$")


@rule("适当性.成本指标与资金不符", "适当性", "高", "成本指标金额与资金总额或实施计划不符")
def cost_vs_funds(f: Form) -> list[Finding]:
    """财预〔2021〕101号：成本指标取值应与预算资金和测算依据一致：不超过资金总额，与实施计划
    列明的分项金额相符（如 计划“高新技术企业：1620万元”而成本指标“高新技术企业补贴 1260万元”）。"""
    out = []
    plan_items: dict[str, tuple[float, str]] = {}
    for text in (f.plan, f.overview):
        for m in _PLAN_ITEM.finditer(text or ""):
            name = _COST_SUFFIX.sub("", compact(re.sub(r"^\d+[、.]", "", m.group(1))))
            scale = {"元": 1.0, "万元": 10_000.0, "亿元": 1e8}[m.group(3)]
            if len(name) >= 2 and name not in plan_items:
                plan_items[name] = (float(m.group(2).replace(",", "")) * scale, m.group(0))
    for i in f.indicators:
        if "成本" not in (i.level1 or "") + (i.level2 or ""):
            continue
        yuan = _yuan(i)
        if yuan is None:
            continue
        # an 实施期 cost is weighed against the 实施期 total only (it may be several years' budget);
        # a 年度 cost against the year's total, else the whole period's
        if i.period == "实施期":
            total, which = f.funds_total, "实施期"
        else:
            total, which = (f.funds_annual, "年度") if f.funds_annual else (f.funds_total, "实施期")
        if total and yuan > total * 1.001 and "/" not in (i.unit or ""):
            out.append(_finding("适当性.成本指标与资金不符",
                                f"成本指标“{i.name}”{_wan(yuan)}超过{which}资金总额{_wan(total)}", [_ind(i)]))
            continue
        key = _COST_SUFFIX.sub("", compact(i.name))
        item = plan_items.get(key) or next((v for k, v in plan_items.items() if len(key) >= 3 and (
            k.startswith(key) or key.startswith(k)) and min(len(k), len(key)) >= 3), None)
        if item and abs(item[0] - yuan) > max(1.0, 0.01 * item[0]):
            out.append(_finding("适当性.成本指标与资金不符",
                                f"成本指标“{i.name}”为{_wan(yuan)}，而实施计划写明“{item[1]}”",
                                [_ind(i), {"field": "plan", "text": item[1], "line": _line_of(f, item[1], item[1].split("：")[-1].split(":")[-1])}]))
    return out


_COUNT_UNITS = re.compile(r"^(个|家|人|人次|户|所|项|次|座|辆|台|套|件|场|期|批|名|村|处|亩|公里|平方米|吨)")


@rule("适当性.年度值超过实施期", "适当性", "中", "同一数量指标的年度值大于实施期值")
def annual_over_period_value(f: Form) -> list[Finding]:
    """申报表填报要求：年度绩效目标是实施期目标在本年度的分解；同一数量指标（同单位），年度值不应大于实施期值。"""
    period = {(compact(i.name), i.unit): i for i in f.indicators
              if i.period == "实施期" and i.number is not None and "数量" in (i.level2 or "")}
    out = []
    for i in f.indicators:
        if i.period != "年度" or i.number is None or not i.unit or not _COUNT_UNITS.match(i.unit):
            continue
        p = period.get((compact(i.name), i.unit))
        if p is not None and i.number > p.number and (i.op or "≥") in ("≥", "=", ">") and "/" not in i.unit:
            out.append(_finding("适当性.年度值超过实施期", f"“{i.name}”年度值{i.value}大于实施期值{p.value}",
                                [_ind(p), _ind(i)]))
    return out


_OCR_GE = re.compile(r"^2(?:100|\d{2}(?:\.\d+)?)%")  # ≥92% read by OCR as 292%
_RATE = re.compile(r"率|满意度|占比|比例|比重|覆盖|达标|合格|完成|知晓|及时")
_CAN_EXCEED = re.compile(r"增长|增幅|提高|提升|上升|同比|环比|增加|倍")


@rule("适当性.百分比超过100", "适当性", "高", "比率类指标超过100%")
def percent_over_100(f: Form) -> list[Finding]:
    """财预〔2021〕101号：指标值应科学合理、可衡量；比率、满意度、覆盖率、合格率等不可能超过100%（增长率等可以超过者除外）。"""
    if f.self_evaluation:
        return []
    bad = [i for i in f.indicators if i.unit == "%" and i.number is not None and i.number > 100
           and _RATE.search(i.name) and not _CAN_EXCEED.search(i.name)
           and (i.value or "").count("%") + (i.value or "").count("％") <= 1
           and not _OCR_GE.match(compact(i.value or ""))]
    if not bad:
        return []
    return [_finding("适当性.百分比超过100", "比率超过100%：" + "；".join(f"{i.name} {i.value}" for i in bad[:5]),
                     [_ind(i) for i in bad])]


_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


@rule("适当性.完成时间超出项目期", "适当性", "中", "时效指标的时间不在项目期内")
def deadline_outside_period(f: Form) -> list[Finding]:
    """申报表填报要求：时效指标的完成时间应在项目实施期内（允许一年的余量，如次年初付款）；
    概况、计划、目标里写明的年份或表上印出的年份区间（2019-2021）算在项目期内。"""
    if f.period_start or f.period_end:
        first = int((f.period_start or f.period_end)[:4])
        last = int((f.period_end or f.period_start)[:4])
    elif f.year:
        first, last = f.year, f.year + max(1, f.period_years or 1) - 1
    else:
        return []
    out = []
    narrative = "".join(x or "" for x in (f.overview, f.plan, f.goal_period, f.goal_annual, f.necessity))
    for i in f.indicators:
        if "时效" not in (i.level2 or "") or not i.value:
            continue
        years = [int(y) for y in _YEAR.findall(i.value)]
        outside = [y for y in years if (y < first - 1 or y > last + 1)  # a year's margin: 次年初 payments
                   and str(y) not in narrative and not re.search(rf"\d{{4}}\s*[-—~至到]\s*{y}", f.source_text)]
        if outside:
            out.append(_finding("适当性.完成时间超出项目期",
                                f"“{i.name}”为{i.value}，不在项目期{first}–{last}年内", [_ind(i)]))
    return out


# ------------------------------------------------------------------ 可行性

@rule("可行性.定性指标过多", "可行性", "低", "定性指标占比过高")
def qualitative_share(f: Form) -> list[Finding]:
    """财预〔2015〕88号：绩效指标以定量为主、定性为辅；六个以上指标中超过一半的指标值不含
    任何数字（日期、含数字的描述都算定量）时提示。"""
    inds = [i for i in f.period_indicators() if not _NOT_AN_INDICATOR.search(i.name or "")]
    if len(inds) < 6 or f.unsure:
        return []
    qualitative = [i for i in inds if not re.search(r"\d", i.value or "")]
    share = len(qualitative) / len(inds)
    if share <= 0.5:
        return []
    return [_finding("可行性.定性指标过多", f"{len(qualitative)}/{len(inds)}个指标为定性（{share:.0%}），宜以定量为主",
                     [_ind(i) for i in qualitative[:8]])]


@rule("可行性.数量指标缺单位", "可行性", "低", "数量指标只有数字，没有单位")
def quantity_without_unit(f: Form) -> list[Finding]:
    """财预〔2021〕101号：指标值应写明计量单位，数量指标只写数字无法衡量。"""
    bare = [i for i in f.indicators if "数量" in (i.level2 or "") and i.number is not None and not i.unit
            and not re.search(r"[(（][^)）]*[)）]$|数$|次数|个数|人数|户数|率$", i.name)]
    if not bare:
        return []
    return [_finding("可行性.数量指标缺单位", "数量指标没有计量单位：" + "；".join(f"{i.name} {i.value}" for i in bare[:5]),
                     [_ind(i) for i in bare])]


@rule("可行性.指标值雷同", "可行性", "中", "同一指标值复制到多数指标")
def same_value_everywhere(f: Form) -> list[Finding]:
    """财预〔2021〕101号：指标值应根据测算分别设定；同一个值（如 ≥95%）复制到八成以上指标，说明目标未经测算。"""
    out = []
    for period in ("实施期", "年度"):
        inds = [i for i in f.indicators if i.period == period and i.value]
        if len(inds) < 5:
            continue
        value, n = Counter(compact(i.value) for i in inds).most_common(1)[0]
        if n >= 0.8 * len(inds):
            out.append(_finding("可行性.指标值雷同", f"{period}{len(inds)}个指标中有{n}个的指标值都是“{value}”",
                                [_ind(i) for i in inds if compact(i.value) == value][:8]))
    return out


def review_form(f: Form) -> list[Finding]:
    """Every per-declaration rule on one form。"""
    out: list[Finding] = []
    for info in RULES.values():
        if info.scope == "form":
            out.extend(info.fn(f))
    return out
