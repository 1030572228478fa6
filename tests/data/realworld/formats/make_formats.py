"""Make .xlsx, .docx, .html and .pdf copies of some of the real forms, laid out the way such files are
made: a boxed form with merged cells (the label column, the funds block, 一级/二级 categories spanning
their indicators), or a budget system's list table (one row per indicator, the project's columns
merged over its rows). The content is the form's hand-read expectation, so each copy can be checked
against the same expectation as the text it came from.

    .venv/bin/python tests/data/realworld/formats/make_formats.py      # writes the missing files
    .venv/bin/python tests/data/realworld/formats/make_formats.py --force   # all of them again

The PDF is printed from the HTML by headless Chromium (/usr/bin/chromium). The older office formats
are saved by LibreOffice as an office user saves them: .xls from the .xlsx and .doc from the .docx
(``soffice --convert-to``); WPS Office opens and saves these same binary formats under its own
names, .et and .wps, so those copies are the same bytes under WPS's names. The .ofd is the PDF
converted the way PDF-to-OFD converters do it: each printed line of text one TextObject (its
characters placed by DeltaX), each ruling line one PathObject, in millimetres.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE.parent
FORMS = {  # stem: template
    "hunan_xiangtan_01": "boxed",
    "anhui_liuanjinan_01": "boxed",
    "hubei_huangshi_01": "boxed",
    "ningxia_yuanzhou_01": "boxed",
    "chongqing_tongnan_01": "columns",
    "neimenggu_wuhai_01": "columns",
    "guangdong_dongguan_01": "two_groups",
    "sichuan_jingyan_01": "list",
    "anhui_huaibei_01": "boxed",
    "neimenggu_wuchuan_01": "columns",
    "hunan_yueyangxian_01": "boxed",
    "ningxia_tongxin_01": "boxed",
}
VALUE = re.compile(r"^(?P<op>≥|≤|>=|<=|>|<|=|≧|≦|═)?(?P<num>-?\d[\d,.]*)(?P<unit>.*)$")


class Cell:
    def __init__(self, text="", rowspan=1, colspan=1, bold=False):
        self.text, self.rowspan, self.colspan, self.bold = str(text or ""), rowspan, colspan, bold


def amount(yuan: float | None, unit: str | None) -> str:
    if yuan is None:
        return ""
    v = yuan / 10_000 if unit == "万元" else yuan
    return f"{v:,.2f}"


def groups(indicators: list[dict]) -> list[tuple[str, list[tuple[str, list[dict]]]]]:
    """Indicators grouped by 一级 then 二级 category, in printed order."""
    out: list[tuple[str, list[tuple[str, list[dict]]]]] = []
    for ind in indicators:
        l1, l2 = ind["level1"] or "", ind["level2"] or ""
        if not out or out[-1][0] != l1:
            out.append((l1, []))
        subs = out[-1][1]
        if not subs or subs[-1][0] != l2:
            subs.append((l2, []))
        subs[-1][1].append(ind)
    return out


def split_value(value: str | None) -> tuple[str, str, str]:
    m = VALUE.match(value or "")
    if not m:
        return "", value or "", ""
    return m.group("op") or "", m.group("num"), m.group("unit")


def boxed(exp: dict, form: dict, extra_columns: bool) -> list[list[Cell]]:
    """A form as provinces print it: label | value rows, the funds block, the indicator table."""
    unit = exp.get("amount_unit") or "元"
    inds = [i for i in form["indicators"] if i["period"] == "年度"] or form["indicators"]
    cols = ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "权重"] if extra_columns else \
        ["一级指标", "二级指标", "三级指标", "指标值"]
    width = len(cols) + 1
    rows = [[Cell(f"{exp['year']}年项目支出绩效目标申报表", colspan=width, bold=True)],
            [Cell(f"单位:{unit}", colspan=width)],
            [Cell("项目名称"), Cell(form["name"], colspan=width - 1)],
            [Cell("主管部门"), Cell(form["dept"] or "", colspan=(width - 1) // 2), Cell("实施单位"),
             Cell(form.get("implementer") or "", colspan=width - 2 - (width - 1) // 2)]]
    if form.get("period"):
        rows.append([Cell("项目期"), Cell(form["period"], colspan=width - 1)])
    funds = [("实施期资金总额", form.get("funds_total")), ("年度资金总额", form.get("funds_annual"))]
    funds = [(label, v) for label, v in funds if v is not None]
    for i, (label, v) in enumerate(funds):
        row = [Cell(f"项目资金({unit})", rowspan=len(funds))] if i == 0 else []
        rows.append(row + [Cell(label), Cell(amount(v, unit), colspan=width - 2)])
    rows.append([Cell("年度目标"), Cell("（见绩效指标）", colspan=width - 1)])
    grouped = groups(inds)
    rows.append([Cell("绩效指标", rowspan=len(inds) + 1)] + [Cell(c, bold=True) for c in cols])
    for l1, subs in grouped:
        n1 = sum(len(x) for _, x in subs)
        for j, (l2, items) in enumerate(subs):
            for k, ind in enumerate(items):
                row = []
                if j == 0 and k == 0:
                    row.append(Cell(l1, rowspan=n1))
                if k == 0:
                    row.append(Cell(l2, rowspan=len(items)))
                if extra_columns:
                    op, num, u = split_value(ind["value"])
                    row += [Cell(ind["name"]), Cell(op or ("定性" if not num else "")),
                            Cell(num), Cell(u), Cell("10")]
                else:
                    row += [Cell(ind["name"]), Cell(ind["value"] or "")]
                rows.append(row)
    rows.append([Cell("填表人:"), Cell("张三"), Cell("联系电话:"), Cell("0000-1234567", colspan=width - 3)])
    return rows


def two_groups(exp: dict, form: dict) -> list[list[Cell]]:
    """实施期 and 年度 indicators side by side (the 中期 / 年度 layout)."""
    unit = exp.get("amount_unit") or "元"
    period = [i for i in form["indicators"] if i["period"] == "实施期"]
    annual = [i for i in form["indicators"] if i["period"] == "年度"]
    rows = [[Cell("财政项目支出绩效目标批复表", colspan=8, bold=True)],
            [Cell(f"预算单位:{form['dept']}", colspan=8)],
            [Cell("项目名称"), Cell(form["name"], colspan=3), Cell(f"中期财政预算({unit})"),
             Cell(amount(form.get("funds_total"), unit)), Cell(f"年度预算({unit})"),
             Cell(amount(form.get("funds_annual"), unit))],
            [Cell("总体目标"), Cell("中期目标", colspan=3), Cell("年度目标", colspan=4)],
            [Cell("绩效指标", rowspan=len(period) + 1), Cell("一级指标"), Cell("二级指标"), Cell("三级指标"),
             Cell("指标值"), Cell("二级指标"), Cell("三级指标"), Cell("指标值")]]
    for l1, subs in groups(period):
        n1 = sum(len(x) for _, x in subs)
        for j, (l2, items) in enumerate(subs):
            for k, ind in enumerate(items):
                other = annual[period.index(ind)] if period.index(ind) < len(annual) else None
                row = [Cell(l1, rowspan=n1)] if j == 0 and k == 0 else []
                row += [Cell(l2), Cell(ind["name"]), Cell(ind["value"] or "")]
                row += [Cell(other["level2"]), Cell(other["name"]), Cell(other["value"] or "")] if other else \
                    [Cell(""), Cell(""), Cell("")]
                rows.append(row)
    return rows


def list_table(exp: dict) -> list[list[Cell]]:
    """A budget system's list: one row per indicator, the project's columns merged over its rows."""
    unit = exp.get("amount_unit") or "元"
    head = ["单位名称", "项目名称", "预算数", "年度目标", "一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位",
            "权重"]
    rows = [[Cell(f"部门预算项目绩效目标申报表({exp['year']}年度)", colspan=len(head), bold=True)],
            [Cell(f"金额单位:{unit}", colspan=len(head))],
            [Cell(h, bold=True) for h in head]]
    for form in exp["forms"]:
        inds = form["indicators"]
        for k, ind in enumerate(inds):
            row = []
            if k == 0:
                n = len(inds)
                row = [Cell(form["dept"], rowspan=n), Cell(form["name"], rowspan=n),
                       Cell(amount(form.get("funds_annual"), unit), rowspan=n), Cell("按时足额完成", rowspan=n)]
            op, num, u = split_value(ind["value"])
            row += [Cell(ind["level1"]), Cell(ind["level2"]), Cell(ind["name"]), Cell(op), Cell(num), Cell(u),
                    Cell("10")]
            rows.append(row)
    return rows


def forms_of(stem: str, exp: dict) -> list[list[list[Cell]]]:
    template = FORMS[stem]
    if template == "list":
        return [list_table(exp)]
    if template == "two_groups":
        return [two_groups(exp, f) for f in exp["forms"]]
    return [boxed(exp, f, template == "columns") for f in exp["forms"]]


# ----------------------------------------------------------------------------- writers

def write_xlsx(tables: list[list[list[Cell]]], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "绩效目标表"
    r0 = 1
    for rows in tables:
        occupied: set[tuple[int, int]] = set()
        for i, row in enumerate(rows):
            c = 1
            for cell in row:
                while (r0 + i, c) in occupied:
                    c += 1
                ws.cell(r0 + i, c, cell.text).alignment = Alignment(vertical="center", wrap_text=True)
                if cell.bold:
                    ws.cell(r0 + i, c).font = Font(bold=True)
                if cell.rowspan > 1 or cell.colspan > 1:
                    ws.merge_cells(start_row=r0 + i, start_column=c, end_row=r0 + i + cell.rowspan - 1,
                                   end_column=c + cell.colspan - 1)
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        occupied.add((r0 + i + dr, c + dc))
                c += cell.colspan
        r0 += len(rows) + 2
    wb.save(path)


def write_docx(tables: list[list[list[Cell]]], path: Path) -> None:
    from docx import Document

    doc = Document()
    for rows in tables:
        width = max(sum(c.colspan for c in row) for row in rows)
        height = len(rows)
        table = doc.add_table(rows=height, cols=width)
        table.style = "Table Grid"
        occupied: set[tuple[int, int]] = set()
        for i, row in enumerate(rows):
            c = 0
            for cell in row:
                while (i, c) in occupied:
                    c += 1
                target = table.cell(i, c)
                if cell.rowspan > 1 or cell.colspan > 1:
                    target = target.merge(table.cell(i + cell.rowspan - 1, min(width - 1, c + cell.colspan - 1)))
                target.text = cell.text
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        occupied.add((i + dr, c + dc))
                c += cell.colspan
        doc.add_paragraph("")
    doc.save(path)


def write_html(tables: list[list[list[Cell]]], path: Path, title: str) -> None:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:'Noto Sans CJK SC',sans-serif;font-size:11px}"
             "table{border-collapse:collapse;margin:12px 0;width:100%}"
             "td,th{border:1px solid #000;padding:3px 4px;vertical-align:middle}</style></head><body>",
             f"<p>{html.escape(title)}</p>"]
    for rows in tables:
        parts.append("<table>")
        for row in rows:
            parts.append("<tr>" + "".join(
                f"<td{' rowspan=%d' % c.rowspan if c.rowspan > 1 else ''}{' colspan=%d' % c.colspan if c.colspan > 1 else ''}>"
                f"{'<b>' if c.bold else ''}{html.escape(c.text)}{'</b>' if c.bold else ''}</td>" for c in row) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), "utf-8")


def write_pdf(html_path: Path, path: Path) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={path}",
                        html_path.as_uri()], check=True, capture_output=True, timeout=120)


def office_copy(src: Path, target: str, path: Path) -> None:
    """``src`` saved by LibreOffice as ``target`` (xls, doc) at ``path``."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice is needed to make the .xls/.doc copies (apt-get install libreoffice-writer-nogui"
                         " libreoffice-calc-nogui)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to", target,
                        "--outdir", tmp, str(src)], check=True, capture_output=True, timeout=180)
        shutil.copyfile(Path(tmp) / f"{src.stem}.{target}", path)


