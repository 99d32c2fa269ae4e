"""runtime.exp_poly: exp(F(q(x))) (times p) with the polynomial exponent refined where
|F(q)| > 1: the short-head Horner (_grid_plan/_poly_grid) against its error bound, the
double-double fallback, every F kind with and without the cofactor, special inputs, and
dense mpmath checks of gelu_tanh (the catalog's user of the helper)."""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest

import symact
from symact.codegen import runtime
from symact.codegen.accuracy import _mp_eval, _textbook, mp_function

KINDS = ("id", "min0", "max0", "abs", "negabs")
GELU_HI = (0.0, 1.5957691216057308, 0.0, 0.07135481627260025)
GELU_LO = (0.0, -9.969308809110914e-17, 0.0, -6.175149918155207e-19)


def _random_poly(rng, deg: int) -> tuple[tuple, tuple]:
    hi = [float(v) for v in rng.normal(size=deg + 1) * 10.0 ** rng.uniform(-2, 1, deg + 1)]
    for k in range(deg):
        if rng.random() < 0.3:
            hi[k] = 0.0
    lo = [h * 2.0**-54 * float(rng.uniform(-1, 1)) for h in hi]
    return tuple(hi), tuple(lo)


def _radius(hi: tuple, bound: float) -> float:
    """R with sum |c_k| R^k = bound."""
    a, b = 0.0, 1.0
    while sum(abs(c) * b**k for k, c in enumerate(hi)) < bound:
        b *= 2.0
    for _ in range(60):
        m = (a + b) / 2
        a, b = (m, b) if sum(abs(c) * m**k for k, c in enumerate(hi)) < bound else (a, m)
    return a


def _horner(hi: tuple, x: np.ndarray) -> np.ndarray:
    """q in plain double (as a kernel computes the exponent)."""
    q = np.full_like(x, hi[-1])
    for c in hi[-2::-1]:
        q = q * x + c
    return q


def _apply_kind(kind: str, q):
    return {"id": lambda v: v, "min0": lambda v: np.minimum(v, 0.0),
            "max0": lambda v: np.maximum(v, 0.0), "abs": np.abs,
            "negabs": lambda v: -np.abs(v)}[kind](q)


def _mp_kind(kind: str, q):
    return {"id": q, "min0": min(q, 0), "max0": max(q, 0), "abs": abs(q),
            "negabs": -abs(q)}[kind]


def _ulps(got: np.ndarray, hi: tuple, lo: tuple, kind: str, x: np.ndarray,
          p: np.ndarray | None, w: np.ndarray | None = None) -> float:
    """Max ULP error against mpmath over the normal (nonzero, finite) results (with ``w``:
    the refined ones, 1 < |w| and -1400 < w < 710; elsewhere the helper takes exp(w) as given,
    with the error the caller's w has)."""
    worst = 0.0
    if w is not None:
        keep = (np.abs(w) > 1) & (w > -1400) & (w < 710)
        x, got = x[keep], got[keep]
        p = None if p is None else p[keep]
    with mpmath.workprec(300):
        cs = [mpmath.mpf(h) + mpmath.mpf(v) for h, v in zip(hi, lo, strict=True)][::-1]
        for k, (xv, g) in enumerate(zip(x.tolist(), got.tolist(), strict=True)):
            ref = mpmath.exp(_mp_kind(kind, mpmath.polyval(cs, mpmath.mpf(xv))))
            if p is not None:
                ref *= mpmath.mpf(float(p[k]))
            rf = float(ref)
            if not math.isfinite(rf) or abs(rf) < 2.3e-308:
                continue
            worst = max(worst, float(abs(mpmath.mpf(g) - ref) / np.spacing(abs(rf))))
    return worst


