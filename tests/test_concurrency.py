"""`kb build` while Datasette serves the same file: readers see every declaration whole or not at all."""

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
    # a declaration seen without all its indicators or without its search row is half stored
    " (select count(*) from declarations d where d.indicator_count !="
    "  (select count(*) from indicators i where i.declaration_id = d.id)"
    "  or d.rowid not in (select rowid from declarations_fts)) as half,"
    " (select count(*) from indicators where rowid not in (select rowid from indicators_fts)) as unindexed"
)


def kb(*args) -> list[str]:
    return [str(Path(sys.executable).parent / "kb"), *args]


def state(base: str) -> tuple:
    url = base + "/kb.json?_shape=array&sql=" + urllib.parse.quote(STATE_SQL)
    row = json.loads(urllib.request.urlopen(url, timeout=30).read())[0]
    return tuple(row.values())


@pytest.mark.slow
def test_readers_never_see_a_half_stored_declaration(tmp_path):
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
    assert all(s[2] == 0 and s[3] == 0 for s in seen), f"half-stored declarations seen: {set(seen)}"
    assert all(before[0] <= s[0] <= after[0] for s in seen)
    assert len(seen) > 20  # the readers really were reading during the build
