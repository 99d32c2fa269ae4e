"""Conditions on the parameters under which a property holds (ELU is C^1 iff alpha = 1, PReLU is
monotonic iff weight >= 0), derived with the parameters symbolic under their assumptions."""

from __future__ import annotations

import sympy as sp

from ..budget import attempt
from ..errors import SymactError
from ..model import Activation
from .facts import Fact
from .normalize import Component, components, to_piecewise


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


class _NotParametric(Exception):
    """The conditions are not comparisons of x with breakpoints (say why)."""


def _breakpoint(rel: sp.Basic, x: sp.Symbol) -> sp.Expr:
    """The b of a relational that compares x with b (linear in x, numeric slope)."""
    d = sp.expand(rel.lhs - rel.rhs)
    c = sp.diff(d, x)
    if x not in d.free_symbols or not c.is_number or c == 0 or sp.diff(d, x, 2) != 0:
        raise _NotParametric(f"the condition {rel} does not compare x with a breakpoint")
    return sp.expand(x - d / c)


def parametric_components(expr: sp.Expr, x: sp.Symbol, defaults: dict
                          ) -> tuple[list[Component], list[sp.Basic]]:
    """The pieces of a Piecewise whose breakpoints depend on the parameters, with the breakpoints
    kept symbolic and ordered as they are at the default values.

    Returns the components and the ordering ``[b1 < b2, ...]`` they assume. Which branch holds
    on a piece (and at a breakpoint) is decided at a representative point with the parameters
    at their defaults: every condition compares x with one of the breakpoints, so its truth on a
    piece depends only on the order of the breakpoints, which is the stated assumption."""
    if not isinstance(expr, sp.Piecewise) or any(b.has(sp.Piecewise) for b, _ in expr.args):
        raise _NotParametric("branches depend on the parameters")
    rels = set()
    for _, cond in expr.args:
        if cond is sp.true:
            continue
        if not (cond.free_symbols & {x}):
            raise _NotParametric("the definition switches formula on the parameters")
        rels |= cond.atoms(sp.core.relational.Relational)
    points: list[sp.Expr] = []
    for r in rels:
        b = _breakpoint(r, x)
        if not any(sp.expand(b - q) == 0 for q in points):
            points.append(b)
    at = {b: sp.nsimplify(b.subs(defaults)) for b in points}
    if any(not v.is_number for v in at.values()):
        raise _NotParametric("a breakpoint is not fixed by the defaults")
    # (ties broken by SymPy's canonical order: rels is a set, its order varies from run to run)
    points.sort(key=lambda b: (float(at[b]), sp.default_sort_key(b)))
    for p, q in zip(points, points[1:], strict=False):
        if at[p] == at[q]:
            raise _NotParametric(f"the breakpoints {p} and {q} coincide at the defaults")
    order = [sp.Lt(p, q) for p, q in zip(points, points[1:], strict=False)]

    def branch_at(v: sp.Expr) -> sp.Expr:
        for b, cond in expr.args:
            if cond is sp.true or bool(cond.subs(defaults).subs(x, v)):
                return b
        raise _NotParametric("no branch holds")  # pragma: no cover - a Piecewise ends in True

    vals = [at[b] for b in points]
    reps = [vals[0] - 1] + [(u + v) / 2 for u, v in zip(vals, vals[1:], strict=False)] + \
        [vals[-1] + 1]
    ends = [-sp.oo, *points, sp.oo]
    pieces = [branch_at(r) for r in reps]
    at_point = [branch_at(v) for v in vals]
    # a breakpoint joins the piece on its left when it takes that formula, else the one on its
    # right, else it is a point of its own
    side = ["left" if at_point[i] == pieces[i] else "right" if at_point[i] == pieces[i + 1]
            else "own" for i in range(len(points))]
    comps: list[Component] = []
    for i, g in enumerate(pieces):
        left_closed = i > 0 and side[i - 1] == "right"
        right_closed = i < len(points) and side[i] == "left"
        comps.append(Component(sp.Interval(ends[i], ends[i + 1], not left_closed,
                                           not right_closed), g))
        if i < len(points) and side[i] == "own":
            comps.append(Component(sp.FiniteSet(points[i]), at_point[i]))
    return comps, order


