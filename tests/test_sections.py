"""Whole documents cut into their project forms and lists (ingest/sections/), on documents made of
rows as the readers give them: budget tables, narrative and department-wide forms give nothing,
each list template gives one declaration per project."""

from __future__ import annotations

from ingest.readers.grid import Document, Row
from ingest.sections import FORM, GOAL_ONLY, LISTED, name_from_title, read_declarations
from ingest.sections.packed import packed_entries


def doc(*blocks) -> Document:
    """Rows from blocks: a str is a line of text; a list of lists is a table (its cells in columns)."""
    rows, lines, table = [], [], 0
    for block in blocks:
        if isinstance(block, str):
            lines.append(block)
            rows.append(Row(len(lines), [(0, block)], exact=False, page=1))
            continue
        table += 1
        for cells in block:
            lines.append("\t".join(cells))
            rows.append(Row(len(lines), [(i, c) for i, c in enumerate(cells) if c], grid=True, page=1, table=table))
    return Document(rows, "\n".join(lines), "pdf/layout")


COVER = "2026年某市农业农村局部门预算"
BUDGET_TABLE = [["项目", "本年预算数", "上年预算数"], ["合计", "1,200.00", "1,100.00"],
                ["一般公共预算财政拨款收入", "1,200.00", "1,100.00"]]
PROJECT_AMOUNTS = [["项目名称", "金额"], ["合计", "300.00"], ["农村公路养护", "200.00"], ["农田水利维修", "100.00"]]


def test_budget_tables_and_narrative_give_nothing():
    result = read_declarations(doc(COVER, "第一部分 部门概况", "一、主要职责", "负责全市农业农村工作。",
                                   "公开01表 收支总表", "单位：万元", BUDGET_TABLE,
                                   "公开11表 项目支出预算情况表", PROJECT_AMOUNTS,
                                   "项目名称：城市道路挖掘修复费", "收费标准：每平方米 300 元"))
    assert result.declarations == [] and result.outcome == "无项目绩效目标表"


def test_a_list_with_one_row_per_indicator():
    head = ["序号", "项目名称", "预算金额", "当年绩效目标", "指标名称", "指标性质", "指标值", "计量单位", "指标权重"]
    rows = [head,
            ["1", "高标准农田建设", "500.00", "新建高标准农田2万亩", "建设面积", "≥", "2", "万亩", "20"],
            ["1", "高标准农田建设", "500.00", "新建高标准农田2万亩", "验收合格率", "≥", "95", "%", "20"],
            ["1", "高标准农田建设", "500.00", "新建高标准农田2万亩", "农户满意度", "≥", "90", "%", "10"],
            ["2", "动物疫病防控", "80.00", "重大动物疫病零发生", "强制免疫密度", "≥", "90", "%", "30"],
            ["2", "动物疫病防控", "80.00", "重大动物疫病零发生", "养殖户满意度", "≥", "90", "%", "10"]]
    result = read_declarations(doc(COVER, "2026年项目支出绩效目标表", "单位：万元", rows))
    by_name = {d.name: d for d in result.declarations}
    assert set(by_name) == {"高标准农田建设", "动物疫病防控"}
    farm = by_name["高标准农田建设"]
    assert farm.form_kind == LISTED and farm.funds_annual == 5_000_000 and farm.year == 2026
    assert {(i.name, i.value) for i in farm.indicators} == {("建设面积", "≥2万亩"), ("验收合格率", "≥95%"),
                                                             ("农户满意度", "≥90%")}
    assert farm.goal_annual == "新建高标准农田2万亩" and farm.dept_name == "某市农业农村局"


def test_a_goal_list_and_the_same_project_among_the_key_projects_once():
    table12 = [["支出项目类别（资金使用单位）", "总计", "绩效目标"],
               ["合计", "380.00", ""],
               ["某市农业农村局", "380.00", ""],
               ["农村公路养护", "200.00", "养护农村公路120公里，优良中等路率达到85%以上。"],
               ["农田水利维修", "180.00", "维修小型水利设施40处，保障灌溉。"]]
    key = [["项目名称", "预算数（万元）", "绩效目标"], ["农村公路养护", "200", "养护农村公路120公里，优良中等路率达到85%以上。"]]
    result = read_declarations(doc(COVER, "表12 部门预算项目支出及其他支出预算表", table12,
                                   "七、重点项目绩效目标", "2026年，本部门重点项目绩效目标情况如下：", key))
    assert sorted(d.name for d in result.declarations) == ["农村公路养护", "农田水利维修"]
    road = next(d for d in result.declarations if d.name == "农村公路养护")
    assert road.form_kind == GOAL_ONLY and road.funds_annual == 2_000_000 and road.dept_name == "某市农业农村局"
    assert road.goal_annual.startswith("养护农村公路120公里") and not road.indicators
    assert "只列绩效目标的项目 2 项" in result.outcome


def test_indicators_packed_in_one_cell():
    text = ("1.1－产出指标，11－数量指标，病死畜禽收集处理量；实施周期指标值：≥1200吨，年度指标值：≥600吨；"
            "2、1－产出指标，12－质量指标，无害化处理率；实施周期指标值：=100%，年度指标值：=100%；"
            "3、3－满意度指标，31－服务对象满意度指标，养殖户满意度；实施周期指标值：≥90%")
    entries = packed_entries(text)
    assert [(e[0], e[1], e[2]) for e in entries] == [("产出指标", "数量指标", "病死畜禽收集处理量"),
                                                     ("产出指标", "质量指标", "无害化处理率"),
                                                     ("满意度指标", "服务对象满意度指标", "养殖户满意度")]
    assert entries[0][3] == {"实施期": "≥1200吨", "年度": "≥600吨"} and entries[2][3] == {"实施期": "≥90%"}
    rows = [["项目名称（资金使用单位）", "总计", "绩效目标", "绩效指标"],
            ["病死畜禽无害化处理", "150.00", "实现病死畜禽应收尽收、无害化处理。", text]]
    d = read_declarations(doc(COVER, "单位：万元", rows)).declarations[0]
    assert d.name == "病死畜禽无害化处理" and d.form_kind == LISTED
    annual = {i.name: i.value for i in d.indicators if i.period == "年度"}
    assert annual == {"病死畜禽收集处理量": "≥600吨", "无害化处理率": "=100%"}


def test_a_department_wide_form_is_not_a_project():
    dept_form = [["部门名称", "某市农业农村局"], ["年度主要任务", "推进乡村振兴"],
                 ["一级指标", "二级指标", "三级指标", "指标值"], ["产出指标", "数量指标", "培训农民人数", "≥5000人"]]
    form = [["项目名称", "农民培训"], ["主管部门", "某市农业农村局"], ["年度资金总额", "50.00"],
            ["年度目标", "培训高素质农民5000人"], ["一级指标", "二级指标", "三级指标", "指标值"],
            ["产出指标", "数量指标", "培训农民人数", "≥5000人"]]
    result = read_declarations(doc(COVER, "部门整体支出绩效目标表", dept_form, "农民培训项目绩效目标表", "单位：万元", form))
    assert [(d.name, d.form_kind) for d in result.declarations] == [("农民培训", FORM)]
    assert result.declarations[0].funds_annual == 500_000


def test_a_form_named_only_by_its_title():
    assert name_from_title("信访综合保障经费绩效目标表") == "信访综合保障经费"
    assert name_from_title("农村饮水安全项目项目绩效目标表（2026年度）") == "农村饮水安全项目"
    assert name_from_title("2026年项目支出绩效目标表") is None
    assert name_from_title("政策和项目预算绩效目标表") is None
