"""Soundness of the facts test_analysis_catalog does not cover: every proved or numeric value of
the derivative through the output, f'', values at 0, asymptotes, the odd/even identity, fixed,
critical and inflection points, extrema, dead zones, convexity, boundedness, saturation, the
Taylor polynomial and the initialisation gain is re-checked numerically with mpmath (40 digits).
Point lists are also checked for completeness: every sign change seen on a grid has a listed
point in its bracket.
"""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy as sp

import symact
from symact.analysis import analyze_catalog
from symact.analysis.facts import Periodic
from symact.budget import attempt

SCALARS = [a.name for a in symact.activations() if not a.is_vector]
F = sp.Symbol("f", real=True)
TOL = mpmath.mpf(10) ** -12

mpmath.mp.dps = 40


@pytest.fixture(scope="module")
def results() -> dict:
    return analyze_catalog(jobs=2)


def _mp(expr: sp.Expr, args: tuple):
    """An mpmath function of ``expr`` (Abs/Max/Min as Piecewise), NaN when it fails or hangs."""
    expr = expr.rewrite(sp.Piecewise) if expr.has(sp.Abs, sp.Max, sp.Min) else expr
    raw = sp.lambdify(args, expr, modules=["mpmath"])

    def once(*vals):
        got = attempt(lambda: raw(*[mpmath.mpf(v) for v in vals]), 2.0)
        if not got:
            return mpmath.nan
        v = got.value
        return v.real if isinstance(v, mpmath.mpc) else mpmath.mpf(v)

    def call(*vals):
        v = once(*vals)
        if mpmath.isnan(v) and len(vals) == 1:  # a removable singularity (sinc' at 0)
            h = mpmath.mpf(10) ** -8  # O(h^2) off; cancellation costs ~2 * 8 of the 40 digits
            v = (once(vals[0] - h) + once(vals[0] + h)) / 2
        return v

    return call


class Fns:
    """f, f', f'' of one activation (defaults bound) and its breakpoints."""

    def __init__(self, name: str, props) -> None:
        act = symact.get(name).with_defaults()
        self.x = act.x
        self.f = _mp(act.expr, (act.x,))
        self.d1 = _mp(props.derivative.value, (act.x,))
        self.d2 = _mp(props.second_derivative.value, (act.x,)) \
            if props.second_derivative.value is not None else None
        self.kinks = sorted(_num(sp.sympify(k[:-1])) for k in props.limits.value
                            if k.endswith("-"))
        self.kinks += [_num(p) for p in props.nondifferentiable_points.value or []]

    def away(self, t, gap=1e-6) -> bool:
        return all(abs(t - k) > gap for k in self.kinks)

    def points(self, seed: str, n: int = 16, lo: float = -6, hi: float = 6) -> list:
        rnd = random.Random(seed)
        pts = [mpmath.mpf(rnd.uniform(lo, hi)) for _ in range(4 * n)]
        return [t for t in pts if self.away(t)][:n]


_CACHE: dict = {}


def _fns(name: str, results) -> Fns:
    if name not in _CACHE:
        _CACHE[name] = Fns(name, results[name])
    return _CACHE[name]


def _num(v) -> mpmath.mpf:
    if v in (sp.oo, -sp.oo):
        return mpmath.inf if v == sp.oo else -mpmath.inf
    return mpmath.mpf(str(sp.N(v, 40)))


def _close(a, b, rel=TOL) -> bool:
    return abs(a - b) <= rel * (1 + abs(b))


def _checked(fact) -> bool:
    return fact.status in ("proved", "numeric") and fact.value is not None


def _window(s: sp.Interval, cut: float = 40) -> tuple:
    lo = max(_num(s.start), mpmath.mpf(-cut))
    hi = min(_num(s.end), mpmath.mpf(cut))
    return lo, hi


def _grid(lo=-40, hi=40, n=3001) -> list:
    return [mpmath.mpf(lo) + (mpmath.mpf(hi) - lo) * k / (n - 1) for k in range(n)]


