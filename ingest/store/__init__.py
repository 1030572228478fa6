"""Storage: the only code that writes the base tables of kb.db (sources, declarations, indicators,
funds, policies and their search rows). A file is stored or removed as a whole, in one savepoint.

Identity: a declaration's id is a hash of (year, department, project name), so the same project
re-exported keeps its id. The same declaration in a second file is stored once, with both files
recorded as its sources; a different declaration with the same (year, department, name) from
another file is kept too, under an id that includes its file's hash, and both are reported. A form
whose name or department could not be read gets an id from its file's hash and line, so it can
never collide with another.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from .. import segment
from ..profiles import pack_words
from ..records import DECLARATION_FIELDS, Declaration, ParseResult, fingerprint
from ..text import compact, indicator_key
from ..form.categories import canonical_category
from .migrations import migrations


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) a knowledge base and bring its schema up to date."""
    db = Database(path)
    db.execute("pragma journal_mode=wal")
    # in WAL mode NORMAL keeps the file consistent after a crash (the last commit may be lost)
    db.execute("pragma synchronous=normal")
    db.execute("pragma foreign_keys=on")
    # 64 MB of page cache (SQLite's default is 2 MB): a province's indexes are hundreds of MB, and
    # storing and reviewing each file touch pages all over them
    db.execute("pragma cache_size=-65536")
    migrations.apply(db)
    return db


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hash16(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def policy_id(title: str | None, doc_number: str | None) -> str:
    return _hash16(f"doc:{doc_number}" if doc_number else f"title:{title}")


def declaration_key(d: Declaration, digest: str) -> str:
    """The stable id of a declaration: (year, department, name) when the form printed them, else
    the file's hash and the form's first line (an unreadable header never merges two forms)."""
    name = compact(d.name or "")
    dept = d.dept_code or compact(d.dept_name or "")
    if name and dept:
        return _hash16(f"{d.year}|{dept}|{name}")
    return _hash16(f"{digest}|{d.first_line}|{name}")


# Upper bounds in yuan and the label of each band; the last band has no upper bound.
FUNDS_BANDS = (
    (100_000, "1 <10万"),
    (500_000, "2 10万–50万"),
    (1_000_000, "3 50万–100万"),
    (5_000_000, "4 100万–500万"),
    (10_000_000, "5 500万–1000万"),
    (100_000_000, "6 1000万–1亿"),
    (None, "7 ≥1亿"),
)


def funds_band(amount: float | None) -> str | None:
    """The band label of a funds total (labels start with a digit so they sort by size)."""
    if amount is None:
        return None
    for upper, label in FUNDS_BANDS:
        if upper is None or amount < upper:
            return label
    return None


@dataclass
class StoredFile:
    """What storing one file did."""
    path: str
    status: str  # ingested, replaced, unchanged, duplicate (same bytes as a stored file), failed
    outcome: str | None = None  # a whole document: what came of it (无项目绩效目标表 …)
    pages: int | None = None
    source_id: str | None = None
    reader: str | None = None
    declarations: int = 0
    indicators: int = 0
    policies: int = 0
    warnings: int = 0
    error: str | None = None
    line: int | None = None
    declaration_ids: list[str] = field(default_factory=list)
    same_as: list[tuple[str, str]] = field(default_factory=list)  # (id, other path): stored once, two sources
    kept_both: list[tuple[str, str]] = field(default_factory=list)  # (id, other path): same project, differs
    saved: list[tuple[int, str]] = field(default_factory=list)  # (record index, id) written as parsed


def rows_by_ids(db: Database, sql: str, ids, batch: int = 500):
    """The rows of ``sql`` (whose ``{ids}`` stands for the placeholders of ``id in (...)``) for these
    ids, asked in batches that stay under SQLite's limit on parameters."""
    ids = list(ids)
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        yield from db.execute(sql.format(ids=",".join("?" * len(chunk))), chunk)


def current_source(db: Database, digest: str, parser_version: int) -> dict | None:
    """The stored source with these bytes, if the current parser read it."""
    return next(db.query("select id, path from sources where sha256 = ? and parser_version = ?",
                         [digest, parser_version]), None)


def record_path(db: Database, path: str, source_id: str) -> None:
    """Remember that a stored file was also seen under ``path``."""
    db.execute("insert or replace into source_paths (path, source_id, seen_at) values (?, ?, ?)",
               [path, source_id, now()])


def record_failure(db: Database, path: str, digest: str | None, line: int | None, reason: str) -> None:
    with db.atomic():
        db["parse_failures"].delete_where("path = ?", [path])
        db["parse_failures"].insert({"path": path, "sha256": digest, "line": line, "reason": reason,
                                     "failed_at": now()})


def forget_path(db: Database, path: str) -> None:
    """``path`` now holds something else: drop its old source unless another path still holds it."""
    row = next(db.query("select source_id from source_paths where path = ?", [path]), None)
    if row is None:
        return
    db.execute("delete from source_paths where path = ?", [path])
    others = db.execute("select path from source_paths where source_id = ? order by path limit 1",
                        [row["source_id"]]).fetchone()
    if others is None:
        delete_source(db, row["source_id"])
    else:
        db.execute("update sources set path = ? where id = ? and path = ?", [others[0], row["source_id"], path])


def store_file(db: Database, path: str, digest: str, size: int, text: str, result: ParseResult,
               segments: list[dict], parser_version: int, fail_after_declarations: int | None = None,
               prints: list[str] | None = None) -> StoredFile:
    """Write one parsed file in one savepoint: its source text, declarations, indicators and search rows.

    Whatever this path held before is replaced; a stored file with the same bytes read by an
    older parser version is read again.

    :param segments: per declaration, the segmented search columns (see ``segment.declaration_columns``).
    :param fail_after_declarations: raise after storing this many declarations (to test atomicity).
    :param prints: per declaration, its fingerprint if already computed (by a parsing worker).
    """
    replaced = db.execute("select 1 from source_paths where path = ?", [path]).fetchone() is not None
    out = StoredFile(path, "replaced" if replaced else "ingested", reader=result.reader, outcome=result.outcome,
                     pages=result.pages)
    with db.atomic():
        forget_path(db, path)
        db["parse_failures"].delete_where("path = ?", [path])
        source_id = digest[:16]
        old = db.execute("select 1 from sources where id = ?", [source_id]).fetchone()
        if old is not None:  # the same bytes, read by an older parser: read again
            paths = [r[0] for r in db.execute("select path from source_paths where source_id = ?", [source_id])]
            delete_source(db, source_id)
        else:
            paths = []
        db["sources"].insert({
            "id": source_id, "path": path, "sha256": digest, "size": size, "text": text,
            "parser_version": parser_version, "ingested_at": now(), "declarations": len(result.declarations),
            "warnings": 0, "reader": result.reader, "pages": result.pages, "outcome": result.outcome,
        })
        for p in {path, *paths}:
            record_path(db, p, source_id)
        out.source_id = source_id
        seen: dict[str, int] = {}
        for n, decl in enumerate(result.declarations):
            if fail_after_declarations is not None and n >= fail_after_declarations:
                raise RuntimeError(f"injected failure after {n} declarations")
            base = declaration_key(decl, digest)
            seen[base] = seen.get(base, 0) + 1
            decl_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
            print_ = prints[n] if prints else fingerprint(decl)
            existing = db.execute("select d.fingerprint, s.path from declarations d join sources s"
                                  " on s.id = d.source_id where d.id = ?", [decl_id]).fetchone()
            if existing is not None and existing[0] == print_:
                db.execute("insert or ignore into declaration_sources values (?, ?, ?, ?)",
                           [decl_id, source_id, decl.first_line, decl.last_line])
                out.same_as.append((decl_id, existing[1]))
                out.declaration_ids.append(decl_id)
                continue
            if existing is not None:
                other = existing[1]
                decl_id = _hash16(f"{decl_id}|{digest}")
                decl.warnings.append(_same_project_warning(decl, other))
                out.kept_both.append((decl_id, other))
            counts = save_declaration(db, decl, decl_id, source_id, segments[n], print_)
            if existing is None:
                out.saved.append((n, decl_id))
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


def _same_project_warning(decl: Declaration, other_path: str):
    from ..records import Warning

    return Warning(decl.first_line, decl.name or "",
                   f"同一项目（年度、部门、名称相同）另有一份内容不同的申报表（{other_path}），两份均已保留")


def delete_source(db: Database, source_id: str) -> None:
    """Remove a source and what only it holds (declarations, indicators, links, search rows, vectors).

    A declaration also read from another file stays, now credited to that file.
    """
    for (decl_id,) in db.execute("select declaration_id from declaration_sources where source_id = ?",
                                 [source_id]).fetchall():
        db.execute("delete from declaration_sources where declaration_id = ? and source_id = ?", [decl_id, source_id])
        other = db.execute("select source_id, first_line, last_line from declaration_sources where declaration_id = ?"
                           " order by source_id limit 1", [decl_id]).fetchone()
        if other is None:
            delete_declaration(db, decl_id)
        else:
            db.execute("update declarations set source_id = ?, first_line = ?, last_line = ? where id = ?"
                       " and source_id = ?", [*other, decl_id, source_id])
    db["parse_warnings"].delete_where("source_id = ? and declaration_id is null", [source_id])
    db.execute("update parse_warnings set source_id = (select source_id from declarations d where d.id ="
               " parse_warnings.declaration_id) where source_id = ?", [source_id])
    db["source_paths"].delete_where("source_id = ?", [source_id])
    db["sources"].delete_where("id = ?", [source_id])
    db.execute("delete from policies where id not in (select policy_id from declaration_policies)")
    db.execute("delete from policies_fts where rowid not in (select rowid from policies)")


def delete_declaration(db: Database, decl_id: str) -> None:
    row = db.execute("select rowid from declarations where id = ?", [decl_id]).fetchone()
    if row is None:
        return
    db.execute("delete from declarations_fts where rowid = ?", [row[0]])
    db.execute("delete from indicators_fts where rowid in (select rowid from indicators where declaration_id = ?)",
               [decl_id])
    for table in ("indicators", "funds", "declaration_policies", "declaration_sources", "parse_warnings"):
        db[table].delete_where("declaration_id = ?", [decl_id])
    if "embeddings" in db.table_names():
        db.execute("delete from embeddings where declaration_id = ?", [decl_id])
    if "findings" in db.table_names():
        db.execute("delete from findings where declaration_id = ?", [decl_id])
    db.execute("delete from similarity_profiles where declaration_id = ?", [decl_id])
    db["declarations"].delete_where("id = ?", [decl_id])


DECLARATION_COLUMNS = ("id", *DECLARATION_FIELDS, "source_id", "indicator_count", "warning_count", "funds_band",
                       "fingerprint", "funds")
INDICATOR_COLUMNS = ("id", "declaration_id", "period", "level1", "level2", "name", "value", "op", "number", "unit",
                     "line", "seq", "name_norm", "weight", "nature", "standard", "level2_norm")


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})"


