"""Page geometry → rows of cells: the same for every reader that knows where each character is
(PDF text layers, OFD pages, OCR boxes). Pure: glyph boxes and ruling lines in, blocks out.

A page is read in three steps:
1. ruling lines (thin rectangles and strokes) are merged into horizontal and vertical segments,
   and the segments that touch make a table; each table's grid is cut at its lines, and the grid
   boxes not separated by a drawn line are one cell (so a cell merged over rows or columns is one
   cell, with its row and column span);
2. each character goes to the cell holding its centre; a cell's text is its lines joined (a
   vertical label printed one character per line reads 年度总体目标);
3. characters outside every table make lines of text, cut into cells where the gap between two
   characters is wide (a table printed without rules keeps its columns as cells).
Coordinates are top-down (``top`` < ``bottom``), in points.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

SNAP = 2.0  # points: lines this close are the same line
MIN_RULE = 4.0  # a segment shorter than this is a tick, not a rule (once the dashes of a line are joined)
MIN_DASH = 0.8  # a piece of a dashed line is at least this long
DASH_GAP = 4.0  # the dashes of one line are at most this far apart


@dataclass(slots=True)
class Glyph:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    conf: float = 1.0  # how sure the reading is (1.0 for a text layer; OCR's confidence for a scan)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def size(self) -> float:
        return self.bottom - self.top


@dataclass(slots=True)
class Segment:
    """A ruling line: horizontal (``pos`` is its y, from ``a`` to ``b`` in x) or vertical."""
    horizontal: bool
    pos: float
    a: float
    b: float


@dataclass
class Cell:
    row: int
    col: int
    rowspan: int
    colspan: int
    x0: float
    top: float
    x1: float
    bottom: float
    glyphs: list[Glyph] = field(default_factory=list)

    @property
    def text(self) -> str:
        return join_lines(self.glyphs)

    @property
    def conf(self) -> float | None:
        return sum(g.conf for g in self.glyphs) / len(self.glyphs) if self.glyphs else None


@dataclass
class Table:
    """A ruled table: its cells, the x of its column lines and the y of its row lines."""
    xs: list[float]
    ys: list[float]
    cells: list[Cell]
    ruled_rows: bool = True  # rows separated by drawn lines (else rows come from the text's lines)
    drawn: bool = True  # found from ruling lines (else from the text alone: readers/unruled.py)

    @property
    def top(self) -> float:
        return self.ys[0]

    @property
    def bottom(self) -> float:
        return self.ys[-1]

    @property
    def x0(self) -> float:
        return self.xs[0]

    @property
    def x1(self) -> float:
        return self.xs[-1]

    def rows(self) -> list[list[tuple[int, str]]]:
        """The table as rows of (column, text): a cell merged over columns once (in its first column),
        a cell merged over rows in every row it covers (as spreadsheets and Word tables are read)."""
        n = len(self.ys) - 1
        out: list[list[tuple[int, str]]] = [[] for _ in range(n)]
        for cell in self.cells:
            text = cell.text
            if not text:
                continue
            for r in range(cell.row, cell.row + cell.rowspan):
                out[r].append((cell.col, text))
        for row in out:
            row.sort()
        return out

    def confidences(self) -> list[float | None]:
        """Per row, the mean confidence of the characters in its cells (None for an empty row)."""
        n = len(self.ys) - 1
        sums, counts = [0.0] * n, [0] * n
        for cell in self.cells:
            for g in cell.glyphs:
                for r in range(cell.row, cell.row + cell.rowspan):
                    sums[r] += g.conf
                    counts[r] += 1
        return [sums[r] / counts[r] if counts[r] else None for r in range(n)]


@dataclass
class Line:
    """Text outside the tables: one printed line, cut into cells at wide gaps."""
    top: float
    bottom: float
    x0: float
    x1: float
    cells: list[tuple[float, str]]  # (x of the cell's start, text)
    size: float  # the characters' height: a title is printed larger
    conf: float = 1.0  # the mean confidence of its characters

    @property
    def text(self) -> str:
        return " ".join(t for _, t in self.cells)


# ------------------------------------------------------------------ text

def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def text_lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs grouped into printed lines (vertical overlap), each sorted left to right; lines top to bottom."""
    if not glyphs:
        return []
    if len(glyphs) == 1:
        return [list(glyphs)]
    order = sorted(glyphs, key=lambda g: g.top + g.bottom)  # by their centres
    lines: list[list[Glyph]] = []
    line = [order[0]]
    top, bottom = order[0].top, order[0].bottom
    for g in order[1:]:
        gt, gb = g.top, g.bottom
        overlap = (bottom if bottom < gb else gb) - (top if top > gt else gt)
        height = bottom - top if bottom - top < gb - gt else gb - gt
        if overlap > 0.5 * height:
            line.append(g)
            if gt < top:
                top = gt
            if gb > bottom:
                bottom = gb
            continue
        lines.append(line)
        line, top, bottom = [g], gt, gb
    lines.append(line)
    for ln in lines:
        ln.sort(key=lambda g: g.x0)
    return lines


