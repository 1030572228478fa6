"""Replicas behind HAProxy: a new build published under load without a failed request."""

import pytest

from ingest.replicas import haproxy_binary

from .conftest import DATA, kb_build

pytestmark = pytest.mark.skipif(haproxy_binary() is None, reason="haproxy is not installed (apt-get install haproxy)")
REAL = DATA.parent / "tests" / "data" / "realworld"


def test_publish_under_load_fails_no_request(tmp_path, monkeypatch):
    from bench import replicas

    monkeypatch.setenv("KB_MODEL", "hash")  # the replicas load no model
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    assert kb_build(first, DATA).exit_code == 0
    assert kb_build(second, DATA, REAL).exit_code == 0
    r = replicas.run(first, second, replicas=2, clients=4, duration=9, site_dir=tmp_path / "site")
    assert r["load"]["errors"] == 0, r["load"]["error_samples"]
    assert r["publish"]["release"] and r["load"]["requests"] > 100
    assert r["declarations_before"] == 16 and r["declarations_after"] > r["declarations_before"]
    import json

    state = json.loads((tmp_path / "site" / "state.json").read_text("utf-8"))
    assert state["replicas"] == [] and state["release"].endswith("second.db")
    assert not list((tmp_path / "site" / "releases").glob("*.partial"))
