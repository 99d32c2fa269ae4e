"""The generated kernels package: freshness, standalone import, accuracy bound on the grid."""

from __future__ import annotations

import inspect
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import symact
from symact.codegen import CodegenError, accuracy, artifacts, runtime

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "generated"

#: measured misses of the 4-ULP target (see generated/accuracy.md); the test is xfail for
#: these and must pass for every other activation/dtype/order
KNOWN_MISSES = {
    ("gelu", "float64"),  # f: 4.9 ULP at x = -6.33 (SciPy's erfcx itself is 3.3-4.8 ULPs off)
}

SCALAR = [a.name for a in symact.activations() if not a.is_vector]


def _known(name: str, dtype: str) -> bool:
    return (name, "*") in KNOWN_MISSES or (name, dtype) in KNOWN_MISSES


def test_generated_package_is_fresh():
    init = GENERATED / "kernels" / "__init__.py"
    assert init.exists(), "generated/kernels missing: run `symact build`"
    source, _, _ = artifacts.kernel_sources()
    assert init.read_text(encoding="utf-8") == source, "stale: run `symact build`"
    rt = (GENERATED / "kernels" / "_runtime.py").read_text(encoding="utf-8")
    assert rt == inspect.getsource(runtime)


def test_generated_package_imports_no_sympy(tmp_path):
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import numpy as np; import kernels; "
        "x = np.linspace(-5, 5, 11); kernels.gelu(x); kernels.softmax(x); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sympy', 'symact', 'mpmath')]; "
        "assert not bad, bad; print(len(kernels.__all__))"
    )
    r = subprocess.run([sys.executable, "-c", code, str(GENERATED)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) > 200


def test_generated_functions_match_numpy_method():
    sys.path.insert(0, str(GENERATED))
    try:
        import kernels  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(GENERATED))
    x = np.linspace(-30, 30, 333)  # (no denormal results: their last bits vary with the
    # floating-point mode other imported libraries leave behind)
    for name in ("gelu", "softplus", "relu6", "tanhshrink"):
        act = symact.get(name)
        np.testing.assert_array_equal(getattr(kernels, name)(x), act.numpy()(x))
        np.testing.assert_array_equal(getattr(kernels, f"{name}_d1")(x), act.numpy(1)(x))
        f, g = getattr(kernels, f"{name}_value_and_grad")(x)
        np.testing.assert_allclose(f, act.numpy()(x), rtol=5e-16)
    assert kernels.gelu.__doc__ and "f(x) =" in kernels.gelu.__doc__


def _subset(dtype: str) -> np.ndarray:
    g = accuracy.grid(dtype)
    finite = g[np.isfinite(g)]
    return np.concatenate([finite[::3], g[~np.isfinite(g)]])


@pytest.mark.parametrize("dtype", accuracy.DTYPES)
@pytest.mark.parametrize("name", SCALAR)
def test_four_ulp_on_grid(name, dtype, request):
    if _known(name, dtype):
        request.applymarker(pytest.mark.xfail(reason="known miss, see generated/accuracy.md",
                                              strict=False))
    act = symact.get(name)
    points = _subset(dtype)
    for order in (0, 1):
        try:
            fn = act.numpy(order)
        except CodegenError as exc:
            pytest.fail(str(exc))
        refs = accuracy.references(act, order, points)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = np.asarray(fn(points.copy()), dtype=dtype)
        errs = accuracy.ulp_errors(got, refs, dtype)
        k = int(np.argmax(errs))
        assert errs[k] <= 4, f"order {order}: {errs[k]} ULP at x = {points[k]!r}"
