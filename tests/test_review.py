"""Review findings: each rule on Chinese fixtures (a form that has the problem and one that does
not), the seed case, findings kept up to date by kb build, and the Datasette views of them."""

import json
import sqlite3

import pytest

from ingest.review.forms import Form, Indicator
from ingest.review.rules import (annual_missing, annual_over_period_funds, annual_over_period_value, cost_vs_funds,
                                 deadline_outside_period, funds_sum, missing_categories, missing_parts, percent_over_100,
                                 placeholders, qualitative_share, quantity_without_unit, same_value_everywhere)

from .conftest import kb_build

FULL = [("产出指标", "数量指标", "培训村级卫生员人数", "120人", 120, "人"),
        ("产出指标", "质量指标", "培训考核合格率", "≥95%", 95, "%"),
        ("产出指标", "时效指标", "培训完成时间", "2024年10月底前", None, None),
        ("产出指标", "成本指标", "人均培训成本", "≤800元/人", 800, "元/人"),
        ("效益指标", "社会效益指标", "村民基本医疗服务可及性", "明显提升", None, None),
        ("满意度指标", "服务对象满意度指标", "参训人员满意度", "≥90%", 90, "%")]


def ind(level1, level2, name, value, number=None, unit=None, period="年度", op=None, line=20, seq=[0]):
    seq[0] += 1
    if op is None and value:
        op = next((c for c in ("≥", "≤", ">", "<") if value.startswith(c)), "=")
    return Indicator(f"d:{seq[0]}", period, level1, level2, name, value, op, number, unit, line)


def form(indicators=FULL, **kw) -> Form:
    base = dict(id="d", name="村级卫生员培训项目", dept_name="某县卫生健康局", year=2024, period_years=1,
                period_start=None, period_end=None, funds_total=1_000_000.0, funds_annual=1_000_000.0,
                amount_unit="万元", overview="对全县村级卫生员开展业务培训，提升村民基本医疗服务能力。",
                basis="《关于加强村级卫生队伍建设的通知》", necessity="村级卫生员业务能力不足。", safeguards="制定培训管理办法。",
                plan="2024年3月至10月分四期完成培训。", goal_period="完成120名村级卫生员培训，考核合格率95%以上。",
                goal_annual="完成120名村级卫生员培训。", first_line=1, last_line=40)
    base.update(kw)
    f = Form(**base)
    f.funds = {("实施期", "总额"): f.funds_total, ("年度", "总额"): f.funds_annual}
    f.indicators = [x if isinstance(x, Indicator) else ind(*x) for x in indicators]
    return f


def rules_of(findings):
    return [f.rule for f in findings]


def test_a_complete_consistent_form_has_no_findings():
    from ingest.review import review_form

    assert review_form(form()) == []


# ------------------------------------------------------------------ 完整性

def test_a_printed_field_left_empty_is_missing():
    f = form(goal_period=None, goal_annual=None, overview=None)
    f.source_text = "项目名称\t村级卫生员培训项目\n项目概况\t\t\t\n立项依据\t《关于加强村级卫生队伍建设的通知》\n总体目标\t\t\n"
    found = missing_parts(f)
    assert len(found) == 1 and found[0].severity == "高"
    assert "项目概况" in found[0].message and "总体目标" in found[0].message and "立项依据" not in found[0].message
    assert [e["line"] for e in found[0].evidence] == [2, 4]


def test_a_field_filled_or_not_on_the_template_is_not_missing():
    filled = form()
    filled.source_text = "项目概况\t对全县村级卫生员开展业务培训。\n总体目标\t完成120名村级卫生员培训。\n"
    assert missing_parts(filled) == []
    other_template = form(overview=None, basis=None)  # a list form without these fields
    other_template.source_text = "项目名称\t村级卫生员培训项目\n一级指标\t二级指标\t三级指标\t指标值\n"
    assert missing_parts(other_template) == []


def test_missing_indicator_categories():
    without = [x for x in FULL if x[1] not in ("时效指标", "成本指标") and x[0] != "满意度指标"]
    found = missing_categories(form(without))
    assert found and {"时效指标", "成本指标", "服务对象满意度指标"} <= set(found[0].message.split("：")[1].split("、"))
    assert missing_categories(form()) == []