def test_grid_horner_within_its_bound():
    """Random polynomials of degree 2..8 (zero coefficients included): where the plan is
    accepted, q = qh + ql to 2^-60 absolute (measured: below 2^-62) and |ql| <= ulp(qh)/2."""
    rng = np.random.default_rng(21)
    accepted = 0
    for _ in range(80):
        deg = int(rng.integers(2, 9))
        hi, lo = _random_poly(rng, deg)
        x = rng.uniform(-1, 1, 200) * _radius(hi, float(rng.choice([50.0, 1500.0, 1e5])))
        plan = runtime._grid_plan(hi, lo, float(np.abs(x).max()))
        if plan is None:
            continue
        accepted += 1
        qh, ql = (a.copy() for a in runtime._poly_grid(x, plan, [np.empty_like(x)
                                                                   for _ in range(6)]))
        with mpmath.workprec(300):
            cs = [mpmath.mpf(h) + mpmath.mpf(v) for h, v in zip(hi, lo, strict=True)][::-1]
            for xv, a, b in zip(x.tolist(), qh.tolist(), ql.tolist(), strict=True):
                q = mpmath.polyval(cs, mpmath.mpf(xv))
                if abs(q) < 1:  # (only |q| > 1 is refined)
                    continue
                assert abs(mpmath.mpf(a) + mpmath.mpf(b) - q) <= mpmath.mpf(2) ** -60, (hi, xv)
                assert abs(b) <= math.ulp(a) / 2
    assert accepted >= 30


def test_grid_plan_falls_back_when_the_bound_is_too_large():
    # (x - 1000)^2: terms of 1e6 cancel to an exponent of a few units
    assert runtime._grid_plan((1e6, -2000.0, 1.0), (0.0, 0.0, 0.0), 1030.0) is None
    assert runtime._grid_plan(GELU_HI, GELU_LO, 27.3) is not None
    assert runtime._grid_plan(GELU_HI, GELU_LO, 1e6) is None


@pytest.mark.parametrize("deg", [2, 3, 4, 8])
def test_exp_poly_random_polynomials_every_kind(deg):
    """p exp(F(q)) against mpmath, q of degree ``deg`` with |q| up to ~1500, every F, with and
    without a cofactor (also the cofactor being x itself). Three roundings remain (NumPy's exp,
    the products by 1 + ql and by p): measured up to 2.4 ULP, as with the double-double Horner
    this replaced (bit for bit the same results on these cases)."""
    rng = np.random.default_rng(100 + deg)
    runtime._local.rounded = False
    for trial in range(3):
        hi, lo = _random_poly(rng, deg)
        x = rng.uniform(-1, 1, 300) * _radius(hi, 1500.0)
        q = _horner(hi, x)
        for kind in KINDS:
            w = _apply_kind(kind, q)
            for pk in ("none", "x", "other"):
                p = None if pk == "none" else x if pk == "x" else rng.normal(size=x.size) * 5
                with np.errstate(all="ignore"):
                    got = runtime.exp_poly(x, w.copy(), hi, lo, kind, p, out=np.empty_like(x))
                assert _ulps(got, hi, lo, kind, x, p, w) <= 2.5, (deg, trial, kind, pk)


def test_exp_poly_double_double_fallback():
    """A cancelling polynomial ((x - 1000)^2 - 3 expanded: the plan is refused) goes through
    the double-double Horner, still to ~1 ULP."""
    hi, lo = (1e6 - 3.0, -2000.0, 1.0), (0.0, 0.0, 0.0)
    x = 1000.0 + np.linspace(-26.0, 26.0, 301)
    runtime._local.rounded = False
    for kind in ("id", "negabs"):
        w = _apply_kind(kind, _horner(hi, x))
        with np.errstate(all="ignore"):
            got = runtime.exp_poly(x, w, hi, lo, kind, out=np.empty_like(x))
        assert _ulps(got, hi, lo, kind, x, None, w) <= 2.0


