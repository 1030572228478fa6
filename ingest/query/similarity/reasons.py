"""Why two declarations are alike, as a reader wants it: shared indicators, policies, telling
words, department and class, in one Chinese sentence."""

from __future__ import annotations

import re

from ... import sectors
from .profile import Profile, with_words
from .rarity import Rarity, _overlap, _tfidf


def shared_with(rarity: Rarity, q: Profile, c: Profile, f: dict[str, float], idf: dict[str, float],
                _tf: dict | None = None) -> dict:
    """What two declarations share, for the reasons shown: indicators, policies, telling words,
    department, class; ``f`` their signals."""
    cache = _tf if _tf is not None else {}
    qv = cache.get(id(q)) or cache.setdefault(id(q), _tfidf(q.words, idf))
    cv = _tfidf(with_words(c).words, idf)
    small, large = (qv[0], cv[0]) if len(qv[0]) <= len(cv[0]) else (cv[0], qv[0])
    shared = [t for t in small if t in large]
    names = _overlap(q.names, c.names, rarity.names)[1]
    policies = _overlap(q.policies, c.policies, rarity.policies)[1]
    return {"shared_indicators": names[:6], "shared_policies": [c.labels.get(p) or p for p in policies[:4]],
            "shared_terms": _shown_terms(shared, qv[0], cv[0], q.dept), "same_dept": bool(f["dept"]),
            "function": _function_label(c, f),
            "dept_kind": sectors.main_kind(c.dept_kind, sectors.DEPARTMENTS)
            if f["dept_kind"] >= 0.8 and not f["dept"] else None}


def _function_label(c: Profile, f: dict) -> str | None:
    """The class the two share, as 类（款） where their 款 agree too."""
    if f["function"] < 0.8:
        return None
    label = sectors.main_function(c.function)
    sub = sectors.main_kind(c.subfunction, sectors.SUBFUNCTIONS) if f["subfunction"] >= 0.8 else None
    if sub and label and sub.startswith(label + "·"):
        return f"{label}（{sub.split('·', 1)[1]}）"
    return label


# words any declaration uses: shared, they say nothing to a reader about why two projects are alike
PLAIN_WORDS = frozenset("""
项目 资金 专项 经费 费用 工作 实施 建设 完成 开展 推进 保障 提高 提升 促进 加强 确保 进一步 全面 有效 相关 单位 部门 年度 万元
根据 按照 通过 主要 用于 以及 其中 我区 我市 我县 全市 全区 全县 地区 发展 管理 服务 情况 要求 目标 计划 内容 任务 支出 预算
通知 文件 规定 办法 支付 发放 补贴 补助 资金到位 及时 按时 满意 满意度 指标 社会 经济 效益 质量 数量 时效 成本 合格 合格率 完成率
关于 人数 户数 受益 符合 标准 共计 使用 其他 开始 结束 市级 县级 区级 省级 实际 合计 总计 元 个 人 年底 上级
绩效 绩效指标 指标值 一级指标 二级指标 三级指标 万人
""".split())


def _shown_terms(shared: list[str], a: dict, b: dict, dept: str, n: int = 6) -> list[str]:
    """The shared words worth showing: telling ones first, no word that is part of one already shown."""
    out: list[str] = []
    for t in sorted(shared, key=lambda t: -a[t] * b[t]):
        if t in PLAIN_WORDS or t in dept or re.fullmatch(r"[\dA-Za-z]+", t):
            continue
        if any(t in u or u in t for u in out):
            continue
        out.append(t)
        if len(out) == n:
            break
    return out


def reason_text(r: dict) -> str:
    parts = []
    if r.get("function"):
        parts.append(f"同属{r['function']}")
    if r.get("same_dept"):
        parts.append("同一主管部门")
    elif r.get("dept_kind"):
        parts.append(f"主管部门同类（{r['dept_kind']}）")
    if r.get("shared_indicators"):
        parts.append("共同指标：" + "、".join(r["shared_indicators"][:4]))
    if r.get("shared_policies"):
        parts.append("共同政策依据：" + "、".join(r["shared_policies"][:2]))
    if r.get("shared_terms"):
        parts.append("共同关键词：" + "、".join(r["shared_terms"][:5]))
    return "；".join(parts) or "项目内容相近（文本向量）"

