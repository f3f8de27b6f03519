"""A deliberately small formula evaluator: arithmetic (+ - * / ^ &, comparisons),
cell/range references (optionally sheet-qualified) and SUM/MIN/MAX/COUNT/
COUNTA/AVERAGE, IF/OR, MOD (element-wise over a range, as inside an array
function) and SUMPRODUCT. IF takes only its chosen branch: an error in the
other one does not surface, as in Sheets (the rating sheet's sum relies on
it). Anything else raises Unsupported and the fake then reports the formula
text itself as the evaluated value."""

from __future__ import annotations

import re
from collections.abc import Callable

_SHEET = r"(?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_]*)!"
_CELL = r"\$?[A-Za-z]{1,3}\$?\d+"
_TOKEN = re.compile(
    rf"""\s*(?:
   (?P<func>[A-Za-z][A-Za-z0-9_.]*)\s*\(
  |(?P<ref>(?:{_SHEET})?(?:{_CELL}(?::{_CELL})?|\$?[A-Za-z]{{1,3}}:\$?[A-Za-z]{{1,3}}))
  |(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  |(?P<str>"(?:[^"]|"")*")
  |(?P<bool>(?i:TRUE|FALSE))\b
  |(?P<op><=|>=|<>|[-+*/^&=<>(),])
)""",
    re.X,
)


class Unsupported(Exception):
    pass


class FormulaError(Exception):
    def __init__(self, code: str, message: str = ""):
        super().__init__(code)
        self.code = code
        self.message = message


class RangeVal(list):
    """Values of a multi-cell reference (row-major), None for empty cells."""


def _tokenize(text: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise Unsupported(text)
        kind = m.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _num(v) -> float:
    if v is None or v == "":
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, RangeVal):
        if len(v) == 1:
            return _num(v[0])
        raise FormulaError("#VALUE!", "range used as a single value")
    try:
        return float(str(v))
    except ValueError:
        raise FormulaError("#VALUE!", f"cannot parse {v!r} as a number")


def _flat_numbers(args, strict_scalars=True) -> list[float]:
    nums: list[float] = []
    for a in args:
        if isinstance(a, RangeVal):
            nums.extend(float(x) for x in a if isinstance(x, (int, float)) and not isinstance(x, bool))
        elif a is not None:
            nums.append(_num(a))
    return nums


class _Failed:
    """An argument whose evaluation failed: raised only if a function uses it (IF may not)."""

    def __init__(self, error: FormulaError):
        self.error = error


def _mod(args):
    if len(args) != 2:
        raise FormulaError("#N/A", "Wrong number of arguments to MOD.")
    divisor = _num(args[1])
    if divisor == 0:
        raise FormulaError("#DIV/0!", "Function MOD parameter 2 cannot be zero.")
    if isinstance(args[0], RangeVal):  # element-wise, as inside SUMPRODUCT
        return RangeVal(_num(x) % divisor for x in args[0])
    return _num(args[0]) % divisor


def _sumproduct(args):
    arrays = [a if isinstance(a, RangeVal) else RangeVal([a]) for a in args]
    if len({len(a) for a in arrays}) != 1:
        raise FormulaError("#VALUE!", "SUMPRODUCT has mismatched range sizes.")
    total = 0.0
    for values in zip(*arrays, strict=True):
        product = 1.0
        for v in values:
            product *= float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0
        total += product
    return total


def _average(args):
    nums = _flat_numbers(args)
    if not nums:
        raise FormulaError("#DIV/0!", "AVERAGE of no numbers")
    return sum(nums) / len(nums)


FUNCTIONS: dict[str, Callable] = {
    "SUM": lambda args: sum(_flat_numbers(args)),
    "MIN": lambda args: min(_flat_numbers(args), default=0.0),
    "MAX": lambda args: max(_flat_numbers(args), default=0.0),
    "COUNT": lambda args: float(len(_flat_numbers(args))),
    "COUNTA": lambda args: float(
        sum(sum(1 for x in a if x not in (None, "")) if isinstance(a, RangeVal) else 1 for a in args)
    ),
    "AVERAGE": _average,
    "OR": lambda args: any(bool(_num(x)) for a in args for x in (a if isinstance(a, RangeVal) else [a])),
    "MOD": _mod,
    "SUMPRODUCT": _sumproduct,
}


