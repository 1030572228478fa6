"""Text normalisation shared by every layer: the one normaliser for matching, display and grouping.

Pure string functions, memoised (the same short cells are compared many times per form).
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

HAN = re.compile(r"[\u3400-\u9fff]")
LEADING_DEBRIS = re.compile(r"^(?:[\s」「』『|•·.,，、:;\-—_~^*]+|[(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}、)+")
TAG = re.compile(r"</?[a-zA-Z][^<>]{0,40}>")
LATEX = re.compile(r"\$[^$]{0,60}\$")

# PDF text layers (Chromium, Word's PDF export) often carry CJK radicals instead of the ideographs a
# reader sees: the Kangxi radicals (U+2F00…) have a compatibility mapping, the supplement (U+2E80…)
# has none, so the common simplified ones are mapped here.
_RADICALS = str.maketrans(
    "⺇⺈⺊⺋⺍⺎⺐⺒⺓⺔⺗⺙⺛⺝⺞⺟⺠⺡⺢⺣⺤⺥⺦⺧⺨⺩⺪⺫⺬⺭⺮⺯⺰⺱⺲⺳⺴⺵⺶⺷⺸⺹⺺⺻⺼⺽⺾⺿⻀⻁⻂⻃⻄⻅⻆⻇⻈⻉⻊⻋⻌⻍⻎⻏⻐⻑⻒⻓⻔⻕⻖⻗⻘⻙⻚⻛⻜⻝⻞⻟⻠⻡⻢⻣⻤⻥⻦⻧⻨⻩⻪⻫⻬⻭⻮⻯⻰⻱⻲⻳",
    "几刀卜卩小兀尢巳幺彐心攴旡月歹母民水水火爪爪丬牛犬玉疋目示礻竹糸纟罒网罓网冈羊羊羊老肀聿肉臼艹艹艹虎衣覀西见角角讠贝足车辶辶辶阝金长长长门阜阝雨青韦页风飞食食食饣首马骨鬼鱼鸟卤麦黄黾齐齐齿齿龙龙龟龟龟")
_KANGXI = re.compile("[\u2f00-\u2fdf]")


def fix_radicals(text: str) -> str:
    """Radical code points that stand for ideographs (``⻋`` → 车, ``⽓`` → 气)."""
    if not text or text.isascii():
        return text
    text = text.translate(_RADICALS)
    return _KANGXI.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


_KEEP_AS_IS = re.compile("([《》〔〕【】〈〉“”‘’、，。；：≥≤·]+)")


@lru_cache(maxsize=1 << 16)
def normalise_text(text: str) -> str:
    """NFKC (full-width digits and brackets to ASCII) but keep 《》〔〕【】 and ≥≤."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    parts = _KEEP_AS_IS.split(text)  # odd parts are the kept punctuation
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))


@lru_cache(maxsize=1 << 16)
def compact(text: str) -> str:
    """Drop all whitespace and unify punctuation; for matching, not for display."""
    text = normalise_text(text)
    text = text.replace("：", ":").replace("，", ",")
    return re.sub(r"\s+", "", text)


def indicator_key(name: str | None) -> str:
    """Normalised indicator name for grouping across declarations: compact, without numbering, stars,
    template hints or trailing punctuation (``1.培训 人次（人次）`` and ``★培训人次`` group together)."""
    key = compact(name or "")
    key = re.sub(r"^[★☆*]+", "", key)
    key = re.sub(r"^(?:指标\d+[:：]|[\(（]?[0-9一二三四五六七八九十]+[\)）.、．:：]+)", "", key)
    key = re.sub(r"[(（][^()（）]{0,12}[)）]$", "", key)
    return key.strip(",.;:、。；：") or compact(name or "")


@lru_cache(maxsize=1 << 16)
def clean(text: str) -> str:
    """Display form: markup stripped, whitespace between Han characters removed."""
    text = TAG.sub("", text)
    text = LATEX.sub("", text)
    text = text.replace("&nbsp;", " ")
    text = re.sub(r"(?<=[\u3400-\u9fff，。、；：“”《》（）()])[ \t\u3000]+(?=[\u3400-\u9fff，。、；：“”《》（）()])", "", text)
    text = re.sub(r"[ \t\u3000]+", " ", text)
    return text.strip()


@lru_cache(maxsize=1 << 16)
def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@lru_cache(maxsize=1 << 17)
def similarity_above(a: str, b: str, floor: float) -> float:
    """``similarity(a, b)`` when it can reach ``floor``, else 0.0 (cheap bounds first: lengths,
    then shared characters)."""
    total = len(a) + len(b)
    if not total or 2 * min(len(a), len(b)) / total < floor:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


_GOAL_NOISE = re.compile(r"[\d\s.,，。；;:：、%％()（）《》“”\"'\-—]+")
MIN_GOAL = 40  # characters of a goal (without digits and punctuation) before a copy is meaningful


def goal_text(goal_period: str | None, goal_annual: str | None) -> str:
    """A declaration's total goal without digits, spaces and punctuation ('' if shorter than MIN_GOAL)."""
    goal = _GOAL_NOISE.sub("", compact(goal_period or goal_annual or ""))
    return goal if len(goal) >= MIN_GOAL else ""


def simhash(text: str) -> int:
    """A 64-bit SimHash (unsigned) of a text's character 3-grams: near-identical texts differ in few bits."""
    import hashlib

    import numpy as np

    grams = [text[i:i + 3] for i in range(max(1, len(text) - 2))]
    digests = np.frombuffer(b"".join(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest() for g in grams),
                            dtype="<u8")
    bits = ((digests[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)).astype(np.int8)
    weights = (bits * 2 - 1).sum(axis=0)
    return int(sum(1 << i for i in range(64) if weights[i] > 0))


def goal_simhash(goal_period: str | None, goal_annual: str | None) -> int | None:
    """The goal's SimHash as SQLite stores it (signed 64-bit), or None for a goal too short to compare."""
    goal = goal_text(goal_period, goal_annual)
    if not goal:
        return None
    h = simhash(goal)
    return h - (1 << 64) if h >= 1 << 63 else h
