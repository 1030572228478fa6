"""A draft (pasted text or an uploaded file) read, profiled and compared; nothing of it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ... import profiles, sectors
from ...text import indicator_key
from .scan import Profiles, load_profiles
from .model import VECTOR_KINDS
from .nearest import CUTOFF, SimilarHit, rank
from .profile import Profile, _dept, _words


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
    the text itself as the project's description (a first short line is taken as its name).

    :raises ParseError: an uploaded file that cannot be read (its reason: not of its format, an
        archive refused by ``readers.safety``, …).
    """
    from ...form import interpret
    from ...form.policies import extract_policies
    from ...readers import read_document
    from ...records import ParseError

    raw = data if data is not None else (text or "").encode("utf-8")
    doc = decl = None
    try:
        doc = read_document(raw, filename or "draft.txt")
    except (ParseError, ValueError, OSError, UnicodeError):
        if data is not None:  # a file that cannot be read (or is refused): its bytes are no draft
            raise
    try:
        result = interpret(doc) if doc is not None else None
        decl = result.declarations[0] if result is not None and result.declarations else None
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
    from ... import segment
    from ...store import policy_id
    from ...vectors import declaration_text

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


