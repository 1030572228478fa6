"""A build on a Dask cluster: the per-file work (read, interpret, segment, profile, review:
:func:`ingest.build.prepare_file`) and the embedding of distinct texts run as tasks on the
cluster's workers; this process stays the one writer and stores what comes back exactly as a
local build does, in the same order (batches, savepoints, resumable).

``ADDRESS`` is a scheduler's address (``tcp://10.0.0.5:8786``), or ``local:N`` for a cluster of N
worker processes started here (to try it, and to measure its overhead). Every worker needs the
same version of this project installed (``pip install budget-kb``); the files are sent to the
workers, which need no shared disk. Embedding tasks ask for a ``GPU`` resource when a worker
offers one (``dask worker ADDRESS --resources GPU=1``) and compute there on the GPU.

Dask is imported only here, and only when a build is given a cluster.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import numpy as np

IN_FLIGHT_PER_WORKER = 4  # files sent ahead of the one being stored, per worker


class ClusterError(RuntimeError):
    """The cluster cannot be reached or its workers cannot build (message in Chinese)."""


def _prepare(path: str, data: bytes):
    from .build import prepare_file

    os.environ.setdefault("KB_OCR_THREADS", "1")  # one task per worker thread already
    return prepare_file(path, data)


def _worker_versions() -> dict:
    from .form import PARSER_VERSION

    return {"parser": PARSER_VERSION}


def _embed(model: str | None, keys: list[str]) -> dict[str, np.ndarray]:
    """On a worker: one batch of item keys through the model (loaded once per worker process)."""
    from .embedders import get_embedder
    from .vectors import encode_keys

    if model not in (None, "hash", "hash-384") and "KB_DEVICE" not in os.environ:
        try:
            import torch

            if torch.cuda.is_available():
                os.environ["KB_DEVICE"] = "cuda"
        except ImportError:  # pragma: no cover - the model needs torch anyway
            pass
    return encode_keys(get_embedder(model), keys)


class Cluster:
    """A connection to a Dask scheduler (or a local cluster started for one build)."""

    def __init__(self, address: str):
        try:
            from distributed import Client, LocalCluster
        except ImportError as e:
            raise ClusterError("集群构建需要 Dask：pip install 'budget-kb[cluster]'（或 pip install 'dask[distributed]'）") from e
        self.address, self.local = address, None
        try:
            if address.startswith("local"):
                n = int(address.partition(":")[2] or os.cpu_count() or 1)
                self.local = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                          silence_logs=40)
                self.client = Client(self.local)
            else:
                self.client = Client(address, timeout=float(os.environ.get("KB_CLUSTER_TIMEOUT", "20")))
        except (OSError, TimeoutError, ValueError) as e:
            self.close()
            raise ClusterError(f"无法连接集群 {address}（{type(e).__name__}: {str(e)[:160]}）") from e
        self._check_workers()

    def _check_workers(self) -> None:
        from .form import PARSER_VERSION

        self.client.wait_for_workers(1, timeout=60)
        versions = self.client.run(_worker_versions)
        wrong = {w: v for w, v in versions.items() if v.get("parser") != PARSER_VERSION}
        if wrong:
            raise ClusterError(f"集群中 {len(wrong)} 个工作进程的解析器版本与本机不同（本机 {PARSER_VERSION}，"
                               f"如 {next(iter(wrong))}: {next(iter(wrong.values()))['parser']}）：请在每台机器上安装同一版本")

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1)["workers"]) if self.client else 0

    def _gpu(self) -> dict | None:
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        return {"GPU": 1} if any(w.get("resources", {}).get("GPU") for w in info.values()) else None

    def prepare(self, paths: list[Path | str]) -> Iterator:
        """prepare_file of each file on the workers, yielded in the files' order as they finish
        (a window of files in flight, so the writer never waits on more than it can store)."""
        window = max(2, IN_FLIGHT_PER_WORKER * max(1, self.workers))
        pending: deque = deque()
        it = iter(paths)

        def send(path: Path | str) -> None:
            from .build import load

            try:
                data = load(path)  # a file's bytes, or an archive member's
            except Exception:  # noqa: BLE001 - read again below, where the reason is recorded as locally
                data = None
            if data is None:
                from .build import prepare_file

                pending.append(prepare_file(path))  # the local read reports the error as a local build does
                return
            # the bytes go straight to a worker (not through the scheduler's task graph)
            pending.append(self.client.submit(_prepare, str(path), self.client.scatter(data, direct=True), pure=False))

        for path in it:
            send(path)
            if len(pending) >= window:
                break
        while pending:
            head = pending.popleft()
            yield head.result() if hasattr(head, "result") else head
            nxt = next(it, None)
            if nxt is not None:
                send(nxt)

    def embed(self, model: str | None, keys: list[str], batch_size: int = 64) -> Iterator[dict[str, np.ndarray]]:
        """Vectors of item keys, batch by batch in order, each batch a task on a worker (a GPU
        worker's if the cluster has one)."""
        resources = self._gpu()
        window = max(2, IN_FLIGHT_PER_WORKER * max(1, self.workers))
        batches = (keys[i:i + batch_size] for i in range(0, len(keys), batch_size))
        pending: deque = deque()
        for batch in batches:
            pending.append(self.client.submit(_embed, model, batch, pure=False, resources=resources))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
            self.client = None
        if self.local is not None:
            self.local.close()
            self.local = None

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def model_name(embedder) -> str | None:
    """What a worker passes to get_embedder to load the same model as ``embedder``."""
    if getattr(embedder, "model_id", "").startswith("hash-"):
        return "hash"
    return getattr(embedder, "name_or_path", None)


__all__ = ["Cluster", "ClusterError", "model_name"]
