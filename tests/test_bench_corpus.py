"""The benchmark corpus generator: deterministic, both layouts, and every declaration parses back."""

from bench.corpus import generate
from ingest.form import parse_text
from ingest.store import declaration_key


def test_corpus_is_deterministic_and_parses(tmp_path):
    a = generate(120, tmp_path / "a", seed=5)
    b = generate(120, tmp_path / "b", seed=5)
    assert [f.read_bytes() for f in a] == [f.read_bytes() for f in b]
    assert {f.name.split("_")[0] for f in a} == {"clean", "pdf"}
    declarations = [d for f in a for d in parse_text(f.read_text("utf-8")).declarations]
    assert len(declarations) == 120
    assert len({declaration_key(d, 'x') for d in declarations}) == 120
    assert all(d.funds_total and d.indicators for d in declarations)
    other = generate(120, tmp_path / "c", seed=6)
    assert [f.read_bytes() for f in other] != [f.read_bytes() for f in a]