def _listed_near(points: list, lo, hi, intervals: list) -> bool:
    if any(lo - 1e-9 <= p <= hi + 1e-9 for p in points):
        return True
    return any(s.start <= hi and s.end >= lo for s in intervals)


def _expand(items) -> list:
    """Periodic families replaced by their members within |x| <= 45."""
    out = []
    for it in items or []:
        out += it.members(-45, 45) if isinstance(it, Periodic) else [it]
    return out


def _split(items) -> tuple[list, list]:
    pts, ivs = [], []
    for it in _expand(items):
        if isinstance(it, sp.Set):
            ivs.append(it)
        else:
            pts.append(_num(it))
    return pts, ivs


def _check_complete(fn, items, fns: Fns, name: str) -> None:
    """Every sign change of fn on the grid (|x| <= 40, away from kinks) is bracketed by a listed
    point (or meets a listed interval)."""
    pts, ivs = _split(items)
    grid = _grid()
    vals = [(t, fn(t)) for t in grid]
    for (a, va), (b, vb) in zip(vals, vals[1:], strict=False):
        if mpmath.isnan(va) or mpmath.isnan(vb) or va == 0 or vb == 0:
            continue
        if (va > 0) != (vb > 0) and fns.away(a, 1e-3) and fns.away(b, 1e-3) \
                and all(not (a < k < b) for k in fns.kinks):
            assert _listed_near(pts, a, b, ivs), (name, float(a), float(b))


@pytest.mark.parametrize("name", SCALARS)
def test_through_output_sound(results, name):
    fact = results[name].derivative_through_output
    if not _checked(fact):
        return
    fns = _fns(name, results)
    g = _mp(fact.value, (fns.x, F))
    for t in fns.points(name + "to"):
        ft, dt = fns.f(t), fns.d1(t)
        if mpmath.isfinite(ft) and mpmath.isfinite(dt):
            assert _close(g(t, ft), dt), (t, g(t, ft), dt)


@pytest.mark.parametrize("name", SCALARS)
def test_second_derivative_sound(results, name):
    fns = _fns(name, results)
    if fns.d2 is None or not _checked(results[name].second_derivative):
        return
    h = mpmath.mpf(10) ** -15
    for t in fns.points(name + "d2", 10):
        fd = (fns.d1(t + h) - fns.d1(t - h)) / (2 * h)
        assert abs(fd - fns.d2(t)) < 1e-8 * (1 + abs(fd)), (t, fd, fns.d2(t))


@pytest.mark.parametrize("name", SCALARS)
def test_values_at_zero_sound(results, name):
    fact = results[name].values_at_zero
    if not _checked(fact):
        return
    fns = _fns(name, results)
    v = fact.value
    assert _close(fns.f(0), _num(v["f"]))
    if v.get("f'") is not None:
        assert _close(fns.d1(0), _num(v["f'"]))
    if v.get("f''") is not None and fns.d2 is not None:
        assert _close(fns.d2(0), _num(v["f''"]))


@pytest.mark.parametrize("name", SCALARS)
def test_asymptotes_sound(results, name):
    fact = results[name].asymptotes
    if not _checked(fact):
        return
    fns = _fns(name, results)
    for key, sign in (("-oo", -1), ("oo", 1)):
        line = fact.value.get(key)
        if line is None:
            continue
        assert not line.has(sp.AccumBounds), (key, line)
        a = _mp(sp.sympify(line), (fns.x,))
        near, far = sign * mpmath.mpf(10) ** 3, sign * mpmath.mpf(10) ** 6
        gap_near, gap_far = abs(fns.f(near) - a(near)), abs(fns.f(far) - a(far))
        if mpmath.isnan(gap_far):
            continue
        assert gap_far < 1e-2, (key, line, gap_far)
        assert gap_far <= gap_near + 1e-20, (key, line, gap_near, gap_far)


@pytest.mark.parametrize("name", SCALARS)
def test_odd_even_identity_sound(results, name):
    fact = results[name].odd_even_identity
    if not _checked(fact):
        return
    fns = _fns(name, results)
    g = _mp(fact.value, (fns.x,))
    for t in fns.points(name + "oe"):
        if fns.away(-t):
            assert _close(fns.f(t) - fns.f(-t), g(t)), t


