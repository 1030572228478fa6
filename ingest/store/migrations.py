"""Schema of kb.db, as append-only migrations (never edit one that has shipped).

Frozen: a migration imports nothing from the project, so later changes to the code cannot change
what an old database's upgrade does.
"""

from __future__ import annotations

import re
import unicodedata

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("budget_kb")

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
    # rows stored before these columns existed: filled as the code of this migration's time did it
    for r in list(db.query("select id, funds_total from declarations where funds_band is null")):
        db.execute("update declarations set funds_band = ? where id = ?", [_m004_band(r["funds_total"]), r["id"]])
    for r in list(db.query("select id, name from indicators where name_norm is null")):
        db.execute("update indicators set name_norm = ? where id = ?", [_m004_key(r["name"]), r["id"]])
    db.execute("delete from indicator_library")
    db.execute(_M004_LIBRARY_SQL)
    db.execute(_M004_POLICY_SQL)


def _m004_band(amount):
    if amount is None:
        return None
    for upper, label in ((100_000, "1 <10万"), (500_000, "2 10万–50万"), (1_000_000, "3 50万–100万"),
                         (5_000_000, "4 100万–500万"), (10_000_000, "5 500万–1000万"),
                         (100_000_000, "6 1000万–1亿"), (None, "7 ≥1亿")):
        if upper is None or amount < upper:
            return label


def _m004_key(name):
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or "").replace("：", ":").replace("，", ","))
    whole = key
    key = re.sub(r"^[\(（]?[0-9一二三四五六七八九十]+[\)）.、．]+", "", key)
    key = re.sub(r"[(（][^()（）]{0,6}[)）]$", "", key)
    return key.strip(",.;:、。；：") or whole


_M004_CATEGORY = "case when {0} is null or {0} = '' or {0} like '%指标' then {0} else {0} || '指标' end"
_M004_LIBRARY_SQL = """
insert into indicator_library (level1, level2, name, declarations, uses, units, min_number, max_number,
                               common_values, periods)
with ind as (
  select {l1} as level1, {l2} as level2, name_norm, value, declaration_id, unit, number, period
  from indicators where name_norm is not null and name_norm != ''
), counted as (
  select level1, level2, name_norm, value, count(*) as c,
         row_number() over (partition by level1, level2, name_norm order by count(*) desc, value) as rn
  from ind group by level1, level2, name_norm, value
), top as (
  select level1, level2, name_norm, group_concat(value || '（' || c || '）', '；') as common_values
  from counted where rn <= 5 and value is not null group by level1, level2, name_norm
)
select
  i.level1, i.level2, i.name_norm, count(distinct i.declaration_id), count(*), group_concat(distinct i.unit),
  min(i.number), max(i.number), t.common_values, group_concat(distinct i.period)
from ind i
left join top t on t.level1 is i.level1 and t.level2 is i.level2 and t.name_norm = i.name_norm
group by i.level1, i.level2, i.name_norm
order by count(distinct i.declaration_id) desc, i.level1, i.level2, i.name_norm
""".format(l1=_M004_CATEGORY.format("level1"), l2=_M004_CATEGORY.format("level2"))
_M004_POLICY_SQL = """
update policies set
  cited_by = (select count(*) from declaration_policies dp where dp.policy_id = policies.id),
  issuer = case when instr(doc_number, '〔') > 1 then substr(doc_number, 1, instr(doc_number, '〔') - 1) end
"""


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


@migrations()
def m006_readers_and_identity(db: Database) -> None:
    # Forms of any template and format: months of the project period, the unit amounts were printed
    # in, amounts as printed, the extra indicator columns (权重, 指标性质, 绩效标准), the reader used.
    db["declarations"].add_column("period_start", str)
    db["declarations"].add_column("period_end", str)
    db["declarations"].add_column("amount_unit", str)
    db["declarations"].add_column("fingerprint", str)  # a hash of what the form says, to find exact duplicates
    db["declarations"].create_index(["fingerprint"])
    db["indicators"].add_column("weight", float)
    db["indicators"].add_column("nature", str)
    db["indicators"].add_column("standard", str)
    db["funds"].add_column("printed", str)
    db["sources"].add_column("reader", str)
    # Every path a file was seen under (the same file copied elsewhere is one source, two paths).
    db["source_paths"].create({"path": str, "source_id": str, "seen_at": str}, pk="path")
    db["source_paths"].create_index(["source_id"])
    db.execute("insert or ignore into source_paths (path, source_id, seen_at) select path, id, ingested_at from sources")
    # Every source a declaration was read from (the same declaration in two files is stored once).
    db["declaration_sources"].create(
        {"declaration_id": str, "source_id": str, "first_line": int, "last_line": int},
        pk=("declaration_id", "source_id"))
    db["declaration_sources"].create_index(["source_id"])
    db.execute("insert or ignore into declaration_sources select id, source_id, first_line, last_line from declarations")
    # a text embedded for one item is reused for every other item with the same text
    db["embeddings"].create_index(["model", "content_hash"])


