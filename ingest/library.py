"""Derived, browsable tables rebuilt after every build that changes something: the indicator library
and the policies' citation counts and issuers.

Both are plain tables (not SQL views) so Datasette can facet and page them quickly at any corpus
size; :func:`refresh_derived` rebuilds the library inside the caller's transaction.
"""

from __future__ import annotations

from sqlite_utils import Database

from .text import compact, similarity

# Categories are grouped by their full name: 数量 and 数量指标 are one category.
_CATEGORY = "case when {0} is null or {0} = '' or {0} like '%指标' then {0} else {0} || '指标' end"

LIBRARY_SQL = f"""
insert into indicator_library (level1, level2, name, declarations, uses, units, min_number, max_number,
                               common_values, periods)
with ind as (
  select {_CATEGORY.format('level1')} as level1, {_CATEGORY.format('level2')} as level2, name_norm, value,
         declaration_id, unit, number, period
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
"""


POLICY_SQL = """
update policies set
  cited_by = (select count(*) from declaration_policies dp where dp.policy_id = policies.id),
  issuer = case when instr(doc_number, '〔') > 1 then substr(doc_number, 1, instr(doc_number, '〔') - 1) end
"""


def refresh_derived(db: Database) -> int:
    """Rebuild ``indicator_library`` from ``indicators``, the policies' citation counts and issuers,
    and the department groups.

    :returns: the number of distinct indicators.
    """
    with db.atomic():
        db.execute("delete from indicator_library")
        db.execute(LIBRARY_SQL)
        db.execute(POLICY_SQL)
        refresh_department_groups(db)
    return db["indicator_library"].count


def department_groups(names: dict[str, int]) -> dict[str, str]:
    """Each department name → the name its group is shown under: names that differ by one or two
    characters misread (阳泉市大数女据应用局 / 阳泉市大数据应用局) join the most frequent of them.
    Names are compared only with names of about the same length sharing their first two characters."""
    groups: dict[str, str] = {}
    reps: dict[str, list[str]] = {}  # bucket → representatives, most frequent first
    # most frequent first; on a tie the shorter (a misread more often adds a character than drops one)
    for name, _n in sorted(names.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0])):
        key = compact(name)
        bucket = reps.setdefault(key[:2], [])
        found = None
        if len(key) >= 6:
            found = next((r for r in bucket if abs(len(compact(r)) - len(key)) <= 2
                          and similarity(compact(r), key) >= 0.85), None)
        if found is None:
            bucket.append(name)
            found = name
        groups[name] = found
    return groups


def refresh_department_groups(db: Database) -> None:
    names = dict(db.execute("select dept_name, count(*) from declarations where dept_name is not null"
                            " group by dept_name").fetchall())
    groups = department_groups(names)
    db.conn.executemany("update declarations set dept_group = ? where dept_name = ? and dept_group is not ?",
                        [(g, n, g) for n, g in groups.items()])