def write_ofd(pdf_path: Path, path: Path) -> None:
    """The PDF as an OFD package: per page, one TextObject per printed line and one PathObject per
    ruling line (millimetres, y downwards)."""
    import zipfile

    sys.path.insert(0, str(HERE.parents[3]))
    from ingest.readers.layout import text_lines
    from ingest.readers.pdfium import open_pdf, page_content

    mm = 25.4 / 72
    pdf = open_pdf(pdf_path.read_bytes())
    pages = []
    for k in range(len(pdf)):
        pc = page_content(pdf, k)
        objs, oid = [], 100
        for line in text_lines(pc.glyphs):
            top = min(g.top for g in line)
            size = max(g.bottom - g.top for g in line) * 0.86
            x0 = line[0].x0
            deltas = [round((b.x0 - a.x0) * mm, 3) for a, b in zip(line, line[1:])]
            text = "".join(g.text for g in line)
            width = (line[-1].x1 - x0) * mm
            oid += 1
            objs.append(f'<ofd:TextObject ID="{oid}" Boundary="{x0 * mm:.3f} {top * mm:.3f} {width + 1:.3f} '
                        f'{size * mm * 1.3:.3f}" Font="1" Size="{size * mm:.3f}"><ofd:TextCode X="0" '
                        f'Y="{size * mm:.3f}" DeltaX="{" ".join(str(d) for d in deltas)}">{html.escape(text)}'
                        f'</ofd:TextCode></ofd:TextObject>')
        for seg in pc.segments:
            oid += 1
            if seg.horizontal:
                box, data = f"{seg.a * mm:.3f} {seg.pos * mm - 0.1:.3f} {(seg.b - seg.a) * mm:.3f} 0.2", \
                    f"M 0 0.1 L {(seg.b - seg.a) * mm:.3f} 0.1"
            else:
                box, data = f"{seg.pos * mm - 0.1:.3f} {seg.a * mm:.3f} 0.2 {(seg.b - seg.a) * mm:.3f}", \
                    f"M 0.1 0 L 0.1 {(seg.b - seg.a) * mm:.3f}"
            objs.append(f'<ofd:PathObject ID="{oid}" Boundary="{box}" LineWidth="0.2">'
                        f'<ofd:AbbreviatedData>{data}</ofd:AbbreviatedData></ofd:PathObject>')
        pages.append((pc.width * mm, pc.height * mm, objs))
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} DocType="OFD" Version="1.1">'
                              '<ofd:DocBody><ofd:DocInfo><ofd:DocID>0</ofd:DocID></ofd:DocInfo>'
                              '<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        w, h = pages[0][0], pages[0][1]
        z.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}>'
                   f'<ofd:CommonData><ofd:MaxUnitID>99999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {w:.3f} '
                   f'{h:.3f}</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages>'
                   + "".join(f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages)))
                   + "</ofd:Pages></ofd:Document>")
        for i, (pw, ph, objs) in enumerate(pages):
            z.writestr(f"Doc_0/Pages/Page_{i}/Content.xml",
                       f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}><ofd:Area><ofd:PhysicalBox>0 0 {pw:.3f} '
                       f'{ph:.3f}</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer ID="1">{"".join(objs)}'
                       '</ofd:Layer></ofd:Content></ofd:Page>')


