"""(k z^2 + c2)^h with a parameter k (``runtime.hypot_pow`` with ``k``): k times the exact
double-double z^2, where sqrt(k) z rounded twice and the power tripled it (isru' with
alpha = 3/8 was 4.3 ULP off at x = -26.7)."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

import symact
from symact.codegen import runtime
from symact.codegen.accuracy import _mp_eval, _textbook, mp_function, ulp_errors


@pytest.mark.parametrize("k", [0.375, 3.0, 0.3, 1e-5, 7e4, 4.0])
@pytest.mark.parametrize("h", [-1.5, -2.5])
def test_hypot_pow_with_parameter_matches_mpmath(k, h):
    rng = np.random.default_rng(2)
    z = np.concatenate([rng.uniform(-50.0, 50.0, 300), rng.uniform(-1e6, 1e6, 50),
                        [0.0, 1e-200, 3e100, -2.0**491, 1e300]])
    out = np.empty_like(z)
    with np.errstate(all="ignore"):
        runtime.hypot_pow(z, 1.0, h, k, out=out)
    with mpmath.workdps(50):
        refs = [mpmath.nstr((mpmath.mpf(k) * mpmath.mpf(float(v)) ** 2 + 1) ** mpmath.mpf(h),
                            40) for v in z]
    errs = ulp_errors(out, refs, "float64")
    worst = int(np.argmax(errs))
    assert errs[worst] <= 2.5, (k, h, float(z[worst]), float(errs[worst]))


@pytest.mark.parametrize("name", ["isru", "isrlu"])
@pytest.mark.parametrize("alpha", [0.375, 3.0, 25.0])
def test_isru_derivative_at_parameters(name, alpha):
    act = symact.get(name)
    bound = act.bind(alpha=alpha)
    x = np.concatenate([np.random.default_rng(4).uniform(-60.0, 60.0, 200), [-26.68, -9.598]])
    fn = mp_function(_textbook(bound, 1), bound.x)
    refs = [_mp_eval(fn, float(p)) for p in x]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = act.numpy(1)(x, alpha=alpha)
    errs = ulp_errors(got, refs, "float64")
    worst = int(np.argmax(errs))
    assert errs[worst] <= 2.5, (name, alpha, float(x[worst]), float(errs[worst]))


@pytest.mark.parametrize("name", ["isru", "isrlu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_isru_keeps_its_limit_where_sqrt_alpha_x_overflows(name, dtype):
    """x / hypot(sqrt(alpha) x, 1) (``runtime.div_hypot``): sqrt(alpha) x overflowed for
    |x| > max / sqrt(alpha) and x / inf gave 0 instead of -1 / sqrt(alpha)."""
    big = float(np.finfo(dtype).max)
    x = np.array([-big, -big / 1.5, 2.0, np.nan], dtype=dtype)
    k = symact.get(name).numpy(0)
    for alpha in (3.0, np.array([25.0, 3.0, 3.0, 3.0])):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = k(x, alpha=alpha)
        a = np.broadcast_to(alpha, x.shape)
        assert got.dtype == dtype
        np.testing.assert_allclose(got[:2], -1.0 / np.sqrt(a[:2]), rtol=4e-7)
        assert np.isnan(got[3])
