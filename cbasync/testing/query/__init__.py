"""The Lucene-style query language of the Carbon Black servers: parse → tree → predicate.

    >>> from cbasync.testing.query import parse, compile_query
    >>> pred = compile_query(parse('process_name:cmd.exe -hostname:dc*'), schema={...})
    >>> [row for row in rows if pred(row)]

Malformed queries raise :class:`QueryError` (routes answer 400 ``query_malformed_syntax``).
"""

from cbasync.testing.query.ast import And, MatchAll, Node, Not, Or, QueryError, Range, Term
from cbasync.testing.query.evaluator import (
    Categorical,
    FieldType,
    Keyed,
    compile_query,
    dotted,
    iso_to_epoch,
    matches,
    terms_of,
    tokenize,
)
from cbasync.testing.query.parser import parse

__all__ = [
    "And",
    "Categorical",
    "FieldType",
    "Keyed",
    "MatchAll",
    "Node",
    "Not",
    "Or",
    "QueryError",
    "Range",
    "Term",
    "compile_query",
    "dotted",
    "iso_to_epoch",
    "matches",
    "parse",
    "terms_of",
    "tokenize",
]
