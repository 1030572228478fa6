"""`kb build` while Datasette serves the same file: readers see the old state or the new one, never a mix."""

import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .conftest import SEEDS, datasette_server

STATE_SQL = (
    "select (select count(*) from declarations) as declarations, (select count(*) from indicators) as indicators,"
    " (select count(*) from declarations_fts) as fts, (select count(*) from indicator_library) as library,"
    " (select count(*) from declaration_policies) as links, (select count(*) from embeddings) as vectors"
)


def kb(*args) -> list[str]:
    return [str(Path(sys.executable).parent / "kb"), *args]


def state(base: str) -> tuple:
    url = base + "/kb.json?_shape=array&sql=" + urllib.parse.quote(STATE_SQL)
    row = json.loads(urllib.request.urlopen(url, timeout=30).read())[0]
    return tuple(row.values())


@pytest.mark.slow
def test_readers_never_see_a_half_built_state(tmp_path):
    db = tmp_path / "kb.db"
    subprocess.run(kb("build", str(db), str(SEEDS[0]), "--silent"), check=True, capture_output=True)
    with datasette_server(db) as base:
        before = state(base)
        build = subprocess.Popen(kb("build", str(db), str(SEEDS[1]), "--silent"), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        seen = []
        while build.poll() is None:
            seen.append(state(base))
            time.sleep(0.05)
        assert build.returncode == 0, build.stderr.read().decode()
        after = state(base)
    assert after != before and after[0] == 16
    assert set(seen) <= {before, after}, f"half-built states seen: {set(seen) - {before, after}}"
    assert len(seen) > 20  # the readers really were reading during the build
