"""Mutations of real declaration files, as messy exports and PDF extractions damage them.

Each mutation takes the file's bytes and a ``random.Random`` and returns new bytes; they are
deterministic for a seed so a failing input can be rebuilt from (seed file, mutation, seed).
"""

from __future__ import annotations

import random

FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789%.,()"}
HALF_WIDTH = {v: k for k, v in FULL_WIDTH.items()}


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").split("\n")


def _join(lines: list[str]) -> bytes:
    return "\n".join(lines).encode("utf-8")


def drop_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    keep = [ln for ln in lines if rng.random() > rng.choice((0.02, 0.1, 0.3))]
    return _join(keep)


def duplicate_lines(data: bytes, rng: random.Random) -> bytes:
    out = []
    for ln in _lines(data):
        out.append(ln)
        if rng.random() < 0.05:
            out.append(ln)
    return _join(out)


def shuffle_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    j = min(len(lines), i + rng.randint(2, 40))
    block = lines[i:j]
    rng.shuffle(block)
    return _join(lines[:i] + block + lines[j:])


def swap_columns(data: bytes, rng: random.Random) -> bytes:
    out = []
    for ln in _lines(data):
        cells = ln.split("\t")
        if len(cells) > 2 and rng.random() < 0.3:
            a, b = rng.sample(range(len(cells)), 2)
            cells[a], cells[b] = cells[b], cells[a]
        out.append("\t".join(cells))
    return _join(out)


def merge_cells(data: bytes, rng: random.Random) -> bytes:
    """Tabs lost, as in OCR text that runs cells together."""
    text = data.decode("utf-8", "replace")
    p = rng.choice((0.3, 0.7, 1.0))
    return "".join(" " if c == "\t" and rng.random() < p else c for c in text).encode("utf-8")


def stray_tabs(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", "replace")
    return "".join(c + ("\t" if rng.random() < 0.02 else "") for c in text).encode("utf-8")


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]  # may cut a UTF-8 sequence in half


def width_digits(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", "replace")
    table = FULL_WIDTH if rng.random() < 0.5 else HALF_WIDTH
    return text.translate(table).encode("utf-8")


def split_numbers(data: bytes, rng: random.Random) -> bytes:
    """Numbers broken by the PDF extractor: ``67, 560, 000`` and digits pushed into the next cell."""
    text = data.decode("utf-8", "replace")
    out = []
    for c in text:
        out.append(c)
        if c.isdigit() and rng.random() < 0.05:
            out.append(rng.choice((", ", "\t", " ", "\n")))
    return "".join(out).encode("utf-8")


def drop_chars(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", "replace")
    return "".join(c for c in text if c in "\t\n" or rng.random() > 0.03).encode("utf-8")


def random_bytes(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 50)):
        if buf:
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def insert_garbage(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    junk = ["项目名称", "绩效指标", "一级指标\t二级指标\t三级指标\t指标值", "实施期资金总额", "≥≤%％万元",
            "《》〔〕", "\t\t\t", "<td>", "$x$", "（", "項目名稱", "0" * 400, "年度\t" * 60]
    for _ in range(rng.randint(1, 20)):
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(junk))
    return _join(lines)


def long_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    unit = rng.choice(("项目概况", "1", "\t", "测试文本，", "≥95%", lines[i] or "x"))
    count = min(rng.randint(1000, 20000), max(1, 2_000_000 // len(unit)))  # at most about 2 MB
    lines.insert(i, unit * count)
    return _join(lines)


def crlf(data: bytes, rng: random.Random) -> bytes:
    return data.replace(b"\n", rng.choice((b"\r\n", b"\r")))


def bom_and_nbsp(data: bytes, rng: random.Random) -> bytes:
    return b"\xef\xbb\xbf" + data.decode("utf-8", "replace").replace(" ", "\u00a0").replace("\t", "\u3000\t").encode()


MUTATIONS = [drop_lines, duplicate_lines, shuffle_lines, swap_columns, merge_cells, stray_tabs, truncate,
             width_digits, split_numbers, drop_chars, random_bytes, insert_garbage, long_line, crlf, bom_and_nbsp]


def mutate(data: bytes, seed: int, rounds: int | None = None) -> tuple[bytes, list[str]]:
    """Apply 1–3 random mutations; returns the bytes and the names of the mutations applied."""
    rng = random.Random(seed)
    names = []
    for _ in range(rounds or rng.randint(1, 3)):
        m = rng.choice(MUTATIONS)
        data = m(data, rng)
        names.append(m.__name__)
    return data, names


def big_file(data: bytes, size: int = 10 * 1024 * 1024) -> bytes:
    """A file of ``size`` bytes made of repeated declarations (as a bulk export of a whole region)."""
    reps = size // len(data) + 1
    return (data.rstrip(b"\n") + b"\n") * reps
