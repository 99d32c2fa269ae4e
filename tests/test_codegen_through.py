"""Kernels of f' from the output y = f(x) (the memory-saving backward form)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symact
from symact.codegen import CodegenError
from symact.errors import SymactError

X = np.linspace(-6, 6, 1201)

#: activations whose f' the analysis writes in f (the test below checks it stays exactly this)
FROM_OUTPUT = ["apl", "celu", "elu", "exponential", "hard_sigmoid_legacy", "hardshrink",
               "hardsigmoid", "hardtanh", "identity", "leaky_relu", "leaky_relu6", "lecun_tanh",
               "logsigmoid", "prelu", "relu", "relu6", "rrelu", "selu", "sigmoid", "signum",
               "soft_exponential", "softplus", "softshrink", "softsign", "sparse_sigmoid",
               "srelu", "step", "symmetric_sigmoid", "tanh", "threshold"]
SCALAR = [a.name for a in symact.activations() if not a.is_vector]


@pytest.mark.parametrize("name", SCALAR)
def test_from_output_matches_the_derivative(name):
    act = symact.get(name)
    try:
        k = act.numpy_from_output()
    except CodegenError:
        assert name not in FROM_OUTPUT
        return
    assert name in FROM_OUTPUT
    y = act.numpy(0)(X)
    want = act.numpy(1)(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = k(y)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_from_output_ufunc_conventions():
    k = symact.get("sigmoid").numpy_from_output()
    y = np.array([0.25, 0.5, np.nan], dtype=np.float32)
    out = np.empty_like(y)
    got = k(y, out=out)
    assert got is out and out.dtype == np.float32
    assert np.isnan(out[2]) and out[1] == np.float32(0.25)
    assert "from the output" in k.source


def test_from_output_uses_bound_parameters():
    elu2 = symact.get("elu", alpha=2)
    x = np.array([-3.0, -0.5, 0.5, 2.0])
    np.testing.assert_allclose(elu2.numpy_from_output()(elu2.numpy(0)(x)),
                               elu2.numpy(1)(x), rtol=1e-13)


@pytest.mark.parametrize("name, why", [("absolute", "not monotonic"), ("gelu", "output"),
                                       ("softmax", "vector")])
def test_no_form_is_a_clear_error(name, why):
    with pytest.raises(CodegenError, match=why) as info:
        symact.get(name).numpy_from_output()
    assert isinstance(info.value, SymactError)


def test_generated_package_exports_from_output_kernels():
    from symact.codegen.through import from_output_source

    ks = from_output_source(symact.get("sigmoid"))
    assert ks.name == "sigmoid_d1_from_output"
    assert "import sympy" not in ks.source
