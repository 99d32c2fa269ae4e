"""The LaTeX printer, the plot sampler and the kernel renderer of the formula sheet (fast)."""

from __future__ import annotations

import ast
import math

import numpy as np
import pytest
import scipy.special
import sympy as sp

import symact
from symact.cli import main
from symact.documents import latex_block, plots, to_latex
from symact.documents.content import visible_length
from symact.documents.kernelmath import kernel_function_ast, kernel_math

x = symact.get("relu").x


def test_operator_names_and_cases():
    assert to_latex(symact.get("softplus").expr) == \
        r"\frac{\operatorname{softplus}(\beta x)}{\beta}"
    assert r"\operatorname{sigmoid}(x)" in to_latex(symact.get("silu").expr)
    relu = to_latex(symact.get("relu").expr)
    assert relu == r"\begin{cases} 0 & \text{if } x \le 0 \\ x & \text{if } x > 0 \end{cases}"
    assert r"\operatorname{erf}" in to_latex(symact.get("gelu").expr)
    assert r"\lvert x \rvert" in to_latex(symact.get("softsign").expr)


def test_parameter_names():
    assert r"\lambda" in to_latex(symact.get("softshrink").expr)
    hardtanh = to_latex(symact.get("hardtanh").expr)
    assert r"x_{\min}" in hardtanh and r"x_{\max}" in hardtanh
    assert "a x" in to_latex(symact.get("leaky_relu").expr)
    assert "negative" not in to_latex(symact.get("leaky_relu").expr)


def test_piecewise_conditions_are_disjoint():
    # sqnl is first-match in SymPy: the display must give each branch the set it really covers
    tex = to_latex(symact.get("sqnl").expr)
    assert r"0 \le x \le 2" in tex and r"-2 \le x < 0" in tex and "x < -2" in tex


def test_exact_constants():
    selu = symact.get("selu")
    assert to_latex(selu.expr).startswith(r"\lambda_{\mathrm{SELU}}")
    block = latex_block(selu)
    assert r"\alpha_{\mathrm{SELU}} &= - \frac{\sqrt{2}}" in block
    assert "1.673263242354377" in block
    assert r"\sqrt{2}" in to_latex(symact.get("gelu").expr)  # no decimal for sqrt(2)


def test_hinge_inside_an_expression_is_max():
    assert to_latex(symact.get("apl").expr).count(r"\max") == 3


