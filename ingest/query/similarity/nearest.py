"""The past projects nearest a declaration or a draft profile: candidates from the vector scan and a
full-text query, every signal re-ranking them, a score (0–100), band and reasons for each."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..results import DeclarationHit, DeclarationNotFound, rows
from .scan import Profiles, load_profiles
from .features import feature_matrix
from .model import FEATURES, WEIGHTS, probabilities
from .profile import Profile, add_details, stored_profiles
from .rarity import Rarity, _idf
from .reasons import reason_text, shared_with

CANDIDATES = 60  # from the vector scan; the full-text query adds up to FTS_CANDIDATES more
FTS_CANDIDATES = 20
FTS_MAX_DOCS = 500  # a word in more declarations than this picks no candidates: bm25 over all its matches
# would cost more than the word tells (at 100,000 declarations a common word matches tens of thousands)
BANDS = ((60, "很相似"), (30, "相关"), (0, "较远"))
CUTOFF = 15  # results below this score are left out unless asked for


def band(score: float) -> str:
    return next(label for low, label in BANDS if score >= low)


@dataclass
class SimilarHit(DeclarationHit):
    band: str = ""
    reasons: dict = field(default_factory=dict)  # shared_indicators, shared_policies, shared_terms, same_dept,
    # dept_kind, function
    reason: str = ""  # the same in one Chinese sentence
    features: dict = field(default_factory=dict)


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