@pytest.mark.parametrize("name", SCALARS)
def test_fixed_points_sound(results, name):
    fact = results[name].fixed_points
    if not _checked(fact) and fact.value != []:
        return
    fns = _fns(name, results)
    pts, ivs = _split(fact.value)
    for p in pts:
        assert _close(fns.f(p), p, 1e-15), (p, fns.f(p))
    for s in ivs:
        lo, hi = _window(s)
        for k in range(1, 6):
            t = lo + (hi - lo) * k / 6
            assert _close(fns.f(t), t), (s, t)
    _check_complete(lambda t: fns.f(t) - t, fact.value, fns, name)


def _is_kink(p, fns: Fns) -> bool:
    return not fns.away(p, 1e-12)


@pytest.mark.parametrize("name", SCALARS)
def test_critical_points_sound(results, name):
    fact = results[name].critical_points
    if not _checked(fact):
        return
    fns = _fns(name, results)
    pts, ivs = _split(fact.value)
    for p in pts:
        if not _is_kink(p, fns):
            assert abs(fns.d1(p)) < 1e-15, (p, fns.d1(p))
    dead = results[name].dead_zones.value or []
    _check_complete(fns.d1, list(fact.value) + list(dead), fns, name)


@pytest.mark.parametrize("name", SCALARS)
def test_extrema_sound(results, name):
    fact = results[name].extrema
    if not _checked(fact):
        return
    fns = _fns(name, results)
    items = [dict(e, x=m) for e in fact.value for m in
             (e["x"].members(-20, 20) if isinstance(e["x"], Periodic) else [e["x"]])]
    for e in items:
        p, v = _num(e["x"]), _num(e["f"])
        assert _close(fns.f(p), v, 1e-15), e
        for delta in (mpmath.mpf("1e-3"), mpmath.mpf("0.1")):
            for side in (p - delta, p + delta):
                if e["kind"] == "min":
                    assert fns.f(side) >= v - TOL, (e, side)
                else:
                    assert fns.f(side) <= v + TOL, (e, side)


@pytest.mark.parametrize("name", SCALARS)
def test_inflection_points_sound(results, name):
    fact = results[name].inflection_points
    fns = _fns(name, results)
    if not _checked(fact) or fns.d2 is None:
        return
    pts, _ = _split(fact.value)
    delta = mpmath.mpf("1e-6")
    for p in pts:
        if not _is_kink(p, fns):
            lo, hi = fns.d2(p - delta), fns.d2(p + delta)
            assert lo * hi <= 0, (p, lo, hi)
    _check_complete(fns.d2, fact.value, fns, name)


@pytest.mark.parametrize("name", SCALARS)
@pytest.mark.parametrize("which", ["monotonic_intervals", "derivative_monotonic_intervals"])
def test_monotonic_intervals_sound(results, name, which):
    """f (f') rises on every listed increasing interval and falls on every decreasing one."""
    fact = getattr(results[name], which)
    if not _checked(fact):
        return
    fns = _fns(name, results)
    fn = fns.f if which == "monotonic_intervals" else fns.d1
    for key, sign in (("increasing", 1), ("non-decreasing", 1), ("decreasing", -1),
                      ("non-increasing", -1)):
        for s in _expand(fact.value.get(key, [])):
            lo, hi = _window(s, 30)
            if hi - lo < 1e-9:
                continue
            ts = [lo + (hi - lo) * k / 41 for k in range(1, 41)]
            vals = [fn(t) for t in ts if fns.away(t)]
            steps = [sign * (b - a) for a, b in zip(vals, vals[1:], strict=False)]
            assert min(steps) >= -TOL * (1 + max(abs(v) for v in vals)), (key, s)


@pytest.mark.parametrize("name", SCALARS)
def test_dead_zones_sound(results, name):
    fact = results[name].dead_zones
    if not _checked(fact):
        return
    fns = _fns(name, results)
    for s in fact.value:
        lo, hi = _window(s)
        for k in range(1, 8):
            t = lo + (hi - lo) * k / 8
            if fns.away(t):
                assert fns.d1(t) == 0, (s, t)


