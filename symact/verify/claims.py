"""Claims files: TOML with a list of ``[[claim]]`` tables, parsed and validated.

Each claim names its activation (``activation``: catalog name or alias; or ``expr``: a user
expression, parsed by :func:`symact.define`), optional ``params`` and ``note``, and exactly one
claim key (see :data:`KINDS`). Every expression in a claim is parsed by the safe parser of
:mod:`symact.define` (never ``eval``/``sympify``). Anything malformed raises
:class:`~symact.errors.ClaimError` naming the claim, its line and the key.

Semantics: parameters not given in ``params`` take their defaults, and parameter names in claim
expressions stand for those values. ``continuity = k`` means "f is C^k" (at least; ``-1`` means
discontinuous; ``"exactly k"`` asks for the exact class). ``monotonic`` holds when the true
behaviour implies it (strictly increasing is also non-decreasing). ``value`` without a
``tolerance`` compares a decimal to half a unit in its last written place (0.982 -> 5e-4) and an
integer or exact expression (``"1/2"``) exactly; ``at`` may be ``"oo"``/``"-oo"``. A range
whose end depends on x (``"[0, x)"``) is read pointwise, ``0 <= f(x) < x`` for every x.
"""

from __future__ import annotations

import ast
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy as sp

from .. import catalog
from ..define import define, parse_expression
from ..errors import ClaimError, SymactError
from ..model import Activation

#: claim key -> short description (the claim kinds)
KINDS: dict[str, str] = {
    "equals": "f equals the expression for all real x",
    "derivative_equals": "f' equals the expression (f stands for the activation's value)",
    "range": "the image of R in interval notation: \"(-alpha, oo)\", \"{0, 1}\", \"[0, 1) U {2}\"",
    "parity": "\"even\", \"odd\" or \"neither\"",
    "monotonic": "\"increasing\", \"non-decreasing\", \"decreasing\", \"non-increasing\", \"none\"",
    "continuity": "k: f is C^k (at least; -1: discontinuous), \"oo\", or \"exactly k\"",
    "identity_near_origin": "true/false: f(0) = 0, f'(0) = 1 and f is C^1 at 0",
    "bounded": "true/false: bounded above and below",
    "limit": "{at = \"oo\", value = \"1\"} (optional of = \"df\" for the derivative)",
    "value": "{at = 4, value = 0.982, tolerance = 5e-4}",
    "max_derivative": "sup |f'| over R",
    "inequality": "\"f <= relu(x)\": holds for all real x (f, df = f', d2f = f'')",
}
MONOTONIC = ("increasing", "non-decreasing", "decreasing", "non-increasing", "none")
PARITY = ("even", "odd", "neither")
COMMON = ("activation", "expr", "params", "note")
TOP_LEVEL = ("claim", "title")

F = sp.Symbol("f", real=True)
DF = sp.Symbol("df", real=True)
D2F = sp.Symbol("d2f", real=True)
OO = sp.Symbol("oo", positive=True)


@dataclass(frozen=True)
class Claim:
    """One validated claim: its activation (parameters bound) and its parsed content."""

    index: int
    kind: str
    raw: Any
    act: Activation
    label: str
    params: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    line: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The claim as written: ``range = "(-alpha, oo)"``."""
        return f"{self.kind} = {_render(self.raw)}"


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_render(v)}" for k, v in value.items()) + "}"
    return repr(value)


# ---------------------------------------------------------------------------------- loading
def load(source: str | Path | Sequence[Mapping[str, Any]]) -> tuple[list[Claim], str | None]:
    """Validated claims from a TOML file path or a list of claim dicts; plus the file's title."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ClaimError(f"claims file {str(path)!r} not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ClaimError(f"cannot read claims file {str(path)!r}: {exc}") from None
        return parse_text(text, path.name)
    if isinstance(source, Mapping) or not isinstance(source, Sequence):
        raise ClaimError("expected a claims file path or a list of claim tables")
    return [_claim(i, c, _Where("", None, None)) for i, c in enumerate(source)], None


