"""LaTeX for activations: a SymPy printer with operator names, cases and readable parameters.

:func:`to_latex` first rewrites an expression *for display only* (exact identities: ``1/(1 +
e^{-z})`` becomes ``sigmoid(z)``, ``log(1 + e^z)`` becomes ``softplus(z)``, a hinge nested inside
a larger expression becomes ``max(0, z)``) and then prints it with
:class:`ActivationLatexPrinter`: ``\\operatorname{...}`` names, a ``cases`` environment for a
top-level ``Piecewise`` (with disjoint conditions where they depend on ``x`` alone), parameters by
their conventional letters (``lambd`` -> ``\\lambda``, ``min_val`` -> ``x_{\\min}``) and exact
constants.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter

#: Catalog parameter names -> their conventional LaTeX letters.
PARAM_LATEX: Mapping[str, str] = {
    "alpha": r"\alpha",
    "beta": r"\beta",
    "lambd": r"\lambda",
    "negative_slope": "a",
    "weight": "w",
    "lower": "l",
    "upper": "u",
    "min_val": r"x_{\min}",
    "max_val": r"x_{\max}",
    "threshold": r"\theta",
    "value": "v",
    "p1": "p_1",
    "p2": "p_2",
}

#: Display-only functions: name -> LaTeX operator.
OPERATORS: Mapping[str, str] = {
    "sigmoid": r"\operatorname{sigmoid}",
    "softplus": r"\operatorname{softplus}",
    "erf": r"\operatorname{erf}",
    "erfc": r"\operatorname{erfc}",
    "sinc": r"\operatorname{sinc}",
    "sign": r"\operatorname{sign}",
}

_sigmoid = sp.Function("sigmoid")
_softplus = sp.Function("softplus")


def _named_constants() -> list[tuple[sp.Expr, sp.Symbol, str]]:
    """Exact constants printed by a name, with their definition given beside the formula."""
    from ..catalog.smooth import SELU_ALPHA, SELU_SCALE

    return [
        (SELU_SCALE, sp.Symbol("lambda_SELU", positive=True), r"\lambda_{\mathrm{SELU}}"),
        (SELU_ALPHA, sp.Symbol("alpha_SELU", positive=True), r"\alpha_{\mathrm{SELU}}"),
    ]


def named_constants(expr: sp.Basic) -> list[tuple[str, sp.Expr]]:
    """The named constants occurring in ``expr``: ``[(latex name, exact value), ...]``."""
    replaced = _replace_constants(expr)
    return [(tex, value) for value, symbol, tex in _named_constants() if replaced.has(symbol)]


def _replace_constants(expr: sp.Basic) -> sp.Basic:
    if not expr.has(sp.erfc):  # every named constant involves erfc
        return expr
    for value, symbol, _tex in _named_constants():
        expr = expr.subs(value, symbol)
    return expr


def _is_hinge(e: sp.Basic) -> bool:
    """``Piecewise((0, z <= 0), (z, True))``: max(0, z)."""
    if not isinstance(e, sp.Piecewise) or len(e.args) != 2:
        return False
    (v0, c0), (v1, c1) = e.args
    return v0 == 0 and c1 is sp.true and isinstance(c0, sp.Le) and (c0.lhs - c0.rhs) == v1 \
        or v0 == 0 and c1 is sp.true and isinstance(c0, sp.Ge) and (c0.rhs - c0.lhs) == v1


def _sigmoid_arg(base: sp.Expr) -> sp.Expr | None:
    """z when ``base`` is ``1 + exp(-z)``, else None."""
    if not isinstance(base, sp.Add) or len(base.args) != 2 or sp.S.One not in base.args:
        return None
    other = base.args[0] if base.args[1] == 1 else base.args[1]
    if isinstance(other, sp.exp):
        return -other.args[0]
    return None


def display_form(expr: sp.Basic, top: bool = True, named: bool = True) -> sp.Basic:
    """``expr`` rewritten for reading (exact identities only; never used for computation).

    With ``named``, the named constants (SELU's) are replaced by their symbols.
    """
    if named:
        expr = _replace_constants(expr)

    def rewrite(e: sp.Basic, is_top: bool) -> sp.Basic:
        if not e.args:
            return e
        if _is_hinge(e) and not is_top:
            arg = e.args[1][0]
            return sp.Max(0, rewrite(arg, False), evaluate=False)
        if isinstance(e, sp.Mul):  # exp(z) / (1 + exp(z)) -> sigmoid(z)
            factors = list(e.args)
            for f in factors:
                if isinstance(f, sp.Pow) and f.exp == -1 and isinstance(f.base, sp.Add) \
                        and len(f.base.args) == 2 and sp.S.One in f.base.args:
                    other = f.base.args[0] if f.base.args[1] == 1 else f.base.args[1]
                    if isinstance(other, sp.exp) and other in factors:
                        rest = list(factors)  # (one of each, by equality: an equal exp need
                        rest.remove(f)        # not be the same object, by SymPy's cache)
                        rest.remove(other)
                        z = rewrite(other.args[0], False)
                        return sp.Mul(*[rewrite(g, False) for g in rest], _sigmoid(z),
                                      evaluate=False) if rest else _sigmoid(z)
        if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp < 0:
            z = _sigmoid_arg(e.base)
            if z is not None:
                return sp.Pow(_sigmoid(rewrite(z, False)), -e.exp, evaluate=False) \
                    if e.exp != -1 else _sigmoid(rewrite(z, False))
        if isinstance(e, sp.log) and isinstance(e.args[0], sp.Add):
            inner = e.args[0]
            if len(inner.args) == 2 and sp.S.One in inner.args:
                other = inner.args[0] if inner.args[1] == 1 else inner.args[1]
                if isinstance(other, sp.exp):
                    return _softplus(rewrite(other.args[0], False))
        new_args = [rewrite(a, False) for a in e.args]
        if isinstance(e, sp.Piecewise):
            return sp.Piecewise(*[(rewrite(v, False), c) for v, c in e.args], evaluate=False)
        if new_args == list(e.args):
            return e
        return e.func(*new_args)

    return rewrite(expr, top)


class ActivationLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the conventions of the formula sheet."""

    def __init__(self, settings: dict | None = None, x: sp.Symbol | None = None) -> None:
        super().__init__({"mul_symbol": None, "inv_trig_style": "full", **(settings or {})})
        self._x = x

    # -- symbols and constants ----------------------------------------------------------
    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if expr.name in PARAM_LATEX:
            return PARAM_LATEX[expr.name]
        if expr.name == "lambda_SELU":
            return r"\lambda_{\mathrm{SELU}}"
        if expr.name == "alpha_SELU":
            return r"\alpha_{\mathrm{SELU}}"
        return super()._print_Symbol(expr, style=style)

    def _print_Exp1(self, expr: sp.Basic) -> str:
        return "e"

    def _print_Float(self, expr: sp.Float) -> str:
        """A floating-point value (a numeric result) to 6 significant digits."""
        value = float(expr)
        text = f"{value:.6g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
        return text

    # -- functions ------------------------------------------------------------------------
    def _print_Function(self, expr: sp.Basic, exp: str | None = None) -> str:
        name = expr.func.__name__
        if name in OPERATORS:
            args = ", ".join(self._print(a) for a in expr.args)
            head = OPERATORS[name] + (f"^{{{exp}}}" if exp else "")
            return head + _paren(args)
        return super()._print_Function(expr, exp)

    def _print_erf(self, expr: sp.Basic, exp: str | None = None) -> str:
        return self._print_Function(expr, exp)

    def _print_erfc(self, expr: sp.Basic, exp: str | None = None) -> str:
        return self._print_Function(expr, exp)

    def _print_sinc(self, expr: sp.Basic, exp: str | None = None) -> str:
        return self._print_Function(expr, exp)

    def _print_sign(self, expr: sp.Basic, exp: str | None = None) -> str:
        return self._print_Function(expr, exp)

    def _print_Abs(self, expr: sp.Basic, exp: str | None = None) -> str:
        inner = self._print(expr.args[0])
        tex = rf"\left\lvert {inner} \right\rvert" if _tall(inner) else rf"\lvert {inner} \rvert"
        return f"{tex}^{{{exp}}}" if exp else tex

    def _print_Max(self, expr: sp.Basic, exp: str | None = None) -> str:
        args = ", ".join(self._print(a) for a in expr.args)
        tex = r"\max" + _paren(args)
        return f"{tex}^{{{exp}}}" if exp else tex

    def _print_Heaviside(self, expr: sp.Basic, exp: str | None = None) -> str:
        tex = "H" + _paren(self._print(expr.args[0]))
        return f"{tex}^{{{exp}}}" if exp else tex

    # -- piecewise --------------------------------------------------------------------------
    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        rows = []
        for value, cond in _display_branches(expr, self._x):
            if cond is sp.true:
                rows.append(rf"{self._print(value)} & \text{{otherwise}}")
            else:
                rows.append(rf"{self._print(value)} & \text{{if }} {self._print(cond)}")
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"

    def _print_Relational(self, expr: sp.Basic) -> str:
        x = self._x
        if x is not None and type(expr) in _OPS and not expr.lhs.has(x):
            flipped = _FLIP_REL[type(expr)]
            if expr.rhs == x:  # "0 < x" -> "x > 0"
                return self._print_Relational(flipped(x, expr.lhs, evaluate=False))
            if expr.rhs == -x:  # "lambda < -x" -> "x < -lambda"
                return self._print_Relational(type(expr)(x, -expr.lhs, evaluate=False))
        if type(expr) in _OPS:
            return f"{self._print(expr.lhs)} {_OPS[type(expr)]} {self._print(expr.rhs)}"
        return super()._print_Relational(expr)

    def _print_And(self, expr: sp.And) -> str:
        chained = _chain(expr)
        if chained is not None:
            return " ".join(self._print(p) if isinstance(p, sp.Basic) else p for p in chained)
        return r" \wedge ".join(self._print(a) for a in _sorted_args(expr))

    def _print_Or(self, expr: sp.Or) -> str:
        return r" \text{ or } ".join(self._print(a) for a in _by_position(expr, self._x))


def _tall(tex: str) -> bool:
    return any(t in tex for t in (r"\frac", r"\sum", r"\begin", r"\left", r"\sqrt", "^{"))


def _paren(tex: str) -> str:
    """Parentheses around ``tex``: plain ones unless it is tall (fractions, sums, cases)."""
    if _tall(tex):
        return rf"\left({tex}\right)"
    return f"({tex})"


def _by_position(expr: sp.Basic, x: sp.Symbol | None) -> list[sp.Basic]:
    """Alternatives ordered along the real line (``x < -1 or x > 1``) where they are numeric."""
    def key(arg: sp.Basic):
        bound = None
        if isinstance(arg, sp.core.relational.Relational) and x is not None:
            other = arg.rhs if arg.lhs == x else arg.lhs if arg.rhs == x else None
            if other is not None and other.is_number:
                bound = float(other)
        return (bound is None, bound if bound is not None else 0.0, sp.default_sort_key(arg))

    return sorted(expr.args, key=key)


def _sorted_args(expr: sp.Basic) -> list[sp.Basic]:
    return sorted(expr.args, key=sp.default_sort_key)


_OPS = {sp.StrictLessThan: "<", sp.LessThan: r"\le", sp.StrictGreaterThan: ">",
        sp.GreaterThan: r"\ge"}
_FLIP_REL = {sp.StrictLessThan: sp.StrictGreaterThan, sp.LessThan: sp.GreaterThan,
             sp.StrictGreaterThan: sp.StrictLessThan, sp.GreaterThan: sp.LessThan}
_FLIP = {"<": ">", r"\le": r"\ge", ">": "<", r"\ge": r"\le"}


def _chain(expr: sp.And) -> list | None:
    """``a < x <= b`` for the conjunction of a lower and an upper bound on one symbol."""
    if len(expr.args) != 2:
        return None
    bounds = []
    for rel in expr.args:
        if type(rel) not in _OPS:
            return None
        op = _OPS[type(rel)]
        if rel.lhs.is_Symbol:
            var, bound, op = rel.lhs, rel.rhs, _FLIP[op]  # write as "bound op var"
        elif rel.rhs.is_Symbol:
            var, bound = rel.rhs, rel.lhs
        else:
            return None
        bounds.append((var, bound, op))
    (v1, b1, o1), (v2, b2, o2) = bounds
    if v1 != v2:
        return None
    lower = [(b, o) for _v, b, o in bounds if o in ("<", r"\le")]
    upper = [(b, o) for _v, b, o in bounds if o in (">", r"\ge")]
    if len(lower) != 1 or len(upper) != 1:
        return None
    (lo, lo_op), (hi, hi_op) = lower[0], upper[0]
    return [lo, lo_op, v1, _FLIP[hi_op], hi]


def _display_branches(expr: sp.Piecewise, x: sp.Symbol | None) -> list[tuple[sp.Basic, sp.Basic]]:
    """The branches of ``expr`` with disjoint conditions when they depend on ``x`` only.

    A Piecewise is first-match; a ``cases`` display is read as disjoint conditions. When every
    condition is a condition on ``x`` alone, print the set each branch really covers
    (``0 <= x <= 2`` rather than ``x >= 0`` after ``x > 2``). Otherwise keep the conditions as
    written (they are then already disjoint under the activation's constraints).
    """
    args = list(expr.args)
    symbols = set().union(*(c.free_symbols for _v, c in args))
    if x is None or symbols != {x}:
        return args
    try:
        pairs = sp.Piecewise(*args).as_expr_set_pairs()
    except (NotImplementedError, TypeError, ValueError):
        return args
    out = []
    for value, region in pairs:
        if region is sp.S.EmptySet:
            continue
        cond = region.as_relational(x)
        out.append((value, sp.true if region == sp.S.Reals else cond))
    # keep the catalog's order of branches where possible (as_expr_set_pairs keeps it)
    return out or args


def to_latex(expr: sp.Basic, x: sp.Symbol | None = None, top: bool = True,
             named: bool = True) -> str:
    """LaTeX of ``expr`` as printed on the formula sheet (``named``: see :func:`display_form`)."""
    from ..model import X

    printer = ActivationLatexPrinter(x=x if x is not None else X)
    return printer.doprint(display_form(sp.sympify(expr), top=top, named=named))


def param_latex(name: str) -> str:
    """The LaTeX letter of a parameter name (unknown names printed by SymPy)."""
    return PARAM_LATEX.get(name) or sp.latex(sp.Symbol(name))
