"""A small parser for Drive's `q` search syntax.

Supported: name/mimeType (=, !=, contains), fullText contains, trashed/starred/
sharedWithMe (=, != true|false), createdTime/modifiedTime comparisons,
'<id>' in parents|owners|writers|readers (also gspread's `parents in '<id>'`),
appProperties/properties has { key='k' and value='v' }, and/or/not, parentheses,
single or double quoted strings with backslash escapes. Anything else -> 400."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .util import ApiError, parse_rfc3339

_TOKEN = re.compile(
    r"""\s*(?:
   (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  |(?P<op>!=|<=|>=|=|<|>|\(|\)|\{|\})
  |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
)""",
    re.X,
)

STRING_FIELDS = {"name", "mimeType", "visibility"}
BOOL_FIELDS = {"trashed", "starred", "sharedWithMe", "hidden"}
TIME_FIELDS = {"createdTime", "modifiedTime", "viewedByMeTime", "sharedWithMeTime"}
LIST_FIELDS = {"parents", "owners", "writers", "readers", "memberEmails", "organizerEmails"}
MAP_FIELDS = {"appProperties", "properties"}


def invalid(param: str = "q") -> ApiError:
    return ApiError(400, "Invalid Value", reason="invalid", location=param, location_type="parameter")


def _tokenize(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise invalid()
        kind = m.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        val = m.group(kind)
        if kind == "str":
            val = re.sub(r"\\(.)", r"\1", val[1:-1])
        out.append((kind, val))
        pos = m.end()
    return out


def word_prefix_match(haystack: str, needle: str) -> bool:
    """Drive's `name contains`: prefix match at the start of any word."""
    h, n = haystack.lower(), needle.lower()
    if not n:
        return True
    starts = [0] + [i + 1 for i, ch in enumerate(h) if not ch.isalnum()]
    return any(h.startswith(n, s) for s in starts)


def compile_query(text: str, fields: set[str] | None = None) -> Callable[[Any], bool]:
    """Compile `q` to a predicate over objects exposing `.field(name)`."""
    allowed = fields
    tokens = _tokenize(text or "")
    if not tokens:
        return lambda obj: True
    pos = 0

    def peek(offset=0):
        i = pos + offset
        return tokens[i] if i < len(tokens) else (None, None)

    def take(kind=None, val=None):
        nonlocal pos
        tok = peek()
        if tok[0] is None or (kind and tok[0] != kind) or (val is not None and (tok[1] or "").lower() != val):
            raise invalid()
        pos += 1
        return tok[1]

    def is_word(w):
        return peek()[0] == "word" and peek()[1].lower() == w

    def expr():
        left = and_expr()
        while is_word("or"):
            take()
            right = and_expr()
            left = (lambda a, b: lambda o: a(o) or b(o))(left, right)
        return left

    def and_expr():
        left = unary()
        while is_word("and"):
            take()
            right = unary()
            left = (lambda a, b: lambda o: a(o) and b(o))(left, right)
        return left

    def unary():
        if is_word("not"):
            take()
            inner = unary()
            return lambda o: not inner(o)
        if peek() == ("op", "("):
            take()
            inner = expr()
            take("op", ")")
            return inner
        return condition()

    def check_field(name):
        if allowed is not None and name not in allowed:
            raise invalid()

    def condition():
        kind, val = peek()
        if kind == "str":  # 'x' in parents
            value = take()
            take("word", "in")
            fld = take("word")
            if fld not in LIST_FIELDS:
                raise invalid()
            check_field(fld)
            return lambda o: value in o.field(fld)
        fld = take("word")
        check_field(fld)
        if is_word("in"):  # parents in 'x'
            take()
            value = take("str")
            if fld not in LIST_FIELDS:
                raise invalid()
            return lambda o: value in o.field(fld)
        if is_word("has"):
            take()
            if fld not in MAP_FIELDS:
                raise invalid()
            return has_clause(fld)
        if is_word("contains"):
            take()
            value = take("str")
            if fld == "name":
                return lambda o: word_prefix_match(o.field("name") or "", value)
            if fld == "mimeType":
                return lambda o: value.lower() in (o.field("mimeType") or "").lower()
            if fld == "fullText":
                return lambda o: value.lower() in (o.field("fullText") or "").lower()
            raise invalid()
        op = take("op")
        if op not in ("=", "!=", "<", "<=", ">", ">="):
            raise invalid()
        if fld in BOOL_FIELDS:
            lit = take("word").lower()
            if lit not in ("true", "false") or op not in ("=", "!="):
                raise invalid()
            want = lit == "true"
            return lambda o: (bool(o.field(fld)) == want) == (op == "=")
        value = take("str")
        if fld in STRING_FIELDS:
            if op not in ("=", "!="):
                raise invalid()
            return lambda o: (o.field(fld) == value) == (op == "=")
        if fld in TIME_FIELDS:
            try:
                when = parse_rfc3339(value)
            except ValueError:
                raise invalid()
            cmp = {
                "=": lambda a, b: a == b,
                "!=": lambda a, b: a != b,
                "<": lambda a, b: a < b,
                "<=": lambda a, b: a <= b,
                ">": lambda a, b: a > b,
                ">=": lambda a, b: a >= b,
            }[op]
            return lambda o: o.field(fld) is not None and cmp(o.field(fld), when)
        raise invalid()

    def has_clause(fld):
        take("op", "{")
        pairs = {}
        while True:
            key = take("word")
            if key not in ("key", "value") or key in pairs:
                raise invalid()
            take("op", "=")
            pairs[key] = take("str")
            if is_word("and"):
                take()
                continue
            break
        take("op", "}")
        if set(pairs) != {"key", "value"}:
            raise invalid()
        k, v = pairs["key"], pairs["value"]
        return lambda o: (o.field(fld) or {}).get(k) == v

    pred = expr()
    if pos != len(tokens):
        raise invalid()
    return pred