def _join_run(glyphs: list[Glyph]) -> str:
    """One line's glyphs as text: a space where a gap between Latin words or numbers was printed."""
    out: list[str] = []
    prev: Glyph | None = None
    for g in glyphs:
        if prev is not None:
            gap = g.x0 - prev.x1
            if gap > 0.25 * max(g.size, prev.size) and not (_is_cjk(prev.text[-1]) or _is_cjk(g.text[0])):
                out.append(" ")
        out.append(g.text)
        prev = g
    return "".join(out)


def join_lines(glyphs: list[Glyph]) -> str:
    """A cell's text: its lines joined (Chinese wraps without a space; Latin words get one)."""
    parts: list[str] = []
    for line in text_lines(glyphs):
        text = _join_run(line).strip()
        if not text:
            continue
        if parts and not (_is_cjk(parts[-1][-1]) or _is_cjk(text[0])) and parts[-1][-1].isalpha() and text[0].isalpha():
            parts.append(" ")
        parts.append(text)
    return "".join(parts)


def split_line(glyphs: list[Glyph], gap: float | None = None) -> list[tuple[float, str]]:
    """A line of text cut into cells where two characters are far apart (``gap``, default twice
    the characters' height)."""
    if not glyphs:
        return []
    size = sorted(g.size for g in glyphs)[len(glyphs) // 2]
    limit = gap if gap is not None else 2.0 * size
    cells: list[tuple[float, str]] = []
    run: list[Glyph] = [glyphs[0]]
    for g in glyphs[1:]:
        if g.x0 - run[-1].x1 > limit:
            cells.append((run[0].x0, _join_run(run).strip()))
            run = []
        run.append(g)
    cells.append((run[0].x0, _join_run(run).strip()))
    return [(x, t) for x, t in cells if t]


# ------------------------------------------------------------------ rules

def merge_segments(segments: list[Segment]) -> list[Segment]:
    """Collinear segments that touch or overlap become one; near-equal positions snap together."""
    out: list[Segment] = []
    for horizontal in (True, False):
        group = sorted((s for s in segments if s.horizontal == horizontal), key=lambda s: (s.pos, s.a))
        # cluster by position
        clusters: list[list[Segment]] = []
        for s in group:
            if clusters and s.pos - clusters[-1][-1].pos <= SNAP:
                clusters[-1].append(s)
            else:
                clusters.append([s])
        for cluster in clusters:
            pos = sum(s.pos for s in cluster) / len(cluster)
            cluster.sort(key=lambda s: s.a)
            a, b = cluster[0].a, cluster[0].b
            for s in cluster[1:]:
                short = s.b - s.a < MIN_RULE or b - a < MIN_RULE  # dashes of one dashed line join up
                if s.a <= b + (DASH_GAP if short else SNAP):
                    b = max(b, s.b)
                else:
                    if b - a >= MIN_RULE:
                        out.append(Segment(horizontal, pos, a, b))
                    a, b = s.a, s.b
            if b - a >= MIN_RULE:
                out.append(Segment(horizontal, pos, a, b))
    return out


def _touch(h: Segment, v: Segment, tol: float = SNAP + 1) -> bool:
    return h.a - tol <= v.pos <= h.b + tol and v.a - tol <= h.pos <= v.b + tol


def _groups(segments: list[Segment]) -> list[list[Segment]]:
    """Segments that touch, directly or through others: one group per table."""
    hs = [s for s in segments if s.horizontal]
    vs = [s for s in segments if not s.horizontal]
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    vs_sorted = sorted(range(len(vs)), key=lambda j: vs[j].pos)
    v_pos = [vs[j].pos for j in vs_sorted]
    for i, h in enumerate(hs):
        lo = bisect.bisect_left(v_pos, h.a - SNAP - 1)
        hi = bisect.bisect_right(v_pos, h.b + SNAP + 1)
        for k in range(lo, hi):
            j = vs_sorted[k]
            if _touch(h, vs[j]):
                a, b = find(i), find(len(hs) + j)
                if a != b:
                    parent[a] = b
    groups: dict[int, list[Segment]] = {}
    for i, s in enumerate(hs + vs):
        groups.setdefault(find(i), []).append(s)
    return list(groups.values())


def _cluster(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= SNAP:
            continue
        out.append(v)
    return out


def _covered(segments: list[tuple[float, float]], a: float, b: float) -> bool:
    """Whether the union of ``segments`` covers most of [a, b]."""
    need = (b - a) * 0.6
    got = 0.0
    for s0, s1 in segments:
        lo, hi = max(s0, a), min(s1, b)
        if hi > lo:
            got += hi - lo
    return got >= need


def build_table(group: list[Segment]) -> Table | None:
    """The cells of one group of touching rules, or None if they do not make a table (an underline,
    a frame around a page of text)."""
    hs = [s for s in group if s.horizontal]
    vs = [s for s in group if not s.horizontal]
    if len(vs) < 2 or len(hs) < 1:
        return None
    xs = _cluster([v.pos for v in vs])
    ys = _cluster([h.pos for h in hs] + [v.a for v in vs] + [v.b for v in vs])
    if len(xs) < 2 or len(ys) < 2:
        return None
    # the drawn parts of each column line and row line
    vlines: list[list[tuple[float, float]]] = [[] for _ in xs]
    for v in vs:
        vlines[_nearest(xs, v.pos)].append((v.a, v.b))
    hlines: dict[int, list[tuple[float, float]]] = {}
    for h in hs:
        hlines.setdefault(_nearest(ys, h.pos), []).append((h.a, h.b))
    nx, ny = len(xs) - 1, len(ys) - 1
    parent = list(range(nx * ny))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for j in range(ny):
        y0, y1 = ys[j], ys[j + 1]
        for i in range(nx):
            if i + 1 < nx and not _covered(vlines[i + 1], y0, y1):
                a, b = find(j * nx + i), find(j * nx + i + 1)
                if a != b:
                    parent[a] = b
            if j + 1 < ny and not _covered(hlines.get(j + 1, []), xs[i], xs[i + 1]):
                a, b = find(j * nx + i), find((j + 1) * nx + i)
                if a != b:
                    parent[a] = b
    spans: dict[int, list[int]] = {}
    for j in range(ny):
        for i in range(nx):
            r = find(j * nx + i)
            s = spans.get(r)
            if s is None:
                spans[r] = [i, j, i, j]
            else:
                s[0], s[1], s[2], s[3] = min(s[0], i), min(s[1], j), max(s[2], i), max(s[3], j)
    cells = [Cell(j0, i0, j1 - j0 + 1, i1 - i0 + 1, xs[i0], ys[j0], xs[i1 + 1], ys[j1 + 1])
             for i0, j0, i1, j1 in spans.values()]
    ruled_rows = sum(1 for k in range(1, ny) if k in hlines) >= 1 or ny == 1
    return Table(xs, ys, cells, ruled_rows)


def _nearest(values: list[float], v: float) -> int:
    k = bisect.bisect_left(values, v)
    if k == len(values) or (k > 0 and v - values[k - 1] < values[k] - v):
        k -= 1
    return k


# ------------------------------------------------------------------ a page

@dataclass
class PageLayout:
    """What a page holds, top to bottom: tables and lines of text."""
    blocks: list[Table | Line]
    width: float
    height: float


def layout_page(glyphs: list[Glyph], segments: list[Segment], width: float, height: float,
                carry: list[float] | None = None) -> PageLayout:
    """Tables from the page's rules, their cells filled with the glyphs inside them, and the other
    glyphs as lines of text. ``carry``: the columns of a table printed without rules that ended the
    page before, which this page's first lines may continue."""
    tables: list[Table] = []
    for group in _groups(merge_segments(segments)):
        table = build_table(group)
        if table is not None and _plausible(table, width, height):
            tables.append(table)
    tables.sort(key=lambda t: t.top)
    free: list[Glyph] = []
    index = [(t, {(i, j): c for c in t.cells for i in range(c.col, c.col + c.colspan)
                  for j in range(c.row, c.row + c.rowspan)}) for t in tables]
    for g in glyphs:
        x, y = g.cx, g.cy
        for table, boxes in index:
            if table.x0 <= x <= table.x1 and table.top <= y <= table.bottom:
                i = min(max(bisect.bisect_right(table.xs, x) - 1, 0), len(table.xs) - 2)
                j = min(max(bisect.bisect_right(table.ys, y) - 1, 0), len(table.ys) - 2)
                boxes[(i, j)].glyphs.append(g)
                break
        else:
            free.append(g)
    free_lines = _overflow(tables, text_lines(free), index)
    from .unruled import find_tables  # (it builds on this module's cells and tables)

    unruled, free_lines = find_tables(free_lines, tables, carry)
    blocks: list[Table | Line] = list(unruled)
    for table in tables:
        if not table.ruled_rows:
            table = split_rows(table)
        else:
            table = split_bands(table)
        if any(c.glyphs for c in table.cells):
            blocks.append(table)
    for line in free_lines:
        cells = split_line(line)
        if cells:
            size = sorted(g.size for g in line)[len(line) // 2]
            blocks.append(Line(min(g.top for g in line), max(g.bottom for g in line), line[0].x0, line[-1].x1,
                               cells, size, sum(g.conf for g in line) / len(line)))
    blocks.sort(key=lambda b: b.top)
    return PageLayout(blocks, width, height)


def _overflow(tables: list[Table], lines: list[list[Glyph]], index) -> list[list[Glyph]]:
    """Lines printed just below a table, inside one of its columns, are the last row's cell running
    over the table's bottom line (a long goal in a merged cell): they go back into that cell."""
    if not tables:
        return lines
    kept: list[list[Glyph]] = []
    below: dict[int, float] = {}  # table → the bottom of what was added under it
    for line in lines:
        top, bottom = min(g.top for g in line), max(g.bottom for g in line)
        x0, x1 = line[0].x0, line[-1].x1
        size = bottom - top
        placed = False
        for k, (table, boxes) in enumerate(index):
            edge = below.get(k, table.bottom)
            if not (0 <= top - edge + 1 <= 0.8 * size) or x0 < table.x0 or x1 > table.x1:
                continue
            i = bisect.bisect_right(table.xs, x0) - 1
            if i < 0 or i >= len(table.xs) - 1 or x1 > table.xs[i + 1] + 1:
                continue
            cell = boxes.get((i, len(table.ys) - 2))
            if cell is None or not cell.glyphs:
                continue
            cell.glyphs.extend(line)
            below[k] = bottom
            placed = True
            break
        if not placed:
            kept.append(line)
    return kept


def _plausible(table: Table, width: float, height: float) -> bool:
    """Not a frame around the page or a box around one paragraph: a table has two columns at least."""
    if table.x1 - table.x0 < 20 or table.bottom - table.top < 8:
        return False
    return len(table.xs) >= 3 or len(table.ys) >= 3


def split_rows(table: Table) -> Table:
    """A table ruled only between its columns: its rows are the lines of text, a line starting a row
    where the first column that has text on it starts a new entry (a cell's text wrapped over
    several lines stays one cell)."""
    glyphs = [(c, g) for c in table.cells for g in c.glyphs]
    if not glyphs:
        return table
    lines = text_lines([g for _, g in glyphs])
    owner = {id(g): c for c, g in glyphs}
    ncols = len(table.xs) - 1
    rows: list[dict[int, list[Glyph]]] = []
    for line in lines:
        by_col: dict[int, list[Glyph]] = {}
        for g in line:
            by_col.setdefault(owner[id(g)].col, []).append(g)
        # a line continues the previous row when it has nothing in a column the row filled on its
        # first line and the previous row's cells in its columns are still open
        if rows and _continues(rows[-1], by_col):
            for col, gs in by_col.items():
                rows[-1].setdefault(col, []).extend(gs)
        else:
            rows.append(by_col)
    ys = [table.top] + [max(g.bottom for gs in row.values() for g in gs) for row in rows[:-1]] + [table.bottom]
    cells = []
    for r, row in enumerate(rows):
        for col in range(ncols):
            gs = row.get(col, [])
            cells.append(Cell(r, col, 1, 1, table.xs[col], ys[r], table.xs[col + 1], ys[r + 1], gs))
    return Table(table.xs, ys, cells, True)


def split_bands(table: Table) -> Table:
    """A band between two rules holding several rows printed top-aligned without a rule between
    them (a key-project list ruled only under its header): cut where the column with the fewest
    lines starts a line that other columns start a line beside too."""
    n = len(table.ys) - 1
    cuts: dict[int, list[float]] = {}
    by_row: dict[int, list[Cell]] = {}
    for c in table.cells:
        if c.rowspan == 1 and c.glyphs:
            by_row.setdefault(c.row, []).append(c)
    for j in range(n):
        band = by_row.get(j, [])
        if len(band) < 2 or sum(1 for c in band if _lines_at_least(c.glyphs, 2)) < 2:
            continue  # rows need two columns of several lines
        tops = {id(c): [min(g.top for g in line) for line in text_lines(c.glyphs)] for c in band}
        anchor = min(band, key=lambda c: (len(tops[id(c)]), c.col))
        starts = tops[id(anchor)]
        if len(starts) < 2:
            continue
        size = sorted(g.size for g in anchor.glyphs)[len(anchor.glyphs) // 2]
        # a second column printing one line per row at the same heights (an amount beside a name):
        # otherwise the lines are one cell's text wrapped, not rows
        twins = [c for c in band if c is not anchor and len(tops[id(c)]) == len(starts)
                 and all(abs(t - s) <= 0.4 * size for t, s in zip(tops[id(c)], starts))]
        if twins:
            cuts[j] = starts[1:]
    if not cuts:
        return table
    ys: list[float] = []
    new_row: dict[int, int] = {}  # band → its first row in the new grid
    for j in range(n):
        new_row[j] = len(ys)
        ys.append(table.ys[j])
        for start in cuts.get(j, []):
            ys.append(start - 0.5)
    ys.append(table.ys[-1])
    cells: list[Cell] = []
    for c in table.cells:
        r0 = new_row[c.row]
        r1 = new_row[c.row + c.rowspan - 1] + len(cuts.get(c.row + c.rowspan - 1, []))
        if c.rowspan == 1 and c.row in cuts:
            bounds = [table.ys[c.row]] + [s - 0.5 for s in cuts[c.row]] + [table.ys[c.row + 1]]
            for k in range(len(bounds) - 1):
                mine = [g for g in c.glyphs if bounds[k] <= g.top + 0.1 < bounds[k + 1] or
                        (k == 0 and g.top < bounds[0])]
                cells.append(Cell(r0 + k, c.col, 1, c.colspan, c.x0, bounds[k], c.x1, bounds[k + 1], mine))
            continue
        cells.append(Cell(r0, c.col, r1 - r0 + 1, c.colspan, c.x0, ys[r0], c.x1, ys[r1 + 1], c.glyphs))
    return Table(table.xs, ys, cells, True)


def _lines_at_least(glyphs: list[Glyph], k: int) -> bool:
    """Whether the glyphs lie on ``k`` printed lines or more (cheap: their heights, not their lines)."""
    if k <= 1:
        return bool(glyphs)
    size = min(g.size for g in glyphs)
    return max(g.top for g in glyphs) - min(g.top for g in glyphs) >= 0.8 * size


def _continues(row: dict[int, list[Glyph]], line: dict[int, list[Glyph]]) -> bool:
    """A line with nothing in the row's first filled column continues that row (wrapped text)."""
    first = min(row)
    return first not in line
