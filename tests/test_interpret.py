"""The interpreter on small forms written for one behaviour each (Chinese, as the forms are)."""

import pytest

from ingest.form import parse_text
from ingest.form.values import parse_amount, parse_period


@pytest.mark.parametrize("text,expected", [
    ("3年", (3, None, None)),
    ("2022年", (1, None, None)),
    ("2019-2021", (3, None, None)),
    ("2022年3月-2023年11月", (None, "2022-03", "2023-11")),
    ("2023-01-01至2023-12-31", (1, "2023-01", "2023-12")),
    ("一次性项目（1年结束）", (1, None, None)),
])
def test_project_period(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text,unit,yuan", [
    ("250万", None, 2_500_000), ("1125", "万元", 11_250_000), ("3,309,840.00", "元", 3_309_840),
    ("68.5", "万元", 685_000), ("20万元", "元", 200_000), ("1.2亿元", None, 120_000_000),
])
def test_amounts_in_yuan(text, unit, yuan):
    assert parse_amount(text, unit)[0] == pytest.approx(yuan)


def test_unit_from_the_forms_unit_line_and_title_is_not_a_form():
    d, = parse_text("2023年项目支出绩效目标申报表\n单位:万元\n项目支出名称\t雾炮车降尘抑尘服务\n预算部门\t湘潭市环境卫生管理处\n"
                    "年度本级预算金额\t250\n").declarations
    assert (d.name, d.dept_name, d.funds_annual, d.amount_unit) == ("雾炮车降尘抑尘服务", "湘潭市环境卫生管理处", 2_500_000, "万元")
    assert d.funds_printed[("年度", "total")] == "250"


def test_a_label_with_no_value_does_not_swallow_the_next():
    d, = parse_text("| 项目名称 | 主体班 | 项目负责人 | |\n| 项目金额 | 164万元 | 其中:当年市级财政资金 | 132万元 |\n").declarations
    assert d.name == "主体班"
    assert d.funds_annual == 1_640_000 and d.funds[("年度", "市县(区)财政资金")] == 1_320_000


@pytest.mark.parametrize("header,period", [
    ("一级指标\t二级指标\t三级指标\t本年度指标值", "年度"),
    ("一级指标\t二级指标\t三级指标\t中期指标值", "实施期"),
    ("一级指标\t二级指标\t三级指标\t预期2022年实现值", "年度"),
    ("一级指标\t二级指标\t三级指标\t指标值", "年度"),
])
def test_a_single_value_column_has_the_period_it_names(header, period):
    d, = parse_text(f"项目名称\t甲项目\n{header}\n产出指标\t数量指标\t培训人次\t500人次\n").declarations
    assert [(i.period, i.name, i.value) for i in d.indicators] == [(period, "培训人次", "500人次")]


def test_extra_columns_are_read_by_their_headers():
    d, = parse_text("项目名称\t甲项目\n一级指标\t二级指标\t三级指标\t指标性质\t指标值\t度量单位\t权重\t指标方向性\n"
                    "产出指标\t数量指标 (必填硬性指标)\t培训人次\t≥\t500\t人次\t20\t正向指标\n"
                    "满意度指标\t服务对象满意度\t学员满意度\t≥\t95\t%\t10\t正向指标\n").declarations
    assert [(i.level2, i.name, i.value, i.op, i.number, i.unit, i.weight, i.nature) for i in d.indicators] == [
        ("数量指标", "培训人次", "≥500人次", "≥", 500, "人次", 20, "正向指标"),
        ("服务对象满意度指标", "学员满意度", "≥95%", "≥", 95, "%", 10, "正向指标")]


