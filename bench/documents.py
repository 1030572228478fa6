"""Reading real documents: `kb build --no-embed` over the budget documents of
../shared/corpus/budget-pdfs/ in pages per second, beside poppler's `pdftotext` reading the same
files on one core in the same run (the reference); and OCR: the same build over scans (the format
copies' PDFs rendered at 150 dpi into image-only PDFs) beside the build over their text PDFs.

    python -m bench.documents            # these figures alone
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "budget-pdfs"


def distinct_pdfs(folder: Path) -> list[Path]:
    """The folder's PDFs, one per content (a build reads a file stored under two names once)."""
    seen: set[str] = set()
    out = []
    for f in sorted(folder.glob("*.pdf")):
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            out.append(f)
    return out


def page_count(files: list[Path]) -> int:
    import pypdfium2 as pdfium

    total = 0
    for f in files:
        pdf = pdfium.PdfDocument(f)
        total += len(pdf)
        pdf.close()
    return total


def has_text(path: Path) -> bool:
    """Whether any page of the PDF has a text layer (a scan has none: it is OCR's, timed apart)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        return any(pdf[i].get_textpage().count_chars() > 0 for i in range(len(pdf)))
    finally:
        pdf.close()


def pdftotext_seconds(files: list[Path], repeat: int = 2) -> float | None:
    """One core: pdftotext -layout over every file in turn, best of ``repeat`` passes."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        for f in files:
            subprocess.run([exe, "-layout", "-q", str(f), "/dev/null"], check=False)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best


def build_seconds(files: list[Path], work: Path) -> tuple[float, str]:
    """`kb build --no-embed` (one parsing process per CPU) over a folder of the files."""
    work.mkdir(parents=True, exist_ok=True)
    folder = work / "input"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for f in files:
        (folder / f.name).symlink_to(f.resolve())
    db = work / "documents.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    cmd = [str(Path(sys.executable).parent / "kb"), "build", str(db), str(folder), "--no-embed", "--silent"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    return seconds, (proc.stderr.strip().splitlines() or [""])[-1]


def run_documents(work: Path, corpus: Path = CORPUS) -> dict | None:
    if not corpus.is_dir():
        print(f"documents: no corpus at {corpus}; skipped", file=sys.stderr)
        return None
    every = distinct_pdfs(corpus)
    files = [f for f in every if has_text(f)]  # scans are read by OCR: timed by run_ocr
    pages = page_count(files)
    ref = pdftotext_seconds(files)
    seconds, summary = build_seconds(files, work)
    out = {"files": len(files), "scans_left_out": len(every) - len(files), "pages": pages,
           "build_seconds": round(seconds, 2),
           "build_pages_per_s": round(pages / seconds, 1), "summary": summary}
    if ref is None:
        out["pdftotext"] = "pdftotext not installed (Debian: apt-get install poppler-utils): no reference"
    else:
        out["pdftotext_seconds"] = round(ref, 2)
        out["pdftotext_pages_per_s"] = round(pages / ref, 1)
        out["ratio"] = round((pages / seconds) / (pages / ref), 3)
    print(f"documents: {json.dumps(out, ensure_ascii=False)}", file=sys.stderr)
    return out


def run_ocr(work: Path) -> dict:
    """`kb build --no-embed` over scans of the format copies, against the same build over their PDFs."""
    import io

    import pypdfium2 as pdfium

    sources = sorted((ROOT / "tests" / "data" / "realworld" / "formats").glob("*.pdf"))
    scans = work / "scans"
    if scans.exists():
        shutil.rmtree(scans)
    scans.mkdir(parents=True)
    pages = 0
    for f in sources:
        pdf = pdfium.PdfDocument(f)
        images = [pdf[i].render(scale=150 / 72).to_pil().convert("RGB") for i in range(len(pdf))]
        pages += len(images)
        out = io.BytesIO()
        images[0].save(out, "PDF", resolution=150, save_all=True, append_images=images[1:])
        (scans / f"{f.stem}-扫描件.pdf").write_bytes(out.getvalue())
    ocr_s, _ = build_seconds(sorted(scans.glob("*.pdf")), work / "ocr")
    text_s, _ = build_seconds(sources, work / "text")
    out = {"files": len(sources), "pages": pages, "ocr_seconds": round(ocr_s, 2),
           "ocr_pages_per_s": round(pages / ocr_s, 2), "seconds_per_page": round(ocr_s / pages, 2),
           "text_seconds": round(text_s, 2), "text_pages_per_s": round(pages / text_s, 1)}
    print(f"ocr: {json.dumps(out, ensure_ascii=False)}", file=sys.stderr)
    return out


def ocr_row(d: dict | None) -> str:
    if not d:
        return "| scans (OCR), `kb build --no-embed` (pages/s) | — | | |"
    return (f"| scans at 150 dpi (OCR), `kb build --no-embed` ({d['files']} files, {d['pages']} pages; pages/s) | "
            f"{d['ocr_pages_per_s']} ({d['seconds_per_page']} s a page) | reported | the same files' text PDFs: "
            f"{d['text_pages_per_s']} pages/s |")


def table_row(d: dict | None) -> str:
    if not d:
        return "| PDF budget documents, `kb build --no-embed` (pages/s) | — | ≥ ¼ of pdftotext | no corpus |"
    ref = (f"pdftotext -layout, one core: {d['pdftotext_pages_per_s']} pages/s; ratio {d['ratio']}"
           if "ratio" in d else d.get("pdftotext", ""))
    return (f"| PDF budget documents, `kb build --no-embed` ({d['files']} files, {d['pages']:,} pages; pages/s) | "
            f"{d['build_pages_per_s']} | ≥ ¼ of pdftotext's | {ref} |")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(table_row(run_documents(Path(tmp))))
        print(ocr_row(run_ocr(Path(tmp))))
