"""Parameter-guarded fusions and dispatch, the clamp/join fusions, and the overflow fixes
of squareplus and bent_identity (dense mpmath checks near the fixed spots)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp

import symact
from symact.codegen.fuse import Guarded, fuse

x, k, h, tl, tr, al, ar = sp.symbols("x k h t_l t_r a_l a_r", real=True)


def test_leaky_rule_is_guarded_by_the_slope():
    out = fuse(sp.Piecewise((k * x, x <= 0), (x, True)), x)
    assert isinstance(out, Guarded)
    fast, guard = out.args[0]
    assert fast == sp.Max(x, k * x, evaluate=False)
    assert guard.subs(k, sp.Rational(1, 100)) is sp.true
    assert guard.subs(k, 0) is sp.false and guard.subs(k, 2) is sp.false
    # a numeric slope in (0, 1] needs no guard; a cap H >= 0 is a clip at H
    capped = fuse(sp.Piecewise((x / 10, x <= 0), (6, x >= 6), (x, True)), x)
    assert capped == sp.Min(sp.Max(x, x / 10, evaluate=False), 6, evaluate=False)


def test_three_slopes_rule_is_guarded_by_the_order_of_the_kinks():
    pw = sp.Piecewise((tl + al * (x - tl), x <= tl), (tr + ar * (x - tr), x >= tr), (x, True))
    out = fuse(pw, x)
    assert isinstance(out, Guarded)
    assert out.args[0].cond == sp.LessThan(tl, tr)
    assert "Clip(x, t_l, t_r)" in str(out.args[0].expr)


def _reference(name, x, **p):
    """The definition's branches evaluated as written, in the dtype of x (first true wins)."""
    with np.errstate(all="ignore"):
        if name == "srelu":
            t_l, a_l, t_r, a_r = (p.get(n, d) for n, d in
                                  (("t_l", -1.0), ("a_l", 0.1), ("t_r", 1.0), ("a_r", 0.1)))
            return np.where(x <= t_l, t_l + a_l * (x - t_l),
                            np.where(x >= t_r, t_r + a_r * (x - t_r), x))
        s = p.get("negative_slope", 0.01)
        if name == "leaky_relu":
            return np.where(x <= 0, s * x, x)
        return np.where(x <= 0, s * x, np.where(x >= 6, 6.0, x)).astype(x.dtype)


DENSE = np.concatenate([
    np.random.default_rng(3).normal(size=4000) * 4,
    np.random.default_rng(4).normal(size=500) * 1e30,
    np.nextafter(np.array([-1.0, 1.0, 0.0, 6.0, -3.0, 1e-3]), np.inf),
    np.nextafter(np.array([-1.0, 1.0, 0.0, 6.0, -3.0, 1e-3]), -np.inf),
    [-1.0, 1.0, 0.0, -0.0, 6.0, -3.0, 1e-3, 5e-324, -5e-324, 1e-310, -1e-310,
     1.7e308, -1.7e308, 3.4e38, -3.4e38],
])


