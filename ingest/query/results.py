"""The typed results of every query."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


class DeclarationNotFound(LookupError):
    """No declaration has this id."""

    def __init__(self, declaration_id: str):
        super().__init__(f"no declaration with id {declaration_id}")
        self.declaration_id = declaration_id


@dataclass
class DeclarationHit:
    id: str
    name: str | None
    dept_name: str | None
    year: int | None
    funds_total: float | None
    score: float
    snippet: str | None = None


@dataclass
class SearchHit(DeclarationHit):
    """A declaration found by a search (``relevance.rank_declarations``)."""
    found_by: str = ""  # fulltext / semantic / both
    weak: bool = False  # below the floor of a match: one of a marked few closest


@dataclass
class BasisHit:
    id: str  # the declaration
    name: str | None
    dept_name: str | None
    basis: str | None
    score: float
    weak: bool = False


@dataclass
class IndicatorHit:
    indicator_id: str
    id: str  # the declaration
    name: str | None  # the declaration's name
    period: str
    level1: str | None
    level2: str | None
    indicator: str
    value: str | None
    unit: str | None
    score: float
    weak: bool = False


@dataclass
class PolicyHit:
    id: str
    title: str | None
    doc_number: str | None
    declarations: int
    score: float
    weak: bool = False


@dataclass
class IndicatorSuggestion:
    level1: str | None
    level2: str | None
    name: str
    values: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    declarations: list[str] = field(default_factory=list)
    uses: int = 0
    score: float = 0.0


def as_dicts(results) -> list[dict]:
    return [asdict(r) for r in results]


def rows(cursor) -> list[dict]:
    """A cursor's rows as dicts (works for sqlite3 and sqlite-utils)."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]