@migrations()
def m007_findings(db: Database) -> None:
    # Review findings: what a finance bureau's review of 绩效目标 would point out, per declaration,
    # with the cells and lines involved (evidence, JSON) and, for a copy, the other declaration.
    db["findings"].create(
        {"id": int, "declaration_id": str, "rule": str, "dimension": str, "severity": str, "message": str,
         "evidence": str, "lines": str, "related_id": str, "declaration_name": str, "dept_name": str, "year": int},
        pk="id")
    for cols in (["declaration_id"], ["rule"], ["severity"], ["dept_name"], ["dimension"]):
        db["findings"].create_index(cols)
    # what each declaration was last reviewed against: its fingerprint, the parser and the rules
    db["review_state"].create({"declaration_id": str, "stamp": str}, pk="declaration_id")
    # the rules themselves, for reading in Datasette
    db["review_rules"].create({"rule": str, "dimension": str, "severity": str, "title": str, "source": str,
                               "scope": str}, pk="rule")
    db.execute("""
        create view department_findings as
        select d.dept_name as dept_name, count(distinct d.id) as declarations,
               count(distinct f.declaration_id) as declarations_with_findings, count(f.id) as findings,
               sum(f.severity = '高') as high, sum(f.severity = '中') as medium, sum(f.severity = '低') as low
        from declarations d left join findings f on f.declaration_id = d.id
        group by d.dept_name""")
    db.execute("""
        create view department_rule_findings as
        select dept_name, rule, dimension, count(*) as findings, count(distinct declaration_id) as declarations
        from findings group by dept_name, rule, dimension""")


@migrations()
def m008_term_counts(db: Database) -> None:
    # how many declarations use each full-text term: the weights of shared key terms between
    # similar projects (a read-only view over declarations_fts, nothing stored twice)
    db.execute("create virtual table if not exists declarations_fts_vocab using fts5vocab(declarations_fts, 'row')")


@migrations()
def m009_fewer_indicator_indexes(db: Database) -> None:
    # (level1, level2) is the prefix of (level1, level2, name_norm): one index serves both
    db.execute("drop index if exists idx_indicators_level1_level2")


@migrations()
def m010_grouped_facets(db: Database) -> None:
    # the department as grouped for facets (OCR variants of one name together) and the 二级指标 by
    # its canonical name (服务对象满意度 and 服务对象满意度指标 together); the printed text stays
    db["declarations"].add_column("dept_group", str)
    db["indicators"].add_column("level2_norm", str)
    db["declarations"].create_index(["dept_group"])
    db["indicators"].create_index(["level2_norm"])
    db.execute("update indicators set level2_norm = level2")


@migrations()
def m011_similarity_profiles(db: Database) -> None:
    # per declaration, what similar-project ranking compares: field-weighted words (JSON) and the
    # function and spending-kind distributions (float32), computed when the declaration is stored
    db["similarity_profiles"].create({"declaration_id": str, "words": str, "function": bytes, "spending": bytes},
                                     pk="declaration_id")


@migrations()
def m012_goal_simhash(db: Database) -> None:
    # the SimHash of each declaration's total goal (signed 64-bit), computed while parsing, so the
    # copied-goals review rule compares stored hashes instead of hashing every goal on every build
    db.execute("alter table similarity_profiles add column goal_simhash integer")


