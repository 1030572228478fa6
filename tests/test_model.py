"""The default embedding model's folder: built offline, safe to build from two processes at once,
rebuilt when it is broken (a cut copy, a lost file)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.model_e5 import default_model_dir, model_complete

pytestmark = pytest.mark.slow


def kb(*args, env=None):
    return subprocess.Popen([str(Path(sys.executable).parent / "kb"), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_concurrent_builds_and_a_broken_folder(tmp_path, monkeypatch):
    env = {**os.environ, "KB_MODEL_CACHE": str(tmp_path)}
    procs = [kb("model", env=env) for _ in range(2)]  # two builds at once share no temporary folder
    for p in procs:
        out, err = p.communicate(timeout=900)
        assert p.returncode == 0, err[-2000:]
        # one plain line: no transformers load report ("pooler … MISSING"), no progress bars
        assert (out + err).strip().count("\n") == 0 and out.startswith("已生成默认向量模型"), out + err
    monkeypatch.setenv("KB_MODEL_CACHE", str(tmp_path))
    folder = default_model_dir()
    assert model_complete(folder)
    assert not [p for p in tmp_path.iterdir() if p != folder]  # no temporary folders left behind

    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 3])  # a copy cut short
    assert not model_complete(folder)
    from ingest.embedders import SentenceTransformerEmbedder

    vecs = SentenceTransformerEmbedder().embed_documents(["冬季清洁取暖补贴"])  # rebuilt, then loaded
    assert vecs.shape == (1, 384) and model_complete(folder)


def test_the_precision_setting(monkeypatch):
    from ingest import embedders

    monkeypatch.setenv("KB_EMBED_PRECISION", "float32")
    assert embedders.precision() == "float32"
    monkeypatch.setenv("KB_EMBED_PRECISION", "BFloat16")
    assert embedders.precision() == "bfloat16"
    monkeypatch.setenv("KB_EMBED_PRECISION", "auto")
    assert embedders.precision() == ("bfloat16" if embedders.cpu_has_bf16() else "float32")
    monkeypatch.setenv("KB_EMBED_PRECISION", "fp8")
    with pytest.raises(ValueError, match="KB_EMBED_PRECISION"):
        embedders.precision()
