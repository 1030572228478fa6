"""Similar past projects: what a budget officer would pick, with a score that means something and
the reasons shown.

Two declarations are compared on these signals (``FEATURES``):

- ``name``, ``summary``, ``indicator_names``: cosines of their vectors (project name; name, overview,
  goal and necessity; the list of indicator names), each centred on the corpus mean first. e5
  vectors of documents in one domain share a large common direction: raw cosines all sit near
  0.9, centred ones spread out.
- ``terms``: TF-IDF cosine of their words (the jieba tokens of the full-text index; name and
  overview count more than the rest).
- ``function``, ``subfunction`` and ``spending``: the same 支出功能分类 类 and 款 and the same kind
  of spending (``sectors.py``).
- ``names`` and ``policies``: shared indicator names and shared cited policy documents, IDF-weighted.
- ``dept``: the same department; ``dept_kind``: the same kind of department (两个县的水利局).

A logistic model over these (``similarity_weights.json``, fitted on the tuning half of the judged
pairs by ``python -m bench.similarity``) gives the probability that a drafter would want the
project: ``score`` is that in percent, with bands 很相似 / 相关 / 较远 and a cut-off. At scale, one
scan of the centred vectors and one full-text query pick the candidates; every signal re-ranks them.

From ``PROJECTED_FROM`` declarations on, the scan reads a projection instead of the three vector
sets: the weighted, concatenated centred vectors (3 × 384 numbers) reduced to their ``SCAN_DIMS``
principal directions, a ninth of the bytes. It picks four times the candidates, which the exact weighted
cosines then cut back, so the candidates are those of the exact scan (measured in ``make bench``).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from itertools import repeat
from operator import mul
from pathlib import Path

import numpy as np

from ..text import compact, indicator_key
from .. import quantized
from ..vectors import database_path, load_index, top_indices
from .centred import Centred, centred
from .. import profiles, sectors
from .results import DeclarationHit, DeclarationNotFound, rows

FEATURES = ("name", "summary", "indicator_names", "terms", "function", "subfunction", "spending", "names", "policies",
            "dept", "dept_kind")
VECTOR_KINDS = {"name": "name", "summary": "declaration", "indicator_names": "indicator_names"}
WEIGHTS_FILE = Path(__file__).with_name("similarity_weights.json")
CANDIDATES = 60  # from the vector scan; the full-text query adds up to FTS_CANDIDATES more
FTS_CANDIDATES = 20
FTS_MAX_DOCS = 500  # a word in more declarations than this picks no candidates: bm25 over all its matches
# would cost more than the word tells (at 100,000 declarations a common word matches tens of thousands)
SCAN_DIMS = 128
PROJECTED_FROM = 20_000  # declarations; below this the exact scan costs about as little
PROJECTION_SAMPLE = 8_000  # declarations whose vectors give the principal directions
POOL = 4  # the projected scan picks this many times the candidates; exact cosines keep the best
BANDS = ((60, "很相似"), (30, "相关"), (0, "较远"))
CUTOFF = 15  # results below this score are left out unless asked for
FIELDS = profiles.FIELDS


def _weights() -> tuple[dict[str, float], float]:
    data = json.loads(WEIGHTS_FILE.read_text("utf-8"))
    return data["weights"], data["bias"]


WEIGHTS, BIAS = _weights()


def band(score: float) -> str:
    return next(label for low, label in BANDS if score >= low)


@dataclass
class SimilarHit(DeclarationHit):
    band: str = ""
    reasons: dict = field(default_factory=dict)  # shared_indicators, shared_policies, shared_terms, same_dept,
    # dept_kind, function
    reason: str = ""  # the same in one Chinese sentence
    features: dict = field(default_factory=dict)


# ------------------------------------------------------------------ vectors, centred

@dataclass
class Profiles:
    ids: list[str]
    pos: dict[str, int]
    vectors: dict[str, Centred]  # feature → every declaration's centred vector (int8; zero where missing)
    version: tuple
    basis: dict[str, np.ndarray] = field(default_factory=dict)  # feature → (d, SCAN_DIMS), weights folded in
    projected: np.ndarray | None = None  # (n, SCAN_DIMS) int8: the declarations in the scan's reduced space
    projected_scales: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.vectors.values()) + (
            self.projected.nbytes + self.projected_scales.nbytes if self.projected is not None else 0)

    def scores(self, q: dict[str, np.ndarray | None], idx: np.ndarray | None = None) -> np.ndarray:
        """Weighted cosines of a query's centred vectors with every declaration's (or those at ``idx``)."""
        out = np.zeros(len(self.ids) if idx is None else len(idx), dtype=np.float32)
        for feature, c in self.vectors.items():
            v = q.get(feature)
            if v is not None and WEIGHTS.get(feature):
                out += WEIGHTS[feature] * c.dot(v, idx)
        return out

    def nearest(self, q: dict[str, np.ndarray | None], k: int) -> list[str]:
        """The ``k`` declarations with the highest weighted cosines, best first."""
        n = len(self.ids)
        if self.projected is not None and POOL * k < n:
            reduced = np.zeros(self.projected.shape[1], dtype=np.float32)
            for feature, b in self.basis.items():
                if q.get(feature) is not None:
                    reduced += q[feature] @ b
            pool = top_indices(quantized.dot_codes(self.projected, self.projected_scales, reduced), POOL * k)
            return [self.ids[i] for i in pool[top_indices(self.scores(q, pool), k)]]
        return [self.ids[i] for i in top_indices(self.scores(q), k)]

    def project(self, seed: int = 0) -> None:
        """The principal directions of the weighted, concatenated vectors (from a sample), and every
        declaration in them."""
        features = [f for f in self.vectors if WEIGHTS.get(f)]
        n = len(self.ids)
        if not features or n < PROJECTED_FROM:
            return
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(n, size=min(n, PROJECTION_SAMPLE), replace=False))
        block = np.hstack([WEIGHTS[f] * self.vectors[f].dense(sample) for f in features])
        _, vecs = np.linalg.eigh(block.T @ block)
        top = np.ascontiguousarray(vecs[:, ::-1][:, :SCAN_DIMS], dtype=np.float32)  # (sum of d, SCAN_DIMS)
        basis, start = {}, 0
        for f in features:
            d = self.vectors[f].codes.shape[1]
            basis[f] = (WEIGHTS[f] * top[start:start + d]).astype(np.float32)
            start += d
        projected = np.zeros((n, top.shape[1]), dtype=np.int8)
        scales = np.zeros(n, dtype=np.float32)
        for lo in range(0, n, 8192):
            rows = np.arange(lo, min(n, lo + 8192))
            block = sum(self.vectors[f].dense(rows) @ basis[f] for f in features)
            projected[rows], scales[rows], _ = quantized.quantize_rows(block)
        self.basis, self.projected, self.projected_scales = basis, projected, scales

    def centre(self, vector: np.ndarray | None, feature: str) -> np.ndarray | None:
        c = self.vectors.get(feature)
        return None if c is None else c.centre(vector)

    def exact(self, db, ids: list[str]) -> dict[str, dict[str, np.ndarray | None]]:
        """The exact centred vectors of these declarations (feature → vector or None), read from the
        stored float32 vectors: what the signals of the candidates are computed from."""
        rows = [self.pos[d] for d in ids if d in self.pos]
        known = [d for d in ids if d in self.pos]
        out = {d: dict.fromkeys(VECTOR_KINDS) for d in ids}
        for feature, c in self.vectors.items():
            for d, v in zip(known, c.exact(db, rows)):
                out[d][feature] = v
        return out


_profiles: dict[tuple, Profiles] = {}
_lock = threading.Lock()


def load_profiles(db, model: str) -> Profiles:
    """The centred vectors of every declaration, cached until the vectors change."""
    version = (quantized.version(db), model)
    key = (database_path(db), model)
    cached = _profiles.get(key)
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        summary = load_index(db, model, VECTOR_KINDS["summary"])  # semantic search holds this one anyway
        ids = list(summary.ids)
        pos = {d: k for k, d in enumerate(ids)}
        vectors = {}
        for feature, kind in VECTOR_KINDS.items():
            index = summary if kind == VECTOR_KINDS["summary"] else load_index(db, model, kind, cache=False)
            c = centred(index, pos, len(ids)) if ids else None
            if c is not None:
                vectors[feature] = c
        prof = Profiles(ids, pos, vectors, version)
        prof.project()
        _profiles[key] = prof
    return prof


# ------------------------------------------------------------------ what a declaration is made of

@dataclass
class Profile:
    """One side of a comparison: a stored declaration or a draft."""
    id: str | None
    vectors: dict[str, np.ndarray | None]  # feature → centred vector
    words: dict[str, float]  # token → 1 + log(field-weighted count)
    function: np.ndarray
    spending: np.ndarray
    names: set[str]
    policies: set[str]
    dept: str
    labels: dict[str, str] = field(default_factory=dict)  # policy id → title, for the reasons
    subfunction: np.ndarray | None = None  # zeros where not known (stored before 款 were)
    terms: list[str] | None = None  # the words and their weights as arrays (stored profiles), for ranking many
    weights: np.ndarray | None = None
    dept_kind: np.ndarray = field(init=False)  # the kind of department its name says

    def __post_init__(self):
        if self.subfunction is None:
            self.subfunction = np.zeros(len(sectors.SUBFUNCTIONS), dtype=np.float32)
        self.dept_kind = sectors.department_of(self.dept or None)
        if self.terms is None:
            self.terms = list(self.words)
            self.weights = np.fromiter(self.words.values(), dtype=np.float64, count=len(self.words))


_words = profiles.words


def _dept(name: str | None) -> str:
    return compact(name or "")


def stored_profiles(db, prof: Profiles, ids: list[str], details: bool = True, words: bool = True
                    ) -> dict[str, Profile]:
    """Profiles of stored declarations: their vectors, the profile stored with them (words, function,
    spending) and department; with ``details``, their indicator names and policies too (what the
    reasons name); read in one query per table. Without ``words`` their words are only the arrays
    ``terms`` and ``weights`` (what ranking many reads; :func:`with_words` adds the rest)."""
    if not ids:
        return {}
    out: dict[str, Profile] = {}
    for start in range(0, len(ids), 500):
        out.update(_stored_profiles(db, prof, ids[start:start + 500], details, words))
    return out


def with_words(p: Profile) -> Profile:
    """The profile with its words as a dictionary too (what the reasons compare)."""
    if not p.words and p.terms:
        p.words = dict(zip(p.terms, p.weights.tolist()))
    return p


def add_details(db, found: dict[str, Profile], ids: list[str]) -> None:
    """Indicator names and policies of these profiles (for the reasons of the results shown)."""
    if not ids:
        return
    marks = ",".join("?" * len(ids))
    for decl_id, key in db.execute(
            f"select declaration_id, name_norm from indicators where declaration_id in ({marks})", ids):
        if key and decl_id in found:
            found[decl_id].names.add(key)
    for decl_id, pid, title in db.execute(
            f"select dp.declaration_id, p.id, coalesce(p.title, p.doc_number) from declaration_policies dp"
            f" join policies p on p.id = dp.policy_id where dp.declaration_id in ({marks})", ids):
        if decl_id in found:
            found[decl_id].policies.add(pid)
            found[decl_id].labels[pid] = title


def _stored_profiles(db, prof: Profiles, ids: list[str], details: bool, words: bool = True) -> dict[str, Profile]:
    marks = ",".join("?" * len(ids))
    out = {}
    names: dict[str, set] = {}
    n_f, n_s, n_sf = len(sectors.FUNCTIONS), len(sectors.SPENDING), len(sectors.SUBFUNCTIONS)
    exact = prof.exact(db, ids)
    # (a declaration stored before profiles were has none: computed below from its search row)
    for decl_id, dept, terms, weights, function, spending, subfunction in db.execute(
            f"select declaration_id, dept, terms, weights, function, spending, subfunction from similarity_profiles"
            f" where declaration_id in ({marks}) and function is not null", ids):
        terms, weights = profiles.unpack_words(terms, weights)
        out[decl_id] = Profile(decl_id, exact[decl_id],
                               dict(zip(terms, weights.tolist())) if words else {},
                               profiles.vector(function, n_f), profiles.vector(spending, n_s),
                               names.get(decl_id, set()), set(), _dept(dept),
                               subfunction=profiles.vector(subfunction, n_sf), terms=terms, weights=weights)
    missing = [i for i in ids if i not in out]
    if missing:
        out.update(_computed_profiles(db, exact, missing, names))
    if details:
        add_details(db, out, ids)
    return out


def _computed_profiles(db, exact: dict, ids: list[str], names: dict[str, set]) -> dict[str, Profile]:
    marks = ",".join("?" * len(ids))
    ind_names: dict[str, list[str]] = {}
    for decl_id, name in db.execute(
            f"select declaration_id, name from indicators where declaration_id in ({marks})", ids):
        ind_names.setdefault(decl_id, []).append(name or "")
    cols = list(FIELDS)
    out = {}
    for r in rows(db.execute(
            f"select d.id, d.name as raw_name, d.dept_name, d.overview as raw_overview, d.plan as raw_plan,"
            f" d.goal_period, d.goal_annual, {', '.join('f.' + c for c in cols)} from declarations d"
            f" left join declarations_fts f on f.rowid = d.rowid where d.id in ({marks})", ids)):
        text = " ".join(x or "" for x in (r["raw_overview"], r["raw_plan"], r["goal_period"] or r["goal_annual"],
                                          " ".join(ind_names.get(r["id"], []))))
        out[r["id"]] = Profile(
            r["id"], exact[r["id"]], profiles.tf_weights(_words({c: r[c] for c in cols})),
            sectors.function_of(r["dept_name"], r["raw_name"], text), sectors.spending_of(r["raw_name"], text),
            names.get(r["id"], set()), set(), _dept(r["dept_name"]),
            subfunction=sectors.subfunction_of(r["dept_name"], r["raw_name"], text))
    return out


# ------------------------------------------------------------------ rarity of what is shared

_idf_cache: dict[tuple, dict] = {}


def _corpus_version(db) -> tuple:
    """(path, number of declarations, a counter bumped by every insert or delete): kept by triggers
    (migration m015), so no query counts the table."""
    state = dict(db.execute("select key, value from kb_state where key in ('declarations_count',"
                            " 'declarations_version')").fetchall())
    if len(state) < 2:  # a database the migration has not reached (opened read-only)
        return (database_path(db),) + tuple(db.execute("select count(*), max(rowid) from declarations").fetchone())
    return database_path(db), state["declarations_count"], state["declarations_version"]


def _idf(n: int, df: int) -> float:
    return math.log((n + 1) / (df + 1)) + 1.0


class Rarity:
    """IDF weights of words, indicator names and policies, from the knowledge base (cached per corpus)."""

    def __init__(self, db):
        self.db = db
        key = _corpus_version(db)
        cached = _idf_cache.get(key)
        if cached is None:
            cached = {"n": key[1] or 0, "names": None, "policies": None, "terms": {}}
            _idf_cache.clear()
            _idf_cache[key] = cached
        self.cache = cached
        self.n = cached["n"]

    def names(self, name: str) -> float:
        if self.cache["names"] is None:
            self.cache["names"] = dict(self.db.execute(
                "select name, sum(declarations) from indicator_library group by name").fetchall())
        return _idf(self.n, self.cache["names"].get(name, 1))

    def policies(self, pid: str) -> float:
        if self.cache["policies"] is None:
            self.cache["policies"] = dict(self.db.execute("select id, cited_by from policies").fetchall())
        return _idf(self.n, self.cache["policies"].get(pid) or 1)

    def terms(self, terms) -> dict[str, float]:
        known = self.cache["terms"]
        missing = [t for t in terms if t not in known]
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            found = dict(self.db.execute(
                f"select term, doc from declarations_fts_vocab where term in ({','.join('?' * len(chunk))})",
                chunk).fetchall())
            for t in chunk:
                known[t] = _idf(self.n, found.get(t, 0))
        return {t: known[t] for t in terms}


def _overlap(a: set, b: set, weight) -> tuple[float, list]:
    """IDF-weighted cosine of two sets, and the shared items rarest first."""
    shared = a & b
    if not shared:
        return 0.0, []
    wa = math.sqrt(sum(weight(x) ** 2 for x in a))
    wb = math.sqrt(sum(weight(x) ** 2 for x in b))
    return sum(weight(x) ** 2 for x in shared) / (wa * wb), sorted(shared, key=lambda x: (-weight(x), x))


def _tfidf(words: dict[str, float], idf: dict[str, float]) -> tuple[dict[str, float], float]:
    """Term weights (1 + log count, stored) times rarity, and the vector's length."""
    vec = dict(zip(words, map(mul, words.values(), map(idf.__getitem__, words))))
    return vec, math.sqrt(sum(map(mul, vec.values(), vec.values()))) or 1.0


