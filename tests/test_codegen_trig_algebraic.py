"""Stable forms for the trigonometric and algebraic kernels: dense mpmath checks near the
trouble spots (isru/isrlu f' = (1 + x^2)^(-3/2), snake f' = 1 + sin(2x), ...)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import symact
from symact.codegen import runtime

mpmath.mp.dps = 40


def k(name: str, order: int = 0):
    return symact.get(name).numpy(order)


def max_ulp(got: np.ndarray, x: np.ndarray, ref, dtype=np.float64) -> tuple[float, float]:
    """Largest error in ULPs of ``got`` against the mpmath function ``ref`` (and where)."""
    worst, at = 0.0, float("nan")
    tiny = float(np.finfo(dtype).smallest_subnormal)
    for xv, g in zip(x, got, strict=True):
        r = ref(mpmath.mpf(float(xv)))
        u = max(float(np.spacing(dtype(abs(float(r))))), tiny)
        e = float(abs(mpmath.mpf(float(g)) - r) / u)
        if e > worst:
            worst, at = e, float(xv)
    return worst, at


def test_hypot_pow_matches_mpmath_across_the_range():
    rng = np.random.default_rng(0)
    z = np.sign(rng.normal(size=3000)) * np.exp(rng.uniform(-20, 250, 3000))
    got = runtime.hypot_pow(z, 1.0, -1.5, out=np.empty_like(z))
    err, at = max_ulp(got, z, lambda v: (1 + v * v) ** mpmath.mpf(-1.5))
    assert err <= 2.5, (err, at)


def test_hypot_pow_specials_and_aliasing():
    z = np.array([0.0, -0.0, 5e-324, 1e154, 2.0**500, 1e300, np.inf, -np.inf, np.nan])
    got = runtime.hypot_pow(z, 4.0, -1.5, out=np.empty_like(z))
    np.testing.assert_array_equal(got[:3], 1 / 8)
    assert np.all(got[4:8] == 0) and np.isnan(got[8])
    y = z.copy()
    runtime.hypot_pow(y, 4.0, -1.5, out=y)
    np.testing.assert_array_equal(y, got)


@pytest.mark.parametrize("name", ["isru", "isrlu"])
def test_isru_derivative_dense_near_the_old_miss(name):
    x = -268230 + np.arange(-300, 300) * 1e-9
    x = np.concatenate([x, -np.exp(np.linspace(-5, 40, 600))])
    err, at = max_ulp(k(name, 1)(x), x, lambda v: (1 + v * v) ** mpmath.mpf(-1.5))
    assert err <= 2.5, (err, at)


def test_sin_cos_product_and_one_plus_sin_rules():
    import sympy as sp

    from symact.codegen.functions import OnePlusSin
    from symact.codegen.rewrite import stabilise

    x = sp.Symbol("x", real=True)
    assert stabilise(2 * sp.sin(3 * x) * sp.cos(3 * x) + 1, x, True) == OnePlusSin(6 * x)
    assert stabilise(1 - sp.sin(x), x, True) == OnePlusSin(-x)
    assert stabilise(3 - 3 * sp.cos(x), x, True) == 6 * sp.sin(x / 2) ** 2
    assert stabilise(1 + sp.cos(x), x, True) == 2 * sp.cos(x / 2) ** 2


def _near_zeros_of_one_plus_sin_2x() -> np.ndarray:
    mpmath.mp.dps = 60
    rng = np.random.default_rng(0)
    xs = []
    for e in (0, 1, 3, 6, 10, 15, 20, 50, 100, 200, 300):
        for _ in range(8):
            c = float(-mpmath.pi / 4 + int(rng.integers(1, 10**6)) * 10**e * mpmath.pi)
            xs += [c, np.nextafter(c, np.inf), np.nextafter(c, -np.inf)]
    mpmath.mp.dps = 40
    xs = np.array(xs)
    return np.concatenate([xs, -xs, [1e308, 1.7e308, -1.7e308, 8.3e256]])


def test_snake_derivative_dense_near_the_zeros():
    x = _near_zeros_of_one_plus_sin_2x()
    mpmath.mp.dps = 60
    try:
        err, at = max_ulp(k("snake", 1)(x), x, lambda v: 1 + mpmath.sin(2 * v))
    finally:
        mpmath.mp.dps = 40
    assert err <= 4, (err, at)


def test_trig_double_where_2y_overflows():
    y = np.array([1.0, -2.5, 1e308, -1.7e308, np.inf, np.nan])
    with np.errstate(all="ignore"):  # (the kernels run the helpers under errstate)
        s = runtime.trig_double(y, False, out=np.empty_like(y))
        c = runtime.trig_double(y, True, out=np.empty_like(y))
    mpmath.mp.dps = 400
    try:
        for v, gs, gc in zip(y[:4], s[:4], c[:4], strict=True):
            assert abs(gs - float(mpmath.sin(2 * mpmath.mpf(v)))) <= 4e-16
            assert abs(gc - float(mpmath.cos(2 * mpmath.mpf(v)))) <= 4e-16
    finally:
        mpmath.mp.dps = 40
    assert np.isnan(s[4:]).all() and np.isnan(c[4:]).all()


def test_exp_neg_sq_narrow_input_skips_the_split_exactly():
    rng = np.random.default_rng(2)
    x32 = (rng.normal(size=5000) * 6).astype(np.float32)
    x64 = x32.astype(np.float64)
    split = runtime.exp_neg_sq(x64, 1.0, out=np.empty_like(x64))  # (narrow unset: the split)
    for name in ("gaussian", "gelu"):
        got = k(name)(x32)
        want = k(name)(x64).astype(np.float32)
        np.testing.assert_array_equal(got, want)
    runtime._local.narrow = True
    try:
        plain = runtime.exp_neg_sq(x64, 1.0, out=np.empty_like(x64))
    finally:
        runtime._local.narrow = False
    np.testing.assert_array_equal(plain, split)  # x^2 exact: the split changes nothing
    assert runtime._local.narrow is False


def test_sin_sq_for_float32_results_matches_float64_rounded():
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.uniform(-10, 10, 20000), rng.uniform(-1.5, -0.5, 20000),
                        np.sign(rng.normal(size=20000)) * np.exp(rng.uniform(-90, 88, 20000))]
                       ).astype(np.float32)
    got = k("snake")(x)
    ref = k("snake")(x.astype(np.float64))
    spacing = np.maximum(np.spacing(np.abs(ref.astype(np.float32))).astype(np.float64),
                         np.spacing(np.float32(0)))
    err = np.abs(got.astype(np.float64) - ref) / spacing
    assert np.nanmax(err) <= 0.5 + 1e-6, (float(np.nanmax(err)), x[np.nanargmax(err)])
    assert runtime._local.rounded is False


def test_tangent_form_of_a_cos_plus_b_sin():
    import sympy as sp

    from symact.codegen.rewrite import tangent_forms

    x = sp.Symbol("x", real=True)
    got = tangent_forms(sp.cos(x) / x - sp.sin(x) / x**2, x)
    assert sp.simplify(got.doit() - (sp.cos(x) / x - sp.sin(x) / x**2)) == 0
    assert got.has(sp.tan) and not got.has(sp.sin)
    assert tangent_forms(sp.cos(x) + sp.sin(2 * x), x) == sp.cos(x) + sp.sin(2 * x)


def test_sinc_derivative_away_from_the_roots_of_tan_x_eq_x():
    # near each root x_k of tan x = x the relative error grows like 2^-53 / (x_k^2 |x - x_k|)
    # (the rounding of tan(x) against x - tan(x)): a known miss there; elsewhere <= 4 ULP
    rng = np.random.default_rng(6)
    x = np.exp(rng.uniform(np.log(3.5), np.log(1e300), 1500)) * np.sign(rng.normal(size=1500))
    far = np.abs(x - np.tan(x)) >= 0.25 * np.abs(x)
    x = x[far]
    err, at = max_ulp(k("sinc", 1)(x), x,
                      lambda v: (v * mpmath.cos(v) - mpmath.sin(v)) / v**2)
    assert err <= 4, (err, at)


@pytest.mark.parametrize("name", ["isru", "isrlu"])
def test_float32_derivative_matches_float64_rounded(name):
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-10, 10, 20000),
                        np.sign(rng.normal(size=20000)) * np.exp(rng.uniform(-90, 88, 20000))]
                       ).astype(np.float32)
    got = k(name, 1)(x)
    ref = k(name, 1)(x.astype(np.float64))
    spacing = np.maximum(np.spacing(np.abs(ref.astype(np.float32))).astype(np.float64),
                         np.spacing(np.float32(0)))
    err = np.abs(got.astype(np.float64) - ref) / spacing
    assert np.nanmax(err) <= 0.5 + 1e-6, (float(np.nanmax(err)), x[np.nanargmax(err)])


@pytest.mark.parametrize("name", ["isru", "isrlu", "sinc", "snake", "gaussian"])
def test_value_and_grad_computes_the_same_stable_forms(name):
    # CSE shares the hypot / 1/x with f: the stable forms of f' must survive it
    from symact.codegen import value_and_grad_kernel

    act = symact.get(name)
    x = np.random.default_rng(8).normal(size=5000) * 60
    f, g = value_and_grad_kernel(act)(x)
    np.testing.assert_array_equal(f, act.numpy(0)(x))
    np.testing.assert_array_equal(g, act.numpy(1)(x))


def _trig_points() -> np.ndarray:
    rng = np.random.default_rng(3)
    k = rng.integers(-10**6, 10**6, 700)
    near = np.array([float(mpmath.mpf(int(j)) * mpmath.pi / 2) for j in k])  # zeros of sin/cos
    return np.concatenate([
        rng.normal(size=700) * 4, rng.uniform(-1e3, 1e3, 500),
        np.sign(rng.normal(size=500)) * 10.0 ** rng.uniform(-320, 308, 500),
        near, np.nextafter(near, np.inf), np.nextafter(near, -np.inf),
        [0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308]])


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_runtime_sin_cos_from_tan_match_mpmath(name):
    """float64 sin/cos through NumPy's SIMD tan: within 2.5 ULP everywhere, also next to the
    zeros (cos: where |tan| is huge and the sign test hands over to NumPy's own sin/cos; sin:
    2 t / (1 + t^2) with t = tan(y / 2), huge t next to the odd multiples of pi)."""
    y = _trig_points()
    fn = getattr(runtime, name)
    got = fn(y, out=np.empty_like(y))
    err, at = max_ulp(got, y, getattr(mpmath, name))
    assert err <= 2.5, (err, at)
    alias = y.copy()
    assert np.array_equal(fn(alias, out=alias), got)  # out is y
    with np.errstate(invalid="ignore"):  # (kernels call the runtime under errstate)
        special = fn(np.array([np.nan, np.inf, -np.inf]), out=np.empty(3))
    assert np.isnan(special).all()
    with np.errstate(all="ignore"):  # the test's own cast of huge values to float32 (inf)
        x32 = y.astype(np.float32)
        want = getattr(np, name)(x32)
        got32 = fn(x32, out=np.empty_like(x32))  # (sin/cos of inf: kernels run under errstate)
    assert np.array_equal(got32, want, equal_nan=True)


def test_sine_of_tiny_arguments_is_the_argument():
    """sin y = y (correctly rounded) for |y| < 2.1e-8: the half-angle form's y / 2 rounds for
    subnormal y, which sinc = sin(x) / x would turn into 0 instead of 1; next to a multiple of
    2 pi tan(y / 2) is as small but y is not, and the formula stays."""
    y = np.array([5e-324, -5e-324, 3 * 5e-324, -1e-310, 2.2250738585072014e-308, 1e-20, -2e-8])
    assert np.array_equal(runtime.sin(y, out=np.empty_like(y)), y)
    assert np.array_equal(symact.get("sinc").numpy()(y), np.ones_like(y))
    near = np.array([float(mpmath.mpf(2 * k) * mpmath.pi) for k in (1, -7, 12345)])
    err, at = max_ulp(runtime.sin(near, out=np.empty_like(near)), near, mpmath.sin)
    assert err <= 2.5, (err, at)
