"""The derivative from the output: a kernel ``k(y)`` with ``k(f(x)) = f'(x)``.

A backward pass that keeps the output y = f(x) instead of the input can compute f' from y when
the analysis engine found f' written in f (sigmoid: y (1 - y); tanh: 1 - y^2; elu: y + alpha
where x <= 0). This module turns that proved form into a kernel with the same generator as the
other kernels (stable forms, ufunc conventions):

* the form comes from :meth:`Activation.properties` of the activation as bound (parameters at
  their bound or default values: the form is derived for those numbers);
* conditions on x in a piecewise form (elu's ``x <= 0``) are rewritten as conditions on y
  (``y <= f(0)``), which is exact when f is non-decreasing and the rewritten form agrees with
  the original at every breakpoint and on both sides of it: that is checked on the analysis'
  breakpoints and a dense sample before the kernel is generated.

The default derivative kernel (``act.numpy(1)``) still computes f' from x: from y, accuracy is
limited where f is flat (tanh' = 1 - y^2 loses everything once y rounds to +-1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import mpmath
import numpy as np
import sympy as sp

from .kernel import CodegenError, KernelSource, float32_sample, generate, kernel, load

F = sp.Symbol("f", real=True)


def _as_output_condition(cond: sp.Basic, x: sp.Symbol, f: sp.Expr) -> sp.Basic:
    """``x op c`` -> ``y op f(c)`` (with y written as F)."""
    if cond in (sp.true, sp.false):
        return cond
    if isinstance(cond, (sp.And, sp.Or)):
        return cond.func(*[_as_output_condition(a, x, f) for a in cond.args])
    if isinstance(cond, sp.Not):
        return sp.Not(_as_output_condition(cond.args[0], x, f))
    if isinstance(cond, sp.core.relational.Relational):
        lhs, rhs = cond.lhs, cond.rhs
        if lhs == x and x not in rhs.free_symbols:
            return cond.func(F, f.subs(x, rhs))
        if rhs == x and x not in lhs.free_symbols:
            return cond.func(f.subs(x, lhs), F)
    raise CodegenError(f"the condition {cond} is not a comparison of x with a constant")


def output_form(act) -> sp.Expr:
    """f' as an expression in the output symbol ``F`` only (no x), or CodegenError."""
    if act.is_vector:
        raise CodegenError(f"{act.name} is vector-valued: no elementwise derivative from "
                           "the output")
    bound = act.with_defaults()
    props = bound.properties()
    fact = props.derivative_through_output
    if fact.status != "proved" or fact.value is None:
        raise CodegenError(f"{act.name}: f' is not known as a function of the output "
                           f"({fact.method or fact.status})")
    form, x = fact.value, bound.x
    if x not in form.free_symbols:
        return form
    if props.monotonic.value not in ("increasing", "non-decreasing"):
        raise CodegenError(f"{act.name}: f' depends on the branch of x, and f is not "
                           "monotonic, so the branch cannot be read from the output")
    f = bound.expr
    new = sp.Piecewise(*[(e, _as_output_condition(c, x, f)) for e, c in form.args])
    _check(form, new, bound, props)
    return new


def _check(form: sp.Expr, new: sp.Expr, bound, props) -> None:
    """The rewritten form agrees with the original at the breakpoints, next to them and on a
    dense sample (f' evaluated both ways, 30 digits)."""
    x = bound.x
    fx = sp.lambdify(x, bound.expr, "mpmath")
    old_fn = sp.lambdify((x, F), form, "mpmath")
    new_fn = sp.lambdify(F, new, "mpmath")
    kinks = [sp.sympify(k[:-1]) for k in props.limits.value if k.endswith("-")]
    pts = [mpmath.mpf(k) / 8 for k in range(-80, 81)]
    with mpmath.workdps(30):
        for k in kinks:
            c = mpmath.mpf(sp.N(k, 30))
            pts += [c, c - mpmath.mpf("1e-9"), c + mpmath.mpf("1e-9"), c - 1, c + 1]
        for t in pts:
            y = fx(t)
            a, b = old_fn(t, y), new_fn(y)
            if abs(a - b) > mpmath.mpf(10) ** -20 * (1 + abs(a)):
                raise CodegenError(f"{bound.name}: the branch of x cannot be read from the "
                                   f"output near x = {mpmath.nstr(t, 8)}")


def from_output_kernel(act) -> Callable:
    """Kernel ``k(y, *, out=None)`` returning f'(x) from y = f(x), for the activation's bound
    (or default) parameters. The input is the output of the forward pass."""
    return load(from_output_source(act))


def from_output_source(act) -> KernelSource:
    """The generated source of :func:`from_output_kernel` (function ``NAME_d1_from_output``)."""
    form = output_form(act)
    bound = act.with_defaults()
    synthetic = dataclasses.replace(
        bound, name=f"{act.name}_d1_from_output", expr=form.subs(F, bound.x), params={},
        defaults={}, bound={}, conventions=(), constraints=(), aliases=(),
    )
    # float32 compute is checked where the kernel is used: at float32 outputs of f
    with np.errstate(all="ignore"):
        y = kernel(bound, (0,))(float32_sample())
    ks = generate(synthetic, (0,), y[np.isfinite(y)])
    text = f"{act.name}: first derivative from the output y = f(x), elementwise."
    src = ks.source.replace(f"{synthetic.name}: value, elementwise.", text)
    src = src.replace("    f(x) = ", "    f'(x) in terms of y = f(x) (the argument): ")
    return dataclasses.replace(ks, source=src)
