"""Two knowledge bases compared table by table: what a cluster build must equal (a local build's).

    python -m tests.dbcompare A.db B.db      # prints the differences; exit status 1 if any

Every table is compared row by row in key order, all columns but the times things were done
(``ingested_at``, ``seen_at``, ``failed_at``, ``updated``, ``created_at``) and the paths of the files
(two builds of the same files in two folders); float32 vectors are compared within ``atol``
(0: to the bit).
"""

from __future__ import annotations

import sqlite3
import sys

import numpy as np

TIMES = {"ingested_at", "seen_at", "failed_at", "updated", "created_at", "read_at"}
VECTOR_COLUMNS = {("vectors", "codes"), ("vectors", "fine")}  # int8 levels: compared decoded when atol
SKIP = ("sqlite_", "_", "kb_state")  # sqlite's own; sqlite-utils' migrations; counters that follow the writes


def tables(conn) -> list[str]:
    return [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' order by name")
            if not r[0].startswith(SKIP) and not r[0].endswith(("_data", "_idx", "_docsize", "_config", "_content"))]


def differences(a_path, b_path, atol: float = 0.0, paths: tuple[str, str] | None = None, limit: int = 5) -> list[str]:
    """What differs between the two databases (empty when they are equal)."""
    a, b = sqlite3.connect(a_path), sqlite3.connect(b_path)
    out = []
    ta, tb = tables(a), tables(b)
    if ta != tb:
        out.append(f"tables differ: {sorted(set(ta) ^ set(tb))}")
    for t in ta:
        if t not in tb:
            continue
        cols = [r[1] for r in a.execute(f"pragma table_info([{t}])") if r[1] not in TIMES]
        sel = f"select {', '.join(f'[{c}]' for c in cols)} from [{t}] order by {', '.join(f'[{c}]' for c in cols)}"
        if t == "vectors":  # ids follow the order texts were stored in: compare by text hash
            sel = sel.replace("order by [id], ", "order by ")
        ra, rb = a.execute(sel).fetchall(), b.execute(sel).fetchall()
        if len(ra) != len(rb):
            out.append(f"{t}: {len(ra)} rows against {len(rb)}")
            continue
        shown = 0
        for x, y in zip(ra, rb):
            for c, u, v in zip(cols, x, y):
                if paths and isinstance(u, str) and isinstance(v, str):
                    u, v = u.replace(paths[0], "<root>"), v.replace(paths[1], "<root>")
                if u == v:
                    continue
                if t == "vectors" and atol and c in ("codes", "scale", "fine", "fine_scale", "residual"):
                    continue  # compared decoded, below
                if shown < limit:
                    out.append(f"{t}.{c}: {str(u)[:80]!r} != {str(v)[:80]!r}")
                shown += 1
        if t == "vectors" and atol and not shown:
            from ingest.quantized import decode_stored

            at = {c: k for k, c in enumerate(cols)}
            for x, y in zip(ra, rb):
                u, v = (decode_stored(*(r[at[c]] for c in ("codes", "scale", "fine", "fine_scale"))) for r in (x, y))
                if not np.allclose(u, v, rtol=0, atol=atol):
                    out.append(f"vectors: {x[at['id']]} differs by {float(np.abs(u - v).max()):.2e}")
                    shown += 1
                    break
        if shown > limit:
            out.append(f"{t}: {shown - limit} more differences")
    return out


if __name__ == "__main__":
    found = differences(sys.argv[1], sys.argv[2], atol=float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
    print("\n".join(found) or "equal")
    sys.exit(1 if found else 0)
