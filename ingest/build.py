"""The one write path: files → readers → interpreter → store → indexes. The CLI, the tests, the
benchmark and the fuzzer all build through :func:`build`.

A file is parsed in a worker process (reading and parsing touch no database), then stored in its
own savepoint, and files are committed in batches; one file that cannot be read or parsed is
recorded in ``parse_failures`` with its reason and the other files still go in. Re-running on
unchanged input changes nothing (and resumes an interrupted build); a new parser version reads
every stored file again.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from . import segment
from .form import PARSER_VERSION
from .readers import SUFFIXES, read_document, supported
from .readers.archive import is_member, members, read_member
from .readers.formats import sniff, suffix_format
from .records import ParseError, ParseResult, fingerprint
from .store import StoredFile, current_source, forget_path, record_failure, record_path, sha256, store_file
from .review import review_parsed
from .sections import read_declarations

Progress = Callable[[str, int], contextlib.AbstractContextManager]


@dataclass
class Prepared:
    """A file read, parsed and segmented, ready to store; made by :func:`prepare_file` (any process)."""
    path: str
    digest: str = ""
    size: int = 0
    text: str | None = None
    result: ParseResult | None = None
    error: str | None = None
    line: int | None = None
    segments: list[dict] = field(default_factory=list)  # per declaration, see segment.declaration_columns
    findings: list | None = None  # per declaration, the per-declaration review rules' findings
    review_seconds: float = 0.0
    prints: list[str] | None = None  # per declaration, its fingerprint (records.fingerprint)


def prepare_file(path: str | Path, data: bytes | None = None) -> Prepared:
    """Read, parse and segment one file. Touches no database, so it can run in a worker process.

    Never raises for a bad file: the reason goes into ``error`` (with the line, where known).
    """
    path = str(path)
    out = Prepared(path)
    try:
        if data is None:
            data = load(path)
        out.digest, out.size = sha256(data), len(data)
        doc = read_document(data, path)
        out.text = doc.text
        out.result = read_declarations(doc)
    except ParseError as e:
        out.error, out.line = (str(e) if str(e).startswith(path) else f"{path}: {e}"), e.line
        return out
    except OSError as e:
        out.error = f"{path}: 无法读取文件（{e.strerror or e}）"
        return out
    except Exception as e:  # noqa: BLE001 - a reader failing on a corrupt file must not stop the build
        out.error = f"{path}: 文件无法解析（{type(e).__name__}: {str(e)[:200]}）"
        return out
    out.segments = [segment.declaration_columns(d) for d in out.result.declarations]
    out.prints = [fingerprint(d) for d in out.result.declarations]
    try:
        out.findings, out.review_seconds = review_parsed(out.result.declarations, out.text)
    except Exception:  # noqa: BLE001 - a rule failing here is run again on the stored declarations
        out.findings = None
    return out


@dataclass
class BuildReport:
    db_path: str
    files: list[StoredFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not a supported format
    embedded: int = 0
    embed_error: str | None = None
    derived_refreshed: bool = False
    review: object | None = None  # a review.ReviewReport when findings were brought up to date
    review_seconds: float = 0.0  # spent on review rules during this build

    @property
    def review_form_seconds(self) -> float:
        """Of the review time, the per-declaration rules' (the rest is the corpus rules')."""
        corpus = sum(self.review.rule_seconds.values()) if self.review is not None else 0.0
        return self.review_seconds - corpus

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    @property
    def changed(self) -> bool:
        return any(f.status in ("ingested", "replaced") for f in self.files)

    @property
    def failed(self) -> list[StoredFile]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def declarations(self) -> int:
        return sum(f.declarations for f in self.files)


_DATABASE = (".db", ".db-wal", ".db-shm", ".db-journal", ".sqlite", ".sqlite3")


def load(path: str | Path) -> bytes:
    """A file's bytes, or an archive member's (``archive.zip!/folder/file.pdf``)."""
    if is_member(str(path)):
        return read_member(str(path))
    return Path(path).read_bytes()


def collect_files(paths: Iterable[str | Path],
                  refused: list[tuple[str, str]] | None = None) -> tuple[list[Path | str], list[str]]:
    """Files to build: folders expanded to their supported files (sorted) and archives to their
    members (``archive.zip!/member``); unsupported files in a folder or an archive are listed as
    skipped (databases are left out silently). A file named explicitly is always tried. Members an
    archive may not give (bombs, nested archives, ``../`` names) go to ``refused`` with the reason."""
    files: list[Path | str] = []
    skipped: list[str] = []
    refused = refused if refused is not None else []
    for p in paths:
        p = Path(p)
        candidates = [x for x in sorted(p.rglob("*")) if x.is_file() and not x.name.startswith((".", "~$"))
                      and not x.name.endswith(_DATABASE)] if p.is_dir() else [p]
        for x in candidates:
            if suffix_format(x.suffix) == "zip" or (not p.is_dir() and _looks_like_zip(x)):
                files.extend(_archive_members(x, skipped, refused))
            elif supported(x) or not p.is_dir():
                files.append(x)
            else:
                skipped.append(str(x))
    return files, skipped


def _looks_like_zip(path: Path) -> bool:
    """A file named explicitly, of no format its name says, whose bytes are a zip archive."""
    if supported(path):
        return False
    try:
        return sniff(path.read_bytes()) == "zip"
    except OSError:
        return False


def _archive_members(path: Path, skipped: list[str], refused: list[tuple[str, str]]) -> list[str]:
    try:
        data = path.read_bytes()
        found, bad, other = members(str(path), data, supported)
    except (ParseError, OSError) as e:
        refused.append((str(path), str(e) if str(e).startswith(str(path)) else f"{path}: {e}"))
        return []
    refused.extend(bad)
    skipped.extend(other)
    return [m.path for m in found]


def _null_progress(label: str, total: int):
    return contextlib.nullcontext(_NullBar())


class _NullBar:
    def update(self, n: int) -> None:
        pass


def _prepared(paths: list[Path], jobs: int, cluster=None) -> Iterator[Prepared]:
    """prepare_file over the files, in order; on a cluster's workers, or in worker processes when jobs > 1."""
    if cluster is not None:
        yield from cluster.prepare(paths)
        return
    if jobs <= 1:
        for f in paths:
            yield prepare_file(f)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs, initializer=_worker_init) as pool:
        yield from pool.map(prepare_file, paths, chunksize=1)  # the first file stored as soon as it is read


