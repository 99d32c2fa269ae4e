"""User-defined activations parsed from text, safely.

The text is parsed by :func:`ast.parse` (which executes nothing) and the tree is walked against a
whitelist; the SymPy expression is built node by node. Nothing the user wrote is ever passed to
``eval``, ``exec`` or ``sympify``.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from typing import Any

import sympy as sp

from . import catalog
from .errors import DefinitionError, ParameterError, SymactError
from .model import Activation, X, _to_number

MAX_LENGTH = 2000
MAX_INT_DIGITS = 100
MAX_EXPONENT = 1000
MAX_RESULT_DIGITS = 10_000

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _one(f: Callable[[sp.Expr], sp.Expr]) -> tuple[int, int, Callable[..., sp.Expr]]:
    return (1, 1, f)


#: function name -> (min args, max args, builder)
FUNCTIONS: dict[str, tuple[int, int, Callable[..., sp.Expr]]] = {
    "exp": _one(sp.exp),
    "log": _one(sp.log),
    "log1p": _one(lambda z: sp.log(1 + z)),
    "expm1": _one(lambda z: sp.exp(z) - 1),
    "sqrt": _one(sp.sqrt),
    "abs": _one(sp.Abs),
    "sign": _one(sp.sign),
    "sin": _one(sp.sin),
    "cos": _one(sp.cos),
    "tan": _one(sp.tan),
    "tanh": _one(sp.tanh),
    "sinh": _one(sp.sinh),
    "cosh": _one(sp.cosh),
    "atan": _one(sp.atan),
    "arctan": _one(sp.atan),
    "erf": _one(sp.erf),
    "erfc": _one(sp.erfc),
    "Max": (2, 16, sp.Max),
    "Min": (2, 16, sp.Min),
    "max": (2, 16, sp.Max),
    "min": (2, 16, sp.Min),
    "Heaviside": (1, 2, sp.Heaviside),
}

CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_COMPARE = {
    ast.Lt: sp.Lt,
    ast.LtE: sp.Le,
    ast.Gt: sp.Gt,
    ast.GtE: sp.Ge,
}


class _Builder:
    """Walks a whitelisted Python expression tree and builds the SymPy expression."""

    def __init__(self, text: str, params: dict[str, sp.Symbol]):
        self.text = text
        self.names: dict[str, sp.Expr] = {"x": X, **CONSTANTS, **params}

    # -- errors
    def fail(self, node: ast.AST, message: str) -> DefinitionError:
        token = ast.get_source_segment(self.text, node) or type(node).__name__
        if len(token) > 40:
            token = token[:37] + "..."
        return DefinitionError(message, token, getattr(node, "col_offset", None))

    # -- expressions
    def expr(self, node: ast.AST) -> sp.Expr:
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            raise self.fail(node, f"{_describe(node)} is not allowed in an activation")
        return method(node)

    def expr_Constant(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, f"{type(value).__name__} literals are not allowed")
        if isinstance(value, int):
            if value.bit_length() > MAX_INT_DIGITS * 3.33:
                raise self.fail(node, f"integer literal longer than {MAX_INT_DIGITS} digits")
            return sp.Integer(value)
        if not math.isfinite(value):
            raise self.fail(node, "number literal is not finite")
        return sp.Rational(repr(value))

    def expr_Name(self, node: ast.Name) -> sp.Expr:
        if node.id.startswith("_"):
            raise self.fail(node, "names starting with '_' are not allowed")
        if node.id in self.names:
            return self.names[node.id]
        if node.id in FUNCTIONS or catalog.is_known(node.id):
            raise self.fail(node, f"{node.id} is a function: call it, e.g. {node.id}(x)")
        known = ", ".join(["x", *sorted(k for k in self.names if k != "x")])
        raise self.fail(node, f"unknown symbol {node.id!r} (known symbols: {known}; declare a "
                        "parameter by passing its default, e.g. define(text, alpha=1))")

    def expr_UnaryOp(self, node: ast.UnaryOp) -> sp.Expr:
        if isinstance(node.op, ast.USub):
            return -self.expr(node.operand)
        if isinstance(node.op, ast.UAdd):
            return self.expr(node.operand)
        raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")

    def expr_BinOp(self, node: ast.BinOp) -> sp.Expr:
        if isinstance(node.op, ast.Pow):
            return self.power(node)
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise self.fail(node, f"operator {_OP_TEXT.get(type(node.op), '?')} is not allowed "
                            "(use + - * / **)")
        return self.checked(node, op(self.expr(node.left), self.expr(node.right)))

    def power(self, node: ast.BinOp) -> sp.Expr:
        base, exponent = self.expr(node.left), self.expr(node.right)
        if exponent.is_number:
            if exponent.is_real is not True:
                raise self.fail(node, "exponent is not a real number")
            if abs(exponent) > MAX_EXPONENT:
                raise self.fail(node, f"exponent larger than {MAX_EXPONENT} in magnitude")
            if base.is_number and base.is_real and base != 0:
                digits = float(abs(exponent)) * abs(math.log10(abs(float(sp.N(base, 15))) or 1))
                if digits > MAX_RESULT_DIGITS:
                    raise self.fail(node, "power too large to represent")
        return self.checked(node, base**exponent)

    def checked(self, node: ast.AST, value: sp.Expr) -> sp.Expr:
        if value.is_Integer and abs(value) > 10**MAX_RESULT_DIGITS:
            raise self.fail(node, "number too large to represent")
        if value.has(sp.zoo, sp.nan) or value in (sp.oo, -sp.oo):
            raise self.fail(node, "expression is undefined (division by zero or infinity)")
        return value

    def expr_Call(self, node: ast.Call) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node.func, "only plain function names can be called")
        fname = node.func.id
        if fname.startswith("_"):
            raise self.fail(node.func, "names starting with '_' are not allowed")
        if fname == "Piecewise":
            return self.piecewise(node)
        if fname in FUNCTIONS:
            lo, hi, build = FUNCTIONS[fname]
            if node.keywords:
                raise self.fail(node.keywords[0].value, f"{fname} takes no keyword arguments")
            if not lo <= len(node.args) <= hi:
                count = str(lo) if lo == hi else f"{lo} to {hi}"
                raise self.fail(node, f"{fname} takes {count} argument(s), got {len(node.args)}")
            args = [self.expr(a) for a in node.args]
            return self.checked(node, build(*args))
        if catalog.is_known(fname):
            return self.catalog_call(node, fname)
        allowed = ", ".join(sorted([*FUNCTIONS, "Piecewise"]))
        raise self.fail(node.func, f"unknown function {fname!r} (allowed: {allowed}, and every "
                        "catalog activation name)")

    def catalog_call(self, node: ast.Call, fname: str) -> sp.Expr:
        act = catalog.get(fname)
        if act.is_vector:
            raise self.fail(node.func, f"{act.name} is vector-valued and cannot be composed")
        if len(node.args) != 1:
            raise self.fail(node, f"{fname} takes one positional argument, got {len(node.args)}")
        numeric: dict[str, Any] = {}
        symbolic: dict[sp.Symbol, sp.Expr] = {}
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in act.params:
                known = ", ".join(act.params) or "none"
                raise self.fail(kw.value, f"{act.name} has no parameter {kw.arg!r} (its "
                                f"parameters: {known})")
            value = self.expr(kw.value)
            if value.is_number:
                numeric[kw.arg] = value
            else:
                symbolic[act.params[kw.arg]] = value
        try:
            inner = act.bind(**numeric) if numeric else act
        except ParameterError as exc:
            raise self.fail(node, str(exc)) from None
        expr = inner.expr.subs(symbolic)
        leftover = {s: inner.defaults[k] for k, s in inner.params.items()
                    if s not in symbolic}
        expr = expr.subs(leftover)
        return expr.subs(X, self.expr(node.args[0]))

    def piecewise(self, node: ast.Call) -> sp.Expr:
        if node.keywords or not node.args:
            raise self.fail(node, "Piecewise takes (value, condition) pairs")
        pieces = []
        for k, arg in enumerate(node.args):
            if not isinstance(arg, ast.Tuple) or len(arg.elts) != 2:
                raise self.fail(arg, "each Piecewise argument must be a (value, condition) pair")
            value = self.expr(arg.elts[0])
            cond = self.condition(arg.elts[1])
            if k == len(node.args) - 1 and cond is not sp.true:
                raise self.fail(arg.elts[1], "the last Piecewise pair must have the condition "
                                "True, so that the function is defined on all of R")
            pieces.append((value, cond))
        return sp.Piecewise(*pieces)

    def condition(self, node: ast.AST) -> sp.Basic:
        if isinstance(node, ast.Constant) and node.value is True:
            return sp.true
        if isinstance(node, ast.Compare):
            terms = [self.expr(node.left), *(self.expr(c) for c in node.comparators)]
            parts = []
            for op, left, right in zip(node.ops, terms, terms[1:], strict=False):
                rel = _COMPARE.get(type(op))
                if rel is None:
                    raise self.fail(node, "only < <= > >= are allowed in conditions")
                parts.append(rel(left, right))
            return sp.And(*parts)
        if isinstance(node, ast.BoolOp):
            parts = [self.condition(v) for v in node.values]
            return sp.And(*parts) if isinstance(node.op, ast.And) else sp.Or(*parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            left, right = self.condition(node.left), self.condition(node.right)
            return sp.And(left, right) if isinstance(node.op, ast.BitAnd) else sp.Or(left, right)
        raise self.fail(node, "a Piecewise condition must be a comparison such as x < 0, "
                        "combined with and/or, or True")


_OP_TEXT = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&",
            ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}


def _describe(node: ast.AST) -> str:
    kinds = {
        "Attribute": "attribute access",
        "Lambda": "a lambda",
        "Subscript": "indexing",
        "List": "a list",
        "Tuple": "a tuple",
        "Dict": "a dict",
        "Set": "a set",
        "ListComp": "a comprehension",
        "GeneratorExp": "a generator",
        "Compare": "a comparison outside Piecewise",
        "BoolOp": "and/or outside Piecewise",
        "IfExp": "an if-expression (use Piecewise)",
        "JoinedStr": "an f-string",
        "NamedExpr": "an assignment",
        "Starred": "unpacking",
        "Await": "await",
        "Yield": "yield",
    }
    return kinds.get(type(node).__name__, type(node).__name__)


def parse_expression(text: str, params: dict[str, sp.Symbol] | None = None) -> sp.Expr:
    """Parse ``text`` into a SymPy expression in ``x`` and ``params`` (a whitelist parser)."""
    if not isinstance(text, str):
        raise DefinitionError(f"expected the expression as a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise DefinitionError(f"expression longer than {MAX_LENGTH} characters ({len(text)})")
    if not text.strip():
        raise DefinitionError("empty expression")
    if "\x00" in text:
        raise DefinitionError("NUL character in expression", "\\x00", text.index("\x00"))
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1
        stripped = text.strip()
        token = stripped[offset:offset + 1] if offset < len(stripped) else "end of text"
        raise DefinitionError(f"syntax error: {exc.msg}", token, offset) from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        raise DefinitionError(f"cannot parse expression: {exc}") from None
    builder = _Builder(text.strip(), params or {})
    try:
        return builder.expr(tree.body)
    except SymactError:
        raise
    except (RecursionError, MemoryError, OverflowError):
        raise DefinitionError("expression too deeply nested or too large") from None
    except (TypeError, ValueError, AttributeError, ZeroDivisionError) as exc:
        raise DefinitionError(f"invalid expression: {exc}") from None


def define(text: str, name: str | None = None, **defaults: Any) -> Activation:
    """Build an :class:`Activation` from text such as ``"x * tanh(softplus(x))"``.

    Keyword arguments declare parameters with their defaults: ``define("x*sigmoid(beta*x)",
    beta=1)``. Raises :class:`DefinitionError` on anything outside the whitelist.
    """
    name = "custom" if name is None else name
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise DefinitionError(f"name {name!r} is not snake_case (letters, digits, underscores)")
    params: dict[str, sp.Symbol] = {}
    for key in defaults:
        if not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", key) or key == "x" or key in FUNCTIONS \
                or key in CONSTANTS or catalog.is_known(key) or key == "Piecewise":
            raise DefinitionError(f"{key!r} cannot be a parameter name")
        params[key] = sp.Symbol(key, real=True)
    try:
        values = {k: _to_number(k, v) for k, v in defaults.items()}
    except ParameterError as exc:
        raise DefinitionError(str(exc)) from None
    expr = parse_expression(text, params)
    if not isinstance(expr, sp.Expr):
        raise DefinitionError("the expression must be a number-valued formula in x")
    unused = [k for k, s in params.items() if not expr.has(s)]
    if unused:
        raise DefinitionError(f"parameter {unused[0]!r} does not occur in the expression")
    return Activation(
        name=name,
        expr=expr,
        params=params,
        defaults=values,
        description=f"user-defined: {text.strip()}",
        reference="user-defined",
        user_defined=True,
    )