def test_satisfaction_is_required_only_where_there_are_service_users():
    without = [x for x in FULL if x[0] != "满意度指标"]
    office = form(without, name="办公楼电梯更换", overview="更换机关办公楼电梯两部。", goal_period="完成电梯更换。",
                  goal_annual="完成电梯更换。")
    assert missing_categories(office) == []


def test_annual_indicators_missing_for_a_multi_year_project():
    period_only = [ind(*x[:6], period="实施期") for x in FULL]
    assert rules_of(annual_missing(form(period_only, period_years=3))) == ["完整性.缺少年度指标"]
    assert annual_missing(form(period_only + [ind(*x[:6]) for x in FULL], period_years=3)) == []


def test_template_placeholders_and_empty_values():
    holders = FULL[:1] + [("产出指标", "质量指标", "培训考核合格率", "≥**%"), ("效益指标", "社会效益指标", "带动就业", "XX人")]
    found = placeholders(form(holders))
    assert found and "≥**%" in found[0].message and found[0].severity == "高"
    f = form(FULL + [ind("效益指标", "可持续影响指标", "长效机制建立", "", line=3)])
    f.source_text = "一级指标\t二级指标\t三级指标\t指标值\n产出指标\t数量指标\t培训村级卫生员人数\t120人\n效益指标\t可持续影响指标\t长效机制建立\t\n"
    empty = placeholders(f)
    assert len(empty) == 1 and "没有指标值" in empty[0].message and empty[0].lines == [3]
    assert placeholders(form()) == []


def test_an_empty_value_the_reader_may_have_missed_is_not_reported():
    """One cell per line (the value may be on the next line), or a name cut in the middle."""
    f = form(FULL + [ind("效益指标", "可持续影响指标", "长效机制建立", "", line=2),
                     ind("效益指标", "社会效益指标", "切实解决学生“放学早、接送难", "", line=3)])
    f.source_text = "可持续影响指标\n长效机制建立\n社会效益指标\t切实解决学生“放学早、接送难\t\n"
    assert placeholders(f) == []


# ------------------------------------------------------------------ 适当性

def test_fund_sources_must_add_up():
    f = form()
    f.funds.update({("实施期", "省级财政资金"): 600_000.0, ("实施期", "县级财政资金"): 300_000.0})
    found = funds_sum(f)
    assert len(found) == 1 and "实施期资金总额100万元，各来源合计90万元" in found[0].message
    f.funds[("实施期", "县级财政资金")] = 400_000.0
    assert funds_sum(f) == []


def test_annual_funds_above_the_period():
    assert rules_of(annual_over_period_funds(form(funds_total=500_000.0))) == ["适当性.年度资金超过实施期"]
    assert annual_over_period_funds(form(funds_total=3_000_000.0)) == []


def test_the_seed_case_cost_indicator_against_the_plan():
    """高新技术企业 1620万元 in the plan, 高新技术企业补贴 1260万元 as the cost indicator."""
    plan = ("1.高新技术企业：1620万元，本土培育44家*30万元=1320万元，引入15家*20万元=300万元；"
            "2.科技型中小企业：200万元。")
    inds = [("产出指标", "成本指标", "高新技术企业补贴", "1260万元", 1260, "万元"),
            ("产出指标", "成本指标", "科技型中小企业补贴", "200万元", 200, "万元")]
    found = cost_vs_funds(form(inds, plan=plan, funds_total=5e7, funds_annual=5e7))
    assert len(found) == 1
    assert "高新技术企业补贴" in found[0].message and "1620万元" in found[0].message
    agreeing = [("产出指标", "成本指标", "高新技术企业补贴", "1620万元", 1620, "万元")]
    assert cost_vs_funds(form(agreeing, plan=plan, funds_total=5e7, funds_annual=5e7)) == []


def test_cost_indicator_above_the_funds():
    inds = [("产出指标", "成本指标", "项目总成本", "≤150万元", 150, "万元")]
    assert rules_of(cost_vs_funds(form(inds))) == ["适当性.成本指标与资金不符"]
    per_head = [("产出指标", "成本指标", "人均补助标准", "2000元/人", 2000, "元/人")]
    assert cost_vs_funds(form(per_head, funds_total=1000.0, funds_annual=1000.0)) == []


def test_annual_count_above_the_period_count():
    inds = [ind("产出指标", "数量指标", "新建村级卫生室", "10个", 10, "个", period="实施期"),
            ind("产出指标", "数量指标", "新建村级卫生室", "12个", 12, "个")]
    assert rules_of(annual_over_period_value(form(inds))) == ["适当性.年度值超过实施期"]
    inds[1] = ind("产出指标", "数量指标", "新建村级卫生室", "4个", 4, "个")
    assert annual_over_period_value(form(inds)) == []


