"""Zeros and sign pattern of a smooth expression on an open interval.

The methods, tried in order (the first that decides wins):

1. ``h`` simplifies to 0: identically zero (proved).
2. SymPy's assumptions prove ``h > 0`` or ``h < 0`` after writing x as an end plus/minus a
   positive symbol (proved).
3. ``solveset`` over the interval gives a finite set: the roots; the sign between consecutive
   roots is read at an exact rational point (proved).
4. ``solveset`` leaves ``ConditionSet(x, Eq(g, 0))`` and the assumptions prove g' has one sign:
   g has at most one root; the root is bracketed numerically and, when ``solve`` finds a closed
   form that matches and substitutes back to 0, used exactly (proved; the root's value is numeric
   when no closed form is found).
5. A numeric scan with mpmath (sign changes, bracketed refinement): numeric.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import sympy as sp

from ..budget import attempt
from .numeric import DPS, WINDOW, mp_function, scan_roots, to_float_expr


@dataclass
class SignPattern:
    """``points`` cut (a, b) into ``len(points) + 1`` open pieces with ``signs`` '+', '-', '0'."""

    points: list[sp.Expr]
    signs: list[str]
    status: str  # "proved" | "numeric" | "unknown"
    method: str
    infinite: bool = False  # infinitely many zeros: only those within the scan window are listed
    notes: list[str] = field(default_factory=list)


def exact_sign(h: sp.Expr, x: sp.Symbol, point: sp.Expr) -> str | None:
    """The sign of h at an exact point, from an exact value evaluated to DPS digits."""
    value = h.subs(x, point)
    if value.has(sp.nan, sp.zoo) or not value.is_number:
        return None
    if value.is_zero:
        return "0"
    got = attempt(lambda: sp.N(value, DPS), 10.0)
    if not got or not got.value.is_real:
        return None
    v = got.value
    if abs(v) < sp.Float(10) ** (-DPS + 10):
        return None
    return "+" if v > 0 else "-"


def inner_point(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """A simple exact rational strictly between a and b (which may be infinite)."""
    if a == -sp.oo and b == sp.oo:
        return sp.S.Zero
    if a == -sp.oo:
        return sp.floor(b) - 1 if b.is_number else b - 1
    if b == sp.oo:
        return sp.ceiling(a) + 1
    fa, fb = float(a), float(b)
    # the simplest dyadic rational strictly inside
    for k in range(0, 60):
        step = sp.Rational(1, 2**k)
        q = sp.ceiling(sp.Rational(fa) / step) * step
        if q <= fa:
            q += step
        if fa < float(q) < fb and (q - a).is_positive and (b - q).is_positive:
            return q
    return (a + b) / 2


def assume_sign(h: sp.Expr, x: sp.Symbol, a: sp.Expr, b: sp.Expr) -> str | None:
    """'+' or '-' when SymPy's assumptions prove the sign of h on (a, b)."""
    t = sp.Dummy("t", positive=True)
    if a == -sp.oo and b == sp.oo:
        hs = h
    elif b == sp.oo:
        hs = h.subs(x, a + t)
    elif a == -sp.oo:
        hs = h.subs(x, b - t)
    else:
        u = sp.Dummy("u", positive=True)
        hs = h.subs(x, a + (b - a) * t / (t + u))  # t/(t+u) ranges over (0, 1)
    for candidate in (hs, sp.factor_terms(hs)):
        if candidate.is_positive:
            return "+"
        if candidate.is_negative:
            return "-"
    return None


def _sort_key(p: sp.Expr) -> float:
    return float(sp.N(p, 20))


def _signs_between(h: sp.Expr, x: sp.Symbol, a, b, points: list[sp.Expr]) -> list[str] | None:
    cuts = [a, *points, b]
    out = []
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        s = exact_sign(h, x, inner_point(lo, hi))
        if s is None:
            return None
        out.append(s)
    return out


def _identically_zero(h: sp.Expr, seconds: float, x: sp.Symbol | None = None) -> bool:
    if h.is_zero:
        return True
    if x is not None:
        # cheap refutation first: a clearly non-zero value at a sample point
        fn = mp_function(h, x)
        for v in ("0.37", "-1.13", "2.71"):
            r = fn(mpmath.mpf(v))
            if mpmath.isfinite(r) and abs(r) > 1e-20:
                return False
    got = attempt(lambda: sp.simplify(h), seconds)
    return bool(got) and got.value == 0