def _worker_init() -> None:
    """A parsing worker: OCR on one thread (the workers already use every core)."""
    os.environ["KB_OCR_THREADS"] = "1"


def pages_of(path: Path | str) -> int:
    """How many pages a file has (a PDF's, a TIFF's frames; 1 for anything else): the progress
    bar counts pages, the unit of work of reading and OCR."""
    from .readers.formats import suffix_format

    if is_member(str(path)) or suffix_format(Path(path).suffix) != "pdf":
        return 1
    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        n = len(pdf)
        pdf.close()
        return max(1, n)
    except Exception:  # noqa: BLE001 - a file pdfium cannot open counts as one page; the reader says why
        return 1


BATCH_FILES = 50  # files per committed batch of a build
BATCH_SECONDS = 30.0  # or at most this long


def build(db: Database, paths: Iterable[str | Path], *, embedder=None, jobs: int = 1,
          progress: Progress | None = None, fail_after_declarations: int | None = None,
          batch_files: int = BATCH_FILES, batch_seconds: float = BATCH_SECONDS, cluster=None) -> BuildReport:
    """Ingest files and folders into ``db``; derived tables and vectors are brought up to date.

    Files are committed in batches (``batch_files`` files or ``batch_seconds``, whichever comes
    first), each file in its own savepoint: a reader sees every declaration whole or not at all,
    and an interrupted build keeps what it committed, so running it again goes on where it stopped
    (stored files are unchanged). The indicator library and the corpus-wide review are refreshed at
    the end, or by the next build if this one stopped before.

    :param embedder: an :class:`~ingest.embedders.Embedder`, or None to skip vectors.
    :param jobs: parsing processes (0: one per CPU).
    :param progress: ``progress(label, total)`` returns a context manager whose value has ``update(n)``.
    :param fail_after_declarations: raise inside the first changed file after this many declarations
        (to test that a failing file leaves nothing behind).
    :param cluster: an :class:`~ingest.cluster.Cluster`: the files are read and parsed, and the
        texts embedded, on its workers; this process stores everything as a local build does.
    """
    from .library import refresh_derived
    from .ranking import common_words, refresh_word_scores, scores_stale

    progress = progress or _null_progress
    refused: list[tuple[str, str]] = []
    files, skipped = collect_files(paths, refused)
    report = BuildReport(str(db.conn.execute("pragma database_list").fetchone()[2]), skipped=skipped)
    with db.atomic():
        for path, reason in refused:  # archive members not read (bombs, nested archives, ../ names)
            record_failure(db, path, None, None, reason)
            report.files.append(StoredFile(path, "failed", error=reason))
        todo = _sort_out(db, files, report)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))  # (a cluster's workers replace them)
    batch = _Batch(db, batch_files, batch_seconds)
    weights = {str(f): pages_of(f) for f in todo}
    try:
        with progress(f"解析 {len(todo)} 个文件（{sum(weights.values())} 页）", sum(weights.values())) as bar:
            for prep in _prepared(todo, jobs, cluster):
                with batch.file():
                    stored = _store(db, prep, fail_after_declarations)
                    report.files.append(stored)
                    fail_after_declarations = None
                    if stored.status in ("ingested", "replaced"):
                        _set_state(db, "derived_stale", 1)
                        if stored.declaration_ids:
                            report.review_seconds += _review_file(db, prep, stored)
                bar.update(weights.get(prep.path, 1))
    finally:
        batch.close()
    with db.atomic():
        if report.changed or _get_state(db, "derived_stale"):
            refresh_derived(db)
            report.derived_refreshed = True
    if scores_stale(db):  # a query of common words is ranked from these (ranking.py)
        with db.atomic(), progress("全文检索常用词得分", common_words(db)) as bar:
            refresh_word_scores(db, progress=bar.update)
    if embedder is not None:
        report.embedded, report.embed_error = _embed(db, embedder, progress, cluster)
    with db.atomic():
        report.review = _review(db, embedder, report, progress)
        report.review_seconds += report.review.seconds if report.review is not None else 0.0
        _set_state(db, "derived_stale", 0)
    db.execute("pragma wal_checkpoint(truncate)")
    return report


