"""Errors a request can meet that are nobody's fault in the code: each knows its HTTP status and
says why in Chinese (the error page and the JSON ``error`` show the message as it is)."""

from __future__ import annotations

import re

from datasette.utils.asgi import Base400


class ServiceError(Base400):
    """An answer the server gives instead of a result: ``status`` and, for a passing state, ``retry_after``.

    (A ``Base400`` to Datasette: its own error handler, which runs after the project's, then prints
    no traceback for it.)"""

    status = 400
    retry_after: int | None = None
    title = "请求有误"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StatementTimeLimit(ServiceError):
    """A project function was called after its statement's time limit (as Datasette's own limit: 400)."""

    title = "查询超时"


class InputTooLong(ServiceError):
    """A query text or parameter longer than the project's functions take."""

    title = "输入过长"


class ModelLoading(ServiceError):
    """A query needing the embedding model arrived while this worker was still loading it."""

    status = 503
    retry_after = 5
    title = "语义模型正在加载"


class UploadRefused(ServiceError):
    """An uploaded draft that is too large (413), or a file that cannot be read (422); its reason says which."""

    status = 413
    title = "文件无法处理"

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status


TIME_LIMIT_MESSAGE = "查询超时：超过了 {seconds:g} 秒的时间限制，请缩小范围或简化查询"
MODEL_LOADING_MESSAGE = "语义模型正在加载，暂时无法按意思检索，请 {seconds} 秒后再试"


# Datasette's and SQLite's own messages, as a budget officer reads them (the English stays in the
# JSON's ``detail``); the first pattern that matches wins
_CHINESE = [(re.compile(p, re.I), zh) for p, zh in (
    (r"^Statement must be a SELECT", "只能执行 SELECT 查询：知识库是只读的"),
    (r"^Statement contained a disallowed PRAGMA", "查询中含有不允许的 PRAGMA"),
    (r"^no such table: (.+)", r"没有名为 \1 的表"),
    (r"^no such column: (.+)", r"没有名为 \1 的列"),
    (r"^no such function: (.+)", r"没有名为 \1 的函数"),
    (r"^ambiguous column name: (.+)", r"列名 \1 不明确（多张表都有此列，请写明表名）"),
    (r'^near "(.+?)": syntax error', r"SQL 语法错误（“\1”附近）"),
    (r"^unrecognized token: (.+)", r"SQL 中有无法识别的内容：\1"),
    (r"^incomplete input", "SQL 不完整"),
    (r"^wrong number of arguments to function (.+)", r"函数 \1 的参数个数不对"),
    (r"^attempt to write a readonly database", "知识库是只读的，不能修改"),
    (r"^string or blob too big", "结果过大：一个值最多 5 MB"),
    (r"^integer overflow", "整数溢出"),
    (r"^interrupted", "查询超时"),
    (r"^too many SQL variables", "查询中的参数过多"),
    (r"^You did not supply a value for binding parameter :(\w+)", r"缺少参数 \1"),
    (r"^Incorrect number of bindings supplied", "参数个数不对"),
    (r"^Database not found", "找不到该数据库"),
    (r"^Table not found: (.+)", r"找不到数据表 \1"),
    (r"^Table not found", "找不到该数据表"),
    (r"^Row not found", "找不到该记录"),
    (r"^Invalid _shape: (.+)", r"_shape 参数无效：\1（可用：objects、arrays、array、arrayfirst、object）"),
    (r"^_shape=object is only available on tables", "_shape=object 只能用于数据表"),
    (r"^Cannot sort table by (.+)", r"不能按 \1 排序"),
    (r"^Cannot use _sort and _sort_desc at the same time", "_sort 和 _sort_desc 不能同时使用"),
    (r"^_size must be a positive integer", "_size 必须是正整数"),
    (r"^_size must be <= (\d+)", r"_size 最大为 \1"),
    (r"^Invalid _facet", "_facet 参数无效"),
    (r"^Permission denied", "没有权限"),
    (r"^Not found$|^404$", "找不到该页面或记录"),
    (r"^Invalid SQL", "SQL 有误"),
    (r"^SQL Interrupted", "查询超时"),
)]


def chinese(message) -> str:
    """A Datasette or SQLite message in Chinese (a message already in Chinese is returned as it is)."""
    text = str(message or "")
    for pattern, zh in _CHINESE:
        m = pattern.search(text)
        if m:
            return m.expand(zh)
    return text
