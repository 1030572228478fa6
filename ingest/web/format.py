"""Amounts, funds bands and column labels as the pages print them."""

from __future__ import annotations

import re

MONEY_COLUMNS = ("funds_total", "funds_annual", "funds", "amount")
# columns that only canned queries return
EXTRA_LABELS = {"score": "相关度", "band": "相似程度", "reason": "为什么相似", "rank": "名次", "snippet": "摘录",
                "indicator": "三级指标", "declarations": "项目数", "uses": "使用次数", "values": "常见取值",
                "units": "单位", "indicator_id": "指标编号", "title": "标题", "doc_number": "文号",
                "found_by": "找到方式", "weak": "相关度低（仅供参考）", "ranked_by": "排序方式"}
# canned queries whose columns mean something else than in the tables
QUERY_LABELS = {"suggest_indicators": {"name": "三级指标", "declarations": "用过它的项目", "score": "使用份额"},
                "search_indicators": {"name": "所属项目", "indicator": "三级指标"},
                "semantic_indicators": {"name": "所属项目", "indicator": "三级指标"}}


def yuan(amount) -> str:
    """``12,600,000 元（1260 万元）`` for an amount in yuan."""
    if amount is None:
        return "—"
    wan_text = f"{amount / 10_000:.2f}".rstrip("0").rstrip(".")
    return f"{amount:,.2f} 元（{wan_text} 万元）"


def wan(amount) -> str:
    """``1,260.00 万元`` for an amount in yuan."""
    if amount is None:
        return ""
    return f"{amount / 10_000:,.2f} 万元"


def band(label: str | None) -> str:
    """A funds band without the digit that orders the bands: ``7 ≥1亿`` → ``≥1亿``."""
    return re.sub(r"^\d\s*", "", label or "")


def short_label(text: str) -> str:
    """A column's or table's label for a header: its Chinese name, without the English or the
    notes in brackets (``项目申报表 declarations`` → ``项目申报表``)."""
    head = re.split(r"\s*[(（]", str(text), maxsplit=1)[0].strip()
    return re.sub(r"(?<=[^\x00-\x7f])\s+[A-Za-z][A-Za-z ]*$", "", head).strip() or str(text)


def column_labels(metadata: dict, database: str | None, table: str | None) -> dict[str, str]:
    """Chinese labels of columns (metadata.yml): this table's first, then the canned queries' extra
    columns, then any table's."""
    tables = (metadata.get("databases", {}).get(database or "kb", {}) or {}).get("tables", {}) or {}
    labels: dict[str, str] = {}
    for meta in tables.values():
        for col, text in ((meta or {}).get("columns") or {}).items():
            labels.setdefault(col, short_label(text))
    own = ((tables.get(table) or {}).get("columns") or {}) if table else {}
    labels.update(EXTRA_LABELS)
    labels.update({col: short_label(text) for col, text in own.items()})
    return labels