def test_rates_above_100_percent():
    bad = [("产出指标", "质量指标", "验收合格率", "120%", 120, "%")]
    assert rules_of(percent_over_100(form(bad))) == ["适当性.百分比超过100"]
    growth = [("效益指标", "经济效益指标", "村集体收入增长率", "150%", 150, "%")]
    assert percent_over_100(form(growth)) == []


def test_deadline_outside_the_project_period():
    late = [("产出指标", "时效指标", "项目完成时间", "2027年12月底前", None, None)]
    found = deadline_outside_period(form(late))
    assert found and "2027" in found[0].message
    assert deadline_outside_period(form()) == []
    assert deadline_outside_period(form(late, period_start="2024-01", period_end="2027-12")) == []


# ------------------------------------------------------------------ 可行性

def test_too_many_qualitative_indicators():
    vague = [("产出指标", "数量指标", "培训工作", "按计划完成"), ("产出指标", "质量指标", "培训质量", "较好"),
             ("效益指标", "社会效益指标", "服务能力", "有所提升"), ("满意度指标", "服务对象满意度指标", "群众满意", "满意"),
             ("产出指标", "时效指标", "完成时间", "年底前"), ("产出指标", "成本指标", "成本控制", "控制在预算内")]
    assert rules_of(qualitative_share(form(vague))) == ["可行性.定性指标过多"]
    assert qualitative_share(form()) == []
    dated = vague[:3] + [("产出指标", "时效指标", "完成时间", "2024年10月底前"), ("产出指标", "成本指标", "人均成本", "≤800元"),
                         ("产出指标", "数量指标", "培训工作", "完成4期培训")]
    assert qualitative_share(form(dated)) == []  # a date or a figure in the value is a quantity


def test_quantity_without_unit():
    bare = [("产出指标", "数量指标", "开设培训班", "12", 12, None)]
    assert rules_of(quantity_without_unit(form(bare))) == ["可行性.数量指标缺单位"]
    counted = [("产出指标", "数量指标", "开设培训班期数", "12", 12, None)]  # the name carries the unit
    assert quantity_without_unit(form(counted)) == []


def test_the_same_value_copied_into_every_row():
    copied = [(l1, l2, name, "≥95%", 95, "%") for l1, l2, name, *_ in FULL]
    assert rules_of(same_value_everywhere(form(copied))) == ["可行性.指标值雷同"]
    assert same_value_everywhere(form()) == []


# ------------------------------------------------------------------ through kb build

FORM = """项目支出绩效目标申报表
项目名称\t{name}
主管部门\t{dept}
项目期\t1年
资金总额\t{funds}万元
项目概况\t{overview}
实施期总体目标\t{goal}
一级指标\t二级指标\t三级指标\t指标值
产出指标\t数量指标\t{count_name}\t{count}
产出指标\t质量指标\t验收合格率\t100%
产出指标\t时效指标\t完成时间\t2024年12月底前
产出指标\t成本指标\t项目总成本\t≤{funds}万元
效益指标\t社会效益指标\t{benefit}\t明显改善
满意度指标\t服务对象满意度指标\t群众满意度\t{satisfaction}
"""

GOAL = ("通过实施本项目，改善农村人居环境，提升群众生活质量，建立健全长效管护机制，确保项目建成后发挥效益，"
        "群众满意度达到90%以上。")


def write_forms(folder, n=10, override=None):
    override = override or {}
    folder.mkdir(exist_ok=True)
    for k in range(n):
        values = dict(name=f"第{k + 1}村人居环境整治项目", dept=f"某县第{k + 1}镇人民政府", funds=50 + k,
                      overview=f"整治第{k + 1}村房前屋后环境，清理陈年垃圾和沟渠淤泥，修建排水沟{k + 2}条，"
                      "硬化村内巷道，改造公共厕所，配备保洁人员，建立村庄清洁长效管护制度。", goal=f"完成第{k + 1}村环境整治。",
                      count_name="新建排水沟", count=f"{k + 2}条", benefit="村容村貌", satisfaction=f"≥{88 + k % 8}%")
        values.update(override.get(k, {}))
        (folder / f"form{k:02}.txt").write_text(FORM.format(**values), encoding="utf-8")


