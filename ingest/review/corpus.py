"""Review rules that measure a declaration against the rest of the knowledge base: indicator values
far outside what other declarations set, total goals copied from another department, and
indicators unrelated to the project they are declared for.

Each rule reads the whole corpus and returns ``{declaration_id: [Finding, ...]}``; the runner
replaces every finding of these rules at once, whenever any declaration changed.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from statistics import median

import numpy as np

from ..quantized import STORED, decode_stored
from ..store import rows_by_ids
from ..text import compact, goal_simhash
from .forms import Finding
from .rules import RULES, _finding, rule


def corpus_rule(code: str, dimension: str, severity: str, title: str):
    return rule(code, dimension, severity, title, scope="corpus")


# ------------------------------------------------------------------ outlying values

MIN_PEERS = 8  # other declarations that set the same indicator before a value is called unusual


def _value_class(name_norm: str, unit: str, op: str | None) -> tuple | None:
    """Which values are comparable: rates (%) and per-unit standards (元/人), by indicator and
    direction. Counts and totals scale with the project and are not compared."""
    direction = "≤" if op in ("≤", "<") else "≥"
    if unit == "%":
        if "满意" in name_norm:
            return ("满意度", "%", direction)
        return (name_norm, "%", direction)
    if "/" in unit and "元" in unit:
        return (name_norm, unit, direction)
    return None


@corpus_rule("适当性.指标值偏离常见取值", "适当性", "中", "指标值远离知识库中同类指标的常见取值")
def value_outliers(db, model: str | None = None) -> dict[str, list[Finding]]:
    """财预〔2021〕101号：指标值的设定应参考历史水平、行业标准，具有一定挑战性又切实可行。
    比率（满意度、合格率等）和单位标准（元/人）与知识库中至少 8 个其他申报表的同类指标比较：
    低于第一四分位数 3 个四分位距以下（或高于第三四分位数 3 个四分位距以上）即提示，如
    满意度 ≥60% 而常见取值为 85%–98%。"""
    # First the numbers (id, declaration, indicator, direction, number, unit); the cells of the odd
    # ones are read afterwards.
    by_class: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    rows = db.execute("select id, declaration_id, name_norm, op, number, unit"
                      " from indicators where number is not null and name_norm is not null"
                      " and (unit = '%' or (instr(unit, '/') > 0 and instr(unit, '元') > 0))")  # see _value_class
    classes: dict[tuple, tuple | None] = {}
    for r in rows:
        ck = (r[2], r[5], r[3])
        key = classes[ck] if ck in classes else classes.setdefault(ck, _value_class(*ck))
        if key is not None:
            by_class[key][r[1]].append(r)
    found: list[tuple[str, tuple, list, int, str]] = []  # (declaration, class, odd rows, peers, common values)
    for key, per_decl in by_class.items():
        if len(per_decl) <= MIN_PEERS:
            continue
        typical = {d: median(x[4] for x in rs) for d, rs in per_decl.items()}
        ordered = np.sort(np.fromiter(typical.values(), dtype=float))
        low, high = _fences(ordered, key)
        for decl_id, rs in per_decl.items():
            if all(low <= x[4] <= high for x in rs):
                continue  # inside the fences of all values: inside those of the others too, nearly always
            # everyone else's typical values: the sorted values without one copy of this declaration's
            mine = int(np.searchsorted(ordered, typical[decl_id]))
            o_low, o_high = _fences(ordered, key, skip=mine)
            odd = [x for x in rs if x[4] < o_low or x[4] > o_high]
            if odd:
                p10, p90 = _quantiles(ordered, [10, 90], skip=mine)
                found.append((decl_id, key, odd, len(ordered) - 1, f"{p10:g}–{p90:g}{key[1]}"))
    cells = _cells(db, [x[0] for _d, _k, odd, _n, _c in found for x in odd])
    out: dict[str, list[Finding]] = defaultdict(list)
    for decl_id, key, odd, peers, common in found:
        first = cells[odd[0][0]]
        label = "满意度" if key[0] == "满意度" else f"“{first[1]}”"
        out[decl_id].append(_finding(
            "适当性.指标值偏离常见取值",
            f"{label}{first[2]}，知识库中{peers}个申报表的常见取值为{common}",
            [{"indicator": x[0], "period": cells[x[0]][0], "text": f"{cells[x[0]][1]}：{cells[x[0]][2]}",
              "line": cells[x[0]][3]} for x in odd]))
    return out


def _cells(db, ids: list[str]) -> dict[str, tuple]:
    """indicator id → (period, name, value, line)."""
    return {r[0]: r[1:] for r in rows_by_ids(db, "select id, period, name, value, line from indicators"
                                                 " where id in ({ids})", ids)}


def _quantiles(ordered: np.ndarray, qs: list[float], skip: int | None = None) -> list[float]:
    """Percentiles (numpy's linear rule) of sorted values, leaving out the value at index ``skip``:
    read off the sorted array, without copying it."""
    n = len(ordered) - (skip is not None)
    out = []
    for q in qs:
        pos = q / 100 * (n - 1)
        lo = int(np.floor(pos))
        hi = min(lo + 1, n - 1)
        a, b = (ordered[k + 1 if skip is not None and k >= skip else k] for k in (lo, hi))
        out.append(float(a + (b - a) * (pos - lo)))
    return out


def _fences(ordered: np.ndarray, key: tuple, skip: int | None = None) -> tuple[float, float]:
    """Values below q1 - 3·IQR or above q3 + 3·IQR are far out (a rate may always reach 100%).
    ``ordered`` is sorted; ``skip`` an index left out."""
    q1, mid, q3 = _quantiles(ordered, [25, 50, 75], skip)
    spread = max(q3 - q1, 0.05 * abs(mid), 1e-9)
    low, high = q1 - 3 * spread, q3 + 3 * spread
    if key[1] == "%":
        high = max(high, 100.0)
    return low, high


# ------------------------------------------------------------------ copied goals

MAX_BITS = 3


def _dept(name: str | None) -> str:
    return compact(name or "")


@corpus_rule("相关性.总体目标与其他部门雷同", "相关性", "中", "总体目标与其他部门的申报表几乎相同")
def copied_goals(db, model: str | None = None) -> dict[str, list[Finding]]:
    """财预〔2015〕88号：绩效目标应与部门职能、项目内容相关，反映本项目的预期产出和效果。
    总体目标（去掉数字和标点后）与另一主管部门的申报表几乎一字不差（SimHash 相差不超过 3 位），
    说明目标照搬自他人的申报表；同一部门的年度续报不算。"""
    # First only what finding a copy needs (the hash, stored while parsing, and the department);
    # goals stored without a hash (before hashes were kept) are hashed here; names, years and goal
    # texts are read for the declarations found.
    rows = db.execute("select d.id, d.dept_name, p.goal_simhash from declarations d"
                      " left join similarity_profiles p on p.declaration_id = d.id where d.dept_name != ''").fetchall()
    unhashed = {r[0] for r in rows if r[2] is None}
    computed = {r[0]: goal_simhash(r[1], r[2]) for r in rows_by_ids(
        db, "select id, goal_period, goal_annual from declarations where id in ({ids})", unhashed)}
    items, hashes = [], []  # items: (id, department compacted, department)
    for d_id, dept, stored in rows:
        h = computed.get(d_id) if stored is None else stored
        if h is not None:
            items.append((d_id, _dept(dept), dept))
            hashes.append(h % (1 << 64))
    # Near-identical goals share at least one of four 16-bit bands of their hashes. Work on distinct
    # hashes (a goal copied a thousand times is one hash), then give each declaration the closest
    # declaration of an unrelated department among the hashes near its own.
    groups: dict[int, list[int]] = defaultdict(list)
    for idx, h in enumerate(hashes):
        groups[h].append(idx)
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    sizes: dict[tuple[int, int], int] = defaultdict(int)
    for h, members in groups.items():
        for band in range(4):
            key = (band, (h >> (16 * band)) & 0xFFFF)
            buckets[key].append(h)
            sizes[key] += len(members)
    near: dict[int, dict[int, int]] = defaultdict(dict)
    for key, in_bucket in buckets.items():
        if sizes[key] < 2 or sizes[key] > 2000:  # a huge bucket is a band of zeros, not a copy
            continue
        for pos, h1 in enumerate(in_bucket):
            if len(groups[h1]) > 1:
                near[h1][h1] = 0
            for h2 in in_bucket[pos + 1:]:
                bits = bin(h1 ^ h2).count("1")
                if bits <= MAX_BITS:
                    near[h1][h2] = near[h2][h1] = bits

    def related(a: str, b: str) -> bool:  # the same department, or one name inside the other
        return a == b or a in b or b in a

    pairs: list[tuple[int, int, int]] = []  # (declaration, the closest one of another department, departments)
    for h, near_hashes in near.items():
        candidates = sorted((bits, items[b][0], b) for h2, bits in near_hashes.items() for b in groups[h2])
        dept_names: dict[str, set] = defaultdict(set)
        for _bits, _id, b in candidates:
            dept_names[items[b][1]].add(items[b][2])
        for a in groups[h]:
            it = items[a]
            best = next((b for _bits, _id, b in candidates if not related(it[1], items[b][1])), None)
            if best is not None:
                pairs.append((a, best, len({name for dept, names in dept_names.items()
                                            if not related(it[1], dept) for name in names})))
    details = _details(db, {items[k][0] for a, b, _n in pairs for k in (a, b)})
    out: dict[str, list[Finding]] = {}
    for a, best, n_depts in pairs:
        it, other = details[items[a][0]], details[items[best][0]]
        more = f"等{n_depts}个部门" if n_depts > 1 else ""
        out[it[0]] = [_finding(
            "相关性.总体目标与其他部门雷同",
            f"总体目标与{other[2]}{more}的“{other[1] or '未命名项目'}”（{other[3] or '年度不详'}）几乎相同",
            [{"field": "goal_period", "text": it[4][:200], "line": it[5]},
             {"field": "related", "declaration": other[0], "text": other[4][:200], "line": other[5]}],
            related_id=other[0])]
    return out


def _details(db, ids: set[str]) -> dict[str, tuple]:
    """id → (id, name, department, year, goal text, first line) for these declarations."""
    return {r[0]: r for r in rows_by_ids(
        db, "select id, name, dept_name, year, coalesce(nullif(goal_period, ''), goal_annual, ''), first_line"
            " from declarations where id in ({ids})", sorted(ids))}


# ------------------------------------------------------------------ unrelated indicators

# words any indicator may use whatever the project: they say nothing about what the project is
GENERIC = frozenset("""
完成 完成率 完成数 数量 质量 时效 成本 效益 指标 项目 资金 经费 工作 任务 服务 建设 实施 开展 落实 按时 及时 及时率 合格 合格率
达标 达标率 覆盖 覆盖率 验收 通过 使用 使用率 发放 发放率 支付 拨付 到位 到位率 执行 执行率 预算 控制 标准 规范 管理 情况 水平
提升 提高 促进 保障 改善 增加 减少 有效 效果 社会 经济 生态 可持续 影响 满意 满意度 群众 对象 人数 户数 次数 个数 项数 数 率 年度 年
月 日 前 以上 以下 不低于 不高于 单位 部门 相关 人员 全年 全部 总 计划 目标 考核 检查 监督 安全 事故 投诉 问题 整改 正常 运行 运转
率达 达到 保持 持续 长效 机制 制度 能力 程度 比例 占比 时间 周期 当年 期限 内容 产出 效率 综合 平均 累计 新增 其中 年内 元 万元
按照 约定 拨付 投资 确保 政府 正确 合理 合规 财政 顺利 实际 根据 准确 准确率 审核 申报 组织 开工 完工 竣工 进度 采购 招标 合同
档案 资料 政策 知晓 知晓率 受益 人口 启动 结束 时限 按期 准时 正点 成本 控制 节约 规定 要求 符合 良好 明显 显著 稳定 提高率
系统 设施 设备 购置 购买 合理 合理率 建成 改造 维修 补助 补贴 奖励 享受 资助 人均 户均 总量 总数 总额 面积 长度 里程 数量
""".split())
MIN_TEXT = 60  # characters of narrative before an indicator can be judged against it


def _words(segmenter, text: str) -> list[str]:
    return [w for w in segmenter(text) if len(w) >= 2 and w not in GENERIC and not re.fullmatch(r"[\d.%≥≤<>=]+", w)]


@corpus_rule("相关性.指标与项目内容无关", "相关性", "中", "绩效指标与本项目内容无关，更像另一个项目的指标")
def unrelated_indicators(db, model: str | None = None) -> dict[str, list[Finding]]:
    """财预〔2015〕88号：绩效指标应与项目的支出内容、范围和预期产出直接相关。一个产出或效益
    指标同时满足以下各条即提示：其专有词语（去掉“完成率、及时、合格、满意度”等任何项目都用的
    词）一个也不在本项目的名称、概况、依据、目标和实施计划中出现；知识库中很少有项目用它；
    而知识库中另有一个项目的
    文字或指标包含它的大部分专有词语，且与它明显更相似（余弦相似度高出 0.02 以上）。需要已计算的向量（kb build 默认计算）。"""
    from ..segment import normalise, seg_query

    if not model:
        return {}
    vectors = _Vectors(db, model)
    if not vectors.declarations:
        return {}
    n_decl = db.execute("select count(*) from declarations").fetchone()[0]
    common = {r[0] for r in db.execute(
        "select name_norm from indicators where name_norm is not null group by name_norm"
        " having count(distinct declaration_id) >= ?", [max(3, n_decl // 100)])}
    generic = GENERIC | _common_words(db, seg_query, max(3, n_decl // 50))
    candidates = []  # (declaration row, indicator row, own similarity)
    for d in db.execute("select id, name, overview, basis, necessity, plan, goal_period, goal_annual, safeguards,"
                        " dept_name, year from declarations").fetchall():
        own = vectors.declaration(d[0])
        if own is None:
            continue
        inds = db.execute("select id, period, level1, level2, name, value, line, name_norm from indicators"
                          " where declaration_id = ? order by seq", [d[0]]).fetchall()
        sims = {i[0]: float(vectors.indicator(i[0]) @ own) for i in inds if vectors.indicator(i[0]) is not None}
        if len(sims) < 4:
            continue
        text = normalise(compact("".join(x or "" for x in d[1:9])))
        if len(text) < MIN_TEXT:
            continue
        seen = set()
        for i in inds:
            if i[0] not in sims or i[7] in common or i[7] in seen:
                continue
            if not any(k in (i[2] or "") + (i[3] or "") for k in ("产出", "效益", "数量", "质量")):
                continue
            words = [w for w in _words(seg_query, compact(i[4])) if w not in generic]
            if not words or any(w in text or (len(w) >= 4 and w[:2] in text and w[-2:] in text) for w in words):
                continue
            seen.add(i[7])
            candidates.append((d, i, words, sims[i[0]]))
    out: dict[str, list[Finding]] = defaultdict(list)
    if not candidates:
        return out
    names = {r[0]: r[1:] for r in db.execute("select id, name, dept_name, year from declarations")}
    for d, i, words, own_sim in candidates:
        best = _belongs_elsewhere(db, vectors, vectors.indicator(i[0]), d[0], words, own_sim)
        if best is None:
            continue
        other = names.get(best, (None, None, None))
        out[d[0]].append(_finding(
            "相关性.指标与项目内容无关",
            f"指标“{i[4]}”（{i[5] or '无指标值'}）在本项目的概况、依据、目标和计划中找不到对应内容，"
            f"更像{other[1] or ''}“{other[0] or '另一个项目'}”的指标",
            [{"indicator": i[0], "period": i[1], "text": f"{i[4]}：{i[5] or ''}", "line": i[6]},
             {"field": "related", "declaration": best, "text": other[0] or "", "line": None}],
            related_id=best))
    return out


_CONTENT_FTS = "{name overview basis necessity plan goals indicators}"


def _belongs_elsewhere(db, vectors, vector, decl_id: str, words: list[str], own_sim: float) -> str | None:
    """Another declaration whose text or indicators have most of the indicator's words (always its rarest)
    and whose text is clearly closer to the indicator than its own project's: where the
    indicator seems to come from."""
    words = [w for w in dict.fromkeys(words) if '"' not in w][:8]
    if not words:
        return None
    df = {w: db.execute("select count(*) from declarations_fts where declarations_fts match ?",
                        [f'{_CONTENT_FTS} : "{w}"']).fetchone()[0] for w in words}
    present = [w for w in words if df[w]]
    if not present or len(present) * 3 < len(words) * 2:
        return None
    rarest = min(present, key=lambda w: df[w])
    rows = db.execute(
        "select d.id, d.name, d.overview, d.basis, d.necessity, d.plan, d.goal_period, d.goal_annual,"
        " (select group_concat(name, '') from indicators where declaration_id = d.id)"
        " from declarations_fts f join declarations d on d.rowid = f.rowid"
        " where declarations_fts match ? and d.id != ? limit 200",
        [f'{_CONTENT_FTS} : "{rarest}"', decl_id]).fetchall()
    from ..segment import normalise

    best, best_sim = None, own_sim + MARGIN
    for other, *texts in rows:
        text = normalise(compact("".join(x or "" for x in texts)))
        if sum(w in text for w in words) * 3 < len(words) * 2:
            continue
        v = vectors.declaration(other)
        if v is not None and float(v @ vector) >= best_sim:
            best, best_sim = other, float(v @ vector)
    return best


def _common_words(db, segmenter, min_declarations: int) -> set[str]:
    """Words found in the indicator names of at least ``min_declarations`` declarations."""
    seen: dict[str, set] = defaultdict(set)
    for decl_id, name in db.execute("select distinct declaration_id, name_norm from indicators where name_norm is not null"):
        for w in segmenter(name):
            if len(seen[w]) < min_declarations:
                seen[w].add(decl_id)
    return {w for w, ds in seen.items() if len(ds) >= min_declarations}


MARGIN = 0.02  # how much closer the indicator must be to the other project than to its own


class _Vectors:
    """The stored declaration and indicator vectors of one model, for the relatedness rule."""

    def __init__(self, db, model: str):
        self.ids: list[str] = []
        rows = []
        self.items: dict[str, np.ndarray] = {}
        kinds = "e.model = ? and e.kind in ('declaration', 'indicator')"
        # one array per stored vector, however many items share it
        decoded = {r[0]: decode_stored(*r[1:]) for r in db.execute(
            f"select v.id, {STORED} from vectors v where v.id in (select e.vector_id from embeddings e where {kinds})",
            [model])}
        for item, kind, vector_id in db.execute(f"select e.item_id, e.kind, e.vector_id from embeddings e where {kinds}",
                                                [model]):
            v = decoded.get(vector_id)
            if v is None:
                continue
            if kind == "declaration":
                self.ids.append(item)
                rows.append(v)
            else:
                self.items[item] = v
        self.declarations = {d: k for k, d in enumerate(self.ids)}
        self.matrix = np.stack(rows) if rows else np.zeros((0, 1), dtype="<f4")

    def declaration(self, decl_id: str):
        k = self.declarations.get(decl_id)
        return None if k is None else self.matrix[k]

    def indicator(self, item: str):
        return self.items.get(item)


def review_corpus(db, model: str | None = None, seconds: dict | None = None) -> dict[str, dict[str, list[Finding]]]:
    """Every corpus rule: ``{rule code: {declaration_id: findings}}``; each rule's time goes in ``seconds``."""
    out = {}
    for code, info in RULES.items():
        if info.scope == "corpus":
            started = time.perf_counter()
            out[code] = info.fn(db, model)
            if seconds is not None:
                seconds[code] = time.perf_counter() - started
    return out


__all__ = ["review_corpus"]
