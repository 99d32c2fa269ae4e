"""p exp(min(w, 0)) reads w itself where exp underflows (``emit``: the pass computing
min(w, 0) only for ``runtime.mul_exp``'s rare path is gone; there exp(min(w, 0)) < 2^-126
implies w < 0, so min(w, 0) = w). The kernels that use it (silu, mish and their derivatives
and value-and-grad kernels) stay within 4 ULP of mpmath exactly where that path runs: the
exponential subnormal or zero while the product is not."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symact
from symact.codegen.accuracy import _mp_eval, _textbook, mp_function, ulp_errors

TAILS = {"float64": np.concatenate([np.linspace(-745.5, -700.0, 23), [-740.25, -1e4, -1e300]]),
         "float32": np.concatenate([np.linspace(-104.0, -85.0, 20), [-103.3, -1e4, -1e30]])}


def _refs(act, order: int, x: np.ndarray) -> list[str]:
    fn = mp_function(_textbook(act, order), act.x)
    return [_mp_eval(fn, float(p)) for p in x]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,order", [("silu", 0), ("mish", 0), ("mish", 1), ("mish", 2)])
def test_product_with_an_underflowing_exponential(name, order, dtype):
    act = symact.get(name)
    x = TAILS[dtype].astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no RuntimeWarning either)
        got = act.numpy(order)(x)
    assert got.dtype == np.dtype(dtype)
    errs = ulp_errors(got, _refs(act, order, x), dtype)
    assert errs.max() <= 4.0, (x[errs.argmax()], errs.max())
    # somewhere the exponential is subnormal but the product is a normal number
    tiny = np.finfo(dtype).tiny
    assert np.any((np.exp(np.float64(1) * x.astype(np.float64)) < tiny) & (np.abs(got) >= tiny))


@pytest.mark.parametrize("name", ["silu", "mish"])
def test_value_and_grad_in_the_tail_and_specials(name):
    act = symact.get(name)
    x = np.concatenate([TAILS["float64"], [-np.inf, np.nan, 0.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f, g = act.numpy_value_and_grad()(x)
    fin = slice(0, len(TAILS["float64"]))
    for order, v in ((0, f), (1, g)):
        errs = ulp_errors(v[fin], _refs(act, order, x[fin]), "float64")
        assert errs.max() <= 4.0, (order, x[errs.argmax()], errs.max())
    assert f[-4] == 0.0 and g[-4] == 0.0  # the limits at -inf
    assert np.isnan(f[-3]) and np.isnan(g[-3])
