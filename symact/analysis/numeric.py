"""High-precision numerics for the analysis engine (mpmath): evaluation, scans, root refinement.

Anything found here is reported as *numeric*, never *proved*.
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import sympy as sp

DPS = 30
#: Working precision of scans (x up to WINDOW: cancellations like 1 - tanh(x)^2 ~ e^-2x).
SCAN_DPS = 90
#: Scans of infinite intervals stop at this |x| (beyond it the sign is taken from the end).
WINDOW = 60.0


def mp_function(expr: sp.Expr, x: sp.Symbol) -> Callable[[mpmath.mpf], mpmath.mpf]:
    """``expr`` as an mpmath function of x (real part; nan where it is undefined)."""
    fn = sp.lambdify(x, expr, modules=["mpmath"])

    def raw(v: mpmath.mpf) -> mpmath.mpf:
        try:
            r = fn(v)
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return mpmath.nan
        if isinstance(r, mpmath.mpc):
            return r.real if abs(r.imag) <= mpmath.mpf(10) ** (-DPS + 5) * (1 + abs(r)) \
                else mpmath.nan
        return mpmath.mpf(r)

    def call(v: mpmath.mpf) -> mpmath.mpf:
        with mpmath.workdps(SCAN_DPS):
            v = mpmath.mpf(v)
            r = raw(v)
            if mpmath.isnan(r):
                # a removable singularity (sinc' at 0): both sides agree
                eps = mpmath.mpf(10) ** (-SCAN_DPS // 3) * (1 + abs(v))
                lo, hi = raw(v - eps), raw(v + eps)
                if mpmath.isfinite(lo) and mpmath.isfinite(hi) and \
                        abs(lo - hi) < mpmath.mpf(10) ** (-SCAN_DPS // 4) * (1 + abs(lo)):
                    return (lo + hi) / 2
            if r == 0 and v != 0:
                # an exact 0 is usually total cancellation (1 + erf(-20)): look again, finer
                with mpmath.workdps(SCAN_DPS * 6):
                    r = raw(v)
            return r

    return call


def grid(a: sp.Expr, b: sp.Expr, n: int = 1200) -> list[mpmath.mpf]:
    """Sample points strictly inside (a, b): asinh-spaced so both the origin and large |x| are
    covered; infinite ends are cut at :data:`WINDOW`."""
    lo = -WINDOW if a == -sp.oo else float(a)
    hi = WINDOW if b == sp.oo else float(b)
    if hi <= lo:
        return []
    with mpmath.workdps(DPS):
        ta, tb = mpmath.asinh(lo), mpmath.asinh(hi)
        pts = [mpmath.sinh(ta + (tb - ta) * (k + 0.5) / n) for k in range(n)]
    # keep strictly inside
    return [p for p in pts if lo < p < hi]


def refine_root(fn: Callable, lo: mpmath.mpf, hi: mpmath.mpf) -> mpmath.mpf | None:
    """A root of ``fn`` in a sign-change bracket [lo, hi] to about DPS digits."""
    with mpmath.workdps(DPS):
        flo, fhi = fn(lo), fn(hi)
        if mpmath.isnan(flo) or mpmath.isnan(fhi):
            return None
        try:
            r = mpmath.findroot(fn, (lo, hi), solver="anderson")
            if lo - 1e-12 <= r <= hi + 1e-12:
                return r
        except (ValueError, ZeroDivisionError):
            pass
        for _ in range(200):  # bisection fallback
            mid = (lo + hi) / 2
            fm = fn(mid)
            if mpmath.isnan(fm):
                return None
            if fm == 0:
                return mid
            if (fm > 0) == (flo > 0):
                lo, flo = mid, fm
            else:
                hi = mid
        return (lo + hi) / 2


def scan_roots(fn: Callable, a: sp.Expr, b: sp.Expr, n: int = 1200) -> tuple[list, list]:
    """Sign changes and near-zero touches of ``fn`` on (a, b).

    Returns ``(roots, samples)``: refined roots (mpf, sorted) and the (x, value) samples.
    """
    pts = grid(a, b, n)
    samples = [(p, fn(p)) for p in pts]
    if any(v != 0 and not mpmath.isnan(v) for _, v in samples):
        # exact zeros left after the finer look are underflow plateaus: not evidence
        samples = [(p, mpmath.nan if v == 0 else v) for p, v in samples]
    roots: list[mpmath.mpf] = []
    for (p0, v0), (p1, v1) in zip(samples, samples[1:], strict=False):
        if mpmath.isnan(v0) or mpmath.isnan(v1):
            continue
        if v1 != 0 and (v0 > 0) != (v1 > 0):
            r = refine_root(fn, p0, p1)
            if r is not None:
                roots.append(r)
    # touching zeros (double roots): local minima of |fn| that refine to ~0
    for i in range(1, len(samples) - 1):
        (pa, va), (pb, vb), (pc, vc) = samples[i - 1], samples[i], samples[i + 1]
        if any(mpmath.isnan(v) for v in (va, vb, vc)) or vb == 0:
            continue
        # <= on the left: a minimum between two samples of equal size (a symmetric grid about
        # the root, sin(x)^2 at 0) shows as a plateau of two equal values
        if abs(vb) <= abs(va) and abs(vb) < abs(vc) and (va > 0) == (vb > 0) == (vc > 0):
            with mpmath.workdps(DPS):
                try:
                    m = mpmath.findroot(lambda t: mpmath.diff(fn, t), pb)
                except (ValueError, ZeroDivisionError):
                    continue
                fm = fn(m)
                scale = max(abs(va), abs(vc))
                if pa < m < pc and abs(fm) < mpmath.mpf(10) ** (-DPS // 2) * scale * 1e6 \
                        and abs(fm) < mpmath.mpf(10) ** (-DPS // 2):
                    roots.append(m)
    roots.sort()
    dedup: list[mpmath.mpf] = []
    for r in roots:
        if not dedup or abs(r - dedup[-1]) > 1e-15 * (1 + abs(r)):
            dedup.append(r)
    return dedup, samples


def to_float_expr(v: mpmath.mpf, digits: int = 20) -> sp.Float:
    return sp.Float(mpmath.nstr(v, digits), digits)


def numeric_limit(fn: Callable, direction: int) -> sp.Expr | None:
    """An estimate of lim fn(x) as x -> direction * oo (Float, +-oo, or None)."""
    with mpmath.workdps(DPS):
        xs = [mpmath.mpf(k) * direction for k in (100, 300, 1000, 3000)]
        vals = [fn(v) for v in xs]
    if any(mpmath.isnan(v) for v in vals):
        return None
    if all(abs(v) > 1e6 for v in vals[-2:]) and abs(vals[-1]) > abs(vals[-2]) * 2:
        return sp.oo if vals[-1] > 0 else -sp.oo
    if abs(vals[-1] - vals[-2]) < 1e-12 * (1 + abs(vals[-1])):
        return to_float_expr(vals[-1])
    return None
