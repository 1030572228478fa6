"""Guards against hostile files, checked before a reader inflates or lays out anything.

A 1.3 MB ``.xlsx`` can hold a sheet that inflates to 381 MB (and takes openpyxl to gigabytes), a
``.zip`` can hold a million entries, and a tiny sheet can claim a cell at XFD1048576 (which makes
openpyxl walk 17 billion empty cells). Each check reads only what the file says of itself (a zip's
central directory, a sheet's size) and raises :class:`~ingest.records.ParseError` with a Chinese
reason (:class:`TooLarge`, a ``ParseError``), so ``kb build`` records the file and goes on, and the draft page says why.

Where they are called: :func:`check_archive` by ``readers.read_document`` for every file that is a
zip archive whatever its name says (``.xlsx``, ``.docx``, ``.zip``, ``.ofd`` …) and by any reader
that opens an archive found inside another; :func:`check_grid` by a reader before it lays out a
grid whose size it has read (``readers.xlsx``). :func:`limit_process` bounds the memory and CPU time
of a process that parses files from strangers (the server's upload workers).
"""

from __future__ import annotations

import io
import zipfile

from ..records import ParseError

MAX_INFLATED = 256 * 1024 * 1024  # bytes an archive may hold once inflated, all entries together
# bytes of the entries a reader parses (XML, text: everything but pictures and fonts): openpyxl and
# python-docx take 10-25 times their size in memory and about a second per MB
MAX_PARSED = 32 * 1024 * 1024
MEDIA = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".svg", ".ttf", ".otf", ".odttf",
         ".fntdata", ".wdp", ".jfif", ".webp", ".mp3", ".mp4", ".wav", ".avi", ".mov", ".ico")
MAX_ENTRIES = 10_000  # entries in one archive (an .xlsx has about 20, a .docx with pictures a few hundred)
MAX_RATIO = 1_000  # inflated / compressed size of one entry larger than RATIO_FROM
RATIO_FROM = 1024 * 1024
MAX_CELLS = 2_000_000  # rows × columns of one sheet or table (a form has a few thousand)
ZIP_MAGIC = b"PK\x03\x04"


class TooLarge(ParseError):
    """A file refused by these guards (what it would inflate to, or its grid, passes a limit)."""


def is_archive(data: bytes) -> bool:
    return data[:4] == ZIP_MAGIC


def check_archive(data: bytes, path: str = "<input>") -> None:
    """Refuse a zip archive whose entries would inflate past :data:`MAX_INFLATED` (those a reader
    parses past :data:`MAX_PARSED`), that has more than :data:`MAX_ENTRIES` entries, or one entry
    inflating more than :data:`MAX_RATIO` times.

    Only the central directory is read. Python's ``zipfile`` (which openpyxl and python-docx use)
    never inflates an entry past the size the directory gives it, so these sizes bound the work.
    A file that is not a zip archive passes (its reader reports it).
    """
    if not is_archive(data):
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            entries = z.infolist()
    except Exception:  # noqa: BLE001 - a damaged archive (zipfile raises many kinds): its reader says why
        return
    if len(entries) > MAX_ENTRIES:
        raise TooLarge(f"{path}: 压缩包内有 {len(entries):,} 个文件，超过 {MAX_ENTRIES:,} 个的上限，未读取")
    total = sum(e.file_size for e in entries)
    parsed = sum(e.file_size for e in entries if not e.filename.lower().endswith(MEDIA))
    for size, limit, what in ((total, MAX_INFLATED, "解压后共"), (parsed, MAX_PARSED, "其中需解析的内容（表格、文字）解压后共")):
        if size > limit:
            raise TooLarge(f"{path}: {what} {_mb(size)}，超过 {_mb(limit)} 的上限"
                             f"（文件本身 {_mb(len(data))}，疑似“压缩炸弹”），未读取")
    for e in entries:
        if e.file_size > RATIO_FROM and e.file_size > MAX_RATIO * max(1, e.compress_size):
            raise TooLarge(f"{path}: 其中 {e.filename} 解压后是压缩时的 {e.file_size // max(1, e.compress_size):,} 倍"
                             "（疑似“压缩炸弹”），未读取")


def check_grid(rows: int, columns: int, path: str | None = None, what: str = "工作表") -> None:
    """Refuse a grid of more than :data:`MAX_CELLS` cells before it is laid out (the message names
    the file when ``path`` is given; ``kb build`` adds the name otherwise)."""
    if rows * columns > MAX_CELLS:
        raise TooLarge(f"{path + ': ' if path else ''}{what}有 {rows:,} 行 × {columns:,} 列，"
                         f"超过 {MAX_CELLS:,} 个单元格的上限，未读取")


def limit_process(memory_bytes: int | None = None, cpu_seconds: int | None = None) -> None:
    """Bound this process's address space and CPU time (Linux and other Unix; elsewhere nothing).

    Past the memory limit an allocation fails (``MemoryError`` in Python); past the CPU time the
    kernel stops the process (``SIGXCPU``, then ``SIGKILL``), whatever code it is in.
    """
    try:
        import resource
    except ImportError:  # not on Unix
        return
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if cpu_seconds:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MB" if n >= 1 << 20 else f"{max(1, round(n / 1024))} KB"