def findings(db_path, rule=None):
    conn = sqlite3.connect(db_path)
    sql = "select d.name, f.rule, f.message, f.related_id, f.evidence from findings f join declarations d on d.id = f.declaration_id"
    rows = conn.execute(sql + (" where f.rule = ?" if rule else ""), [rule] if rule else []).fetchall()
    conn.close()
    return rows


def test_satisfaction_far_below_the_library_is_an_outlier(tmp_path):
    write_forms(tmp_path / "in", 12, {3: {"satisfaction": "≥60%"}})
    assert kb_build(tmp_path / "kb.db", tmp_path / "in").exit_code == 0
    rows = findings(tmp_path / "kb.db", "适当性.指标值偏离常见取值")
    assert [r[0] for r in rows] == ["第4村人居环境整治项目"]
    assert "满意度≥60%" in rows[0][2] and "常见取值" in rows[0][2]


def test_no_outlier_without_enough_peers(tmp_path):
    write_forms(tmp_path / "in", 5, {3: {"satisfaction": "≥60%"}})
    assert kb_build(tmp_path / "kb.db", tmp_path / "in").exit_code == 0
    assert findings(tmp_path / "kb.db", "适当性.指标值偏离常见取值") == []


def test_a_goal_copied_from_another_department_links_the_other(tmp_path):
    write_forms(tmp_path / "in", 4, {0: {"goal": GOAL}, 2: {"goal": GOAL.replace("90%", "95%")}})
    assert kb_build(tmp_path / "kb.db", tmp_path / "in").exit_code == 0
    rows = findings(tmp_path / "kb.db", "相关性.总体目标与其他部门雷同")
    assert sorted(r[0] for r in rows) == ["第1村人居环境整治项目", "第3村人居环境整治项目"]
    conn = sqlite3.connect(tmp_path / "kb.db")
    for name, _rule, message, related, _ev in rows:
        other = conn.execute("select name from declarations where id = ?", [related]).fetchone()[0]
        assert other != name and other in message
    conn.close()


def test_the_same_departments_goal_repeated_is_not_a_copy(tmp_path):
    write_forms(tmp_path / "in", 2, {0: {"goal": GOAL, "dept": "某县水利局"},
                                         1: {"goal": GOAL, "dept": "某县水利局", "name": "另一个项目"}})
    assert kb_build(tmp_path / "kb.db", tmp_path / "in").exit_code == 0
    assert findings(tmp_path / "kb.db", "相关性.总体目标与其他部门雷同") == []


def test_an_indicator_taken_from_another_kind_of_project(tmp_path):
    """A 村人居环境 form carrying an indicator that belongs to a school-meals project."""
    write_forms(tmp_path / "in", 6, {5: {
        "name": "农村义务教育学生营养改善计划", "dept": "某县教育局", "count_name": "享受营养膳食补助学生人数",
        "overview": "为农村义务教育阶段学生提供营养膳食补助，每生每天5元，由学校食堂供餐，改善学生营养状况，"
                    "促进学生健康成长，提高农村学生身体素质。", "count": "3200人",
        "benefit": "学生营养健康状况", "goal": "保障农村义务教育学生营养膳食补助按时足额发放。"}})
    planted = (tmp_path / "in" / "form01.txt")
    planted.write_text(planted.read_text("utf-8") + "产出指标\t数量指标\t享受营养膳食补助学生人数\t3200人\n", encoding="utf-8")
    assert kb_build(tmp_path / "kb.db", tmp_path / "in").exit_code == 0
    rows = findings(tmp_path / "kb.db", "相关性.指标与项目内容无关")
    assert [(r[0], "营养" in r[2]) for r in rows] == [("第2村人居环境整治项目", True)]
    assert "农村义务教育学生营养改善计划" in rows[0][2]


