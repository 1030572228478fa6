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

The package, by what each part does: ``model`` (signals, fitted weights, probability), ``scan``
(centred vectors and the candidate scan), ``profile`` (what a declaration is made of), ``rarity``,
``features`` (the signal matrix), ``reasons``, ``nearest`` (candidates, ranking, ``similar``),
``drafts`` and ``indicators`` (what similar projects declared).
"""

from __future__ import annotations

from . import model, scan
from .scan import POOL, PROJECTED_FROM, SCAN_DIMS, Profiles, load_profiles
from .drafts import Draft, draft_profile, read_draft, similar_to_draft
from .features import compare, feature_matrix
from .indicators import IndicatorGroup, indicators_of
from .model import FEATURES, VECTOR_KINDS, WEIGHTS, WEIGHTS_FILE, probabilities, probability, set_weights
from .nearest import BANDS, CANDIDATES, CUTOFF, SimilarHit, band, candidates, rank, similar
from .profile import Profile, stored_profiles
from .rarity import Rarity, _corpus_version
from .reasons import PLAIN_WORDS, reason_text, shared_with

__all__ = ["BANDS", "CANDIDATES", "CUTOFF", "Draft", "FEATURES", "IndicatorGroup", "PLAIN_WORDS", "POOL",
           "PROJECTED_FROM", "Profile", "Profiles", "Rarity", "SCAN_DIMS", "SimilarHit", "VECTOR_KINDS", "WEIGHTS",
           "WEIGHTS_FILE", "band", "candidates", "compare", "draft_profile", "feature_matrix",
           "indicators_of", "load_profiles", "model", "probabilities", "scan", "probability", "rank", "read_draft",
           "reason_text", "set_weights", "shared_with", "similar", "similar_to_draft", "stored_profiles",
           "_corpus_version"]