class _Batch:
    """Commits every ``files`` files or ``seconds``; each file goes in its own savepoint."""

    def __init__(self, db: Database, files: int, seconds: float):
        self.db, self.files, self.seconds = db, max(1, files), seconds
        self.count, self.started = 0, None

    @contextlib.contextmanager
    def file(self):
        if not self.db.conn.in_transaction:
            self.db.conn.execute("BEGIN")
            self.count, self.started = 0, time.monotonic()
        with self.db.atomic():  # a savepoint: a file that fails leaves nothing of itself
            yield
        self.count += 1
        if self.count >= self.files or time.monotonic() - self.started >= self.seconds:
            self.db.conn.commit()

    def close(self) -> None:
        """Commit what was stored; an exception on the way out has already rolled back its file."""
        if self.db.conn.in_transaction:
            self.db.conn.commit()


def _set_state(db: Database, key: str, value: int) -> None:
    db.execute("insert into kb_state (key, value) values (?, ?) on conflict(key) do update set value = excluded.value",
               [key, value])


def _get_state(db: Database, key: str) -> int:
    row = db.execute("select value from kb_state where key = ?", [key]).fetchone()
    return row[0] if row else 0


def _sort_out(db: Database, files: list[Path | str], report: BuildReport) -> list[Path | str]:
    """The files to parse; unchanged, duplicate and unreadable ones are reported."""
    todo: list[Path | str] = []
    for f in files:
        path = str(f)
        try:
            digest = sha256(load(f))
        except ParseError as e:
            reason = str(e)
            record_failure(db, path, None, None, reason)
            report.files.append(StoredFile(path, "failed", error=reason))
            continue
        except OSError as e:
            reason = f"{path}: 无法读取文件（{e.strerror or e}）"
            record_failure(db, path, None, None, reason)
            report.files.append(StoredFile(path, "failed", error=reason))
            continue
        source = current_source(db, digest, PARSER_VERSION)
        if source is None:
            todo.append(f)
            continue
        held = db.execute("select 1 from source_paths where path = ? and source_id = ?",
                          [path, source["id"]]).fetchone()
        if held:
            report.files.append(StoredFile(path, "unchanged", source_id=source["id"]))
        else:
            forget_path(db, path)
            record_path(db, path, source["id"])
            report.files.append(StoredFile(path, "duplicate", source_id=source["id"],
                                           error=f"与已导入的 {source['path']} 内容相同"))
    return todo


