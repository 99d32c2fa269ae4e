"""Exponentials of a parameter times x (``runtime.exp_mul`` with a parameter coefficient,
``runtime.mul_exp`` with ``c``, ``runtime.recip_lo``): exp(P y) and expm1(P y) keep the
product P y as a double-double where |P y| > 1, so a non-default parameter no longer costs
|P y| 2^-53 of relative error (swish with beta = 25 was 397 ULP off at x = -24.7, softplus with
beta = 0.375 171 ULP at x = -709.8, celu' with alpha = 0.375 285 ULP at x = -103). Checked
against mpmath at the bound parameter values, for scalar and array parameters."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import symact
from symact.codegen import runtime
from symact.codegen.accuracy import _mp_eval, mp_function, ulp_errors

# (activation, parameter, values): dyadic values, so the bound (rational) parameter of the
# reference is exactly the double the kernel gets
CASES = [("swish", "beta", (0.375, 3.75, 25.0)), ("softplus", "beta", (0.375, 0.015625)),
         ("celu", "alpha", (0.375, 3.75)), ("soft_exponential", "alpha", (0.375, 3.75)),
         ("elu", "alpha", (3.75,))]


def _points(rng) -> np.ndarray:
    """Tails where the exponent is large, and ordinary values."""
    return np.sort(np.concatenate([rng.uniform(-750.0, 750.0, 60), rng.uniform(-40, 40, 40),
                                   [-709.8, -300.0, -103.0, -24.7, -2.0, 0.5, 28.0, 300.0]]))


def _refs(act, order: int, x: np.ndarray) -> list[str]:
    from symact.codegen.accuracy import _textbook

    fn = mp_function(_textbook(act, order), act.x)
    return [_mp_eval(fn, float(p)) for p in x]


@pytest.mark.parametrize(("name", "param", "values"), CASES)
@pytest.mark.parametrize("order", [0, 1])
def test_parameter_exponentials_within_4_ulp(name, param, values, order):
    act = symact.get(name)
    k = act.numpy(order)
    rng = np.random.default_rng(7)
    for v in values:
        bound = act.bind(**{param: v})
        x = _points(rng)
        refs = _refs(bound, order, x)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = k(x, **{param: v})
        errs = ulp_errors(got, refs, "float64")
        # (subnormal results are left out: swish' at beta = 25 rounds x exp(beta x) to a
        # subnormal before beta scales it, 12 ULP at x = -29.9, as the kernels did before)
        normal = np.array([r in ("inf", "-inf") or (r != "nan" and abs(float(r)) >= 2.0**-1022)
                           for r in refs])
        errs = np.where(normal, errs, 0.0)
        worst = int(np.argmax(errs))
        assert errs[worst] <= 4.0, (name, order, v, float(x[worst]), float(errs[worst]))


@pytest.mark.parametrize(("name", "param", "values"), CASES)
def test_array_parameters_match_scalar_calls(name, param, values):
    """An array of parameter values (one per element) gives what the scalar calls give,
    within 4 ULP (the scalar call at the default may take a zero patch the array path skips)."""
    act = symact.get(name)
    rng = np.random.default_rng(3)
    x = _points(rng)
    pv = rng.choice(np.array(values), x.size)
    for order in (0, 1):
        k = act.numpy(order)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = k(x, **{param: pv})
            want = np.empty_like(x)
            for v in values:
                m = pv == v
                want[m] = k(x[m], **{param: v})
        finite = np.isfinite(want)
        assert np.array_equal(np.isfinite(got), finite)
        rel = np.abs(got[finite] - want[finite]) / np.maximum(np.abs(want[finite]), 1e-300)
        assert rel.max(initial=0.0) <= 4 * 2.0**-52


@pytest.mark.parametrize("p", [3.0, 0.375, -7.0, 1e-300, 1e300, 0.1, 2.0**-1074, 10.0 / 3])
def test_recip_lo_is_the_rounding_of_the_reciprocal(p):
    r = 1.0 / p
    lo = runtime.recip_lo(p)
    if not math.isfinite(r) or not 1e-300 < abs(p) < 1e300:  # (beyond the split's range)
        assert lo == 0.0
        return
    exact = 1 / Fraction(p)
    err = exact - Fraction(r)
    # (a subnormal low part: its own rounding)
    assert abs(Fraction(lo) - err) <= abs(exact) * Fraction(2) ** -100 + Fraction(2) ** -1074
    arr = runtime.recip_lo(np.array([p, 0.0, np.inf, np.nan]))
    assert arr[0] == lo and (arr[1:] == 0.0).all()


def test_exp_mul_parameter_matches_mpmath_and_skips_exact_products():
    x = np.array([-745.0, -700.5, -24.7, -1.0, -0.3, 0.0, 0.3, 2.0, 500.0, 709.0, np.inf,
                  -np.inf, np.nan])
    for c in (0.375, -3.75, 1.0 / 3, 25.0, 1.0, -2.0):
        lo = runtime.recip_lo(3.0) if c == 1.0 / 3 else 0.0
        for m1 in (False, True):
            with np.errstate(all="ignore"):  # (as inside a kernel)
                got = runtime.exp_mul(x.copy(), c, lo, m1, out=np.empty_like(x))
            for xi, g in zip(x, got, strict=True):
                if math.isnan(xi):
                    assert math.isnan(g)
                    continue
                with mpmath.workdps(60):
                    cc = mpmath.mpf(1) / 3 if c == 1.0 / 3 else mpmath.mpf(c)
                    z = cc * mpmath.mpf(xi) if math.isfinite(xi) else (
                        mpmath.inf if (xi > 0) == (c > 0) else -mpmath.inf)
                    want = float(mpmath.expm1(z) if m1 else mpmath.exp(z))
                if math.isinf(want) or want == 0 or abs(want) < 2.0**-1022:
                    assert g == want or abs(g - want) <= 2.0**-1074 * 2
                    continue
                assert abs(g - want) <= 3 * 2.0**-52 * abs(want), (c, m1, xi, g, want)
    # float32 input: c y and the exponential in float64, rounded once
    x32 = np.linspace(-100, 80, 1001, dtype=np.float32)
    got = runtime.exp_mul(x32, 0.375, 0.0, out=np.empty_like(x32))
    assert got.dtype == np.float32
    assert np.array_equal(got, np.exp(x32.astype(np.float64) * 0.375).astype(np.float32))


def test_mul_exp_parameter_keeps_subnormal_exponentials_exact():
    """swish with beta = 1/64 at x = -45000: x exp(beta x) is 1.4e-303 (normal) while
    exp(beta x) is subnormal; the exponent carried exactly keeps the result within 4 ULP."""
    act = symact.get("swish")
    bound = act.bind(beta=0.015625)
    x = np.array([-45000.0, -46000.0, -45500.25, -47700.0])
    got = act.numpy()(x, beta=0.015625)
    errs = ulp_errors(got, _refs(bound, 0, x), "float64")
    assert errs.max() <= 4.0


@pytest.mark.parametrize("m1", [False, True])
def test_exp_mul_full_chunk_keeps_far_exponents(m1):
    """Most elements refined (the whole chunk goes through the double-double): the elements
    with |c y| >= 1500 or a y beyond the split's range keep exp(c y) = inf or 0 (they were NaN
    or -inf: soft_exponential at alpha = 0.375 and x = 2.3e41)."""
    y = np.array([1e308, 2.3e41, 3.0, 4.0, 5.0, -1e308, -2.3e41])
    for c in (0.375, 1e-300):
        with np.errstate(all="ignore"):
            got = runtime.exp_mul(y.copy(), c, 0.0, m1, out=np.empty_like(y))
            want = (np.expm1 if m1 else np.exp)(y * c)
        big = np.abs(y * c) >= 1500
        assert np.array_equal(got[big], want[big])
        assert np.allclose(got, want, rtol=4e-16, atol=0)


def test_scale_family_is_proved_or_refused():
    import sympy as sp

    from symact.codegen.roots import scale_family

    swish, celu = symact.get("swish"), symact.get("celu")
    beta, alpha = swish.params["beta"], celu.params["alpha"]
    assert [scale_family(sp.diff(swish.expr, swish.x, k), swish.x, beta, sp.S.One)
            for k in range(3)] == [-1, 0, 1]
    # celu(x; alpha) = alpha h(x / alpha): a scale family in 1 / alpha, not in alpha
    assert scale_family(sp.diff(celu.expr, celu.x), celu.x, alpha, sp.S.One) is None
    # a default that is not a power of two: s = p / d would be rounded
    assert scale_family(sp.diff(swish.expr, swish.x), swish.x, beta, sp.Rational(1, 3)) is None


@pytest.mark.parametrize("beta", [0.5, 1.703125, 3.0, 0.375])
def test_swish_derivative_zero_patch_scales_with_beta(beta):
    """swish'(x; beta) = g(beta x): the patch at g's zero u0 = -1.2785 serves x0 = u0 / beta
    (it was 292 ULP off at beta = 1/2, x = -2.563, without it)."""
    act = symact.get("swish")
    assert "scale=(0, 0)" in act.numpy(1).source
    bound = act.bind(beta=beta)
    x0 = -1.2784645427610737 / beta
    for dt in ("float64", "float32"):
        x = (x0 + np.concatenate([np.linspace(-0.4, 0.4, 81), np.geomspace(1e-12, 1e-2, 20),
                                  -np.geomspace(1e-12, 1e-2, 20)]) / beta).astype(dt)
        x = np.unique(x)
        for order, k in ((1, act.numpy(1)), (1, act.numpy_value_and_grad())):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                got = k(x, beta=beta)
            got = got[1] if isinstance(got, tuple) else got
            errs = ulp_errors(got, _refs(bound, order, x.astype(np.float64)), dt)
            assert errs.max() <= 4.0, (beta, dt, float(x[int(np.argmax(errs))]), errs.max())
    # an array of betas keeps the plain kernel (no patch), without warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        act.numpy(1)(np.array([x0, 1.0]), beta=np.array([beta, 2.0]))


def test_extreme_and_degenerate_coefficients():
    """Review cases: a CSE symbol holding 1/alpha is not an exact parameter (celu'' kept the
    rounding of 1/alpha: 349 ULP); a power of two beyond float32's normal range is not an
    exact float32 factor (softplus' at beta = 2^200 gave NaN at 0); array coefficients beyond
    1e-290 .. 1e290 keep the plain product (thousands of ULP otherwise); a 0-d coefficient;
    recip_lo beyond the split's range; a scale beyond 2^+-500 leaves the patch out."""
    celu = symact.get("celu")
    x = -np.linspace(1, 709, 401) * 0.375
    errs = ulp_errors(celu.numpy(2)(x, alpha=0.375), _refs(celu.bind(alpha=0.375), 2, x),
                      "float64")
    assert errs.max() <= 4.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = symact.get("softplus").numpy(1)(np.float32([0.0, -0.0]), beta=2.0**200)
        assert np.array_equal(got, np.float32([0.5, 0.5]))
        xs = np.array([-3.0, -20.0]) * 2.0**1013
        k = celu.numpy(1)
        np.testing.assert_allclose(k(xs, alpha=np.full(2, 2.0**1013)), k(xs, alpha=2.0**1013),
                                   rtol=4e-16)
        swish_d1 = symact.get("swish").numpy(1)
        assert np.isfinite(swish_d1(np.array([-1.2785, -1.0]) * 2.0**1000,
                                    beta=2.0**-1000)).all()
    with np.errstate(all="ignore"):
        got = runtime.exp_mul(np.array([-3000.0, 5.0, 6.0]), np.array(0.375), 0.0,
                              out=np.empty(3))
        small = runtime.exp_mul(np.float32([1e30]), 2.0**-200, 0.0, True,
                                out=np.empty(1, np.float32))
    np.testing.assert_allclose(got, np.exp(np.array([-3000.0, 5.0, 6.0]) * 0.375), rtol=4e-16)
    assert small[0] == np.float32(1e30 * 2.0**-200)
    assert runtime.recip_lo(1e-302) == 0.0 and runtime.recip_lo(1e302) == 0.0


@pytest.mark.parametrize("values", [dict(p1=3.0, p2=0.0, beta=1.0),
                                    dict(p1=1.0, p2=0.0, beta=3.0),
                                    dict(p1=0.375, p2=0.0, beta=1.0),
                                    dict(p1=-1.5, p2=0.0, beta=0.75)])
def test_acon_c_exponent_of_a_parameter_difference(values):
    """acon_c's sigmoid of beta (p1 - p2) x: |beta (p1 - p2) x| as beta |p1 - p2| |x|
    (``functions.abs_split``), so the runtime carries the product exactly in the shared
    exponential and in the underflow path of the numerator (it was rounded: 134 ULP at
    p1 = 3, x = -88.7; 133 at p1 = 0.375, x = -709.8)."""
    act = symact.get("acon_c")
    bound = act.bind(**values)
    x = _points(np.random.default_rng(11))
    x = np.concatenate([x, [-88.72, -266.0, -709.8, -1989.0]])
    refs = _refs(bound, 0, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = act.numpy(0)(x, **values)
    errs = ulp_errors(got, refs, "float64")
    normal = np.array([r in ("inf", "-inf") or (r != "nan" and abs(float(r)) >= 2.0**-1022)
                       for r in refs])
    errs = np.where(normal, errs, 0.0)
    worst = int(np.argmax(errs))
    assert errs[worst] <= 4.0, (values, float(x[worst]), float(errs[worst]))


@pytest.mark.parametrize("beta", [3.0, 25.0, 0.375])
def test_softplus_over_beta_does_not_overflow_in_beta_x(beta):
    """softplus(beta x) / beta as max(x, 0) + log1p(exp(-beta |x|)) / beta
    (``functions.expand``): beta x overflowed for x > 1.8e308 / beta (inf instead of x)."""
    x = np.array([8.988e307, 1.7e308, 1e300, -1e308, 2.0, -2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = symact.get("softplus").numpy(0)(x, beta=beta)
        both = symact.get("softplus").numpy_value_and_grad()(x, beta=beta)
    np.testing.assert_array_equal(got[:4], [8.988e307, 1.7e308, 1e300, 0.0])
    np.testing.assert_array_equal(both[0], got)
    with mpmath.workdps(40):
        for xv, g in zip(x[4:], got[4:], strict=True):
            ref = mpmath.log1p(mpmath.exp(beta * mpmath.mpf(xv))) / beta
            assert abs(float(mpmath.mpf(g) - ref)) <= 2 * np.spacing(abs(float(ref)))
