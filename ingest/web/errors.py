"""Errors a request can meet that are nobody's fault in the code: each knows its HTTP status and
says why in Chinese (the error page and the JSON ``error`` show the message as it is)."""

from __future__ import annotations

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