def parse_text(text: str, filename: str = "claims") -> tuple[list[Claim], str | None]:
    """Validated claims from the text of a TOML claims file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClaimError(f"{filename}: not valid TOML: {exc}") from None
    for key in data:
        if key not in TOP_LEVEL:
            line = _key_line(text.splitlines(), key, 0, None)
            at = f":{line}" if line else ""
            raise ClaimError(f"{filename}{at}: unknown top-level key {key!r} (a claims file "
                             "holds [[claim]] tables and an optional title)")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise ClaimError(f"{filename}: title must be a string")
    claims = data.get("claim", [])
    if not isinstance(claims, list) or not all(isinstance(c, dict) for c in claims):
        raise ClaimError(f"{filename}: 'claim' must be a list of [[claim]] tables")
    if not claims:
        raise ClaimError(f"{filename}: no [[claim]] tables found")
    lines = text.splitlines()
    headers = [i + 1 for i, line in enumerate(lines) if re.match(r"^\s*\[\[\s*claim\s*\]\]", line)]
    if len(headers) != len(claims):
        headers = []
    out = []
    for i, raw in enumerate(claims):
        start = headers[i] if headers else None
        end = headers[i + 1] if headers and i + 1 < len(headers) else None
        out.append(_claim(i, raw, _Where(f"{filename}", start, (lines, end))))
    return out, title


class _Where:
    """Where a claim is, to name it in error messages: file, header line, its text block."""

    def __init__(self, prefix: str, line: int | None, block: tuple[list[str], int | None] | None):
        self.prefix = prefix
        self.line = line
        self.block = block

    def error(self, index: int, message: str, key: str | None = None) -> ClaimError:
        key_line = None
        if key is not None and self.block is not None and self.line is not None:
            lines, end = self.block
            key_line = _key_line(lines, key, self.line, end)
        line = key_line or self.line
        head = f"{self.prefix}:{line}: " if self.block is not None and line else (
            f"{self.prefix}: " if self.block is not None else "")
        which = f"claim #{index + 1}" + (f" ([[claim]] at line {self.line})" if self.line
                                         else "")
        key_text = f", key {key!r}" if key else ""
        return ClaimError(f"{head}{which}{key_text}: {message}")


def _key_line(lines: list[str], key: str, start: int, end: int | None) -> int | None:
    k = re.escape(key)
    pattern = re.compile(rf"^\s*(\"{k}\"|{k})\s*(=|\.)|^\s*\[\s*(\"{k}\"|{k})\s*[\].]")
    stop = end - 1 if end else len(lines)
    for i in range(start, stop):
        if pattern.match(lines[i]):
            return i + 1
    return None


def _claim(index: int, raw: Any, where: _Where) -> Claim:
    if not isinstance(raw, Mapping):
        raise where.error(index, "each claim must be a table")
    allowed = (*COMMON, *KINDS)
    for key in raw:
        if key not in allowed:
            close = [k for k in allowed if k.startswith(str(key)[:3])]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise where.error(index, f"unknown key {key!r}{hint}; allowed keys: "
                              f"{', '.join(allowed)}", key)
    kinds = [k for k in raw if k in KINDS]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        raise where.error(index, f"exactly one claim key is required (found: {found}); "
                          f"claim keys: {', '.join(KINDS)}")
    kind = kinds[0]
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise where.error(index, "note must be a string", "note")
    params = raw.get("params", {})
    if not isinstance(params, Mapping):
        raise where.error(index, "params must be a table of name = number", "params")
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise where.error(index, f"parameter {name!r} must be a number or a string like "
                              "\"1/3\"", "params")
    act, label = _activation(index, raw, params, where)
    try:
        data = _content(kind, raw[kind], act)
    except ClaimError as exc:
        raise where.error(index, str(exc), kind) from None
    except SymactError as exc:
        raise where.error(index, str(exc), kind) from None
    return Claim(index=index, kind=kind, raw=raw[kind], act=act, label=label,
                 params=dict(params), note=note, line=where.line, data=data)


def _activation(index: int, raw: Mapping, params: Mapping, where: _Where
                ) -> tuple[Activation, str]:
    has_name, has_expr = "activation" in raw, "expr" in raw
    if has_name == has_expr:
        raise where.error(index, "give exactly one of 'activation' (a catalog name) or 'expr' "
                          "(a user expression)")
    key = "activation" if has_name else "expr"
    value = raw[key]
    if not isinstance(value, str):
        raise where.error(index, f"{key} must be a string", key)
    try:
        if has_name:
            act = catalog.get(value)
            act = act.bind(**params) if params else act
            label = act.name
        else:
            act = define(value, **params)
            label = f"expr {value.strip()}"
    except SymactError as exc:
        raise where.error(index, str(exc), "params" if params and "parameter" in str(exc)
                          else key) from None
    if params:
        label += "[" + ", ".join(f"{k}={v}" for k, v in params.items()) + "]"
    return act.with_defaults(), label


# ---------------------------------------------------------------------------------- contents
def namespace(act: Activation) -> dict[str, sp.Expr]:
    """Parameter name -> bound value, for expressions in claims (``-alpha``)."""
    return {k: sp.sympify(v) for k, v in act.parameter_values.items()}


def parse(text: Any, act: Activation, extra: Mapping[str, sp.Expr] | None = None,
          what: str = "expression") -> sp.Expr:
    """Parse a claim expression with the safe parser; parameters become their values."""
    if isinstance(text, bool):
        raise ClaimError(f"expected a number or an {what} string, got a bool")
    if isinstance(text, int):
        return sp.Integer(text)
    if isinstance(text, float):
        if not math.isfinite(text):
            raise ClaimError(f"{what} must be finite")
        return sp.Rational(repr(text))
    if not isinstance(text, str):
        raise ClaimError(f"expected an {what} string, got {type(text).__name__}")
    names = {**namespace(act), **(extra or {})}
    expr = parse_expression(text, names)
    if isinstance(expr, sp.Basic) and not isinstance(expr, sp.Expr):
        raise ClaimError(f"{what} {text!r} is not a number-valued formula")
    return expr


def _content(kind: str, value: Any, act: Activation) -> dict[str, Any]:
    if act.is_vector and kind != "value":
        return {"vector": True}
    if kind == "equals":
        return {"expr": _no_oo(parse(_string(value), act), value)}
    if kind == "derivative_equals":
        return {"expr": parse(_string(value), act, {"f": F})}
    if kind == "inequality":
        return {"relations": _relations(_string(value), act)}
    if kind == "range":
        from .intervals import parse_set

        return {"set": parse_set(_string(value), act)}
    if kind == "parity":
        return {"parity": _choice(value, PARITY)}
    if kind == "monotonic":
        return {"monotonic": _choice(value, MONOTONIC)}
    if kind == "continuity":
        exact = False
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("exactly "):
                exact, text = True, text[len("exactly "):].strip()
            if text in ("oo", "inf", "infinity"):
                return {"k": sp.oo, "exact": exact}
            value = int(text) if re.fullmatch(r"-?\d+", text) else None
        if isinstance(value, bool) or not isinstance(value, int) or value < -1:
            raise ClaimError("continuity must be an integer k >= -1 (f is C^k; -1: "
                             "discontinuous), \"oo\", or \"exactly k\" for the exact class")
        return {"k": sp.Integer(value), "exact": exact or value == -1}
    if kind in ("identity_near_origin", "bounded"):
        if not isinstance(value, bool):
            raise ClaimError(f"{kind} must be true or false")
        return {"flag": value}
    if kind == "limit":
        table = _table(value, ("at", "value"), ("of",))
        of = table.get("of", "f")
        if of not in ("f", "df"):
            raise ClaimError("limit.of must be \"f\" or \"df\"")
        return {"at": _point(table["at"], act), "value": _limit_value(table["value"], act),
                "of": of}
    if kind == "value":
        table = _table(value, ("at", "value"), ("tolerance",))
        tol = table.get("tolerance")
        if tol is None:
            tol = _implied_tolerance(table["value"])
        elif isinstance(tol, bool) or not isinstance(tol, (int, float)) or tol < 0 \
                or not math.isfinite(tol):
            raise ClaimError("tolerance must be a number >= 0")
        return {"at": _point(table["at"], act), "value": _no_oo(parse(table["value"], act,
                what="value"), table["value"]), "tolerance": sp.Rational(repr(float(tol)))
                if tol else sp.Integer(0)}
    if kind == "max_derivative":
        return {"value": _limit_value(value, act)}
    raise ClaimError(f"unknown claim kind {kind!r}")  # pragma: no cover - guarded by KINDS


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ClaimError(f"expected a string, got {_render(value)}")
    return value


def _choice(value: Any, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ClaimError(f"{_render(value)} is not one of {', '.join(options)}")
    return value


def _table(value: Any, required: tuple[str, ...], optional: tuple[str, ...]) -> dict:
    if not isinstance(value, Mapping):
        raise ClaimError(f"expected a table with {', '.join(required)}")
    for key in value:
        if key not in (*required, *optional):
            raise ClaimError(f"unknown field {key!r} (fields: {', '.join(required + optional)})")
    for key in required:
        if key not in value:
            raise ClaimError(f"missing field {key!r}")
    return dict(value)


def _no_oo(expr: sp.Expr, text: Any) -> sp.Expr:
    if not isinstance(expr, sp.Expr) or expr.has(F, DF, D2F):
        raise ClaimError(f"{text!r}: f, df, d2f cannot be used here")
    return expr


def _point(value: Any, act: Activation) -> sp.Expr:
    if isinstance(value, str) and value.strip() in ("oo", "+oo", "inf"):
        return sp.oo
    if isinstance(value, str) and value.strip() in ("-oo", "-inf"):
        return -sp.oo
    point = parse(value, act, what="point")
    if point.free_symbols:
        raise ClaimError(f"point {value!r} is not a number")
    if point.is_real is not True:
        raise ClaimError(f"point {value!r} is not a real number")
    return point


def _limit_value(value: Any, act: Activation) -> sp.Expr:
    expr = parse(value, act, {"oo": OO}, what="value")
    if expr.free_symbols - {OO}:
        raise ClaimError(f"{value!r} is not a number (symbols: "
                         f"{', '.join(sorted(map(str, expr.free_symbols)))})")
    return expr.subs(OO, sp.oo)


def _implied_tolerance(value: Any) -> float:
    """Half a unit in the last decimal written: 0.982 -> 5e-4; exact values -> 0."""
    if not isinstance(value, float):
        return 0.0
    text = repr(value).lower()
    mantissa, _, exponent = text.partition("e")
    decimals = len(mantissa.partition(".")[2].rstrip("0")) if "." in mantissa else 0
    exp = int(exponent) if exponent else 0
    return 0.5 * 10.0 ** (exp - decimals)


_COMPARE_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
                ast.NotEq: "!="}


def _relations(text: str, act: Activation) -> list[tuple]:
    """``"f <= relu(x)"`` -> [("<=", f, relu(x), ("f", "relu(x)"))]; also ==, != and chains.

    The comparison is split with :func:`ast.parse` (which executes nothing); each side is then
    parsed by the safe parser.
    """
    stripped = text.strip()
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise ClaimError(f"{text!r}: syntax error: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ClaimError(f"{text!r}: cannot parse: {exc}") from None
    body = tree.body
    if not isinstance(body, ast.Compare):
        raise ClaimError(f"{text!r} is not a comparison such as \"f <= relu(x)\"")
    extra = {"f": F, "df": DF, "d2f": D2F}
    nodes = [body.left, *body.comparators]
    terms, texts = [], []
    for node in nodes:
        segment = ast.get_source_segment(stripped, node)
        if segment is None:  # pragma: no cover - ast always has positions for parsed text
            raise ClaimError(f"{text!r}: cannot split the comparison")
        terms.append(parse(segment, act, extra))
        texts.append(segment)
    ops = []
    for op in body.ops:
        if type(op) not in _COMPARE_OPS:
            raise ClaimError(f"{text!r}: only < <= > >= == != are allowed")
        ops.append(_COMPARE_OPS[type(op)])
    return [(op, terms[i], terms[i + 1], (texts[i], texts[i + 1])) for i, op in enumerate(ops)]