def test_categories_carried_over_merged_cells_and_old_templates_kept():
    d, = parse_text("项目名称\t甲项目\n一级指标\t二级指标\t三级指标\t指标值\n"
                    "产出指标\t数量指标\t培训人次\t500人次\n\t\t培训天数\t5天\n"
                    "效益指标\t社会公众或服务对象满意度指标\t学员满意度\t≥95%\n").declarations
    assert [(i.level1, i.level2) for i in d.indicators] == [
        ("产出指标", "数量指标"), ("产出指标", "数量指标"), ("效益指标", "社会公众或服务对象满意度指标")]


def test_a_list_table_holds_one_declaration_per_project():
    text = ("金额单位:元\n| 单位名称 | 项目名称 | 预算数 | 年度目标 | 一级指标 | 二级指标 | 三级指标 | 指标性质 | 指标值 | 度量单位 |\n"
            "| 820001-某镇人民政府 | 村组干部报酬 | 3,309,840.00 | 按时发放 | 产出指标 | 数量指标 | 发放人数 | = | 230 | 人 |\n"
            "| 效益指标 | 社会效益指标 | 维护社会稳定 | ≥ | 95 | % | |||\n"
            "| 基层组织活动经费 | 660,000.00 | 保障运转 | 满意度指标 | 服务对象满意度指标 | 群众满意度 | ≥ | 95 | % |\n")
    a, b = parse_text(text).declarations
    assert (a.name, a.dept_code, a.dept_name, a.funds_annual) == ("村组干部报酬", "820001", "某镇人民政府", 3_309_840)
    assert [(i.name, i.value) for i in a.indicators] == [("发放人数", "=230人"), ("维护社会稳定", "≥95%")]
    assert (b.name, b.dept_name, b.funds_annual) == ("基层组织活动经费", "某镇人民政府", 660_000)
    assert [(i.level1, i.name, i.value) for i in b.indicators] == [("满意度指标", "群众满意度", "≥95%")]


def test_a_form_without_a_readable_name_is_kept_with_a_warning():
    d, = parse_text("主管部门\t某局\n一级指标\t二级指标\t三级指标\t指标值\n产出指标\t数量指标\t培训人次\t500人次\n").declarations
    assert d.name is None and d.indicators
    assert any(w.reason == "未找到项目名称" for w in d.warnings)


def test_warnings_are_in_chinese():
    d, = parse_text("项目名称\t甲项目\n项目期\t很久\n一级指标\t二级指标\t三级指标\t指标值\n产出指标\t数量指标\t培训人次\n").declarations
    assert d.warnings and all(any("\u4e00" <= ch <= "\u9fff" for ch in w.reason) for w in d.warnings)


# 阳泉市 2021 transport form as a county disclosure page prints it (jtysj.yq.gov.cn/yjsgk/202104/
# t20210422_1152890.html), cells joined by pipes, cut after its total goal
YANGQUAN_ROAD = """山西省阳泉市市级预算部门(单位)项目支出绩效目标申报表 | |||||||
2021年 | |||||||
项目名称 | “四好农村路”、“三个一号旅游路”工作经费 | ||||||
主管部门及代码 | 经济建设科 | 实施单位 | 阳泉市公路服务中心 | ||||
项目属性 | 延续性项目(阶段开展) | 项目期限 | 3年 | ||||
项目预算资金(万元) | 中期预算资金总额 | 年度预算资金总额 | 25 | ||||
项目概况 | “四好农村路”、“三大板块旅游路”项目开工前期项目勘察设计审批;进度督导检查、工程质量监督检查、工程安全运营检查;财务审计、工程竣工验收。 | ||||||
立项依据 | 山西省人民政府晋政办发[2018]96号文件、阳泉市人民政府阳政办发[2017]103号文件、阳泉市人民政府办公厅会议专题纪要[2018]54号 | ||||||
项目实施计划 | “四好农村路”、“三大板块旅游路”项目开工前期项目勘察设计审批需20万元;进度督导检查、工程质量监督检查需20万元;财务审计、工程竣工验收需10万元,合计50万元。 | ||||||
中期目标 | 年度目标 | ||||||
总体目标 | “四好农村路”、“三大板块旅游路”项目开工前期项目勘察设计审批;进度督导检查、工程质量监督检查、工程安全运营检查。
"""


