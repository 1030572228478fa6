"""Charts as inline SVG (no script): a histogram of an indicator's values, horizontal bar charts."""

from __future__ import annotations

from markupsafe import Markup, escape


def histogram(numbers: list[float], unit: str, bins: int = 12, width: int = 560, height: int = 160) -> Markup:
    """The distribution of an indicator's values as an inline SVG histogram."""
    lo, hi = min(numbers), max(numbers)
    if hi == lo:
        hi = lo + 1
    counts = [0] * bins
    for x in numbers:
        counts[min(bins - 1, int((x - lo) / (hi - lo) * bins))] += 1
    top = max(counts)
    bw = (width - 40) / bins
    parts = [f'<svg class="kb-chart" role="img" width="{width}" height="{height + 30}" xmlns="http://www.w3.org/2000/svg"'
             f' font-size="11"><title>{escape(unit)}：{len(numbers)} 个取值的分布</title>']
    for k, c in enumerate(counts):
        h = 0 if not c else max(2, int(height * c / top))
        x = 30 + k * bw
        left = lo + (hi - lo) * k / bins
        right = lo + (hi - lo) * (k + 1) / bins
        parts.append(f'<rect x="{x:.1f}" y="{height - h}" width="{bw - 2:.1f}" height="{h}" fill="#4a7ab8">'
                     f'<title>{left:g}–{right:g}{escape(unit)}：{c} 个</title></rect>')
        if c:
            parts.append(f'<text x="{x + bw / 2 - 4:.1f}" y="{height - h - 3}">{c}</text>')
    parts.append(f'<text x="30" y="{height + 16}">{lo:g}{escape(unit)}</text>'
                 f'<text x="{width - 10}" y="{height + 16}" text-anchor="end">{hi:g}{escape(unit)}</text></svg>')
    return Markup("".join(parts))


def bar_chart(rows: list[dict], label: str, value: str, width: int = 560, bar: int = 18) -> Markup:
    """A horizontal bar chart as inline SVG (no script), one bar per row."""
    rows = [r for r in rows if r.get(value)]
    if not rows:
        return Markup("")
    top = max(r[value] for r in rows)
    left = 200
    height = bar * len(rows) + 8
    parts = [f'<svg class="kb-chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
             f' xmlns="http://www.w3.org/2000/svg" font-size="12">']
    for k, r in enumerate(rows):
        y = 4 + k * bar
        w = max(1, int((width - left - 50) * r[value] / top))
        name = str(r[label] or "（未识别部门）")
        short = name if len(name) <= 15 else name[:14] + "…"
        parts.append(f'<text x="{left - 6}" y="{y + bar - 6}" text-anchor="end"><title>{escape(name)}</title>'
                     f'{escape(short)}</text><rect x="{left}" y="{y + 2}" width="{w}" height="{bar - 5}" fill="#4a7ab8">'
                     f'<title>{escape(name)}：{r[value]}</title></rect>'
                     f'<text x="{left + w + 4}" y="{y + bar - 6}">{r[value]}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
