"""A recursive-descent parser for the Lucene-style query syntax the Carbon Black servers accept.

Grammar (operators are case-insensitive, as EDR accepts ``or``)::

    query    := or_expr EOF
    or_expr  := and_expr (("OR" | "||") and_expr)*
    and_expr := unary ((("AND" | "&&"))? unary)*          -- juxtaposition is AND
    unary    := ("NOT" | "!" | "-") unary | "+" unary | primary
    primary  := "(" or_expr ")" | FIELD ":" fvalue | value
    fvalue   := "(" value_or_list ")" | range | value      -- field:(a OR b) distributes field
    range    := ("[" | "{") bound "TO" bound ("]" | "}")   -- bound "*" is open
    value    := WORD | PHRASE

A backslash escapes the next character inside a word (``c\\:foo`` is one word); the escape is
kept in ``Term.text`` because its meaning depends on the field (see ``evaluator``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cbasync.testing.query.ast import And, MatchAll, Node, Not, Or, QueryError, Range, Term

__all__ = ["parse"]

_FIELD_RE = re.compile(r"[A-Za-z_@][A-Za-z0-9_.\-@]*\Z")
_SPECIAL = frozenset('()[]{}"')


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PHRASE LPAREN RPAREN RANGE AND OR NOT PLUS FIELD EOF
    text: str
    pos: int
    # RANGE: (low, high, include_low, include_high)
    range: tuple[str | None, str | None, bool, bool] | None = None


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.n = len(text)

    def error(self, message: str, pos: int | None = None) -> QueryError:
        return QueryError(message, self.text, self.pos if pos is None else pos)

    def _skip_ws(self) -> None:
        while self.pos < self.n and self.text[self.pos].isspace():
            self.pos += 1

    def _word(self) -> str:
        """A run of characters up to whitespace, a paren, a quote or a range bracket; a
        backslash takes the next character along whatever it is."""
        start = self.pos
        t = self.text
        while self.pos < self.n:
            ch = t[self.pos]
            if ch == "\\":
                self.pos += 2
                continue
            if ch.isspace() or ch in '()"':
                break
            if ch in "[]{}" and self.pos > start and t[self.pos - 1] != "\\":
                # A bracket inside a word (e.g. "name:[WARN]") is literal unless it opens the
                # word; only a word-initial bracket starts a range.
                self.pos += 1
                continue
            self.pos += 1
        self.pos = min(self.pos, self.n)
        return t[start : self.pos]

    def _phrase(self) -> str:
        start = self.pos
        self.pos += 1  # opening quote
        chars: list[str] = []
        while self.pos < self.n:
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < self.n:
                nxt = self.text[self.pos + 1]
                # \" is a quote; keep other escapes verbatim for the field to interpret
                chars.append(nxt if nxt == '"' else ch + nxt)
                self.pos += 2
                continue
            if ch == '"':
                self.pos += 1
                return "".join(chars)
            chars.append(ch)
            self.pos += 1
        raise self.error("unterminated quoted phrase", start)

    def _range(self) -> _Tok:
        start = self.pos
        include_low = self.text[self.pos] == "["
        self.pos += 1
        bounds: list[str] = []
        saw_to = False
        while True:
            self._skip_ws()
            if self.pos >= self.n:
                raise self.error("unterminated range", start)
            ch = self.text[self.pos]
            if ch in "]}":
                include_high = ch == "]"
                self.pos += 1
                break
            if ch == '"':
                bounds.append(self._phrase())
                continue
            word_start = self.pos
            while self.pos < self.n:
                c = self.text[self.pos]
                if c.isspace() or c in "]}":
                    break
                self.pos += 1
            word = self.text[word_start : self.pos]
            if word.upper() == "TO" and len(bounds) == 1 and not saw_to:
                saw_to = True
                continue
            bounds.append(word)
        if len(bounds) != 2 or not saw_to:
            raise self.error("a range must look like [low TO high]", start)
        low, high = (None if b == "*" else b for b in bounds)
        return _Tok(
            "RANGE", self.text[start : self.pos], start, (low, high, include_low, include_high)
        )

    def next_token(self, *, value: bool = False) -> _Tok:
        """The next token; ``value=True`` right after ``field:`` (no field detection there)."""
        self._skip_ws()
        if self.pos >= self.n:
            return _Tok("EOF", "", self.pos)
        t = self.text
        ch = t[self.pos]
        start = self.pos
        if ch == "(":
            self.pos += 1
            return _Tok("LPAREN", ch, start)
        if ch == ")":
            self.pos += 1
            return _Tok("RPAREN", ch, start)
        if ch == '"':
            return _Tok("PHRASE", self._phrase(), start)
        if ch in "[{":
            return self._range()
        if ch in "]}":
            raise self.error(f"unexpected {ch!r}")
        if t.startswith("&&", self.pos):
            self.pos += 2
            return _Tok("AND", "&&", start)
        if t.startswith("||", self.pos):
            self.pos += 2
            return _Tok("OR", "||", start)
        if ch in "-!+" and self.pos + 1 < self.n and not t[self.pos + 1].isspace():
            self.pos += 1
            return _Tok("PLUS" if ch == "+" else "NOT", ch, start)
        word = self._word()
        upper = word.upper()
        if upper in ("AND", "OR", "NOT") and not value:
            return _Tok(upper, word, start)
        colon = None if value else _field_colon(word)
        if colon is not None:
            # Re-lex the value after the colon (it may be a phrase, a range or a paren group).
            self.pos = start + colon + 1
            return _Tok("FIELD", word[:colon], start)
        return _Tok("WORD", word, start)


def _field_colon(word: str) -> int | None:
    """Index of the colon that ends a field name at the start of ``word``, if any."""
    i = 0
    while i < len(word):
        ch = word[i]
        if ch == "\\":
            return None
        if ch == ":":
            return i if i > 0 and _FIELD_RE.match(word[:i]) else None
        i += 1
    return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lexer = _Lexer(text)
        self._buf: list[_Tok] = []

    # The lexer is context-sensitive after "field:", so tokens are pulled one at a time.
    def peek(self) -> _Tok:
        if not self._buf:
            self._buf.append(self.lexer.next_token())
        return self._buf[0]

    def take(self) -> _Tok:
        tok = self.peek()
        self._buf.pop(0)
        return tok

    def error(self, message: str, tok: _Tok) -> QueryError:
        return QueryError(message, self.text, tok.pos)

    def parse(self) -> Node:
        if self.peek().kind == "EOF":
            return MatchAll()
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "EOF":
            raise self.error(f"unexpected {tok.text!r}", tok)
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.peek().kind == "OR":
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.unary()]
        while True:
            tok = self.peek()
            if tok.kind == "AND":
                self.take()
                items.append(self.unary())
            elif tok.kind in ("WORD", "PHRASE", "LPAREN", "NOT", "PLUS", "FIELD", "RANGE"):
                items.append(self.unary())
            else:
                break
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "NOT":
            self.take()
            return Not(self.unary())
        if tok.kind == "PLUS":
            self.take()
            return self.unary()
        return self.primary()

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "LPAREN":
            if self.peek().kind == "RPAREN":
                raise self.error("empty parentheses", tok)
            node = self.or_expr()
            close = self.take()
            if close.kind != "RPAREN":
                raise self.error("missing ')'", close)
            return node
        if tok.kind == "FIELD":
            return self.field_value(tok.text, tok)
        if tok.kind == "WORD":
            return _term(None, tok.text)
        if tok.kind == "PHRASE":
            return Term(None, tok.text, phrase=True)
        if tok.kind == "EOF":
            raise self.error("query ends where a term was expected", tok)
        if tok.kind == "RANGE":
            raise self.error("a range needs a field (field:[a TO b])", tok)
        raise self.error(f"unexpected {tok.text!r}", tok)

    def field_value(self, field: str, field_tok: _Tok) -> Node:
        # The value must follow the colon directly (Lucene does not allow "field: value").
        if self.lexer.pos < self.lexer.n and self.text[self.lexer.pos].isspace():
            raise self.error(f"field {field!r} has no value", field_tok)
        assert not self._buf
        tok = self.lexer.next_token(value=True)
        if tok.kind == "WORD":
            if tok.text == "*":
                return Term(field, "*", wildcard=True)
            return _term(field, tok.text)
        if tok.kind == "PHRASE":
            return Term(field, tok.text, phrase=True)
        if tok.kind == "RANGE":
            assert tok.range is not None
            low, high, inc_low, inc_high = tok.range
            return Range(field, low, high, inc_low, inc_high)
        if tok.kind == "NOT" and tok.text == "-":
            # "start:-24h": a relative time value, not a negation.
            nxt = self.take()
            if nxt.kind != "WORD":
                raise self.error(f"field {field!r} has no value", field_tok)
            return _term(field, "-" + nxt.text)
        if tok.kind == "LPAREN":
            node = self._grouped(field)
            close = self.take()
            if close.kind != "RPAREN":
                raise self.error("missing ')'", close)
            return node
        raise self.error(f"field {field!r} has no value", field_tok)

    def _grouped(self, field: str) -> Node:
        """``field:(a OR b c)``: the group's bare terms take the field."""
        inner = self.or_expr()
        return _with_field(inner, field)


def _with_field(node: Node, field: str) -> Node:
    if isinstance(node, Term) and node.field is None:
        return Term(field, node.text, node.phrase, node.wildcard)
    if isinstance(node, And):
        return And(tuple(_with_field(i, field) for i in node.items))
    if isinstance(node, Or):
        return Or(tuple(_with_field(i, field) for i in node.items))
    if isinstance(node, Not):
        return Not(_with_field(node.item, field))
    return node


def _term(field: str | None, text: str) -> Node:
    if text in ("*", "*:*") and field is None:
        return MatchAll()
    # Any "*" or "?" makes a wildcard term: text fields split on backslashes, so "c:\\dir\\*" ends
    # with a bare "*" token; keyword fields still honour an escaped "\\*" as a literal star.
    return Term(field, text, phrase=False, wildcard="*" in text or "?" in text)


def parse(text: str) -> Node:
    """Parse a query string into a syntax tree; raise :class:`QueryError` when it is malformed.

    An empty or blank query, ``*`` and ``*:*`` match everything.
    """
    if not isinstance(text, str):
        raise QueryError("a query must be a string")
    stripped = text.strip()
    if stripped in ("", "*", "*:*"):
        return MatchAll()
    return _Parser(text).parse()
