"""Cited policy documents: titles in 《》 and document numbers such as 晋教安稳函〔2022〕6号."""

from __future__ import annotations

import bisect
import re

from ..records import Policy
from ..text import clean, normalise_text


BRACKETS_OPEN = "〔[【(（［〈"
BRACKETS_CLOSE = "〕]】)）］〉"
DOC_NUMBER_RE = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{1,14}?)\s*[" + re.escape(BRACKETS_OPEN) + r"]\s*(?P<year>(?:19|20)\d{2})\s*["
    + re.escape(BRACKETS_CLOSE) + r"]\s*(?:第\s*)?(?P<no>\d{1,4})\s*号"
)
TITLE_RE = re.compile(r"《([^《》]{2,120})》")
# what may stand before an issuer's abbreviation: a connective, or the issuer's full name
# (山西省人民政府晋政办发[2018]96号, 省政府办公厅晋政办发〔2018〕96号)
PREFIX_CUT = re.compile(r".*(?:的通知|的意见|的批复|通知|文件|根据|依据|按照|参照|印发|关于|以及|和|及|与|、|》|的|"
                        r"人民政府|办公厅|办公室)")


def _plausible_title(title: str) -> bool:
    """A document title: no sentence punctuation, balanced brackets, no stray spaces (OCR debris)."""
    if not 4 <= len(title) <= 60 or re.search(r"[,，。;；!?\s]", title):
        return False
    return title.count("(") + title.count("（") == title.count(")") + title.count("）")


def normalise_doc_number(prefix: str, year: str, no: str) -> str:
    return f"{prefix}〔{year}〕{int(no)}号"


def extract_policies(text: str, field_name: str) -> list[Policy]:
    """Find cited documents: titles in 《》 and numbers such as 晋教安稳函〔2022〕6号 in any bracket form."""
    if not text:
        return []
    flat = re.sub(r"(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff\d〔【\[(（])", "", normalise_text(text))
    found: list[tuple[int, Policy]] = []
    numbers = []
    for m in DOC_NUMBER_RE.finditer(flat):
        prefix = m.group("prefix")
        cut = PREFIX_CUT.match(prefix)
        if cut:
            prefix = prefix[cut.end():]
        if not 2 <= len(prefix) <= 8 or "纪要" in prefix:
            # an issuer abbreviation is 2-8 characters; longer is text the cut could not separate, and
            # 会议纪要〔2018〕54号 without its issuer would be one document for every city
            continue
        numbers.append((m.start(), m.end(), normalise_doc_number(prefix, m.group("year"), m.group("no"))))
    titles = [(m.start(), m.end(), clean(m.group(1))) for m in TITLE_RE.finditer(flat)]
    used_numbers: set[int] = set()
    starts = [n[0] for n in numbers]
    ends = [n[1] for n in numbers]  # numbers do not overlap, so their ends are sorted too
    for ts, te, title in titles:
        title = title.strip()
        if not _plausible_title(title):
            continue
        doc = None
        # only numbers ending just before the title or starting just after it can belong to it
        near = range(bisect.bisect_left(ends, ts - 2), bisect.bisect_right(starts, te + 12))
        for i in near:
            ns, ne, number = numbers[i]
            gap = flat[te:ns]
            if i not in used_numbers and 0 <= ns - te <= 12 and not re.search(r"[《》]", gap):
                doc = number
                used_numbers.add(i)
                break
            gap_before = flat[ne:ts]
            if i not in used_numbers and 0 <= ts - ne <= 2 and not re.search(r"[《》]", gap_before):
                doc = number
                used_numbers.add(i)
                break
        found.append((ts, Policy(title, doc, field_name)))
    for i, (ns, ne, number) in enumerate(numbers):
        if i in used_numbers:
            continue
        title = None
        # ``关于印发…的通知阳开产发(2020)19号``: an unbracketed title just before the number
        before = flat[max(0, ns - 80):ns]
        m = re.search(r"(关于[^，。；;,、《》\s]{4,50}?(?:通知|办法|方案|意见|规定|决定|批复|细则))\s*[(（]?\s*$", before)
        if m and _plausible_title(clean(m.group(1))):
            title = clean(m.group(1))
        found.append((ns, Policy(title, number, field_name)))
    found.sort(key=lambda p: p[0])
    return [p for _, p in found]
