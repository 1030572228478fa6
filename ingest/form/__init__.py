"""The form interpreter: rows of cells from any reader → declarations. Pure: no SQLite, no jieba.

The interpreter works on cells and recognises labels by fuzzy matching, so that PDF-extracted text
with split words, dropped characters and interleaved columns still yields whatever can honestly be
recovered. Anything it cannot place becomes a warning with its line number.
"""

from __future__ import annotations

from ..readers import read_lines
from ..records import ParseError, ParseResult
from .interpret import interpret
from .policies import extract_policies
from .values import parse_value

# Bump when a change to the readers or the interpreter changes what is read from a file:
# `kb build` then reads again every stored file parsed by an older version.
PARSER_VERSION = 10


def parse_text(text: str) -> ParseResult:
    """Parse one file's text (any text dialect) into declarations."""
    return interpret(read_lines(text))


__all__ = ["PARSER_VERSION", "ParseError", "ParseResult", "extract_policies", "interpret", "parse_text",
           "parse_value"]
