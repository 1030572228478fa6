"""A synthetic corpus of N declarations derived from the shipped seed files, deterministic for a seed.

Each generated declaration starts from the text of one seed declaration, in its own layout (the
clean tab-separated export or the PDF extraction with split cells and numbers), and is perturbed:
a new project name recombined from two seed names, another city and year, another department
code, funds scaled by an integer factor (so the sources still add up), indicator quantities
rescaled, and the sentences of long narrative cells shuffled and mixed with sentences of other
declarations. Declarations are written 50 to a file, each file in one layout, so `kb build`
runs the real parsing path on them.

    python -m bench.corpus 1000 /tmp/corpus-1k
"""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ingest.form import parse_text
from ingest.form.labels import match_label

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "data").glob("*.txt"))
PER_FILE = 50

CITIES = ["太原", "大同", "朔州", "忻州", "吕梁", "晋中", "长治", "晋城", "临汾", "运城", "阳泉", "石家庄", "邯郸",
          "郑州", "洛阳", "西安", "宝鸡", "呼和浩特", "包头", "银川"]
SUFFIXES = ["", "", "项目", "专项资金", "（二期）", "补助资金", "工作经费", "建设项目", "运维经费"]
AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:, ?\d{3})+|\d{5,11})(?:\.(\d+))?(?![\d,])")
QUANTITY = re.compile(r"(?<![\d.])(\d{1,4})(家|人次|人|户|个|项|次|吨|村|台|套|所|名|辆|公里|亩|场)")
SENTENCE = re.compile(r"(?<=[。；;])")
CITY = re.compile("阳泉")


@dataclass
class SeedBlock:
    layout: str  # clean or pdf
    lines: list[str]
    name: str
    name_lines: list[int]  # indexes into lines (a form printed over several pages repeats its name)
    dept_line: int | None
    sentences: list[str]


def load_blocks() -> list[SeedBlock]:
    blocks = []
    for path in SEEDS:
        text = path.read_text("utf-8")
        layout = "pdf" if "\t项目名和\t" in text or ", " in text else "clean"
        lines = text.replace("\r\n", "\n").split("\n")
        decls = parse_text(text).declarations
        for d in decls:
            block = lines[d.first_line - 1:d.last_line]
            name_lines, dept_line = [], None
            for i, raw in enumerate(block):
                hit = match_label([c.strip() for c in raw.split("\t") if c.strip()][:4], groups=("header",))
                if hit and hit.key == "name":
                    name_lines.append(i)
                elif hit and hit.key == "dept" and dept_line is None:
                    dept_line = i
            if not name_lines or not d.name:
                continue
            sentences = [s for f in (d.overview, d.necessity, d.plan, d.goal_period) if f
                         for s in SENTENCE.split(f) if 8 <= len(s) <= 120]
            blocks.append(SeedBlock(layout, block, d.name, name_lines, dept_line, sentences))
    return blocks


def _core(name: str) -> str:
    name = re.sub(r"^(20\d\d年?(度|以后)?|阳泉(市|高新区)?)+", "", name)
    return name.strip("（）() ") or name


def _name(rng: random.Random, blocks: list[SeedBlock], city: str, year: int, n: int) -> str:
    a, b = _core(rng.choice(blocks).name), _core(rng.choice(blocks).name)
    cut_a, cut_b = max(2, len(a) // 2), max(1, len(b) // 2)
    core = a[:cut_a] + b[cut_b:] if rng.random() < 0.5 else a
    return f"{year}年{city}{core}{rng.choice(SUFFIXES)}（{n:06d}）"


def _name_line(layout: str, name: str, rng: random.Random) -> str:
    if layout == "clean":
        return f"项目名称\t{name}\t\t\t"
    # as the PDF extraction prints it: the label split, the name cut into cells
    cuts = sorted(rng.sample(range(1, len(name)), k=min(3, len(name) - 1)))
    parts = [name[i:j] for i, j in zip([0, *cuts], [*cuts, len(name)])]
    return "\t项目名和\t尔\t\t" + "\t".join(parts) + "\t"


def _scale_amount(m: re.Match, k: int) -> str:
    digits = re.sub(r"\D", "", m.group(1))
    value = int(digits) * k
    if "," in m.group(1):
        sep = ", " if ", " in m.group(1) else ","
        text = f"{value:,}".replace(",", sep)
    else:
        text = str(value)
    return text + (f".{m.group(2)}" if m.group(2) else "")


def _shuffle_sentences(cell: str, rng: random.Random, pool: list[str]) -> str:
    parts = [p for p in SENTENCE.split(cell) if p]
    if len(parts) < 2:
        return cell
    rng.shuffle(parts)
    if pool and rng.random() < 0.5:
        parts[rng.randrange(len(parts))] = rng.choice(pool)
    return "".join(parts)


def generate_declaration(blocks: list[SeedBlock], block: SeedBlock, n: int, rng: random.Random, pool: list[str]
                         ) -> list[str]:
    city, year, k = rng.choice(CITIES), rng.randint(2019, 2026), rng.randint(1, 5)
    name = _name(rng, blocks, city, year, n)
    out = []
    for i, raw in enumerate(block.lines):
        if i in block.name_lines:
            out.append(_name_line(block.layout, name, rng))
            continue
        line = CITY.sub(city, raw)
        line = line.replace("2023", str(year)).replace("2022", str(year - 1))
        if i == block.dept_line:
            line = re.sub(r"\b\d{3}\b", f"{rng.randint(100, 999)}", line, count=1)
        elif "联系电话" not in line and "填报日期" not in line:
            line = AMOUNT.sub(lambda m: _scale_amount(m, k), line)
            line = QUANTITY.sub(lambda m: f"{max(1, int(int(m.group(1)) * rng.uniform(0.5, 3)))}{m.group(2)}", line)
        cells = line.split("\t")
        cells = [_shuffle_sentences(c, rng, pool) if len(c) > 30 else c for c in cells]
        out.append("\t".join(cells))
    return out


def generate(n: int, out_dir: str | Path, seed: int = 1) -> list[Path]:
    """Write ``n`` declarations into ``out_dir`` (files of 50, clean and PDF layouts alternating)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    blocks = load_blocks()
    by_layout = {layout: [b for b in blocks if b.layout == layout] for layout in ("clean", "pdf")}
    pool = [s for b in blocks for s in b.sentences]
    rng = random.Random(seed)
    files = []
    for f, start in enumerate(range(0, n, PER_FILE)):
        layout = "clean" if f % 2 == 0 else "pdf"
        title = "# 项目支出绩效目标申报表" if layout == "clean" else ""
        lines = []
        for j in range(start, min(n, start + PER_FILE)):
            block = rng.choice(by_layout[layout])
            lines += ["", title, ""] + generate_declaration(blocks, block, j, rng, pool)
        path = out_dir / f"{layout}_{f:05d}.txt"
        path.write_text("\n".join(lines) + "\n", "utf-8")
        files.append(path)
    return files


if __name__ == "__main__":
    count, target = int(sys.argv[1]), sys.argv[2]
    written = generate(count, target, seed=int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    print(f"{count} declarations in {len(written)} files under {target}")