# ------------------------------------------------------------------ the comparison

def compare(rarity: Rarity, q: Profile, c: Profile, _tf: dict | None = None, reasons: bool = True,
            idf: dict[str, float] | None = None) -> tuple[dict[str, float], dict]:
    """Every signal for one pair (:func:`feature_matrix` of one candidate), and (``reasons``) what
    the two share. ``idf`` may hold the rarity of every word of both already (a ranking looks them
    up once for all candidates)."""
    if idf is None:
        idf = rarity.terms(set(q.words) | set(c.words) | set(c.terms))
    f = dict(zip(FEATURES, feature_matrix(rarity, q, [c], idf)[0].tolist()))
    return f, (shared_with(rarity, q, c, f, idf, _tf) if reasons else {})


def shared_with(rarity: Rarity, q: Profile, c: Profile, f: dict[str, float], idf: dict[str, float],
                _tf: dict | None = None) -> dict:
    """What two declarations share, for the reasons shown: indicators, policies, telling words,
    department, class; ``f`` their signals."""
    cache = _tf if _tf is not None else {}
    qv = cache.get(id(q)) or cache.setdefault(id(q), _tfidf(q.words, idf))
    cv = _tfidf(with_words(c).words, idf)
    small, large = (qv[0], cv[0]) if len(qv[0]) <= len(cv[0]) else (cv[0], qv[0])
    shared = [t for t in small if t in large]
    names = _overlap(q.names, c.names, rarity.names)[1]
    policies = _overlap(q.policies, c.policies, rarity.policies)[1]
    return {"shared_indicators": names[:6], "shared_policies": [c.labels.get(p) or p for p in policies[:4]],
            "shared_terms": _shown_terms(shared, qv[0], cv[0], q.dept), "same_dept": bool(f["dept"]),
            "function": _function_label(c, f),
            "dept_kind": sectors.main_kind(c.dept_kind, sectors.DEPARTMENTS)
            if f["dept_kind"] >= 0.8 and not f["dept"] else None}


