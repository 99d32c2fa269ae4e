"""A lowered sum over one common denominator, per sign of x: a candidate form of a kernel.

The stable forms of the sigmoid family leave a derivative as a sum of terms of opposite sign:
silu' = x e / (1 + e)^2 + e / (1 + e) for x < 0 (e = exp(x) = exp(-|x|)). Each term carries a
few roundings, and where the sum cancels (by a factor 1.2 to 2 over all of x < -1, not only
near its zero) their errors are magnified: 5.2 ULP at x = -1.9. Over a common denominator the
same function reads e ((x + 1) + e) / (1 + e)^2: the numerator's only cancellation is at the
zero itself, where :mod:`.roots` patches it.

:func:`common_denominator` builds that form of an expanded expression (see
:func:`.functions.expand`) for x < 0 and for x > 0 separately: there every ``Abs``/``Min``/
``Max`` of x resolves, the exponentials become positive symbols t (those equal on the side
share one), and the sum is put over one denominator with ``sympy.together``. The numerator is
written in Horner form in t, its coefficients (polynomials in the exact input x) evaluated
first, and the denominator divides once. Whether the result is more accurate depends on the
side and on the function (for x > 0 silu''s terms have the same sign, and the plain form is
better): :func:`.kernel.generate` measures both against mpmath and keeps the better per side.

An expression whose exponentials involve a parameter gets no candidate: the form is chosen by
measurement at the defaults, and a kernel takes any parameter value its domain allows (swish:
any beta > 0, ``runtime.check_domain``); the products of the numerator, Horner in
t = exp(-beta |x|), were measured at beta = 1 only.
"""

from __future__ import annotations

import sympy as sp

from ..budget import BudgetExceeded, time_budget
from .functions import unwrapped

#: seconds for the symbolic work of one side (together, factor)
SECONDS = 10.0

_UNRESOLVED = (sp.Abs, sp.Min, sp.Max, sp.sign, sp.Heaviside, sp.Piecewise)


def _horner(f: sp.Expr, t: sp.Symbol) -> sp.Expr:
    """Each factor of ``f`` that is a polynomial of degree >= 2 in t in Horner form."""
    if isinstance(f, sp.Mul):
        return sp.Mul(*[_horner(a, t) for a in f.args])
    if isinstance(f, sp.Pow) and f.exp.is_Integer:
        return sp.Pow(_horner(f.base, t), f.exp)
    if f.has(t) and f.is_polynomial(t) and sp.degree(f, t) >= 2:
        return sp.horner(f, wrt=t)
    return f


def _grouped(f: sp.Expr, ts: set) -> sp.Expr:
    """The terms of each sum that are free of the exponentials summed first (one value,
    rounded once: a polynomial in the exact input x), then the rest."""
    if isinstance(f, sp.Add):
        free = [a for a in f.args if not a.free_symbols & ts]
        dep = [_grouped(a, ts) for a in f.args if a.free_symbols & ts]
        if len(free) > 1 and dep:
            return sp.Add(sp.UnevaluatedExpr(sp.Add(*free)), *dep, evaluate=False)
        return sp.Add(*free, *dep, evaluate=False) if dep else f
    if isinstance(f, sp.Mul):
        return sp.Mul(*[_grouped(a, ts) for a in f.args], evaluate=False)
    if isinstance(f, sp.Pow):
        return sp.Pow(_grouped(f.base, ts), f.exp, evaluate=False)
    return f


def _side(expr: sp.Expr, x: sp.Symbol, sign: int, atoms: list) -> sp.Expr | None:
    """The common-denominator form of ``expr`` where sign * x > 0, in x and the original
    exponential atoms, or None when something does not resolve there."""
    y = sp.Dummy("y", positive=True)
    rep: dict = {}
    groups: dict = {}
    for a in atoms:
        v = a.subs(x, sign * y)
        if isinstance(v, sp.exp):  # (one canonical exponent: -(a + b) and -a - b are one)
            v = sp.exp(sp.expand(v.args[0]))
        if v.has(*_UNRESOLVED):
            return None
        if y not in v.free_symbols:
            rep[a] = v  # (exp(min(x, 0)) is 1 for x > 0)
        else:
            groups.setdefault(v, []).append(a)
    back: dict = {}
    for i, (_, group) in enumerate(sorted(groups.items(),
                                          key=lambda kv: sp.default_sort_key(kv[0]))):
        t = sp.Dummy(f"t{i}", positive=True)
        # shared with the other side where possible: exp(-|x|) rather than exp(min(x, 0))
        back[t] = next((g for g in group if g.has(sp.Abs)), group[0])
        for g in group:
            rep[g] = t
    side = expr.xreplace(rep).subs(x, sign * y)
    if side.has(*_UNRESOLVED) or not back:
        return None
    num, den = sp.fraction(sp.together(side))
    if not den.free_symbols & set(back):
        return None  # no denominator in the exponentials: nothing was combined
    num, den = sp.factor(num), sp.factor(den)
    if len(back) == 1:
        t = next(iter(back))
        num, den = _horner(num, t), _horner(den, t)
    ts = set(back)
    num = _grouped(num, ts)
    den = _grouped(den, ts)
    # one division by the whole denominator (not a reciprocal, then a product); wrapped twice
    # so that CSE does not merge the division with a plain form's 1 / (1 + e)^2 (which would
    # then be a reciprocal times a product there too: the plain side would change)
    div = sp.Pow(sp.UnevaluatedExpr(sp.UnevaluatedExpr(den)), -1, evaluate=False)
    form = sp.Mul(num, div, evaluate=False)
    return form.xreplace({y: sign * x}).xreplace(back)


def common_denominator(expr: sp.Expr, x: sp.Symbol, params: list[sp.Symbol] = ()
                       ) -> tuple[sp.Expr, sp.Expr] | None:
    """(form for x < 0, form for x > 0) of the expanded expression ``expr`` (a sum with
    exponentials of x), either None where no such form exists, or None for both."""
    expr = unwrapped(expr)
    if not isinstance(expr, sp.Add) or expr.has(sp.Piecewise):
        return None
    atoms = sorted({a for a in expr.atoms(sp.exp) if x in a.free_symbols},
                   key=sp.default_sort_key)
    if not atoms or any(a.free_symbols & set(params) for a in atoms):
        return None
    out = []
    for sign in (-1, 1):
        try:
            with time_budget(SECONDS):
                form = _side(expr, x, sign, atoms)
        except BudgetExceeded:
            form = None
        except Exception:  # noqa: BLE001 (SymPy fails in many ways; the candidate is optional)
            form = None
        out.append(form)
    return None if out == [None, None] else (out[0], out[1])