def test_findings_follow_a_changed_declaration_and_a_rebuild_is_a_no_op(tmp_path):
    write_forms(tmp_path / "in", n=3)
    db = tmp_path / "kb.db"
    assert kb_build(db, tmp_path / "in").exit_code == 0
    assert findings(db, "适当性.百分比超过100") == []
    before = findings(db)
    assert kb_build(db, tmp_path / "in").exit_code == 0
    assert findings(db) == before
    changed = tmp_path / "in" / "form01.txt"
    changed.write_text(changed.read_text("utf-8").replace("验收合格率\t100%", "验收合格率\t120%"), encoding="utf-8")
    assert kb_build(db, tmp_path / "in").exit_code == 0
    assert [r[0] for r in findings(db, "适当性.百分比超过100")] == ["第2村人居环境整治项目"]
    changed.unlink()
    (tmp_path / "in" / "form01.txt").write_text(FORM.format(
        name="第2村人居环境整治项目", dept="某县第2镇人民政府", funds=51, overview="整治第2村环境。", goal="完成第2村环境整治。",
        count_name="新建排水沟", count="3条", benefit="村容村貌", satisfaction="≥90%"), encoding="utf-8")
    assert kb_build(db, tmp_path / "in").exit_code == 0
    assert findings(db, "适当性.百分比超过100") == []


def test_the_seed_case_is_found_in_the_seed_corpus(built_db):
    rows = findings(built_db, "适当性.成本指标与资金不符")
    seed = [r for r in rows if r[0] == "2023年科技项目扶持及专项奖励资金"]
    assert seed and all("1,260万元" in r[2] and "1620万元" in r[2] for r in seed)
    evidence = json.loads(seed[0][4])
    assert any(e.get("indicator") and e.get("line") for e in evidence)
    # the plan's figure is cited on the line that prints it (line 20 of the seed file), not the form's first line
    assert [e["line"] for e in evidence if e.get("field") == "plan"] == [20]


def test_quartiles_without_one_value_are_those_of_the_others():
    """The outlier rule reads the others' quartiles off the sorted values instead of copying them."""
    import numpy as np

    from ingest.review.corpus import _quantiles

    values = np.sort(np.array([85.0, 90, 90, 92, 95, 95, 96, 98, 60, 100]))
    for skip in [None, *range(len(values))]:
        others = values if skip is None else np.delete(values, skip)
        assert _quantiles(values, [10, 25, 50, 75, 90], skip) == list(np.percentile(others, [10, 25, 50, 75, 90]))


def test_kb_review_command_on_an_existing_database(db_copy):
    from click.testing import CliRunner

    from ingest.cli import cli

    conn = sqlite3.connect(db_copy)
    conn.execute("delete from findings")
    conn.execute("delete from review_state")
    conn.commit()
    conn.close()
    result = CliRunner().invoke(cli, ["review", str(db_copy), "--model", "hash", "-s"])
    assert result.exit_code == 0, result.output
    assert "适当性.成本指标与资金不符" in result.output and "条审核发现" in result.output
    rows = CliRunner().invoke(cli, ["review", str(db_copy), "--json"]).output.splitlines()
    assert rows and all(json.loads(r)["rule"] for r in rows)
    listed = CliRunner().invoke(cli, ["review", str(db_copy), "--rules"]).output
    assert "财预〔2021〕101号" in listed and "相关性.总体目标与其他部门雷同" in listed


def test_every_rule_names_its_source():
    from ingest.review import RULES

    assert len(RULES) >= 16
    for info in RULES.values():
        assert info.dimension in ("完整性", "相关性", "适当性", "可行性")
        assert "〔" in info.source or "填报要求" in info.source or "申报表" in info.source, info.code


# ------------------------------------------------------------------ Datasette

def tilde_encode_link(rule):
    from datasette.utils import tilde_encode

    return "/kb/review_rules/" + tilde_encode(rule)


@pytest.mark.asyncio
async def test_findings_in_datasette(ds):
    page = await ds.client.get("/kb/findings?_facet=rule")
    assert page.status_code == 200 and "审核发现" in page.text and "适当性.成本指标与资金不符" in page.text
    rows = (await ds.client.get("/kb/findings.json?_shape=objects&rule=适当性.成本指标与资金不符")).json()["rows"]
    seed = next(r for r in rows if r["declaration_name"] == "2023年科技项目扶持及专项奖励资金")
    decl = await ds.client.get(f"/kb/declarations/{seed['declaration_id']}")
    assert 'id="findings"' in decl.text and "1620万元" in decl.text and "flagged" in decl.text
    assert tilde_encode_link("适当性.成本指标与资金不符") in decl.text
    summary = await ds.client.get("/kb/-/review")
    assert summary.status_code == 200 and "<svg" in summary.text and "按部门" in summary.text
    data = (await ds.client.get("/kb/-/review.json")).json()
    assert data["findings"] == sum(d["findings"] for d in data["departments"])
    assert data["declarations"] == sum(d["declarations"] for d in data["departments"])
    from datasette.utils import tilde_encode

    rule = await ds.client.get("/kb/review_rules/" + tilde_encode("适当性.成本指标与资金不符"))
    assert rule.status_code == 200 and "财预" in rule.text