def feature_matrix(rarity: Rarity, q: Profile, cands: list[Profile], idf: dict[str, float]) -> np.ndarray:
    """:func:`compare`'s signals of one query against many candidates (rows; columns ``FEATURES``),
    without the reasons: what ranking 80 candidates costs. ``idf`` holds the rarity of every word of
    all of them. The same numbers as :func:`compare` (a test holds the two together)."""
    n = len(cands)
    out = np.zeros((n, len(FEATURES)))
    if not n:
        return out
    col = {k: i for i, k in enumerate(FEATURES)}

    def dots(a: np.ndarray | None, rows: list[np.ndarray | None]) -> np.ndarray:
        if a is None:
            return np.zeros(n)
        zero = np.zeros_like(a)
        return np.stack([zero if r is None else r for r in rows]) @ a

    for feature in VECTOR_KINDS:
        out[:, col[feature]] = dots(q.vectors.get(feature), [c.vectors.get(feature) for c in cands])
    for feature in ("function", "subfunction", "spending", "dept_kind"):
        out[:, col[feature]] = dots(getattr(q, feature), [getattr(c, feature) for c in cands])
    qv, qn = _tfidf(q.words, idf)
    get, rare = qv.get, idf.__getitem__
    terms = out[:, col["terms"]]
    for i, c in enumerate(cands):
        k = len(c.terms)
        if not k or not qv:
            continue
        cv = c.weights * np.fromiter(map(rare, c.terms), dtype=np.float64, count=k)
        shared = np.fromiter(map(get, c.terms, repeat(0.0)), dtype=np.float64, count=k)
        terms[i] = float(shared @ cv) / (qn * (math.sqrt(float(cv @ cv)) or 1.0))
    for i, c in enumerate(cands):
        out[i, col["names"]] = _overlap(q.names, c.names, rarity.names)[0]
        out[i, col["policies"]] = _overlap(q.policies, c.policies, rarity.policies)[0]
        out[i, col["dept"]] = 1.0 if q.dept and q.dept == c.dept else 0.0
    return out


