"""Taylor patches at the simple zeros of a kernel's output where its sum cancels.

Near a simple zero ``x0`` of an output whose straight-line program is a sum of terms of opposite
sign (e.g. silu' = sigmoid(x) + x sigmoid'(x) at x0 = -1.2785), the rounding errors of the
terms, of size ``eps |term|``, are divided by ``|f(x)| ~ |f'(x0)| |x - x0|``: the relative error
grows without bound as x -> x0. No rewrite of the terms removes it; the Taylor polynomial of the
*function* at x0 does: with ``d = (x - x0_hi) - x0_lo`` (``x0 = x0_hi + x0_lo`` to 106 bits;
``x - x0_hi`` is exact by Sterbenz's lemma near x0), ``f(x) = d (c1 + c2 d + ...)`` has a
relative error of a few eps for every ``d``.

:func:`root_patches` (at generation time, mpmath at high precision) scans the textbook function
(parameters at their defaults) for sign changes on [-``SPAN``, ``SPAN``], refines each zero to
50 digits, and keeps those where the compiled kernel is actually inaccurate (more than
``TRIGGER`` ULP at random points within 1e-3 of the zero, float64): zeros the kernel already
gets right (sin at pi, an exact product) are left alone. The coefficients come from
``mpmath.taylor``; the radius ``r`` is where the first dropped terms fall below 2^-56 of the
leading term ``c1 d``, so the truncation error stays below half an ulp; it is then cut to
where the kernel is actually wrong (``PROBES`` distances from the zero, both sides, against
mpmath: 1.25 times the farthest point above ``TRIGGER`` ULP), and the polynomial keeps only the
terms that radius needs. Results rounded to float32 need the patch only where the double result
is off by more than ``ROUNDED_ULPS`` (2^-32 relative, 1/512 of a float32 ULP): a second, much
smaller radius, or none for float32 input when the float32 inputs nearest the zero are already
fine (:func:`_float32_fine`). At run time
:func:`.runtime.root_series` overwrites the output on the elements with ``|x - x0| < r`` only
(gather / scatter), and only when the parameters are at the defaults the zero was found for.
A function with more than ``FEW_ROOTS`` zeros (sinc' = (x cos x - sin x) / x^2 has one every
~pi, where its tangent form ``cos(x) (x - tan(x)) / x / x`` loses every digit: 168 ULP at
random points of [-40, 40]) is patched only where it misses the 4-ULP target
(``TABLE_TRIGGER``), with radii checked at random points (``TABLE_WIDEN``) and at most
``TABLE_RADIUS``, and all of its patches go in one table, :func:`.runtime.root_table`: two
passes and a search on the candidates, whatever the number of zeros.
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import sympy as sp

from ..budget import BudgetExceeded, time_budget

#: the zeros are searched on [-SPAN, SPAN] (the typical inputs of ``precision.REFINE_TYPICAL``)
SPAN = 64.0
#: grid step of the sign-change scan
STEP = 1.0 / 64
#: more zeros than this: no patches (sinc' has 38 on [-64, 64], patched by one table:
#: ``runtime.root_table``)
MAX_ROOTS = 64
#: ULP error near a zero above which the kernel is patched there
TRIGGER = 2.0
#: up to this many zeros each is patched where the kernel exceeds TRIGGER; with more (a
#: function with a zero every ~pi) only where it misses the 4-ULP target, TABLE_TRIGGER: the
#: tan-based cos reaches 2-3 ULP near its zeros, and patching those cost cos and sinusoid in
#: float32 up to 14x their time (3.1 -> 42.5 ms at n = 1e7)
FEW_ROOTS = 6
TABLE_TRIGGER = 4.0
#: ... and the radius is TABLE_WIDEN times the farthest probe above TABLE_TRIGGER, widened
#: while any of TABLE_CHECKS random points at distances up to three times the radius is still
#: above it (the log-spaced probes put ~5 points in the band that matters: sinc' measured 6.7
#: ULP just outside such a radius), at most TABLE_RADIUS: ``runtime.root_table``'s candidates
#: are the elements with |f| below twice the largest |f| on any patch (sinc'' at its zero 2.08
#: with radius 0.5 made 81 % of N(0, 16) input candidates, 2.3x the kernel's time). Where the
#: kernel is off farther from the zero the patch still removes the unbounded error at it.
TABLE_WIDEN = 2.5
TABLE_CHECKS = 400
TABLE_RADIUS = 0.1
#: Taylor coefficients computed (the polynomial keeps up to TERMS - 2 of them)
TERMS = 26
#: double ULPs above which results rounded to float32 are patched (2^-32 relative)
ROUNDED_ULPS = 2.0**20
#: probe distances from a zero per side (log-spaced from 2^-50 |x0| to the series radius)
PROBES = 120


def _f64(v) -> float:
    return float(mpmath.mpf(v))


def _zeros(fn) -> list:
    """Simple zeros of ``fn`` on [-SPAN, SPAN] (away from 0), to 50 digits."""
    n = int(2 * SPAN / STEP)
    with mpmath.workdps(30):
        xs = [mpmath.mpf(-SPAN) + k * mpmath.mpf(STEP) for k in range(n + 1)]
        vals = []
        for p in xs:
            try:
                v = fn(p)
                v = mpmath.mpf(v.real if isinstance(v, mpmath.mpc) else v)
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                v = mpmath.nan
            vals.append(v)
    brackets = []
    for a, b, fa, fb in zip(xs, xs[1:], vals, vals[1:], strict=False):
        if mpmath.isnan(fa) or mpmath.isnan(fb) or fa == 0 or fb == 0:
            continue
        if (fa > 0) != (fb > 0):
            brackets.append((a, b))
    if len(brackets) > MAX_ROOTS:
        return []
    roots = []
    with mpmath.workdps(50):
        for a, b in brackets:
            try:
                x0 = mpmath.findroot(fn, (a, b), solver="anderson")
            except (ValueError, ZeroDivisionError, TypeError):
                continue
            x0 = mpmath.mpf(x0.real if isinstance(x0, mpmath.mpc) else x0)
            if not (a <= x0 <= b) or abs(x0) < mpmath.mpf(1e-6):
                continue
            # a zero, not a jump: |f| small next to |f| a little away
            side = max(abs(fn(x0 - mpmath.mpf(1e-6))), abs(fn(x0 + mpmath.mpf(1e-6))))
            if side == 0 or abs(fn(x0)) > mpmath.mpf(10) ** -40 * side:
                continue
            roots.append(x0)
    return roots


def _taylor(fn, x0) -> tuple[list, float] | None:
    """Taylor coefficients of ``fn`` at x0 (c0, c1, ...) and the radius where the first two
    dropped terms fall below 2^-56 of ``c1 d`` (at most 0.5)."""
    with mpmath.workdps(60):
        try:
            cs = mpmath.taylor(fn, x0, TERMS)
        except (ValueError, ZeroDivisionError, TypeError):
            return None
        cs = [mpmath.mpf(c.real if isinstance(c, mpmath.mpc) else c) for c in cs]
        c1 = abs(cs[1])
        if c1 == 0:
            return None
        radii = []
        for k in (TERMS - 2, TERMS - 1):
            ck = abs(cs[k])
            radii.append(0.5 if ck == 0 else float((mpmath.mpf(2) ** -56 * c1 / ck)
                                                    ** (mpmath.mpf(1) / (k - 1))))
    return cs, min(min(radii), 0.5)


def _terms_for(cs: list, r: float) -> int:
    """How many coefficients c1, c2, ... the polynomial needs on |d| < r: the first two
    dropped terms below 2^-56 of ``c1 d``."""
    c1 = abs(cs[1])
    for n in range(1, TERMS - 2):
        if all(abs(cs[k]) * mpmath.mpf(r) ** (k - 1) <= mpmath.mpf(2) ** -56 * c1
               for k in (n + 1, n + 2)):
            return n
    return TERMS - 3


def _probe(fn, kernel_out, x0, r: float) -> tuple[np.ndarray, np.ndarray]:
    """(|x - x0|, double ULP error of the kernel) at ``PROBES`` log-spaced distances on both
    sides of x0 (from 2^-50 |x0| to r) and at the doubles next to it."""
    hi = _f64(x0)
    dists = np.geomspace(max(abs(hi), 1.0) * 2.0**-50, r, PROBES)
    near = hi + np.spacing(abs(hi)) * np.arange(-3, 4)
    pts = np.unique(np.concatenate([hi - dists, hi + dists, near]))
    return np.abs(pts - float(x0)), _errors_at(fn, kernel_out, pts)


def _reach(d: np.ndarray, err: np.ndarray, ulps: float) -> float:
    """The farthest probe distance with an error above ``ulps`` (0 if none)."""
    bad = d[err > ulps]
    return float(bad.max()) if bad.size else 0.0


def _errors_at(fn, kernel_out, pts: np.ndarray) -> np.ndarray:
    """Double ULP errors of the kernel at ``pts`` against ``fn``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = np.asarray(kernel_out(pts.copy()), dtype=np.float64)
    err = np.zeros(pts.size)
    with mpmath.workdps(40):
        for i, (p, g) in enumerate(zip(pts.tolist(), got.tolist(), strict=True)):
            ref = mpmath.mpf(fn(mpmath.mpf(p)))
            rf = float(ref)
            if rf == 0.0:
                err[i] = 0.0 if g == 0.0 else math.inf
            elif not math.isfinite(g):
                err[i] = math.inf
            else:
                err[i] = float(abs(mpmath.mpf(g) - ref)) / float(np.spacing(abs(rf)))
    return err


