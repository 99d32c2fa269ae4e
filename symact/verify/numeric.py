"""Numerical machinery of the checks: sample points, mpmath evaluation, exact re-checks.

The scan evaluates expressions with mpmath (30 digits) on a fixed, dense set of points: a fine
grid on [-10, 10], an offset grid, large magnitudes up to 1e15 and every breakpoint of the
expression (with points just beside it). Everything is deterministic. A point found by the scan
is re-checked with SymPy's adaptive ``evalf`` (``strict``), so that a counterexample is never an
artefact of rounding.
"""

from __future__ import annotations

import signal
from collections.abc import Iterable, Sequence
from fractions import Fraction

import mpmath
import sympy as sp

from ..model import X

DPS = 30
_KINKED = (sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min)


def prepare(expr: sp.Expr) -> sp.Expr:
    """``expr`` with Max/Min/Abs/sign/Heaviside written as Piecewise."""
    if expr.has(*_KINKED):
        expr = expr.rewrite(sp.Piecewise)
    return expr


def breakpoints(exprs: Iterable[sp.Expr]) -> list[sp.Expr]:
    """Real points where a Piecewise condition of any of ``exprs`` changes (sorted, exact)."""
    points: set[sp.Expr] = set()
    for expr in exprs:
        expr = prepare(expr)
        for pw in expr.atoms(sp.Piecewise):
            for _, cond in pw.args:
                if cond in (sp.true, sp.false):
                    continue
                for rel in cond.atoms(sp.core.relational.Relational):
                    points.update(_roots(rel.lhs - rel.rhs))
    real = [p for p in points if p.is_real and p.is_finite]
    return sorted(real, key=lambda p: float(p))


def _roots(d: sp.Expr) -> list[sp.Expr]:
    if not d.has(X) or d.free_symbols - {X}:
        return []
    try:
        if d.is_polynomial(X):
            poly = sp.Poly(d, X)
            if poly.degree() <= 0:
                return []
            if poly.degree() <= 2:
                return [r for r in sp.roots(poly, filter="R")]
            return [sp.Rational(str(r)) for r in poly.nroots(n=20) if abs(sp.im(r)) < 1e-15]
    except (sp.PolynomialError, NotImplementedError, ValueError, TypeError):
        return []
    return []


def _rat(value: float | str) -> sp.Rational:
    return sp.Rational(Fraction(str(value)))


def sample_points(bps: Sequence[sp.Expr] = ()) -> list[sp.Expr]:
    """The fixed sample set (exact numbers, sorted, no duplicates)."""
    pts: set[sp.Expr] = {sp.Rational(k, 20) for k in range(-200, 201)}
    pts.update(_rat(-9.97) + sp.Rational(131, 1000) * k for k in range(153))
    big = [11, 12, 13, 14, 15, 17, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000,
           10**4, 10**6, 10**9, 10**12, 10**15]
    for b in big:
        pts.update((sp.Integer(b), sp.Integer(-b)))
    for small in ("0.001", "0.0001", "1e-6"):
        pts.update((_rat(small), -_rat(small)))
    for p in bps:
        pts.add(p)
        for h in (sp.Rational(1, 1000), sp.Rational(1, 10**9)):
            pts.update((p - h, p + h))
    return sorted(pts, key=lambda p: float(p))


def compile_mp(expr: sp.Expr):
    """An mpmath function of x for ``expr`` (Heaviside and friends written as Piecewise)."""
    return sp.lambdify(X, prepare(expr), modules="mpmath")


def evaluate(fn, point: sp.Expr) -> mpmath.mpf | None:
    """``fn`` at ``point`` with mpmath, or None when undefined / not real / not finite."""
    try:
        with mpmath.workdps(DPS):
            value = fn(mpmath.mpf(sp.Rational(point).p) / sp.Rational(point).q
                       if point.is_Rational else mpmath.mpf(sp.N(point, DPS + 5)))
            if isinstance(value, mpmath.mpc):
                if abs(value.imag) > mpmath.mpf(10) ** (-DPS + 5) * (1 + abs(value.real)):
                    return None
                value = value.real
            value = mpmath.mpf(value)
            if not mpmath.isfinite(value):
                return None
            return value
    except (ZeroDivisionError, ValueError, TypeError, OverflowError, ArithmeticError):
        return None


#: points farther out than this are evaluated one by one under a short timer: mpmath is exact
#: in range, so exp(-exp(x)) at x = 1e6 would take minutes (the result is still fine to skip)
FAR = 100
FAR_SECONDS = 0.5