def probabilities(features: np.ndarray) -> np.ndarray:
    """:func:`probability` of each row of a :func:`feature_matrix`."""
    w = np.array([WEIGHTS.get(k, 0.0) for k in FEATURES])
    return 1.0 / (1.0 + np.exp(-(BIAS + features @ w)))


def _function_label(c: Profile, f: dict) -> str | None:
    """The class the two share, as 类（款） where their 款 agree too."""
    if f["function"] < 0.8:
        return None
    label = sectors.main_function(c.function)
    sub = sectors.main_kind(c.subfunction, sectors.SUBFUNCTIONS) if f["subfunction"] >= 0.8 else None
    if sub and label and sub.startswith(label + "·"):
        return f"{label}（{sub.split('·', 1)[1]}）"
    return label


# words any declaration uses: shared, they say nothing to a reader about why two projects are alike
PLAIN_WORDS = frozenset("""
项目 资金 专项 经费 费用 工作 实施 建设 完成 开展 推进 保障 提高 提升 促进 加强 确保 进一步 全面 有效 相关 单位 部门 年度 万元
根据 按照 通过 主要 用于 以及 其中 我区 我市 我县 全市 全区 全县 地区 发展 管理 服务 情况 要求 目标 计划 内容 任务 支出 预算
通知 文件 规定 办法 支付 发放 补贴 补助 资金到位 及时 按时 满意 满意度 指标 社会 经济 效益 质量 数量 时效 成本 合格 合格率 完成率
关于 人数 户数 受益 符合 标准 共计 使用 其他 开始 结束 市级 县级 区级 省级 实际 合计 总计 元 个 人 年底 上级
绩效 绩效指标 指标值 一级指标 二级指标 三级指标 万人
""".split())


