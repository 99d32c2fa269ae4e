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
