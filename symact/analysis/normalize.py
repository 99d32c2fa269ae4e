"""Piecewise normal form: split the real line into the pieces of a definition.

``Max``/``Min``/``Abs``/``Heaviside``/``sign`` are rewritten to ``Piecewise`` keeping the kink
convention (the derivative at a kink is the derivative of the branch whose condition contains
the point): ``Max(0, x)`` -> ``Piecewise((0, x <= 0), (x, True))`` (relu'(0) = 0),
``Abs(u)`` -> ``Piecewise((u, u > 0), (-u, u < 0), (0, True))`` (|u|'(0) = sign(0) = 0).
:func:`components` then cuts the domain into intervals and isolated points, each carrying the
smooth (Piecewise-free) expression active there.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..budget import attempt
from ..errors import AnalysisError


@dataclass(frozen=True)
class Component:
    """A maximal piece of the domain: an interval (or a single point) and its expression."""

    set: sp.Set  # sp.Interval (non-degenerate) or sp.FiniteSet with one point
    expr: sp.Expr

    @property
    def is_point(self) -> bool:
        return isinstance(self.set, sp.FiniteSet)

    @property
    def left(self) -> sp.Expr:
        return self.set.args[0] if self.is_point else self.set.start

    @property
    def right(self) -> sp.Expr:
        return self.set.args[0] if self.is_point else self.set.end


def _abs_piecewise(u: sp.Expr) -> sp.Piecewise:
    return sp.Piecewise((u, u > 0), (-u, u < 0), (sp.S.Zero, True))


def _sign_piecewise(u: sp.Expr) -> sp.Piecewise:
    return sp.Piecewise((sp.S.One, u > 0), (-sp.S.One, u < 0), (sp.S.Zero, True))


def _heaviside_piecewise(u: sp.Expr, h0: sp.Expr | None) -> sp.Piecewise:
    at_zero = sp.S.Half if h0 is None else h0
    return sp.Piecewise((sp.S.Zero, u < 0), (sp.S.One, u > 0), (at_zero, True))


def _minmax_piecewise(args: tuple[sp.Expr, ...], is_max: bool) -> sp.Expr:
    result = args[0]
    for nxt in args[1:]:
        # Max(a, b): a where a >= b; Max(0, x) -> (0, 0 >= x) so relu'(0) = 0.
        cond = sp.Ge(result, nxt) if is_max else sp.Le(result, nxt)
        result = sp.Piecewise((result, cond), (nxt, True))
    return result


def to_piecewise(expr: sp.Expr) -> sp.Expr:
    """Rewrite Max/Min/Abs/Heaviside/sign into Piecewise and fold nested Piecewise outward."""

    def rewrite(e: sp.Basic) -> sp.Basic:
        if not e.args:
            return e
        args = [rewrite(a) for a in e.args]
        if isinstance(e, sp.Abs):
            return _abs_piecewise(args[0])
        if isinstance(e, sp.sign):
            return _sign_piecewise(args[0])
        if isinstance(e, sp.Heaviside):
            return _heaviside_piecewise(args[0], args[1] if len(args) > 1 else None)
        if isinstance(e, (sp.Max, sp.Min)):
            return _minmax_piecewise(tuple(e.args), isinstance(e, sp.Max))
        return e.func(*args) if args != list(e.args) else e

    out = rewrite(expr)
    if out.has(sp.Piecewise):
        out = sp.piecewise_fold(out)
    return out


def _split(s: sp.Set) -> list[sp.Set]:
    """Connected parts of a real set: Intervals and one-point FiniteSets."""
    if s is sp.S.EmptySet:
        return []
    if isinstance(s, sp.Union):
        out: list[sp.Set] = []
        for a in s.args:
            out.extend(_split(a))
        return out
    if isinstance(s, sp.FiniteSet):
        return [sp.FiniteSet(p) for p in s.args]
    if isinstance(s, sp.Interval):
        if s.start == s.end:
            return [sp.FiniteSet(s.start)]
        return [s]
    raise AnalysisError(f"cannot split the real set {s} into intervals")


def _key(part: sp.Set) -> tuple:
    start = part.args[0] if isinstance(part, sp.FiniteSet) else part.start
    # an interval open at a, i.e. (a, b), comes after the point {a} and after [a, ...]
    if isinstance(part, sp.FiniteSet):
        rank = 0
    else:
        rank = 1 if not part.left_open else 2
    return (float(start) if start.is_finite else (-1e308 if start == -sp.oo else 1e308), rank)


def components(expr: sp.Expr, x: sp.Symbol, domain: sp.Set = sp.S.Reals,
               seconds: float = 20.0) -> list[Component]:
    """The pieces of ``expr`` (already in Piecewise normal form) over ``domain``, left to right."""
    if isinstance(expr, sp.Piecewise):
        pairs = list(expr.args)
    else:
        pairs = [(expr, sp.true)]
    remaining = domain
    parts: list[Component] = []
    for branch, cond in pairs:
        if remaining is sp.S.EmptySet:
            break
        if cond is sp.true:
            where = remaining
        else:
            if cond.free_symbols - {x}:
                raise AnalysisError(
                    f"the condition {cond} depends on parameters; bind them first")
            got = attempt(lambda c=cond: c.as_set(), seconds)
            if not got:
                raise AnalysisError(f"cannot solve the branch condition {cond}: {got.reason}")
            where = sp.Intersection(got.value, remaining)
        remaining = sp.Complement(remaining, where)
        if branch.has(sp.Piecewise):
            inner = components(branch, x, where, seconds)
            parts.extend(inner)
            continue
        for part in _split(where):
            parts.append(Component(part, branch))
    parts.sort(key=lambda c: _key(c.set))
    return _merge(parts)


def _merge(parts: list[Component]) -> list[Component]:
    """Join touching parts that carry the same expression ((-oo, 0) and {0} with 0, ...)."""
    out: list[Component] = []
    for part in parts:
        if out and out[-1].expr == part.expr:
            joined = sp.Union(out[-1].set, part.set)
            if isinstance(joined, (sp.Interval, sp.FiniteSet)) and not (
                isinstance(joined, sp.FiniteSet) and len(joined) > 1
            ):
                out[-1] = Component(joined, part.expr)
                continue
        out.append(part)
    return out


# ---------------------------------------------------------------------------------- domain
_NEEDS_POSITIVE = (sp.log,)


def _constraints(expr: sp.Expr) -> list[sp.Basic]:
    conds: list[sp.Basic] = []
    for sub in sp.preorder_traversal(expr):
        if isinstance(sub, sp.Pow):
            base, ex = sub.args
            if ex.is_number and ex.is_negative and base.is_nonzero is not True:
                conds.append(sp.Ne(base, 0))
            if ex.is_number and not ex.is_integer and base.is_nonnegative is not True:
                conds.append(base > 0 if ex.is_negative else base >= 0)
        elif isinstance(sub, _NEEDS_POSITIVE):
            if sub.args[0].is_positive is not True:
                conds.append(sub.args[0] > 0)
        elif isinstance(sub, sp.LambertW):
            conds.append(sub.args[0] >= -sp.exp(-1))
        elif isinstance(sub, (sp.asin, sp.acos, sp.atanh)):
            conds.append(sp.Abs(sub.args[0]) <= 1)
        elif isinstance(sub, (sp.tan, sp.cot, sp.sec, sp.csc)):
            raise AnalysisError(f"{sub} has poles on the real line; symact analyses "
                                "functions defined on intervals")
    return conds


def real_domain(expr: sp.Expr, x: sp.Symbol, seconds: float = 20.0) -> sp.Set:
    """Where ``expr`` (Piecewise-free) is real-valued and finite, as a union of intervals."""
    domain: sp.Set = sp.S.Reals
    for cond in _constraints(expr):
        if not cond.free_symbols & {x}:
            if cond is sp.false:
                return sp.S.EmptySet
            continue
        got = attempt(lambda c=cond: sp.solveset(c, x, sp.S.Reals), seconds)
        if not got or isinstance(got.value, sp.ConditionSet):
            raise AnalysisError(f"cannot determine where {cond} holds ({got.reason or 'unsolved'})")
        domain = sp.Intersection(domain, got.value)
    return domain
