"""Schema of kb.db, as append-only migrations (never edit one that has shipped)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("budget_kb")

DECLARATION_TEXT_COLUMNS = ("overview", "basis", "necessity", "safeguards", "plan", "goal_period", "goal_annual")


@migrations()
def m001_create_tables(db: Database) -> None:
    db["sources"].create(
        {"id": str, "path": str, "sha256": str, "size": int, "text": str, "parser_version": int,
         "ingested_at": str, "declarations": int, "warnings": int},
        pk="id",
    )
    db["sources"].create_index(["path"])
    db["sources"].create_index(["sha256"])
    db["declarations"].create(
        {
            "id": str, "name": str, "year": int, "dept_code": str, "dept_name": str, "implementer": str,
            "attribute": str, "category": str, "period_years": int, "funds_total": float, "funds_annual": float,
            "overview": str, "basis": str, "necessity": str, "safeguards": str, "plan": str,
            "goal_period": str, "goal_annual": str, "responsible": str, "contact": str, "phone": str,
            "filed_at": str, "title": str, "source_id": str, "first_line": int, "last_line": int, "pages": int,
            "indicator_count": int, "warning_count": int,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
    )
    for cols in (["source_id"], ["dept_code"], ["year"], ["attribute"]):
        db["declarations"].create_index(cols)
    db["funds"].create(
        {"declaration_id": str, "period": str, "source": str, "amount": float},
        pk=("declaration_id", "period", "source"),
        foreign_keys=[("declaration_id", "declarations", "id")],
    )
    db["indicators"].create(
        {"id": str, "declaration_id": str, "period": str, "level1": str, "level2": str, "name": str,
         "value": str, "op": str, "number": float, "unit": str, "line": int, "seq": int},
        pk="id",
        foreign_keys=[("declaration_id", "declarations", "id")],
    )
    for cols in (["declaration_id"], ["level1", "level2"], ["name"], ["unit"]):
        db["indicators"].create_index(cols)
    db["policies"].create({"id": str, "title": str, "doc_number": str}, pk="id")
    db["policies"].create_index(["doc_number"])
    db["policies"].create_index(["title"])
    db["declaration_policies"].create(
        {"declaration_id": str, "policy_id": str, "field": str},
        pk=("declaration_id", "policy_id"),
        foreign_keys=[("declaration_id", "declarations", "id"), ("policy_id", "policies", "id")],
    )
    db["declaration_policies"].create_index(["policy_id"])
    db["parse_warnings"].create(
        {"id": int, "source_id": str, "declaration_id": str, "line": int, "text": str, "reason": str},
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
    )
    db["parse_warnings"].create_index(["source_id"])
    db["parse_failures"].create(
        {"id": int, "path": str, "sha256": str, "line": int, "reason": str, "failed_at": str},
        pk="id",
    )


@migrations()
def m002_full_text_search(db: Database) -> None:
    # Columns hold jieba-segmented text (words and sub-words separated by spaces); rowid is the
    # base table's rowid, so Datasette's table search box finds these tables by name.
    db.execute(
        "create virtual table declarations_fts using fts5("
        "name, dept, overview, basis, necessity, safeguards, plan, goals, indicators, tokenize='unicode61')"
    )
    db.execute("create virtual table indicators_fts using fts5(name, category, value, tokenize='unicode61')")
    db.execute("create virtual table policies_fts using fts5(title, doc_number, tokenize='unicode61')")


@migrations()
def m003_embeddings(db: Database) -> None:
    db["embeddings"].create(
        {"item_id": str, "kind": str, "model": str, "declaration_id": str, "content_hash": bytes,
         "embedding": bytes, "updated": str},
        pk=("item_id", "model"),
    )
    db["embeddings"].create_index(["model", "kind"])
    db["embeddings"].create_index(["declaration_id"])


@migrations()
def m004_indicator_library(db: Database) -> None:
    # funds_band: a facet for the size of a project; name_norm: the indicator's name for grouping;
    # policies.cited_by and issuer (the document number's prefix, 晋教安稳函): for sorting and facets
    from .library import backfill, refresh_derived

    db["declarations"].add_column("funds_band", str)
    db["declarations"].create_index(["funds_band"])
    db["indicators"].add_column("name_norm", str)
    db["policies"].add_column("cited_by", int)
    db["policies"].add_column("issuer", str)
    db["indicators"].create_index(["level1", "level2", "name_norm"])
    db["indicators"].create_index(["name_norm"])
    db["indicator_library"].create(
        {"id": int, "level1": str, "level2": str, "name": str, "declarations": int, "uses": int, "units": str,
         "min_number": float, "max_number": float, "common_values": str, "periods": str},
        pk="id",
    )
    for cols in (["level1", "level2"], ["declarations"], ["name"]):
        db["indicator_library"].create_index(cols)
    backfill(db)
    refresh_derived(db)


@migrations()
def m005_embeddings_version(db: Database) -> None:
    # A counter bumped by every change to embeddings, so a process holding vectors in memory can
    # check in O(1) whether they are still current (counting the table costs O(rows) per query).
    db["kb_state"].create({"key": str, "value": int}, pk="key")
    db["kb_state"].insert({"key": "embeddings_version", "value": 0})
    for event in ("insert", "update", "delete"):
        db.execute(
            f"create trigger embeddings_version_{event} after {event} on embeddings begin"
            " update kb_state set value = value + 1 where key = 'embeddings_version'; end")
