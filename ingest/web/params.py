"""The JSON API's parameters: an unknown parameter or value is refused (400) with the allowed ones,
never silently ignored or replaced by a default. Names starting with ``_`` belong to Datasette
(``_shape``, ``_size`` …; a client may add one to bypass a cache) and pass."""

from __future__ import annotations

import re

from .errors import ServiceError

# Datasette's own parameters that a canned query's JSON takes
DATASETTE_QUERY_PARAMS = ("_shape", "_json", "_nl", "_timelimit", "_size", "_next", "_trace", "_header", "_dl",
                          "_stream", "_labels")


class BadParameter(ServiceError):
    """A parameter the endpoint does not take, a value it does not know, or one it needs missing."""

    title = "参数有误"

    def __init__(self, message: str, allowed: dict | None = None):
        super().__init__(message)
        self.allowed = allowed or {}


def check_params(args, allowed: dict[str, tuple | None], required: tuple[str, ...] = (),
                 extra: tuple[str, ...] = ()) -> None:
    """Refuse a request whose parameters are not among ``allowed`` (name → its allowed values, or
    None for any), whose value of one is not allowed, or that lacks a ``required`` one; ``extra``
    names more parameters taken as they are (Datasette's)."""
    names = list(args.keys()) if hasattr(args, "keys") else [k for k, _ in args]
    # a name starting with _ is Datasette's (_shape, _size …) or a cache-buster: let through
    unknown = [n for n in dict.fromkeys(names) if n not in allowed and n not in extra and not n.startswith("_")]
    if unknown:
        raise BadParameter(f"未知的参数：{'、'.join(unknown)}；可用的参数：{'、'.join(list(allowed) + list(extra))}",
                           {k: list(v) if v else None for k, v in allowed.items()})
    for name, values in allowed.items():
        value = args.get(name)
        if values and value not in (None, "") and value not in values:
            raise BadParameter(f"参数 {name} 的值 “{value}” 无效；可用的值：{'、'.join(values)}",
                               {name: list(values)})
    missing = [n for n in required if not (args.get(n) or "").strip()]
    if missing:
        raise BadParameter(f"缺少参数：{'、'.join(missing)}", {k: list(v) if v else None for k, v in allowed.items()})


def named_parameters(sql: str) -> list[str]:
    """The ``:name`` parameters of a canned query's SQL, in order."""
    return list(dict.fromkeys(re.findall(r"(?<!:):([A-Za-z_]\w*)", sql)))
