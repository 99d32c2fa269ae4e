"""Common-denominator forms of a cancelling sum (``codegen.forms``) and their choice per side
of 0 by measurement (``kernel._choose_sides``)."""

from __future__ import annotations

import importlib

import mpmath
import numpy as np
import pytest
import sympy as sp

import symact
from symact.codegen import accuracy
from symact.codegen.forms import common_denominator


def _silu_d1(x: sp.Symbol) -> sp.Expr:
    """silu' as the stable forms expand it: x e / (1 + e)^2 + exp(min(x, 0)) / (1 + e)."""
    e = sp.exp(-sp.Abs(x))
    return x * e / (1 + e) ** 2 + sp.exp(sp.Min(x, 0)) / (1 + e)


@pytest.mark.parametrize("side", [-1, 1])
def test_each_side_is_the_same_function(side):
    """An identity on its side of 0, checked with mpmath at 60 points (40 digits)."""
    x = sp.Symbol("x", real=True)
    expr = _silu_d1(x)
    forms = common_denominator(expr, x)
    assert forms is not None
    form = forms[0 if side < 0 else 1]
    assert form is not None and not form.has(sp.Min)
    f = sp.lambdify(x, expr, "mpmath")
    g = sp.lambdify(x, form.replace(lambda a: isinstance(a, sp.Function)
                                    and type(a).__name__ == "MulExp",
                                    lambda a: a.args[0] * a.args[1]), "mpmath")
    with mpmath.workdps(40):
        for v in np.linspace(0.01, 60.0, 60):
            p = mpmath.mpf(side * float(v))
            assert abs(f(p) - g(p)) <= mpmath.mpf(10) ** -35 * abs(f(p))


def test_negative_side_has_one_numerator():
    """For x < 0: e ((x + 1) + e) / (1 + e)^2: one division by the whole denominator, the
    polynomial in x summed first."""
    x = sp.Symbol("x", real=True)
    neg, _ = common_denominator(_silu_d1(x), x)
    divisors = [a for a in neg.args if isinstance(a, sp.Pow) and a.exp == -1]
    assert len(divisors) == 1 and isinstance(divisors[0].base, sp.UnevaluatedExpr)
    num = sp.Mul(*[a for a in neg.args if a is not divisors[0]])
    den = divisors[0].base.args[0].args[0]
    e = sp.exp(-sp.Abs(x))
    for v in (-0.3, -1.7, -12.0):
        assert abs(float((den - (1 + e) ** 2).subs(x, v))) < 1e-14
        n = num.replace(lambda a: isinstance(a, sp.UnevaluatedExpr), lambda a: a.args[0])
        assert abs(float((n - e * (x + 1 + e)).subs(x, v))) < 1e-14
    assert any(isinstance(a, sp.UnevaluatedExpr) and a.args[0] == x + 1
               for a in sp.preorder_traversal(neg))


def test_parameter_in_an_exponential_gives_no_form():
    """The form is measured at the defaults only, and a kernel takes any beta > 0: no candidate
    for an exponential with a parameter. Values outside the domain raise."""
    x = sp.Symbol("x", real=True)
    beta = sp.Symbol("beta", positive=True)
    e = sp.exp(-beta * sp.Abs(x))
    expr = x * e / (1 + e) ** 2 + sp.exp(beta * sp.Min(x, 0)) / (1 + e)
    assert common_denominator(expr, x, [beta]) is None
    k = symact.get("swish").numpy(1)
    assert "common denominator" not in k.__doc__
    with pytest.raises(ValueError, match="'beta' must be > 0, got -1.0"):
        k(np.array([-360.0, -400.0, -700.0]), beta=-1.0)


def test_no_exponential_no_form():
    x = sp.Symbol("x", real=True)
    assert common_denominator(x - sp.tanh(x), x) is None
    assert common_denominator(sp.exp(x), x) is None  # (not a sum)


def _dense_max(name: str, order: int, lo: float, hi: float, n: int = 400) -> float:
    act = symact.get(name)
    xs = np.random.default_rng(11).uniform(lo, hi, n)
    refs = accuracy.references(act, order, xs)
    return float(accuracy.ulp_errors(act.numpy(order)(xs), refs, "float64").max())


def test_silu_d1_within_4_ulp_for_negative_x():
    """silu' for x < 0 over one denominator (the zero at -1.28 patched): within 4 ULP on
    random points, where the plain sum measured 5.2."""
    doc = symact.get("silu").numpy(1).__doc__
    assert "over one common denominator for -2^64 < x < 0" in doc
    assert _dense_max("silu", 1, -40.0, -0.05) <= 4.0


def test_mish_d1_improved_where_the_sum_cancels():
    """mish' on [-4, -1.7] (outside the patch at its zero): the plain sum measured 7.5-9.3 ULP."""
    assert "over one common denominator for -2^64 < x < 0" in symact.get("mish").numpy(1).__doc__
    assert _dense_max("mish", 1, -4.0, -1.7) <= 5.5


def test_positive_side_kept_when_not_better():
    """silu' for x > 0 is a sum of positive terms: the plain form (1.6 ULP) stays."""
    doc = symact.get("silu").numpy(1).__doc__
    assert "< 2^64" not in doc.split("common denominator", 1)[1].split("(measured")[0]


def test_huge_x_keeps_the_plain_form():
    """The numerator's coefficients (4 x + 6 in mish') would overflow near the largest floats:
    there the plain form serves (2^64 bound), and f' is finite with the right sign."""
    big = np.array([-1.7976931348623157e308, -1e300, -1e20, 1e20, 1e300,
                    1.7976931348623157e308])
    for name in ("mish", "silu"):
        got = symact.get(name).numpy(1)(big)
        assert np.all(np.isfinite(got))
        assert list(got) == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("name", ["silu", "mish"])
def test_float32_results_unchanged(name):
    """float32 results (float32 input, or float64 input with a float32 out=) run the plain
    form with its own patches: equal to the plain kernel's, bitwise, also next to the zero."""
    K = importlib.import_module("symact.codegen.kernel")
    act = symact.get(name)
    forms = symact.get(name).numpy(1)
    src = K.generate(act, (1,)).source
    assert "if _rt.wide(x):" in src
    # the plain program alone: the else-branch lines, dedented, with the shared tail
    lines = src.split("\n")
    head = lines.index("    if _rt.wide(x):")
    other = lines.index("    else:", head)
    end = next(i for i in range(other + 1, len(lines)) if not lines[i].startswith("        "))
    plain_src = "\n".join(lines[:head] + [ln[4:] for ln in lines[other + 1:end]] + lines[end:])
    plain = K.load(K.KernelSource(f"{name}_d1", name, (1,), (), (), plain_src, (), []))
    rng = np.random.default_rng(3)
    x0 = -1.2784645427610737 if name == "silu" else -1.1924312
    xs = np.concatenate([rng.normal(0, 4, 200_000), x0 + rng.uniform(-0.6, 0.6, 50_000)])
    x32 = xs.astype(np.float32)
    assert np.array_equal(forms(x32), plain(x32))
    o1, o2 = np.empty(xs.shape, np.float32), np.empty(xs.shape, np.float32)
    assert np.array_equal(forms(xs, out=o1), plain(xs, out=o2))


def test_mish_d1_within_4_ulp_next_to_its_zero():
    """The form's patch at the zero -1.19 is the wider of its own and the plain form's (the
    form's probes missed a 5.4-ULP spike at distance 0.055)."""
    assert _dense_max("mish", 1, -1.75, -0.65, 600) <= 4.0
    assert _dense_max("silu", 1, -1.85, -0.7, 600) <= 4.0
