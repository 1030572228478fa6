"""Every read of the knowledge base: full text, semantic, hybrid, similar projects, indicator
suggestions. Typed results; used by the CLI, the Datasette plugins (pages and SQL functions) and
the canned queries alike, so there is one place where search SQL and ranking weights live.

Every function takes a connection-like ``db`` (a sqlite3 connection or a sqlite-utils Database).
"""

from __future__ import annotations

from .browse import SearchPage, search_page
from .fulltext import search_declarations, search_indicators, search_policies
from .hybrid import declaration_hits, hybrid_search
from .relevance import Ranking, rank_declarations
from .results import (BasisHit, DeclarationHit, DeclarationNotFound, IndicatorHit, IndicatorSuggestion, PolicyHit,
                      SearchHit, as_dicts)
from .semantic import semantic_search
from . import similarity
from .similarity import SimilarHit, indicators_of, read_draft, similar, similar_to_draft
from .snippets import snippet
from .suggest import suggest_indicators

__all__ = ["BasisHit", "DeclarationHit", "DeclarationNotFound", "IndicatorHit", "IndicatorSuggestion", "PolicyHit",
           "as_dicts", "hybrid_search", "search_declarations", "search_indicators", "search_policies",
           "semantic_search", "similar", "similarity", "SimilarHit", "indicators_of", "read_draft", "similar_to_draft", "snippet",
           "suggest_indicators", "SearchPage", "search_page", "Ranking", "rank_declarations", "declaration_hits", "SearchHit"]