@pytest.mark.parametrize("name,params", [
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 1.0}),
    ("leaky_relu", {"negative_slope": 0.7}), ("leaky_relu", {"negative_slope": 1e-30}),
    ("leaky_relu6", {}), ("leaky_relu6", {"negative_slope": 1.0}),
    ("leaky_relu6", {"negative_slope": 0.0}), ("leaky_relu6", {"negative_slope": 3.0}),
    ("leaky_relu6", {"negative_slope": -0.5}),
    ("srelu", {}), ("srelu", {"t_l": 0.5, "t_r": 0.75}), ("srelu", {"t_l": -1e-3, "t_r": 1e-3}),
    ("srelu", {"a_l": 2.0, "a_r": -1.5}), ("srelu", {"a_l": 0.0, "a_r": 0.0, "t_l": -3.0,
                                                     "t_r": 1e-3}),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_guarded_kernels_give_the_branch_values_bit_for_bit(name, params, dtype):
    with np.errstate(over="ignore"):
        xs = DENSE.astype(dtype)
    ref = _reference(name, xs, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = symact.get(name).numpy()(xs, **params)
    finite = np.isfinite(xs)
    if dtype == np.float64:
        np.testing.assert_array_equal(got[finite], ref[finite])
    else:  # float32: the branch in float32 (native), or in float64 rounded once
        with np.errstate(over="ignore"):
            ref64 = _reference(name, xs.astype(np.float64), **params).astype(dtype)
        with np.errstate(invalid="ignore"):  # (inf - inf where both are infinite)
            ok = (got == ref) | (np.abs(got - ref64) <= 2 * np.finfo(dtype).eps * np.abs(ref64))
        assert ok[finite].all(), xs[finite & ~ok][:5]
    # array parameters (float64) take the general program: the same values in float64
    arr = {n: np.full(xs.shape, v) for n, v in params.items()}
    if arr and dtype == np.float64:
        np.testing.assert_array_equal(symact.get(name).numpy()(xs, **arr), got)


def test_soft_exponential_picks_its_branch_once():
    act = symact.get("soft_exponential")
    src = act.numpy().source
    assert "if not isinstance(p_alpha, np.ndarray):" in src
    xs = np.linspace(-3, 3, 13)
    for alpha in (-0.5, 0.0, 0.5):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = act.numpy()(xs, alpha=alpha)
            yarr = act.numpy()(xs, alpha=np.full(xs.shape, alpha))
        # (equal but near the zero of f at x = -0.575, where the Taylor patch of the default
        # alpha = 0.5 applies to scalar parameters only: a few ULP apart there)
        np.testing.assert_allclose(y, yarr, rtol=4 * np.finfo(float).eps, atol=0)
    np.testing.assert_array_equal(act.numpy()(xs, alpha=0.0), xs)  # (no 1 / alpha at alpha = 0)


def test_array_parameters_of_a_guarded_fusion_skip_the_fast_form():
    src = symact.get("leaky_relu").numpy().source.split("else:\n")[-1]
    assert "np.maximum" not in src and "where=" not in src


def test_squareplus_derivative_at_the_top_of_the_range_and_a_parameter_hypot():
    import mpmath

    act = symact.get("squareplus")
    xs = np.array([1.7567726432442375e308, 1.7976931348623157e308, 1e308, 9e307, -1.7e308,
                   1e200, -1e200, 1e-300, -16.13, 3.0])
    for b in (4.0, 0.25, 2.0**50):  # (2^50: |sqrt(b)| > 2^20, np.hypot itself)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            f, d = act.numpy()(xs, b=b), act.numpy(1)(xs, b=b)
        with mpmath.workdps(1400):
            for xv, fv, dv in zip(xs, f, d, strict=True):
                X = mpmath.mpf(float(xv))
                h = mpmath.sqrt(X * X + b)
                for got, ref in ((fv, (X + h) / 2), (dv, (1 + X / h) / 2)):
                    _close(got, ref, (b, xv))


def _close(got, ref, where, ulps=4):
    r = float(ref)
    assert np.isfinite(got) == np.isfinite(r), (where, got, r)
    if np.isfinite(r) and r != 0:
        with np.errstate(over="ignore"):  # (the spacing of the largest float is inf)
            tol = ulps * np.spacing(abs(r))
        assert abs(got - r) <= tol, (where, got, r)


def test_bent_identity_dense_near_zero_tiny_and_at_the_top_of_the_range():
    import mpmath

    act = symact.get("bent_identity")
    with np.errstate(over="ignore"):  # (geomspace's own power near the top of the range)
        xs = np.concatenate([np.linspace(-3, 3, 601), np.geomspace(1e-320, 1.7976931348623157e308, 400),
                             -np.geomspace(1e-320, 1.7976931348623157e308, 400),
                             [1.1e308, 1.2e308, -1.7e308, 5e-324, -5e-324, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f, d = act.numpy()(xs), act.numpy(1)(xs)
    with mpmath.workdps(1400):
        for xv, fv, dv in zip(xs, f, d, strict=True):
            X = mpmath.mpf(float(xv))
            h = mpmath.sqrt(X * X + 1)
            _close(fv, (h - 1) / 2 + X, xv)
            _close(dv, X / (2 * h) + 1, xv)


def test_one_root_rule_reduces_and_divides_out_the_constant_quotient():
    from symact.codegen.rewrite import _one_root

    s = sp.sqrt(x**2 + 1)
    messy = sp.factor(sp.together(sp.diff(x**2 / (2 * (s + 1)) + x, x)))
    out = _one_root(messy, x, 20.0)
    assert sp.simplify(out - (1 + x / (2 * s))) == 0
    assert sp.count_ops(out) < sp.count_ops(messy)
    # x (x + 2 s + 2) / (2 (s + 1)) -> x (1 + (x / 2) / (s + 1)): no reduction to x + s/2 - 1/2
    f = _one_root(sp.factor(sp.together(x**2 / (2 * (s + 1)) + x)), x, 20.0)
    assert sp.simplify(f - (x**2 / (2 * (s + 1)) + x)) == 0
    assert not any(isinstance(a, sp.Add) and sp.Rational(-1, 2) in a.args
                   for a in sp.preorder_traversal(f))


@pytest.mark.parametrize("name", ["sqnl", "sparse_plus"])
def test_outer_clamps_and_convex_join_dense(name):
    import mpmath

    from symact.codegen import generate
    from symact.codegen.accuracy import _mp_eval, _textbook, mp_function

    act = symact.get(name)
    for order in (0, 1):
        src = generate(act, (order,)).source.split("\n\n\ndef ")[0]
        assert "putmask" not in src and "where=" not in src and "_rt.select" not in src, src
    pts = np.concatenate([np.linspace(-2.5, 2.5, 1001), [-2, 2, -1, 1, 0.0],
                          np.nextafter([-2.0, 2.0, -1.0, 1.0], np.inf),
                          np.nextafter([-2.0, 2.0, -1.0, 1.0], -np.inf),
                          np.geomspace(1e-300, 1e300, 60), -np.geomspace(1e-300, 1e300, 60)])
    for order in (0, 1):
        f = mp_function(_textbook(act.with_defaults(), order), act.x)
        for dtype in (np.float32, np.float64):
            with np.errstate(over="ignore"):  # the test's own cast of 1e300 to float32 -> inf
                xs = pts.astype(dtype)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                y = act.numpy(order)(xs)
            for xv, yv in zip(xs, y, strict=True):
                r = float(mpmath.mpf(_mp_eval(f, float(xv))))
                r = float(np.asarray(r, dtype))
                if r != 0 and np.isfinite(r) and abs(r) > np.finfo(dtype).tiny:
                    assert abs(float(yv) - r) <= 4 * float(np.spacing(np.asarray(abs(r), dtype))), \
                        (name, order, dtype, xv, yv, r)
            assert np.isnan(act.numpy(order)(np.array([np.nan], dtype))[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_runtime_select_is_putmask_bit_for_bit(dtype):
    from symact.codegen import runtime

    rng = np.random.default_rng(5)
    base = np.concatenate([rng.normal(size=1000), [np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-45]])
    base = base.astype(dtype)
    cond = rng.random(base.shape) < 0.5
    vals = (rng.normal(size=base.shape) * 1e3).astype(dtype)
    vals[:3] = [np.nan, -0.0, np.inf]
    for v in (vals, 6.0, -0.0, np.nan, np.float64(0.1)):
        want, got = base.copy(), base.copy()
        np.putmask(want, cond, v)
        runtime.select(got, cond, v)
        assert want.tobytes() == got.tobytes()
    # a float64 parameter array into a float32 chunk: rounded like the other operations
    got = base.copy()
    runtime.select(got, cond, vals.astype(np.float64))
    assert got.tobytes() == np.where(cond, vals, base).astype(dtype).tobytes()


def test_leaky_relu6_derivative_with_an_array_parameter_in_float32():
    act = symact.get("leaky_relu6")
    xs = np.linspace(-8, 8, 9).astype(np.float32)
    slope = np.array([0.1, 0, 2, -1, 0.5, 0.1, 0.1, 0.1, 0.1])
    np.testing.assert_array_equal(act.numpy(1)(xs, negative_slope=slope),
                                  act.numpy(1)(xs.astype(np.float64), negative_slope=slope)
                                  .astype(np.float32))


def test_or_of_mirrored_bounds_is_one_comparison_of_the_abs():
    lam = sp.Symbol("lam", nonnegative=True)
    assert fuse(sp.Or(lam < x, lam < -x), x) == sp.StrictLessThan(lam, sp.Abs(x))
    assert fuse(sp.Or(x >= 1, x <= -1), x) == sp.LessThan(1, sp.Abs(x))
    # not mirrored: left alone
    assert fuse(sp.Or(x >= 1, x <= -2), x) == sp.Or(x >= 1, x <= -2)
    src = symact.get("hardshrink").numpy().source
    assert "np.abs" in src and "logical_or" not in src


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kl,kr", [(0.1, 0.1), (0.3, -0.2), (0.0, 2.5), (-1.5, 0.0),
                                   (1e-30, 7.0), (2.0, 2.0)])
def test_two_slopes_is_the_sum_of_its_hinges(dtype, kl, kr):
    """runtime.two_slopes(d, kl, kr) = kl min(d, 0) + kr max(d, 0) bit for bit (the slope
    picked by d's sign bit, or one product when kl = kr), also for +-0, +-inf, NaN, subnormal
    d and array slopes."""
    from symact.codegen import runtime

    with np.errstate(over="ignore"):
        d = np.concatenate([DENSE, [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan]]).astype(dtype)
    with np.errstate(all="ignore"):
        ref = (kl * np.minimum(d, dtype(0)) + kr * np.maximum(d, dtype(0))).astype(dtype)
        got = runtime.two_slopes(d, kl, kr, out=np.empty_like(d))
        inplace = d.copy()
        runtime.two_slopes(inplace, kl, kr, out=inplace)
        arrays = runtime.two_slopes(d, np.full(d.shape, kl), np.full(d.shape, kr),
                                    out=np.empty_like(d))
        # (float64 slope arrays: each product in float64, rounded, as NumPy does for
        # float32 times float64 in the general program)
        ref_arrays = ((np.full(d.shape, kl) * np.minimum(d, dtype(0))).astype(dtype)
                      + (np.full(d.shape, kr) * np.maximum(d, dtype(0))).astype(dtype))
    for v, r in ((got, ref), (inplace, ref), (arrays, ref_arrays)):
        assert v.dtype == dtype
        np.testing.assert_array_equal(v, r)


def test_srelu_fast_branch_is_four_passes():
    src = symact.get("srelu").numpy().source
    fast = src.split("if (p_t_l <= p_t_r):")[1].split("else:")[0]
    assert "_rt.two_slopes(" in fast and len(fast.strip().splitlines()) == 4, fast


def test_two_slopes_error_model():
    """precision._two_slopes: kl times the negative part of d, kr times the rest, one rounding
    unless both slopes are powers of two; a NaN bound is rejected."""
    import math

    from symact.codegen.precision import _Reject, _two_slopes, _v

    iv, err = _two_slopes(_v((-3.0, 5.0), 0.0), _v((0.1, 0.1), 0.0), _v((0.25, 0.25), 0.0))
    assert iv == (-0.30000000000000004, 1.25) and err == 0.5
    assert _two_slopes(_v((-3.0, 5.0), 1.0), _v((0.5, 0.5), 0.0), _v((2.0, 2.0), 0.0))[1] == 1.0
    with pytest.raises(_Reject):
        _two_slopes(_v((math.nan, math.nan), 0.0), _v((0.1, 0.1), 0.0), _v((0.2, 0.2), 0.0))


@pytest.mark.parametrize("name,params,limits", [
    ("leaky_relu", {"negative_slope": 0.0}, (np.inf, 0.0)),
    ("prelu", {"weight": 0.0}, (np.inf, 0.0)),
    ("leaky_relu6", {"negative_slope": 0.0}, (6.0, 0.0)),
    ("srelu", {"a_l": 0.0, "a_r": 0.0}, (1.0, -1.0)),
    ("srelu", {"a_r": 0.0, "t_r": 2.5}, (2.5, -np.inf)),
    ("srelu", {"a_l": 0.0, "t_l": -0.5}, (np.inf, -0.5)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zero_slope_gives_the_finite_limit_at_inf(name, params, limits, dtype):
    """A slope parameter at 0 (0 inf = NaN in the branch p x): the limit at +-inf is the
    flat branch's value (runtime.fix_inf_probe, guarded by the slope: no pass over x at the
    defaults); the value and grad kernel too."""
    act = symact.get(name)
    x = np.array([np.inf, -np.inf, np.nan, 1.5], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = act.numpy()(x, **params)
        f, _ = act.numpy_value_and_grad()(x, **params)
    for v in (got, f):
        np.testing.assert_array_equal(v[:2], np.array(limits, dtype))
        assert np.isnan(v[2])
    assert "zero=(" in act.numpy().source