@migrations()
def m013_declaration_page_indexes(db: Database) -> None:
    # the declarations table page sorts by 实施期资金 and facets by 项目期 (years): without indexes
    # both scan every row on every uncached page (0.1-0.8 s at 100,000 declarations)
    db["declarations"].create_index(["funds_total"], if_not_exists=True)
    db["declarations"].create_index(["period_years"], if_not_exists=True)


@migrations()
def m014_similarity_subfunction(db: Database) -> None:
    # the 款 of the functional classification beside its 类 (float32 distribution), for similar
    # projects; rows stored before it have none until their file is parsed again (parser version 6)
    db.execute("alter table similarity_profiles add column subfunction blob")


@migrations()
def m015_declarations_count(db: Database) -> None:
    # The number of declarations and a counter bumped by every insert or delete, kept by triggers:
    # similar projects weigh words by rarity over the corpus, and counting 100,000 rows on every
    # query costs 5 ms (counting is O(rows) in SQLite)
    n = db.execute("select count(*) from declarations").fetchone()[0]
    for key, value in (("declarations_count", n), ("declarations_version", 0)):
        db.execute("insert into kb_state (key, value) values (?, ?) on conflict(key) do update set value = excluded.value",
                   [key, value])
    db.execute("create trigger declarations_count_insert after insert on declarations begin"
               " update kb_state set value = value + 1 where key in ('declarations_count', 'declarations_version'); end")
    db.execute("create trigger declarations_count_delete after delete on declarations begin"
               " update kb_state set value = value + case key when 'declarations_count' then -1 else 1 end"
               " where key in ('declarations_count', 'declarations_version'); end")


@migrations()
def m016_similarity_words_as_arrays(db: Database) -> None:
    # A similar-projects query reads the words of 80 candidates: as JSON they cost 56 µs each to
    # decode. Now the words space-separated (``terms``) and their weights as float64 (``weights``),
    # in the same order: split and read as an array, and compared without building dictionaries.
    import json
    import struct

    db.execute("alter table similarity_profiles add column terms text")
    db.execute("alter table similarity_profiles add column weights blob")
    last = ""
    while batch := db.execute("select declaration_id, words from similarity_profiles where declaration_id > ?"
                              " and words is not null order by declaration_id limit 5000", [last]).fetchall():
        rows = []
        for decl_id, words in batch:
            w = json.loads(words)
            rows.append((" ".join(w), struct.pack(f"<{len(w)}d", *w.values()), decl_id))
        db.conn.executemany("update similarity_profiles set terms = ?, weights = ? where declaration_id = ?", rows)
        last = batch[-1][0]
    db["similarity_profiles"].transform(drop={"words"})  # (DROP COLUMN needs SQLite 3.35)


@migrations()
def m017_fts_word_scores(db: Database) -> None:
    # The bm25 part of each common word in every declaration containing it (ingest/ranking.py), so
    # that full text need not compute bm25 in FTS5 for every row a common word is in; filled by the
    # next build
    db.execute("create table if not exists fts_word_scores (term text primary key, declarations integer,"
               " rowids blob, scores blob)")


@migrations()
def m018_similarity_profile_dept(db: Database) -> None:
    # the department beside the rest of a profile: ranking 80 candidates then reads one small row
    # each instead of also each declaration's (its rows are large, one page read more per candidate)
    db.execute("alter table similarity_profiles add column dept text")
    db.execute("update similarity_profiles set dept = (select d.dept_name from declarations d"
               " where d.id = similarity_profiles.declaration_id)")


@migrations()
def m019_documents(db: Database) -> None:
    # Whole budget documents: what kind of entry each declaration is (a form of its own, a row of a
    # project list, a listed goal only) and the page it starts on; per source its pages and what came
    # of it (how many forms, or 无项目绩效目标表); one view of every file seen with its outcome
    db.execute("alter table declarations add column form_kind text")
    db.execute("alter table declarations add column page integer")
    db.execute("update declarations set form_kind = '绩效目标表'")
    # the total a form has (实施期, else 年度): what the 资金规模 band, sorting and sums read; a form
    # printing only its year's budget (most budget documents) has no 实施期 total
    db.execute("alter table declarations add column funds real")
    db.execute("update declarations set funds = coalesce(funds_total, funds_annual)")
    for r in list(db.query("select id, funds from declarations where funds_total is null and funds is not null")):
        db.execute("update declarations set funds_band = ? where id = ?", [_m004_band(r["funds"]), r["id"]])
    db.execute("create index if not exists declarations_funds on declarations(funds)")
    db.execute("alter table sources add column pages integer")
    db.execute("alter table sources add column outcome text")
    db.execute("create index if not exists declarations_form_kind on declarations(form_kind)")
    db.execute(
        "create view if not exists documents as"
        " select p.path as path, s.id as source_id, s.reader as reader, s.pages as pages,"
        " s.declarations as declarations, coalesce(s.outcome, s.declarations || ' 张申报表') as outcome,"
        " null as failure, s.ingested_at as read_at"
        " from source_paths p join sources s on s.id = p.source_id"
        " union all"
        " select f.path, null, null, null, 0, '读取失败', f.reason, f.failed_at from parse_failures f")


