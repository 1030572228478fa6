"""Store parsed declarations in kb.db: one transaction per input file, idempotent."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from . import segment
from .library import funds_band
from .migrations import DECLARATION_TEXT_COLUMNS, migrations
from .parse import PARSER_VERSION, Declaration, ParseError, ParseResult, indicator_key, parse_text, read_text


@dataclass
class SaveResult:
    path: str
    status: str  # ingested, unchanged, replaced, failed
    declarations: int = 0
    indicators: int = 0
    policies: int = 0
    warnings: int = 0
    error: str | None = None
    declaration_ids: list[str] = field(default_factory=list)


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) a knowledge base and bring its schema up to date."""
    db = Database(path)
    db.execute("pragma journal_mode=wal")
    db.execute("pragma foreign_keys=on")
    migrations.apply(db)
    return db


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def policy_id(title: str | None, doc_number: str | None) -> str:
    basis = f"doc:{doc_number}" if doc_number else f"title:{title}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


@dataclass
class Prepared:
    """A file read, parsed and segmented, ready to store; made by :func:`prepare_file` (any process)."""
    path: str
    digest: str
    size: int
    text: str | None = None
    result: ParseResult | None = None
    error: ParseError | None = None
    segments: list[dict] = field(default_factory=list)  # per declaration, see segment_declaration


def prepare_file(path: str | Path, data: bytes | None = None) -> Prepared:
    """Read, parse and segment one file. Touches no database, so it can run in a worker process."""
    path = str(path)
    if data is None:
        data = Path(path).read_bytes()
    out = Prepared(path, sha256(data), len(data))
    try:
        out.text = read_text(data, path)
        out.result = parse_text(out.text)
    except ParseError as e:
        out.error = e
        return out
    out.segments = [segment_declaration(d) for d in out.result.declarations]
    return out


def segment_declaration(d: Declaration) -> dict:
    """The jieba-segmented full-text columns of a declaration and of each of its indicators."""
    goals = " ".join(x for x in (d.goal_period, d.goal_annual) if x)
    # the indicators column: the 实施期 indicators' names and values (all of them if none is 实施期)
    shown = [i for i in d.indicators if i.period == "实施期"] or d.indicators
    seg = segment.seg_index
    return {
        "declaration": [
            seg(d.name), seg(" ".join(x for x in (d.dept_name, d.implementer) if x)), seg(d.overview), seg(d.basis),
            seg(d.necessity), seg(d.safeguards), seg(d.plan), seg(goals),
            " ".join(x for i in shown for x in (seg(i.name), seg(i.value)) if x)],
        "indicators": [(seg(i.name), seg(" ".join(x for x in (i.level1, i.level2) if x)), seg(i.value))
                       for i in d.indicators],
    }


def is_unchanged(db: Database, digest: str) -> bool:
    return db["sources"].count_where("sha256 = ?", [digest]) > 0


def ingest_file(db: Database, path: str | Path, data: bytes | None = None, fail_after_declarations: int | None = None
                ) -> SaveResult:
    """Parse one file and store it, replacing what an earlier version of the same path stored.

    Nothing is written for an unchanged file. A file that cannot be read is
    recorded in ``parse_failures`` and leaves no other rows behind.

    :param fail_after_declarations: raise after storing this many declarations (to test atomicity).
    """
    path = str(path)
    if data is None:
        data = Path(path).read_bytes()
    if is_unchanged(db, sha256(data)):
        return SaveResult(path, "unchanged")
    return store_prepared(db, prepare_file(path, data), fail_after_declarations)