def _shown_terms(shared: list[str], a: dict, b: dict, dept: str, n: int = 6) -> list[str]:
    """The shared words worth showing: telling ones first, no word that is part of one already shown."""
    out: list[str] = []
    for t in sorted(shared, key=lambda t: -a[t] * b[t]):
        if t in PLAIN_WORDS or t in dept or re.fullmatch(r"[\dA-Za-z]+", t):
            continue
        if any(t in u or u in t for u in out):
            continue
        out.append(t)
        if len(out) == n:
            break
    return out


def probability(f: dict[str, float], weights: dict[str, float] | None = None, bias: float | None = None) -> float:
    weights = WEIGHTS if weights is None else weights
    z = (BIAS if bias is None else bias) + sum(weights.get(k, 0.0) * f[k] for k in FEATURES)
    return 1.0 / (1.0 + math.exp(-z))


def reason_text(r: dict) -> str:
    parts = []
    if r.get("function"):
        parts.append(f"同属{r['function']}")
    if r.get("same_dept"):
        parts.append("同一主管部门")
    elif r.get("dept_kind"):
        parts.append(f"主管部门同类（{r['dept_kind']}）")
    if r.get("shared_indicators"):
        parts.append("共同指标：" + "、".join(r["shared_indicators"][:4]))
    if r.get("shared_policies"):
        parts.append("共同政策依据：" + "、".join(r["shared_policies"][:2]))
    if r.get("shared_terms"):
        parts.append("共同关键词：" + "、".join(r["shared_terms"][:5]))
    return "；".join(parts) or "项目内容相近（文本向量）"


