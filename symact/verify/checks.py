"""One decision procedure per claim kind.

``equals``, ``derivative_equals``, ``parity``, ``inequality`` and ``value`` are decided on their
own (symbolic proof of the difference, numeric search for a counterexample). ``range``,
``monotonic``, ``continuity``, ``identity_near_origin``, ``bounded``, ``limit`` and
``max_derivative`` take the analysis engine's fact and cross-check it numerically: when the two
disagree the claim is *undecided* with both findings; a claim is never confirmed as proved while
a numeric counterexample exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath
import sympy as sp

from .. import budget as _budget
from ..model import Activation, X
from . import engine, evidence, numeric
from .claims import D2F, DF, Claim, F
from .evidence import CONFIRMED, REFUTED, UNDECIDED, Result, undecided
from .intervals import PointwiseBounds, show

Budget = float | None


def decide(claim: Claim, budget: Budget) -> Result:
    """The verdict for one claim."""
    act = claim.act
    if claim.data.get("vector") or act.is_vector:
        return undecided(f"{act.name} is vector-valued; the claim kinds apply to scalar "
                         "activations")
    return CHECKS[claim.kind](claim, act, budget)


# ------------------------------------------------------------------------------ helpers
def _derivative(act: Activation, n: int, budget: Budget) -> sp.Expr | None:
    """f^(n) (analysis engine, else SymPy's diff of the Piecewise form), or None; the reason
    of a failure is kept for :func:`_no_derivative`."""
    out = engine.derivative(act, n, budget)
    if out.ok and isinstance(out.value, sp.Expr):
        return _no_delta(out.value)
    fallback = _budget.run(sp.diff, numeric.prepare(act.expr), X, n, budget=budget)
    if fallback.ok:
        return _no_delta(fallback.value)
    _FAILURES[act.name] = f"derivative not computed: {fallback.reason}"
    return None


_FAILURES: dict[str, str] = {}


def _no_derivative(act: Activation) -> Result:
    return undecided(_FAILURES.pop(act.name, "derivative not computed"))


def _no_delta(d: sp.Expr) -> sp.Expr:
    """Derivatives of sign/Heaviside are 0 away from the jump; at it the kink convention
    (derivative of the branch containing the point) applies, so DiracDelta terms are 0."""
    if d.has(sp.DiracDelta):
        d = d.replace(sp.DiracDelta, lambda *args: sp.Integer(0))
    return d


def _merge(own: Result, fact_result: Result | None, fact_reason: str = "") -> Result:
    """Combine the analysis engine's decision with the independent check."""
    if fact_result is None:
        if own.verdict != UNDECIDED and fact_reason:
            return Result(own.verdict, own.status, own.detail + f" [{fact_reason}]",
                          own.counterexample)
        return own
    if own.verdict == UNDECIDED:
        return fact_result
    if own.verdict != fact_result.verdict:
        return undecided(f"contradiction: analysis engine ({fact_result.status}) says "
                         f"{fact_result.verdict} ({fact_result.detail}), the independent check "
                         f"says {own.verdict} ({own.detail})")
    status = "proved" if "proved" in (own.status, fact_result.status) else "numeric"
    detail = fact_result.detail
    if own.detail and own.detail not in detail:
        detail = f"{fact_result.detail}; {own.detail}"
    return Result(own.verdict, status, detail,
                  fact_result.counterexample or own.counterexample)


def _same(a: sp.Expr, b: sp.Expr, numeric_ok: bool) -> bool | None:
    """Whether two constants (possibly +-oo) are equal; None when undecidable."""
    if a in (sp.oo, -sp.oo) or b in (sp.oo, -sp.oo):
        return a == b
    if a.has(sp.oo, -sp.oo, sp.zoo, sp.nan) or b.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return None
    diff = sp.simplify(sp.sympify(a) - sp.sympify(b))
    if diff.is_zero:
        return True
    if diff.is_zero is False and not numeric_ok:
        return False
    try:
        value = abs(sp.N(diff, 30))
        scale = 1 + abs(sp.N(a, 30))
    except (TypeError, ValueError):
        return None
    if not value.is_number:
        return None
    if numeric_ok:
        return bool(value < sp.Float("1e-9", 30) * scale)
    return False if value > sp.Float("1e-25", 30) * scale else None


def _fact(act: Activation, name: str, budget: Budget):
    return engine.fact(act, name, budget)


# ------------------------------------------------------------------------------ identities
def check_equals(claim: Claim, act: Activation, budget: Budget) -> Result:
    return evidence.identity(act.expr, claim.data["expr"], budget,
                             names=("f(x)", "claimed"))


def check_derivative_equals(claim: Claim, act: Activation, budget: Budget) -> Result:
    d1 = _derivative(act, 1, budget)
    if d1 is None:
        return _no_derivative(act)
    claimed = claim.data["expr"].subs(F, act.expr)
    res = evidence.identity(d1, claimed, budget, names=("f'(x)", "claimed"))
    if res.verdict == REFUTED:
        return Result(res.verdict, res.status, f"{res.detail}; true derivative: "
                      f"f'(x) = {_short(d1)}", res.counterexample)
    return res


def _short(expr: sp.Expr) -> str:
    text = sp.sstr(expr)
    return text if len(text) <= 160 else text[:157] + "..."


def check_parity(claim: Claim, act: Activation, budget: Budget) -> Result:
    f = act.expr
    reflected = f.subs(X, -X)
    claimed = claim.data["parity"]
    odd = evidence.identity(f, -reflected, budget, names=("f(x)", "-f(-x)"))
    even = evidence.identity(f, reflected, budget, names=("f(x)", "f(-x)"))
    own = _parity_result(claimed, odd, even)
    fact, reason = _fact(act, "parity", budget)
    if fact is None:
        return _merge(own, None, reason)
    truth = fact.value
    holds = truth == claimed or (claimed == "neither" and truth not in ("even", "odd"))
    fact_result = Result(CONFIRMED if holds else REFUTED, fact.status,
                         f"analysis engine: f is {truth}" if truth != "neither"
                         else "analysis engine: f is neither even nor odd")
    return _merge(own, fact_result)


def _parity_result(claimed: str, odd: Result, even: Result) -> Result:
    if claimed in ("odd", "even"):
        res = odd if claimed == "odd" else even
        other = even if claimed == "odd" else odd
        if res.verdict == REFUTED:
            truth = f"f is {claimed == 'odd' and 'even' or 'odd'}" if \
                other.verdict == CONFIRMED else "f is neither even nor odd"
            return Result(REFUTED, res.status, f"{res.detail}; {truth}", res.counterexample)
        return res
    for res, word in ((odd, "odd"), (even, "even")):
        if res.verdict == CONFIRMED:
            return Result(REFUTED, res.status, f"f is {word}: {res.detail}")
    if odd.verdict == REFUTED and even.verdict == REFUTED:
        status = "proved" if odd.status == even.status == "proved" else "numeric"
        return Result(CONFIRMED, status, f"not odd ({odd.detail}); not even ({even.detail})")
    return undecided(f"odd: {odd.detail}; even: {even.detail}")


# ------------------------------------------------------------------------------ relations
def check_inequality(claim: Claim, act: Activation, budget: Budget) -> Result:
    subs = _value_symbols(claim.data["relations"], act, budget)
    if subs is None:
        return _no_derivative(act)
    parts = []
    worst: Result | None = None
    for op, left, right, names in claim.data["relations"]:
        lhs, rhs = left.subs(subs), right.subs(subs)
        res = evidence.relation(op, lhs, rhs, budget, names=names)
        if res.verdict == CONFIRMED and res.status == "numeric" and op != "==":
            res = _relation_by_range(op, lhs - rhs, res, budget)
        parts.append(res)
        if res.verdict == REFUTED:
            return res
        if res.verdict == UNDECIDED:
            worst = res
    if worst is not None:
        return worst
    status = "proved" if all(r.status == "proved" for r in parts) else "numeric"
    return Result(CONFIRMED, status, "; ".join(r.detail for r in parts))


def _value_symbols(relations, act: Activation, budget: Budget) -> dict | None:
    used = set().union(*(a.free_symbols | b.free_symbols for _, a, b, _ in relations))
    subs: dict[sp.Symbol, sp.Expr] = {F: act.expr}
    for sym, n in ((DF, 1), (D2F, 2)):
        if sym in used:
            d = _derivative(act, n, budget)
            if d is None:
                return None
            subs[sym] = d
    return subs


_REQUIRED = {"<=": sp.Interval(-sp.oo, 0), "<": sp.Interval.open(-sp.oo, 0),
             ">=": sp.Interval(0, sp.oo), ">": sp.Interval.open(0, sp.oo),
             "!=": sp.Union(sp.Interval.open(-sp.oo, 0), sp.Interval.open(0, sp.oo))}


def _relation_by_range(op: str, d: sp.Expr, numeric_res: Result, budget: Budget) -> Result:
    """Upgrade a numeric confirmation with the analysis engine's range of left - right."""
    act = Activation(name="claim_difference", expr=d)
    fact, reason = _fact(act, "range", budget)
    if fact is None or not isinstance(fact.value, sp.Set):
        return numeric_res
    try:
        inside = fact.value.is_subset(_REQUIRED[op])
    except (TypeError, ValueError, NotImplementedError):
        inside = None
    if inside is True:
        return Result(CONFIRMED, "proved" if fact.status == "proved" else "numeric",
                      f"range of left - right is {show(fact.value)} (analysis engine, "
                      f"{fact.status})")
    if inside is False:
        return undecided(f"analysis engine gives the range of left - right as "
                         f"{show(fact.value)}, which violates the relation, but no "
                         f"counterexample was confirmed ({numeric_res.detail})")
    return numeric_res


# ------------------------------------------------------------------------------ values, limits
def _limit_of(expr: sp.Expr, at: sp.Expr) -> sp.Expr | tuple[sp.Expr, sp.Expr]:
    """A symbolic limit, through the Piecewise branch that applies on the approached side.

    At a finite point both one-sided limits are taken; when they differ the pair is returned.
    """
    expr = numeric.prepare(expr).replace(sp.sinc, lambda u: sp.sin(u) / u)
    if at in (sp.oo, -sp.oo):
        if expr.has(sp.Piecewise):
            bps = numeric.breakpoints([expr])
            probe = (max(bps, key=float) + 1 if bps else sp.Integer(1)) if at == sp.oo else \
                (min(bps, key=float) - 1 if bps else sp.Integer(-1))
            expr = _branch_at(expr, probe)
        return sp.limit(expr, X, at)
    sides = []
    bps = [b for b in numeric.breakpoints([expr]) if b != at]
    for direction in ("-", "+"):
        branch = expr
        if expr.has(sp.Piecewise):
            if direction == "+":
                nxt = [b for b in bps if b > at]
                probe = (at + min(nxt, key=float)) / 2 if nxt else at + 1
            else:
                prv = [b for b in bps if b < at]
                probe = (at + max(prv, key=float)) / 2 if prv else at - 1
            branch = _branch_at(expr, probe)
        sides.append(sp.limit(branch, X, at, dir=direction))
    left, right = sides
    if left == right or sp.simplify(left - right) == 0:
        return left
    return (left, right)


def _branch_at(expr: sp.Expr, probe: sp.Expr) -> sp.Expr:
    """``expr`` with every Piecewise replaced by its branch at ``probe``, which applies on the
    whole open interval between the breakpoints around ``probe``."""
    for pw in expr.atoms(sp.Piecewise):
        for _, cond in pw.args:
            for rel in cond.atoms(sp.core.relational.Relational):
                d = rel.lhs - rel.rhs
                if d.has(X) and not (d.is_polynomial(X) and sp.Poly(d, X).degree() <= 2):
                    raise NotImplementedError("condition not polynomial in x")

    def pick(e: sp.Expr) -> sp.Expr:
        if isinstance(e, sp.Piecewise):
            for value, cond in e.args:
                c = cond.subs(X, probe)
                if c is sp.true:
                    return pick(value)
                if c is not sp.false:
                    raise NotImplementedError("branch not decided")
            raise NotImplementedError("no branch applies")
        if not e.args:
            return e
        return e.func(*[pick(a) if isinstance(a, sp.Basic) else a for a in e.args])

    return pick(expr)


def _far_values(expr: sp.Expr, at: sp.Expr, budget: Budget) -> list | None:
    sign = 1 if at == sp.oo else -1
    pts = [sp.Integer(sign * 10**k) for k in (3, 6, 9, 12)]
    out = _budget.run(numeric.scan, {"f": expr}, pts, budget=budget)
    return out.value["f"] if out.ok else None


def _numeric_limit_consistent(values: list | None, claimed: sp.Expr) -> bool | None:
    """Whether far-out samples agree with a claimed limit at infinity (None: cannot tell)."""
    if not values or any(v is None for v in values):
        return None
    last = values[-1]
    if claimed == sp.oo:
        return bool(last > 10**5 and values[-1] >= values[-2])
    if claimed == -sp.oo:
        return bool(last < -(10**5) and values[-1] <= values[-2])
    c = mpmath.mpf(sp.N(claimed, 30))
    err = [abs(v - c) for v in values]
    if err[-1] < mpmath.mpf("1e-4") * (1 + abs(c)):
        return True
    if err[-1] > mpmath.mpf("1e-2") * (1 + abs(c)) and err[-1] >= err[-2] * mpmath.mpf("0.5"):
        return False
    return None


def _true_limit(expr: sp.Expr, at: sp.Expr, budget: Budget) -> tuple[Any, str]:
    """The limit, or a (left, right) pair when the one-sided limits differ, or None."""
    out = _budget.run(_limit_of, expr, at, budget=budget)
    value = out.value
    parts = value if isinstance(value, tuple) else (value,)
    if out.ok and all(isinstance(v, sp.Expr) and not v.has(sp.Limit, sp.AccumBounds)
                      for v in parts):
        return value, ""
    return None, f"symbolic limit: {out.reason or 'not found'}"


def _near_values(expr: sp.Expr, at: sp.Expr, budget: Budget) -> list | None:
    h = sp.Rational(1, 10**12)
    out = _budget.run(numeric.scan, {"f": expr}, [at - h, at + h], budget=budget)
    return out.value["f"] if out.ok else None


def check_limit(claim: Claim, act: Activation, budget: Budget) -> Result:
    at, claimed, of = claim.data["at"], claim.data["value"], claim.data["of"]
    expr = act.expr if of == "f" else _derivative(act, 1, budget)
    if expr is None:
        return _no_derivative(act)
    name = "f" if of == "f" else "f'"
    where = numeric.fmt(at)
    true, why = _true_limit(expr, at, budget)
    own: Result
    if isinstance(true, tuple):
        own = Result(REFUTED, "proved", f"no limit at x = {where}: lim from the left is "
                     f"{numeric.fmt(true[0])}, from the right {numeric.fmt(true[1])}")
    elif true is not None:
        same = _same(true, claimed, numeric_ok=False)
        if same is None:
            own = undecided(f"limit {numeric.fmt(true)} not comparable with the claim")
        else:
            own = Result(CONFIRMED if same else REFUTED, "proved",
                         f"lim {name}(x) as x -> {where} is {numeric.fmt(true)}"
                         + ("" if same else f", not {numeric.fmt(claimed)}"))
        if at in (sp.oo, -sp.oo):
            consistent = _numeric_limit_consistent(_far_values(expr, at, budget), true)
        elif true in (sp.oo, -sp.oo):
            consistent = None
        else:
            near = _near_values(expr, at, budget)
            consistent = None if not near or None in near else all(
                abs(v - mpmath.mpf(sp.N(true, 30))) < mpmath.mpf("1e-6") for v in near)
        if consistent is False:
            own = undecided(f"symbolic limit {numeric.fmt(true)} contradicts the samples "
                            f"{'far out' if at in (sp.oo, -sp.oo) else 'beside the point'}")
    elif at in (sp.oo, -sp.oo):
        consistent = _numeric_limit_consistent(_far_values(expr, at, budget), claimed)
        if consistent is None:
            own = undecided(f"{why}; far-out samples inconclusive")
        else:
            own = Result(CONFIRMED if consistent else REFUTED, "numeric",
                         f"samples at |x| up to 1e12 {'approach' if consistent else 'do not approach'} "
                         f"{numeric.fmt(claimed)} ({why})")
    else:
        own = undecided(why)
    if of == "f" and at in (sp.oo, -sp.oo):
        fact, reason = _fact(act, "limits", budget)
        key = "oo" if at == sp.oo else "-oo"
        if fact is not None and isinstance(fact.value, dict) and key in fact.value:
            value = sp.sympify(fact.value[key])
            same = _same(value, claimed, numeric_ok=fact.status == "numeric")
            if same is not None:
                fr = Result(CONFIRMED if same else REFUTED, fact.status,
                            f"lim f(x) as x -> {where} is {numeric.fmt(value)} (analysis engine)")
                return _merge(own, fr)
    return own


def check_value(claim: Claim, act: Activation, budget: Budget) -> Result:
    at, claimed, tol = claim.data["at"], claim.data["value"], claim.data["tolerance"]
    tol_text = f" (tolerance {mpmath.nstr(mpmath.mpf(sp.N(tol, 20)), 3)})" if tol else ""
    if at in (sp.oo, -sp.oo):
        true, why = _true_limit(act.expr, at, budget)
        if true is None:
            values = _far_values(act.expr, at, budget)
            if not values or values[-1] is None:
                return undecided(why)
            v = values[-1]
            ok = abs(v - mpmath.mpf(sp.N(claimed, 30))) <= mpmath.mpf(sp.N(tol, 30)) + \
                mpmath.mpf("1e-9")
            return Result(CONFIRMED if ok else REFUTED, "numeric",
                          f"f(x) ~ {numeric.fmt(v)} at |x| = 1e12, claimed "
                          f"{numeric.fmt(claimed)}{tol_text}")
        return _compare_value(true, claimed, tol, f"lim f(x) as x -> {numeric.fmt(at)}",
                              tol_text, None, budget)
    exact = _budget.run(lambda e, p: sp.simplify(numeric.prepare(e).subs(X, p)),
                        act.expr, at, budget=budget)
    if not exact.ok:
        value = _budget.run(numeric.exact_value, act.expr, at, budget=budget)
        if not value.ok or value.value is None:
            return undecided(f"f({numeric.fmt(at)}) not evaluated: {exact.reason}")
        exact_value = value.value
    else:
        exact_value = exact.value
    if exact_value.has(sp.nan, sp.zoo) or exact_value in (sp.oo, -sp.oo):
        return Result(REFUTED, "proved", f"f is undefined at x = {numeric.fmt(at)}")
    where = numeric.fmt_x(at) if at.is_Rational else numeric.fmt(at)
    return _compare_value(exact_value, claimed, tol, f"f({where})", tol_text, at, budget)


def _compare_value(true: sp.Expr, claimed: sp.Expr, tol: sp.Expr, what: str, tol_text: str,
                   at: sp.Expr | None, budget: Budget) -> Result:
    ce = {"x": numeric.fmt_x(at) if at is not None and at.is_Rational else
          numeric.fmt(at) if at is not None else None,
          "value": numeric.fmt(true), "claimed": numeric.fmt(claimed)}
    if true in (sp.oo, -sp.oo) or claimed in (sp.oo, -sp.oo):
        same = true == claimed
        return Result(CONFIRMED if same else REFUTED, "proved",
                      f"{what} = {numeric.fmt(true)}, claimed {numeric.fmt(claimed)}",
                      None if same else ce)
    exact_same = _budget.run(_same, true, claimed, False, budget=budget)
    if exact_same.ok and exact_same.value is True:
        return Result(CONFIRMED, "proved", f"{what} = {numeric.fmt(true)} exactly")
    if tol == 0:
        same = _same(true, claimed, numeric_ok=False)
        if same is None:
            return undecided(f"{what} ~ {numeric.fmt(true)}: equality with "
                             f"{numeric.fmt(claimed)} not decided")
        return Result(CONFIRMED if same else REFUTED, "proved",
                      f"{what} = {numeric.fmt(true)}" + ("" if same else
                                                         f", claimed {numeric.fmt(claimed)}"),
                      None if same else ce)
    out = _budget.run(lambda e: e.evalf(30, strict=True, maxn=3000), true - claimed,
                      budget=budget)
    if not out.ok:
        return undecided(f"{what}: difference from the claim not evaluated ({out.reason})")
    diff = abs(out.value)
    ok = bool(diff <= tol)
    return Result(CONFIRMED if ok else REFUTED, "numeric",
                  f"{what} = {numeric.fmt(true, 10)}, claimed {numeric.fmt(claimed)}{tol_text}"
                  + ("" if ok else f"; off by {numeric.fmt(sp.Float(diff, 15), 3)}"),
                  None if ok else ce)


# ------------------------------------------------------------------------------ range
def check_range(claim: Claim, act: Activation, budget: Budget) -> Result:
    target = claim.data["set"]
    fact, reason = _fact(act, "range", budget)
    truth = f"; true range {show(fact.value)} ({fact.status})" if fact is not None else ""
    if isinstance(target, PointwiseBounds):
        res = _pointwise(target, act, budget)
        note = (f"the claimed end(s) depend on x, so the claim is read pointwise: "
                f"{_pointwise_text(target)} for every real x")
        return Result(res.verdict, res.status, f"{note}; {res.detail}{truth}",
                      res.counterexample)
    own = _range_samples(target, act, budget)
    if fact is None:
        if own.verdict == UNDECIDED:
            return undecided(f"{own.detail}; {reason}")
        return own
    true_set = fact.value
    equal = _sets_equal(true_set, target, fact.status == "numeric")
    if equal is None:
        fr = undecided(f"true range {show(true_set)} ({fact.status}) not comparable with "
                       f"{show(target)}")
        return own if own.verdict != UNDECIDED else fr
    fr = Result(CONFIRMED if equal else REFUTED, fact.status,
                f"range is {show(true_set)}" + ("" if equal else
                                                f", not {show(target)}"))
    if own.verdict == UNDECIDED:
        inside = _samples_inside(true_set, act, budget)
        if inside is False:
            return undecided(f"sampled values of f leave the analysis engine's range "
                             f"{show(true_set)}")
        return fr
    return _merge(own, fr)


def _pointwise_text(b: PointwiseBounds) -> str:
    lo = "<" if b.lo_open else "<="
    hi = "<" if b.hi_open else "<="
    return f"{numeric.fmt(b.lo)} {lo} f(x) {hi} {numeric.fmt(b.hi)}"


def _pointwise(b: PointwiseBounds, act: Activation, budget: Budget) -> Result:
    results = []
    if b.lo != -sp.oo:
        results.append(evidence.relation("<" if b.lo_open else "<=", b.lo, act.expr, budget,
                                         names=(f"lower end {numeric.fmt(b.lo)}", "f(x)")))
    if b.hi != sp.oo:
        results.append(evidence.relation("<" if b.hi_open else "<=", act.expr, b.hi, budget,
                                         names=("f(x)", f"upper end {numeric.fmt(b.hi)}")))
    for r in results:
        if r.verdict == REFUTED:
            return r
    for r in results:
        if r.verdict == UNDECIDED:
            return r
    status = "proved" if all(r.status == "proved" for r in results) else "numeric"
    return Result(CONFIRMED, status, "; ".join(r.detail for r in results))


def _range_samples(target: sp.Set, act: Activation, budget: Budget) -> Result:
    """Refute by a sampled value outside the claimed set; otherwise undecided (samples only)."""
    s, why = evidence.scan({"f": act.expr}, budget)
    if s is None:
        return undecided(why)
    lo, hi = _bounds(target)
    candidates = []
    for p, v in zip(s.points, s.values["f"], strict=True):
        if v is None:
            continue
        if isinstance(target, sp.FiniteSet):
            if all(abs(v - mpmath.mpf(sp.N(e, 30))) > mpmath.mpf("1e-20") * (1 + abs(v))
                   for e in target.args):
                candidates.append(p)
        elif (lo is not None and v < lo - mpmath.mpf("1e-20") * (1 + abs(v))) or \
                (hi is not None and v > hi + mpmath.mpf("1e-20") * (1 + abs(v))):
            candidates.append(p)
        elif _touches_open_end(target, v):
            candidates.append(p)
        elif not isinstance(target, sp.Interval) and \
                target.contains(sp.Float(mpmath.nstr(v, 25), 25)) is sp.false:
            candidates.append(p)
    for p in sorted(candidates, key=evidence._rank)[:6]:
        out = _budget.run(_outside, target, act.expr, p, budget=budget)
        if out.ok and out.value is not None and out.value[0]:
            value = out.value[1]
            ce = {"x": numeric.fmt_x(p), "value": numeric.fmt(value), "claimed": show(target)}
            return Result(REFUTED, "proved" if out.value[2] else "numeric",
                          f"f({ce['x']}) = {ce['value']} is not in {show(target)}", ce)
    values = [v for v in s.values["f"] if v is not None]
    if not values:
        return undecided("f could not be evaluated at the sample points")
    return undecided(f"all sampled values lie in {show(target)} (sampled min "
                     f"{numeric.fmt(min(values))}, max {numeric.fmt(max(values))})")


def _bounds(target: sp.Set) -> tuple[Any, Any]:
    if isinstance(target, sp.Interval):
        lo = None if target.start == -sp.oo else mpmath.mpf(sp.N(target.start, 30))
        hi = None if target.end == sp.oo else mpmath.mpf(sp.N(target.end, 30))
        return lo, hi
    return None, None


def _touches_open_end(target: sp.Set, v: mpmath.mpf) -> bool:
    if not isinstance(target, sp.Interval):
        return False
    eps = mpmath.mpf("1e-25") * (1 + abs(v))
    for end, is_open in ((target.start, target.left_open), (target.end, target.right_open)):
        if is_open and end not in (sp.oo, -sp.oo) and abs(v - mpmath.mpf(sp.N(end, 30))) < eps:
            return True
    return False


def _outside(target: sp.Set, expr: sp.Expr, p: sp.Expr):
    """(outside, value, exact) for f(p) against the claimed set."""
    exact = sp.simplify(numeric.prepare(expr).subs(X, p))
    if exact.is_number and exact.is_real and (exact.is_Rational or exact.is_zero):
        contained = target.contains(exact)
        if contained in (sp.true, sp.false):
            return (contained is sp.false, exact, True)
    value = numeric.exact_value(expr, p)
    if value is None:
        return None
    contained = target.contains(value)
    if contained is sp.false:
        # decided with a 30-digit value: make sure it is not a rounding artefact
        gap = min((abs(value - e) for e in _ends(target)), default=sp.oo)
        if gap > sp.Float("1e-25") * (1 + abs(value)):
            return (True, value, False)
    return (False, value, False)


def _ends(target: sp.Set) -> list[sp.Expr]:
    if isinstance(target, sp.Interval):
        return [e for e in (target.start, target.end) if e not in (sp.oo, -sp.oo)]
    if isinstance(target, sp.FiniteSet):
        return list(target.args)
    return []


def _sets_equal(a: sp.Set, b: sp.Set, numeric_ok: bool) -> bool | None:
    if a == b:
        return True
    if isinstance(a, sp.Interval) and isinstance(b, sp.Interval):
        if (a.left_open, a.right_open) != (b.left_open, b.right_open):
            return False
        s1, s2 = _same(a.start, b.start, numeric_ok), _same(a.end, b.end, numeric_ok)
        if s1 is False or s2 is False:
            return False
        if s1 and s2:
            return True
        return None
    if isinstance(a, sp.FiniteSet) and isinstance(b, sp.FiniteSet):
        if len(a) != len(b):
            return False
        xs = sorted(a.args, key=float)
        ys = sorted(b.args, key=float)
        checks = [_same(p, q, numeric_ok) for p, q in zip(xs, ys, strict=True)]
        if all(c is True for c in checks):
            return True
        if any(c is False for c in checks):
            return False
        return None
    if a == sp.S.Reals:
        return _sets_equal(sp.Interval(-sp.oo, sp.oo), b, numeric_ok)
    if b == sp.S.Reals:
        return _sets_equal(a, sp.Interval(-sp.oo, sp.oo), numeric_ok)
    if {type(a), type(b)} == {sp.Interval, sp.FiniteSet}:
        return False
    try:
        eq = sp.Eq(a, b)
    except (TypeError, ValueError):
        return None
    return True if eq is sp.true else False if eq is sp.false else None


def _samples_inside(true_set: sp.Set, act: Activation, budget: Budget) -> bool | None:
    s, _ = evidence.scan({"f": act.expr}, budget)
    if s is None:
        return None
    lo, hi = _bounds(true_set) if isinstance(true_set, sp.Interval) else (None, None)
    for v in s.values["f"]:
        if v is None:
            continue
        slack = mpmath.mpf("1e-15") * (1 + abs(v))
        if (lo is not None and v < lo - slack) or (hi is not None and v > hi + slack):
            return False
    return True


# ------------------------------------------------------------------------------ shape facts
_IMPLIES = {
    "increasing": ("increasing", "non-decreasing"),
    "decreasing": ("decreasing", "non-increasing"),
    "non-decreasing": ("non-decreasing",),
    "non-increasing": ("non-increasing",),
    "none": ("none",),
}


def check_monotonic(claim: Claim, act: Activation, budget: Budget) -> Result:
    claimed = claim.data["monotonic"]
    own = _monotonic_samples(claimed, act, budget)
    fact, reason = _fact(act, "monotonic", budget)
    if fact is None:
        return _merge(own, None, reason)
    truth = fact.value
    holds = claimed in _IMPLIES.get(truth, (truth,))
    fr = Result(CONFIRMED if holds else REFUTED, fact.status,
                f"f is {_mono_words(truth)} (analysis engine)")
    if own.verdict == REFUTED and fr.verdict == REFUTED:
        return Result(REFUTED, fr.status, f"{fr.detail}; {own.detail}", own.counterexample)
    if own.verdict == CONFIRMED and own.status == "numeric" and fr.verdict == REFUTED:
        # sampling cannot see a flat stretch or a narrow dip everywhere: the proof decides
        return fr if fr.status == "proved" else _merge(own, fr)
    return _merge(own, fr)


def _mono_words(value: str) -> str:
    return "not monotonic" if value == "none" else value


def _monotonic_samples(claimed: str, act: Activation, budget: Budget) -> Result:
    s, why = evidence.scan({"f": act.expr}, budget)
    if s is None:
        return undecided(why)
    pairs = [(p, v) for p, v in zip(s.points, s.values["f"], strict=True)
             if v is not None and abs(p) <= 1000]
    found: dict[str, tuple] = {}
    for (p, a), (q, b) in zip(pairs, pairs[1:], strict=False):
        tol = mpmath.mpf("1e-20") * (1 + abs(a) + abs(b))
        kind = "dec" if b < a - tol else "inc" if b > a + tol else "flat"
        if kind not in found:
            out = _budget.run(_pair_kind, act.expr, p, q, budget=budget)
            if out.ok and out.value == kind:
                found[kind] = (p, q)
    witness = None
    if claimed in ("increasing", "non-decreasing"):
        witness = found.get("dec") or (found.get("flat") if claimed == "increasing" else None)
    elif claimed in ("decreasing", "non-increasing"):
        witness = found.get("inc") or (found.get("flat") if claimed == "decreasing" else None)
    if witness is not None:
        p, q = witness
        fp = _budget.run(numeric.exact_value, act.expr, p, budget=budget)
        fq = _budget.run(numeric.exact_value, act.expr, q, budget=budget)
        vp = numeric.fmt(fp.value if fp.ok else None)
        vq = numeric.fmt(fq.value if fq.ok else None)
        ce = {"x": f"{numeric.fmt_x(p)} < {numeric.fmt_x(q)}", "value": f"{vp}, {vq}",
              "claimed": claimed}
        return Result(REFUTED, "numeric", f"f({numeric.fmt_x(p)}) = {vp}, "
                      f"f({numeric.fmt_x(q)}) = {vq}", ce)
    if claimed == "none":
        if "inc" in found and "dec" in found:
            return Result(CONFIRMED, "numeric", "f rises and falls between sample points")
        return undecided("no rise and fall found between sample points")
    return Result(CONFIRMED, "numeric", f"{claimed} between all {len(pairs)} consecutive "
                  "sample points with |x| <= 1000")


def _pair_kind(expr: sp.Expr, p: sp.Expr, q: sp.Expr) -> str | None:
    e = numeric.prepare(expr)
    d = sp.simplify(e.subs(X, q) - e.subs(X, p))
    if d.is_zero:
        return "flat"
    if d.is_zero is None and d.count_ops() > 0:
        value = d.evalf(30, strict=True, maxn=3000)
    else:
        value = d
    if value.is_positive:
        return "inc"
    if value.is_negative:
        return "dec"
    return None


def check_continuity(claim: Claim, act: Activation, budget: Budget) -> Result:
    claimed, exact = claim.data["k"], claim.data["exact"]
    own = _continuity_samples(claimed, exact, act, budget)
    fact, reason = _fact(act, "continuity", budget)
    if fact is None:
        return _merge(own, None, reason)
    truth = sp.sympify(fact.value)
    holds = truth == claimed if exact else bool(truth >= claimed)
    fr = Result(CONFIRMED if holds else REFUTED, fact.status,
                f"f is {_ck(truth)} (analysis engine)")
    if own.counterexample is None and own.verdict != fr.verdict:
        # "no jump seen at the breakpoints" cannot overrule the engine (a derivative may
        # fail to exist without a jump, e.g. blow up)
        return fr
    return _merge(own, fr)


def _ck(k: sp.Expr) -> str:
    if k == sp.oo:
        return "C^oo (smooth)"
    if k == -1:
        return "discontinuous"
    return f"C^{k}"


def _continuity_samples(claimed: sp.Expr, exact: bool, act: Activation,
                        budget: Budget) -> Result:
    """Look for jumps of f, f', ... at the breakpoints (numeric)."""
    top = 3 if claimed == sp.oo else int(min(claimed + 1, 3))
    derivs = [act.expr]
    for n in range(1, top + 1):
        d = _derivative(act, n, budget)
        if d is None:
            break
        derivs.append(d)
    out = _budget.run(_first_jump, derivs, budget=budget)
    if not out.ok:
        return undecided(f"jump search: {out.reason}")
    jump = out.value
    if jump is None:
        seen = len(derivs) - 1
        names = "f" if seen == 0 else f"f, ..., f^({seen})"
        cls = f"no jump of {names} at any breakpoint"
        if exact:
            if claimed != sp.oo and claimed < seen:
                return Result(REFUTED, "numeric", f"{cls}, so f is at least {_ck(seen)} "
                              f"there, not {_ck(claimed)}")
            return undecided(f"{cls}; the exact class needs the analysis engine")
        if claimed == sp.oo or claimed <= seen:
            return Result(CONFIRMED, "numeric", cls)
        return undecided(f"{cls}; higher derivatives not examined")
    order, p, left, mid, right = jump
    name = "f" if order == 0 else "f" + "'" * order
    ce = {"x": numeric.fmt(p), "value": f"{name} left {numeric.fmt(left)}, at "
          f"{numeric.fmt(mid)}, right {numeric.fmt(right)}", "claimed": _ck(claimed)}
    detail = f"{name} jumps at x = {ce['x']} ({ce['value']}), so f is " + (
        "discontinuous" if order == 0 else f"{_ck(order - 1)} at most")
    if claimed == sp.oo or claimed >= order:
        return Result(REFUTED, "numeric", detail, ce)
    if claimed == order - 1 or not exact:
        return Result(CONFIRMED, "numeric", detail)
    return Result(REFUTED, "numeric", detail + f", not {_ck(claimed)}")


def _first_jump(derivs: list[sp.Expr]):
    bps = numeric.breakpoints(derivs)
    with mpmath.workdps(80):
        h = mpmath.mpf(10) ** -15
        for order, d in enumerate(derivs):
            fn = numeric.compile_mp(d)
            for p in bps:
                c = mpmath.mpf(sp.N(p, 90))
                try:
                    left, mid, right = fn(c - h), fn(c), fn(c + h)
                except (ZeroDivisionError, ValueError, TypeError):
                    return (order, p, None, None, None)
                vals = [left, mid, right]
                if any(isinstance(v, mpmath.mpc) or not mpmath.isfinite(v) for v in vals):
                    return (order, p, None, None, None)
                scale = 1 + abs(mid)
                if abs(left - mid) > mpmath.mpf("1e-8") * scale or \
                        abs(right - mid) > mpmath.mpf("1e-8") * scale:
                    return (order, p, left, mid, right)
    return None


def check_identity_near_origin(claim: Claim, act: Activation, budget: Budget) -> Result:
    claimed = claim.data["flag"]
    own = _identity_origin(act, budget)
    fact, reason = _fact(act, "identity_near_origin", budget)
    if own.verdict != UNDECIDED:
        truth_own = own.verdict == CONFIRMED
        own = Result(CONFIRMED if truth_own == claimed else REFUTED, own.status, own.detail)
    if fact is None:
        return _merge(own, None, reason)
    holds = bool(fact.value) == claimed
    fr = Result(CONFIRMED if holds else REFUTED, fact.status,
                f"identity near the origin: {bool(fact.value)} (analysis engine)")
    return _merge(own, fr)


def _identity_origin(act: Activation, budget: Budget) -> Result:
    """CONFIRMED when f(0) = 0, f'(0) = 1 and f' continuous at 0; REFUTED otherwise."""
    d1 = _derivative(act, 1, budget)
    if d1 is None:
        return _no_derivative(act)

    def at_zero(e: sp.Expr) -> sp.Expr:
        return sp.simplify(numeric.prepare(e).subs(X, 0))

    f0 = _budget.run(at_zero, act.expr, budget=budget)
    g0 = _budget.run(at_zero, d1, budget=budget)
    if not (f0.ok and g0.ok):
        return undecided("f(0) or f'(0) not evaluated within the budget")
    text = f"f(0) = {numeric.fmt(f0.value)}, f'(0) = {numeric.fmt(g0.value)}"
    if f0.value.is_zero is False or (g0.value - 1).is_zero is False:
        return Result(REFUTED, "proved", text)
    if not (f0.value.is_zero and (g0.value - 1).is_zero):
        return undecided(text + " (not decided)")
    jump = _budget.run(_first_jump_at_zero, d1, budget=budget)
    if not jump.ok:
        return undecided(text + f"; continuity of f' at 0: {jump.reason}")
    if jump.value:
        return Result(REFUTED, "numeric", text + "; f' jumps at 0")
    return Result(CONFIRMED, "numeric" if numeric.breakpoints([d1]) else "proved",
                  text + ("; f' continuous at 0" if numeric.breakpoints([d1]) else ""))


def _first_jump_at_zero(d1: sp.Expr) -> bool:
    fn = numeric.compile_mp(d1)
    with mpmath.workdps(80):
        h = mpmath.mpf(10) ** -15
        vals = [fn(-h), fn(mpmath.mpf(0)), fn(h)]
        return any(abs(v - vals[1]) > mpmath.mpf("1e-8") for v in vals)


def check_bounded(claim: Claim, act: Activation, budget: Budget) -> Result:
    claimed = claim.data["flag"]
    own = _bounded_samples(claimed, act, budget)
    fact, reason = _fact(act, "bounded", budget)
    if fact is None:
        return _merge(own, None, reason)
    v = fact.value
    truth = bool(v.get("above")) and bool(v.get("below")) if isinstance(v, dict) else bool(v)
    fr = Result(CONFIRMED if truth == claimed else REFUTED, fact.status,
                f"bounded above: {v.get('above') if isinstance(v, dict) else v}, below: "
                f"{v.get('below') if isinstance(v, dict) else v} (analysis engine)")
    return _merge(own, fr)


def _bounded_samples(claimed: bool, act: Activation, budget: Budget) -> Result:
    s, why = evidence.scan({"f": act.expr}, budget)
    if s is None:
        return undecided(why)
    big = [(p, v) for p, v in zip(s.points, s.values["f"], strict=True)
           if v is not None and abs(v) > 10**9]
    if big:
        p, v = min(big, key=lambda t: abs(t[0]))
        detail = f"|f| grows without bound in the samples: f({numeric.fmt_x(p)}) = " \
                 f"{numeric.fmt(v, 6)}"
        return Result(REFUTED if claimed else CONFIRMED, "numeric", detail,
                      {"x": numeric.fmt_x(p), "value": numeric.fmt(v, 6),
                       "claimed": "bounded"} if claimed else None)
    values = [v for v in s.values["f"] if v is not None]
    return undecided(f"sampled values stay within [{numeric.fmt(min(values), 6)}, "
                     f"{numeric.fmt(max(values), 6)}]") if values else undecided(
        "f could not be evaluated")


def check_max_derivative(claim: Claim, act: Activation, budget: Budget) -> Result:
    claimed = claim.data["value"]
    d1 = _derivative(act, 1, budget)
    if d1 is None:
        return _no_derivative(act)
    own = _max_derivative_samples(claimed, d1, budget)
    fact, reason = _fact(act, "max_gradient", budget)
    if fact is None:
        return _merge(own, None, reason)
    v = fact.value.get("value") if isinstance(fact.value, dict) else fact.value
    at = fact.value.get("at") if isinstance(fact.value, dict) else None
    sup = sp.sympify(v)
    same = _same(sup, claimed, numeric_ok=fact.status == "numeric")
    if same is None:
        return own
    where = f" at x in {', '.join(_where(a) for a in at)}" if \
        isinstance(at, (list, tuple)) and at else f" as x -> {at}" if at else ""
    fr = Result(CONFIRMED if same else REFUTED, fact.status,
                f"sup |f'| = {numeric.fmt(sup)}{where} (analysis engine)")
    return _merge(own, fr)


def _where(a: Any) -> str:
    a = sp.sympify(a)
    return show(a) if isinstance(a, sp.Set) else numeric.fmt(a)


def _max_derivative_samples(claimed: sp.Expr, d1: sp.Expr, budget: Budget) -> Result:
    s, why = evidence.scan({"d": d1}, budget)
    if s is None:
        return undecided(why)
    vals = [(p, abs(v)) for p, v in zip(s.points, s.values["d"], strict=True) if v is not None]
    if not vals:
        return undecided("f' could not be evaluated")
    if claimed == sp.oo:
        big = [t for t in vals if t[1] > 10**9]
        if big:
            return Result(CONFIRMED, "numeric", f"|f'| reaches {numeric.fmt(big[0][1], 6)}")
        return undecided("|f'| stays bounded at the sample points")
    c = mpmath.mpf(sp.N(claimed, 30))
    over = [p for p, v in vals if v > c + mpmath.mpf("1e-20") * (1 + c)]
    for p in sorted(over, key=evidence._rank)[:6]:
        out = _budget.run(numeric.exact_value, sp.Abs(d1) - claimed, p, budget=budget)
        if out.ok and out.value is not None and out.value > 0:
            value = _budget.run(numeric.exact_value, d1, p, budget=budget)
            ce = {"x": numeric.fmt_x(p), "value": numeric.fmt(value.value if value.ok
                                                               else None),
                  "claimed": numeric.fmt(claimed)}
            return Result(REFUTED, "numeric", f"|f'({ce['x']})| = {ce['value']} exceeds "
                          f"{ce['claimed']}", ce)
    p, best = max(vals, key=lambda t: t[1])
    refined = _budget.run(_refine_max, d1, p, budget=budget)
    if refined.ok and refined.value is not None:
        p2, best2 = refined.value
        if best2 > best:
            best = best2
            if best2 > c * (1 + mpmath.mpf("1e-15")):
                point = sp.Rational(mpmath.nstr(p2, 20))
                out = _budget.run(numeric.exact_value, sp.Abs(d1) - claimed, point,
                                  budget=budget)
                if out.ok and out.value is not None and out.value > 0:
                    ce = {"x": numeric.fmt_x(point), "value": numeric.fmt(best2),
                          "claimed": numeric.fmt(claimed)}
                    return Result(REFUTED, "numeric", f"|f'({ce['x']})| = {ce['value']} "
                                  f"exceeds {ce['claimed']}", ce)
    if best < c - mpmath.mpf("1e-8") * (1 + c):
        return Result(REFUTED, "numeric", f"sampled sup |f'| ~ {numeric.fmt(best)} (near "
                      f"x = {numeric.fmt_x(p)}), below {numeric.fmt(claimed)}")
    return Result(CONFIRMED, "numeric", f"sampled sup |f'| ~ {numeric.fmt(best)} (near "
                  f"x = {numeric.fmt_x(p)})")


def _refine_max(d1: sp.Expr, p: sp.Expr):
    fn = numeric.compile_mp(d1)
    with mpmath.workdps(30):
        a, b = mpmath.mpf(sp.N(p, 35)) - mpmath.mpf("0.06"), mpmath.mpf(sp.N(p, 35)) + \
            mpmath.mpf("0.06")
        g = (mpmath.sqrt(5) - 1) / 2
        for _ in range(120):
            c1, c2 = b - g * (b - a), a + g * (b - a)
            if abs(fn(c1)) >= abs(fn(c2)):
                b = c2
            else:
                a = c1
        m = (a + b) / 2
        return m, abs(fn(m))


CHECKS: dict[str, Callable[[Claim, Activation, Budget], Result]] = {
    "equals": check_equals,
    "derivative_equals": check_derivative_equals,
    "range": check_range,
    "parity": check_parity,
    "monotonic": check_monotonic,
    "continuity": check_continuity,
    "identity_near_origin": check_identity_near_origin,
    "bounded": check_bounded,
    "limit": check_limit,
    "value": check_value,
    "max_derivative": check_max_derivative,
    "inequality": check_inequality,
}
