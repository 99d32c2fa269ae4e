"""Deciding "for all real x" statements: identities ``a(x) = b(x)`` and relations ``a op b``.

Each decision has two halves, each under the time budget:
- a numeric search for a counterexample on the fixed sample set; a point found there is
  re-checked with SymPy's accuracy-controlled evaluation (exactly when possible);
- a symbolic proof: ``a - b`` is folded into one Piecewise; every reachable piece must simplify
  to 0 (identities) or have its sign decided by SymPy's assumptions (relations).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp

from .. import budget as _budget
from ..model import X
from . import numeric

CONFIRMED, REFUTED, UNDECIDED = "confirmed", "refuted", "undecided"


@dataclass(frozen=True)
class Result:
    """A decision: verdict, status (proved | numeric | None), detail, counterexample."""

    verdict: str
    status: str | None
    detail: str
    counterexample: dict[str, Any] | None = field(default=None)


def undecided(reason: str) -> Result:
    return Result(UNDECIDED, None, reason)


# ------------------------------------------------------------------------------ proofs
def _pieces(d: sp.Expr) -> list[tuple[sp.Expr, sp.Set]]:
    """``d`` as (expression, region of R where it applies) pairs; unreachable pieces dropped."""
    d = sp.piecewise_fold(numeric.prepare(d))
    if not isinstance(d, sp.Piecewise):
        return [(d, sp.S.Reals)]
    out, before = [], sp.false
    for expr, cond in d.args:
        region_cond = sp.And(cond, sp.Not(before))
        before = sp.Or(before, cond)
        if region_cond is sp.false:
            continue
        region = region_cond.as_set() if region_cond is not sp.true else sp.S.Reals
        region = region.intersect(sp.S.Reals)
        if region is sp.S.EmptySet:
            continue
        out.append((expr, region))
    return out


def _simplifies_to_zero(e: sp.Expr) -> bool:
    if e == 0:
        return True
    for step in (sp.simplify, lambda t: sp.simplify(t.rewrite(sp.exp)),
                 lambda t: sp.simplify(sp.expand(sp.powsimp(t.rewrite(sp.exp))))):
        if step(e) == 0:
            return True
    return False


def _zero_on(expr: sp.Expr, region: sp.Set) -> bool:
    if isinstance(region, sp.FiniteSet):
        return all(sp.simplify(expr.subs(X, p)) == 0 for p in region.args)
    return _simplifies_to_zero(expr)


def prove_zero(d: sp.Expr) -> bool:
    """True when ``d`` is proved to vanish for every real x (a budgeted step)."""
    return all(_zero_on(e, r) for e, r in _pieces(d))


_SIGN = {
    "<=": lambda e: e.is_nonpositive,
    "<": lambda e: e.is_negative,
    ">=": lambda e: e.is_nonnegative,
    ">": lambda e: e.is_positive,
    "!=": lambda e: e.is_nonzero,
}


def prove_relation(op: str, d: sp.Expr) -> bool:
    """True when ``d op 0`` is proved for every real x (``d`` = left - right)."""
    if op == "==":
        return prove_zero(d)
    test = _SIGN[op]
    for expr, region in _pieces(d):
        if isinstance(region, sp.FiniteSet):
            values = [sp.simplify(expr.subs(X, p)) for p in region.args]
            if all(test(v) is True for v in values):
                continue
            return False
        if test(expr) is True:
            continue
        if region.is_subset(sp.Interval(0, sp.oo)) or region.is_subset(sp.Interval(-sp.oo, 0)):
            t = sp.Symbol("t", positive=True)
            sub = t if region.is_subset(sp.Interval(0, sp.oo)) else -t
            at_zero = region.contains(0)
            zero_ok = at_zero is sp.false or (
                at_zero is sp.true and test(sp.simplify(expr.subs(X, 0))) is True)
            if zero_ok and test(expr.subs(X, sub)) is True:
                continue
        simplified = sp.simplify(expr)
        if test(simplified) is True:
            continue
        return False
    return True


# ------------------------------------------------------------------------------ numeric
@dataclass
class Scan:
    points: list[sp.Expr]
    values: dict[str, list]


def scan(exprs: dict[str, sp.Expr], budget: float | None,
         extra_points: Sequence[sp.Expr] = ()) -> tuple[Scan | None, str]:
    """Evaluate ``exprs`` on the sample set (their breakpoints included), under the budget."""
    def work() -> Scan:
        bps = numeric.breakpoints(exprs.values())
        points = numeric.sample_points([*bps, *extra_points])
        return Scan(points, numeric.scan(exprs, points))

    out = _budget.run(work, budget=budget)
    if not out.ok:
        return None, f"numeric search: {out.reason}"
    return out.value, ""


def _tol(a: mpmath.mpf, b: mpmath.mpf) -> mpmath.mpf:
    return mpmath.mpf(10) ** -20 * (1 + abs(a) + abs(b))


def _rank(p: sp.Expr) -> tuple:
    """Prefer small, simple counterexample points."""
    return (abs(float(p)) > 10, len(str(p)), abs(float(p)))


def identity(lhs: sp.Expr, rhs: sp.Expr, budget: float | None, *, proof: bool = True,
             names: tuple[str, str] = ("f(x)", "claimed")) -> Result:
    """Decide ``lhs(x) = rhs(x)`` for all real x."""
    s, why = scan({"a": lhs, "b": rhs}, budget)
    points_note = ""
    if s is not None:
        gap = _undefined(s, lhs, rhs, budget, names)
        if gap is not None:
            return gap
        candidates = [p for p, a, b in zip(s.points, s.values["a"], s.values["b"], strict=True)
                      if a is not None and b is not None and abs(a - b) > _tol(a, b) * 10**8]
        for p in sorted(candidates, key=_rank)[:6]:
            out = _budget.run(numeric.nonzero_at, lhs - rhs, p, budget=budget)
            if out.ok and out.value[0]:
                a = _budget.run(numeric.exact_value, lhs, p, budget=budget)
                b = _budget.run(numeric.exact_value, rhs, p, budget=budget)
                av = a.value if a.ok else None
                bv = b.value if b.ok else None
                ce = {"x": numeric.fmt_x(p), "value": numeric.fmt(av), "claimed":
                      numeric.fmt(bv)}
                return Result(REFUTED, "proved" if out.value[1] else "numeric",
                              f"at x = {ce['x']}: {names[0]} = {ce['value']}, "
                              f"{names[1]} = {ce['claimed']}", ce)
        if candidates:
            points_note = (f"; {len(candidates)} apparent difference(s) were rounding "
                           "artefacts")
    if proof:
        proved = _budget.run(prove_zero, lhs - rhs, budget=budget)
        if proved.ok and proved.value:
            return Result(CONFIRMED, "proved", "difference simplifies to 0 on every piece")
        reason = "no symbolic proof" if proved.ok else f"symbolic proof {proved.reason}"
    else:
        reason = "no symbolic proof attempted"
    if s is None:
        return undecided(f"{why}; {reason}")
    n = sum(1 for a in s.values["a"] if a is not None)
    return Result(CONFIRMED, "numeric",
                  f"equal at all {n} sample points (|x| <= 1e15, breakpoints included); "
                  f"{reason}{points_note}")


def _violates(op: str, a: mpmath.mpf, b: mpmath.mpf) -> bool:
    tol = _tol(a, b) * 10**5
    if op == "<=":
        return a > b + tol
    if op == ">=":
        return a < b - tol
    if op == "<":
        return a > b - tol
    if op == ">":
        return a < b + tol
    if op == "==":
        return abs(a - b) > tol * 10**3
    return abs(a - b) <= tol  # "!="


def _confirm_violation(op: str, d: sp.Expr, p: sp.Expr) -> tuple[bool, bool] | None:
    """Whether ``d op 0`` fails at p: (fails, exactly); None when it cannot be settled."""
    value = numeric.prepare(d).subs(X, p)
    exact = sp.simplify(value) if value.count_ops() < 200 else value
    if exact.is_zero:
        return (op in ("<", ">", "!="), True)
    if exact.is_number and exact.is_zero is False and exact.is_Rational:
        v = exact
        is_exact = True
    else:
        v = numeric.exact_value(d, p)
        is_exact = False
        if v is None:
            return None
        if v == 0:
            return None
    fails = {"<=": v > 0, "<": v >= 0, ">=": v < 0, ">": v <= 0, "==": v != 0,
             "!=": v == 0}[op]
    return (bool(fails), is_exact)


def relation(op: str, lhs: sp.Expr, rhs: sp.Expr, budget: float | None, *,
             names: tuple[str, str] = ("left", "right")) -> Result:
    """Decide ``lhs(x) op rhs(x)`` for all real x (op one of < <= > >= == !=)."""
    if op == "==":
        return identity(lhs, rhs, budget, names=names)
    d = lhs - rhs
    s, why = scan({"a": lhs, "b": rhs}, budget)
    if s is not None:
        gap = _undefined(s, lhs, rhs, budget, names)
        if gap is not None:
            return gap
        pts, av, bv = s.points, s.values["a"], s.values["b"]
        candidates = [p for p, a, b in zip(pts, av, bv, strict=True)
                      if a is not None and b is not None and _violates(op, a, b)]
        for p in sorted(candidates, key=_rank)[:8]:
            out = _budget.run(_confirm_violation, op, d, p, budget=budget)
            if out.ok and out.value is not None and out.value[0]:
                return _counter(p, lhs, rhs, budget, names, "proved" if out.value[1]
                                else "numeric")
        if op in ("<=", "<", ">=", ">"):
            refined = _budget.run(_refine_worst, op, d, s, budget=budget)
            if refined.ok:
                for p in refined.value:
                    out = _budget.run(_confirm_violation, op, d, p, budget=budget)
                    if out.ok and out.value is not None and out.value[0]:
                        return _counter(p, lhs, rhs, budget, names, "proved" if out.value[1]
                                        else "numeric")
        if op == "!=":
            root = _bracketed_root(d, s, budget)
            if root is not None:
                x0, value = root
                ce = {"x": numeric.fmt(x0), "value": numeric.fmt(value),
                      "claimed": f"{names[0]} != {names[1]}"}
                what = names[0] if names[1].strip() == "0" else f"{names[0]} - {names[1]}"
                return Result(REFUTED, "numeric",
                              f"{what} changes sign continuously, so it vanishes between two "
                              f"samples: at x ~ {ce['x']} (value there ~ {ce['value']})", ce)
    proved = _budget.run(prove_relation, op, d, budget=budget)
    if proved.ok and proved.value:
        return Result(CONFIRMED, "proved", "sign decided symbolically on every piece")
    reason = "no symbolic proof" if proved.ok else f"symbolic proof {proved.reason}"
    if s is None:
        return undecided(f"{why}; {reason}")
    n = sum(1 for a in s.values["a"] if a is not None)
    return Result(CONFIRMED, "numeric", f"holds at all {n} sample points; {reason}")


def _undefined_at(expr: sp.Expr, p: sp.Expr) -> bool:
    value = sp.simplify(numeric.prepare(expr).subs(X, p))
    return bool(value.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or value.is_real is False)


def _undefined(s: Scan, lhs: sp.Expr, rhs: sp.Expr, budget: float | None,
               names: tuple[str, str]) -> Result | None:
    """A refutation when one side is undefined (not a finite real) where the other is not."""
    one_sided = [p for p, a, b in zip(s.points, s.values["a"], s.values["b"], strict=True)
                 if (a is None) != (b is None)]
    for p in sorted(one_sided, key=_rank)[:4]:
        both = _budget.run(lambda q: (_undefined_at(lhs, q), _undefined_at(rhs, q)), p,
                           budget=budget)
        if both.ok and both.value[0] != both.value[1]:
            side = names[1] if both.value[1] else names[0]
            ce = {"x": numeric.fmt_x(p), "value": "undefined" if both.value[0] else "defined",
                  "claimed": "undefined" if both.value[1] else "defined"}
            return Result(REFUTED, "proved", f"at x = {ce['x']}: {side} is not a finite real "
                          "number", ce)
    return None


def _counter(p: sp.Expr, lhs: sp.Expr, rhs: sp.Expr, budget: float | None,
             names: tuple[str, str], status: str) -> Result:
    a = _budget.run(numeric.exact_value, lhs, p, budget=budget)
    b = _budget.run(numeric.exact_value, rhs, p, budget=budget)
    ce = {"x": numeric.fmt_x(p), "value": numeric.fmt(a.value if a.ok else None),
          "claimed": numeric.fmt(b.value if b.ok else None)}
    return Result(REFUTED, status, f"at x = {ce['x']}: {names[0]} = {ce['value']}, "
                  f"{names[1]} = {ce['claimed']}", ce)


def _bracketed_root(d: sp.Expr, s: Scan, budget: float | None):
    """A root of the continuous ``d`` between two samples of opposite sign, by bisection."""
    bps = set(numeric.breakpoints([d]))
    pts, av, bv = s.points, s.values["a"], s.values["b"]
    for i in range(len(pts) - 1):
        if None in (av[i], bv[i], av[i + 1], bv[i + 1]):
            continue
        da, db = av[i] - bv[i], av[i + 1] - bv[i + 1]
        if da * db < 0 and not any(pts[i] <= q <= pts[i + 1] for q in bps):
            out = _budget.run(_bisect, d, pts[i], pts[i + 1], budget=budget)
            if out.ok and out.value is not None:
                return out.value
    return None


def _bisect(d: sp.Expr, lo: sp.Expr, hi: sp.Expr):
    fn = numeric.compile_mp(d)
    with mpmath.workdps(40):
        a, b = mpmath.mpf(sp.N(lo, 45)), mpmath.mpf(sp.N(hi, 45))
        fa = fn(a)
        for _ in range(200):
            m = (a + b) / 2
            fm = fn(m)
            if fm == 0:
                a = b = m
                break
            if (fm < 0) == (fa < 0):
                a, fa = m, fm
            else:
                b = m
        root = (a + b) / 2
        value = fn(root)
        if not abs(value) < mpmath.mpf(10) ** -15:
            return None  # a pole, not a root
        return root, value


def _refine_worst(op: str, d: sp.Expr, s: Scan) -> list[sp.Expr]:
    """Local maxima of the violation margin near the three tightest samples (golden section).

    Sampling alone misses a violation confined to a narrow neighbourhood of a maximum (the
    claimed bound touching the curve near, not at, a sample point).
    """
    sign = 1 if op in ("<=", "<") else -1
    fn = numeric.compile_mp(d)
    margins = []
    for p, a, b in zip(s.points, s.values["a"], s.values["b"], strict=True):
        if a is not None and b is not None and abs(p) <= 100:
            margins.append((sign * (a - b), p))
    margins.sort(key=lambda t: t[0], reverse=True)
    out = []
    with mpmath.workdps(30):
        g = (mpmath.sqrt(5) - 1) / 2
        for _, p in margins[:3]:
            centre = mpmath.mpf(sp.N(p, 35))
            a, b = centre - mpmath.mpf("0.07"), centre + mpmath.mpf("0.07")
            try:
                for _ in range(100):
                    c1, c2 = b - g * (b - a), a + g * (b - a)
                    if sign * fn(c1) >= sign * fn(c2):
                        b = c2
                    else:
                        a = c1
            except (ZeroDivisionError, ValueError, TypeError):
                continue
            m = (a + b) / 2
            if abs(m - centre) > mpmath.mpf("1e-12"):
                out.append(sp.Rational(mpmath.nstr(m, 25)))
    return out