def candidates(db, prof: Profiles, q: Profile, rarity: Rarity) -> list[str]:
    """The nearest declarations on the vector signals (weighted as in the model), and those
    sharing the query's rarest words (a full-text query)."""
    out: list[str] = prof.nearest(q.vectors, CANDIDATES) if prof.ids else []
    idf = rarity.terms(set(q.words))
    floor = _idf(rarity.n, FTS_MAX_DOCS)
    rare = sorted((t for t in q.words if idf[t] >= floor), key=lambda t: -idf[t] * q.words[t])[:12]
    if rare:
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in rare)
        seen = set(out)
        for (decl_id,) in db.execute(
                "select d.id from declarations_fts f join declarations d on d.rowid = f.rowid"
                " where declarations_fts match ? order by bm25(declarations_fts) limit ?", [match, FTS_CANDIDATES]):
            if decl_id not in seen:
                out.append(decl_id)
                seen.add(decl_id)
    return out


def rank(db, q: Profile, prof: Profiles, limit: int, cutoff: float | None, exclude: set[str]) -> list[SimilarHit]:
    rarity = Rarity(db)
    ids = [c for c in candidates(db, prof, q, rarity) if c not in exclude]
    # indicator names and policies weigh nothing in the fitted model: read only for the reasons shown
    details = _weighs_details()
    found = stored_profiles(db, prof, ids, details=details, words=False)
    idf = rarity.terms(set(q.words).union(*(p.terms for p in found.values())))
    tf: dict = {}
    cands = [found[cid] for cid in dict.fromkeys(ids) if cid in found]
    signals = feature_matrix(rarity, q, cands, idf)
    scored = sorted(zip(probabilities(signals).tolist(), range(len(cands))), key=lambda x: (-x[0], cands[x[1]].id))
    scored = [x for x in scored if cutoff is None or 100 * x[0] >= cutoff][:limit]
    if not details:
        shown = {cands[i].id: cands[i] for _p, i in scored}
        if q.id is not None and q.id not in shown:
            shown[q.id] = q  # a stored declaration's own, read with them
        add_details(db, shown, list(shown))
    scored = [(p, cands[i].id, f, shared_with(rarity, q, cands[i], f, idf, tf))
              for p, i in scored for f in [dict(zip(FEATURES, signals[i].tolist()))]]
    if not scored:
        return []
    marks = ",".join("?" * len(scored))
    meta = {r["id"]: r for r in rows(db.execute(
        f"select id, name, dept_name, year, funds_total from declarations where id in ({marks})",
        [s[1] for s in scored]))}
    out = []
    for p, cid, f, reasons in scored:
        score = round(100 * p, 1)
        out.append(SimilarHit(**meta[cid], score=score, band=band(score), reasons=reasons, reason=reason_text(reasons),
                              features={k: round(v, 4) for k, v in f.items()}))
    return out


