"""Derivatives (per piece, respecting the kink convention) and the derivative through the output."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from .budget import attempt
from .normalize import Component, to_piecewise

#: The symbol standing for the output f(x) in :func:`through_output`.
F = sp.Symbol("f", real=True)


def _funcs(e: sp.Expr) -> set:
    return {type(a) for a in e.atoms(sp.Function)}


def simplify_quick(e: sp.Expr, seconds: float) -> sp.Expr:
    """A shorter equivalent form under a budget (``simplify``, ``factor``, ``cancel``, ...);
    forms that bring in functions absent from ``e`` (cosh for a logistic) are not taken."""
    if e.is_number or e.is_Symbol or not isinstance(e, sp.Expr):
        return e
    best, cost = e, sp.count_ops(e)
    allowed = _funcs(e)
    for fn in (sp.simplify, sp.factor, sp.cancel, sp.together):
        got = attempt(lambda fn=fn: fn(e), seconds)
        if not got or not isinstance(got.value, sp.Expr):
            continue
        if not _funcs(got.value) <= allowed:
            continue
        c = sp.count_ops(got.value)
        if c < cost:
            best, cost = got.value, c
    return best


def piecewise_derivative(expr: sp.Expr, x: sp.Symbol, n: int = 1,
                         seconds: float = 5.0) -> sp.Expr:
    """The n-th derivative, branch by branch (the branch whose condition holds at a kink gives
    the derivative there), each branch simplified under the budget."""
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"derivative order must be a non-negative integer, got {n!r}")
    e = to_piecewise(expr)
    if isinstance(e, sp.Piecewise):
        branches = [(simplify_quick(sp.diff(b, x, n), seconds), c) for b, c in e.args]
        out = sp.Piecewise(*branches)
        return out
    return simplify_quick(sp.diff(e, x, n), seconds)


_BASIS = (sp.S.One, F, F**2, sp.exp(-F))


def _fit(g: sp.Expr, dg: sp.Expr, x: sp.Symbol, seconds: float) -> sp.Expr | None:
    """A form P(f) with P(g(x)) = g'(x), verified symbolically, or None."""
    if x not in dg.free_symbols:
        return dg
    pts = [sp.Integer(k) for k in (1, 2, -1, 3, -2)]
    for size in (2, 3, 4):
        basis = _BASIS[:size]

        def solve(basis=basis, size=size):
            rows = [[b.subs(F, g.subs(x, p)) for b in basis] for p in pts[:size]]
            rhs = [dg.subs(x, p) for p in pts[:size]]
            m = sp.Matrix(rows)
            if any(v.has(sp.nan, sp.zoo, sp.oo) for v in [*m, *rhs]):
                return None
            return m.LUsolve(sp.Matrix(rhs))

        got = attempt(solve, seconds)
        if not got or got.value is None:
            continue
        coeffs = [_tidy(c) for c in got.value]
        if any(c.has(sp.nan, sp.zoo) for c in coeffs):
            continue
        # tidy near-integers that simplify missed
        poly = sum(c * b for c, b in zip(coeffs, basis, strict=True))
        diff = dg - poly.subs(F, g)
        check = attempt(lambda: sp.simplify(diff), seconds)
        if not (check and check.value == 0):
            check = attempt(lambda: sp.simplify(diff.rewrite(sp.exp)), seconds)
        if check and check.value == 0:
            return sp.expand(poly)
    return None


def _tidy(c: sp.Expr) -> sp.Expr:
    """A fitted coefficient as a short rational when it evidently is one (the identity is
    verified symbolically afterwards, so a wrong guess is only rejected, never reported)."""
    v = sp.N(c, 40)
    if not v.is_real:
        return c
    guess = Fraction(str(v)).limit_denominator(10**6)
    if abs(sp.Rational(guess.numerator, guess.denominator) - v) < sp.Float(10) ** -30:
        return sp.Rational(guess.numerator, guess.denominator)
    return c


def through_output(comps: list[Component], derivs: list[sp.Expr], x: sp.Symbol,
                   seconds: float) -> sp.Expr | None:
    """f' written in the output symbol ``f`` (``x`` only in the branch conditions), or None."""
    forms = []
    for comp, dg in zip(comps, derivs, strict=True):
        if comp.is_point:
            forms.append((sp.diff(comp.expr, x), comp.set.as_relational(x)))
            continue
        form = _fit(comp.expr, dg, x, seconds)
        if form is None:
            return None
        forms.append((form, comp.set.as_relational(x)))
    real = [f for f, c in forms]
    if all(f == real[0] for f in real):
        return real[0]
    return sp.Piecewise(*[(f, c) for f, c in forms[:-1]], (forms[-1][0], True))