def _junctions(comps: list[Component]):
    """(p, left piece, point piece or None, right piece) at each breakpoint."""
    out = []
    intervals = [c for c in comps if not c.is_point]
    for a, b in zip(intervals, intervals[1:], strict=False):
        p = a.right
        point = next((c for c in comps if c.is_point and c.left == p), None)
        out.append((p, a, point, b))
    return out


def _under(cond: sp.Basic, order: list[sp.Basic], seconds: float) -> sp.Basic:
    """``cond``, or false when it cannot hold together with the breakpoint order."""
    if not order or cond in (sp.true, sp.false):
        return cond
    both = _simplify_cond(sp.And(cond, *order), seconds)
    return sp.false if both is sp.false else cond


def parameter_conditions(act: Activation, budget: float) -> Fact:
    """``{"continuity": "C^1 iff ...", "monotonic": "non-decreasing iff ..."}`` where found."""
    if act.is_vector or not act.params:
        return Fact({}, "proved", "no free parameters")
    x = act.x
    seconds = min(budget, 5.0)
    expr = to_piecewise(act.expr)
    order: list[sp.Basic] = []
    try:
        comps = components(expr, x, sp.S.Reals, seconds)
    except SymactError:
        defaults = {act.params[k]: v for k, v in act.defaults.items() if k in act.params}
        try:
            comps, order = parametric_components(expr, x, defaults)
        except _NotParametric as exc:
            return Fact.unknown(f"the breakpoints depend on the parameters: {exc}")
    if any(c.expr.has(sp.Piecewise) for c in comps):
        return Fact.unknown("branches depend on the parameters")
    # the ordering of the breakpoints, where the assumptions on the parameters do not imply it
    stated = [o for o in order if o is not sp.true]
    given = f" (for {', '.join(_words(o) for o in stated)})" if stated else ""
    out: dict[str, str] = {}
    c0: list[sp.Basic] = []
    c1: list[sp.Basic] = []
    jumps: list[sp.Basic] = []
    for p, a, point, b in _junctions(comps):
        vl, vr = a.expr.subs(x, p), b.expr.subs(x, p)
        dl, dr = sp.diff(a.expr, x).subs(x, p), sp.diff(b.expr, x).subs(x, p)
        vp = point.expr.subs(x, p) if point is not None else None
        if any(v is not None and v.has(sp.nan, sp.zoo) for v in (vl, vr, dl, dr, vp)):
            return Fact.unknown(f"one-sided values at {p} not found")
        c0.append(sp.Eq(sp.simplify(vl - vr), 0))
        c1.append(sp.Eq(sp.simplify(dl - dr), 0))
        seq = [vl, vp, vr] if vp is not None else [vl, vr]
        jumps += [sp.simplify(v - u) >= 0 for u, v in zip(seq, seq[1:], strict=False)]
        if vp is not None:
            c0.append(sp.Eq(sp.simplify(vl - vp), 0))
    # conditions that contradict the assumed order of the breakpoints never hold
    cont0 = _under(sp.And(*c0), stated, seconds)
    cont1 = _under(sp.And(cont0, *c1), stated, seconds)
    if cont0 not in (sp.true, sp.false):
        out["continuity"] = f"continuous iff {_words(_simplify_cond(cont0, seconds))}{given}"
    elif cont0 is sp.true and cont1 not in (sp.true, sp.false):
        out["continuity"] = f"C^1 iff {_words(_simplify_cond(cont1, seconds))}{given}"
    # monotonic: linear pieces give conditions on their slopes, jumps on their heights
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
    if decided and (slopes or jumps):
        cond = sp.And(*[s >= 0 for s in slopes], *jumps)
        if cond not in (sp.true, sp.false):
            out["monotonic"] = f"non-decreasing iff {_words(_simplify_cond(cond, seconds))}" \
                f"{given}"
    names = ", ".join(f"{k}={v}" for k, v in act.parameter_values.items())
    how = "parameters symbolic under their assumptions"
    if order:
        how += "; breakpoints " + " < ".join(str(o.lhs) for o in order) + \
            f" < {order[-1].rhs} as at the defaults"
    return Fact(out, "proved", f"{how} (defaults {names})")
