import contextlib
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEEDS = sorted(DATA.glob("*.txt"))
REALWORLD = ROOT / "tests" / "data" / "realworld"


def pytest_addoption(parser):
    parser.addoption("--fuzz", action="store_true", help="the full fuzz run (over 10,000 inputs; `make fuzz`)")


def pytest_configure(config):
    sys._called_from_test = True


def pytest_terminal_summary(terminalreporter, config):
    from .fuzzing import REPORT

    if REPORT["inputs"]:
        terminalreporter.write_line(
            f"fuzzed inputs: {REPORT['inputs']} ({REPORT['parsed']} parsed, {REPORT['rejected']} rejected with a "
            f"reason, {REPORT['ingested']} stored through build); "
            f"slowest {REPORT['slowest'][0]:.2f} s ({REPORT['slowest'][1]})")


def kb_build(db_path, *paths, model: str = "hash", extra: tuple = ()):
    """The real `kb build` command, in this process."""
    from click.testing import CliRunner

    from ingest.cli import cli

    args = ["build", str(db_path), *map(str, paths), "--silent", *extra]
    if model:
        args += ["--model", model]
    return CliRunner().invoke(cli, args)


@pytest.fixture(scope="session")
def built_db(tmp_path_factory):
    """kb.db built by the real `kb build` over the shipped seed files, with the model-free hash embedder."""
    path = tmp_path_factory.mktemp("kb") / "kb.db"
    result = kb_build(path, DATA)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="session")
def built_db_real(tmp_path_factory):
    """The same, with the default embedding model (slow tests only)."""
    path = tmp_path_factory.mktemp("kb-real") / "kb.db"
    result = kb_build(path, DATA, model="")
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def db_copy(built_db, tmp_path):
    target = tmp_path / "kb.db"
    shutil.copy(built_db, target)
    return target


@pytest.fixture
def hash_model(monkeypatch):
    """Queries in this process use the hash embedder (the model the fast databases were built with)."""
    monkeypatch.setenv("KB_MODEL", "hash")


@pytest.fixture
def ds(db_copy, hash_model):
    """The served Datasette (as `make serve` configures it) on a copy of the seed database."""
    from ingest.serve import make_datasette

    return make_datasette(db_copy, num_sql_threads=1, sql_time_limit_ms=20000)


@contextlib.contextmanager
def datasette_server(db_path, *extra_args, model: str | None = "hash"):
    """A real `datasette serve` process on a free loopback port, configured as `make serve` does it."""
    from ingest.serve import running_server as serve

    with serve(db_path, extra=tuple(extra_args), env={"KB_MODEL": model} if model else None) as (base, _proc):
        yield base