def test_exp_poly_specials_and_aliasing():
    """NaN, +-inf, huge and subnormal-result inputs give the plain value p exp(w) where no
    refinement applies; out may be x, w or p; no warning under the kernels' errstate."""
    x = np.array([np.nan, np.inf, -np.inf, -1e300, 1e300, -27.0, -26.0, -20.0, -3.0, 0.0, 2.0,
                  -1e-300, 5e-324, 27.5] * 5)
    runtime._local.rounded = False
    q = np.nan_to_num(_horner(GELU_HI, np.clip(x, -1e100, 1e100)), nan=np.nan)
    q[np.isnan(x)] = np.nan
    q[x == np.inf], q[x == -np.inf] = np.inf, -np.inf
    for kind in KINDS:
        w = _apply_kind(kind, q)
        for p in (None, x.copy(), np.where(np.isfinite(x), 2.0, np.inf)):
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("error")
                ref = runtime.exp_poly(x, w.copy(), GELU_HI, GELU_LO, kind, p,
                                       out=np.empty_like(x))
                plain = np.exp(w) if p is None else p * np.exp(w)
                if p is not None:
                    plain[np.isinf(p) & (np.exp(w) == 0)] = 0.0
                special = ~np.isfinite(x) | (np.abs(x) > 1e200)
                np.testing.assert_array_equal(ref[special], plain[special])
                for alias in ("w", "p", "x"):
                    xx, ww = x.copy(), w.copy()
                    pp = None if p is None else (xx if alias == "x" and p is not None
                                                 and np.array_equal(p, x, equal_nan=True)
                                                 else p.copy())
                    target = {"w": ww, "p": pp, "x": xx}[alias]
                    if target is None:
                        continue
                    got = runtime.exp_poly(xx, ww, GELU_HI, GELU_LO, kind, pp, out=target)
                    np.testing.assert_array_equal(got, ref)