def store_prepared(db: Database, prep: Prepared, fail_after_declarations: int | None = None) -> SaveResult:
    """Write a prepared file in one savepoint: its source text, declarations, indicators and search rows."""
    path, digest = prep.path, prep.digest
    if is_unchanged(db, digest):
        return SaveResult(path, "unchanged")
    if prep.error is not None:
        e = prep.error
        reason = str(e) if str(e).startswith(path) else f"{path}: {e}"
        with db.atomic():
            db["parse_failures"].delete_where("path = ? and sha256 = ?", [path, digest])
            db["parse_failures"].insert({"path": path, "sha256": digest, "line": e.line, "reason": reason,
                                         "failed_at": now()})
        return SaveResult(path, "failed", error=reason)
    text, result = prep.text, prep.result
    previous = [r["id"] for r in db.query("select id from sources where path = ?", [path])]
    source_id = digest[:16]
    out = SaveResult(path, "replaced" if previous else "ingested")
    with db.atomic():
        for old in previous:
            delete_source(db, old)
        db["parse_failures"].delete_where("path = ?", [path])
        db["sources"].insert({
            "id": source_id, "path": path, "sha256": digest, "size": prep.size, "text": text,
            "parser_version": PARSER_VERSION, "ingested_at": now(), "declarations": len(result.declarations),
            "warnings": 0,
        })
        seen: dict[str, int] = {}
        for n, decl in enumerate(result.declarations):
            if fail_after_declarations is not None and n >= fail_after_declarations:
                raise RuntimeError(f"injected failure after {n} declarations")
            base = decl.key
            seen[base] = seen.get(base, 0) + 1
            decl_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
            counts = save_declaration(db, decl, decl_id, source_id, prep.segments[n])
            out.declarations += 1
            out.indicators += counts[0]
            out.policies += counts[1]
            out.warnings += len(decl.warnings)
            out.declaration_ids.append(decl_id)
        _save_warnings(db, source_id, None, [(w.line, w.text, w.reason) for w in result.warnings])
        out.warnings += len(result.warnings)
        db["sources"].update(source_id, {"warnings": out.warnings})
        merge_policies(db)
    return out


def delete_source(db: Database, source_id: str) -> None:
    """Remove a source and everything derived from it (declarations, indicators, links, FTS rows)."""
    ids = [r["id"] for r in db.query("select id from declarations where source_id = ?", [source_id])]
    for decl_id in ids:
        delete_declaration(db, decl_id)
    db["parse_warnings"].delete_where("source_id = ?", [source_id])
    db["sources"].delete_where("id = ?", [source_id])
    db.execute("delete from policies where id not in (select policy_id from declaration_policies)")
    db.execute("delete from policies_fts where rowid not in (select rowid from policies)")


def delete_declaration(db: Database, decl_id: str) -> None:
    row = next(db.query("select rowid from declarations where id = ?", [decl_id]), None)
    if row is None:
        return
    db.execute("delete from declarations_fts where rowid = ?", [row["rowid"]])
    db.execute("delete from indicators_fts where rowid in (select rowid from indicators where declaration_id = ?)",
               [decl_id])
    for table in ("indicators", "funds", "declaration_policies"):
        db[table].delete_where("declaration_id = ?", [decl_id])
    db["parse_warnings"].delete_where("declaration_id = ?", [decl_id])
    if "embeddings" in db.table_names():
        db.execute("delete from embeddings where item_id = ? or item_id like ?", [decl_id, decl_id + ":%"])
    db["declarations"].delete_where("id = ?", [decl_id])


DECLARATION_COLUMNS = (
    "id", "name", "year", "dept_code", "dept_name", "implementer", "attribute", "category", "period_years",
    "funds_total", "funds_annual", "overview", "basis", "necessity", "safeguards", "plan", "goal_period",
    "goal_annual", "responsible", "contact", "phone", "filed_at", "title", "source_id", "first_line", "last_line",
    "pages", "indicator_count", "warning_count", "funds_band")
INDICATOR_COLUMNS = ("id", "declaration_id", "period", "level1", "level2", "name", "value", "op", "number", "unit",
                     "line", "seq", "name_norm")


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})"


