"""How Datasette's own pages read: the declaration and policy row pages laid out like the forms,
table cells as a budget officer reads them, Chinese column headers everywhere.

- ``/kb/declarations/<id>`` renders ``templates/row-kb-declarations.html`` (``ingest.query.pages``).
- ``/kb/policies/<id>`` renders ``templates/row-kb-policies.html``: the document and every project citing it.
- cells: amounts in 万元, funds bands without their sort digit, every declaration id a link; in the
  indicator library an indicator links to its page.
"""

from __future__ import annotations

import json
import re
import urllib.parse

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from markupsafe import Markup, escape

from ingest.web.errors import chinese
from ingest.web.format import MONEY_COLUMNS, QUERY_LABELS, band, column_labels, wan, yuan


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    common = {"kb_labels": column_labels(datasette.metadata(), database, table), "kb_band": band, "kb_zh": chinese}
    if request is not None:
        query_name = request.path.rstrip("/").rsplit("/", 1)[-1]
        common["kb_labels"].update(QUERY_LABELS.get(query_name, {}))
    if request is not None and request.path.rstrip("/").endswith("/kb/similar"):
        async def heading():
            decl_id = request.args.get("id")
            if not decl_id:
                return common
            row = (await datasette.get_database(database).execute(
                "select name from declarations where id = ?", [decl_id])).first()
            title = f"与“{row[0]}”相似的过往项目" if row else f"没有编号为 {decl_id} 的申报表"
            return {**common, "kb_query_heading": title}
        return heading
    if view_name == "database" and request is not None and not request.args.get("sql"):
        async def home():
            from ingest.query import pages

            summary = await datasette.get_database(database).execute_fn(pages.home_summary)
            return {**common, "kb_home": summary, "kb_wan": wan}
        return home
    if view_name != "row" or table not in ("declarations", "policies") or request is None:
        return common

    async def inner():
        from ingest.embedders import get_embedder
        from ingest.query import pages

        pk = tilde_decode(request.url_vars.get("pks", ""))
        helpers = {"kb_yuan": yuan, "kb_fields": dict(pages.NARRATIVE), "kb_tilde": tilde_encode, **common}
        db = datasette.get_database(database)
        if table == "declarations":
            model = get_embedder().model_id
            return {"kb_declaration": await db.execute_fn(lambda conn: pages.declaration_page(conn, pk, model)),
                    **helpers}
        return {"kb_policy": await db.execute_fn(lambda conn: pages.policy_page(conn, pk)), **helpers}

    return inner


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Cells read the way a budget officer reads them: amounts in 万元, funds bands without their sort
    digit, every declaration id a link; in the indicator library an indicator links to its page."""
    if value is None:
        return None
    if table in ("findings", "department_findings", "department_rule_findings"):
        found = _findings_cell(row, value, column, table, database, datasette)
        if found is not None:
            return found
    if column in MONEY_COLUMNS and isinstance(value, (int, float)):
        return Markup(f'<span title="{value:,.2f} 元">{escape(wan(value))}</span>')
    if column == "funds_band" and isinstance(value, str):
        return band(value)
    if table == "documents" and column == "declarations" and isinstance(value, int) and value:
        try:
            source_id = row["source_id"]
        except (KeyError, IndexError):
            return None
        url = datasette.urls.table(database, "declarations") + "?" + urllib.parse.urlencode({"source_id": source_id})
        return Markup(f'<a href="{escape(url)}">{value}</a>')
    if table is None and column == "id" and isinstance(value, str) and re.fullmatch(r"[0-9a-f]{16}", value):
        # canned queries: the id is a declaration's
        url = datasette.urls.row(database, "declarations", tilde_encode(value))
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if table is None and column == "declarations" and isinstance(value, str) and value.startswith("["):
        try:
            ids = json.loads(value)
        except ValueError:
            return None
        if isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids[:50]):
            ids = ids[:50]

            async def linked():
                names = {r[0]: r[1] for r in await datasette.get_database(database).execute(
                    f"select id, name from declarations where id in ({','.join('?' * len(ids))})", ids)}
                return Markup("；".join(
                    f'<a href="{escape(datasette.urls.row(database, "declarations", tilde_encode(i)))}">'
                    f'{escape(names.get(i) or i)}</a>' for i in ids))
            return linked
    if table == "indicator_library" and column in ("name", "declarations"):
        try:
            name = row["name"]
        except (KeyError, IndexError):
            return None
        url = "/kb/-/indicator?" + urllib.parse.urlencode({"name": name})
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    return None


def _findings_cell(row, value, column, table, database, datasette):
    if column in ("declaration_id", "related_id"):
        url = datasette.urls.row(database, "declarations", tilde_encode(value))
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if column == "declaration_name" and table == "findings":
        url = datasette.urls.row(database, "declarations", tilde_encode(row["declaration_id"])) + "#findings"
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if column == "dept_name":
        url = datasette.urls.table(database, "findings") + "?" + urllib.parse.urlencode({"dept_name": value})
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if column == "rule":
        url = datasette.urls.row(database, "review_rules", tilde_encode(value))
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    return None