@migrations()
def m020_vectors_per_text(db: Database) -> None:
    # One stored vector per distinct text and model (``vectors``), which the embedded items refer to
    # (``embeddings.vector_id``): an indicator text used by thousands of declarations was stored
    # thousands of times, as float32. Now as two levels of int8: ``codes`` with one ``scale`` (what
    # search scans in memory) and ``fine`` with ``fine_scale`` (what the first level lost), together
    # within about 1/64,000 of the largest component; ``residual`` bounds the first level's error.
    import numpy as np

    def quantize(v):
        peak = float(np.abs(v).max()) if v.size else 0.0
        scale = np.float32(peak / 127 if peak else 1.0)
        codes = np.clip(np.rint(v / scale), -127, 127).astype(np.int8)
        return codes, scale, v - scale * codes.astype(np.float32)

    db.execute("create table vectors (id integer primary key, model text not null, content_hash blob not null,"
               " codes blob not null, scale real not null, fine blob not null, fine_scale real not null,"
               " residual real not null)")
    db.execute("create unique index vectors_model_hash on vectors(model, content_hash)")
    db.execute("create table embeddings_new (item_id text, kind text, model text, declaration_id text,"
               " content_hash blob, vector_id integer, updated text, primary key (item_id, model))")
    seen: dict[tuple, int] = {}
    last = ("", "")
    while batch := db.execute(
            "select item_id, kind, model, declaration_id, content_hash, embedding, updated from embeddings"
            " where (item_id, model) > (?, ?) order by item_id, model limit 5000", list(last)).fetchall():
        rows = []
        for item, kind, model, decl, digest, blob, updated in batch:
            key = (model, bytes(digest) if digest is not None else b"", None if digest is not None else item)
            vid = seen.get(key)
            if vid is None:
                v = np.frombuffer(blob, dtype="<f4")
                codes, scale, lost = quantize(v)
                fine, fine_scale, _ = quantize(lost)
                vid = db.execute("insert into vectors (model, content_hash, codes, scale, fine, fine_scale, residual)"
                                 " values (?, ?, ?, ?, ?, ?, ?)",
                                 [model, key[1] + (item.encode() if key[2] else b""), codes.tobytes(), float(scale),
                                  fine.tobytes(), float(fine_scale), float(np.linalg.norm(lost))]).lastrowid
                seen[key] = vid
            rows.append((item, kind, model, decl, digest, vid, updated))
        db.conn.executemany("insert into embeddings_new values (?, ?, ?, ?, ?, ?, ?)", rows)
        last = (batch[-1][0], batch[-1][2])
    db.execute("drop table embeddings")  # its triggers and indexes go with it
    db.execute("alter table embeddings_new rename to embeddings")
    db.execute("create index embeddings_model_kind on embeddings(model, kind)")
    db.execute("create index embeddings_declaration_id on embeddings(declaration_id)")
    db.execute("create index embeddings_vector on embeddings(vector_id)")
    for table in ("embeddings", "vectors"):
        for event in ("insert", "update", "delete"):
            db.execute(f"create trigger {table}_version_{event} after {event} on {table} begin"
                       " update kb_state set value = value + 1 where key = 'embeddings_version'; end")


@migrations()
def m022_ocr_confidence(db: Database) -> None:
    # a declaration read from a scan or a photo: the recognition's mean confidence over its rows
    # (NULL for one read from a text layer), shown on its page with 请核对
    db.execute("alter table declarations add column ocr_confidence real")