def test_findings_of_a_build_are_those_of_a_review_of_the_stored_forms(tmp_path):
    """The parsing workers review each form before it is stored; what they find is exactly what
    reviewing the stored declarations finds (same rules, messages and evidence)."""
    from ingest.build import build
    from ingest.review import review
    from ingest.store import open_db

    from .conftest import ROOT, SEEDS

    db = open_db(tmp_path / "kb.db")
    realworld = ROOT / "tests" / "data" / "realworld"
    copies = [f for f in sorted((realworld / "formats").iterdir()) if f.suffix in (".xlsx", ".docx", ".html", ".pdf")]
    build(db, [*SEEDS, *sorted(realworld.glob("*.txt")), *copies], jobs=1)

    def findings():
        return sorted(db.execute("select declaration_id, rule, message, evidence from findings").fetchall())

    built = findings()
    assert len(built) >= 20 and any(rule == "适当性.成本指标与资金不符" for _d, rule, _m, _e in built)
    review(db, full=True)
    assert findings() == built


# ------------------------------------------------------------------ on copies of a seed form

def seed_form(name: str) -> list[str]:
    """The lines of one seed declaration, from the line after the previous form's footer to its own footer."""
    from .conftest import SEEDS

    for path in SEEDS:
        lines = path.read_text("utf-8").split("\n")
        at = next((i for i, line in enumerate(lines) if line.startswith("项目名称") and name in line), None)
        if at is not None:
            start = max([i for i in range(at) if lines[i].startswith(("负责人", "填报日期"))], default=-1) + 1
            end = next(i for i in range(at, len(lines)) if lines[i].startswith("负责人"))
            return lines[start:end + 1]
    raise LookupError(name)


def findings_of_copy(tmp_path, lines: list[str]) -> dict[str, list[str]]:
    path = tmp_path / "申报表副本.txt"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    result = kb_build(tmp_path / "kb.db", path)
    assert result.exit_code == 0, result.output
    found: dict[str, list[str]] = {}
    for rule, message in sqlite3.connect(tmp_path / "kb.db").execute("select rule, message from findings"):
        found.setdefault(rule, []).append(message)
    return found


def test_a_grid_ending_at_its_footer_without_satisfaction_indicators_is_reported(tmp_path):
    """校内课后服务费 with its 满意度 rows deleted: the file ends, but with the form's footer right
    after the last indicator, so the form is whole and the missing category is the declarant's."""
    lines = seed_form("校内课后服务费")
    assert lines[-1].startswith("负责人")
    without = [line for line in lines if "满意度" not in line]
    assert len(without) == len(lines) - 2
    found = findings_of_copy(tmp_path, without)
    assert any("服务对象满意度指标" in m for m in found.get("完整性.指标类别不全", [])), found
    # the same form cut inside its grid (no footer: a lost page) says nothing of what is missing
    (tmp_path / "cut").mkdir()
    cut = findings_of_copy(tmp_path / "cut", without[:-1])
    assert "完整性.指标类别不全" not in cut, cut


def test_a_placeholder_value_is_kept_and_reported(tmp_path):
    """校内课后服务费 with the template's ≥**% and XX% left in two values: the parser keeps them
    (with a warning) instead of dropping the indicator, and the rule reports both."""
    lines = seed_form("校内课后服务费")
    text = "\n".join(lines)
    row = next(line for line in lines if "教职工满意度" in line)
    edited = row.replace("\t95%\t", "\t≥**%\t", 1).replace("≥90%", "XX%", 1)
    assert edited.count("≥**%") == 1 and edited.count("XX%") == 1
    found = findings_of_copy(tmp_path, text.replace(row, edited).split("\n"))
    messages = " ".join(found.get("完整性.模板占位符", []))
    assert "教职工满意度 ≥**%" in messages and "教职工满意度 XX%" in messages, found
    db = sqlite3.connect(tmp_path / "kb.db")
    assert db.execute("select count(*) from indicators where name = '教职工满意度' and value in ('≥**%', 'XX%')"
                      ).fetchone()[0] == 2
    assert db.execute("select count(*) from parse_warnings where reason like '%模板占位符%'").fetchone()[0] == 2