def test_latex_block_binds_parameters_and_cli(capsys):
    block = latex_block(symact.get("elu", alpha=2))
    assert "2 e^{x}" in block and "Evaluated at" in block
    assert main(["latex", "leaky_relu", "-p", "negative_slope=0.2", "--standalone"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(r"\documentclass") and out.rstrip().endswith(r"\end{document}")
    assert r"\frac{x}{5}" in out or r"\frac{1}{5}" in out


def test_vector_block():
    block = latex_block(symact.get("softmax"))
    assert r"\sum_{j=1}^{n}" in block and r"(\mathbf{x})_i" in block


# ------------------------------------------------------------------ plots


def _sampled(name: str) -> plots.PlotData:
    act = symact.get(name).with_defaults()
    funcs, _source = plots.evaluators(act, None)
    d = sp.diff(act.expr, act.x)
    return plots.sample(name, funcs, plots.breakpoints([act.expr, d], act.x), "test")


@pytest.mark.parametrize("name, jump", [("step", 0.0), ("signum", 0.0), ("hardshrink", 0.5),
                                        ("threshold", 1.0)])
def test_no_line_across_a_jump(name, jump):
    plot = _sampled(name)
    f = plot.curves[0]
    for seg in f.segments:
        xs = [p[0] for p in seg]
        assert not (min(xs) < jump < max(xs)), f"{name}: a segment crosses the jump at {jump}"
    assert any(abs(px - jump) < 1e-12 for px, _ in f.dots), "value at the jump not drawn"
    assert any(abs(px - jump) < 1e-12 for px, _ in f.circles), "one-sided limit not drawn"


def test_signum_marks():
    f = _sampled("signum").curves[0]
    assert f.dots == [(0.0, 0.0)]
    assert sorted(y for _, y in f.circles) == [-1.0, 1.0]


def test_continuous_kink_has_no_marks_on_f():
    plot = _sampled("relu")
    f, d = plot.curves
    assert not f.dots and not f.circles
    assert d.dots == [(0.0, 0.0)] and d.circles == [(0.0, 1.0)]  # relu'(0) = 0, PyTorch


def test_breakpoints():
    act = symact.get("hardswish")
    assert plots.breakpoints([act.expr], act.x) == [-3.0, 3.0]
    softsign = symact.get("softsign")
    assert plots.breakpoints([sp.diff(softsign.expr, x)], x) == [0.0]


def test_svg_is_deterministic_and_wellformed():
    import xml.etree.ElementTree as ET

    a, b = plots.svg(_sampled("step")), plots.svg(_sampled("step"))
    assert a == b
    root = ET.fromstring(a)
    assert root.tag.endswith("svg")
    assert a.count("<polyline") >= 4  # f and f' each split at the jump


# ------------------------------------------------------------------ kernels as math

_NAMESPACE = {
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "tanh": np.tanh,
    "sin": np.sin, "cos": np.cos, "arctan": np.arctan, "sqrt": np.sqrt, "abs": abs,
    "max": max, "min": min, "hypot": math.hypot, "erf": scipy.special.erf,
    "erfc": scipy.special.erfc, "sign": np.sign, "square": np.square, "cosh": np.cosh,
    "sinh": np.sinh, "pi": math.pi, "infty": math.inf, "clip": np.clip,
    "erfcx": scipy.special.erfcx,
}


@pytest.mark.parametrize("name", ["relu", "softplus", "gelu", "sigmoid", "mish", "hardswish",
                                  "sqnl", "bent_identity", "isru", "elu", "tanhshrink",
                                  "softsign", "soft_exponential", "leaky_relu", "softshrink",
                                  "hardshrink", "selu", "hardtanh", "absolute", "silu",
                                  "lecun_tanh", "gaussian", "squareplus", "snake", "isrlu"])
@pytest.mark.parametrize("order", [0, 1])
def test_rendered_kernel_computes_the_kernel(name, order):
    """The function latexify renders, executed, agrees with the kernel it was read from."""
    from symact.codegen import generate

    act = symact.get(name)
    ks = generate(act, (order,))
    core = ks.source.split("\n\n\ndef ")[0]
    params = {f"p_{k}": f"P{i}" for i, k in enumerate(act.params)}
    module = kernel_function_ast(core, "f", params)
    namespace = dict(_NAMESPACE)
    for node in ast.walk(module):  # any other ufunc the generator may use: NumPy's or SciPy's
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id not in namespace:
            fn = getattr(np, node.func.id, None) or getattr(scipy.special, node.func.id, None)
            if fn is not None:
                namespace[node.func.id] = fn
    exec(compile(module, f"<{name}>", "exec"), namespace)  # noqa: S102 (our own AST)
    rendered = namespace["f"]
    kernel = act.numpy(order)
    values = [float(v) for v in act.defaults.values()]
    for point in (-3.5, -1.0, -0.25, 0.0, 0.3, 1.0, 2.5, 7.0):
        want = float(kernel(np.array([point]))[0])
        got = float(rendered(point, *values))
        assert got == pytest.approx(want, rel=1e-12, abs=1e-14), (name, order, point)


def test_kernel_math_is_latex():
    km = kernel_math(symact.get("softplus"), 0)
    assert km.latex is not None and "generated kernel softplus" in km.note
    assert r"\operatorname{log1p}" in km.latex and r"\beta" in km.latex
    assert "p_beta" not in km.latex


def test_visible_length():
    assert visible_length(r"\frac{x}{\operatorname{softplus}(x)}") < 20


def test_ast_of_module_is_valid_python():
    from symact.codegen import generate

    # (sqnl is branch-free now: clip; squareplus keeps a select between its two regions)
    ks = generate(symact.get("squareplus"), (0,))
    module = kernel_function_ast(ks.source.split("\n\n\ndef ")[0], "f", {"p_b": "P0"})
    assert "if" in ast.unparse(module)
    # the parameter dispatch of soft_exponential: the three branches as one conditional
    ks = generate(symact.get("soft_exponential"), (1,))
    text = ast.unparse(kernel_function_ast(ks.source.split("\n\n\ndef ")[0], "f",
                                           {"p_alpha": "P0"}))
    assert "isinstance" not in text and text.count(" if ") == 2, text


def test_sigmoid_display_does_not_depend_on_sympy_object_identity():
    """exp(z) / (1 + exp(z)) is sigmoid(z) also when the two equal exponentials are distinct
    objects (SymPy's cache decides that): the sheet once showed softplus' as
    sigmoid(beta x) e^(beta x) from one build to the next."""
    from sympy.core.cache import clear_cache

    from symact.documents.printer import display_form

    x, beta = sp.symbols("x beta", positive=True)
    num = sp.exp(beta * x)
    clear_cache()
    den = 1 + sp.exp(beta * x)
    expr = sp.Mul(num, sp.Pow(den, -1), evaluate=False)
    assert num == den.args[1] or num == den.args[0]
    shown = display_form(expr)
    assert shown == sp.Function("sigmoid")(beta * x)
    assert "e^{" not in to_latex(expr)