def _table_radius(fn, x0, kernel_out, r: float, reach: float, top: float) -> float:
    """The radius of a table patch (see TABLE_WIDEN): from ``reach``, widened while random
    points out to three times the radius are above TABLE_TRIGGER, at most ``top``."""
    hi = _f64(x0)
    rng = np.random.default_rng(int(abs(hi) * 1e6) % 2**32)
    r = min(top, TABLE_WIDEN * reach if reach > 0.0 else r)
    for _ in range(6):
        dist = rng.uniform(r, 3.0 * r, TABLE_CHECKS)
        pts = hi + dist * rng.choice([-1.0, 1.0], TABLE_CHECKS)
        err = _errors_at(fn, kernel_out, pts)
        if err.max() <= TABLE_TRIGGER or r >= top:
            break
        r = min(top, 1.25 * float(np.abs(pts - float(x0))[err > TABLE_TRIGGER].max()))
    return r


def _patch(fn, x0, kernel_out, table: bool = False
           ) -> tuple[float, float, float, tuple[float, ...], float] | None:
    """(x0_hi, x0_lo, r, (c1, c2, ...), r_rounded) of the Taylor polynomial at the zero x0:
    r where the kernel is wrong (within the series radius; for a ``table`` patch see
    TABLE_WIDEN), r_rounded where results rounded to float32 still need it (see the module
    docstring)."""
    taylor = _taylor(fn, x0)
    if taylor is None:
        return None
    cs, r = taylor
    d, err = _probe(fn, kernel_out, x0, r)
    if table:
        r = _table_radius(fn, x0, kernel_out, r, _reach(d, err, TABLE_TRIGGER),
                          min(r, TABLE_RADIUS))
    else:
        reach = _reach(d, err, TRIGGER)
        if reach > 0.0:
            r = min(r, 1.25 * reach)
    r_rounded = min(r, 2.0 * _reach(d, err, ROUNDED_ULPS))
    hi = _f64(x0)
    with mpmath.workdps(60):
        lo = _f64(x0 - mpmath.mpf(hi))
    r = float(f"{r:.3g}")
    coeffs = tuple(_f64(c) for c in cs[1:1 + _terms_for(cs, r)])
    return hi, lo, r, coeffs, float(f"{r_rounded:.3g}") if r_rounded else 0.0


