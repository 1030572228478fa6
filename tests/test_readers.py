"""Readers: every file format and text dialect becomes rows of cells the interpreter understands."""

import io

import pytest

from ingest.form import interpret
from ingest.readers import read_document, read_lines
from ingest.records import ParseError

FORM = [
    ["项目支出绩效目标申报表"],
    ["项目名称", "乡村道路养护补助", "", ""],
    ["主管部门", "某县交通运输局", "实施单位", "某县公路段"],
    ["项目资金(万元)", "年度资金总额", "120", ""],
    ["", "其中:财政拨款", "120", ""],
    ["一级指标", "二级指标", "三级指标", "指标值"],
    ["产出指标", "数量指标", "养护里程", "≥120公里"],
    ["", "质量指标", "养护合格率", "≥95%"],
    ["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%"],
]


def check(doc):
    [d] = interpret(doc).declarations
    assert (d.name, d.dept_name, d.implementer) == ("乡村道路养护补助", "某县交通运输局", "某县公路段")
    assert d.funds_annual == 1_200_000 and d.amount_unit == "万元"
    assert [(i.level1, i.level2, i.name, i.value) for i in d.indicators] == [
        ("产出指标", "数量指标", "养护里程", "≥120公里"), ("产出指标", "质量指标", "养护合格率", "≥95%"),
        ("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%")]
    return d


def test_xlsx_with_merged_cells():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in FORM:
        ws.append(row)
    ws.merge_cells("B2:D2")
    ws.merge_cells("A4:A5")  # 项目资金(万元) over both funds rows
    ws.merge_cells("A7:A8")  # 产出指标 over its two indicators
    buf = io.BytesIO()
    wb.save(buf)
    doc = read_document(buf.getvalue(), "form.xlsx")
    assert doc.reader == "xlsx"
    check(doc)


def test_docx_table():
    from docx import Document

    d = Document()
    d.add_paragraph(FORM[0][0])
    t = d.add_table(rows=len(FORM) - 1, cols=4)
    for i, row in enumerate(FORM[1:]):
        for j, text in enumerate(row):
            t.cell(i, j).text = text
    t.cell(0, 1).merge(t.cell(0, 3))
    buf = io.BytesIO()
    d.save(buf)
    check(read_document(buf.getvalue(), "form.docx"))


def test_html_with_rowspan_and_colspan():
    page = """<html><body><h3>项目支出绩效目标申报表</h3><table>
    <tr><td>项目名称</td><td colspan=3>乡村道路养护补助</td></tr>
    <tr><td>主管部门</td><td>某县交通运输局</td><td>实施单位</td><td>某县公路段</td></tr>
    <tr><td rowspan=2>项目资金(万元)</td><td>年度资金总额</td><td colspan=2>120</td></tr>
    <tr><td>其中:财政拨款</td><td colspan=2>120</td></tr>
    <tr><th>一级指标</th><th>二级指标</th><th>三级指标</th><th>指标值</th></tr>
    <tr><td rowspan=2>产出指标</td><td>数量指标</td><td>养护里程</td><td>≥120公里</td></tr>
    <tr><td>质量指标</td><td>养护合格率</td><td>≥95%</td></tr>
    <tr><td>满意度指标</td><td>服务对象满意度指标</td><td>群众满意度</td><td>≥90%</td></tr>
    </table><script>var x = "项目名称";</script></body></html>"""
    check(read_document(page.encode(), "form.html"))


@pytest.mark.parametrize("text,dialect", [
    ("\n".join("\t".join(r) for r in FORM), "tabs"),
    ("\n".join("| " + " | ".join(r) + " |" for r in FORM), "pipes"),
    ("\n".join(" ".join(c for c in r if c) for r in FORM), "spaces"),
    ("\n\n".join(c for r in FORM for c in r if c), "lines"),
    ("\n".join("|\n" + "\n".join(f"{c} |" for c in r if c) + "\n||" for r in FORM), "pipe-cells"),
])
def test_text_dialects(text, dialect):
    doc = read_lines(text)
    assert dialect in doc.reader
    check(doc)


def test_run_together_text():
    text = ("项目名称乡村道路养护补助主管部门某县交通运输局实施单位某县公路段\n"
            "项目资金(万元)年度资金总额:120其中:财政拨款120\n"
            "一级指标二级指标三级指标指标值\n"
            "产出指标数量指标养护里程≥120公里\n质量指标养护合格率≥95%\n"
            "满意度指标服务对象满意度指标群众满意度≥90%\n")
    check(read_lines(text))


def test_csv_and_gbk():
    text = "\n".join(",".join(r) for r in FORM) + "\n"
    check(read_document(text.encode("gbk"), "form.csv"))


@pytest.mark.parametrize("name,data,message", [
    ("a.pdf", b"%PDF-1.4 broken", "无法打开PDF文件"),
    ("a.docx", b"PK\x03\x04 truncated", "无法打开Word (.docx)文件"),
    ("a.xlsx", b"PK\x03\x04 truncated", "无法打开Excel (.xlsx)文件"),
    ("a.ofd", b"PK\x05\x06" + bytes(18), "无法打开OFD 版式文件"),
    ("a.xls", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(100), "Office 复合文档"),
    ("a.zip", b"PK\x05\x06" + bytes(18), "是压缩包"),
])
def test_broken_files_are_named(name, data, message):
    with pytest.raises(ParseError) as e:
        read_document(data, f"in/{name}")
    assert f"in/{name}" in str(e.value) and message in str(e.value)