@pytest.mark.parametrize("name", SCALARS)
def test_convexity_sound(results, name):
    fact = results[name].convexity
    if not _checked(fact):
        return
    fns = _fns(name, results)
    rnd = random.Random(name + "cx")
    for kind, sign in (("convex", 1), ("concave", -1)):
        for s in _expand(fact.value.get(kind, [])):
            lo, hi = _window(s, 30)
            if hi - lo < 1e-9:
                continue
            for _ in range(20):
                a, b = (lo + (hi - lo) * mpmath.mpf(rnd.random()) for _ in range(2))
                mid = fns.f((a + b) / 2)
                chord = (fns.f(a) + fns.f(b)) / 2
                assert sign * (chord - mid) >= -TOL * (1 + abs(chord)), (kind, s, a, b)


@pytest.mark.parametrize("name", SCALARS)
def test_bounded_and_saturation_sound(results, name):
    props = results[name]
    fns = _fns(name, results)
    if _checked(props.bounded) and _checked(props.range):
        rng = props.range.value
        assert props.bounded.value["above"] == bool(rng.sup.is_finite)
        assert props.bounded.value["below"] == bool(rng.inf.is_finite)
    if _checked(props.saturation):
        for key, sign in (("-oo", -1), ("oo", 1)):
            far = [sign * (mpmath.mpf(10) ** 6 + k) for k in range(0, 10)]
            vals = [abs(fns.d1(t)) for t in far]
            if any(mpmath.isnan(v) for v in vals):
                continue
            if props.saturation.value[key]:
                assert max(vals) < 1e-6, (key, vals)
            else:
                assert max(vals) > 1e-9, (key, vals)


@pytest.mark.parametrize("name", SCALARS)
def test_taylor_sound(results, name):
    fact = results[name].taylor
    if not _checked(fact):
        return
    fns = _fns(name, results)
    poly = _mp(fact.value, (fns.x,))
    for t in ("-0.02", "-0.01", "0.01", "0.02"):
        t = mpmath.mpf(t)
        assert abs(fns.f(t) - poly(t)) < 1e-9, (t, fns.f(t), poly(t))


@pytest.mark.parametrize("name", SCALARS)
def test_init_gain_sound(results, name):
    fact = results[name].init_gain
    if not _checked(fact):
        return
    fns = _fns(name, results)
    with mpmath.workdps(20):
        cuts = sorted({mpmath.mpf(-40), mpmath.mpf(40), mpmath.mpf(0),
                       *[k for k in fns.kinks if -40 < k < 40]})
        e2 = mpmath.quad(lambda t: fns.f(t) ** 2 * mpmath.npdf(t), cuts)
    assert abs(_num(fact.value) - 1 / mpmath.sqrt(e2)) < 1e-8 * (1 + abs(_num(fact.value)))


@pytest.mark.parametrize("name", ["softmax", "softmin", "log_softmax"])
def test_jacobian_norm_bound_sound_and_tight(results, name):
    """The bound holds for random inputs (n = 2..6) and is approached (it is a supremum)."""
    import numpy as np

    fact = results[name].jacobian_norm_bound
    assert fact.status == "proved"
    rnd = np.random.default_rng(7)
    best = 0.0
    for n in range(2, 7):
        bound = float(sp.sympify(fact.value).subs(sp.Symbol("n", positive=True, integer=True), n))
        xs = [rnd.normal(0, 3, n) for _ in range(200)] + [np.eye(n)[0] * 40, np.zeros(n)]
        for v in xs:
            sgn = -1.0 if name == "softmin" else 1.0
            e = np.exp(sgn * v - np.max(sgn * v))
            s = e / e.sum()
            jac = np.eye(n) - np.outer(np.ones(n), s) if name == "log_softmax" else \
                sgn * (np.diag(s) - np.outer(s, s))
            norm = np.linalg.norm(jac, 2)
            assert norm <= bound * (1 + 1e-12), (n, v, norm, bound)
            best = max(best, norm / bound)
    assert best > 1 - 1e-6