def save_declaration(db: Database, d: Declaration, decl_id: str, source_id: str, segments: dict,
                     print_: str | None = None) -> tuple[int, int]:
    """Write one declaration with its funds, indicators, policy links and search rows.

    :param segments: the segmented search columns (``segment.declaration_columns``).
    :returns: (indicators, policies) written.
    """
    conn = db.conn
    amount = d.funds_total if d.funds_total is not None else d.funds_annual  # the total the form has
    values = {
        "id": decl_id, "source_id": source_id, "indicator_count": len(d.indicators),
        "warning_count": len(d.warnings), "funds_band": funds_band(amount), "funds": amount,
        "fingerprint": print_ or fingerprint(d),
    }
    row = [values[c] if c in values else getattr(d, c) for c in DECLARATION_COLUMNS]
    rowid = conn.execute(_insert_sql("declarations", DECLARATION_COLUMNS), row).lastrowid
    conn.execute("insert into declaration_sources values (?, ?, ?, ?)", [decl_id, source_id, d.first_line,
                                                                         d.last_line])
    conn.executemany(
        "insert into funds (declaration_id, period, source, amount, printed) values (?, ?, ?, ?, ?)",
        [(decl_id, period, "总额" if src == "total" else src, amount, d.funds_printed.get((period, src)))
         for (period, src), amount in d.funds.items()])
    if d.indicators:
        # explicit rowids, so the indicators and their search rows go in as two batches
        base = (conn.execute("select max(rowid) from indicators").fetchone()[0] or 0) + 1
        conn.executemany(_insert_sql("indicators", ("rowid", *INDICATOR_COLUMNS)), [(
            base + seq, f"{decl_id}:{seq}", decl_id, ind.period, ind.level1, ind.level2, ind.name, ind.value, ind.op,
            ind.number, ind.unit, ind.line, seq, indicator_key(ind.name), ind.weight, ind.nature, ind.standard,
            canonical_category(ind.level2)) for seq, ind in enumerate(d.indicators)])
        conn.executemany("insert into indicators_fts(rowid, name, category, value) values (?, ?, ?, ?)",
                         [(base + seq, *seg) for seq, seg in enumerate(segments["indicators"])])
    linked: set[str] = set()
    policy_segments = segments.get("policies") or [None] * len(d.policies)
    for p, seg in zip(d.policies, policy_segments):
        pid = save_policy(db, p.title, p.doc_number, seg)
        if pid in linked:
            continue
        linked.add(pid)
        conn.execute("insert into declaration_policies (declaration_id, policy_id, field) values (?, ?, ?)",
                     (decl_id, pid, p.field))
    _save_warnings(db, source_id, decl_id, [(w.line, w.text, w.reason) for w in d.warnings])
    conn.execute(
        "insert into declarations_fts(rowid, name, dept, overview, basis, necessity, safeguards, plan, goals, indicators)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [rowid, *segments["declaration"]])
    prof = segments.get("profile")
    if prof is not None:
        conn.execute("insert or replace into similarity_profiles (declaration_id, terms, weights, function, spending,"
                     " goal_simhash, subfunction, dept) values (?, ?, ?, ?, ?, ?, ?, ?)",
                     [decl_id, *pack_words(prof["words"]), prof["function"], prof["spending"],
                      prof.get("goal_simhash"), prof.get("subfunction"), d.dept_name])
    return len(d.indicators), len(linked)


def _save_warnings(db: Database, source_id: str, decl_id: str | None, warnings: list[tuple]) -> None:
    db.conn.executemany(
        "insert into parse_warnings (source_id, declaration_id, line, text, reason) values (?, ?, ?, ?, ?)",
        [(source_id, decl_id, *w) for w in warnings])


def save_policy(db: Database, title: str | None, doc_number: str | None,
                segments: tuple[str, str] | None = None) -> str:
    """Find or create a policy; a document number identifies it, a title identifies one without.

    :param segments: the segmented (title, doc_number), when the parsing worker computed them.
    """
    if doc_number:
        pid = policy_id(None, doc_number)
        if db.execute("select 1 from policies where id = ?", [pid]).fetchone():
            if title and db.execute("update policies set title = ? where id = ? and title is null",
                                    [title, pid]).rowcount:
                _refresh_policy_fts(db, pid, segments)
            return pid
    else:
        match = db.execute("select id from policies where title = ? and doc_number is not null", [title]).fetchone()
        if match:
            return match[0]
        pid = policy_id(title, None)
        if db.execute("select 1 from policies where id = ?", [pid]).fetchone():
            return pid
    db.execute("insert into policies (id, title, doc_number) values (?, ?, ?)", [pid, title, doc_number])
    _refresh_policy_fts(db, pid, segments)
    return pid


def _refresh_policy_fts(db: Database, pid: str, segments: tuple[str, str] | None = None) -> None:
    """The policy's full-text row; ``segments`` (its segmented title and number) are used when they
    were computed for exactly the stored title and number."""
    rowid, title, doc_number = db.execute("select rowid, title, doc_number from policies where id = ?",
                                          [pid]).fetchone()
    if segments is None:
        segments = (segment.seg_index(title), segment.seg_index(doc_number))
    db.execute("delete from policies_fts where rowid = ?", [rowid])
    db.execute("insert into policies_fts(rowid, title, doc_number) values (?, ?, ?)", [rowid, *segments])


def merge_policies(db: Database) -> None:
    """A title first seen without a number joins the numbered policy of the same title."""
    pairs = db.execute(
        "select t.id, n.id from policies t join policies n"
        " on t.title = n.title and t.doc_number is null and n.doc_number is not null").fetchall()
    for title_id, number_id in pairs:
        db.execute(
            "insert or ignore into declaration_policies(declaration_id, policy_id, field)"
            " select declaration_id, ?, field from declaration_policies where policy_id = ?", [number_id, title_id])
        db.execute("delete from declaration_policies where policy_id = ?", [title_id])
        db.execute("delete from policies_fts where rowid = (select rowid from policies where id = ?)", [title_id])
        db.execute("delete from policies where id = ?", [title_id])
