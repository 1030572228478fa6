"""kb build --cluster: the per-file work and the embeddings on a Dask cluster's workers, the
database the same as a local build's."""

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DATA, kb_build
from .dbcompare import differences

distributed = pytest.importorskip("distributed", reason="Dask is not installed (pip install 'budget-kb[cluster]')")
REAL = Path(__file__).parent / "data" / "realworld"


@pytest.fixture(scope="module")
def scheduler():
    """A cluster of two worker processes on this machine, reached by its address as a remote one would be."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        yield cluster.scheduler_address


def test_cluster_build_equals_a_local_build(scheduler, tmp_path):
    local, remote = tmp_path / "local.db", tmp_path / "cluster.db"
    assert kb_build(local, DATA, REAL).exit_code == 0
    result = kb_build(remote, DATA, REAL, extra=("--cluster", scheduler))
    assert result.exit_code == 0, result.output
    assert differences(local, remote) == []
    import sqlite3

    counts = sqlite3.connect(remote).execute("select (select count(*) from declarations),"
                                             " (select count(*) from vectors), (select count(*) from embeddings)").fetchone()
    assert counts[0] > 40 and 0 < counts[1] < counts[2]  # one vector per distinct text
    # built again on the cluster: nothing changes
    again = kb_build(remote, DATA, REAL, extra=("--cluster", scheduler))
    assert again.exit_code == 0 and differences(local, remote) == []


def test_an_unreachable_cluster_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_CLUSTER_TIMEOUT", "2")
    result = kb_build(tmp_path / "kb.db", DATA, extra=("--cluster", "tcp://127.0.0.1:9"))
    assert result.exit_code == 1 and "无法连接集群" in result.output


def test_a_local_build_never_imports_dask(tmp_path):
    code = ("import sys; from ingest.cli import cli; from click.testing import CliRunner;"
            f" r = CliRunner().invoke(cli, ['build', {str(tmp_path / 'kb.db')!r}, {str(DATA)!r}, '--model', 'hash', '-s']);"
            " assert r.exit_code == 0, r.output; print(sorted(m for m in sys.modules if m.split('.')[0] in"
            " ('dask', 'distributed', 'ray', 'torch')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
