"""Parser behaviour on small hand-written inputs, including other regions' templates."""

import pytest

from ingest.form import extract_policies, parse_text, parse_value
from ingest.readers import decode as read_text
from ingest.readers.text import MAX_BYTES
from ingest.records import ParseError


@pytest.mark.parametrize("value,expected", [
    ("59家", (None, 59.0, "家")),
    ("≥95%", ("≥", 95.0, "%")),
    ("1260万元", (None, 1260.0, "万元")),
    ("2023年12月前", (None, None, None)),
    ("=100.00(%)", ("=", 100.0, "%")),
    ("≥80百分比", ("≥", 80.0, "%")),
    ("不低于90%", ("≥", 90.0, "%")),
    ("≤100元/人", ("≤", 100.0, "元/人")),
    ("56. 331公里/年", (None, 56.331, "公里/年")),
    ("有效促进", (None, None, None)),
    ("每年5月,11月归还本金", (None, None, None)),
])
def test_parse_value(value, expected):
    assert parse_value(value) == expected


@pytest.mark.parametrize("text,doc", [
    ("《关于做好学校开学前后安全稳定和后勤保障工作的通知》(晋教安稳函(2022)6号)", "晋教安稳函〔2022〕6号"),
    ("(阳开办发(2021)19号)", "阳开办发〔2021〕19号"),
    ("《山西省社会保险局关于调整的通知》(晋社会局函[2022]55号)", "晋社会局函〔2022〕55号"),
    ("(阳乡振发【2022】25号)", "阳乡振发〔2022〕25号"),
    ("依据晋财社〔2020〕第122号文件", "晋财社〔2020〕122号"),
    # the issuer's full name before its abbreviation (阳泉 2021 transport form, copied with [ ])
    ("山西省人民政府晋政办发[2018]96号文件、阳泉市人民政府阳政办发[2017]103号文件", "晋政办发〔2018〕96号"),
    ("山西省人民政府晋政办发[2018]96号文件、阳泉市人民政府阳政办发[2017]103号文件", "阳政办发〔2017〕103号"),
    ("省政府办公厅晋政办发〔2018〕96号", "晋政办发〔2018〕96号"),
])
def test_doc_numbers_normalised(text, doc):
    assert doc in [p.doc_number for p in extract_policies(text, "basis")]


def test_a_meeting_summary_number_without_its_issuer_is_not_a_document():
    assert extract_policies("阳泉市人民政府办公厅会议专题纪要[2018]54号", "basis") == []


def test_title_and_number_linked():
    ps = extract_policies("根据《山西省教育厅关于做好学校开学前后安全稳定和后勤保障工作的通知》(晋教安稳函(2022)6号)", "basis")
    assert [(p.title, p.doc_number) for p in ps] == [
        ("山西省教育厅关于做好学校开学前后安全稳定和后勤保障工作的通知", "晋教安稳函〔2022〕6号")]


SINGLE_COLUMN = """财政项目支出绩效目标申报表
项目名称\t乡村道路养护补助
预算部门\t101-某县交通运输局
项目性质\t经常性项目\t项目类别\t其他
计划开始日期\t2024-01-01\t计划完成日期\t2024-12-31
项目资金总额\t1,200,000\t年度资金申请总额\t400,000
年度绩效目标\t完成乡村道路养护120公里，保障群众安全出行。
一级指标\t二级指标\t三级指标\t年度(/项目)指标值
产出指标\t数量指标\t养护里程\t=120.00(公里)
\t质量指标\t养护合格率\t≥95.00(%)
效益指标\t社会效益指标\t群众出行满意度\t≥90.00(%)
填报人：李四\t联系电话：0351-1234567\t填报日期：2024-01-15
"""


