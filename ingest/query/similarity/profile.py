"""What a declaration is made of for a comparison: its centred vectors, words, function, spending,
indicator names, policies and department (stored declarations read in bulk)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ... import profiles, sectors
from ...text import compact
from ..results import rows
from .scan import Profiles

FIELDS = profiles.FIELDS


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