def _float32_fine(fn, x0: float, kernel_out) -> bool:
    """Whether the unpatched kernel, computed in double, is within 2^-26 relative at the
    float32 inputs nearest the zero (the worst ones: the error grows as 1 / |x - x0|), so
    float32 results need no patch."""
    f = np.float32(x0)
    pts = np.array([np.nextafter(f, np.float32(-np.inf)), f,
                    np.nextafter(f, np.float32(np.inf))], dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = np.asarray(kernel_out(pts.copy()), dtype=np.float64)
    with mpmath.workdps(40):
        for p, g in zip(pts.tolist(), got.tolist(), strict=True):
            ref = mpmath.mpf(fn(mpmath.mpf(p)))
            if ref == 0 or not math.isfinite(g) or abs(mpmath.mpf(g) - ref) > abs(ref) * 2.0**-26:
                return False
    return True


def root_patches(expr: sp.Expr, x: sp.Symbol, kernel_out, seconds: float = 30.0
                 ) -> list[tuple[float, float, float, tuple[float, ...], float, bool]]:
    """Patches for the zeros of ``expr`` (textbook, parameters substituted) where the kernel
    output ``kernel_out(points) -> array`` (float64) cancels: (x0_hi, x0_lo, r, coeffs,
    r_rounded, float32_fine) (see :func:`_patch` and :func:`_float32_fine`)."""
    from .accuracy import mp_function

    if expr.free_symbols != {x}:
        return []
    fn = mp_function(expr, x)
    out = []
    try:
        with time_budget(seconds):
            zeros = _zeros(fn)
            table = len(zeros) > FEW_ROOTS
            rng = np.random.default_rng(0)
            for x0 in zeros:
                hi = _f64(x0)
                pts = hi + rng.uniform(-1e-3, 1e-3, 64)
                pts = np.concatenate([pts, hi + np.ldexp(1.0, -40) * np.arange(-4, 5)])
                err = _errors_at(fn, kernel_out, pts)
                if err.max() <= (TABLE_TRIGGER if table else TRIGGER):
                    continue
                patch = _patch(fn, x0, kernel_out, table)
                if patch is not None and patch[2] > 1e-6:
                    out.append((*patch, _float32_fine(fn, hi, kernel_out)))
    except BudgetExceeded:
        return []
    return out


#: most Taylor coefficients a zero-at-0 patch may use
MAX_TERMS_AT_0 = 90


def _horner(coeffs: tuple, x: np.ndarray, lead: int, step: int) -> np.ndarray:
    """x^lead P(x^step) in double, as ``runtime.root_series`` evaluates it."""
    v = x**step
    p = np.full_like(x, coeffs[-1])
    for c in coeffs[-2::-1]:
        p = p * v + c
    for _ in range(lead):
        p = p * x
    return p


def _horner_ulps(coeffs: tuple, xs: np.ndarray, lead: int, step: int, refs: list) -> float:
    got = _horner(coeffs, xs, lead, step)
    return max(float(abs(mpmath.mpf(v) - ref)) / float(np.spacing(abs(float(ref))))
               for v, ref in zip(got.tolist(), refs, strict=True))


def _chebyshev(fn, lead: int, step: int, r: float, taylor_coeffs: tuple
               ) -> tuple[float, ...] | None:
    """Fewer coefficients than the Taylor polynomial's ``most`` for f = x^lead P(x^step) on
    |x| < r: P fitted on t = x^step (step 1 or 2) by ``mpmath.chebyfit`` (near-minimax), the
    fewest terms whose error is below 2^-57 of min |P|; kept only if its double Horner
    evaluation is as accurate as the Taylor polynomial's ``taylor_coeffs`` (within 1/4 ULP)
    at 400 points of (0, r) on both sides (else None: the Taylor coefficients stay)."""
    if step not in (1, 2):
        return None
    with mpmath.workdps(50):
        def g(t):
            x = mpmath.sqrt(t) if step == 2 else t
            return fn(x) / x**lead if x != 0 else mpmath.nan

        top = mpmath.mpf(r) ** step
        lo = mpmath.mpf(10) ** -30 if step == 2 else -top
        samples = [g(lo + (top - lo) * (k + mpmath.mpf(1) / 2) / 24) for k in range(24)]
        if any(mpmath.isnan(v) for v in samples) or len({v > 0 for v in samples}) > 1:
            return None
        floor = min(abs(v) for v in samples) * mpmath.mpf(2) ** -57
        for n in range(2, len(taylor_coeffs)):
            poly, err = mpmath.chebyfit(g, [lo, top], n, error=True)
            if err < floor:
                coeffs = tuple(_f64(c) for c in reversed(poly))
                break
        else:
            return None
    xs = np.geomspace(r * 2.0**-40, r, 200)
    xs = np.concatenate([xs, -xs])
    with mpmath.workdps(50):
        refs = [mpmath.mpf(fn(mpmath.mpf(p))) for p in xs.tolist()]
    fitted, taylor = (_horner_ulps(c, xs, lead, step, refs) for c in (coeffs, taylor_coeffs))
    if fitted > max(taylor + 0.25, 1.0):
        return None
    return coeffs


#: exponents m tried by :func:`scale_family`
SCALE_POWERS = (0, -1, 1, -2, 2)


def scale_family(expr: sp.Expr, x: sp.Symbol, p: sp.Symbol, d: sp.Expr,
                 seconds: float = 10.0) -> int | None:
    """m such that expr(x; p) = s^m expr(s x; d) with s = p / d for every p > 0, proved by
    ``sympy.simplify`` (swish' = sigmoid(beta x) (1 + beta x (1 - sigmoid(beta x))): m = 0):
    the patches found at the default d then serve every positive p at the zeros x0 / s
    (:func:`.runtime.root_series`). d must be a power of two (s = p / d exact). None when no
    m is proved within the time budget."""
    if not (d.is_Rational and d > 0 and math.frexp(float(d))[0] == 0.5):
        return None
    s = sp.Dummy("s", positive=True)
    base = expr.subs(p, d)
    scaled = expr.subs(p, s * d)
    for m in SCALE_POWERS:
        diff = scaled - s**m * base.subs(x, s * x)
        try:  # (a cheap numeric screen first: two points)
            vals = [complex(diff.subs({x: xv, s: sv}).evalf(30))
                    for xv, sv in ((sp.Rational(7, 10), sp.Rational(17, 10)),
                                   (sp.Rational(-13, 10), sp.Rational(3, 10)))]
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if any(not abs(v) < 1e-20 for v in vals):
            continue
        try:
            with time_budget(seconds):
                if sp.simplify(diff) == 0:
                    return m
        except BudgetExceeded:
            return None
    return None


def zero_patch(expr: sp.Expr, x: sp.Symbol, kernel_out, seconds: float = 30.0
               ) -> tuple[float, float, float, tuple[float, ...], int, int, float] | None:
    """A patch at x = 0 for an output whose sum cancels there (``x - tanh(x)``), replacing
    the series branch of :func:`.rewrite.series_branches` when that is the whole output: the
    radius is where the kernel *without* it (``kernel_out``) stays above 2.5 ULP (probed
    against mpmath on 2^-30 <= |x| <= 2), the degree what the truncation needs there (at most
    MAX_TERMS_AT_0 terms; odd or even functions step by x^2). Returns (0, 0, r, coeffs, lead,
    step, r_rounded): f = x^lead P(x^step), or None; ``r_rounded`` is the radius for results
    rounded to float32 (twice the farthest probe off by more than ``ROUNDED_ULPS``)."""
    from .accuracy import mp_function

    if expr.free_symbols != {x}:
        return None
    fn = mp_function(expr, x)
    try:
        with time_budget(seconds):
            mags = np.geomspace(2.0**-30, 2.0, 1200)
            pts = np.concatenate([mags, -mags])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = np.asarray(kernel_out(pts.copy()), dtype=np.float64)
            bad = bad_rounded = 0.0
            with mpmath.workdps(60):
                for p, g in zip(pts.tolist(), got.tolist(), strict=True):
                    ref = mpmath.mpf(fn(mpmath.mpf(p)))
                    rf = float(ref)
                    if rf == 0 or not math.isfinite(rf):
                        continue
                    err = (math.inf if not math.isfinite(g) else
                           float(abs(mpmath.mpf(g) - ref)) / float(np.spacing(abs(rf))))
                    if err > 2.5:
                        bad = max(bad, abs(p))
                    if err > ROUNDED_ULPS:
                        bad_rounded = max(bad_rounded, abs(p))
            if bad == 0.0:
                return None
            want = bad * 1.05
            with mpmath.workdps(80):
                cs = [mpmath.mpf(c.real if isinstance(c, mpmath.mpc) else c)
                      for c in mpmath.taylor(fn, 0, MAX_TERMS_AT_0)]
    except (BudgetExceeded, ValueError, ZeroDivisionError, TypeError):
        return None
    top = max(abs(c) for c in cs)
    nz = [k for k, c in enumerate(cs) if abs(c) > mpmath.mpf(10) ** -45 * top]
    if len(nz) < 2 or nz[0] == 0:
        return None
    lead = nz[0]
    step = math.gcd(*[k - lead for k in nz[1:]])
    lc = abs(cs[lead])
    # the fewest terms whose first two dropped terms are below 2^-56 of the leading one at r
    for last in range(lead + step, MAX_TERMS_AT_0 - 2 * step + 1, step):
        r = min(float((mpmath.mpf(2) ** -56 * lc / abs(cs[k])) ** (mpmath.mpf(1) / (k - lead)))
                if cs[k] != 0 else math.inf for k in (last + step, last + 2 * step))
        if r >= want:
            break
    r = float(f"{min(r, want):.4g}")
    coeffs = tuple(_f64(cs[k]) for k in range(lead, last + 1, step))
    fit = _chebyshev(fn, lead, step, r, coeffs)
    if fit is not None:
        coeffs = fit
    r_rounded = min(r, 2.0 * bad_rounded)
    return (0.0, 0.0, r, coeffs, lead, step,
            float(f"{r_rounded:.3g}") if r_rounded else 0.0)
