import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEEDS = sorted(DATA.glob("*.txt"))


def pytest_configure(config):
    sys._called_from_test = True


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