def _max_ulp(name: str, order: int, points: np.ndarray) -> float:
    act = symact.get(name)
    fn = mp_function(_textbook(act, order), act.x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = act.numpy(order)(points.copy())
    worst = 0.0
    with mpmath.workdps(40):
        for p, g in zip(points.tolist(), np.asarray(got, np.float64).tolist(), strict=True):
            ref = mpmath.mpf(_mp_eval(fn, p))
            rf = float(ref)
            if rf == 0 or abs(rf) < 2.3e-308:
                continue
            worst = max(worst, float(abs(mpmath.mpf(g) - ref) / float(np.spacing(abs(rf)))))
    return worst


def test_exp_poly_gelu_exponent_dense():
    """The gelu_tanh exponent 2 sqrt(2/pi) (x + 0.044715 x^3) through the helper, densely on
    [-30, -0.5] and [0.5, 30], every F used by its kernels, with and without x as cofactor."""
    rng = np.random.default_rng(41)
    x = np.concatenate([rng.uniform(-30.0, -0.5, 1500), rng.uniform(0.5, 30.0, 500)])
    runtime._local.rounded = False
    q = (x + (x * x * x) * 0.044715) * 1.5957691216057308  # (as the kernel)
    for kind in ("min0", "negabs", "id"):
        w = _apply_kind(kind, q)
        for p in (None, x):
            with np.errstate(all="ignore"):
                got = runtime.exp_poly(x, w.copy(), GELU_HI, GELU_LO, kind, p,
                                       out=np.empty_like(x))
            assert _ulps(got, GELU_HI, GELU_LO, kind, x, p, w) <= (2.0 if p is None else 2.5)


@pytest.mark.parametrize("order", [0, 1])
def test_gelu_tanh_dense_negative_side(order):
    """gelu_tanh and its derivative, float64, densely on [-30, -0.5] (and f' on [0.5, 30],
    where the cofactor's exponential is refined too). Measured (3000 points): f 2.9 ULP, f'
    6.8 ULP at x = -1.24 and 5.3 at -3.39 (the sum of the two terms of f' cancels partly there;
    the same bits as with the double-double exponent); without the refinement ~900 ULP."""
    rng = np.random.default_rng(31 + order)
    pts = np.concatenate([rng.uniform(-30.0, -0.5, 500), -np.geomspace(0.5, 27.5, 200)])
    if order:
        pts = np.concatenate([pts, rng.uniform(0.5, 30.0, 150)])
    assert _max_ulp("gelu_tanh", order, pts) <= (3.0 if order == 0 else 7.5)


def test_exp_poly_same_bits_whatever_the_chunk():
    """One plan per polynomial (not per chunk's range of x): an element gets the same bits
    whichever other elements share its chunk."""
    rng = np.random.default_rng(51)
    x = -rng.uniform(0.6, 27.0, 1_000_000)
    runtime._local.rounded = False
    q = (x + (x * x * x) * 0.044715) * 1.5957691216057308
    w = np.minimum(q, 0.0)
    full = runtime.exp_poly(x, w, GELU_HI, GELU_LO, "min0", x, out=np.empty_like(x))
    small = np.abs(x) < 8.0  # (per-chunk grids: 1 element in ~3e5 one ULP apart)
    part = runtime.exp_poly(x[small], w[small], GELU_HI, GELU_LO, "min0", x[small],
                            out=np.empty(int(small.sum())))
    np.testing.assert_array_equal(part, full[small])


@pytest.mark.parametrize(("hi", "x"), [((0.0, 1e300, 1e300), 1e-298 * np.linspace(-13, 13, 101)),
                                       ((5.0, 1e-300, 1e-296),
                                        np.linspace(-3.7e149, 3.7e149, 101)),
                                       ((-3.0, 0.0, 1e-12, 0.0, 0.0, 0.0, 0.0, 0.0, 2e-30),
                                        np.linspace(-12000.0, 12000.0, 101))])
def test_exp_poly_extreme_coefficients(hi, x):
    """Coefficients near the ends of the float range: a plan whose grids would leave the range
    is refused (no exception) and the double-double Horner refines instead; beyond
    |x| = 1e150 (its splits would overflow) the given exp(w) is kept."""
    lo = (0.0,) * len(hi)
    runtime._local.rounded = False
    w = -np.abs(_horner(hi, x))
    assert ((w < -1) & (w > -1400)).sum() > 20
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("error")
        got = runtime.exp_poly(x, w.copy(), hi, lo, "negabs", out=np.empty_like(x))
    assert _ulps(got, hi, lo, "negabs", x, None, w) <= 2.0
    big = np.array([2e151, -3e151, 1e300])
    wb = -np.abs(_horner((5.0, 1e-300, 1e-300), big))
    with np.errstate(all="ignore"):
        got = runtime.exp_poly(big, wb, (5.0, 1e-300, 1e-300), (0.0,) * 3, "negabs",
                               out=np.empty(3))
    np.testing.assert_array_equal(got, np.exp(wb))


@pytest.mark.parametrize("rounded", [True, False])
def test_exp_poly_shared_denominator_exponential_same_bits(rounded):
    """``e=`` (the sigmoid denominator's exp(-|w|), gelu_tanh's value kernel): rounded to
    float32, exp(w) comes from it (max(e, [w = 0])), else it is ignored; either way the
    result has the bits of the helper without it (specials and the underflow included)."""
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(size=200_000) * 8.0,
                        [0.0, -0.0, np.inf, -np.inf, np.nan, -30.0, -1e30, 1e30, 5e-324]])
    with np.errstate(all="ignore"):
        q = (x + (x * x * x) * 0.044715) * 1.5957691216057308
        w = np.minimum(q, 0.0)
        e = np.exp(-np.abs(q))
    runtime._local.rounded = rounded
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="ignore"):
                plain = runtime.exp_poly(x, w, GELU_HI, GELU_LO, "min0", x,
                                         out=np.empty_like(x))
                shared = runtime.exp_poly(x, w, GELU_HI, GELU_LO, "min0", x, e=e,
                                          out=np.empty_like(x))
    finally:
        runtime._local.rounded = False
    np.testing.assert_array_equal(shared, plain)


def test_gelu_tanh_value_kernel_shares_its_exponential():
    from symact.codegen import generate

    src = generate(symact.get("gelu_tanh"), (0,)).source.split("\n\n\ndef ")[0]
    assert src.count("np.exp(") == 1 and "'min0', x, e=s[" in src, src