def main(argv: list[str]) -> int:
    force = "--force" in argv
    for stem in FORMS:
        exp = json.loads((SOURCES / f"{stem}.json").read_text("utf-8"))
        tables = forms_of(stem, exp)
        out = {s: HERE / f"{stem}{s}" for s in (".xlsx", ".docx", ".html", ".pdf", ".xls", ".et", ".doc", ".wps",
                                                 ".ofd")}
        todo = {s for s, p in out.items() if force or not p.exists()}
        if ".xlsx" in todo:
            write_xlsx(tables, out[".xlsx"])
        if ".docx" in todo:
            write_docx(tables, out[".docx"])
        if ".html" in todo or ".pdf" in todo:
            write_html(tables, out[".html"], exp.get("place") or stem)
            write_pdf(out[".html"], out[".pdf"])
        if ".xls" in todo or ".et" in todo:
            office_copy(out[".xlsx"], "xls", out[".xls"])
            shutil.copyfile(out[".xls"], out[".et"])
        if ".doc" in todo or ".wps" in todo:
            office_copy(out[".docx"], "doc", out[".doc"])
            shutil.copyfile(out[".doc"], out[".wps"])
        if ".ofd" in todo:
            write_ofd(out[".pdf"], out[".ofd"])
        print(stem, sorted(todo), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
