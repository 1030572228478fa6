"""Finishing a form: funds reconciled with the printed totals and their periods settled, the unit
of amounts the form did not print guessed (and said so), categories filled in where a merged cell
was printed in the middle of its rows, the cited policies collected."""

from __future__ import annotations

import math

from ..records import NARRATIVE_FIELDS, Declaration, Warning
from .policies import extract_policies

def guess_unit(d: Declaration) -> None:
    """No unit printed for the amounts: amounts below 10,000 are 万元 (no project's budget is a few
    hundred 元), anything else 元. Either way a warning says so."""
    printed = " ".join(d.funds_printed.values())
    if "万" in printed or "元" in printed:
        d.amount_unit = "万元" if "万" in printed else "元"  # the unit was printed with the amounts
        return
    amounts = [v for k, v in d.funds.items() if v]
    if amounts and max(amounts) < 10_000:
        for k in list(d.funds):
            if d.funds[k] is not None:
                d.funds[k] *= 10_000
        d.amount_unit = "万元"
        d.warnings.append(Warning(d.first_line, "", "表中未注明金额单位：金额较小，按万元读取"))
    else:
        d.amount_unit = "元"
        d.warnings.append(Warning(d.first_line, "", "表中未注明金额单位：按元读取"))


def finish(d: Declaration) -> None:
    """Reconcile funds, backfill categories, collect policies, take the year from 填报日期 if needed."""
    _drop_absurd_amounts(d)
    _settle_fund_periods(d)
    alts = d.fund_readings
    for period in ("实施期", "年度"):
        total = d.funds.get((period, "total"))
        if total is None:
            continue
        sources = [s for (p, s) in d.funds if p == period and s != "total"]
        current = {s: d.funds.get((period, s)) for s in sources}
        if all(v is None for v in current.values()):
            continue  # only the total was printed
        if abs(sum(v or 0 for v in current.values()) - total) < 0.5:
            continue
        # a source that is itself part of another (财政拨款 of which 中央/省级…) makes the sum double
        if any(abs((v or 0) - total) < 0.5 for v in current.values()):
            continue
        fixed = False
        for s in sources:
            for cand in alts.get((period, s), [])[1:]:
                trial = dict(current, **{s: cand})
                if abs(sum(v or 0 for v in trial.values()) - total) < 0.5:
                    d.funds[(period, s)] = cand
                    d.warnings.append(Warning(d.first_line, f"{period} {s}",
                                              f"金额按 {cand:,.0f} 读取，使各来源之和等于总额"))
                    fixed = True
                    break
            if fixed:
                break
        if not fixed:
            d.warnings.append(Warning(d.first_line, period, f"{period}各资金来源之和与总额 {total:,.2f} 不符"))
    d.funds_total = d.funds.get(("实施期", "total"), d.funds_total)
    d.funds_annual = d.funds.get(("年度", "total"), d.funds_annual)
    if d.year is None and d.filed_at:
        d.year = int(d.filed_at[:4])
        d.warnings.append(Warning(d.first_line, d.filed_at, "未印年度：按填报日期取年度"))
    if d.year is None and d.period_start:
        d.year = int(d.period_start[:4])
    if d.name is None:
        d.warnings.append(Warning(d.first_line, "", "未找到项目名称"))
    _backfill_categories(d)
    for f in NARRATIVE_FIELDS:
        d.policies.extend(extract_policies(getattr(d, f) or "", f))


def _settle_fund_periods(d: Declaration) -> None:
    """A total printed as 资金总额 / 合计 (no period in its label): the 实施期 total when the form
    also prints a 年度 total, else the 年度 one; sources without a period follow it."""
    either = d.funds.pop(("?", "total"), None)
    printed = d.funds_printed.pop(("?", "total"), None)
    if either is not None:
        period = "实施期" if ("年度", "total") in d.funds else "年度"
        d.funds.setdefault((period, "total"), either)
        if printed:
            d.funds_printed.setdefault((period, "total"), printed)
    for (period, source) in [k for k in d.funds if k[0] == "?"]:
        target = "年度" if ("年度", "total") in d.funds or ("实施期", "total") not in d.funds else "实施期"
        d.funds.setdefault((target, source), d.funds.pop((period, source)))
        if (period, source) in d.funds_printed:
            d.funds_printed.setdefault((target, source), d.funds_printed.pop((period, source)))


def _backfill_categories(d: Declaration) -> None:
    """PDF layouts centre a merged category cell vertically: rows above it have no category yet."""
    for period in ("实施期", "年度"):
        rows = [i for i in d.indicators if i.period == period]
        nxt = None  # the nearest row below with a category, walking up from the bottom
        for ind in reversed(rows):
            if id(ind) in d.settled:
                continue
            if ind.level2 is None and nxt is not None:
                ind.level2, ind.level1 = nxt.level2, ind.level1 or nxt.level1
            elif ind.level2 is not None:
                if ind.level1 is None and nxt is not None and nxt.level2 == ind.level2:
                    ind.level1 = nxt.level1
                nxt = ind
        for ind in rows:
            if ind.level2 is None and ind.level1 is None:
                d.warnings.append(Warning(ind.line, ind.name, "绩效指标没有类别（一级、二级指标）"))



MAX_YUAN = 1e13  # ten trillion 元: more than any province's budget; beyond it a number is garbage


def _drop_absurd_amounts(d: Declaration) -> None:
    """Amounts that cannot be real (a run of digits, an overflow) are kept as printed, not as numbers."""
    for key, value in list(d.funds.items()):
        if value is not None and (not math.isfinite(value) or value > MAX_YUAN or value < 0):
            d.funds[key] = None
            d.fund_readings.pop(key, None)
            d.warnings.append(Warning(d.first_line, d.funds_printed.get(key, ""),
                                      f"金额不合理（{value:.3g} 元）：只保留原文，不作为数值"))
    for ind in d.indicators:
        if ind.number is not None and (not math.isfinite(ind.number) or abs(ind.number) > 1e15):
            ind.number = None
