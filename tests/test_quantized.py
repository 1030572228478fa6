"""The int8 index: a scan of int8 copies, rescored with the stored vectors, gives a full scan's results."""

import sqlite3

import numpy as np
import pytest

from ingest.quantized import VectorIndex, decode_stored, encode_stored, quantize_rows, top_indices


def stored(matrix):
    conn = sqlite3.connect(":memory:")
    conn.execute("create table vectors (id integer primary key, codes blob, scale real, fine blob, fine_scale real,"
                 " residual real)")
    conn.executemany("insert into vectors values (?, ?, ?, ?, ?, ?)",
                     [(i + 1, *row) for i, row in enumerate(encode_stored(matrix))])
    return conn


def index_of(matrix, rows=None):
    codes, scales, residual = quantize_rows(matrix)
    rows = np.arange(len(matrix), dtype=np.int32) if rows is None else np.asarray(rows, dtype=np.int32)
    ids = [f"i{k:05d}" for k in range(len(rows))]
    return VectorIndex(ids, ids, rows, np.arange(1, len(matrix) + 1), codes, scales, residual, ("v",))


def unit(rng, n, d=384):
    # vectors of one domain: a shared direction and a few dozen topics, as e5's are
    m = rng.normal(size=(n, 40)) @ rng.normal(size=(40, d)) + 6 * rng.normal(size=d) + 0.5 * rng.normal(size=(n, d))
    return (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)


def test_two_levels_hold_a_vector_to_float32s_scores():
    rng = np.random.default_rng(1)
    m = unit(rng, 500)
    back = np.stack([decode_stored(*row[:4]) for row in encode_stored(m)])
    q = unit(rng, 50)
    assert np.abs(back @ q.T - m @ q.T).max() < 1e-5
    assert len(encode_stored(m)[0][0]) == len(encode_stored(m)[0][2]) == 384  # int8: a quarter of float32 each


@pytest.mark.parametrize("k", [1, 10, 50])
def test_rescored_scan_is_the_full_scan(k):
    rng = np.random.default_rng(k)
    m = unit(rng, 3000)
    conn, index = stored(m), index_of(m)
    full = np.stack([decode_stored(*r) for r in conn.execute("select codes, scale, fine, fine_scale from vectors")])
    for j in range(20):
        q = m[j * 37] + 0.3 * rng.normal(size=m.shape[1]).astype(np.float32) / np.sqrt(m.shape[1])
        q /= np.linalg.norm(q)
        scores = full @ q
        expected = [(index.ids[i], float(scores[i])) for i in top_indices(scores, k)]
        got = index.top(q, k, db=conn)
        assert [i for i, _ in got] == [i for i, _ in expected]
        assert np.allclose([s for _, s in got], [s for _, s in expected], atol=1e-6)
        assert index.last_rescored < len(m) / 4  # the scan did the work


def test_items_sharing_a_vector_and_exclusions():
    rng = np.random.default_rng(3)
    m = unit(rng, 50)
    rows = [k % 50 for k in range(200)]  # 4 items per stored vector, as repeated indicator texts
    conn, index = stored(m), index_of(m, rows)
    q = m[7]
    got = index.top(q, 6, db=conn)
    assert [i for i, _ in got[:4]] == ["i00007", "i00057", "i00107", "i00157"]  # one text's items, in item order
    assert got[0][1] == got[3][1] and got[4][1] < got[0][1]
    excluded = index.top(q, 3, exclude={"i00007", "i00057"}, db=conn)
    assert [i for i, _ in excluded][:2] == ["i00107", "i00157"]
    assert index.top(q, 500, db=conn)[-1][0] and len(index.top(q, 500, db=conn)) == 200