def evaluate(formula: str, resolve: Callable[[str], RangeVal | object]):
    """Evaluate `formula` (with leading '='). `resolve(ref_text)` returns a
    single value for a one-cell ref or a RangeVal for a range."""
    tokens = _tokenize(formula[1:] if formula.startswith("=") else formula)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else (None, None)

    def take(val=None):
        nonlocal pos
        tok = peek()
        if val is not None and tok[1] != val:
            raise Unsupported(formula)
        pos += 1
        return tok

    def binary(sub, ops, fn):
        def parse():
            left = sub()
            while peek()[0] == "op" and peek()[1] in ops:
                op = take()[1]
                left = fn(op, left, sub())
            return left

        return parse

    def primary():
        kind, val = peek()
        if kind is None:
            raise Unsupported(formula)
        take()
        if kind == "num":
            return float(val)
        if kind == "str":
            return val[1:-1].replace('""', '"')
        if kind == "bool":
            return val.upper() == "TRUE"
        if kind == "ref":
            return resolve(val)
        if kind == "func":
            name = val.upper()
            args = []
            if peek() != ("op", ")"):
                args.append(guarded())
                while peek() == ("op", ","):
                    take()
                    args.append(guarded())
            take(")")
            if name == "IF":  # only the branch taken counts
                if not 1 < len(args) <= 3:
                    raise FormulaError("#N/A", "Wrong number of arguments to IF.")
                cond = args[0]
                if isinstance(cond, _Failed):
                    raise cond.error
                chosen = args[1] if _num(cond) else (args[2] if len(args) == 3 else False)
                if isinstance(chosen, _Failed):
                    raise chosen.error
                return chosen
            for a in args:
                if isinstance(a, _Failed):
                    raise a.error
            if name not in FUNCTIONS:
                raise Unsupported(name)
            return FUNCTIONS[name](args)
        if (kind, val) == ("op", "("):
            v = expr()
            take(")")
            return v
        if (kind, val) == ("op", "-"):
            return -_num(primary())
        if (kind, val) == ("op", "+"):
            return _num(primary())
        raise Unsupported(formula)

    def arith(op, a, b):
        x, y = _num(a), _num(b)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            if y == 0:
                raise FormulaError("#DIV/0!", "Function DIVIDE parameter 2 cannot be zero.")
            return x / y
        return x**y

    def concat(_op, a, b):
        return _text(a) + _text(b)

    def compare(op, a, b):
        if isinstance(a, str) or isinstance(b, str):
            a, b = _text(a).lower(), _text(b).lower()
        else:
            a, b = _num(a), _num(b)
        return {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]

    def guarded():
        """One function argument; a failed one is kept as _Failed and the rest of it skipped."""
        nonlocal pos
        try:
            return expr()
        except FormulaError as exc:
            depth = 0
            while pos < len(tokens):
                kind, val = tokens[pos]
                if depth == 0 and (kind, val) in (("op", ","), ("op", ")")):
                    break
                depth += 1 if kind == "func" or (kind, val) == ("op", "(") else -1 if (kind, val) == ("op", ")") else 0
                pos += 1
            return _Failed(exc)

    power = binary(primary, ("^",), arith)
    term = binary(power, ("*", "/"), arith)
    additive = binary(term, ("+", "-"), arith)
    concat_ = binary(additive, ("&",), concat)
    expr = binary(concat_, ("=", "<>", "<", ">", "<=", ">="), compare)

    result = expr()
    if pos != len(tokens):
        raise Unsupported(formula)
    if isinstance(result, RangeVal):
        if len(result) == 1:
            return result[0] if result[0] is not None else 0.0
        raise FormulaError("#VALUE!", "An array value could not be found.")
    return result


def _text(v) -> str:
    if isinstance(v, RangeVal):
        v = v[0] if len(v) == 1 else ""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return format_number(v)
    return str(v)


def format_number(x: float) -> str:
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".15g").replace("e+", "E+").replace("e-", "E-")