def test_a_transport_form_with_an_empty_medium_term_total():
    d = parse_text(YANGQUAN_ROAD).declarations[0]
    assert d.name == "“四好农村路”、“三个一号旅游路”工作经费"
    assert (d.dept_name, d.implementer, d.period_years) == ("经济建设科", "阳泉市公路服务中心", 3)
    assert d.attribute.startswith("延续")
    # 中期预算资金总额 is left empty: the 25 (万元) after 年度预算资金总额 is the year's
    assert d.funds == {("年度", "total"): 250000.0}
    assert [p.doc_number for p in d.policies] == ["晋政办发〔2018〕96号", "阳政办发〔2017〕103号"]


# 宁乡市坝塘镇 2021 (湖南) 项目绩效目标表 as a document site prints it (renrendoc.com/paper/307484460.html):
# the whole form run together on one line, characters dropped (联系电, 目起止时间), the indicator grid
# with no indicator names; verbatim, cut where the page's text ends
NINGXIANG_TOWN = (
    "项目绩效目标表(2021年度)填报单位(盖章):宁乡市坝塘镇人民政府 项目名称镇域内基础设施建设项目属性新增项目□延续项目√"
    "主管部门坝塘镇主管部门编码项目单位坝塘镇项目负责人蒋建华联系电目起止时间2021年度资金总额及构成总额10606.7522万元"
    "财政拨款:6923.3552万元(其中:上级财政资金:6923.3552万元;本级财政:0万元)二、自有资金:0万元三、其他:3683.3970万元"
    "项目概况镇域内水利、道路、机关、学校及乡村振兴等基础设施建设项目立项情况项目立项的依据机关、学校、乡村振兴按发改立项"
    "项目申报的可行性已申报项目可行性评估项目申报的必要性为改善镇域内基础设施、振兴乡村项目实施进度计划项目实施内容开始时间"
    "完成时间1总体概念规划201620202、核心区规划20212021项目绩效目标长期目标年度目标改善镇域内基础设施,振兴乡村经济全面完成"
    "集镇立面改造、机关、学校、乡村振兴等项目,搞好提质改造长期绩效指标一级指标二级指标指标内容指标值备注产出指标数量指标88100"
    "质量指标88100时效指标88100成本指标88100…效益指标经济效益指标88100社会效益指标68100生态效益指标20100可持续影响指标20100"
    "社会公众或服务对象满意度指标88100年度绩效指标一级指标二级指标指标内容指标值备注产出指标数量指标88100质量指标88100"
    "时效指标88100成本指标88100…效益指标经济效益指标88100社会效益指标68100生态效益指标20100可持续影响指标20100"
    "社会公众或服务对象满意度指\n")


def test_a_town_form_run_together_reads_its_ticked_attribute_and_no_header_as_indicator():
    d = parse_text(NINGXIANG_TOWN).declarations[0]
    assert (d.name, d.implementer) == ("镇域内基础设施建设", "坝塘镇")
    assert d.dept_name == "宁乡市坝塘镇人民政府"  # 填报单位(盖章): the stamp note is not part of the name
    assert d.attribute == "延续项目"  # the ticked box, not the first option printed
    assert d.indicators == []  # the grid names no indicator; its header row is not one
    assert any("表头文字不是指标" in w.reason for w in d.warnings)


@pytest.mark.parametrize("printed,chosen", [
    ("新增项目□延续项目√", "延续项目"), ("☑新增 □延续", "新增"), ("√新增项目 □延续项目", "新增项目"),
    ("新增□ 延续□", None), ("一次性项目", None)])
def test_the_ticked_checkbox_is_the_answer(printed, chosen):
    from ingest.form.fields import ticked

    assert ticked(printed) == chosen
