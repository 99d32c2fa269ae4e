"""Conditions on the parameters under which a property holds (ELU is C^1 iff alpha = 1, PReLU is
monotonic iff weight >= 0), derived with the parameters symbolic under their assumptions."""

from __future__ import annotations

import sympy as sp

from ..errors import SymactError
from ..model import Activation
from .budget import attempt
from .facts import Fact
from .normalize import components, to_piecewise


def _words(cond: sp.Basic) -> str:
    if isinstance(cond, sp.Eq):
        return f"{cond.lhs} = {cond.rhs}"
    if isinstance(cond, sp.And):
        return " and ".join(_words(a) for a in cond.args)
    if isinstance(cond, sp.Or):
        return " or ".join(f"({_words(a)})" for a in cond.args)
    return str(cond).replace("<=", "<=").replace(">=", ">=")


def _simplify_cond(cond: sp.Basic, seconds: float) -> sp.Basic:
    syms = sorted(cond.free_symbols, key=str)
    if len(syms) == 1:
        s = syms[0]
        if isinstance(cond, sp.Eq):
            got = attempt(lambda: sp.solve(cond, s), seconds)
            if got and len(got.value) == 1:
                return sp.Eq(s, got.value[0])
        got = attempt(lambda: cond.as_set().as_relational(s), seconds)
        if got:
            return got.value
    got = attempt(lambda: sp.simplify(cond), seconds)
    return got.value if got else cond


def parameter_conditions(act: Activation, budget: float) -> Fact:
    """``{"continuity": "C^1 iff ...", "monotonic": "non-decreasing iff ..."}`` where found."""
    if act.is_vector or not act.params:
        return Fact({}, "proved", "no free parameters")
    x = act.x
    seconds = min(budget, 5.0)
    expr = to_piecewise(act.expr)
    try:
        comps = components(expr, x, sp.S.Reals, seconds)
    except SymactError:
        return Fact.unknown("the breakpoints depend on the parameters")
    if any(c.expr.has(sp.Piecewise) for c in comps):
        return Fact.unknown("branches depend on the parameters")
    out: dict[str, str] = {}
    c0: list[sp.Basic] = []
    c1: list[sp.Basic] = []
    for a, b in zip(comps, comps[1:], strict=False):
        if a.is_point or b.is_point or a.right != b.left:
            continue
        p = a.right
        values = []
        for g in (a.expr, b.expr):
            values.append([sp.diff(g, x, k).subs(x, p) for k in (0, 1)])
        if any(v.has(sp.nan, sp.zoo) for row in values for v in row):
            return Fact.unknown(f"one-sided values at {p} not found")
        c0.append(sp.Eq(sp.simplify(values[0][0] - values[1][0]), 0))
        c1.append(sp.Eq(sp.simplify(values[0][1] - values[1][1]), 0))
    cont0 = sp.And(*c0)
    cont1 = sp.And(cont0, *c1)
    if cont0 not in (sp.true, sp.false):
        out["continuity"] = f"continuous iff {_words(_simplify_cond(cont0, seconds))}"
    elif cont0 is sp.true and cont1 not in (sp.true, sp.false):
        out["continuity"] = f"C^1 iff {_words(_simplify_cond(cont1, seconds))}"
    # monotonic: linear pieces give conditions on their slopes
    slopes = []
    decided = True
    for c in comps:
        if c.is_point:
            continue
        d = sp.diff(c.expr, x)
        if x not in d.free_symbols:
            slopes.append(d)
        elif d.is_nonnegative:
            continue
        else:
            decided = False
    if decided and slopes and cont0 is sp.true:
        cond = sp.And(*[s >= 0 for s in slopes])
        if cond not in (sp.true, sp.false):
            out["monotonic"] = f"non-decreasing iff {_words(_simplify_cond(cond, seconds))}"
    names = ", ".join(f"{k}={v}" for k, v in act.parameter_values.items())
    return Fact(out, "proved", f"parameters symbolic under their assumptions (defaults {names})")