def similar(db, model_id: str, declaration_id: str, limit: int = 10, cutoff: float | None = CUTOFF
            ) -> list[SimilarHit]:
    """The past projects most like a stored declaration (itself excluded), best first, each with its
    score (0–100), band and reasons. Needs no model: stored vectors only.

    :param cutoff: leave out results scoring below this (None: keep all).
    :raises DeclarationNotFound: no declaration has this id.
    """
    prof = load_profiles(db, model_id)
    # its indicator names and policies are read with the results' (for the reasons) unless the model weighs them
    found = stored_profiles(db, prof, [declaration_id], details=_weighs_details())
    if declaration_id not in found:
        raise DeclarationNotFound(declaration_id)
    return rank(db, found[declaration_id], prof, limit, cutoff, {declaration_id})


def _weighs_details() -> bool:
    return bool(WEIGHTS.get("names") or WEIGHTS.get("policies"))


# ------------------------------------------------------------------ a draft

@dataclass
class Draft:
    """What was read from a pasted or uploaded draft (nothing of it is stored)."""
    name: str | None
    dept_name: str | None = None
    overview: str | None = None
    basis: str | None = None
    necessity: str | None = None
    plan: str | None = None
    goal: str | None = None
    indicators: list[tuple[str | None, str | None, str, str | None]] = field(default_factory=list)  # 一级, 二级, 名称, 值
    policies: list[tuple[str | None, str | None]] = field(default_factory=list)  # title, doc number
    parsed: bool = False  # read as a form (else taken as free text)


def read_draft(text: str | None = None, data: bytes | None = None, filename: str | None = None) -> Draft:
    """A draft from pasted text or an uploaded file: a form if the interpreter can read one, else
    the text itself as the project's description (a first short line is taken as its name)."""
    from ..form import interpret
    from ..form.policies import extract_policies
    from ..readers import read_document
    from ..records import ParseError

    raw = data if data is not None else (text or "").encode("utf-8")
    doc = decl = None
    try:
        doc = read_document(raw, filename or "draft.txt")
        result = interpret(doc)
        decl = result.declarations[0] if result.declarations else None
    except (ParseError, ValueError, OSError, UnicodeError):
        decl = None
    if decl is not None and (decl.name or decl.indicators) and (decl.indicators or decl.overview):
        return Draft(decl.name, decl.dept_name, decl.overview, decl.basis, decl.necessity, decl.plan,
                     decl.goal_period or decl.goal_annual,
                     [(i.level1, i.level2, i.name, i.value) for i in decl.indicators],
                     [(p.title, p.doc_number) for p in decl.policies], True)
    plain = text if text is not None else (doc.text if doc is not None else raw.decode("utf-8", "replace"))
    plain = (plain or "").strip()
    first, _, rest = plain.partition("\n")
    name = first.strip()[:80] if rest.strip() and len(first.strip()) <= 40 else None
    body = rest.strip() if name else plain
    return Draft(name, overview=body or None,
                 policies=[(p.title, p.doc_number) for p in extract_policies(plain, "overview")])


