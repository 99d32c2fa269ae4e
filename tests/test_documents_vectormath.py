"""The vector kernels (softmax & co) rendered as math: the rendered function computes the kernel."""

from __future__ import annotations

import ast
import math
import shutil
import subprocess

import numpy as np
import pytest

import symact
from symact.documents.kernelmath import kernel_math
from symact.documents.vectormath import (
    VectorMathError,
    vector_function_ast,
    vector_kernel_latex,
)

NAMES = ["softmax", "softmin", "log_softmax", "glu"]
CASES = [(name, order) for name in NAMES for order in (0, 1)]
VECTORS = [
    np.array([0.3, -1.2, 2.5, 0.0]),
    np.array([800.0, -3.0, 799.5, 1.0, -800.0, 0.25]),
    np.array([-700.0, -701.0, 5.0, 2.0]),
]


class OneBased:
    """A vector indexed from 1, as the rendered function reads x_i and g_i."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = np.asarray(values, dtype=float)

    def __getitem__(self, k: float) -> float:
        assert k == int(k) and 1 <= k <= len(self.values), k
        return float(self.values[int(k) - 1])

    def __iter__(self):
        return iter(self.values.tolist())

    def __neg__(self) -> OneBased:
        return OneBased(-self.values)


def _rendered(module: ast.Module, n: int):
    namespace = {"exp": math.exp, "log": math.log, "n": n}
    exec(compile(module, "<rendered vector kernel>", "exec"), namespace)  # noqa: S102
    return namespace["vjp" if "vjp" in namespace else "f"]


@pytest.mark.parametrize(("name", "order"), CASES)
def test_rendered_vector_kernel_computes_the_kernel(name, order):
    """The function latexify renders, executed component by component, is the kernel."""
    act = symact.get(name)
    kernel = act.numpy(order)
    module = vector_function_ast(name, order)
    rng = np.random.default_rng(7)
    for x in VECTORS:
        n = len(x)
        rendered = _rendered(module, n)
        if order == 0:
            want = kernel(x)
            args = [OneBased(x)]
        else:
            g = rng.normal(size=act.numpy(0)(x).shape)
            want = kernel(x, g)
            args = [OneBased(x), OneBased(g)]
        got = np.empty_like(want)
        pair = isinstance(module.body[0].body[-1].value, ast.Tuple)
        for i in range(1, (n // 2 if pair else len(want)) + 1):
            value = rendered(*args, i)
            if pair:
                got[i - 1], got[i - 1 + n // 2] = value
            else:
                got[i - 1] = value
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300, err_msg=f"{name} {x}")


@pytest.mark.parametrize(("name", "order"), CASES)
def test_kernel_math_of_vector_kernels(name, order):
    km = kernel_math(symact.get(name), order)
    kname = name if order == 0 else f"{name}_vjp"
    assert km.note == f"generated kernel {kname}, rendered by latexify-py"
    assert km.latex == vector_kernel_latex(name, order)
    lhs = r"f(\mathbf{x})_{i}" if order == 0 else r"\left(J_f(\mathbf{x})^\top \mathbf{g}\right)_{i}"
    assert lhs in km.latex
    assert "mathrm{vjp}" not in km.latex and "f(x, i)" not in km.latex


def test_stable_rewrites_are_visible():
    softmax = vector_kernel_latex("softmax", 0)
    assert r"m = \max" in softmax and r"x_{i} - m" in softmax
    assert r"\sum_{j = 1}^{n}" in softmax
    assert r"\log \sum_{j = 1}^{n}" in vector_kernel_latex("log_softmax", 0)
    glu = vector_kernel_latex("glu", 0)
    assert r"\exp \mathopen{}\left( -\mathopen{}\left| x_{i + \frac{n}{2}}" in glu
    assert r"i + n/2" in vector_kernel_latex("glu", 1)  # the second half of the pair


_DOCUMENT = r"""\documentclass{article}
\usepackage{amsmath}
\begin{document}
%s
\end{document}
"""


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not on PATH")
def test_rendered_latex_compiles(tmp_path):
    displays = []
    for name, order in CASES:
        tex = vector_kernel_latex(name, order)
        assert tex.strip()
        displays.append(r"\[ " + tex + r" \]")
    (tmp_path / "kernels.tex").write_text(_DOCUMENT % "\n\n".join(displays))
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                          "kernels.tex"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "kernels.pdf").exists()


_UNKNOWN = '''
def softmax(x, *, axis=-1, out=None):
    z = np.cumsum(x, axis=axis)
    return _finish(z, None, out)
'''


def test_unknown_construct_raises():
    with pytest.raises(VectorMathError, match="cumsum"):
        vector_function_ast("softmax", 0, _UNKNOWN)
    with pytest.raises(VectorMathError, match="statement"):
        vector_function_ast("softmax", 0, _UNKNOWN.replace("z = np.cumsum(x, axis=axis)",
                                                           "for k in x:\n        pass"))
    with pytest.raises(VectorMathError):
        vector_function_ast("softmax", 2)


def test_unknown_construct_falls_back_in_kernel_math(monkeypatch):
    import symact.codegen.vector as vector

    symact.get("softmax").numpy(1)  # the kernels are compiled from the real source first
    monkeypatch.setattr(vector, "SOURCE", _UNKNOWN)
    km = kernel_math(symact.get("softmax"), 0)
    assert "kernel not renderable (VectorMathError" in km.note
    assert "definition rendered" in km.note
    assert kernel_math(symact.get("softmax"), 1).latex is None