def save_declaration(db: Database, d: Declaration, decl_id: str, source_id: str, segments: dict | None = None
                     ) -> tuple[int, int]:
    """Write one declaration with its funds, indicators, policy links and search rows.

    :param segments: the segmented search columns from :func:`segment_declaration`, if already made.
    """
    if segments is None:
        segments = segment_declaration(d)
    conn = db.conn
    if db["declarations"].count_where("id = ?", [decl_id]):
        # the same project already came from another file: the newest input wins
        other = db["declarations"].get(decl_id)["source_id"]
        delete_declaration(db, decl_id)
        _save_warnings(db, source_id, decl_id, [(d.first_line, d.name or "",
                                                f"replaces the same declaration from source {other}")])
    values = {
        "id": decl_id, "source_id": source_id, "indicator_count": len(d.indicators),
        "warning_count": len(d.warnings), "funds_band": funds_band(d.funds_total),
    }
    row = [values[c] if c in values else getattr(d, c) for c in DECLARATION_COLUMNS]
    rowid = conn.execute(_insert_sql("declarations", DECLARATION_COLUMNS), row).lastrowid
    conn.executemany(
        "insert into funds (declaration_id, period, source, amount) values (?, ?, ?, ?)",
        [(decl_id, period, "总额" if src == "total" else src, amount) for (period, src), amount in d.funds.items()])
    sql = _insert_sql("indicators", INDICATOR_COLUMNS)
    for seq, (ind, seg) in enumerate(zip(d.indicators, segments["indicators"])):
        irowid = conn.execute(sql, (
            f"{decl_id}:{seq}", decl_id, ind.period, ind.level1, ind.level2, ind.name, ind.value, ind.op, ind.number,
            ind.unit, ind.line, seq, indicator_key(ind.name))).lastrowid
        conn.execute("insert into indicators_fts(rowid, name, category, value) values (?, ?, ?, ?)", (irowid, *seg))
    linked: set[str] = set()
    for p in d.policies:
        pid = save_policy(db, p.title, p.doc_number)
        if pid in linked:
            continue
        linked.add(pid)
        conn.execute("insert into declaration_policies (declaration_id, policy_id, field) values (?, ?, ?)",
                     (decl_id, pid, p.field))
    _save_warnings(db, source_id, decl_id, [(w.line, w.text, w.reason) for w in d.warnings])
    conn.execute(
        "insert into declarations_fts(rowid, name, dept, overview, basis, necessity, safeguards, plan, goals, indicators)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [rowid, *segments["declaration"]])
    return len(d.indicators), len(linked)


def _save_warnings(db: Database, source_id: str, decl_id: str | None, warnings: list[tuple]) -> None:
    db.conn.executemany(
        "insert into parse_warnings (source_id, declaration_id, line, text, reason) values (?, ?, ?, ?, ?)",
        [(source_id, decl_id, *w) for w in warnings])


def save_policy(db: Database, title: str | None, doc_number: str | None) -> str:
    """Find or create a policy; a document number identifies it, a title identifies one without."""
    if doc_number:
        pid = policy_id(None, doc_number)
        existing = db["policies"].count_where("id = ?", [pid])
        if existing:
            if title:
                db.execute("update policies set title = ? where id = ? and title is null", [title, pid])
                _refresh_policy_fts(db, pid)
            return pid
    else:
        match = next(db.query("select id from policies where title = ? and doc_number is not null", [title]), None)
        if match:
            return match["id"]
        pid = policy_id(title, None)
        if db["policies"].count_where("id = ?", [pid]):
            return pid
    db["policies"].insert({"id": pid, "title": title, "doc_number": doc_number})
    _refresh_policy_fts(db, pid)
    return pid


def _refresh_policy_fts(db: Database, pid: str) -> None:
    row = next(db.query("select rowid, title, doc_number from policies where id = ?", [pid]))
    db.execute("delete from policies_fts where rowid = ?", [row["rowid"]])
    db.execute("insert into policies_fts(rowid, title, doc_number) values (?, ?, ?)",
               [row["rowid"], segment.seg_index(row["title"]), segment.seg_index(row["doc_number"])])


def merge_policies(db: Database) -> None:
    """A title first seen without a number joins the numbered policy of the same title."""
    pairs = list(db.query(
        "select t.id as title_id, n.id as number_id from policies t join policies n"
        " on t.title = n.title and t.doc_number is null and n.doc_number is not null"))
    for p in pairs:
        db.execute(
            "insert or ignore into declaration_policies(declaration_id, policy_id, field)"
            " select declaration_id, ?, field from declaration_policies where policy_id = ?",
            [p["number_id"], p["title_id"]])
        db.execute("delete from declaration_policies where policy_id = ?", [p["title_id"]])
        db.execute("delete from policies_fts where rowid = (select rowid from policies where id = ?)", [p["title_id"]])
        db.execute("delete from policies where id = ?", [p["title_id"]])


def iter_input_files(paths: list[str | Path]) -> list[Path]:
    """Expand folders into their ``.txt`` files (sorted), keep files as given."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(sorted(x for x in p.rglob("*") if x.is_file() and x.suffix.lower() in (".txt", ".tsv", ".md")))
        else:
            files.append(p)
    return files


__all__ = ["open_db", "ingest_file", "iter_input_files", "DECLARATION_TEXT_COLUMNS"]