def sign_pattern(h: sp.Expr, x: sp.Symbol, a: sp.Expr, b: sp.Expr, seconds: float,
                 numeric_only: bool = False) -> SignPattern:
    """Zeros and signs of ``h`` on the open interval (a, b)."""
    if x not in h.free_symbols:
        s = exact_sign(h, x, sp.S.Zero)
        if s is not None:
            return SignPattern([], [s], "proved", "constant")
    if not numeric_only:
        if _identically_zero(h, min(seconds, 5.0), x):
            return SignPattern([], ["0"], "proved", "identically zero")
        s = assume_sign(h, x, a, b)
        if s is not None:
            return SignPattern([], [s], "proved", "sign from SymPy assumptions")
        interval = sp.Interval.open(a, b)
        got = attempt(lambda: sp.solveset(h, x, interval), seconds)
        if got:
            sol = got.value
            if sol is sp.S.EmptySet or (isinstance(sol, sp.FiniteSet)
                                        and all(p.is_real for p in sol)):
                pts = sorted(sol, key=_sort_key) if sol is not sp.S.EmptySet else []
                signs = _signs_between(h, x, a, b, pts)
                if signs is not None:
                    return SignPattern(pts, signs, "proved", "solveset roots, exact signs")
            if isinstance(sol, sp.ConditionSet):
                unique = _unique_root(h, sol, x, a, b, seconds)
                if unique is not None:
                    return unique
    return numeric_pattern(h, x, a, b)


def _unique_root(h, sol: sp.ConditionSet, x, a, b, seconds) -> SignPattern | None:
    cond = sol.condition
    if not isinstance(cond, sp.Eq):
        return None
    g = cond.lhs - cond.rhs
    dg = attempt(lambda: sp.diff(g, x), seconds)
    if not dg or assume_sign(dg.value, x, a, b) is None:
        return None
    # g is strictly monotone on (a, b): at most one root. Locate it numerically.
    fn = mp_function(h, x)
    roots, _ = scan_roots(fn, a, b)
    if len(roots) > 1:
        return None
    if not roots:
        signs = _signs_between(h, x, a, b, [])
        return SignPattern([], signs, "proved", "no root: monotone equation") if signs else None
    exact = _closed_form(g, x, roots[0], seconds)
    point = exact if exact is not None else to_float_expr(roots[0], 25)
    signs = _signs_between(h, x, a, b, [point])
    if signs is None:
        return None
    if exact is not None:
        return SignPattern([exact], signs, "proved",
                           "unique root (monotone equation), closed form from solve")
    return SignPattern([point], signs, "numeric",
                       "unique root (monotone equation), located numerically")


def _closed_form(h: sp.Expr, x: sp.Symbol, approx: mpmath.mpf, seconds: float) -> sp.Expr | None:
    got = attempt(lambda: sp.solve(h, x), seconds)
    if not got:
        return None
    for cand in got.value:
        if not cand.is_real:
            continue
        v = attempt(lambda c=cand: sp.N(c, DPS), 5.0)
        if not v or not v.value.is_real or abs(float(v.value) - float(approx)) > 1e-12:
            continue
        check = attempt(lambda c=cand: sp.checksol(h, x, c), seconds)
        if check and check.value is True:
            return cand
        check = attempt(lambda c=cand: sp.simplify(h.subs(x, c)), seconds)
        if check and check.value == 0:
            return cand
    return None


def numeric_pattern(h: sp.Expr, x: sp.Symbol, a: sp.Expr, b: sp.Expr) -> SignPattern:
    fn = mp_function(h, x)
    roots, samples = scan_roots(fn, a, b)
    good = [(p, v) for p, v in samples if not mpmath.isnan(v)]
    if not good:
        return SignPattern([], [], "unknown", "could not evaluate numerically")
    cuts = [-mpmath.inf, *roots, mpmath.inf]
    signs: list[str] = []
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        inside = [v for p, v in good if lo < p < hi and v != 0]
        if not inside:
            mid = (lo + hi) / 2 if mpmath.isfinite(lo) and mpmath.isfinite(hi) else None
            v = fn(mid) if mid is not None else mpmath.nan
            inside = [] if mpmath.isnan(v) else [v]
        if not inside:
            signs.append("0" if not signs else signs[-1])
            continue
        if all(v == 0 for v in inside):
            signs.append("0")
        else:
            big = max(inside, key=abs)
            signs.append("+" if big > 0 else "-")
    pts = [to_float_expr(r, 25) for r in roots]
    infinite = (a == -sp.oo and any(r < -WINDOW / 2 for r in roots)) or (
        b == sp.oo and any(r > WINDOW / 2 for r in roots))
    method = "numeric scan (mpmath, bracketed roots)"
    if infinite:
        method += f"; zeros continue beyond |x| = {WINDOW:g}, those within are listed"
    return SignPattern(pts, signs, "numeric", method, infinite=infinite)
