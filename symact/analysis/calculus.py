"""Derivatives (per piece, respecting the kink convention) and the derivative through the output."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy as sp

from ..budget import attempt
from .normalize import Component, to_piecewise
from .numeric import mp_function

#: The symbol standing for the output f(x) in :func:`through_output`.
F = sp.Symbol("f", real=True)


def _funcs(e: sp.Expr) -> set:
    return {type(a) for a in e.atoms(sp.Function)}


#: expressions with more operations than this are not given to ``sympy.simplify``
SIMPLIFY_MAX_OPS = 60


def simplify_quick(e: sp.Expr, seconds: float) -> sp.Expr:
    """A shorter equivalent form under a budget (``simplify``, ``factor``, ``cancel``, ...);
    forms that bring in functions absent from ``e`` (cosh for a logistic) are not taken."""
    if e.is_number or e.is_Symbol or not isinstance(e, sp.Expr):
        return e
    best, cost = e, sp.count_ops(e)
    allowed = _funcs(e)
    # simplify on a large expression runs for minutes (gelu_tanh's f'': 77 s): skip it by size,
    # a deterministic rule, rather than by a clock that depends on the machine's load
    tools = (sp.factor, sp.cancel, sp.together)
    if cost <= SIMPLIFY_MAX_OPS:
        tools = (sp.simplify, *tools)
    for fn in tools:
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


_BASIS = (sp.S.One, F, F**2, sp.exp(-F), sp.exp(F), 1 / F)
#: sample points on the line (fit, then check); mapped into a piece that is not the whole line
_FIT_POINTS = ("-1.3", "-0.6", "0.7", "1.9", "-1.7", "1.1")
_TEST_POINTS = ("-2.2", "0.35", "2.6")


def _sample_points(where: sp.Set | None, raw: tuple[str, ...]) -> list[mpmath.mpf]:
    """``raw`` (all in (-2.7, 2.7)) placed strictly inside ``where``."""
    us = [mpmath.mpf(v) for v in raw]
    if where is None or not isinstance(where, sp.Interval) or where == sp.S.Reals:
        return us
    a, b = where.start, where.end
    if a == -sp.oo:
        hi = mpmath.mpf(str(sp.N(b, 30)))
        return [hi - mpmath.mpf("0.2") - (u + mpmath.mpf("2.7")) for u in us]
    lo = mpmath.mpf(str(sp.N(a, 30)))
    if b == sp.oo:
        return [lo + mpmath.mpf("0.2") + (u + mpmath.mpf("2.7")) for u in us]
    hi = mpmath.mpf(str(sp.N(b, 30)))
    return [lo + (hi - lo) * (u + mpmath.mpf("2.7")) / mpmath.mpf("5.4") for u in us]


class NoForm(Exception):
    """No combination of the basis fits f' numerically."""


def _fit(g: sp.Expr, dg: sp.Expr, x: sp.Symbol, seconds: float,
         where: sp.Set | None = None) -> sp.Expr | None:
    """A form P(f) with P(g(x)) = g'(x), verified symbolically, or None.

    Coefficients are fitted numerically (mpmath, 40 digits) on sample points, checked on others,
    snapped to short rationals, and the identity is then proved with ``simplify``."""
    if x not in dg.free_symbols:
        return dg
    gf, df = mp_function(g, x), mp_function(dg, x)
    fit_pts = _sample_points(where, _FIT_POINTS)
    test_pts = _sample_points(where, _TEST_POINTS)
    with mpmath.workdps(40):
        gv = {p: gf(p) for p in fit_pts + test_pts}
        dv = {p: df(p) for p in fit_pts + test_pts}
        if any(mpmath.isnan(v) for v in [*gv.values(), *dv.values()]):
            return None
        basis_fns = [lambda f: 1, lambda f: f, lambda f: f**2, lambda f: mpmath.exp(-f),
                     lambda f: mpmath.exp(f), lambda f: 1 / f if f != 0 else mpmath.nan]
        for size in range(1, len(basis_fns) + 1):
            fns = basis_fns[:size]
            rows = [[b(gv[p]) for b in fns] for p in fit_pts[:size]]
            try:
                coef = mpmath.lu_solve(mpmath.matrix(rows), mpmath.matrix([dv[p] for p in
                                                                           fit_pts[:size]]))
            except (ZeroDivisionError, ValueError):
                continue
            resid = max(abs(sum(c * b(gv[p]) for c, b in zip(coef, fns, strict=True)) - dv[p])
                        for p in fit_pts + test_pts)
            if resid > mpmath.mpf(10) ** -25:
                continue
            coeffs = [_tidy(sp.Float(mpmath.nstr(c, 35), 35)) for c in coef]
            if not coeffs[0].is_Rational and all(c.is_Rational for c in coeffs[1:]):
                # an irrational constant term (selu: f' = f + lambda alpha): take it exactly
                # as g' - sum_k c_k b_k(g), which must then be free of x
                rest = sum(c * b for c, b in zip(coeffs[1:], _BASIS[1:size], strict=True))
                exact = attempt(lambda rest=rest: sp.simplify(sp.expand(dg - rest.subs(F, g))),
                                seconds)
                if exact and x not in exact.value.free_symbols:
                    coeffs[0] = exact.value
            poly = sum(c * b for c, b in zip(coeffs, _BASIS[:size], strict=True))
            diff = dg - poly.subs(F, g)
            for form in (diff, diff.rewrite(sp.exp)):
                check = attempt(lambda form=form: sp.simplify(form), seconds)
                if check and check.value == 0:
                    return sp.expand(poly)
            return None
    raise NoForm


def _tidy(c: sp.Expr) -> sp.Expr:
    """A fitted coefficient as a short rational when it evidently is one (the identity is
    verified symbolically afterwards, so a wrong guess is only rejected, never reported)."""
    guess = Fraction(str(c)).limit_denominator(10**6)
    r = sp.Rational(guess.numerator, guess.denominator)
    if abs(r - c) < sp.Float(10) ** -25:
        return r
    return c


def through_output(comps: list[Component], derivs: list[sp.Expr], x: sp.Symbol,
                   seconds: float) -> sp.Expr | None:
    """f' written in the output symbol ``f`` (``x`` only in the branch conditions), or None."""
    forms = []
    for comp, dg in zip(comps, derivs, strict=True):
        if comp.is_point:
            forms.append((sp.diff(comp.expr, x), comp.set.as_relational(x)))
            continue
        form = _fit(comp.expr, dg, x, seconds, comp.set)
        if form is None:
            return None
        forms.append((form, comp.set.as_relational(x)))
    real = [f for f, c in forms]
    if all(f == real[0] for f in real):
        return real[0]
    return sp.Piecewise(*[(f, c) for f, c in forms[:-1]], (forms[-1][0], True))