class _Slow(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - timing dependent
    raise _Slow


def scan(exprs: dict[str, sp.Expr], points: Sequence[sp.Expr]) -> dict[str, list]:
    """Evaluate every expression at every point (a budgeted step: run it through budget.run).

    Far points are evaluated in order of magnitude, each under a short timer when possible;
    once one is too slow, the farther ones on that side are skipped (None).
    """
    out: dict[str, list] = {}
    order = sorted(range(len(points)), key=lambda i: abs(float(points[i])))
    for name, expr in exprs.items():
        fn = compile_mp(expr)
        values: list = [None] * len(points)
        stopped = {1: False, -1: False}
        for i in order:
            p = points[i]
            side = 1 if p >= 0 else -1
            if abs(p) <= FAR:
                values[i] = evaluate(fn, p)
            elif not stopped[side]:
                try:
                    values[i] = _timed(fn, p)
                except (_Slow, MemoryError):
                    stopped[side] = True
        out[name] = values
    return out


def _timed(fn, p: sp.Expr):
    try:
        previous = signal.signal(signal.SIGALRM, _alarm)
    except ValueError:  # not the main thread: no timer available
        return evaluate(fn, p)
    signal.setitimer(signal.ITIMER_REAL, FAR_SECONDS)
    try:
        return evaluate(fn, p)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def exact_value(expr: sp.Expr, point: sp.Expr, digits: int = 30) -> sp.Expr | None:
    """``expr`` at ``point`` via SymPy's adaptive evalf (accuracy checked), or None."""
    value = prepare(expr).subs(X, point)
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    try:
        number = value.evalf(digits, strict=True, maxn=3000)
    except (sp.core.evalf.PrecisionExhausted, ValueError, TypeError, ZeroDivisionError):
        exact = sp.simplify(value)
        if exact.is_zero:
            return sp.Integer(0)
        return None
    if not number.is_number or number.is_real is False:
        return None
    return number


def is_exactly_zero(expr: sp.Expr, point: sp.Expr) -> bool:
    """True when ``expr`` at ``point`` simplifies to exactly 0."""
    value = prepare(expr).subs(X, point)
    if value.is_zero:
        return True
    return sp.simplify(value) == 0


def nonzero_at(expr: sp.Expr, point: sp.Expr) -> tuple[bool, bool]:
    """(nonzero, exact): whether ``expr`` at ``point`` is certainly nonzero, and if exactly."""
    value = prepare(expr).subs(X, point)
    if value.is_zero is False:
        return True, True
    if value.is_zero:
        return False, True
    number = exact_value(expr, point)
    if number is None:
        return False, False
    return (number != 0), False


def fmt(value, digits: int = 12) -> str:
    """A short, deterministic rendering of a number or expression."""
    if value is None:
        return "undefined"
    if isinstance(value, (mpmath.mpf, float)):
        return _fmt_float(mpmath.mpf(value), digits)
    if isinstance(value, sp.Basic):
        if value in (sp.oo, -sp.oo):
            return "oo" if value == sp.oo else "-oo"
        if value.is_Integer:
            return str(value)
        if value.is_Rational:
            q = value.q
            while q % 2 == 0:
                q //= 2
            while q % 5 == 0:
                q //= 5
            if q == 1 and len(str(value)) <= 14:
                return _fmt_float(mpmath.mpf(value.p) / value.q, 15)
            if len(str(value)) <= 12:
                return str(value)
        if value.is_number:
            if value.is_Float or value.is_Rational:
                return _fmt_float(mpmath.mpf(value), digits)
            exact = sp.sstr(value)
            if len(exact) <= 24 and not value.atoms(sp.Function):
                return exact
            return _fmt_float(mpmath.mpf(sp.N(value, digits + 5)), digits)
        return sp.sstr(value)
    return str(value)


def _fmt_float(v: mpmath.mpf, digits: int) -> str:
    if v == 0:
        return "0"
    text = mpmath.nstr(v, digits, strip_zeros=True, min_fixed=-6, max_fixed=12)
    return text[:-2] if text.endswith(".0") else text


def fmt_x(point: sp.Expr) -> str:
    """A sample point as text: exact integers/short rationals as-is, others as decimals."""
    if point.is_Integer:
        return str(point)
    if point.is_Rational:
        return _fmt_float(mpmath.mpf(point.p) / point.q, 15)
    return fmt(point)