def _store(db: Database, prep: Prepared, fail_after_declarations: int | None) -> StoredFile:
    if prep.error is not None:
        record_failure(db, prep.path, prep.digest or None, prep.line, prep.error)
        return StoredFile(prep.path, "failed", error=prep.error, line=prep.line)
    return store_file(db, prep.path, prep.digest, prep.size, prep.text, prep.result, prep.segments, PARSER_VERSION,
                      fail_after_declarations, prints=prep.prints)


def _review_file(db: Database, prep: Prepared, stored) -> float:
    """Store the findings the worker computed for the declarations written as parsed; review the
    others (stored before from another file, or given a warning while stored) from the database.
    Returns the seconds spent on review rules, the worker's included."""
    from .review import review, store_parsed_findings

    started = time.perf_counter()
    done: set[str] = set()
    if prep.findings is not None:
        kept_both = {decl_id for decl_id, _other in stored.kept_both}
        reviewed = [(decl_id, prep.result.declarations[n], prep.prints[n], prep.findings[n])
                    for n, decl_id in stored.saved if decl_id not in kept_both]
        store_parsed_findings(db, reviewed)
        done = {r[0] for r in reviewed}
    rest = [decl_id for decl_id in stored.declaration_ids if decl_id not in done]
    if rest:
        review(db, ids=rest, corpus=False)
    return prep.review_seconds + time.perf_counter() - started


def _review(db: Database, embedder, report: BuildReport, progress: Progress):
    """Findings for the declarations that changed; the corpus rules again if anything changed."""
    from .review import pending, review

    todo = pending(db)
    if not (todo or report.changed or report.embedded or _get_state(db, "derived_stale")):
        return None
    with progress("审核检查", len(todo)) as bar:
        return review(db, model=embedder.model_id if embedder is not None else None,
                      corpus=True, progress=bar.update)


def _embed(db: Database, embedder, progress: Progress, cluster=None) -> tuple[int, str | None]:
    """Vectors for new and changed items. A model that fails is reported, and what was parsed stays."""
    from .embedders import ModelUnavailable
    from .vectors import embed_pending

    encode = None
    if cluster is not None:
        from .cluster import model_name

        def encode(keys, batch_size, name=model_name(embedder)):
            return cluster.embed(name, keys, batch_size)

    try:
        pending = embed_pending(db, embedder, dry_run=True)
        if not pending:
            return 0, None
        label = "计算向量" + (f"（{embedder.precision}）" if getattr(embedder, "precision", None) else "")
        if cluster is not None:
            label = f"计算向量（集群，{cluster.workers} 个工作进程）"
        with progress(label, pending) as bar:
            return embed_pending(db, embedder, progress=bar.update, encode=encode), None
    except ModelUnavailable as e:
        return 0, str(e)
    except Exception as e:  # noqa: BLE001 - parsed declarations are kept whatever the model does
        return 0, (f"向量计算失败（{type(e).__name__}: {str(e)[:200]}）；已导入的申报表均已保存。"
                   "重建默认模型：kb model --force；或用 --no-embed 跳过向量")


__all__ = ["BuildReport", "Prepared", "SUFFIXES", "build", "collect_files", "prepare_file"]