def test_single_indicator_column_template():
    res = parse_text(SINGLE_COLUMN)
    assert len(res.declarations) == 1
    d = res.declarations[0]
    assert d.name == "乡村道路养护补助"
    assert (d.dept_code, d.dept_name, d.attribute) == ("101", "某县交通运输局", "经常性项目")
    assert d.goal_annual == "完成乡村道路养护120公里，保障群众安全出行。"
    rows = [(i.level1, i.level2, i.name, i.op, i.number, i.unit) for i in d.indicators]
    assert ("产出指标", "数量指标", "养护里程", "=", 120.0, "公里") in rows
    assert ("产出指标", "质量指标", "养护合格率", "≥", 95.0, "%") in rows
    assert ("效益指标", "社会效益指标", "群众出行满意度", "≥", 90.0, "%") in rows
    assert d.contact == "李四" and d.filed_at == "2024-01-15"


OCR_RUN_TOGETHER = """项目名称 城区公厕改造工程 主管部门及代码 305-某区城市管理局
项目概况 改造城区公厕15座，提升环境卫生水平。
产出指标 数量指标 改造公厕数量 15座
满意度指标 服务对象满意度指标 群众满意度 ≥90%
"""


def test_cells_separated_by_spaces():
    res = parse_text(OCR_RUN_TOGETHER)
    assert res.reader == "text/spaces"
    d = res.declarations[0]
    assert (d.name, d.dept_code, d.dept_name) == ("城区公厕改造工程", "305", "某区城市管理局")
    assert d.overview == "改造城区公厕15座，提升环境卫生水平。"
    assert [(i.level2, i.name, i.value) for i in d.indicators] == [
        ("数量指标", "改造公厕数量", "15座"), ("服务对象满意度指标", "群众满意度", "≥90%")]


def test_two_projects_in_one_file_are_not_merged():
    text = "项目名称\t甲项目\n项目概况\t甲。\n\n项目名称\t乙项目\n项目概况\t乙。\n"
    names = [d.name for d in parse_text(text).declarations]
    assert names == ["甲项目", "乙项目"]


def test_repeated_page_of_same_project_is_merged():
    page = "# 某区预算单位项目支出绩效目标申报表\n(2024年度)\n项目名称\t甲项目\n实施期资金总额:\t100\t年度资金总额:\t50\n"
    res = parse_text(page + page)
    assert len(res.declarations) == 1 and res.declarations[0].pages == 2 and res.declarations[0].year == 2024


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"\x00\x01\x02binary", "binary"),
    ("项目名称\t".encode() + "café".encode("latin-1") + b"\xff\xfe", "not UTF-8"),
])
def test_bad_bytes_rejected_with_file_name(data, message):
    with pytest.raises(ParseError) as e:
        read_text(data, "in/bad.txt")
    assert message in str(e.value) and "in/bad.txt" in str(e.value)


def test_gbk_text_is_read_as_chinese():
    assert read_text("项目名称\t乡村道路养护\n".encode("gbk"), "gbk.txt") == "项目名称\t乡村道路养护\n"


def test_non_utf8_error_names_line():
    data = "第一行\n第二行\n".encode() + b"\xe9\xff\xfe"
    with pytest.raises(ParseError) as e:
        read_text(data, "x.txt")
    assert "x.txt:3" in str(e.value)


def test_text_with_no_declaration():
    with pytest.raises(ParseError):
        parse_text("这是一份会议纪要，没有申报表。\n")


def test_oversized_input_is_rejected_with_its_size():
    with pytest.raises(ParseError, match=r"big\.txt: .* bytes is more than"):
        read_text("项目名称\t".encode() + b"x" * MAX_BYTES, "big.txt")


def test_file_cut_inside_its_last_character_keeps_the_rest():
    data = "项目名称\t清洁取暖".encode("utf-8")
    assert read_text(data[:-1], "cut.txt") == "项目名称\t清洁取\ufffd"
    with pytest.raises(ParseError, match=r"cut\.txt:1: not UTF-8"):
        read_text(data[:-1] + b"\n", "cut.txt")  # broken in the middle of a line: still an error
