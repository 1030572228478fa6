"""What a project is for and how it spends, read from its words: the 类 of the government expenditure
functional classification (政府收支分类科目·支出功能分类) and the kind of spending. Two projects of the
same function and spending kind are what a budget officer compares first; a 水利局 project and a
农业农村局 project can both be 农林水, a school repair and a school subsidy are not the same spending.

Each is a distribution over its classes, from keyword counts (the department name and the project
name weigh more than the text); similarity is the cosine of two distributions.
"""

from __future__ import annotations

import re

import numpy as np

FUNCTIONS = {
    "一般公共服务": "办公|政务|机关|党委|人大|政协|财政|税务|审计|统计|纪委|组织部|档案|信息化|数字政府|智慧城市|大数据|政府",
    "公共安全": "公安|法院|检察|司法|消防|应急|安全生产|禁毒|治安",
    "教育": "教育|学校|学生|小学|中学|初中|高中|幼儿园|教师|课后|办学|校园|学位|在校|校舍|职业学校",
    "科学技术": "科技|高新技术|研发|专利|创新平台|科学|成果转化|瞪羚|知识产权",
    "文化旅游体育与传媒": "文化|旅游|体育|博物馆|纪念馆|赛事|全民健身|广播|图书馆|文物|比赛|运动会|景区",
    "社会保障和就业": "退休|养老|社保|社会保险|就业|低保|残疾|民政|优抚|退役|救助|取暖费|特困|孤儿|殡葬",
    "卫生健康": "卫生|医疗|健康|体检|疾控|医院|婴幼儿|托育|托位|计生|公共卫生|医保|疫苗|妇幼",
    "节能环保": "环保|生态环境|大气|降尘|抑尘|污染|清洁取暖|雾炮|节能|减排|空气质量|煤改|污水|固废",
    "城乡社区": "城管|市政|环卫|园林|住建|城市管理|垃圾|人居环境|绿化|路灯|公园",
    "农林水": "农业|农村|林业|造林|水利|饮水|灌溉|水库|畜禽|养殖|农田|乡村振兴|脱贫|村级|村干部|村组|扶贫|种植|"
              "农民|水源|涵养林|特色产业|村民委员会|党支部|渔业|草原|防汛|河道",
    "交通运输": "交通|公路|道路|铁路|公交|客运|运输|车站|联网路|果园路|桥梁|航道|港口",
    "资源勘探工业信息": "工业|中小企业|小升规|专精特新|工信|企业发展|制造|园区",
    "商业服务业": "商务|再生资源|市场|商贸|电商|加工园|物流|外贸",
    "粮油物资储备": "粮食|储备|代储|轮换|轮转|物资",
    "住房保障": "保障房|棚改|棚户|住房|公租房|危房",
}
SPENDING = {
    "建设": "建设|改造|维修|修缮|购置|工程|新建|改建|扩建|硬化|设施|设备|采购",
    "补助": "补助|补贴|奖励|奖补|发放|贴息|报酬|津贴|资助",
    "运转": "运转|运行|物业|办公|维护|日常|正常",
    "服务": "服务费|购买服务|服务项目|服务周期|委托|外包",
}
_F = [re.compile(p) for p in FUNCTIONS.values()]
_S = [re.compile(p) for p in SPENDING.values()]


def _distribution(patterns, strong: str, text: str, strong_weight: float) -> np.ndarray:
    v = np.array([strong_weight * len(p.findall(strong)) + len(p.findall(text)) for p in patterns], dtype=np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n else v


def function_of(dept: str | None, name: str | None, text: str | None) -> np.ndarray:
    """The project's functional classes, as a unit vector over ``FUNCTIONS``."""
    return _distribution(_F, f"{dept or ''} {name or ''}", text or "", 3.0)


def spending_of(name: str | None, text: str | None) -> np.ndarray:
    """The project's kinds of spending, as a unit vector over ``SPENDING``."""
    return _distribution(_S, name or "", text or "", 3.0)


def main_function(vector: np.ndarray) -> str | None:
    return list(FUNCTIONS)[int(np.argmax(vector))] if vector.any() else None
