"""Spreadsheets a budget officer can trust: every table, canned query and the search page as .xlsx.

- headers are the columns' Chinese labels, each once (``主管部门`` and ``主管部门（归并误识别的写法）``);
- a linked record is its name as text (the 申报表's project name, the 来源文件's path), its id in a
  column of its own (``申报表编号``);
- amounts are numbers in 万元, the unit in the header, as the pages show them;
- codes and ids stay text (``040`` keeps its zero), dates are dates, lists are one cell of text.
"""

from __future__ import annotations

import datetime
import io
import json
import re

from .format import MONEY_COLUMNS, band, short_label

DATE_COLUMNS = {"filed_at", "ingested_at", "read_at", "seen_at", "failed_at"}
TEXT_COLUMNS = {"id", "dept_code", "source_id", "declaration_id", "policy_id", "related_id", "indicator_id", "sha256",
                "doc_number", "phone", "fingerprint", "item_id", "content_hash", "path", "rule", "key", "stamp"}
MAX_CELL = 32_000  # characters Excel keeps in a cell
LIST_COLUMNS = {"values", "units", "declarations", "lines"}  # JSON lists of words or ids: one cell of text
# the API's English words, as a reader of the sheet reads them
WORDS = {"found_by": {"fulltext": "全文", "semantic": "语义", "both": "全文+语义"},
         "ranked_by": {"fulltext": "全文（语义模型加载中）", "hybrid": "混合", "semantic": "语义"},
         "weak": {1: "相关度低", 0: "", True: "相关度低", False: ""}}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")


def headers(columns: list[str], labels: dict[str, str], full: dict[str, str] | None = None,
            money: str = "万元") -> list[str]:
    """Each column's Chinese header, once each: a label two columns share is told apart by the
    first words of its note in metadata (``三级指标（归一化名称）``), else by the column's name;
    an amount's header says its unit (``money``)."""
    full = full or {}
    out: list[str] = []
    for c in columns:
        label = labels.get(c) or c
        if c in MONEY_COLUMNS:
            label = f"{short_label(label)}（{money}）"
        out.append(label)
    for k, c in enumerate(columns):
        if out.count(out[k]) > 1 and k != out.index(out[k]):
            note = re.split(r"[，,；;）)]", re.split(r"[（(]", full.get(c, ""), maxsplit=1)[-1])[0].strip()
            candidate = f"{out[k]}（{note}）" if note and note != full.get(c, "") else f"{out[k]}（{c}）"
            out[k] = candidate if candidate not in out else f"{out[k]}（{c}）"
    return out


def cell(column: str, value):
    """A value as a typed cell value: (value, number_format or None)."""
    if isinstance(value, dict) and "value" in value:  # a labelled foreign key
        value = value.get("label") or value.get("value")
    if value is None:
        return None, None
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} 字节>", None
    if isinstance(value, (list, tuple)):
        return "；".join(str(x) for x in value)[:MAX_CELL], None
    if column in MONEY_COLUMNS and isinstance(value, (int, float)):
        return round(value / 10_000, 6), "#,##0.00####"
    if column == "funds_band" and isinstance(value, str):
        return band(value), None
    if column in DATE_COLUMNS and isinstance(value, str) and _ISO.match(value.strip()):
        try:
            when = datetime.datetime.fromisoformat(value.strip().replace(" ", "T").replace("Z", "+00:00"))
        except ValueError:
            return value, None
        if when.tzinfo is not None:  # Excel has no time zones: the server's local time
            when = when.astimezone().replace(tzinfo=None)
        return when, "yyyy-mm-dd hh:mm:ss" if "T" in value or " " in value.strip() else "yyyy-mm-dd"
    if column in WORDS and value in WORDS[column]:
        return WORDS[column][value], None
    if column in LIST_COLUMNS and isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        try:
            items = json.loads(value)
        except ValueError:
            items = None
        if isinstance(items, list) and all(not isinstance(x, (dict, list)) for x in items):
            return "；".join(str(x) for x in items)[:MAX_CELL], None
    if isinstance(value, str) and (column in TEXT_COLUMNS or column.endswith("_id")):
        return value[:MAX_CELL], "@"
    if isinstance(value, str):
        return value[:MAX_CELL], None
    return value, None


def expand_links(columns: list[str], rows: list, labels: dict[str, str]) -> tuple[list[str], list[dict], dict]:
    """Columns holding a labelled foreign key (``{"value": id, "label": name}``) become two: the
    name under the column's label, the id under ``<label>编号``."""
    linked = [c for c in columns if any(isinstance(r[c], dict) and "value" in r[c] for r in rows[:200])]
    if not linked:
        return columns, [dict(zip(columns, (r[c] for c in columns))) for r in rows], labels
    out_cols: list[str] = []
    labels = dict(labels)
    for c in columns:
        out_cols.append(c)
        if c in linked:
            out_cols.append(c + "__id")
            labels[c + "__id"] = short_label(labels.get(c) or c) + "编号"
    out_rows = []
    for r in rows:
        d = {c: r[c] for c in columns}
        for c in linked:
            v = r[c]
            d[c + "__id"] = v.get("value") if isinstance(v, dict) else v
        out_rows.append(d)
    return out_cols, out_rows, labels


def workbook(columns: list[str], rows: list, labels: dict[str, str], title: str,
             full_labels: dict[str, str] | None = None) -> bytes:
    """The rows as an .xlsx file: one sheet named ``title``, typed cells, Chinese headers once each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns, rows, labels = expand_links(list(columns), rows, labels)
    heads = headers(columns, labels, full_labels)
    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", "", title)[:31] or "结果"
    ws.append(heads)
    for c in ws[1]:
        c.font = Font(bold=True)
    widths = [len(h) * 2 + 2 for h in heads]
    for r in rows:
        values = [cell(c.removesuffix("__id") if c.endswith("__id") else c, r.get(c)) for c in columns]
        ws.append([v for v, _fmt in values])
        for k, (v, fmt) in enumerate(values):
            if fmt:
                ws.cell(ws.max_row, k + 1).number_format = fmt
            if v is not None:
                widths[k] = max(widths[k], min(len(str(v)), 60) * (2 if isinstance(v, str) else 1) + 2)
    for k, w in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(1, k).column_letter].width = min(w, 80)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