def draft_profile(db, embedder, prof: Profiles, draft: Draft) -> Profile:
    from .. import segment
    from ..store import policy_id
    from ..vectors import declaration_text

    names = list(dict.fromkeys(n for *_x, n, _v in draft.indicators if n))
    summary_text = declaration_text(draft.name, draft.overview, draft.goal, draft.necessity)
    vectors: dict[str, np.ndarray | None] = {f: None for f in VECTOR_KINDS}
    if summary_text:
        vectors["summary"] = prof.centre(embedder.embed_documents([summary_text])[0], "summary")
    symmetric = [t for t in (draft.name, "；".join(names)[:500]) if t]
    if symmetric:
        got = iter(embedder.embed_symmetric(symmetric))
        if draft.name:
            vectors["name"] = prof.centre(next(got), "name")
        if names:
            vectors["indicator_names"] = prof.centre(next(got), "indicator_names")
    columns = {"name": draft.name, "dept": draft.dept_name, "overview": draft.overview, "basis": draft.basis,
               "necessity": draft.necessity, "plan": draft.plan, "goals": draft.goal,
               "indicators": " ".join(x for *_x, n, v in draft.indicators for x in (n, v) if x)}
    words = profiles.tf_weights(_words({k: segment.seg_index(v) for k, v in columns.items()}))
    text = " ".join(x or "" for x in (draft.overview, draft.plan, draft.goal, " ".join(names)))
    return Profile(None, vectors, words, sectors.function_of(draft.dept_name, draft.name, text),
                   sectors.spending_of(draft.name, text), {indicator_key(n) for n in names},
                   {policy_id(t, d) for t, d in draft.policies}, _dept(draft.dept_name),
                   {policy_id(t, d): t or d for t, d in draft.policies},
                   sectors.subfunction_of(draft.dept_name, draft.name, text))


def similar_to_draft(db, embedder, draft: Draft, limit: int = 10, cutoff: float | None = CUTOFF) -> list[SimilarHit]:
    """The past projects most like a draft; the draft is read, embedded and compared, never stored."""
    prof = load_profiles(db, embedder.model_id)
    q = draft_profile(db, embedder, prof, draft)
    if not any(v is not None for v in q.vectors.values()) and not q.words:
        return []
    return rank(db, q, prof, limit, cutoff, set())


# ------------------------------------------------------------------ what those projects declared

@dataclass
class IndicatorGroup:
    level1: str
    level2: str
    items: list[dict] = field(default_factory=list)  # name, projects, typical, values, units, range


def indicators_of(db, hits: list[SimilarHit], per_group: int = 8) -> list[IndicatorGroup]:
    """The indicators the similar projects declared, grouped by category (一级/二级), each with how
    many of them used it, its most common value and its units and range: what to reuse in a draft."""
    if not hits:
        return []
    ids = [h.id for h in hits]
    weight = {h.id: h.score for h in hits}
    marks = ",".join("?" * len(ids))
    found = rows(db.execute(
        f"select declaration_id, period, level1, level2, name, name_norm, value, number, unit from indicators"
        f" where declaration_id in ({marks}) order by declaration_id, seq", ids))
    annual = {r["declaration_id"] for r in found if r["period"] == "年度"}
    found = [r for r in found if r["period"] == "年度" or r["declaration_id"] not in annual]
    groups: dict[tuple, dict[str, dict]] = {}
    for r in found:
        l1 = _category(r["level1"]) or "其他"
        l2 = _category(r["level2"]) or "其他"
        key = r["name_norm"] or r["name"]
        item = groups.setdefault((l1, l2), {}).setdefault(key, {
            "name": r["name"], "projects": set(), "values": Counter(), "units": Counter(), "numbers": [], "weight": 0.0})
        if r["declaration_id"] not in item["projects"]:
            item["projects"].add(r["declaration_id"])
            item["weight"] += weight[r["declaration_id"]]
        if r["value"]:
            item["values"][r["value"]] += 1
        if r["unit"]:
            item["units"][r["unit"]] += 1
        if r["number"] is not None:
            item["numbers"].append(r["number"])
    order = {"产出指标": 0, "效益指标": 1, "满意度指标": 2}
    out = []
    for (l1, l2), items in sorted(groups.items(), key=lambda g: (order.get(g[0][0], 3), g[0][0], g[0][1])):
        ranked = sorted(items.values(), key=lambda x: (-x["weight"], x["name"]))[:per_group]
        out.append(IndicatorGroup(l1, l2, [{
            "name": x["name"], "projects": len(x["projects"]), "typical": x["values"].most_common(1)[0][0]
            if x["values"] else None, "values": [v for v, _ in x["values"].most_common(4)],
            "units": [u for u, _ in x["units"].most_common(3)],
            "range": [min(x["numbers"]), max(x["numbers"])] if x["numbers"] else None} for x in ranked]))
    return out


def _category(text: str | None) -> str | None:
    t = compact(text or "")
    if not t:
        return None
    return t if t.endswith("指标") else t + "指标"


__all__ = ["BANDS", "CUTOFF", "Draft", "FEATURES", "IndicatorGroup", "SimilarHit", "compare", "indicators_of",
           "load_profiles", "probability", "read_draft", "similar", "similar_to_draft", "stored_profiles"]
