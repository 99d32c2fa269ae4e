"""Trigonometric functions of a parameter times x (``runtime.trig_mul``): the phase c y kept
as hi + lo, so a non-default parameter no longer costs |c y| 2^-53 of phase (snake' with
a = 3 was 7e3 ULP off within |x| <= 100, all digits next to its double zeros); snake'' as
2 a cos(2 a x) (``rewrite._rule_cos_double``: cos^2 - sin^2 cancelled, 424 ULP at the
default a = 1)."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

import symact
from symact.codegen import runtime
from symact.codegen.accuracy import _mp_eval, _textbook, mp_function, ulp_errors

FUNCS = {"sin": lambda t: mpmath.sin(t), "cos": lambda t: mpmath.cos(t),
         "sin_sq": lambda t: mpmath.sin(t) ** 2, "sin2": lambda t: mpmath.sin(2 * t),
         "cos2": lambda t: mpmath.cos(2 * t)}


def _check_trig_mul(y: np.ndarray, c: float, kind: str, dps: int, far_tol: float) -> None:
    """trig_mul(y, c) within 4 ULP of mpmath where |c y| <= 2^26, ``far_tol`` beyond (there
    the addition formulas, sin and cos of hi and of lo, can cancel); finite for finite y."""
    out = np.empty_like(y)
    with np.errstate(all="ignore"):  # (as in a kernel: a sin^2 may underflow)
        runtime.trig_mul(y, c, 0.0, kind, out=out)
    assert np.isfinite(out).all()
    with mpmath.workdps(dps):
        refs = [mpmath.nstr(FUNCS[kind](mpmath.mpf(c) * mpmath.mpf(float(v))), 40) for v in y]
    errs = ulp_errors(out, refs, "float64")
    tol = np.where(np.abs(y * c) <= runtime._TRIG_LINEAR, 4.0, far_tol)
    worst = int(np.argmax(errs - tol))
    assert errs[worst] <= tol[worst], (kind, c, float(y[worst]), float(errs[worst]))


@pytest.mark.parametrize("kind", runtime._TRIG_KINDS)
@pytest.mark.parametrize("c", [0.3, 3.0, 0.4125])
def test_trig_mul_matches_mpmath(kind, c):
    rng = np.random.default_rng(5)
    y = np.concatenate([rng.uniform(-100.0, 100.0, 400), rng.uniform(-1e9, 1e9, 60),
                        [0.0, -0.0, 1e-300, 7.5, 3e200]])
    # (beyond 2^26: a few dozen ULP, where the rounded phase was wrong in every digit)
    _check_trig_mul(y, c, kind, 50, 64.0)


@pytest.mark.parametrize("kind", runtime._TRIG_KINDS)
@pytest.mark.parametrize("c", [0.375, 0.4125, 1e-3, 3e-7])
def test_trig_mul_beyond_the_split_range(kind, c):
    """|y| > 1e299 / max(1, |c|): the product of y 2^-600 and c, its error scaled back (the
    phase's low part was dropped: snake' at a = 0.375, x = -1.757e308 was 1.1e17 ULP off)."""
    rng = np.random.default_rng(11)
    y = np.concatenate([rng.uniform(1e299, 1.79e308, 40) * rng.choice([-1.0, 1.0], 40),
                        [1.797e308, -1.797e308, 1.0001e299, 3.5]])
    # (beyond 2^26 up to 182 ULP measured here, at c = 3e-7, y = 4.96e307; the dropped low
    # part left no correct digit)
    _check_trig_mul(y, c, kind, 400, 256.0)


@pytest.mark.parametrize("kind", runtime._TRIG_KINDS)
def test_trig_mul_exact_coefficient_is_the_plain_helper(kind):
    """c = +-2^k: the product is exact, the helper is the plain one (bit for bit, also where
    2 c y overflows and the double-angle forms take over)."""
    y = np.array([-1.7e308, -9e307, -3.5, 0.0, 2.5e-310, 1.0, 1e300, np.nan, np.inf])
    for c in (1.0, 0.5, -2.0):
        got, ref = np.empty_like(y), np.empty_like(y)
        with np.errstate(all="ignore"):
            runtime.trig_mul(y, c, 0.0, kind, out=got)
            runtime._TRIG_PLAIN[kind](y * c, out=ref)
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("a", [0.375, 3.0, 25.0, 1.0])
@pytest.mark.parametrize("order", [1, 2])
def test_snake_derivatives_at_parameters(a, order):
    act = symact.get("snake")
    bound = act.bind(a=a)
    rng = np.random.default_rng(9)
    x = np.concatenate([rng.uniform(-100.0, 100.0, 200), rng.uniform(-1e5, 1e5, 30)])
    fn = mp_function(_textbook(bound, order), bound.x)
    refs = [_mp_eval(fn, float(p)) for p in x]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = act.numpy(order)(x, a=a)
    errs = ulp_errors(got, refs, "float64")
    worst = int(np.argmax(errs))
    assert errs[worst] <= 4.0, (a, order, float(x[worst]), float(errs[worst]))
