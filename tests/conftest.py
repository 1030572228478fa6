import contextlib
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEEDS = sorted(DATA.glob("*.txt"))


def pytest_addoption(parser):
    parser.addoption("--fuzz", action="store_true", help="the full fuzz run (over 10,000 inputs; `make fuzz`)")


def pytest_configure(config):
    sys._called_from_test = True


def pytest_terminal_summary(terminalreporter, config):
    from .fuzzing import REPORT

    if REPORT["inputs"]:
        terminalreporter.write_line(
            f"fuzzed inputs: {REPORT['inputs']} ({REPORT['parsed']} parsed, {REPORT['rejected']} rejected with a "
            f"reason, {REPORT['ingested']} stored through ingest_file); "
            f"slowest {REPORT['slowest'][0]:.2f} s ({REPORT['slowest'][1]})")


@pytest.fixture(scope="session")
def built_db(tmp_path_factory):
    """kb.db built by the real `kb build` over the shipped seed files, with the default model."""
    from click.testing import CliRunner

    from ingest.cli import cli

    path = tmp_path_factory.mktemp("kb") / "kb.db"
    result = CliRunner().invoke(cli, ["build", str(path), str(DATA), "--silent"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def db_copy(built_db, tmp_path):
    target = tmp_path / "kb.db"
    shutil.copy(built_db, target)
    return target


@contextlib.contextmanager
def datasette_server(db_path, *extra_args):
    """A real `datasette serve` process on a free loopback port, configured as `make serve` does it."""
    from bench.loadtest import serve

    with serve(db_path, extra=tuple(extra_args)) as (base, _proc):
        yield base
