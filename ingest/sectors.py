"""What a project is for and how it spends, read from its words: the 类 of the government expenditure
functional classification (政府收支分类科目·支出功能分类) and the kind of spending. Two projects of the
same function and spending kind are what a budget officer compares first; a 水利局 project and a
农业农村局 project can both be 农林水, a school repair and a school subsidy are not the same spending.

Each is a distribution over its classes, from keyword counts (the department name and the project
name weigh more than the text); similarity is the cosine of two distributions.

Two finer signals sit beside the 类: the 款 (``SUBFUNCTIONS``: 水利 and 林业 are both 农林水, a
rural water works and a farmland project are not alike), and the kind of department
(``DEPARTMENTS``: 阳泉市水利局 and 安溪县水利局 do the same work; 县民宗委 and 民族事务委员会 are
one kind of office under two names).
"""

from __future__ import annotations

import functools
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
              "农民|水源|涵养林|特色产业|村民委员会|党支部|渔业|草原|防汛|河道|农产品|中药材|产业基地|保鲜库|"
              "棚圈|生猪|牛羊|畜牧",
    "交通运输": "交通|公路|道路|铁路|公交|客运|运输|车站|联网路|果园路|桥梁|航道|港口",
    "资源勘探工业信息": "工业|中小企业|小升规|专精特新|工信|企业发展|制造|园区",
    "商业服务业": "商务|再生资源|市场|商贸|电商|物流|外贸",
    "粮油物资储备": "粮食|储备|代储|轮换|轮转|物资",
    "住房保障": "保障房|棚改|棚户|住房|公租房|危房",
}
SPENDING = {
    "建设": "建设|改造|维修|修缮|购置|工程|新建|改建|扩建|硬化|设施|设备|采购",
    "补助": "补助|补贴|奖励|奖补|发放|贴息|报酬|津贴|资助",
    "运转": "运转|运行|运营|物业|办公|维护|日常|正常|公用经费",
    "服务": "服务费|购买服务|服务项目|服务周期|委托|外包",
}
# 款 of the functional classification, as "类·款" (the ones county projects fall in most)
SUBFUNCTIONS = {
    "一般公共服务·政府办公与机关事务": "办公|机关|政务|后勤|物业|公务用车|执法车辆|办公楼",
    "一般公共服务·财政税务审计统计": "财政|税务|审计|统计",
    "一般公共服务·党委与组织宣传": "党委|纪委|组织部|宣传部|统战|党建|党员|党校",
    "一般公共服务·民族宗教": "民族|宗教|民宗|少数民族",
    "一般公共服务·信息化": "信息化|数字政府|智慧城市|大数据|政务服务|电子政务|智慧",
    "一般公共服务·群众团体": "工会|妇联|共青团|残联|侨联|科协",
    "公共安全·公安": "公安|治安|交警|禁毒",
    "公共安全·司法法院检察": "司法|法院|检察|法律援助|人民调解",
    "灾害防治及应急·应急消防气象": "应急|消防|安全生产|森林防火|气象|人工增雨|人工影响天气|防灾",
    "教育·学前教育": "幼儿园|学前|民办园|托幼",
    "教育·义务教育": "义务教育|小学|初中|公用经费|在校学生|在校生",
    "教育·高中职业高等": "高中|职业学校|职业教育|中职|高职|大学|高校",
    "教育·学生资助": "营养改善|资助|助学|奖学金|贫困学生|生均补助|膳食",
    "教育·办学条件": "校舍|薄弱学校|办学条件|教学设备|智慧教育|教育信息化|学位",
    "教育·课后与培训": "课后服务|课后|教师培训|研学",
    "科学技术·科技创新": "研发|科技|专利|创新平台|成果转化|高新技术|瞪羚",
    "文化旅游体育与传媒·文化": "文化|图书馆|文艺|演出|非遗",
    "文化旅游体育与传媒·文物博物馆": "文物|博物馆|纪念馆|遗址|文化公园",
    "文化旅游体育与传媒·旅游": "旅游|景区|游客|观光|景点",
    "文化旅游体育与传媒·体育": "体育|赛事|健身|运动会|比赛|网球|场馆",
    "文化旅游体育与传媒·广电传媒": "广播|电视|融媒体|广电",
    "社会保障和就业·养老与退休": "退休|养老|离休|老年人|取暖费",
    "社会保障和就业·就业": "就业|岗位补贴|再就业|创业|公益性岗位|技能培训",
    "社会保障和就业·社会救助": "低保|救助|特困|孤儿|流浪",
    "社会保障和就业·残疾人": "残疾",
    "社会保障和就业·优抚退役": "优抚|退役军人|烈士|抚恤",
    "卫生健康·公共卫生": "公共卫生|疾控|疾病|防治|传染病|麻风|结核|艾滋|免疫|疫苗|体检|健康档案|慢病",
    "卫生健康·医疗服务": "医院|医疗服务|诊疗|住院|医疗设备",
    "卫生健康·妇幼与托育": "妇幼|婴幼儿|托育|托位|计划生育|孕产妇|儿童保健",
    "卫生健康·医疗保障": "医保|医疗保障|医疗救助|参保",
    "节能环保·大气": "大气|降尘|抑尘|雾炮|扬尘|清洁取暖|煤改|空气质量",
    "节能环保·水与固废": "污水|固废|垃圾处理|黑臭水体|水污染|粪污",
    "城乡社区·城管市政园林": "城管|城市管理|市政|路灯|公园|园林|绿化养护|绿地",
    "城乡社区·环境卫生": "环卫|保洁|垃圾|公厕|人居环境",
    "农林水·农业农村": "农业|农田|种植|粮食|耕地|灌溉|畜牧|畜禽|养殖|生猪|牛羊|农机|农技|农产品|中药材|渔业|棚圈",
    "农林水·林业草原": "林业|造林|涵养林|植树|苗木|森林|草原|绿化美化|林草|生态林",
    "农林水·水利": "水利|饮水|供水|水库|河道|堤防|防汛|水土保持|灌区|水源",
    "农林水·巩固脱贫衔接乡村振兴": "脱贫|扶贫|衔接|乡村振兴|特色产业|产业基地|监测对象|贫困",
    "农林水·农村综合改革": "村级组织|村干部|村组干部|党支部书记|村民委员会|村集体|一事一议",
    "交通运输·公路": "公路|道路|桥梁|果园路|联网路",
    "交通运输·公共交通与铁路": "公交|铁路|客运|地铁|轨道",
    "资源勘探工业信息·工业与中小企业": "工业|中小企业|小升规|专精特新|制造",
    "商业服务业·商贸流通": "商务|商贸|市场|电商|物流|再生资源|外贸",
    "粮油物资储备·储备": "储备|代储|轮换|物资",
    "住房保障·住房": "保障房|棚改|棚户|公租房|危房|住房",
}
# kinds of department, read from its name (a place name before it says nothing of its work)
DEPARTMENTS = {
    "教育": "教育|教体|学校|小学|中学|幼儿园|学院",
    "卫生健康": "卫生|卫健|疾控|疾病预防|医院|妇幼|保健",
    "医疗保障": "医疗保障|医保",
    "民政": "民政|福利|敬老院|养老院|殡仪|救助站",
    "人力资源社会保障": "人力资源|人社|社会保险|社保|就业",
    "退役军人": "退役军人",
    "财政": "财政",
    "水利": "水利|水务|水库|灌区|河道|河湖",
    "农业农村": "农业|农村|农牧|畜牧|兽医|农机|农技|乡村振兴",
    "林业草原": "林业|林草|草原|林场",
    "自然资源": "自然资源|国土|规划|测绘",
    "生态环境": "生态环境|环保|环境保护",
    "住房城乡建设": "住房|住建|城乡建设|建设局|建设委员会|城建",
    "城市管理": "城管|城市管理|综合执法|环卫|市容|园林",
    "交通运输": "交通|公路|运输|港航",
    "文化旅游": "文化|旅游|文旅|博物馆|纪念馆|图书馆|文物|广电|广播",
    "体育": "体育",
    "民族宗教": "民族|民宗|宗教",
    "发展改革": "发展和改革|发改|发展改革",
    "工业和信息化": "工业|工信|经信|经济和信息化|中小企业",
    "科技": "科技|科学技术|高新技术|创新",
    "商务": "商务|供销|粮食和物资|粮食局|储备",
    "市场监管": "市场监督|市场监管|工商|质监|食品药品",
    "应急管理": "应急|消防|安全生产|地震|气象",
    "政法": "公安|司法|法院|检察|政法",
    "党群": "组织部|宣传部|统战部|党委|纪委|监委|团委|妇联|工会|党校|机关工委|残联",
    "政府综合": "人民政府|政府|办公室|机关事务|街道|管委会|办事处",
    "统计审计": "统计|审计",
}
_F = [re.compile(p) for p in FUNCTIONS.values()]
_S = [re.compile(p) for p in SPENDING.values()]
_SF = [re.compile(p) for p in SUBFUNCTIONS.values()]
_D = [re.compile(p) for p in DEPARTMENTS.values()]


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


def subfunction_of(dept: str | None, name: str | None, text: str | None) -> np.ndarray:
    """The project's 款 (``SUBFUNCTIONS``), as a unit vector."""
    return _distribution(_SF, f"{dept or ''} {name or ''}", text or "", 3.0)


@functools.lru_cache(maxsize=4096)
def department_of(dept: str | None) -> np.ndarray:
    """The kind of department (``DEPARTMENTS``) its name says, as a unit vector (zeros: unknown)."""
    v = _distribution(_D, "", dept or "", 1.0)
    v.setflags(write=False)  # shared by every caller through the cache
    return v


def main_function(vector: np.ndarray) -> str | None:
    return main_kind(vector, FUNCTIONS)


def main_kind(vector: np.ndarray, classes: dict) -> str | None:
    """The heaviest class of a distribution over ``classes`` (None: no class)."""
    return list(classes)[int(np.argmax(vector))] if vector is not None and vector.any() else None
