"""Scans and photos of forms: the format copies' PDFs rendered to page images at 150 dpi (a scan, as
an image-only PDF) and degraded like a phone photo (turned a few degrees, blurred, lit unevenly,
noisy, saved as JPEG), read by OCR, and compared with what the text PDF itself reads."""

from __future__ import annotations

import io
import random

import pytest

from ingest.readers import read_document
from ingest.readers.ocr import mend
from ingest.sections import read_declarations

from .realworld import HERE, norm

pytestmark = pytest.mark.slow

STEMS = sorted(p.stem for p in (HERE / "formats").glob("*.pdf"))


def _pages(pdf_bytes: bytes, dpi: int = 150):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_bytes)
    return [pdf[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(pdf))]


def scanned_pdf(pdf_bytes: bytes) -> bytes:
    """The pages as images in a PDF without a text layer, as a scanner makes it."""
    pages = _pages(pdf_bytes)
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=150, save_all=True, append_images=pages[1:])
    return out.getvalue()


def photographed(image, seed: int) -> bytes:
    """A phone photo of a printed page (200 dpi, about what a 12-megapixel phone gives on A4):
    turned 1.5-3°, blurred, lit from one side, noisy, JPEG."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    img = image.rotate(rng.choice((-1, 1)) * rng.uniform(1.5, 3.0), resample=Image.BICUBIC, expand=True,
                       fillcolor=(255, 255, 255))
    img = img.filter(ImageFilter.GaussianBlur(0.9))
    arr = np.asarray(img).astype(np.float32)
    h, w = arr.shape[:2]
    light = np.linspace(0.62, 1.0, w)[None, :, None] * np.linspace(0.85, 1.0, h)[:, None, None]
    arr = arr * light + np.random.default_rng(seed).normal(0, 6, arr.shape)
    out = io.BytesIO()
    Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=70)
    return out.getvalue()


def indicators(data: bytes, name: str) -> set[tuple[str, str]]:
    result = read_declarations(read_document(data, name))
    return {(norm(i.name), norm(i.value)) for d in result.declarations for i in d.indicators}


def _reading(k: int, stem: str):
    pdf = (HERE / "formats" / f"{stem}.pdf").read_bytes()
    text = indicators(pdf, f"{stem}.pdf")
    scan = indicators(scanned_pdf(pdf), f"{stem}-扫描件.pdf")
    photo = set()
    for i, page in enumerate(_pages(pdf, dpi=200)):
        photo |= indicators(photographed(page, k * 10 + i), f"{stem}-照片{i + 1}.jpg")
    return text, scan, photo


def _init_worker() -> None:
    import os

    os.environ["KB_OCR_THREADS"] = "1"  # one OCR thread per process, as kb build's workers run it


@pytest.fixture(scope="module")
def readings():
    """Per form: the indicators its text PDF reads, and those its scan and its photo read (the
    forms read in one process per core, as kb build reads files)."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    workers = min(len(STEMS), os.cpu_count() or 1)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init_worker) as pool:
        results = list(pool.map(_reading, range(len(STEMS)), STEMS))
    return dict(zip(STEMS, results))


def _share(readings, which: int) -> tuple[int, int]:
    found = sum(len(r[0] & r[which]) for r in readings.values())
    return found, sum(len(r[0]) for r in readings.values())


def test_a_scan_reads_what_its_text_pdf_reads(readings):
    found, total = _share(readings, 1)
    print(f"\nscans at 150 dpi: {found}/{total} indicators of the text PDFs ({found / total:.1%})")
    assert len(readings) >= 10 and total >= 100
    assert found >= 0.95 * total, {s: sorted(r[0] - r[1]) for s, r in readings.items() if r[0] - r[1]}


def test_a_photo_reads_most_of_it(readings):
    found, total = _share(readings, 2)
    print(f"\nphoto-like images: {found}/{total} indicators of the text PDFs ({found / total:.1%})")
    assert found >= 0.85 * total, {s: sorted(r[0] - r[2]) for s, r in readings.items() if r[0] - r[2]}


def test_a_declaration_from_a_scan_says_so():
    pdf = (HERE / "formats" / "hunan_xiangtan_01.pdf").read_bytes()
    result = read_declarations(read_document(scanned_pdf(pdf), "扫描件.pdf"))
    assert result.reader == "pdf/ocr"
    d = result.declarations[0]
    assert d.name == "雾炮车降尘抑尘服务" and 0.8 < d.ocr_confidence <= 1.0
    assert d.funds_annual == 2_500_000


def test_numbers_broken_by_recognition_are_mended():
    assert mend("781. 50万元") == "781.50万元"
    assert mend("1 260") == "1260"
    assert mend("≥95％") == "≥95%"
    assert mend("第1 2页") == "第1 2页"  # two small numbers apart stay apart
